"""A small on-disk cache for facts about the installed compilers.

What GCC reports about itself (its ``<...>`` search path) costs a process
per ABI, about 10 ms each, and changes only when the compiler or the
directories it looks at change.  Entries live in one JSON file per kind
under the user's cache directory:

* ``$LAYOUTCHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/layoutcheck``, else
  ``~/.cache/layoutcheck``; ``LAYOUTCHECK_CACHE_DIR=off`` turns it off;
* the directory must be the user's own and writable by no one else, and
  so must the files (else the cache is not used: what it holds reaches a
  compiler's command line);
* each entry carries what it was derived from (see
  ``preprocess._gcc_search_dirs``) and is used only when that still holds;
* deleting the directory is always safe.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from typing import Any, Dict, Optional

_DISABLED = {"off", "0", "no", "none"}


def cache_dir(create: bool = True) -> Optional[str]:
    """The cache directory, if there is one the user may trust."""
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
