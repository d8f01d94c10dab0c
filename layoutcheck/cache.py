"""layoutcheck's on-disk cache: work done once, used again only while
what it was made from holds.

What it keeps, each under its own kind:

* ``gcc-search-dirs.json``: what each ABI's GCC reports about its own
  ``<...>`` search path (a process per ABI, about 10 ms each), used while
  the driver binary and the directories it looked at are as they were;
* ``pp/`` and ``text/``: preprocessor runs and their texts, used while
  every input holds (``cfront/ppcache.py`` says which);
* ``layouts/``: every record of a preprocessed text laid out for the ABIs
  asked for that it serves, each with its macros, as the JSON lines of
  docs/CONTRACT.md (a first line counts each ABI's), keyed by a digest of
  the text, the ABIs and the macros (``Program.stored_layouts``);
* ``kernel-trees/``: what reading a configured kernel tree found (its ABI,
  kbuild's flags), used while every file the reading looked at holds.

Every key also holds a digest of layoutcheck's own files
(``code_version``): an entry made by other code is never used.  The
directory:

* ``$LAYOUTCHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/layoutcheck``, else
  ``~/.cache/layoutcheck``; ``LAYOUTCHECK_CACHE_DIR=off`` turns it off;
* it must be the user's own and writable by no one else, and so must the
  files (else the cache is not used: what it holds reaches a compiler's
  command line and the output);
* entries are written atomically; a damaged one is not used;
* deleting the directory is always safe.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
from typing import Any, Dict, List, Optional

_DISABLED = {"off", "0", "no", "none"}
_UPDATING = threading.Lock()  # update()'s read and replace, between threads


_CHECKED: Dict[str, str] = {}  # directory settings found usable in this process


def cache_dir(create: bool = True) -> Optional[str]:
    """The cache directory, if there is one the user may trust."""
    setting = os.environ.get("LAYOUTCHECK_CACHE_DIR", "") + "\0" + os.environ.get("XDG_CACHE_HOME", "")
    found = _CHECKED.get(setting)
    if found is not None:  # still the user's own (a stat, not a makedirs)
        try:
            if _private(os.stat(found)):
                return found
        except OSError:
            pass
        del _CHECKED[setting]
    explicit = os.environ.get("LAYOUTCHECK_CACHE_DIR")
    if explicit is not None and explicit.strip().lower() in _DISABLED:
        return None
    if explicit:
        path = explicit
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = os.path.join(base, "layoutcheck")
    path = os.path.abspath(path)
    try:
        if create and not os.path.isdir(path):
            os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or not _private(st):
        return None
    _CHECKED[setting] = path
    return path


def _private(st: os.stat_result) -> bool:
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load(kind: str) -> Dict[str, Any]:
    """The entries of one kind (an empty dict when there are none or the
    file is not the user's own or not readable as JSON)."""
    folder = cache_dir(create=False)
    if folder is None:
        return {}
    path = os.path.join(folder, f"{kind}.json")
    try:
        with open(path, encoding="utf-8") as fh:
            if not _private(os.fstat(fh.fileno())):
                return {}
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def update(kind: str, key: str, value: Any) -> None:
    """Set one entry of a kind, keeping the entries other threads and
    processes stored meanwhile: the file is read again and replaced under
    an exclusive lock.  A lock another process holds for more than half a
    second (one stopped in the middle) is not waited for: the entry is
    stored without it.  Errors are ignored, as in ``store``."""
    import fcntl
    import time

    folder = cache_dir()
    if folder is None:
        return
    with _UPDATING:
        fd = -1
        try:
            fd = os.open(os.path.join(folder, f".{kind}.lock"),
                         os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
            for _ in range(50):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    time.sleep(0.01)
        except OSError:
            pass
        try:
            entries = load(kind)
            entries[key] = value
            store(kind, entries)
        finally:
            if fd >= 0:
                os.close(fd)


def store(kind: str, entries: Dict[str, Any]) -> None:
    """Replace the entries of one kind (atomically; errors are ignored:
    a cache that cannot be written is no cache)."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(entries, fh, sort_keys=True)
        os.replace(tmp, os.path.join(folder, f"{kind}.json"))
    except OSError:
        try:
            os.unlink(tmp)
        except (OSError, UnboundLocalError):
            pass


def _blob_path(kind: str, name: str, create: bool) -> Optional[str]:
    if not name or not all(c in "0123456789abcdef" for c in name):
        return None  # names are digests: nothing else reaches the file system
    folder = cache_dir(create=create)
    if folder is None:
        return None
    return os.path.join(folder, kind, name)


_PRIVATE_KINDS: set = set()  # kind directories seen to be the user's own


def _kind_private(path: str) -> bool:
    folder = os.path.dirname(path)
    if folder in _PRIVATE_KINDS:
        return True
    try:
        ok = _private(os.stat(folder))
    except OSError:
        return False
    if ok:
        _PRIVATE_KINDS.add(folder)
    return ok


def read_blob(kind: str, name: str) -> Optional[bytes]:
    """The bytes stored under ``kind``/``name`` (a hex digest), or None
    (also when the file or its directory is not the user's own)."""
    path = _blob_path(kind, name, create=False)
    if path is None or not _kind_private(path):
        return None
    try:
        with open(path, "rb") as fh:
            if not _private(os.fstat(fh.fileno())):
                return None
            return fh.read()
    except OSError:
        return None


def write_blob(kind: str, name: str, data: bytes) -> None:
    """Store ``data`` under ``kind``/``name`` atomically (errors ignored)."""
    path = _blob_path(kind, name, create=True)
    if path is None:
        return
    tmp = os.path.join(os.path.dirname(path), f".{name}.{os.getpid()}.{threading.get_ident()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        try:
            fd = os.open(tmp, flags, 0o600)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            fd = os.open(tmp, flags, 0o600)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


_CODE_VERSION: Optional[str] = None


def code_version() -> str:
    """A digest of layoutcheck's own files (name, size, modification
    time): an entry made by other code is never used."""
    global _CODE_VERSION
    if _CODE_VERSION is None:
        import hashlib

        root = os.path.dirname(os.path.abspath(__file__))
        h = hashlib.sha256()
        for folder, subdirs, files in os.walk(root):
            subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".h", ".json", ".toml")):
                    st = os.stat(os.path.join(folder, name))
                    h.update(f"{os.path.relpath(os.path.join(folder, name), root)}\0{st.st_size}\0"
                             f"{st.st_mtime_ns}\n".encode())
        _CODE_VERSION = h.hexdigest()
    return _CODE_VERSION


def key_of(*parts: Any) -> str:
    """A digest naming an entry made from ``parts`` (JSON values)."""
    import hashlib

    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def has_blob(kind: str, name: str) -> bool:
    path = _blob_path(kind, name, create=False)
    return path is not None and os.path.isfile(path)


def drop_blob(kind: str, name: str) -> None:
    """Remove an entry (found damaged); errors are ignored."""
    path = _blob_path(kind, name, create=False)
    if path is not None:
        try:
            os.unlink(path)
        except OSError:
            pass


def _seal(kind: str, name: str, body) -> bytes:
    """The digest of an entry's name and ``body`` (bytes, or a view of
    them: an entry is not copied to be sealed)."""
    import hashlib

    seal = hashlib.sha256(f"{kind}/{name}\n".encode())
    seal.update(body)
    return seal.hexdigest().encode()


def write_checked(kind: str, name: str, lines: List[str]) -> None:
    """Store text lines, the first line a digest of them and of the
    entry's name (an entry moved to another name is not used)."""
    body = "\n".join(lines).encode("utf-8")
    write_blob(kind, name, _seal(kind, name, body) + b"\n" + body)


def read_checked(kind: str, name: str) -> Optional[List[str]]:
    """The lines ``write_checked`` stored, or None (absent, or not what
    was written there: a damaged entry is never used)."""
    raw = read_blob(kind, name)
    if raw is None:
        return None
    # the digest and the text read from the bytes as they are (a layout
    # entry is megabytes: every copy of it costs its pages' first touch)
    cut = raw.find(b"\n")
    body = memoryview(raw)[cut + 1:] if cut >= 0 else memoryview(b"")
    if _seal(kind, name, body) != (raw[:cut] if cut >= 0 else raw):
        return None
    try:
        text = str(body, "utf-8")
    except UnicodeDecodeError:
        return None
    return text.split("\n") if text else []
