"""What may reach a preprocessor, a compiler or git, and in what form.

Headers, rules files and project configs come from other people's patches.
Nothing taken from them is handed to a subprocess before it passes one of
these checks:

* macro names are C identifiers, and not C keywords (``-Dint=long`` would
  silently change every layout);
* macro values are one line of ordinary C tokens: no ``;``, braces, ``#``,
  backslashes or comments, so that a value can stand for a number, a type
  or an expression, never for a declaration or a function;
* a path that would read as an option (``-fplugin=x.so``, ``-ovictim``) or
  as a file of options (``@x.h``: GCC reads the options in ``x.h``) is
  passed as ``./-...`` or ``./@...``;
* a git revision is a revision, never an option.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, Optional

from .errors import LayoutError

# C11 keywords and the GNU spellings GCC treats as keywords: redefining any
# of them rewrites declarations rather than configuring a header.
C_KEYWORDS = frozenset("""
auto break case char const continue default do double else enum extern float
for goto if inline int long register restrict return short signed sizeof
static struct switch typedef union unsigned void volatile while _Alignas
_Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert
_Thread_local __attribute__ __attribute __extension__ __typeof__ __typeof
typeof __alignof__ __alignof __asm__ __asm asm __inline__ __inline
__restrict__ __restrict __const__ __const __volatile__ __volatile
__signed__ __signed __int128 __label__ __builtin_offsetof __builtin_va_arg
__auto_type __real__ __imag__ defined
""".split())

MAX_VALUE_LENGTH = 4096

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# One token of an acceptable macro value, or a run of blanks.
_DIGRAPH = re.compile(r"<%|%>|<:|:>|%:")
_RAW_STRING = re.compile(r"(?<![A-Za-z0-9_])(?:u8|[uUL])?R\"")

_VALUE_TOKEN = re.compile(r"""
    [ \t]+
  | (?:u8|[uUL])?"(?:\\[^\n]|[^"\\\n])*"            # string literal
  | (?:[uUL])?'(?:\\[^\n]|[^'\\\n])+'                # character constant
  | [A-Za-z_][A-Za-z0-9_]*                           # identifier
  | \.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*            # pp-number
  | ->|<<|>>|<=|>=|==|!=|&&|\|\||\+\+|--             # two-character operators
  | [-()\[\]+*/%<>=!&|^~?:,.]                        # one-character operators
""", re.X)


def check_macro_name(name: object, origin: str) -> str:
    """``name`` if it is a macro name that may be defined, else LayoutError."""
    if not isinstance(name, str) or not _IDENT.match(name):
        raise LayoutError(f"{origin}: {name!r} is not a macro name (a C identifier)")
    if name in C_KEYWORDS:
        raise LayoutError(f"{origin}: refusing to define the C keyword {name!r} as a macro")
    return name


def check_macro_value(name: str, value: object, origin: str) -> str:
    """``value`` (as text) if it is one line of plain C tokens."""
    if value is None:  # defined, as by cc -DNAME ("" is an empty macro, -DNAME=)
        return "1"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        if not -(1 << 256) < value < (1 << 256):
            raise LayoutError(f"{origin}: the value of {name} is a number of more than 77 digits")
        return str(value)
    if isinstance(value, str) and ("\0" in value or "\n" in value or "\r" in value):
        raise LayoutError(f"{origin}: the value of {name} holds a NUL or a line break")
    if not isinstance(value, str):
        raise LayoutError(f"{origin}: the value of {name} must be text or a number, "
                          f"not {type(value).__name__}")
    if len(value) > MAX_VALUE_LENGTH:
        raise LayoutError(f"{origin}: the value of {name} is longer than "
                          f"{MAX_VALUE_LENGTH} characters")
    pos = 0
    plain = []  # the value, its string and character literals blanked
    while pos < len(value):
        m = _VALUE_TOKEN.match(value, pos)
        if m is None or value.startswith(("//", "/*"), pos):
            bad = value[pos:pos + 12]
            raise LayoutError(
                f"{origin}: the value of {name} may hold only numbers, names, string "
                f"literals and operators on one line (no ';', braces, '#', backslashes "
                f"or comments); refused at {bad!r}")
        literal = m.group()[-1:] in ("\"", "'")
        plain.append(" " * len(m.group()) if literal else m.group())
        pos = m.end()
    # Spellings GCC reads as something else: digraphs are braces, brackets
    # and '#'; a raw string's quotes do not end where an ordinary one's do.
    found = _DIGRAPH.search("".join(plain)) or _RAW_STRING.search(value)
    if found:
        raise LayoutError(f"{origin}: the value of {name} may not contain "
                          f"{found.group().strip()!r} (a digraph or a raw string)")
    return value


def check_macro(name: object, value: object, origin: str) -> tuple:
    """(name, value as text) after both checks."""
    checked = check_macro_name(name, origin)
    return checked, check_macro_value(checked, value, origin)


def path_arg(path: str) -> str:
    """A path as one command-line argument that can never read as an option."""
    path = os.fspath(path)
    if "\n" in path or "\0" in path:
        raise LayoutError(f"refusing a path with a newline or NUL: {path!r}")
    if path.startswith(("-", "@")):  # an option, or GCC's @FILE of options
        return os.path.join(".", path)
    return path


_REV = re.compile(r"[A-Za-z0-9_./~^@{}:+-]+\Z")


def check_git_rev(rev: str, origin: str = "git revision") -> str:
    """A git revision that git can only read as a revision."""
    if not rev or rev.startswith("-") or not _REV.match(rev) or ".." in rev:
        raise LayoutError(f"{origin}: {rev!r} is not a git revision layoutcheck accepts "
                          f"(a name, hash, or REV~N / REV^N, not starting with '-')")
    return rev


def check_include_path(path: str, origin: Optional[str] = None) -> str:
    """A path that may be named in ``#include "..."``."""
    if '"' in path or "\n" in path or "\\" in path:
        raise LayoutError(f"{origin or 'path'}: cannot include a path containing a quote, "
                          f"backslash or newline: {path!r}")
    return path


# The largest TOML file (rules, project) read: far above any real one, and
# small enough that a hostile one costs little.
MAX_TOML_BYTES = 4 << 20

# The largest header read whole (the biggest kernel header is under 1 MB):
# a sparse file of many gigabytes is refused, not loaded into memory.
MAX_HEADER_BYTES = 64 << 20


_TOML_READ: Dict[str, Any] = {}  # TOML text -> what tomllib made of it


def toml_loads(text: str) -> Any:
    """``tomllib.loads(text)`` (its errors too), parsed once per process
    for a text read again: one rules file serves every header beside it,
    and discovery, the safety checks and the rules each read it.  The
    caller gets its own copy of the tables and arrays."""
    found = _TOML_READ.get(text)
    if found is None:
        import tomllib

        found = tomllib.loads(text)
        if len(_TOML_READ) >= 64:
            _TOML_READ.clear()
        _TOML_READ[text] = found
    return _copied(found)


def _copied(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value  # str, int, float, bool, date and time values: immutable


def load_toml(data: bytes, where: str) -> dict:
    """A rules or project file's TOML, with every way it can be bad an
    error naming the file: not UTF-8, not TOML, too large, numbers past
    Python's digit limit, nesting past its recursion limit."""
    import tomllib

    if len(data) > MAX_TOML_BYTES:
        raise LayoutError(f"{len(data)} bytes, more than the {MAX_TOML_BYTES} a rules or "
                          f"project file may have", where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise LayoutError(f"not UTF-8 (byte {data[exc.start]:#04x})", f"{where}:{line}") from None
    try:
        return toml_loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"not valid TOML: {exc}", where) from None
    except ValueError as exc:  # an integer of more digits than int() takes
        raise LayoutError(str(exc), where) from None
    except RecursionError:
        raise LayoutError("arrays or tables nested too deeply", where) from None


def read_regular(path: str, what: str, limit: Optional[int] = None) -> bytes:
    """The bytes of ``path`` (at most ``limit``), refusing what is not a
    regular file: a FIFO would wait for a writer, a device never ends."""
    import stat

    if not isinstance(path, (str, os.PathLike)) or "\0" in os.fspath(path):
        raise LayoutError(f"{what}: {path!r} is not a path")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise LayoutError(f"cannot read {what} {os.fspath(path)}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise LayoutError(f"{os.fspath(path)} is a directory, not a {what}")
        if not stat.S_ISREG(st.st_mode):
            raise LayoutError(f"{os.fspath(path)}: not a regular file (a FIFO or a device): a {what} "
                              f"is read from a file")
        chunks = []
        left = st.st_size if limit is None else min(st.st_size, limit)
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise LayoutError(f"cannot read {what} {os.fspath(path)}: {exc.strerror}") from None
    finally:
        os.close(fd)
