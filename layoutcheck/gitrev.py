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
from typing import List, Optional, Tuple

from .errors import LayoutError
from .safety import check_git_rev

# What a header may include, copied when a revision's tree is read.
HEADER_SUFFIXES = (".h", ".hh", ".hpp", ".hxx", ".inc", ".def", ".toml")


def _git(args: List[str], cwd: str) -> str:
    try:
        proc = subprocess.run(["git"] + args, cwd=cwd, capture_output=True, text=True,
                              errors="surrogateescape", stdin=subprocess.DEVNULL, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LayoutError(f"git {' '.join(args)}: {exc}") from None
    if proc.returncode != 0:
        raise LayoutError(f"git {' '.join(args)}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout


def is_rev(rev: str, cwd: str) -> bool:
    """Whether ``rev`` names a commit in the repository at ``cwd``."""
    try:
        check_git_rev(rev)
    except LayoutError:
        return False
    proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options",
                           f"{rev}^{{commit}}"],
                          cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return proc.returncode == 0


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
        listing = _git(["ls-tree", "-r", "--name-only", "--end-of-options", rev], top).splitlines()
        if rel not in listing:
            raise LayoutError(f"{path} does not exist at {rev}")
        wanted = [f for f in listing if f.endswith(HEADER_SUFFIXES) or f == rel]
        root = self._dest("tree-", rev)
        if not os.path.isdir(root):
            self._archive(rev, top, wanted, root)
        return os.path.join(root, rel), top, root

    def _dest(self, kind: str, rev: str) -> str:
        return os.path.join(self.tmp, kind + rev.replace("/", "_").replace("~", "_").replace("^", "_"))

    def _archive(self, rev: str, top: str, files: List[str], dest: str) -> None:
        """``files`` of the repository at ``rev`` into ``dest``: one ``git
        archive``, unpacked with tarfile's ``data`` filter (no absolute
        paths, links out or devices)."""
        import io
        import tarfile

        proc = subprocess.run(["git", "archive", "--format=tar", "--end-of-options", rev]
                              + [f":(literal){f}" for f in files],
                              cwd=top, capture_output=True, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise LayoutError(f"git archive {rev}: {proc.stderr.decode(errors='replace').strip()}")
        os.makedirs(dest, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
            # regular files and directories only: a link at that revision
            # (to /etc/passwd, or out of the tree) is not followed or made
            members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
            tar.extractall(dest, members=members, filter="data")

    def _extract(self, rev: str, path: str) -> str:
        """Write the header's directory at ``rev``, with the headers and
        rules files of its subdirectories (``#include "include/x.h"``), into
        the temporary tree."""
        check_git_rev(rev)
        top, rel = _repo_path(path)
        rel_dir = os.path.dirname(rel)
        listing = _git(["ls-tree", "-r", "--name-only", "--end-of-options", rev, "--",
                        rel_dir or "."], top).splitlines()
        if rel not in listing:
            raise LayoutError(f"{path} does not exist at {rev}")
        prefix = f"{rel_dir}/" if rel_dir else ""
        wanted = [f for f in listing
                  if "/" not in f[len(prefix):] or f.endswith((".h", ".toml"))]
        dest_root = self._dest("", rev)
        self._archive(rev, top, wanted, dest_root)
        return os.path.join(dest_root, rel)


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
