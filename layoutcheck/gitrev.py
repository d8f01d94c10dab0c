"""Headers as they were at a git revision: ``REV:path`` specs.

``Materializer.resolve("HEAD~1:include/linux/mm_types.h")`` writes that
file, and the other files of its directory (for ``#include "..."``), into a
temporary tree and returns the path to read.  Every revision passes
``safety.check_git_rev`` and reaches git after ``--end-of-options``; git
runs with no standard input.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Dict, Iterable, List, Optional, Tuple

from .errors import LayoutError
from .safety import check_git_rev

# What a header may include, copied when a revision's tree is read.
HEADER_SUFFIXES = (".h", ".hh", ".hpp", ".hxx", ".inc", ".def", ".toml")


# git reads a repository's configuration, which a repository handed over
# whole may carry.  What runs here reads objects only; the configured
# commands that could still run are fsmonitor's and, in a partial clone,
# the fetch of a missing object (its transport: ssh's command, an upload
# pack, a remote helper).  The command line, which wins over every
# configuration file, switches fsmonitor off and forbids every transport;
# git 2.45 and later also take GIT_NO_LAZY_FETCH.
_GIT = ["git", "-c", "core.fsmonitor=false", "-c", "protocol.allow=never"] + [
    arg for name in ("file", "git", "ssh", "http", "https", "ftp", "ftps", "ext", "fd")
    for arg in ("-c", f"protocol.{name}.allow=never")]

# The bytes of a revision's headers read at most (a blob above the header
# limit is not written; a header including it finds nothing).
MAX_REVISION_BYTES = 256 << 20


def _git_env() -> Dict[str, str]:
    return dict(os.environ, GIT_NO_LAZY_FETCH="1", GIT_TERMINAL_PROMPT="0")


def _git(args: List[str], cwd: str, stdin: Optional[bytes] = None) -> str:
    out = _git_bytes(args, cwd, stdin)
    return out.decode("utf-8", errors="surrogateescape")


def _git_bytes(args: List[str], cwd: str, stdin: Optional[bytes] = None) -> bytes:
    try:
        proc = subprocess.run(_GIT + args, cwd=cwd, capture_output=True, timeout=120,
                              env=_git_env(),
                              **({"input": stdin} if stdin is not None
                                 else {"stdin": subprocess.DEVNULL}))
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LayoutError(f"git {' '.join(args)}: {exc}") from None
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()
        raise LayoutError(f"git {' '.join(args)}: {err or 'failed'}")
    return proc.stdout


def _listing(rev: str, top: str, under: Optional[str] = None) -> Dict[str, Tuple[str, int]]:
    """The regular files of ``rev`` (below ``under``, a directory relative
    to the top), each name (as git holds it, whatever its characters) with
    its blob and size; links and submodules are left out."""
    args = ["ls-tree", "-r", "-l", "-z", "--full-tree", "--end-of-options", rev]
    if under is not None:
        args += ["--", under or "."]
    out: Dict[str, Tuple[str, int]] = {}
    for entry in _git(args, top).split("\0"):
        if not entry:
            continue
        meta, _, name = entry.partition("\t")
        fields = meta.split()
        if len(fields) == 4 and fields[1] == "blob" and fields[0] in ("100644", "100755") \
                and fields[3].isdigit():
            out[name] = (fields[2], int(fields[3]))
    return out


def is_rev(rev: str, cwd: str) -> bool:
    """Whether ``rev`` names a commit in the repository at ``cwd``."""
    if not _looks_like_rev(rev):
        return False
    try:
        _git_bytes(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], cwd)
    except LayoutError:
        return False
    return True


class Materializer:
    """Writes REV:path (and its directory's other files, for #include "...")
    into a temporary tree; ``close()`` removes it."""

    def __init__(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="layoutcheck-git-")

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> "Materializer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def resolve(self, spec: str) -> Tuple[str, str]:
        """(path to read, label) for a path or a ``REV:path`` spec."""
        if ":" in spec and not os.path.exists(spec):
            rev, path = spec.split(":", 1)
            cwd = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(cwd):
                cwd = os.getcwd()
            if rev and is_rev(rev, cwd):
                return self._extract(rev, path), spec
            if rev and _looks_like_rev(rev):
                raise LayoutError(f"no such file: {spec}, and {rev!r} is no revision of a git "
                                  f"repository there")
        if not os.path.exists(spec):
            raise LayoutError(f"no such file: {spec}")
        return spec, spec

    def tree_at(self, spec: str) -> Optional[Tuple[str, str, str]]:
        """For a ``REV:path`` spec: (the header's path in a copy of the
        repository's headers at REV, the repository top, that copy's root),
        so that what the header includes is read as it was at REV too; None
        for a plain path."""
        if ":" not in spec or os.path.exists(spec):
            return None
        rev, path = spec.split(":", 1)
        if not rev or not is_rev(rev, _existing_dir(path)):
            return None
        check_git_rev(rev)
        top, rel = _repo_path(path)
        listing = _listing(rev, top)
        if rel not in listing:
            raise LayoutError(f"{path} does not exist at {rev}")
        wanted = {f: b for f, b in listing.items() if f.endswith(HEADER_SUFFIXES) or f == rel}
        root = self._dest("tree-", rev, top)
        if not os.path.isdir(root):
            self._write_blobs(top, wanted, root, rel, rev)
        return os.path.join(root, rel), top, root

    def _dest(self, kind: str, rev: str, top: str) -> str:
        """The folder of one commit's files: named by the commit's id, so
        that two spellings of one commit share it and two commits never do
        (``a/b`` and ``a_b``, ``HEAD~2`` and ``HEAD^2``)."""
        commit = _git(["rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}"], top).strip()
        if not (len(commit) in (40, 64) and all(c in "0123456789abcdef" for c in commit)):
            raise LayoutError(f"git rev-parse {rev}: not a commit id: {commit!r}")
        return os.path.join(self.tmp, kind + commit)

    def _write_blobs(self, top: str, files: Dict[str, Tuple[str, int]], dest: str, header: str,
                     rev: str) -> None:
        """``files`` (name -> blob, size) into ``dest``, each blob's bytes as
        git stores them (one ``git cat-file --batch``), ``header`` among
        them.  A file of the commit already written is left as it is (the
        same blob); a name that would leave ``dest`` (absolute, ``..``),
        that the file system refuses (too long, a file where a folder is),
        or a blob above the header size limit is not written: a header
        including it finds nothing there."""
        from .safety import MAX_HEADER_BYTES

        size = files[header][1]
        if size > MAX_HEADER_BYTES:
            raise LayoutError(f"{header} at {rev}: larger than {MAX_HEADER_BYTES >> 20} MiB, more "
                              f"than a header is")
        names, total = [], 0
        for name in sorted(files):
            blob, size = files[name]
            parts = name.split("/")
            if size > MAX_HEADER_BYTES or name.startswith("/") or "\0" in name \
                    or any(p in ("", ".", "..") for p in parts) \
                    or os.path.lexists(os.path.join(dest, *parts)):
                continue
            total += size
            if total > MAX_REVISION_BYTES:
                raise LayoutError(f"the headers of {rev} beside {header} are more than "
                                  f"{MAX_REVISION_BYTES >> 20} MiB")
            names.append(name)
        blobs = [files[n][0] for n in names]
        out = _git_bytes(["cat-file", "--batch"], top,
                         stdin="".join(b + "\n" for b in blobs).encode()) if blobs else b""
        os.makedirs(dest, exist_ok=True)
        pos = 0
        for name, blob in zip(names, blobs, strict=True):
            head_end = out.index(b"\n", pos)
            head = out[pos:head_end].decode(errors="replace").split(" ")
            if len(head) != 3 or head[0] != blob or head[1] != "blob" or not head[2].isdigit():
                raise LayoutError(f"git cat-file: no blob {blob} for {name}: {' '.join(head)}")
            size = int(head[2])
            data = out[head_end + 1:head_end + 1 + size]
            pos = head_end + 1 + size + 1  # the contents end with a newline
            target = os.path.join(dest, *name.split("/"))
            try:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                             | getattr(os, "O_NOFOLLOW", 0), 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
            except OSError as exc:
                if name == header:
                    raise LayoutError(f"cannot write {header} of {rev}: {exc.strerror}") from None

    def _extract(self, rev: str, path: str) -> str:
        """Write the header's directory at ``rev``, with the headers and
        rules files of its subdirectories (``#include "include/x.h"``), into
        the temporary tree."""
        check_git_rev(rev)
        top, rel = _repo_path(path)
        rel_dir = os.path.dirname(rel)
        listing = _listing(rev, top, rel_dir)
        if rel not in listing:
            raise LayoutError(f"{path} does not exist at {rev}")
        prefix = f"{rel_dir}/" if rel_dir else ""
        wanted = {f: b for f, b in listing.items()
                  if "/" not in f[len(prefix):] or f.endswith((".h", ".toml"))}
        dest_root = self._dest("", rev, top)
        self._write_blobs(top, wanted, dest_root, rel, rev)
        return os.path.join(dest_root, rel)


def _looks_like_rev(rev: str) -> bool:
    try:
        check_git_rev(rev)
    except LayoutError:
        return False
    return True


def _existing_dir(path: str) -> str:
    """The nearest directory of ``path`` that exists (a header may be gone
    from the work tree)."""
    start = os.path.dirname(os.path.abspath(path))
    while not os.path.isdir(start):
        start = os.path.dirname(start)
    return start


def _repo_path(path: str) -> Tuple[str, str]:
    """(the repository top, ``path`` relative to it)."""
    top = _git(["rev-parse", "--show-toplevel"], _existing_dir(path)).strip()
    return top, os.path.relpath(os.path.abspath(path), top)


def in_revision(path: str, rev: str) -> bool:
    """Whether ``path`` exists at ``rev`` of its repository: False outside
    a repository, and for the first commit's HEAD; LayoutError when
    ``rev`` is no revision of it."""
    check_git_rev(rev, "revision")
    try:
        top, rel = _repo_path(path)
    except LayoutError:
        return False  # not in a git repository: nothing to compare with
    if not is_rev(rev, top):
        try:
            _git(["rev-parse", "--verify", "--quiet", "HEAD"], top)
        except LayoutError:
            if rev == "HEAD":
                return False  # the first commit of a repository
        raise LayoutError(f"baseline {rev!r} is not a revision of this repository")
    try:
        _git(["cat-file", "-e", "--end-of-options", f"{rev}:{rel}"], top)
    except LayoutError:
        return False
    return True


def unstaged(path: str, among: Iterable[str]) -> List[str]:
    """The files of ``among`` in ``path``'s repository that ``git commit``
    would not take as the working tree has them: changed and not staged,
    or not in the index at all (untracked, and not ignored: a generated
    header a build leaves is no part of a commit); paths from the current
    folder, none outside a repository.  Only those files are looked at
    (a kernel tree's whole working tree takes git a while)."""
    try:
        top = os.path.realpath(_git(["rev-parse", "--show-toplevel"], _existing_dir(path)).strip())
    except LayoutError:
        return []
    inside: Dict[str, None] = {}
    for name in among:
        for form in (os.path.abspath(name), os.path.realpath(name)):
            if form.startswith(top + os.sep):
                inside.setdefault(os.path.relpath(form, top), None)
    names: Dict[str, None] = {}
    paths = sorted(inside)
    for i in range(0, len(paths), 500):
        # (as literal paths, after '--': a file's name is never an option
        # nor a pattern)
        part = ["--"] + paths[i:i + 500]
        try:
            out = _git_bytes(["--literal-pathspecs", "diff", "--name-only", "-z", "--no-ext-diff",
                              "--no-textconv", "--ignore-submodules"] + part, top)
            out += b"\0" + _git_bytes(["--literal-pathspecs", "ls-files", "-z", "--others",
                                        "--exclude-standard"] + part, top)
        except LayoutError:
            return []
        names.update((n.decode("utf-8", errors="surrogateescape"), None)
                     for n in out.split(b"\0") if n)
    return [os.path.relpath(os.path.join(top, n)) for n in names]
