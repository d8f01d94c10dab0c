"""Preprocessor runs kept on disk, used again only while their inputs hold.

A preprocessed text depends on the command line (compiler, flags, macros,
search path), the environment variables GCC reads, the working directory,
the input, every file the run read, and every file that would have been
read instead had it existed (a header added to an earlier directory of the
search path shadows the one found before).  An entry records:

* a key: a digest of the command line, the compiler's binary (path, size,
  modification time), those variables, the working directory, the input
  text when it came on standard input, and layoutcheck's own code;
* the files read (every file named in the text's line markers, every
  file the command line names, and every file an include in them could
  name: GCC 12 passes over a copy of a '#pragma once' file of the same
  size, second and bytes without a line marker), each with its size,
  times and inode, and a digest of its content: a file whose size or
  modification time changed is a miss (it may now be a copy, or no longer
  one), one whose other status changed is read and its digest compared;
* the directories whose entries decide what an ``#include`` would find:
  the directory of each file read, and, for each name an ``#include`` (or ``#import``) or
  ``__has_include`` of those files asks for, its directory under each
  directory of the search path and under the including file's directory
  (for ``"..."``).  Their modification and change times change when an
  entry is added, removed or renamed in them (the change time also when
  the modification time is set back, as tar and ``touch -r`` do);
* the text (stored once per content, by digest) and what the run found
  about its own text (macros consulted, files read, hazard).

Include names are read from the files as GCC's lexer reads them (line
ends, splices, comments, a NUL, a byte order mark).  A text is not kept
when its files ask for a name not known here: an ``#include`` or
``__has_include`` whose operand is no plain "..." or <...> (a macro), a
``-D`` macro that asks ``__has_include``, a link in a watched directory
that leads to no regular file under a name asked for (GCC passes over it,
and finds it once a file stands there, and no watched directory changes),
a search directory under the compiler's sysroot (``-I =dir``), a file
name that is not UTF-8.  One hole is left: a ``__has_include`` made by
pasting tokens in an ``#if`` (``CAT(__has_,include)``), which no file
spells; its answer is not watched.  A file modified less than two
seconds before the entry was written has no status recorded (its content
is compared each time): a later edit in the same clock tick, keeping size
and times, could not be told from it otherwise.

An entry records the files as they are when it is written, which for the
runs of a header read for several ABIs is once all its runs are made
(``write_pending``): it is not written when a file, a watched directory
or a link on the way to a file or a search directory changed since its
run started (within two seconds of it where the file system keeps whole
seconds).

Entries live under the cache directory of ``cache.py`` (``pp/`` and
``text/``); deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import time
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from .. import cache
from .preprocess import _SPLICE_BYTES  # (the reading the sharing hazards also make)

# What GCC reads from the environment that can change a preprocessed text.
ENVIRONMENT = ("CPATH", "C_INCLUDE_PATH", "OBJC_INCLUDE_PATH", "GCC_EXEC_PREFIX", "COMPILER_PATH",
               "SOURCE_DATE_EPOCH", "DEPENDENCIES_OUTPUT", "SUNPRO_DEPENDENCIES",
               "LANG", "LC_ALL", "LC_CTYPE", "GCC_COMPARE_DEBUG")
_SEARCH_OPTIONS = ("-I", "-iquote", "-isystem", "-idirafter")
_UNFOLLOWED = ("-iprefix", "-iwithprefix", "-isysroot", "--sysroot", "-imultilib", "-B")
_FILE_OPTIONS = ("-include", "-imacros")
# GCC's blanks inside a directive (a form feed and a vertical tab too).
_BLANK = rb"[ \t\f\v]"
# The bytes of a file as GCC's lexer sees them (_cleaned): line ends (CR LF,
# or a lone CR), splices (a backslash, blanks GCC warns of, a line end),
# and comments (one blank each), found among string and character literals
# (which stay: a '/*' inside one opens no comment).
_LINE_ENDS = re.compile(rb"\r\n?")
_LEXED = re.compile(rb'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?(?:\*/|\Z)|//[^\n]*', re.S)
# The directive words whose operand names a file; where one stands first
# on its line after '#' (or '%:'), its operand must be a plain "..." or
# <...>, else the text is not kept (a macro, a stray token).
_INCLUDE_WORD = re.compile(rb"include(?:_next)?|import")  # a word: see _word_at
_INCLUDE_NAME = re.compile(_BLANK + rb'*(?:"([^"\n]*)"|<([^>\n]*)>)')
# A __has_include: a call with a plain name, or a test of the word itself
# (defined, #ifdef); any other use (through a macro) makes the text one
# not kept.
_HAS_WORD = re.compile(rb"__has_include(?:_next)?")
_HAS_OPERAND = re.compile(_BLANK + rb"*\(" + _INCLUDE_NAME.pattern)
_HAS_TESTED_BEFORE = re.compile(rb"(?:(?<![\w$\x80-\xff])defined" + _BLANK + rb"*\(?|#" + _BLANK
                                + rb"*ifn?def" + _BLANK + rb"+)" + _BLANK + rb"*\Z")
# Names in line markers that are no file.
_NO_FILE = ("<built-in>", "<command-line>", "<stdin>")
_FRESH_SECONDS = 2.0
# A file or directory changed this close to (or after) the start of a run
# may have changed while the preprocessor read it: the run is not kept.
_DURING_RUN_NS = 20_000_000
# On a file system that keeps whole seconds (its change times are whole
# seconds: no process can set a change time), a change made just after the
# run started may carry an earlier second: the window is then this wide.
_COARSE_NS = 2_000_000_000


def _changed_since(st: os.stat_result, recent_ns: int) -> bool:
    """Whether ``st`` (a file's, a directory's or a link's own status) says
    it changed at or after ``recent_ns``, or may have where time is kept in
    whole seconds."""
    return _changed_at(max(st.st_mtime_ns, st.st_ctime_ns), st.st_ctime_ns, recent_ns)


def _changed_at(changed_ns: int, ctime_ns: int, recent_ns: int) -> bool:
    """``_changed_since`` of a change time, ``ctime_ns`` telling whether the
    file system keeps whole seconds."""
    if ctime_ns % 1_000_000_000 == 0:
        recent_ns -= _COARSE_NS
    return changed_ns >= recent_ns
# The line marker of a file entered (flag 1), and the text's first one.
_ENTERED = re.compile(r'\n# \d+ "((?:[^"\\\n]|\\.)*)" 1')
_FIRST = re.compile(r'#(?:line)? *\d+ +"((?:[^"\\\n]|\\.)*)"')


def entered_files(text: str) -> List[str]:
    """The files a preprocessed text entered, from its line markers (the
    first one, and every one with flag 1): much cheaper than reading every
    marker."""
    first = _FIRST.match(text)
    names = ([first.group(1)] if first else []) + _ENTERED.findall(text)
    return list(dict.fromkeys(n.replace('\\"', '"').replace("\\\\", "\\") for n in names))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _signature(st: os.stat_result) -> List[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _dir_stamp(path: str) -> Optional[List[int]]:
    """What tells a directory's entries changed: its modification time, and
    which directory it is (a retargeted link); [-1] for a non-directory,
    None when absent."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return [-1]
    # (ctime too: an entry added, then the folder's mtime set back, as tar
    # and touch -r do)
    return [max(st.st_mtime_ns, st.st_ctime_ns), st.st_mtime_ns, st.st_ino, st.st_dev]


@lru_cache(maxsize=None)
def _driver(name: str) -> Optional[Tuple[str, int, int]]:
    """The compiler binary a name runs: (real path, size, modification
    time); once per process."""
    try:
        real = os.path.realpath(shutil.which(name) or name)
        st = os.stat(real)
    except OSError:
        return None
    return real, st.st_size, st.st_mtime_ns


def run_key(argv: Sequence[str], input_text: Optional[str], filename: str = "") -> Optional[str]:
    """The key of one preprocessor run, or None when there is no cache."""
    if cache.cache_dir(create=False) is None and cache.cache_dir() is None:
        return None
    driver = _driver(argv[0])
    if driver is None:
        return None
    ident = {
        "code": cache.code_version(),
        "argv": list(argv),
        "driver": driver,
        "env": {k: os.environ.get(k) for k in ENVIRONMENT},
        "cwd": os.getcwd(),
        "filename": filename,
        "input": _digest(input_text.encode("utf-8", "surrogatepass")) if input_text is not None else None,
    }
    return _digest(json.dumps(ident, sort_keys=True).encode())


def search_dirs(argv: Sequence[str], system_dirs: Iterable[str]) -> Optional[List[str]]:
    """Every directory of the ``#include`` search path a command line (and
    CPATH, C_INCLUDE_PATH) sets, or None when it sets one in a way not
    followed here (a sysroot or prefix)."""
    out: List[str] = []
    args = list(argv)
    for i, arg in enumerate(args):
        if arg.startswith(_UNFOLLOWED):
            return None
        for opt in _SEARCH_OPTIONS:
            if arg == opt and i + 1 < len(args):
                out.append(args[i + 1])
                break
            if arg.startswith(opt) and len(arg) > len(opt):
                out.append(arg[len(opt):])
                break
    if any(d.startswith(("=", "$SYSROOT")) for d in out):
        return None  # a folder under the compiler's sysroot
    for var in ("CPATH", "C_INCLUDE_PATH"):
        value = os.environ.get(var)
        if value is not None:
            out.extend(part or "." for part in value.split(os.pathsep))
    if "-nostdinc" not in args:
        out.extend(system_dirs)
    return list(dict.fromkeys(out))


def _named_files(argv: Sequence[str]) -> List[str]:
    args = list(argv)
    out = [args[i + 1] for i, a in enumerate(args[:-1]) if a in _FILE_OPTIONS]
    if args and args[-1] != "-":
        out.append(args[-1])
    return out


class _Manifest:
    """What an entry depends on, gathered when it is written."""

    def __init__(self) -> None:
        self.files: List[list] = []
        self.dirs: Set[str] = set()


# What a file's content asks for (_include_names), by the content's
# digest: a header shared by many runs (every ABI's copy of linux/types.h
# has the same bytes) is looked through once per process.
_LOOKED: Dict[str, Optional[Tuple[Tuple[str, str], ...]]] = {}


def _word_at(data: bytes, m) -> bool:
    """Whether a match stands alone, not inside a longer identifier (a
    byte of a UTF-8 letter or a '$' is part of one).  (Checked here: a
    regular expression that starts with a look-behind is searched for
    ten times slower.)"""
    start, end = m.start(), m.end()
    return not ((start and (data[start - 1:start].isalnum() or data[start - 1] in b"_$"
                            or data[start - 1] >= 0x80))
                or (end < len(data) and (data[end:end + 1].isalnum() or data[end] in b"_$"
                                         or data[end] >= 0x80)))


def _uncomment(m) -> bytes:
    text = m.group()
    return text if text[:1] in b"\"'" else b" "


def _cleaned(data: bytes) -> bytes:
    """``data`` as GCC's lexer reads it: a UTF-8 byte order mark at the
    start passed over, a NUL a blank (GCC warns and ignores it), line ends
    made LF, splices joined, and each comment one blank."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\0" in data:
        data = data.replace(b"\0", b" ")
    if b"\r" in data:
        data = _LINE_ENDS.sub(b"\n", data)
    if b"\\" in data:
        data = _SPLICE_BYTES.sub(b"", data)
    if b"/" in data or b"'" in data or b'"' in data:
        data = _LEXED.sub(_uncomment, data)
    return data


def _include_names(data: bytes) -> Optional[Tuple[Tuple[str, str], ...]]:
    """The (form, name) of every include a file (or the input text) asks
    for, ``#include`` then ``__has_include`` (form '"' or '<'); None when
    it asks in a way whose name is not known here (a computed
    ``#include``, a ``__has_include`` through a macro).  The bytes are read
    as GCC's lexer reads them (``_cleaned``); a directive is a line whose
    first token is '#' (or '%:') and whose next is the word, and its
    operand must be a plain "..." or <...>.  A name written as an include
    elsewhere (in a string) only adds a directory to watch."""
    data = _cleaned(data)
    found: List[Tuple[str, str]] = []
    for m in _INCLUDE_WORD.finditer(data):
        if not _word_at(data, m):
            continue
        start = m.start()
        lead = data[data.rfind(b"\n", 0, start) + 1:start].strip(b" \t\f\v")
        name = _INCLUDE_NAME.match(data, m.end())
        if lead in (b"#", b"%:") and name is None:
            return None  # a computed or malformed include: its name is not known
        if name is not None:
            quoted, angled = name.group(1), name.group(2)
            found.append(('"', quoted.decode("utf-8", "surrogateescape")) if quoted is not None
                         else ("<", angled.decode("utf-8", "surrogateescape")))
    for m in _HAS_WORD.finditer(data):
        if not _word_at(data, m):
            continue
        call = _HAS_OPERAND.match(data, m.end())
        if call is not None:
            quoted, angled = call.group(1), call.group(2)
            text = quoted if quoted is not None else angled  # blanks in it are GCC's too
            found.append(('"' if quoted is not None else "<", text.decode("utf-8", "surrogateescape")))
        elif not _HAS_TESTED_BEFORE.search(data, max(0, m.start() - 40), m.start()):
            return None  # asked through a macro
    return tuple(found)


def _names(data: bytes, here: str, angle: Set[str], quoted: Set[Tuple[str, str]],
           literal: List[Tuple[str, str, str]], digest: Optional[str] = None) -> bool:
    """Collect the include names a file (or the input text) asks for;
    False when it asks in a way whose name is not known here.  ``digest``,
    the content's, lets a content already looked through be used again."""
    if digest is None:
        names = _include_names(data)
    else:
        if digest not in _LOOKED:
            _LOOKED[digest] = _include_names(data)
        names = _LOOKED[digest]
    if names is None:
        return False
    for form, text in names:
        angle.add(os.path.dirname(text))
        if form == '"':
            quoted.add((here, os.path.dirname(text)))
        literal.append((form, text, here))
    return True


def _under(base: str, part: str) -> str:
    joined = os.path.join(base, part)
    # ".." after a link (in the name, or in the folder: -I lnk/../inc) is
    # resolved by the file system, not by the name
    return os.path.realpath(joined) if ".." in joined.split("/") else os.path.normpath(joined)


def _odd_links(dirs: Iterable[str]) -> Set[str]:
    """The names of the links in ``dirs`` that lead to no regular file:
    GCC passes over one as absent (nothing there, or a folder), and finds
    it once a file stands where it leads, which changes no folder watched."""
    out: Set[str] = set()
    for d in dirs:
        try:
            with os.scandir(d) as entries:
                for entry in entries:
                    if entry.is_symlink() and not os.path.isfile(entry.path):
                        out.add(entry.name)
        except OSError:
            continue
    return out


def _gather(files: Sequence[str], argv: Sequence[str], dirs: Sequence[str],
            input_text: Optional[str], started_ns: int) -> Optional[_Manifest]:
    man = _Manifest()
    now = time.time()
    recent_ns = started_ns - _DURING_RUN_NS
    seen: Set[str] = set()
    angle: Set[str] = set()  # directory parts of <...> names (and of the names files were found by)
    quoted: Set[Tuple[str, str]] = set()  # (including file's directory, directory part of "...")
    literal: List[Tuple[str, str, str]] = []
    prefixes = [d.rstrip("/") + "/" for d in dirs]
    if any(a.startswith("-D") and "__has_" in a for a in argv):
        return None  # a macro of the command line that asks __has_include: what, unknown here
    if input_text is not None:  # on standard input: "..." is looked for in the working directory
        data = input_text.encode("utf-8", "surrogateescape")
        if not _names(data, ".", angle, quoted, literal):
            return None
        man.dirs.add(".")
    for path in list(_named_files(argv)) + list(files):
        if path in seen or path in _NO_FILE or path.endswith("//"):
            continue  # "/cwd//" is the directory marker of -g
        if "\ufffd" in path:
            return None  # a name that is not UTF-8, as read from GCC's text: not the file's
        seen.add(path)
        read = _record(man, path, now, recent_ns)
        if read is None:
            return None
        here = os.path.dirname(path) or "."
        man.dirs.add(here)
        if not _names(read, here, angle, quoted, literal, man.files[-1][2]):
            return None
        # the name it was found by, whatever form the include took
        for prefix in prefixes:
            if path.startswith(prefix):
                angle.add(os.path.dirname(path[len(prefix):]))
    for part in angle:
        for base in dirs:
            man.dirs.add(_under(base, part))
    for here, part in quoted:
        man.dirs.add(_under(here, part))
    man.dirs.update(dirs)
    odd = _odd_links(man.dirs)
    if odd and any(os.path.basename(name) in odd for _form, name, _here in literal):
        return None
    # GCC 12 passes over a file whose size, modification second and bytes
    # equal those of a '#pragma once' file already read, without entering
    # it; the pragma may be made by a macro, even one of the command line,
    # so it is not looked for: every file an include could name is kept,
    # and a file whose size or time changed is a miss even with the same
    # bytes.
    tried: Set[str] = set()
    asked = dict.fromkeys((name, here if form == '"' else None) for form, name, here in literal)
    for name, beside in asked:
        for base in ([beside] if beside is not None else []) + list(dirs):
            cand = _under(base, name)
            if cand in tried:
                continue
            tried.add(cand)
            if cand in seen or not os.path.isfile(cand):
                continue
            seen.add(cand)
            if _record(man, cand, now, recent_ns) is None:
                return None
    if _links_changed([f[0] for f in man.files] + list(dirs), recent_ns):
        return None
    return man


def _links_changed(paths: Iterable[str], recent_ns: int) -> bool:
    """Whether a symbolic link on the way to any of ``paths`` (a folder of
    the search path made a link to another, a link to a header) changed
    since ``recent_ns``: what the entry records of the files is then what
    they are now, not what the run read (the link retargeted since)."""
    looked: Set[str] = set()  # each with the folders above it
    for path in paths:
        at = os.path.abspath(path)
        while at not in looked:
            looked.add(at)
            try:
                st = os.lstat(at)
            except OSError:
                st = None  # absent: what the entry says of it is checked when it is used
            if st is not None and stat.S_ISLNK(st.st_mode) and _changed_since(st, recent_ns):
                return True
            parent = os.path.dirname(at)
            if parent == at:
                break
            at = parent
    return False


def _record(man: _Manifest, path: str, now: float, recent_ns: int) -> Optional[bytes]:
    """Record one file the entry depends on (its status, unless it changed
    in the last seconds, and its digest); its bytes, or None when the entry
    is not to be kept: the file is gone, no regular file (a device or a
    FIFO), or changed while the preprocessor ran."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            data = fh.read()
    except OSError:
        return None
    if _changed_since(st, recent_ns):
        return None
    changed = max(st.st_mtime_ns, st.st_ctime_ns)
    fresh = changed / 1e9 > now - _FRESH_SECONDS
    man.files.append([path, None if fresh else _signature(st), _digest(data),
                      [st.st_size, st.st_mtime_ns]])
    return data


def lookup(key: Optional[str], rerun) -> Optional[dict]:
    """The stored run for ``key`` if every input it recorded still holds:
    a dict with ``digest``, ``used``, ``read`` (files), ``hazard`` and
    ``load``, which reads the text (checked against its digest; a text
    found damaged is dropped and made again by ``rerun()``)."""
    if key is None:
        return None
    lines = cache.read_checked("pp", key)
    if not lines:
        return None
    try:
        entry = json.loads(lines[0])
        for path, sig, digest, times in entry["files"]:
            try:
                st = os.stat(path)
            except OSError:
                return None
            if not stat.S_ISREG(st.st_mode):
                return None
            if times != [st.st_size, st.st_mtime_ns]:
                return None  # (#pragma once: a copy of the same second is passed over)
            if sig is not None and _signature(st) == sig:
                continue
            with open(path, "rb") as fh:
                if _digest(fh.read()) != digest:
                    return None
        for path, stamp in entry["dirs"]:
            if _dir_stamp(path) != stamp:
                return None
        digest = entry["digest"]
        if not cache.has_blob("text", digest):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None

    def load() -> str:
        data = cache.read_blob("text", digest)
        if data is not None and _digest(data) == digest:
            return data.decode("utf-8", "surrogatepass")
        cache.drop_blob("text", digest)
        cache.drop_blob("pp", key)
        text = rerun()
        if text_digest(text) != digest:
            from ..errors import LayoutError

            raise LayoutError("a header changed while it was read; run again")
        return text

    entry["load"] = load
    return entry


def store(key: Optional[str], argv: Sequence[str], system_dirs: Iterable[str], text: str,
          used: Iterable[str], files: Sequence[str], hazard: Optional[str],
          input_text: Optional[str], started_ns: int, chars: Optional[str] = None) -> Optional[str]:
    """Keep one run (errors are ignored: a cache that cannot be written is
    no cache).  ``files``: what the run reports it read, kept with the
    entry; what the entry depends on is taken from the text (and from
    ``input_text``, the input when it came on standard input).
    ``started_ns``: when the run started (``time.time_ns()``): a run whose
    inputs changed after that is not kept.  Returns the text's digest, or
    None when there is no cache."""
    if key is None:
        return None
    data = text.encode("utf-8", "surrogatepass")
    digest = _digest(data)
    dirs = search_dirs(argv, system_dirs)
    if dirs is None:
        return digest
    man = _gather(entered_files(text), argv, dirs, input_text, started_ns)
    if man is None:
        return digest
    stamps = [(d, _dir_stamp(d)) for d in sorted(man.dirs)]
    # (a stamp's first time is the later of its modification and change times)
    if any(stamp is not None and _changed_at(stamp[0], stamp[0], started_ns - _DURING_RUN_NS)
           for _d, stamp in stamps):
        return digest  # a directory changed while the preprocessor ran
    entry = {
        "files": man.files,
        "dirs": [[d, stamp] for d, stamp in stamps],
        "digest": digest,
        "size": len(text),
        "used": sorted(used),
        "read": list(files),
        "hazard": hazard,
        "chars": chars,
    }
    cache.write_blob("text", digest, data)
    cache.write_checked("pp", key, [json.dumps(entry)])
    return digest


def write_pending(entries: List[tuple]) -> None:
    """Write the entries (``store``'s arguments) of runs a header's reading
    made for several ABIs, once all its runs are made: in a second process
    while this one goes on, where a command allows it (``workers.aside``),
    else here.  Each is checked as ``store`` checks it when written: a
    file or link changed since its run started is never recorded as what
    the run read.  ``entries`` is emptied."""
    from .. import workers

    jobs = list(entries)
    entries.clear()
    if not jobs:
        return

    def write() -> None:
        for job in jobs:
            store(*job)

    if not workers.aside(write):
        write()


def store_aside(key: Optional[str], argv: Sequence[str], text: str, input_text: Optional[str],
                started_ns: int) -> Optional[str]:
    """``store`` of a lone text (no macros or files reported): its digest
    now, the entry (what reading the files the text entered takes, 40 ms
    for a kernel tree's headers) written by a second process while this
    one goes on, where a command allows it (``workers.aside``)."""
    from .. import workers

    if key is None:
        return None

    def write() -> Optional[str]:
        return store(key, argv, (), text, (), (), None, input_text, started_ns)

    if len(text) >= workers.BIG_TEXT and workers.aside(write):
        return text_digest(text)
    return write()


def text_digest(text: str) -> str:
    return _digest(text.encode("utf-8", "surrogatepass"))
