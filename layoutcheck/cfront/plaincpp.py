"""The preprocessor for plain headers, in this process.

A header whose every directive is a plain one (object-like and
function-like macros without ``#`` or ``##``, ``#if`` arithmetic on
integers, ``defined``, includes found beside the including file or in
the user's ``-I`` folders)
is read here for each ABI, without starting a compiler: the cdefs, most
project headers and their local includes.  What this reader does not
understand exactly it does not read at all: ``read_plain`` returns None
and the header goes to the ABI's GCC as before.  Never a guess: anything
outside the subset below, at any depth, sends the whole header there.

- Tokens in the text: no ``$`` or other character GCC reads differently
  in another mode, no unterminated quote, no ``#`` outside a directive,
  no trigraph, digraph or ``\\`` line splice, no block comment that
  starts on a directive's line and goes on to the next line.
- Directives: ``#define``, ``#undef``, ``#include "name"`` (the file
  beside the including one, else in an ``-I`` folder, where GCC looks
  first), ``#include <name>`` (in an ``-I`` folder; GCC's own folders,
  which differ by ABI, are left to it), with nothing after the name
  but comments closed on its line, ``#if``,
  ``#ifdef``, ``#ifndef``, ``#elif``, ``#else``, ``#endif``, ``#``
  alone, and ``#pragma once`` (as GCC 12 reads it: a file it marked, or a
  copy of it with the same bytes and modification second, is passed over
  when included again), ``#pragma pack``, ``#pragma GCC diagnostic`` and
  ``#pragma GCC visibility`` (written as GCC writes them, not
  macro-expanded).  Any other (another ``#pragma``, ``#line``,
  ``#error``) in a group that is read sends the header to GCC.
- Macros: no ``#``, ``##``, variadic parameters, or names GCC computes
  (``__LINE__``, ``__has_include``, ``_Pragma``: ``DYNAMIC``).  A macro
  met again inside its own expansion (which GCC leaves unexpanded) and a
  function-like macro whose arguments do not end on the line of its name
  send the header to GCC: what stays is plain substitution, where every
  implementation agrees.
- ``#if``: integer constants, ``defined``, and C's operators without the
  comma, with GCC's intmax_t/uintmax_t arithmetic; an overflow, a division
  by zero, a character constant sends the header to GCC.

The macros a reading starts from are the ones GCC starts from on the
preprocessor road (``compile_flags``): the ABI's predefined macros
(``data/macros``, recorded from its GCC), the rules' macros for the ABI,
then the user's ``-D`` and ``-U``.  GCC reads the header freestanding and
without a search path, so ``__STDC_HOSTED__`` is 0 and the macros of
``stdc-predef.h`` are absent, where the record has them as a hosted GCC
does (``UNCERTAIN``): a header that asks for one of them goes to GCC.
``tests/test_plaincpp.py`` holds every ABI's recorded macros to its GCC.

One reading serves every ABI that answers each question it asked (is
this name a macro, and what is its definition) the same way: what it
read depends on nothing else, so the text is the same.  The text keeps
GCC's line numbers and line markers; a line no macro changed keeps its
columns."""

from __future__ import annotations

import errno
import gc
import os
import re
import stat
import time
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from ..abi import ABI

# Names GCC computes, or that only its own preprocessor can answer.
DYNAMIC = frozenset({
    "__FILE__", "__LINE__", "__COUNTER__", "__INCLUDE_LEVEL__", "__BASE_FILE__",
    "__FILE_NAME__", "__DATE__", "__TIME__", "__TIMESTAMP__", "_Pragma", "__VA_ARGS__",
    "__VA_OPT__", "__has_include", "__has_include_next", "__has_attribute",
    "__has_cpp_attribute", "__has_c_attribute", "__has_builtin", "__has_feature",
    "__has_extension", "defined",
})
# In an #if, C++'s true and false (GCC reads them as 0 in C; left to it).
_IF_WORDS = DYNAMIC | {"true", "false"}
# Recorded as a hosted GCC defines them (stdc-predef.h, __STDC_HOSTED__ 1);
# a header is read freestanding, with no stdc-predef.h.
UNCERTAIN = frozenset({
    "__STDC_HOSTED__", "_STDC_PREDEF_H", "__STDC_IEC_559__", "__STDC_IEC_559_COMPLEX__",
    "__STDC_IEC_60559_BFP__", "__STDC_IEC_60559_COMPLEX__", "__STDC_ISO_10646__",
})
# PowerPC's AltiVec words: -dM lists them as macros, but GCC expands them
# only in a vector type (and leaves __vector as written on ppc and ppc64):
# no #ifdef or defined sees them, bool and _Bool outside a vector type stay
# as written, and anything else about them (vector, pixel or a __ kin in
# the text, any of them in an #if) is left to GCC, where an ABI records them.
ALTIVEC = frozenset({"bool", "vector", "pixel", "_Bool", "__vector", "__bool", "__pixel"})
_ALTIVEC_KEPT = frozenset({"bool", "_Bool"})
_ALTIVEC_MARK = "\0altivec"  # (what such a name is recorded as)
MAX_DEPTH = 200  # GCC's limit of nested #include
# What one reading may make: more (a header included twice at each of many
# levels, macros each expanding to two of the next) goes to GCC, which the
# preprocessor road holds to its time limit.
MAX_LINES = 1 << 22
MAX_FILE_BYTES = 4 << 20  # a bigger header goes to GCC (a plain one is kilobytes)
MAX_TOKENS = 1 << 22
TIME_LIMIT = 2.0  # seconds a reading may take (a plain header takes milliseconds)

_TOKEN = re.compile(r"""
  (?P<ws>[ \t]+)
| (?P<str>(?:u8|[LuU])?"(?:[^"\\\n]|\\.)*")
| (?P<chr>[LuU]?'(?:[^'\\\n]|\\.)*')
| (?P<id>[A-Za-z_][A-Za-z0-9_]*)
| (?P<num>\.?[0-9](?:[eEpP][+-]|[A-Za-z0-9_.])*)
| (?P<p>\.\.\.|<<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-*/%+&|^<>=!]=|\#\#
     |[\[\](){}.&*+\-~!/%<>^|?:;=,\#])
| (?P<o>.)
""", re.X)
_DIRECTIVE = re.compile(r"[ \t]*#[ \t]*([A-Za-z0-9_]*)")
# An #include line as GCC lexes it (a <...> name is one token, in which
# quotes, slashes and backslashes are characters): only the plain forms
# are read here, in any group, with nothing after the name but blanks and
# comments (a comment going on to the next line leaves the line to GCC, as
# any directive's, and so does a token after a comment: the blanked line
# must end at the name).
_INCLUDE_LINE = re.compile(r"[ \t]*#[ \t]*(?:include|include_next|import)\b")
_INCLUDE_NAME = re.compile(r'[ \t]*#[ \t]*include[ \t]*(?:"([^"]*)"|<([^>]*)>)[ \t]*')
_PLAIN_INCLUDE = re.compile(r'[ \t]*#[ \t]*include[ \t]*(?:"[^"\\\n]*"|<(?:[^>\n"\'\\/]|/(?![/*]))*>)'
                            r'[ \t]*(?:/[/*].*)?\Z')
# '#pragma GCC ...' lines GCC's preprocessor writes as they are, as
# '#pragma pack' (on Linux its arguments are not macro-expanded, and
# neither are these): read here, as GCC reads them.
_PRAGMAS_WRITTEN = {("GCC", "diagnostic"), ("GCC", "visibility")}
_INTEGER = re.compile(r"(0[xX][0-9A-Fa-f]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)"
                      r"([uU](?:ll|LL|[lL])?|(?:ll|LL|[lL])[uU]?)?\Z")
_MAX = (1 << 63) - 1
_MASK = (1 << 64) - 1
_CONDITIONALS = ("if", "ifdef", "ifndef")


class Unread(Exception):
    """Outside what this reader reads exactly: GCC reads the header."""


def _unread(why: str = "") -> Unread:
    return Unread(why)


# ----------------------------------------------------------------- files
def _found(path: str) -> bool:
    """Whether an include finds ``path`` as GCC's open_file does: a
    readable regular file, yes; nothing there (a link to nothing too) or a
    folder, no, the search goes on.  Anything else GCC opens and reads (a
    device, a FIFO) or stops at (a loop of links, no permission): that
    header is GCC's to read."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise _unread(f"{path}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        return False
    if stat.S_ISREG(st.st_mode) and os.access(path, os.R_OK):
        return True
    raise _unread(f"{path} is no readable regular file")


class _File:
    """One header's lines, comments blanked, read once for every ABI."""

    def __init__(self, text: str, data: bytes = b"", mtime: int = 0) -> None:
        # what GCC's '#pragma once' compares two files by: the seconds of
        # their modification times, their sizes and their bytes
        self.data = data
        self.mtime = mtime
        if any(c in text for c in "\f\v\0") or 'R"' in text:
            # GCC's whitespace around a directive's '#', and its raw strings
            raise _unread("form feed, vertical tab, NUL or raw string")
        if "??" in text or "%:" in text or "<:" in text or ":>" in text or "<%" in text \
                or "%>" in text:
            raise _unread("trigraph or digraph")
        self.lines = _blank_comments(text)
        self._tokens: Dict[int, list] = {}

    def tokens(self, i: int) -> list:
        """The tokens of line ``i``: (text, kind, start column)."""
        found = self._tokens.get(i)
        if found is None:
            found = self._tokens[i] = _tokenize(self.lines[i][0])
        return found


def _blank_comments(text: str) -> List[Tuple[str, bool]]:
    """Each line with its comments as blanks, and whether it may be a
    directive: it does not start inside a comment, and a comment started
    on it does not go on to the next line."""
    out: List[Tuple[str, bool]] = []
    in_comment = False
    for line in text.split("\n"):
        if "\\" in line and line.rstrip(" \t\f\v").endswith("\\"):
            raise _unread("line splice")
        began_inside = in_comment
        if not in_comment and "#" in line and _INCLUDE_LINE.match(line) \
                and not _PLAIN_INCLUDE.match(line):
            raise _unread("an #include line GCC lexes its own way")
        if not in_comment and "/" not in line:
            out.append((line, True))
            continue
        buf: List[str] = []
        i, n = 0, len(line)
        while i < n:
            if in_comment:
                end = line.find("*/", i)
                if end < 0:
                    buf.append(" " * (n - i))
                    i = n
                    break
                buf.append(" " * (end + 2 - i))
                i = end + 2
                in_comment = False
                continue
            c = line[i]
            if c == "/" and line.startswith("/*", i):
                in_comment = True
                buf.append("  ")
                i += 2
            elif c == "/" and line.startswith("//", i):
                buf.append(" " * (n - i))
                i = n
            elif c in "\"'":
                j = i + 1
                while j < n and line[j] != c:
                    j += 2 if line[j] == "\\" else 1
                buf.append(line[i:j + 1])
                i = j + 1
            else:
                buf.append(c)
                i += 1
        cleaned = "".join(buf)
        may_direct = not began_inside and not in_comment
        if may_direct and _INCLUDE_LINE.match(cleaned) and not _PLAIN_INCLUDE.match(line):
            # a comment before its '#' or its name: the blanking above may
            # have cut into a <...> name, which GCC reads as one token
            raise _unread("an #include line with a comment before its name")
        if not may_direct and cleaned.lstrip(" \t").startswith("#"):
            raise _unread("a directive and a comment across lines")
        if began_inside and "#" in cleaned:
            raise _unread("'#' after a comment across lines")
        out.append((cleaned, may_direct))
    if in_comment:
        raise _unread("unterminated comment")
    return out


def _tokenize(line: str) -> list:
    out = []
    for m in _TOKEN.finditer(line):
        kind = m.lastgroup
        if kind == "ws":
            continue
        text = m.group()
        if kind == "o":
            raise _unread(f"character {text!r}")
        out.append((text, kind, m.start()))
    return out


# ---------------------------------------------------------------- macros
class _Macro:
    __slots__ = ("params", "body", "used")

    def __init__(self, params: Optional[Tuple[str, ...]], body: Tuple[Tuple[str, str], ...]):
        self.params = params
        self.body = body
        # the parameters the body names (an argument no one uses is never
        # expanded, as GCC does not)
        self.used = frozenset(t for t, k in body if k == "id" and t in (params or ()))


_PARSED: Dict[str, Tuple[str, _Macro]] = {}


def _parse_define(rest: str) -> Tuple[str, _Macro]:
    """``NAME body`` or ``NAME(params) body`` (what follows ``#define``)."""
    found = _PARSED.get(rest)
    if found is not None:
        return found
    toks = _tokenize(rest)
    if not toks or toks[0][1] != "id":
        raise _unread("#define without a name")
    name = toks[0][0]
    if name in DYNAMIC:
        raise _unread(f"#define {name}")
    params: Optional[Tuple[str, ...]] = None
    at = 1
    if len(toks) > 1 and toks[1][0] == "(" and toks[1][2] == toks[0][2] + len(name):
        names: List[str] = []
        at = 2
        while True:
            if at >= len(toks):
                raise _unread("unterminated parameter list")
            text, kind, _ = toks[at]
            if text == ")" and not names:
                at += 1
                break
            if kind != "id" or text in names or text in DYNAMIC:
                raise _unread("parameter list")
            names.append(text)
            at += 1
            if at < len(toks) and toks[at][0] == ",":
                at += 1
                continue
            if at < len(toks) and toks[at][0] == ")":
                at += 1
                break
            raise _unread("parameter list")
        params = tuple(names)
    body = tuple((t[0], t[1]) for t in toks[at:])
    for text, _kind in body:
        if text in ("#", "##") or text in DYNAMIC:
            raise _unread(f"{text} in a macro")
    found = _PARSED[rest] = (name, _Macro(params, body))
    return found


@lru_cache(maxsize=None)
def _predefined(abi_name: str) -> Dict[str, Optional[str]]:
    from .preprocess import abi_macros

    out: Dict[str, Optional[str]] = {}
    for name, body in abi_macros(abi_name).items():
        base = name.split("(", 1)[0]
        out[base] = None if base in UNCERTAIN else _ALTIVEC_MARK if base in ALTIVEC \
            else f"{name[len(base):]} {body}"
    return out


def initial_macros(abi: ABI, extra: Dict[str, str], config) -> Dict[str, Optional[str]]:
    """What each macro GCC starts from for ``abi`` is defined as (the text
    after its name in a #define; ``None``: nothing known, see UNCERTAIN;
    ``""``: not a macro), as ``compile_flags`` gives them: predefined, the
    rules' ``extra``, the user's -D, then -U."""
    out = dict(_predefined(abi.name))
    for name, value in sorted(extra.items()) + list(config.defines):
        base = name.split("(", 1)[0]
        out[base] = f"{name[len(base):]} {value}"  # an empty value: an empty macro
    for name in config.undefs:
        out[name] = ""
    return out


# ------------------------------------------------------------------ reading
class _Reading:
    """One reading of a header for the macros ``initial`` starts from."""

    def __init__(self, initial: Dict[str, Optional[str]], files: Dict[str, _File],
                 include_dirs: Sequence[Tuple[str, str]] = ()) -> None:
        self.initial = initial
        self.files = files
        # the user's -I folders: (where to look, as GCC spells what it finds)
        self.include_dirs = include_dirs
        self.local: Dict[str, Optional[_Macro]] = {}
        self.asked: Dict[str, Optional[str]] = {}
        self.out: List[str] = []
        self.read: List[str] = []
        self.made = 0  # tokens macros made, times the names that made each
        self.if_defined = False
        self.in_if = False
        self.steps = 0
        self.deadline = time.monotonic() + TIME_LIMIT
        self.once: List[_File] = []  # the files '#pragma once' marked

    # what a name means now (``defined``: asked by #ifdef or defined)
    def macro(self, name: str, defined: bool = False) -> Optional[_Macro]:
        if name in self.local:
            return self.local[name]
        raw = self.initial.get(name, "")
        if raw is None:
            raise _unread(f"{name} (freestanding, not recorded)")
        if name not in self.asked:
            self.asked[name] = raw
        if raw == "":
            return None
        if raw == _ALTIVEC_MARK:
            if defined or (name in _ALTIVEC_KEPT and not self.in_if):
                return None
            raise _unread(f"AltiVec's {name}")
        return _parse_define(name + raw)[1]

    # -------------------------------------------------------------- files
    def load(self, path: str) -> _File:
        """The lines of the header at ``path``, read once for every reading."""
        f = self.files.get(path)
        if f is None:
            from .preprocess import header_text, read_header_bytes

            try:
                st = os.stat(path)
                if st.st_size > MAX_FILE_BYTES:
                    raise _unread(f"{path} is large")
                data = read_header_bytes(path)
                f = _File(header_text(data), data, st.st_mtime_ns // 1_000_000_000)  # tv_sec
            except Unread:
                raise
            except Exception:
                raise _unread(f"{path} cannot be read") from None
            self.files[path] = f
        return f

    def once_skipped(self, f: _File) -> bool:
        """Does GCC pass over an #include of ``f``?  As GCC 12's
        should_stack_file: when ``f`` or a file of the same size, the same
        modification time (in seconds) and the same bytes was marked by
        '#pragma once' (another name for the same file, or a copy)."""
        return any(g is f or (g.mtime == f.mtime and len(g.data) == len(f.data) and g.data == f.data)
                   for g in self.once)

    def file(self, path: str, marker: str, depth: int) -> None:
        from .preprocess import marker_name

        if depth >= MAX_DEPTH or len(self.out) > MAX_LINES or time.monotonic() > self.deadline:
            raise _unread("#include nested too deeply, too much text, or too slow")
        f = self.load(path)
        if not (marker.isascii() and marker.isprintable()):
            raise _unread("a file name GCC writes escaped")
        if marker not in self.read:
            self.read.append(marker)
        quoted = f'"{marker_name(marker)}"'
        self.out.append(f"# 1 {quoted}{' 1' if depth else ''}")
        out = self.out
        # per open #if: [the group around it is read, this branch is read,
        # a branch was taken, #else was met]
        stack: List[List[bool]] = []
        reading = True
        lines = f.lines
        for i in range(len(lines)):
            if not i & 0xFFF and i and time.monotonic() > self.deadline:
                raise _unread("too slow")
            line, may_direct = lines[i]
            m = _DIRECTIVE.match(line) if may_direct and "#" in line else None
            if m is None:
                out.append(self.text_line(f, i, line) if reading else "")
                continue
            out.append("")
            word = m.group(1)
            after = line[m.end():m.end() + 1]
            if after == "\\" or after == "$" or (after and not after.isascii()):
                raise _unread("a directive name GCC reads on")  # a UCN, $, UTF-8
            if word in ("elifdef", "elifndef"):
                raise _unread(f"#{word}")  # GCC 12 reads them in any group
            if word in _CONDITIONALS:
                if not reading:
                    stack.append([False, False, True, False])
                    continue
                if word == "if":
                    taken = self.condition(f, i, m.end())
                else:
                    toks = self.rest(f, i, m.end())
                    if len(toks) != 1 or toks[0][1] != "id" or toks[0][0] in DYNAMIC:
                        raise _unread(f"#{word}")
                    taken = (self.macro(toks[0][0], True) is not None) == (word == "ifdef")
                stack.append([True, taken, taken, False])
                reading = taken
                continue
            if word in ("elif", "else", "endif"):
                if not stack:
                    raise _unread(f"#{word} without #if")
                top = stack[-1]
                if top[3] and word != "endif":
                    raise _unread(f"#{word} after #else")
                if word == "endif":
                    if reading and self.rest(f, i, m.end()):
                        raise _unread("#endif with tokens")
                    stack.pop()
                elif word == "else":
                    if reading and self.rest(f, i, m.end()):
                        raise _unread("#else with tokens")
                    top[1] = top[0] and not top[2]
                    top[2] = top[3] = True
                elif not top[0] or top[2]:
                    top[1] = False
                else:
                    top[1] = top[2] = self.condition(f, i, m.end())
                reading = stack[-1][1] if stack else True
                continue
            if not reading:
                continue
            toks = self.rest(f, i, m.end())
            if word == "":
                if toks:
                    raise _unread("line marker or stray '#'")
            elif word == "define":
                name, macro = _parse_define(line[m.end():].strip())
                self.local[name] = macro
            elif word == "undef":
                if len(toks) != 1 or toks[0][1] != "id" or toks[0][0] in DYNAMIC:
                    raise _unread("#undef")
                self.local[toks[0][0]] = None
            elif word == "include":
                named = _INCLUDE_NAME.match(line)
                if named is None or named.end() != len(line):
                    raise _unread("#include other than \"name\" or <name>")
                angle = named.group(2) is not None
                name = named.group(2) if angle else named.group(1)
                if not name or "\\" in name or "\0" in name or name.startswith("/"):
                    raise _unread("#include name")
                found = None
                if not angle:  # first beside the includer, as GCC looks
                    here = os.path.join(os.path.dirname(path), name)
                    if _found(here):
                        cut = marker.rfind("/")
                        found = here, (marker[:cut + 1] if cut >= 0 else "") + name
                for folder, spelt in ([] if found else self.include_dirs):
                    here = os.path.join(folder, name)
                    if _found(here):
                        found = here, spelt + "/" + name
                        break
                if found is None:
                    raise _unread(f"{name} is in no folder this reader searches")
                if self.once and self.once_skipped(self.load(found[0])):
                    continue  # GCC writes nothing for it
                out.pop()
                self.file(found[0], found[1], depth + 1)
                out.append(f"# {i + 2} {quoted} 2")
            elif word == "pragma":
                # No pragma read here is macro-expanded, by GCC or here.
                # '#pragma once' marks its file; those GCC writes as they
                # are (_PRAGMAS_WRITTEN) are written, each token spaced as
                # GCC spaces it (one blank where the line has blanks or a
                # comment); any other pragma is GCC's.
                words = [t[0] for t in toks]
                if words == ["once"]:
                    if f not in self.once:
                        self.once.append(f)
                elif words[:1] == ["pack"] or tuple(words[:2]) in _PRAGMAS_WRITTEN:
                    out[-1] = "#pragma " + "".join(
                        (" " if k and t[2] > toks[k - 1][2] + len(toks[k - 1][0]) else "") + t[0]
                        for k, t in enumerate(toks))
                else:
                    raise _unread("#pragma")
            else:
                raise _unread(f"#{word}")
        if stack:
            raise _unread("unterminated #if")

    @staticmethod
    def rest(f: _File, i: int, start: int) -> list:
        """The tokens of line ``i`` from column ``start`` on."""
        return [t for t in f.tokens(i) if t[2] >= start]

    # -------------------------------------------------------------- lines
    def text_line(self, f: _File, i: int, line: str) -> str:
        toks = f.tokens(i)
        changed = False
        for text, kind, _ in toks:
            if kind == "id":
                if text in DYNAMIC:
                    raise _unread(text)
                if self.macro(text) is not None:
                    changed = True
            elif text in ("#", "##"):
                raise _unread("'#' in text")
        if not changed:
            return line
        expanded = self.expand([(t[0], t[1], frozenset()) for t in toks], at_end_open=True)
        lead = len(line) - len(line.lstrip(" \t"))
        return line[:lead] + " ".join(t[0] for t in expanded)

    def expand(self, toks: list, at_end_open: bool) -> list:
        """``toks`` (text, kind, names whose expansion made it) macro
        expanded.  ``at_end_open``: what follows the last token may be the
        next line (a function-like macro's '(' could be there)."""
        out: list = []
        pending = list(reversed(toks))
        while pending:
            self.steps += 1
            if not self.steps & 0xFFF and time.monotonic() > self.deadline:
                raise _unread("too slow")
            tok = pending.pop()
            text, kind, made_by = tok
            if kind != "id":
                out.append(tok)
                continue
            if text in DYNAMIC:
                raise _unread(text)
            macro = self.macro(text)
            if macro is None:
                out.append(tok)
                continue
            if text in made_by:
                raise _unread(f"{text} inside its own expansion")
            self.made += len(macro.body) * (len(made_by) + 1)
            if self.made > MAX_TOKENS:
                raise _unread("macros made too many tokens")
            if macro.params is None:
                made = made_by | {text}
                pending.extend(reversed([(t, k, made) for t, k in macro.body]))
                continue
            if not pending:
                if at_end_open:
                    raise _unread(f"{text}'s arguments could be on the next line")
                out.append(tok)
                continue
            if pending[-1][0] != "(":
                out.append(tok)
                continue
            if self.if_defined:
                # GCC reads a 'defined' among the arguments after expanding
                # them, and this reading before
                raise _unread("defined and a function-like macro in one #if")
            pending.pop()
            args: List[list] = [[]]
            depth = 0
            made = made_by | {text}
            while True:
                if not pending:
                    raise _unread(f"{text}'s arguments do not end on its line")
                a = pending.pop()
                made = made | a[2]
                if a[0] == "(":
                    depth += 1
                elif a[0] == ")":
                    if depth == 0:
                        break
                    depth -= 1
                elif a[0] == "," and depth == 0:
                    args.append([])
                    continue
                args[-1].append(a)
            params = macro.params
            if len(args) != len(params) and not (not params and args == [[]]):
                raise _unread(f"{text}: {len(args)} arguments for {len(params)}")
            self.made += sum(map(len, args))
            if self.made > MAX_TOKENS:
                raise _unread("macros made too many tokens")
            expanded = {p: self.expand(arg, at_end_open=False)
                        for p, arg in zip(params, args, strict=False) if p in macro.used}
            body: list = []
            for t, k in macro.body:
                if k == "id" and t in expanded:
                    self.made += len(expanded[t]) * (len(made) + 1)
                    if self.made > MAX_TOKENS:
                        raise _unread("macros made too many tokens")
                    body.extend((a[0], a[1], a[2] | made) for a in expanded[t])
                else:
                    body.append((t, k, made))
            pending.extend(reversed(body))
        return out

    # ------------------------------------------------------------------ #if
    def condition(self, f: _File, i: int, start: int) -> bool:
        toks = self.rest(f, i, start)
        plain: list = []
        j = 0
        while j < len(toks):
            text, kind, _ = toks[j]
            if text == "defined":
                j += 1
                paren = j < len(toks) and toks[j][0] == "("
                if paren:
                    j += 1
                if j >= len(toks) or toks[j][1] != "id":
                    raise _unread("defined without a name")
                name = toks[j][0]
                if name in DYNAMIC:
                    raise _unread(f"defined {name}")
                if paren:
                    j += 1
                    if j >= len(toks) or toks[j][0] != ")":
                        raise _unread("defined( without ')'")
                plain.append(("1" if self.macro(name, True) is not None else "0", "num",
                              frozenset()))
                j += 1
                continue
            plain.append((text, kind, frozenset()))
            j += 1
        self.if_defined = "defined" in (t[0] for t in toks)
        self.in_if = True
        try:
            expanded = self.expand(plain, at_end_open=False)
        finally:
            self.if_defined = self.in_if = False
        values = []
        for text, kind, _ in expanded:
            if kind == "id":
                if text in _IF_WORDS:
                    raise _unread(text)
                values.append((0, False))
            elif kind == "num":
                values.append(_integer(text))
            elif kind == "p" and text in _BINARY or text in ("(", ")", "!", "~", "?", ":"):
                values.append(text)
            else:
                raise _unread(f"{text!r} in #if")
        if not values:
            raise _unread("empty #if")
        value, at = _Expr(values).parse()
        return value[0] != 0


def _integer(text: str) -> Tuple[int, bool]:
    m = _INTEGER.match(text)
    if m is None:
        raise _unread(f"{text} in #if")
    digits, suffix = m.group(1), m.group(2) or ""
    if len(digits) > 70:
        raise _unread(f"{text[:20]}... is too large")
    if digits[:2] in ("0x", "0X"):
        value = int(digits[2:], 16)
    elif digits[:2] in ("0b", "0B"):
        value = int(digits[2:], 2)
    elif digits.startswith("0"):
        value = int(digits, 8)
    else:
        value = int(digits)
    unsigned = "u" in suffix or "U" in suffix
    if value > _MASK or (value > _MAX and not unsigned):
        raise _unread(f"{text} is too large")
    return value, unsigned


# binary operators of #if, by precedence (higher binds tighter)
_BINARY = {"*": 10, "/": 10, "%": 10, "+": 9, "-": 9, "<<": 8, ">>": 8, "<": 7, ">": 7,
           "<=": 7, ">=": 7, "==": 6, "!=": 6, "&": 5, "^": 4, "|": 3, "&&": 2, "||": 1}


class _Expr:
    """An #if expression over (value, unsigned) pairs, as GCC evaluates it
    (intmax_t or uintmax_t); what GCC would warn about or refuse
    (overflow, division by zero) is Unread."""

    def __init__(self, items: list) -> None:
        self.items = items
        self.at = 0

    def parse(self) -> Tuple[Tuple[int, bool], int]:
        value = self.conditional()
        if self.at != len(self.items):
            raise _unread("#if: tokens left")
        return value, self.at

    def peek(self):
        return self.items[self.at] if self.at < len(self.items) else None

    def conditional(self) -> Tuple[int, bool]:
        cond = self.binary(1)
        if self.peek() != "?":
            return cond
        self.at += 1
        yes = self.conditional()
        if self.peek() != ":":
            raise _unread("#if: ?: without ':'")
        self.at += 1
        no = self.conditional()
        unsigned = yes[1] or no[1]
        chosen = yes if cond[0] != 0 else no
        return (chosen[0] & _MASK if unsigned else chosen[0]), unsigned

    def binary(self, level: int) -> Tuple[int, bool]:
        left = self.unary()
        while True:
            op = self.peek()
            prec = _BINARY.get(op) if isinstance(op, str) else None
            if prec is None or prec < level:
                return left
            self.at += 1
            right = self.binary(prec + 1)
            left = _apply(op, left, right)

    def unary(self) -> Tuple[int, bool]:
        item = self.peek()
        if item is None:
            raise _unread("#if: operand missing")
        self.at += 1
        if isinstance(item, tuple):
            return item
        if item == "(":
            value = self.conditional()
            if self.peek() != ")":
                raise _unread("#if: '(' without ')'")
            self.at += 1
            return value
        if item in ("+", "-", "~", "!"):
            v, unsigned = self.unary()
            if item == "!":
                return (0 if v else 1), False
            if item == "+":
                return v, unsigned
            if item == "-":
                if unsigned:
                    return (-v) & _MASK, True
                if v == -_MAX - 1:
                    raise _unread("#if: overflow")
                return -v, False
            return ((~v) & _MASK if unsigned else ~v), unsigned
        raise _unread(f"#if: {item!r}")


def _apply(op: str, a: Tuple[int, bool], b: Tuple[int, bool]) -> Tuple[int, bool]:
    if op == "&&":
        return (1 if a[0] and b[0] else 0), False
    if op == "||":
        return (1 if a[0] or b[0] else 0), False
    if op in ("<<", ">>"):
        count = b[0]
        # (the type of the left operand: libcpp's num_binary_op)
        if count < 0 or count >= 64 or (op == "<<" and a[0] < 0):
            raise _unread("#if: shift")
        if op == ">>":
            return (a[0] >> count), a[1]
        value = a[0] << count
        if a[1]:
            return value & _MASK, True
        if value > _MAX or value < -_MAX - 1:
            raise _unread("#if: overflow")
        return value, False
    unsigned = a[1] or b[1]
    x, y = (a[0] & _MASK, b[0] & _MASK) if unsigned else (a[0], b[0])
    if op in ("<", ">", "<=", ">=", "==", "!="):
        result = {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y, "==": x == y, "!=": x != y}[op]
        return (1 if result else 0), False
    if op in ("/", "%"):
        if y == 0 or (not unsigned and x == -_MAX - 1 and y == -1):
            raise _unread("#if: division by zero or overflow")
        q = abs(x) // abs(y)
        if (x < 0) != (y < 0):
            q = -q
        value = q if op == "/" else x - q * y
    elif op == "*":
        value = x * y
    elif op == "+":
        value = x + y
    elif op == "-":
        value = x - y
    elif op == "&":
        value = x & y
    elif op == "^":
        value = x ^ y
    else:
        value = x | y
    if unsigned:
        return value & _MASK, True
    if value > _MAX or value < -_MAX - 1:
        raise _unread("#if: overflow")
    return value, False


# ------------------------------------------------------------------ entry
def _include_folders(dirs: Sequence[str], abis: Sequence[ABI]) -> Optional[List[Tuple[str, str]]]:
    """The user's -I folders, each with the spelling GCC gives what it finds
    there (``path_arg``'s, one trailing '/' dropped), in order; None when
    one is among an ABI's system folders (GCC then drops the -I, and reads
    the folder as a system one) or is spelt in a way this reader leaves
    to GCC."""
    from ..safety import path_arg
    from .preprocess import system_include_dirs

    if not dirs:
        return []
    system = set()
    for abi in abis:
        for folder in system_include_dirs(abi):
            try:
                st = os.stat(folder)
            except OSError:
                continue
            system.add((st.st_dev, st.st_ino))
    out = []
    for folder in dirs:
        spelt = path_arg(folder)
        if spelt.endswith("/"):
            spelt = spelt[:-1]
        if not spelt or spelt.endswith("/") or not (spelt.isascii() and spelt.isprintable()):
            return None
        try:
            st = os.stat(folder)
        except OSError as exc:
            # libcpp's remove_duplicates passes over a folder that is not
            # there (or not allowed); any other failure stops GCC
            if exc.errno in (errno.ENOENT, errno.EPERM):
                continue
            return None
        if (st.st_dev, st.st_ino) in system:
            return None
        out.append((folder, spelt))
    return out


def read_plain(path: str, filename: str, abis: Sequence[ABI], config,
               abi_defines: Dict[str, Dict[str, str]]):
    """The header at ``path`` read for each ABI: (``preprocess.Preprocessed``
    groups, one per distinct text; the ABIs left to GCC), or None when the
    first ABI's reading finds it is not plain (GCC reads it for all).  An
    ABI whose own answers lead the reading outside the plain subset (a
    branch only it takes, a macro only it has and this reader leaves to
    GCC) is left to GCC alone.

    Python's cyclic collector is kept out of the reading: it makes a tuple
    per token, none in a cycle, and the collections its allocations set
    off were half the time of a reading of a million tokens."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_plain(path, filename, abis, config, abi_defines)
    finally:
        if was_enabled:
            gc.enable()


def _read_plain(path: str, filename: str, abis: Sequence[ABI], config,
                abi_defines: Dict[str, Dict[str, str]]):
    from ..safety import path_arg
    from .preprocess import Preprocessed

    files: Dict[str, _File] = {}
    marker = path_arg(path)
    pending = list(abis)
    starts = {a.name: initial_macros(a, abi_defines.get(a.name, {}), config) for a in abis}
    folders = _include_folders(config.include_dirs, abis)
    if folders is None:
        return None
    groups: List[Preprocessed] = []
    by_text: Dict[str, Preprocessed] = {}
    left: List[ABI] = []
    while pending:
        abi = pending.pop(0)
        reading = _Reading(starts[abi.name], files, folders)
        try:
            reading.file(path, marker, 0)
        except (Unread, RecursionError, ValueError):
            if not groups:
                return None
            left.append(abi)
            continue
        text = "\n".join(reading.out) + "\n"
        group = by_text.get(text)
        if group is None:
            group = by_text[text] = Preprocessed(text, [], filename, frozenset(reading.asked),
                                                 tuple(reading.read))
            groups.append(group)
        group.abis.append(abi)
        rest = []
        for other in pending:
            start = starts[other.name]
            if all(start.get(name, "") == raw for name, raw in reading.asked.items()):
                group.abis.append(other)
            else:
                rest.append(other)
        pending = rest
    order = {a.name: i for i, a in enumerate(abis)}
    for group in groups:
        group.abis.sort(key=lambda a: order[a.name])
    return groups, left
