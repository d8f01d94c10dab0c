"""Preprocessing: C text plus -D/-U/-I, as each ABI's GCC would see it.

Each ABI is preprocessed the way its GCC compiles: its predefined macros
(``__x86_64__``, ``__SIZEOF_LONG__``, ``__BYTE_ORDER__`` ...), its include
search path, and freestanding (``-ffreestanding``: GCC's own ``stdint.h``
needs no C library, so a cross compiler without a cross libc still gets
every ABI's ``uint64_t`` right).  When the ABI's GCC is installed it is the
preprocessor, so ``__has_builtin`` and ``__has_attribute`` get that target's
answers; without it the host ``cpp`` stands in, with the ABI's macros read
from its GCC into ``data/macros/<abi>.h`` and ``-undef``.

Most headers come out the same for many ABIs, and parsing is the expensive
step, so ``preprocess_for_abis`` shares one preprocessed text between ABIs
when it can prove the text would come out the same for them:

* every macro the text consulted (``-dU``) has the same value for both;
* no file read asks the preprocessor a question whose answer may depend on
  the target or the search path (``__has_include``, ``__has_builtin``,
  ``__has_attribute`` ... ``__COUNTER__``, ``__INCLUDE_LEVEL__``, the time);
* every file read from a system include directory would be found in the
  same place (the two ABIs search the same directories).

Otherwise each ABI is preprocessed on its own.  ``--pp-abi`` (one
preprocessing stands for every ABI) is accepted only under the same proof;
it fails naming the macro or file that differs.

Three engines, chosen by ``mode``:

* ``system``: the ABI's GCC, or the host's ``cpp`` (``-dU`` reports the
  macros consulted);
* ``python``: pcpp, pure Python, for machines without a C compiler;
* ``none``: no preprocessing, only comments removed; ``auto`` uses it when
  the text has no directives and no macro names in it.

``auto`` (the default) picks ``none`` when it can; else a plain header
(``plaincpp``: simple macros, integer ``#if``, quoted includes beside
their includer) is read in this process for every ABI, exactly as GCC
would; else ``system`` when a ``cpp`` is installed, else ``python``.

Every macro name and value, from any source, passes ``safety.check_macro``
before it reaches a preprocessor; paths are passed so that none can read as
an option; preprocessors run with no standard input and a time limit.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from functools import lru_cache
from typing import (TYPE_CHECKING, Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set,
                    Tuple)

if TYPE_CHECKING:
    import subprocess

from ..abi import ABI, DATA_DIR
from ..errors import LayoutError, first_error_line
from ..plain import FRESH, Frozen, PlainEq
from ..safety import check_macro, check_macro_name, path_arg

MODES = ("auto", "system", "python", "none")

# Seconds a preprocessor may run before the input counts as unreadable.
PREPROCESS_TIMEOUT = 30
# What the pure-Python preprocessor reads at most: in one file (it tokenizes
# a whole file first, about 5 s and 200 MB a MiB) and in all.
PCPP_MAX_FILE_BYTES = 1 << 20
PCPP_MAX_BYTES = 16 << 20

# Macros that `cpp -undef` still predefines; the ABI files must not repeat
# them or cpp warns about redefinitions.
_CPP_BUILTINS = {"__STDC__", "__STDC_VERSION__", "__STDC_HOSTED__",
                 "__STDC_UTF_16__", "__STDC_UTF_32__"}


class PPConfig(Frozen):
    """The user's preprocessing options (same for every ABI), validated."""

    defines: Tuple[Tuple[str, str], ...] = ()
    undefs: Tuple[str, ...] = ()
    include_dirs: Tuple[str, ...] = ()
    mode: str = "auto"
    # A configured kernel tree's reading (--kernel; see kernel.py), else
    # None: kbuild's search path ((option, directory) pairs) in place of
    # the ABI's and of -ffreestanding, and before the user's -D/-U the
    # tree's flags, macros (-DNAME=VALUE, '' defined empty) and forced
    # includes.  Only the ABI's own GCC understands the flags.
    search_path: Optional[Tuple[Tuple[str, str], ...]] = None
    forced_includes: Tuple[str, ...] = ()
    base_defines: Tuple[Tuple[str, str], ...] = ()
    base_undefs: Tuple[str, ...] = ()
    extra_flags: Tuple[str, ...] = ()
    compiler_include: bool = False  # kbuild's -isystem $(CC -print-file-name=include)
    # -I directories for some ABIs only, after the others: (ABI name,
    # directories), by name (Debian's cross headers for gcc -m32, which
    # does not search them)
    abi_include_dirs: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()

    _fields = ("defines", "undefs", "include_dirs", "mode", "search_path", "forced_includes", "base_defines",
               "base_undefs", "extra_flags", "compiler_include", "abi_include_dirs")

    def __init__(self, defines: Tuple[Tuple[str, str], ...] = (), undefs: Tuple[str, ...] = (),
                 include_dirs: Tuple[str, ...] = (), mode: str = "auto",
                 search_path: Optional[Tuple[Tuple[str, str], ...]] = None, forced_includes: Tuple[str, ...] = (),
                 base_defines: Tuple[Tuple[str, str], ...] = (), base_undefs: Tuple[str, ...] = (),
                 extra_flags: Tuple[str, ...] = (), compiler_include: bool = False,
                 abi_include_dirs: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()) -> None:
        object.__setattr__(self, "defines", defines)
        object.__setattr__(self, "undefs", undefs)
        object.__setattr__(self, "include_dirs", include_dirs)
        object.__setattr__(self, "mode", mode)
        object.__setattr__(self, "search_path", search_path)
        object.__setattr__(self, "forced_includes", forced_includes)
        object.__setattr__(self, "base_defines", base_defines)
        object.__setattr__(self, "base_undefs", base_undefs)
        object.__setattr__(self, "extra_flags", extra_flags)
        object.__setattr__(self, "compiler_include", compiler_include)
        object.__setattr__(self, "abi_include_dirs", abi_include_dirs)

    def include_dirs_for(self, abi_name: str) -> Tuple[str, ...]:
        """The -I directories of ``abi_name``'s reading: everyone's, then its own."""
        for name, dirs in self.abi_include_dirs:
            if name == abi_name:
                return self.include_dirs + dirs
        return self.include_dirs

    @staticmethod
    def make(defines: Optional[Mapping[str, object]] = None, undefs: Iterable[str] = (),
             include_dirs: Iterable[str] = (), mode: str = "auto",
             origin: str = "defines", kernel=None,
             abi_include_dirs: Optional[Mapping[str, Iterable[str]]] = None) -> "PPConfig":
        if mode not in MODES:
            raise LayoutError(f"unknown preprocessor mode {mode!r}; use one of {', '.join(MODES)}")
        if kernel is not None:
            if abi_include_dirs:
                raise LayoutError("--abi-include: a kernel tree is read with its own include path "
                                  "(for its one ABI: give -I)")
            return PPConfig.make(defines, undefs, include_dirs, mode, origin)._with_kernel(kernel)
        if defines is not None and not isinstance(defines, Mapping):
            raise LayoutError(f"{origin}: defines must be a mapping of macro name to value")
        items = tuple(sorted(check_macro(k, v, origin) for k, v in (defines or {}).items()))
        if isinstance(undefs, str):
            undefs = [undefs]
        names = tuple(check_macro_name(u, "undefine") for u in undefs)
        if isinstance(include_dirs, str):
            include_dirs = [include_dirs]
        dirs = []
        for d in include_dirs:
            if not isinstance(d, (str, os.PathLike)):
                raise LayoutError(f"include directory must be a path, not {type(d).__name__}")
            dirs.append(os.fspath(d))
        return PPConfig(items, names, tuple(dirs), mode,
                        abi_include_dirs=check_abi_include_dirs(abi_include_dirs))

    def _with_kernel(self, tree) -> "PPConfig":
        """This config reading headers as ``tree`` (a kernel.KernelTree)
        says kbuild does; its macros and flags are checked again here."""
        if self.mode in ("python", "none"):
            raise LayoutError(f"--kernel needs a real preprocessor (the ABI's GCC), not --cpp {self.mode}")
        origin = f"--kernel {tree.path}"
        flags = []
        for flag in tree.extra_flags:
            if not flag.startswith("-") or "\n" in flag or "\0" in flag:
                raise LayoutError(f"{origin}: refusing the flag {flag!r}")
            flags.append(flag)
        return PPConfig(self.defines, self.undefs, self.include_dirs, self.mode,
                        search_path=tuple((opt, os.fspath(d)) for opt, d in tree.include_dirs),
                        forced_includes=tuple(os.fspath(f) for f in tree.forced_includes),
                        base_defines=tuple(check_macro(k, v, origin) for k, v in tree.defines.items()),
                        base_undefs=tuple(check_macro_name(u, origin) for u in tree.undefs),
                        extra_flags=tuple(flags), compiler_include=bool(tree.compiler_include))


def check_abi_include_dirs(table: Optional[Mapping[str, Iterable[str]]],
                           origin: str = "abi_include_dirs (--abi-include)") -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    """Per-ABI -I directories (``{abi: [dir, ...]}``), each ABI a known
    name and each directory a path, in ABI-name order."""
    from ..abi import abi_names

    if not table:
        return ()
    if not isinstance(table, Mapping):
        raise LayoutError(f"{origin} must be a mapping of ABI name to directories")
    known = abi_names()
    out = []
    for name, dirs in table.items():
        if name not in known:
            raise LayoutError(f"{origin}: {name!r} is not an ABI (one of {', '.join(known)})")
        if isinstance(dirs, (str, os.PathLike)):
            dirs = [dirs]
        if not isinstance(dirs, (list, tuple)) or not dirs:
            raise LayoutError(f"{origin}: {name} must name a list of directories")
        paths = []
        for d in dirs:
            if not isinstance(d, (str, os.PathLike)) or not os.fspath(d) or "\0" in os.fspath(d) \
                    or "\n" in os.fspath(d):
                raise LayoutError(f"{origin}: {name}: {d!r} is not a directory name")
            paths.append(os.fspath(d))
        out.append((name, tuple(paths)))
    return tuple(sorted(out))


def check_abi_defines(abi_defines: Optional[Mapping[str, Mapping[str, object]]],
                      origin: str = "abi_defines") -> Dict[str, Dict[str, str]]:
    """Per-ABI macros (``{abi: {name: value}}``), each name and value checked."""
    out: Dict[str, Dict[str, str]] = {}
    for abi_name, macros in (abi_defines or {}).items():
        if not isinstance(macros, Mapping):
            raise LayoutError(f"{origin}: macros for {abi_name} must be a mapping")
        out[abi_name] = dict(check_macro(k, v, origin) for k, v in macros.items())
    return out


class Preprocessed:
    """One preprocessed text and the ABIs it is valid for.  A text kept in
    the cache (``ppcache``) is read from it only when asked for: a layout
    cache entry is found by its digest alone."""

    def __init__(self, text: Optional[str], abis: List[ABI], filename: str,
                 macros_used: frozenset = frozenset(), files: Tuple[str, ...] = (),
                 reader: object = None, digest: Optional[str] = None, load=None,
                 size: Optional[int] = None):
        self._text = text
        self._load = load  # () -> str, when text is None
        self._size = size  # the length of a text not read yet, when known
        self.abis = abis
        self.filename = filename
        self.macros_used = macros_used
        self.files = files  # files read, as named in the line markers
        self.reader = reader  # see _Run
        self.digest = digest
        self.reuse = False  # parse with parser._Reuse (other texts share its declarations)
        self.source = False  # the header as written (no preprocessor ran): see scan._Reading

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self._load()
        return self._text

    def size(self) -> int:
        """The text's length in characters, without reading a text kept in
        the cache (0 when it is not known: an entry that does not say)."""
        return len(self._text) if self._text is not None else (self._size or 0)

    def text_digest(self) -> str:
        """A digest of the text (what a layout cache entry is keyed by)."""
        if self.digest is None:
            from .ppcache import text_digest

            self.digest = text_digest(self.text)
        return self.digest

    def files_read(self) -> Tuple[str, ...]:
        """The files the text was read from, as its line markers name them
        (the header itself for a text no preprocessor wrote)."""
        if self.files:
            return self.files
        return (self.filename,) if self.source else _files_read(self.text)

    def parsed(self):
        """The text parsed (``parser.parse_c``): by the reader that followed
        the preprocessor, if one did, else now."""
        from .parser import parse_c

        reader, self.reader = self.reader, None
        if reader is not None:
            return reader.finish(self.text)
        return parse_c(self.text, self.filename, reuse=self.reuse, source=self.source)

    def __repr__(self) -> str:
        return f"<Preprocessed {self.filename} for {' '.join(a.name for a in self.abis)}>"


class _Run(PlainEq):
    """What one preprocessor run produced and what its output depended on."""

    text: Optional[str]  # None: kept in the cache, ``load()`` reads it
    used: FrozenSet[str]
    files: Tuple[str, ...]
    hazard: Optional[str]  # why this text may not stand for another ABI
    reader: object = None  # a parser.StreamReader fed the text, if one was
    digest: Optional[str] = None  # of the text, when known
    load: object = None
    size: Optional[int] = None  # characters of a text kept in the cache
    # where a directive holds a character constant, whose value in an #if
    # follows the target's char (or wchar_t) signedness (_questions)
    chars: Optional[str] = None
    # what why_not_shared worked out for this run (its macro values per ABI)
    memo: Dict[object, Any]

    _fields = ("text", "used", "files", "hazard", "reader", "digest", "load", "size", "chars", "memo")
    _hidden = ("memo",)
    _uncompared = ("memo",)

    def __init__(self, text: Optional[str], used: FrozenSet[str], files: Tuple[str, ...], hazard: Optional[str],
                 reader: object = None, digest: Optional[str] = None, load: object = None, size: Optional[int] = None,
                 chars: Optional[str] = None, memo: Dict[object, Any] = FRESH) -> None:
        self.text = text
        self.used = used
        self.files = files
        self.hazard = hazard
        self.reader = reader
        self.digest = digest
        self.load = load
        self.size = size
        self.chars = chars
        self.memo = {} if memo is FRESH else memo


@lru_cache(maxsize=None)
def abi_macros(abi_name: str) -> Dict[str, str]:
    """GCC's predefined macros for an ABI: name -> body (a copy of the
    table read once per process)."""
    return dict(_abi_macro_table(abi_name))


@lru_cache(maxsize=None)
def _abi_macro_table(abi_name: str) -> Dict[str, str]:
    out: Dict[str, str] = {}
    with open(os.path.join(DATA_DIR, "macros", f"{abi_name}.h")) as fh:
        for line in fh:
            if not line.startswith("#define "):
                continue
            rest = line[8:].rstrip("\n")
            name, _, body = rest.partition(" ")
            out[name] = body
    return out

@lru_cache(maxsize=None)
def _abi_define_flags(abi_name: str) -> Tuple[str, ...]:
    """The ABI's recorded macros as -D options, for the host cpp run with
    -undef: given before the user's -D and -U, as GCC's own predefined
    macros come before its command line (an -imacros file would come after
    them, and is a file another user could swap between its writing and
    its reading)."""
    return tuple(
        f"-D{name}={value}"  # "-DNAME=" defines NAME empty, "-DNAME" as 1
        for name, value in abi_macros(abi_name).items()
        if name not in _CPP_BUILTINS
    )


@lru_cache(maxsize=1)
def system_cpp() -> Optional[List[str]]:
    """The command of a system C preprocessor, or None."""
    for cand in ("cpp", "gcc", "cc", "clang"):
        path = shutil.which(cand)
        if path:
            return [path] if cand == "cpp" else [path, "-E"]
    return None


_DIRECTIVE = re.compile(r"^[ \t]*#", re.M)
# a backslash ending a line (GCC also takes one with blanks after it, and
# warns): the line goes on on the next one
_SPLICE = re.compile(r"\\[ \t\f\v]*\r?\n")
_INDENTED_DIRECTIVE = re.compile(r"^[ \t\f\v]+#", re.M)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _where_in(text: str, pos: int, filename: str) -> str:
    """'file:line:column' of the character at ``pos`` of ``text``."""
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"{filename}:{line}:{column}"


def strip_comments(text: str, filename: str = "<input>") -> str:
    """Remove C comments, keeping line numbers and string literals intact."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "*":
            end = text.find("*/", i + 2)
            if end < 0:
                raise LayoutError("unterminated comment", _where_in(text, i, filename))
            out.append(" " + "\n" * text.count("\n", i, end))
            i = end + 2
        elif c == "/" and i + 1 < n and text[i + 1] == "/":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            j = i
            while j < n and text[j] not in "/\"'":
                j += 1
            if j == i:
                out.append(c)
                j += 1
            else:
                out.append(text[i:j])
            i = j
    return "".join(out)


def needs_preprocessing(text: str, config: PPConfig, abis: Sequence[ABI]) -> bool:
    """True when the text has directives or names a macro that would expand.
    A '#' or its digraph '%:' anywhere once comments are blanks counts (a
    directive may follow a comment, a form feed, or be spelt '%:define';
    one in a string costs only a preprocessor run)."""
    if _DIRECTIVE.search(text) or _SPLICE.search(text) or "??" in text:
        return True
    try:
        stripped = strip_comments(text)
    except LayoutError:
        return True  # the preprocessor says where
    if "#" in stripped or "%:" in stripped:
        return True
    names = set(_IDENT.findall(stripped))
    if any(name in names for name, _ in config.defines):
        return True
    for abi in abis:
        if names.intersection(abi_macros(abi.name)):
            return True
    return False




def _compiler_available(abi: ABI) -> bool:
    return shutil.which(abi.oracle[0]) is not None


def _stream_tool(argv: List[str], input_text: Optional[str],
                 consume) -> Tuple["subprocess.CompletedProcess", bool]:
    """``_run_tool(argv, text=True, errors="replace")``, with the output
    given to ``consume(text_so_far)`` as it comes (every 256 KB), so that
    reading it overlaps the preprocessor's work.  ``consume`` raising
    LayoutError stops the calls, not the run; the second value says
    whether every call succeeded."""
    import codecs
    import locale
    import selectors
    import subprocess
    import threading
    import time

    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_tool_env())
    except OSError as exc:
        raise LayoutError(f"cannot run {argv[0]}: {exc.strerror}") from None
    try:  # room for the preprocessor to run ahead while the text is read
        import fcntl

        fcntl.fcntl(proc.stdout.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass
    errors: List[bytes] = []
    helpers = [threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)]
    if input_text is not None:
        def write() -> None:
            try:
                proc.stdin.write(input_text.encode(locale.getpreferredencoding(False), "replace"))
                proc.stdin.close()
            except OSError:
                pass
        helpers.append(threading.Thread(target=write, daemon=True))
    for helper in helpers:
        helper.start()
    decoder = io.IncrementalNewlineDecoder(
        codecs.getincrementaldecoder(locale.getpreferredencoding(False))("replace"), translate=True)
    deadline = time.monotonic() + PREPROCESS_TIMEOUT
    text, pending, pending_size = "", [], 0
    failed = False
    fd = proc.stdout.fileno()
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            if not sel.select(max(0.0, deadline - time.monotonic())):
                proc.kill()
                proc.wait()
                raise LayoutError(f"{os.path.basename(argv[0])} ran for more than {PREPROCESS_TIMEOUT} s "
                                  f"(does the input include a device, a FIFO or itself?)")
            data = os.read(fd, 1 << 20)
            if not data:
                break
            chunk = decoder.decode(data)
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size >= 256 * 1024:
                text += "".join(pending)
                pending, pending_size = [], 0
                if not failed:
                    try:
                        consume(text)
                    except LayoutError:
                        failed = True
    text += "".join(pending) + decoder.decode(b"", final=True)
    proc.stdout.close()
    returncode = proc.wait()
    for helper in helpers:
        helper.join()
    proc.stderr.close()
    if proc.stdin is not None and not proc.stdin.closed:
        proc.stdin.close()
    stderr = b"".join(errors).decode(locale.getpreferredencoding(False), "replace")
    stderr = stderr.replace("\r\n", "\n").replace("\r", "\n")
    return subprocess.CompletedProcess(argv, returncode, text, stderr), not failed


def _run_tool(argv: List[str], **kw) -> "subprocess.CompletedProcess":
    """A preprocessor or compiler: no standard input unless given, a time
    limit, and LayoutError (not a traceback) when it cannot run."""
    import subprocess

    if "input" not in kw:
        kw["stdin"] = subprocess.DEVNULL
    try:
        return subprocess.run(argv, capture_output=True, timeout=PREPROCESS_TIMEOUT,
                              env=_tool_env(), **kw)
    except subprocess.TimeoutExpired:
        raise LayoutError(f"{os.path.basename(argv[0])} ran for more than {PREPROCESS_TIMEOUT} s "
                          f"(does the input include a device, a FIFO or itself?)") from None
    except OSError as exc:
        raise LayoutError(f"cannot run {argv[0]}: {exc.strerror}") from None


@lru_cache(maxsize=None)
def _compiler_include_dir(abi_name: str) -> Optional[str]:
    """GCC's own header directory (stddef.h, stdint.h, ...) for an ABI."""
    from ..abi import get_abi

    abi = get_abi(abi_name)
    for cmd in (list(abi.oracle), ["gcc"], ["cpp"]):
        if shutil.which(cmd[0]) is None:
            continue
        try:
            out = _run_tool(cmd + ["-print-file-name=include"], text=True).stdout.strip()
        except LayoutError:
            continue
        if out and os.path.isdir(out):
            return out
    return None


_SEARCH_DIRS: Dict[str, Optional[Tuple[str, ...]]] = {}
_SEARCH_DIRS_LOCKS: Dict[str, Any] = {}  # a threading.Lock per ABI


def _gcc_search_dirs(abi_name: str) -> Optional[Tuple[str, ...]]:
    """The <...> search directories the ABI's own GCC uses, in order, or
    None when that GCC is not installed; asked once per process, however
    many threads preprocess for the ABI at the same time."""
    try:
        return _SEARCH_DIRS[abi_name]
    except KeyError:
        pass
    import threading

    with _SEARCH_DIRS_LOCKS.setdefault(abi_name, threading.Lock()):
        if abi_name not in _SEARCH_DIRS:
            _SEARCH_DIRS[abi_name] = _ask_search_dirs(abi_name)
    return _SEARCH_DIRS[abi_name]


def _ask_search_dirs(abi_name: str) -> Optional[Tuple[str, ...]]:
    from ..abi import get_abi

    from .. import cache

    abi = get_abi(abi_name)
    if not _compiler_available(abi):
        return None
    argv = list(abi.oracle) + ["-E", "-v", "-x", "c", "-o", os.devnull, os.devnull]
    # The answer depends on the driver and on which of the directories it
    # considers exist: a cached answer is used only while both still hold.
    driver = os.path.realpath(shutil.which(argv[0]) or argv[0])
    try:
        st = os.stat(driver)
    except OSError:
        return None
    # GCC's search path follows CPATH, C_INCLUDE_PATH, GCC_EXEC_PREFIX ...
    from .ppcache import ENVIRONMENT

    env = ";".join(f"{k}={os.environ[k]}" for k in ENVIRONMENT if k in os.environ)
    key, stamp = " ".join(argv) + (f" [{env}]" if env else ""), [driver, st.st_size, st.st_mtime_ns]
    entries = cache.load("gcc-search-dirs")
    entry = entries.get(key)
    if isinstance(entry, dict) and entry.get("driver") == stamp and _plain_dirs(entry.get("dirs")) \
            and isinstance(entry.get("checked"), dict) \
            and all(os.path.isdir(d) == bool(there) for d, there in entry["checked"].items()):
        return tuple(entry["dirs"]) or None
    proc = _run_tool(argv, text=True)
    dirs: List[str] = []
    checked: Dict[str, bool] = {}
    inside = False
    for line in proc.stderr.splitlines():
        if line.startswith("ignoring nonexistent directory "):
            checked[os.path.normpath(line.split(" ", 3)[3].strip().strip('"'))] = False
        elif line.startswith("#include <...> search starts here"):
            inside = True
        elif line.startswith("End of search list"):
            break
        elif inside and line.startswith(" "):
            dirs.append(os.path.normpath(line.strip()))
    checked.update((d, True) for d in dirs)
    if proc.returncode == 0 and _plain_dirs(dirs):
        cache.update("gcc-search-dirs", key, {"driver": stamp, "dirs": dirs, "checked": checked})
    return tuple(dirs) if dirs else None


def _plain_dirs(dirs) -> bool:
    """A list of absolute, normalized directory names that no command
    line could read as an option."""
    return isinstance(dirs, list) and all(
        isinstance(d, str) and d.startswith("/") and os.path.normpath(d) == d
        and "\n" not in d and "\0" not in d for d in dirs)


def system_include_dirs(abi: ABI) -> List[str]:
    """The directories searched for <...> when preprocessing for ``abi``.

    With the ABI's GCC installed, exactly the ones it searches.  Without it,
    Debian's layout: the compiler's own headers (or a few freestanding ones
    of layoutcheck's), then /usr/local/include and the multiarch and cross
    directories of that ABI, then /usr/include; a foreign ABI never sees
    the host's /usr/include/<host triple>."""
    found = _gcc_search_dirs(abi.name)
    if found is not None:
        return list(found)
    triple = abi.multiarch
    gcc_inc = _compiler_include_dir(abi.name)
    dirs = [gcc_inc or os.path.join(DATA_DIR, "include")]
    for d in (f"/usr/local/include/{triple}", "/usr/local/include", f"/usr/{triple}/include",
              f"/usr/include/{triple}", "/usr/include"):
        if os.path.isdir(d):
            dirs.append(d)
    return dirs


def _define_flags(items: Iterable[Tuple[str, str]]) -> List[str]:
    # (an empty value is an empty macro, as cc -DNAME= makes it; a macro
    # given without '=' was made "1" where it was read)
    return [f"-D{name}={value}" for name, value in items]


def _define_texts(config: PPConfig, extra: Dict[str, str]) -> List[str]:
    """Every -D macro a reading for an ABI gets, as NAME=VALUE: the
    kernel's, the rules' for the ABI, the user's."""
    return [f"{name}={value}" for name, value in
            list(config.base_defines) + sorted(extra.items()) + list(config.defines)]


def compile_flags(abi: ABI, config: PPConfig, extra: Dict[str, str]) -> List[str]:
    """The flags that make a GCC read a header as layoutcheck does for
    ``abi``: its search path, freestanding, the ABI's macros from the
    rules (``extra``), then the user's -D/-U/-I (which win, as on a command
    line).  With a kernel tree, kbuild's flags, macros, search path and
    forced includes take the place of the ABI's search path and
    freestanding.  The preprocessor and the GCC oracle both use these."""
    kernel = config.search_path is not None
    flags = ["-nostdinc"]
    if kernel:
        flags += list(config.extra_flags)
        flags += [f"-D{name}={value}" for name, value in config.base_defines]
        flags += [f"-U{name}" for name in config.base_undefs]
    else:
        flags.append("-ffreestanding")
    flags += _define_flags(sorted(extra.items()))
    flags += _define_flags(config.defines)
    flags += [f"-U{name}" for name in config.undefs]
    for d in config.include_dirs_for(abi.name):
        flags += ["-I", path_arg(d)]
    if not kernel:
        for d in system_include_dirs(abi):
            flags += ["-isystem", path_arg(d)]
        return flags
    for option, d in config.search_path or ():
        flags += [option, path_arg(d)]
    gcc_include = _compiler_include_dir(abi.name) if config.compiler_include else None
    if gcc_include:
        flags += ["-isystem", path_arg(gcc_include)]
    for f in config.forced_includes:
        flags += ["-include", path_arg(f)]
    return flags


def preprocessor_command(abi: ABI, config: Optional[PPConfig] = None) -> Tuple[List[str], bool]:
    """(argv prefix, native): the ABI's own GCC when installed (native: its
    own predefined macros and builtins), else the host cpp with the ABI's
    recorded macros (not for a kernel tree, whose flags are the ABI's
    GCC's)."""
    if _compiler_available(abi):
        return list(abi.oracle) + ["-E"], True
    if config is not None and config.search_path is not None:
        raise LayoutError(f"--kernel: reading a kernel tree for {abi.name} needs {abi.oracle[0]}, "
                          f"which kbuild's flags are for (apt-get install {abi.package})")
    cmd = system_cpp()
    if cmd is None:
        raise LayoutError("no system C preprocessor found (use --cpp python)")
    return list(cmd) + ["-undef", *_abi_define_flags(abi.name)], False


# Questions whose answers depend on the target, the search path or the
# moment, not on macros: a text that asks them is never shared.
# A diagnostic pragma may silence -Wundef, which says which undefined names
# an #if read (see _run_system): a file that names one is not shared either;
# nor one asking GCC's assertions (#cpu(x86_64), #machine, #system, or its
# own #assert), which neither -dU nor -Wundef report.
_HAZARD = re.compile(
    r"\b(__has_include_next|__has_include|__has_builtin|__has_attribute|__has_c_attribute|"
    r"__has_cpp_attribute|__has_feature|__has_extension|__COUNTER__|__INCLUDE_LEVEL__|"
    r"__TIMESTAMP__|__DATE__|__TIME__|diagnostic)|(#\s*(?:cpu|machine|system|assert|unassert)\b)")
_HAZARD_PARTS = (b"__has_", b"__COUNTER__", b"__INCLUDE_LEVEL__", b"__TIMESTAMP__", b"__DATE__",
                 b"__TIME__", b"diagnostic")
# the assertion part, looked for in a file's bytes (its words are common);
# '%:' is '#' too (made one first: a pattern that starts with one
# character is searched for ten times faster than one with a choice)
_ASSERTION = re.compile(rb"#\s*(?:cpu|machine|system|assert|unassert)\b")
# what GCC reads as no character: a backslash at a line's end (blanks may
# stand between them), which may split a hazard word; and comments, which
# may stand between '#' and an assertion's name
_SPLICE_BYTES = re.compile(rb"\\[ \t\f\v]*\r?\n")
_COMMENT_BYTES = re.compile(rb"/\*.*?\*/|//[^\n]*", re.S)
_COMMENT_AFTER_HASH = re.compile(rb"#[ \t]*/\*")
_MARKER = re.compile(r'^#(?:line)? *\d+ +"((?:[^"\\]|\\.)*)"', re.M)


def _files_read(text: str) -> Tuple[str, ...]:
    seen: Dict[str, None] = {}
    for m in _MARKER.finditer(text):
        name = m.group(1).replace('\\"', '"').replace("\\\\", "\\")
        if name not in ("<built-in>", "<command-line>", "<stdin>"):  # ('<p>.h' is a file)
            seen.setdefault(name, None)
    return tuple(seen)


def _hazard_in(data: bytes) -> Optional[str]:
    """The first target- or path-dependent question ``data`` (a header's
    bytes) asks, if any: in the bytes as they are, and as GCC reads them
    (splices joined; for assertions, comments dropped too)."""
    if b"\\" in data:
        data = _SPLICE_BYTES.sub(b"", data)
    # every hazard word holds one of these: most headers hold none, and
    # six substring tests are much cheaper than the regular expression
    if any(word in data for word in _HAZARD_PARTS):
        m = _HAZARD.search(data.decode("utf-8", errors="replace"))
        if m:
            return m.group(0)
    if b"%:" in data:  # a digraph: '#' as GCC reads it
        data = data.replace(b"%:", b"#")
    if b"#" in data:
        a = _ASSERTION.search(data) or (_ASSERTION.search(_COMMENT_BYTES.sub(b" ", data))
                                        if _COMMENT_AFTER_HASH.search(data) else None)
        if a:
            return a.group(0).decode("ascii", "replace")
    return None


# A directive that may hold a character constant an #if reads: one in an
# #if or #elif line, or in a macro's body (the macro may be read by one).
# Its value follows the target's char signedness ('\377' < 0), or
# wchar_t's for L'..': a text that holds one is shared only between ABIs
# that agree on both.
_CHAR_DIRECTIVE = re.compile(rb"(?m)^[ \t]*(?:#|%:)[ \t]*(?:if|elif|define)\b[^\n]*'")


def _chars_in(data: bytes) -> bool:
    if b"'" not in data:
        return False
    if b"\\" in data:
        data = _SPLICE_BYTES.sub(b"", data)
    if b"\r" in data:
        data = data.replace(b"\r", b"\n")
    return _CHAR_DIRECTIVE.search(data) is not None


# What each file asks, by its path, time and size: (_hazard_in, _chars_in).
_QUESTIONS_CACHE: Dict[Tuple[str, float, int], Tuple[Optional[str], bool]] = {}


def _file_questions(path: str) -> Tuple[Optional[str], bool]:
    """The first target- or path-dependent question ``path`` asks, if any,
    and whether a directive of it holds a character constant, from one
    reading; a file that cannot be looked at is taken to ask one."""
    try:
        st = os.stat(path)
    except OSError:
        return "a question unknown (the file cannot be looked at again)", True
    key = (os.path.abspath(path), st.st_mtime, st.st_size)
    if key not in _QUESTIONS_CACHE:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return "a question unknown (the file cannot be read again)", True
        _QUESTIONS_CACHE[key] = (_hazard_in(data), _chars_in(data))
    return _QUESTIONS_CACHE[key]


def _questions(files: Sequence[str], text: Optional[str], filename: str,
               defines: Sequence[str] = ()) -> Tuple[Optional[str], Optional[str]]:
    """For the text read from ``files`` (or the source ``text``) with the -D
    macros ``defines`` (NAME=VALUE): why it must not stand for another ABI
    (the first hazard), and where a directive may read a character
    constant (``_Run.chars``), each None when there is none."""
    hazard: Optional[str] = None
    chars: Optional[str] = None
    for define in defines:
        found = _hazard_in(define.encode("utf-8", errors="replace"))
        hazard = hazard or (f"-D {define} uses {found}" if found else None)
        chars = chars or (f"-D {define} holds a character constant" if "'" in define else None)
    if text is not None:
        data = text.encode("utf-8", errors="replace")
        found = _hazard_in(data)
        hazard = hazard or (f"{filename} uses {found}" if found else None)
        chars = chars or (f"a directive of {filename} holds a character constant"
                          if _chars_in(data) else None)
    for f in files:
        if hazard and chars:
            break
        found, holds = _file_questions(f)
        hazard = hazard or (f"{f} uses {found}" if found else None)
        chars = chars or (f"a directive of {f} holds a character constant" if holds else None)
    return hazard, chars



# GCC's -Wundef warning: an identifier an #if evaluated that is no macro
# (clang quotes it with ''); -dU names only macros expanded or tested with
# defined.  The messages are read with LC_ALL=C (untranslated).
_UNDEF_WARNING = re.compile(r"""warning: ["']([A-Za-z_$][A-Za-z0-9_$]*)["'] is not defined, evaluates to 0""")
_ANY_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
# -Wundef for every name an #if reads, in system headers too; a warning
# never fails the run
_SHARING_FLAGS = ["-dU", "-Wundef", "-Wsystem-headers", "-Wno-error"]
_DU_LINE = re.compile(r"^#(?:define|undef) [^\n]*", re.M)


# PowerPC's AltiVec keywords: GCC defines each as itself and expands it
# (rs6000_macro_to_expand) only where it makes a vector type: 'bool',
# '_Bool' and 'pixel' only right after an expanded 'vector' (or
# '__vector', a macro of its own), 'vector' only before a type.  A text
# without 'vector' reads the same with them; 'vector' stays watched.
_ALTIVEC_AFTER_VECTOR = frozenset({"bool", "_Bool", "pixel"})
# The words that start an AltiVec type.  Each PowerPC's GCC lists them with
# the same bodies, but only where AltiVec is on (__ALTIVEC__: ppc64le by
# default) does 'vector int' become a vector type: a text that names one
# depends on __ALTIVEC__ too.
_ALTIVEC_GATES = frozenset({"vector", "__vector", "__bool", "__pixel"})


@lru_cache(maxsize=1)
def varying_macro_names() -> FrozenSet[str]:
    """The predefined macros some ABI defines otherwise than another (or
    not at all): ``__x86_64__``, ``mips``, ``__ILP32__``, ``vector``."""
    from ..abi import all_abis

    tables = [abi_macros(a.name) for a in all_abis()]
    names = set().union(*tables)
    return frozenset(n for n in names if len({t.get(n) for t in tables}) > 1) \
        - _ALTIVEC_AFTER_VECTOR


def _undefined_names_read(stderr: str) -> Set[str]:
    """Each identifier an #if evaluated as no macro (-Wundef's warnings):
    the text depends on it too, though -dU does not list it."""
    return {m.group(1) for m in _UNDEF_WARNING.finditer(stderr)}


def _names_left(run: "_Run", watch: FrozenSet[str]) -> List[str]:
    """The names left in a run's text (a string made of one too) that some
    ABI's predefined macros, or ``watch`` (the macros the rules define for
    some ABIs), would have expanded: the text depends on them as on what
    -dU lists.  Worked out once per run, and only where a text could
    otherwise stand for another ABI."""
    found = run.memo.get("names left")
    if found is None:
        text = run.text if run.text is not None else (run.load() if callable(run.load) else "")
        found = run.memo["names left"] = set(_ANY_IDENT.findall(text or ""))
    return sorted(found.intersection(varying_macro_names() | watch))


def _tool_env() -> Dict[str, str]:
    """The environment of a preprocessor or compiler run: the caller's, with
    untranslated messages (the first error, and -Wundef, are read)."""
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env.pop("LANGUAGE", None)
    return env


def _run_system(path: Optional[str], text: Optional[str], filename: str, abi: ABI,
                extra: Dict[str, str], config: PPConfig, sharing: bool = True,
                stream: bool = True, pending: Optional[list] = None) -> _Run:
    """One run of the ABI's preprocessor.  With ``sharing``, also what the
    text depended on (the macros it consulted, the files it read), for
    ``why_not_shared``; without, only the text, read (split, tokenized,
    parsed) while the preprocessor writes it if ``stream``.  A run kept in
    the cache (``ppcache``) whose inputs all hold is used instead.  The
    cache entry of a sharing run is added to ``pending``, when given, for
    the caller to write once its other runs are made
    (``ppcache.write_pending``)."""
    import time

    from . import ppcache

    prefix, _native = preprocessor_command(abi, config)
    argv = prefix + (_SHARING_FLAGS if sharing else []) + ["-x", "c"] \
        + compile_flags(abi, config, extra)
    argv.append(path_arg(path) if path is not None else "-")
    stdin_text = text if path is None else None
    key = ppcache.run_key(argv, stdin_text, filename)

    def fresh(stream: bool, pending: Optional[list] = None) -> _Run:
        started = time.time_ns()
        reader = None
        if sharing or not stream:
            proc = _run_tool(argv, text=True, errors="replace", **({} if path else {"input": text}))
        else:
            # The text is read (split and tokenized) while the preprocessor
            # still writes it: it is not rewritten afterwards.
            from .parser import StreamReader, gc_paused

            reader = StreamReader(filename)
            with gc_paused():
                proc, _ = _stream_tool(argv, stdin_text, reader.feed)
        if proc.returncode != 0:
            message, where = _first_error(proc.stderr)
            if "No such file or directory" in message and not _compiler_available(abi):
                message += (f" (preprocessing for {abi.name}; its GCC, from the Debian package "
                            f"{abi.package}, knows its include path)")
            elif "No such file or directory" in message:
                message += f" (preprocessing for {abi.name}{_cross_hint(message, abi, config)})"
            raise LayoutError(message, where)
        if not sharing:
            digest = ppcache.store_aside(key, argv, proc.stdout, stdin_text, started)
            return _Run(proc.stdout, frozenset(), (), None, reader, digest)
        used = set()
        pasting = None  # a macro it expanded that pastes tokens, not a predefined one
        predefined = abi_macros(abi.name)
        # the -dU lines (each macro the text consulted) are read and
        # blanked; the text between them is kept as it is
        kept, last = [], 0
        for m in _DU_LINE.finditer(proc.stdout):
            line = m.group()
            macro = line.split(None, 2)[1].split("(")[0]
            used.add(macro)
            if pasting is None and "##" in line and line.startswith("#define ") \
                    and predefined.get(macro) is None:
                pasting = macro
            kept.append(proc.stdout[last:m.start()])
            last = m.end()
        out = "".join(kept) + proc.stdout[last:] if kept else proc.stdout
        used.update(_undefined_names_read(proc.stderr))
        files = _files_read(out)
        # __has_include and its kin can be made by pasting, which no file
        # then spells: a text whose macros paste is not shared (GCC's own
        # pasting macros, __INT64_C and kin, add a suffix no such name has)
        hazard, chars = _questions(files, text, filename, _define_texts(config, extra))
        hazard = hazard or (
            f"{filename} expands {pasting}, which pastes tokens (##): an #if could ask "
            f"__has_include or the like through it" if pasting else None)
        entry = (key, argv, (), out, used, files, hazard, stdin_text, started, chars)
        if pending is None or key is None:
            digest = ppcache.store(*entry)
        else:
            pending.append(entry)
            digest = ppcache.text_digest(out)
        return _Run(out, frozenset(used), files, hazard, None, digest, chars=chars)

    # (a kept text found damaged is made again, and its entry written, there)
    kept = ppcache.lookup(key, lambda: fresh(False).text or "")
    if kept is not None:
        return _Run(None, frozenset(kept["used"]), tuple(kept["read"]), kept["hazard"],
                    None, kept["digest"], kept["load"], kept.get("size"), chars=kept.get("chars"))
    return fresh(stream, pending)


# The triplets Debian's linux-libc-dev-ARCH-cross packages name their
# folders by, where they are not the ABI's multiarch name.
_CROSS_TRIPLET = {"i386": "i686-linux-gnu"}


def cross_include_dir(abi: ABI) -> str:
    """Where Debian's cross packages put ``abi``'s headers (/usr/TRIPLET/include)."""
    return f"/usr/{_CROSS_TRIPLET.get(abi.name, abi.multiarch)}/include"


def _cross_hint(message: str, abi: ABI, config: PPConfig) -> str:
    """'; ...' naming the folder of Debian's cross headers for ``abi`` when
    it holds the file GCC did not find and is not searched (gcc -m32 and
    -mx32 search only the multiarch folders), else ''."""
    name = message.split(": No such file or directory")[0].strip()
    folder = cross_include_dir(abi)
    if not name or os.path.isabs(name) or folder in config.include_dirs_for(abi.name) \
            or not os.path.isfile(os.path.join(folder, name)):
        return ""
    return (f"; {folder} has it (Debian's cross headers), which {abi.name}'s GCC does not "
            f"search: add --abi-include {abi.name}={folder}")


_DIAG = re.compile(r"^(?P<where>[^:\n]+:\d+(?::\d+)?): (?:fatal )?error: (?P<msg>.*)$")


def _first_error(stderr: str) -> Tuple[str, Optional[str]]:
    """The first error of a preprocessor's output, and its file:line:column."""
    for line in stderr.splitlines():
        m = _DIAG.match(line)
        if m:
            return m.group("msg").strip(), m.group("where")
    lines = stderr.strip().splitlines()
    return first_error_line(stderr, lines[0] if lines else "preprocessing failed"), None


class _RecordingMacros(dict):
    """pcpp's macro table, remembering every name looked up."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.seen = set()

    def __contains__(self, key):
        self.seen.add(key)
        return super().__contains__(key)

    def __getitem__(self, key):
        self.seen.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.seen.add(key)
        return super().get(key, default)


class _IncluderFolder(list):
    """pcpp's stack of the folders of the files being read (innermost
    first), which it puts before the search path for "name": as GCC, only
    the innermost, the folder of the file that includes."""

    def __add__(self, other):  # type: ignore[override]
        return self[:1] + list(other)


def _run_python(path: Optional[str], text: Optional[str], filename: str, abi: ABI,
                extra: Dict[str, str], config: PPConfig, sharing: bool = True,
                stream: bool = True) -> _Run:
    # (every name pcpp looks up is recorded, in #if and in the text: what
    # -Wundef and _names_left add for GCC is among them)
    try:
        from pcpp import Preprocessor
    except ImportError:  # pragma: no cover - pcpp is a dependency
        raise LayoutError("the pure-Python preprocessor needs pcpp (pip install pcpp)") from None

    import time

    deadline = time.monotonic() + PREPROCESS_TIMEOUT
    read = [0]  # bytes of the files read so far

    def in_time() -> None:
        if time.monotonic() > deadline:
            raise LayoutError(f"the pure-Python preprocessor ran for more than "
                              f"{PREPROCESS_TIMEOUT} s", filename)

    def plain_name(name: str, what: str) -> str:
        # pcpp writes a file's name into its line markers as it is
        if any(c in name for c in '"\\\n\r\0'):
            raise LayoutError(f"the pure-Python preprocessor cannot name {what} {name!r} in a line "
                              f"marker (a quote, backslash or line break; use --cpp system)")
        return name

    def bounded(data: bytes, name: str) -> bytes:
        # pcpp tokenizes a whole file before anything else: a few seconds a MiB
        if len(data) > PCPP_MAX_FILE_BYTES:
            raise LayoutError(f"{name}: more than {PCPP_MAX_FILE_BYTES >> 20} MiB, more than the "
                              f"pure-Python preprocessor reads in a file (use --cpp system)")
        read[0] += len(data)
        if read[0] > PCPP_MAX_BYTES:
            raise LayoutError(f"more than {PCPP_MAX_BYTES >> 20} MiB of headers, more than the "
                              f"pure-Python preprocessor reads (use --cpp system)", filename)
        return data

    class _PP(Preprocessor):
        def on_file_open(self, is_system_include, includepath):
            # called for each place an include may be: an OSError says
            # "not here".  What is there is read as a header is (a regular
            # file of bounded size), never waited on (a FIFO) or read
            # without end (a device).
            in_time()
            if not os.path.exists(includepath):
                raise FileNotFoundError(includepath)
            if os.path.isdir(includepath):
                raise IsADirectoryError(includepath)
            data = header_text(bounded(read_header_bytes(plain_name(includepath, "the header")),
                                       includepath))
            if data.startswith("\ufeff"):
                data = data[1:]
            _refuse_spliced_line_comment(data, includepath)
            return io.StringIO(data)

        def expand_macros(self, tokens, expanding_from=[]):  # noqa: B006 - pcpp's signature
            in_time()  # a macro expanding to ever more of itself ends here
            return super().expand_macros(tokens, expanding_from)

        refused: Optional[LayoutError] = None  # what the #if evaluator refused

        def on_error(self, file, line, msg):
            if self.refused is not None:  # pcpp reports the evaluator's error as its own
                raise self.refused
            raise LayoutError(f"preprocessing error: {msg}", f"{file}:{line}")

        including = None  # file:line of the #include being read, for its error

        def include(self, tokens, original_line):
            if tokens:
                self.including = f"{tokens[0].source}:{tokens[0].lineno}"
            yield from super().include(tokens, original_line)

        def on_include_not_found(self, is_malformed, is_system_include, curdir, includepath):
            # (GCC's words; pcpp gives no column)
            raise LayoutError(f"{includepath}: No such file or directory (preprocessing for "
                              f"{abi.name})", self.including)

        def on_directive_unknown(self, directive, toks, ifpassthru, precedingtoks):
            where = f"{directive.source}:{directive.lineno}"
            body = "".join(tok.value for tok in toks).strip()
            if directive.value == "error":
                raise LayoutError(f"#error {body}", where)
            if directive.value == "include_next":
                raise LayoutError("#include_next is not implemented by the pure-Python "
                                  "preprocessor (use --cpp system)", where)
            kept = super().on_directive_unknown(directive, toks, ifpassthru, precedingtoks)
            if kept is None:  # written out as it is
                self.passed.append(directive.value)
            return kept

        def on_unknown_macro_function_in_expr(self, ident):
            if ident.startswith("__has_"):
                raise LayoutError(f"{ident}() needs a real preprocessor: the pure-Python one "
                                  f"cannot answer it for {abi.name} (use --cpp system)")
            return super().on_unknown_macro_function_in_expr(ident)

    pp = _PP()
    # pcpp searches, for "name", the folders of every file being included
    # (the includer's includer's too), and adds the header's folder to the
    # <name> search; GCC searches the includer's folder alone, and for
    # "name" only: pcpp's "name" search is given that folder only
    pp.temp_path = _IncluderFolder()
    evaluate = pp.evaluator

    def evaluator(tokens, functions={}, identifiers={}):  # noqa: B006 - pcpp's signature
        # pcpp's #if arithmetic is Python's: '%' takes the divisor's sign,
        # '/' goes through a float, and a character constant is unsigned
        # on every target; GCC's is C's on intmax_t
        for tok in tokens:
            if tok.type == pp.t_CHAR or tok.value in ("/", "%"):
                what = "a character constant" if tok.type == pp.t_CHAR else f"'{tok.value}'"
                pp.refused = LayoutError(
                    f"the pure-Python preprocessor does not evaluate {what} in #if as C does "
                    f"(use --cpp system)",
                    f"{tok.source}:{tok.lineno}" if getattr(tok, "source", None) else filename)
                raise pp.refused
        return evaluate(tokens, functions=functions, identifiers=identifiers)

    pp.evaluator = evaluator
    pp.passed = []  # the name of each directive pcpp wrote out, in order
    pp.line_directive = "#line"
    pp.compress = 0
    for name, value in abi_macros(abi.name).items():
        pp.define(f"{name} {value}")
    pp.undef("__STDC_HOSTED__")
    pp.define("__STDC_HOSTED__ 0")  # freestanding, as with GCC
    for name, value in sorted(extra.items()):
        pp.define(f"{name} {value}")
    for name, value in config.defines:
        pp.define(f"{name} {value}")
    for name in config.undefs:
        pp.undef(name)
    plain_name(filename, "the header")
    for d in list(config.include_dirs_for(abi.name)) + system_include_dirs(abi):
        pp.add_path(plain_name(d, "the include folder"))
    recorder = _RecordingMacros(pp.macros)
    pp.macros = recorder
    if text is None:
        source_text = header_text(bounded(read_header_bytes(path), path))
    else:
        bounded(text.encode("utf-8", "surrogatepass"), filename)
        source_text = text
    _refuse_spliced_line_comment(source_text, filename)
    pp.parse(source_text, filename)
    if path is not None:  # (pcpp took the folder of the name in the line markers)
        pp.temp_path[:] = [plain_name(os.path.dirname(os.path.abspath(path)), "the folder")]
    buf = io.StringIO()
    try:
        pp.write(buf)
    except LayoutError:
        raise
    except (IndexError, KeyError, ValueError, TypeError, AttributeError) as exc:
        # pcpp's own failures on malformed directives (#define with no name)
        line = getattr(getattr(pp, "source", None), "lineno", None)
        raise LayoutError(f"pcpp could not preprocess this ({type(exc).__name__}: {exc}); "
                          f"--cpp system reads it with GCC and names the line",
                          filename if line is None else f"{filename}:{line}") from None
    # pcpp keeps a directive's indentation; GCC writes every directive at
    # the start of its line, and the reader takes a '#' anywhere else for
    # a stray one
    out = _INDENTED_DIRECTIVE.sub("#", buf.getvalue())
    _refuse_made_directives(out, pp.passed)
    files = _files_read(out)
    hazard, chars = _questions(files, source_text, filename, _define_texts(config, extra))
    return _Run(out, frozenset(recorder.seen), files, hazard, chars=chars)


_LINE_COMMENT_SCAN = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|/\*.*?\*/|/\*|//[^\n]*', re.S)


def _refuse_spliced_line_comment(text: str, filename: str) -> None:
    """A '//' comment whose line ends with '\\' goes on on the next line
    (GCC warns): pcpp ends it where its line ends, and reads the next line
    as code or as a directive ('#pragma pack(1)' after '// note \\'
    packed the struct GCC leaves alone).  Refused, where it is."""
    for m in _LINE_COMMENT_SCAN.finditer(text):
        comment = m.group()
        if comment == "/*":  # never closed: GCC stops there, pcpp does not
            raise LayoutError("unterminated comment", _where_in(text, m.start(), filename))
        if comment.startswith("//") and comment.rstrip(" \t\f\v\r").endswith("\\"):
            raise LayoutError("a '//' comment that goes on on the next line ('\\' at its end): "
                              "the pure-Python preprocessor ends it at its line, GCC does not "
                              "(use --cpp system)", _where_in(text, m.start(), filename))


# pcpp's own line markers (line_directive "#line"); a file name is written
# as it is, quotes included
_PCPP_MARKER = re.compile(r'#line (\d+) "(.*)"$')
_DIRECTIVE_NAME = re.compile(r"#[ \t]*(\w+)")


def _refuse_made_directives(out: str, passed: List[str]) -> None:
    """pcpp writes a '#' a macro made (``#define HASH #``) at the start of
    its line, like the directives it passes through: GCC refuses the first
    ("stray '#' in program"), and read as a directive it could pack a
    struct.  pcpp reports every directive it passes through, in the order
    it writes them (``passed``: their names): each directive line of
    its output must be the next of them, by name; one more is refused.  A
    '#line' the header wrote is only counted: written as pcpp writes its
    markers it is read as one (at worst it moves coordinates).  The place
    named is the line pcpp's markers give (a macro-made line just before a
    directive of the same name is named by that directive's line)."""
    expected = [name for name in passed if name != "line"]
    lines_left = len(passed) - len(expected)  # '#line's of the header
    taken = 0
    source, line = "", 0
    for text in out.split("\n"):
        marker = _PCPP_MARKER.match(text) if text.startswith("#line ") else None
        if marker is not None:
            source, line = marker.group(2), int(marker.group(1))
            continue
        if text.startswith("#"):
            name = _DIRECTIVE_NAME.match(text)
            if name is not None and name.group(1) == "line" and lines_left:
                lines_left -= 1  # one the header wrote in another form ('#line 100')
            elif taken < len(expected) and name is not None and name.group(1) == expected[taken]:
                taken += 1
            else:
                raise LayoutError("stray '#' in program (GCC refuses it too): a macro wrote it, "
                                  "where pcpp cannot tell it from a directive", f"{source}:{line}")
        line += 1


def _macro_key(abi: ABI, names: Sequence[str], extra: Dict[str, str]) -> tuple:
    """The value of each of ``names`` (sorted) for ``abi``: the ABI's
    definition, or ``extra``'s (None: undefined)."""
    table = abi_macros(abi.name)
    if not extra:
        return tuple(map(table.get, names))
    return tuple(extra[n] if n in extra else table.get(n) for n in names)


def _in_dirs(path: str, dirs: Sequence[str]) -> bool:
    full = os.path.abspath(path)
    return any(full.startswith(os.path.abspath(d).rstrip("/") + "/") for d in dirs)


def _char_signs(abi: ABI) -> str:
    char = "signed" if abi.char_signed else "unsigned"
    wide = "unsigned" if abi.wchar_type.startswith("unsigned") else "signed"
    return f"char {char}, wchar_t {wide}"


def why_not_shared(run: _Run, abi: ABI, other: ABI,
                   abi_defines: Dict[str, Dict[str, str]],
                   config: Optional[PPConfig] = None) -> Optional[str]:
    """None when ``run`` (made for ``abi``) is provably the text ``other``
    would get; otherwise the reason, naming the macro or file.  (A header
    is held to every other ABI: what is worked out for ``run`` and ``abi``
    is kept on the run.)"""
    if run.hazard:
        return run.hazard
    if config is not None and config.include_dirs_for(abi.name) != config.include_dirs_for(other.name):
        # (any header it includes may be found first in a folder of one's own)
        return (f"{abi.name} and {other.name} are read with other -I folders "
                f"(abi_include_dirs)")
    if run.chars and _char_signs(abi) != _char_signs(other):
        return (f"{run.chars}, whose value in an #if follows the signedness of char and wchar_t "
                f"({_char_signs(abi)} on {abi.name}, {_char_signs(other)} on {other.name})")
    memo = run.memo
    names = memo.get("names")
    if names is None:
        names = memo["names"] = sorted(run.used)
    extra = abi_defines.get(abi.name, {})

    def differing(names: Sequence[str], mine: tuple) -> Optional[str]:
        """' NAME (its value on abi, on other)' for the first of ``names``
        the two ABIs define otherwise (``mine``: their values on abi)."""
        theirs = _macro_key(other, names, abi_defines.get(other.name, {}))
        if mine == theirs:
            return None

        def show(v):
            return "undefined" if v is None else (v or "defined empty")
        name, here, there = next(d for d in zip(names, mine, theirs, strict=True) if d[1] != d[2])
        return f"{name} ({show(here)} on {abi.name}, {show(there)} on {other.name})"

    key = ("values", abi.name, tuple(sorted(extra.items())))
    mine = memo.get(key)
    if mine is None:
        mine = memo[key] = _macro_key(abi, names, extra)
    found = differing(names, mine)
    if found:
        return f"the text consults {found}"
    my_dirs, their_dirs = system_include_dirs(abi), system_include_dirs(other)
    if my_dirs != their_dirs:
        first = memo.get(("system file", abi.name), False)
        if first is False:
            first = memo[("system file", abi.name)] = next(
                (f for f in run.files if _in_dirs(f, my_dirs)), None)
        if first is not None:
            return (f"{first} comes from {abi.name}'s system include path, which differs "
                    f"from {other.name}'s")
    left = _names_left(run, frozenset(n for d in abi_defines.values() for n in d))
    if _ALTIVEC_GATES.intersection(left) or _ALTIVEC_GATES.intersection(names):
        left = [n for n in left if n != "__ALTIVEC__"] + ["__ALTIVEC__"]
    found = differing(left, _macro_key(abi, left, extra)) if left else None
    return f"the text names {found}" if found else None


def marker_name(filename: str) -> str:
    """``filename`` as a line marker spells it (``# 1 "..."``), as GCC
    writes it: a quote or backslash escaped.  A name with a line break
    would end the marker and go on as text of the header: refused, as
    ``path_arg`` refuses it for a preprocessor."""
    if "\n" in filename or "\r" in filename or "\0" in filename:
        raise LayoutError(f"refusing a file name with a line break or NUL: {filename!r}")
    return filename.replace("\\", "\\\\").replace('"', '\\"')


def read_header_bytes(path: str) -> bytes:
    """A header's bytes: a regular file (not a FIFO or a device) of at most
    ``safety.MAX_HEADER_BYTES``."""
    from ..safety import MAX_HEADER_BYTES, read_regular

    data = read_regular(path, "header", MAX_HEADER_BYTES + 1)
    if len(data) > MAX_HEADER_BYTES:
        raise LayoutError(f"{path}: larger than {MAX_HEADER_BYTES >> 20} MiB, more than a "
                          f"header is")
    return data


def header_text(data: bytes) -> str:
    """A header's bytes as text, as a text-mode read gives it: UTF-8, CRLF
    and CR line ends become LF."""
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def _read_source(source: str, is_path: bool, filename: Optional[str]) -> Tuple[str, str]:
    """(text, filename) of a path or of C text."""
    if not is_path:
        return source, filename or "<input>"
    if "\0" in source:
        raise LayoutError(f"{source!r} is not a path")
    if not os.path.exists(source):
        raise LayoutError(f"no such file: {source}")
    if os.path.isdir(source):
        raise LayoutError(f"{source} is a directory, not a header")
    text = header_text(read_header_bytes(source))
    return text, filename or source


def _choose_mode(text: str, config: PPConfig, abis: Sequence[ABI],
                 abi_defines: Dict[str, Dict[str, str]]) -> str:
    """The preprocessor ``auto`` stands for (see the module docstring)."""
    mode = config.mode
    if mode == "auto" and config.search_path is not None:
        mode = "system"  # a kernel tree is read by the ABI's GCC
    if mode == "auto":
        extra_names = {k for d in abi_defines.values() for k in d}
        if not needs_preprocessing(text, config, abis) and not (
            extra_names and set(_IDENT.findall(text)) & extra_names
        ):
            mode = "none"
        elif system_cpp() is not None:
            mode = "system"
        else:
            mode = "python"
    if mode == "system" and system_cpp() is None and not any(map(_compiler_available, abis)):
        raise LayoutError("no system C preprocessor found (use --cpp python)")
    return mode


def _shared_groups(abis: Sequence[ABI], run, abi_defines: Dict[str, Dict[str, str]],
                   filename: str, config: Optional[PPConfig] = None) -> List[Preprocessed]:
    """Preprocess for the first ABI not yet served, give the text to every
    other ABI it provably stands for, repeat."""
    pending = list(abis)
    results: List[Preprocessed] = []
    by_text: Dict[str, Preprocessed] = {}
    ran: Dict[str, object] = {}  # runs made ahead, side by side (or their error)

    def ahead(abi: ABI):
        try:
            return run(abi)
        except LayoutError as exc:  # raised only if the loop needs this run
            return exc

    # A text that consults the word size (most do, through a config such
    # as CONFIG_64BIT) needs a second run for the other word size: it is
    # started with the first, side by side, and used only if the first
    # cannot stand for its ABI (else it is waited for and dropped).
    guess = next((a for a in abis[1:] if a.bits != abis[0].bits), None) \
        if (os.cpu_count() or 1) > 1 else None
    guessed: Dict[str, object] = {}
    guessing = None
    if guess is not None:
        import threading

        guessing = threading.Thread(target=lambda: guessed.update(run=ahead(guess)), daemon=True)
        guessing.start()
    try:
        rounds = 0
        while pending:
            rounds += 1
            if rounds == 3 and len(pending) > 1 and (os.cpu_count() or 1) > 1:
                # Two texts so far stood each for a part of the ABIs: this one
                # follows the ABI (asm/ headers).  Run the rest side by side (a
                # thread waits on each process); each is still grouped as the
                # loop below would.
                from ..workers import threaded

                rest = [a for a in pending if guess is None or a.name != guess.name]
                ran.update(zip([a.name for a in rest], threaded(ahead, rest), strict=True))
            abi = pending.pop(0)
            if guess is not None and guessing is not None and abi.name == guess.name:
                guessing.join()
                first = guessed.pop("run")
            else:
                first = ran.pop(abi.name, None) or run(abi, bool(pending))
            if isinstance(first, LayoutError):
                raise first
            same = first.digest or first.text
            group = by_text.get(same)
            if group is None:
                group = Preprocessed(first.text, [], filename, first.used, first.files,
                                     first.reader, first.digest, first.load, first.size)
                by_text[same] = group
                results.append(group)
            group.abis.append(abi)
            rest = []
            for other in pending:
                if why_not_shared(first, abi, other, abi_defines, config) is None:
                    group.abis.append(other)
                else:
                    rest.append(other)
            pending = rest
    finally:
        if guessing is not None:
            guessing.join()
    order = {a.name: i for i, a in enumerate(abis)}
    for group in results:
        group.abis.sort(key=lambda a: order[a.name])
    return results


def preprocess_for_abis(
    source: str,
    abis: Sequence[ABI],
    config: PPConfig,
    *,
    is_path: bool = True,
    filename: Optional[str] = None,
    abi_defines: Optional[Dict[str, Dict[str, str]]] = None,
    pp_abi: Optional[ABI] = None,
) -> List[Preprocessed]:
    """Preprocess ``source`` for each ABI, sharing work between ABIs.

    ``abi_defines`` adds -D macros for individual ABIs (kernel configs such
    as CONFIG_64BIT that follow the ABI).  With ``pp_abi`` the text is
    preprocessed once, as for that ABI, and stands for every ABI, if it is
    provably the same text for each (else LayoutError naming what differs).
    Returns one entry per distinct preprocessed text, each listing the ABIs
    it stands for.
    """
    abi_defines = check_abi_defines(abi_defines)
    path = source if is_path else None
    text, filename = _read_source(source, is_path, filename)
    mode = _choose_mode(text, config, abis, abi_defines)
    if mode == "none":
        splice = _SPLICE.search(text)
        if splice is not None:  # a '// comment \' goes on, and so does a directive
            raise LayoutError("a line that goes on on the next ('\\' at its end) needs the "
                              "preprocessor: read this header with --cpp auto or system",
                              _where_in(text, splice.start(), filename))
        body = f'# 1 "{marker_name(filename)}"\n' + strip_comments(text, filename)
        unread = Preprocessed(body, list(abis), filename)
        unread.source = True
        return [unread]

    if config.mode == "auto" and path is not None and pp_abi is None \
            and config.search_path is None and not config.abi_include_dirs:
        # a plain header (cdefs, a project's own headers): read here, each
        # ABI's text exactly as its GCC would write it (plaincpp)
        from .plaincpp import read_plain

        found = read_plain(path, filename, abis, config, abi_defines)
        if found is not None:
            plain, abis = found
            if not abis:
                return plain
            # the ABIs it left (PowerPC's AltiVec words): their GCCs read
            return plain + _system_groups(path, text, filename, abis, config, mode, abi_defines)
    return _system_groups(path, text, filename, abis, config, mode, abi_defines, pp_abi)


def _system_groups(path: Optional[str], text: str, filename: str, abis: Sequence[ABI],
                   config: PPConfig, mode: str, abi_defines: Dict[str, Dict[str, str]],
                   pp_abi: Optional[ABI] = None) -> List[Preprocessed]:
    """``preprocess_for_abis`` by a preprocessor (``mode``: system or python)."""

    # the cache entries of the runs made here, written once all are
    # (ppcache.write_pending): each run's thread does not hold the
    # interpreter reading the files its run entered
    pending: list = []

    def run(abi: ABI, sharing: bool = True) -> _Run:
        extra = abi_defines.get(abi.name, {})
        # A lone text is parsed as the preprocessor writes it; texts of
        # several ABIs later, each copying the declarations it shares with
        # the others (parser._Reuse), which costs less.
        if mode == "system":
            return _run_system(path, None if path else text, filename, abi, extra, config, sharing,
                               stream=len(abis) == 1, pending=pending)
        return _run_python(path, None if path else text, filename, abi, extra, config, sharing,
                           stream=len(abis) == 1)

    try:
        if pp_abi is None:
            return _shared_groups(abis, run, abi_defines, filename, config)
        first = run(pp_abi)
        for other in abis:
            reason = None if other.name == pp_abi.name else \
                why_not_shared(first, pp_abi, other, abi_defines, config)
            if reason:
                raise LayoutError(
                    f"--pp-abi {pp_abi.name} cannot stand for {other.name}: {reason}; "
                    f"preprocess each ABI on its own (drop --pp-abi), with that ABI's "
                    f"headers installed")
        return [Preprocessed(first.text, list(abis), filename, first.used, first.files,
                             digest=first.digest, load=first.load, size=first.size)]
    finally:
        from . import ppcache

        ppcache.write_pending(pending)
