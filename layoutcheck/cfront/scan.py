"""What of a preprocessed text the parser reads now, and what only on demand.

A kernel header is mostly function bodies and function prototypes: in the
six big headers of a configured 6.1 tree (3.5 MB preprocessed), 70 % of the
tokens are in bodies and another 20 % in prototypes and function heads.
None of them can change a layout, except that an expression in a layout may
name a function or a variable (``typeof(&arch___set_bit)`` in a static
assert, ``sizeof(some_table)``).  So the text is read in two steps:

1. ``split`` walks the text with one regular expression that stops only at
   what delimits a declaration (``;``, braces, parentheses, ``=``, quotes,
   directive lines, and the words ``typedef``, ``_Static_assert``,
   ``static_assert``, ``_Pragma`` and ``__attribute__``).  Each external
   declaration becomes one item:

   * *parsed*: it has a ``typedef``, a brace that is not a function body
     (a struct, union or enum definition, an initialiser), a static assert,
     or a directive line inside it; or it is a directive (``#pragma``)
     between declarations;
   * *deferred*: anything else, a declaration of functions or variables, or
     a function definition whose head defines no type.  It is kept as a
     span of the text, tokenized and parsed only when a layout names one of
     its identifiers (``Deferred``).

   A function body is a ``{`` at the outer level that directly follows the
   ``)`` of a parameter list (not of an ``__attribute__``) in a declaration
   with no ``=``: its text is passed over by brace matching (string and
   character literals and comments do not count), never tokenized.  A
   ``#pragma pack`` inside it is refused: its state would outlive the body.

2. ``Tokenizer`` turns the parsed spans into pycparser tokens.  Identifiers
   and punctuators, nearly all of them, are recognised here; every other
   token (numbers, strings, character constants, directive lines, C23
   attributes, stray characters) is handed to pycparser's own lexer at that
   position, so its types, values and errors are pycparser's.  Coordinates
   follow the preprocessor's line markers, wherever in the text they are.

Line numbers are kept across the spans that are not tokenized by counting
their newlines and reading the line markers among them.
"""

from __future__ import annotations

import bisect
import re
from typing import Callable, Dict, List, Optional, Tuple

from pycparser.c_lexer import CLexer, Token, _fixed_tokens_by_first, _keyword_map, _line_pattern, \
    _pragma_pattern
from pycparser.c_parser import Coord

from ..errors import LayoutError, where_of

# --------------------------------------------------------------- split
_STOP_WORDS = r"""|\b(?:typedef|_Static_assert|static_assert|_Pragma|__attribute__|__attribute)\b"""
# a directive line: in text GCC (or pcpp, see preprocess.py) wrote, its
# '#' is the line's first character; in a header read as it is written
# (--cpp none), blanks may come before it
_STOP = re.compile(r"""[;{}()\[\]="'/]|<%|%>|^\#""" + _STOP_WORDS, re.M)
_STOP_SOURCE = re.compile(r"""[;{}()\[\]="'/]|<%|%>|^[ \t\f\v]*\#""" + _STOP_WORDS, re.M)
_QUOTED = {'"': re.compile(r'"(?:[^"\\\n]|\\.)*"'),
           "'": re.compile(r"'(?:[^'\\\n]|\\.)*'")}
_PRAGMA_PACK = re.compile(r"[ \t]*pragma[ \t]+pack\b")
_ATTRIBUTE_WORDS = ("__attribute__", "__attribute")
_RELEVANT_WORDS = ("typedef", "_Static_assert", "static_assert", "_Pragma")

# Item kinds.
PARSE = 0      # a declaration (or directive line) the parser reads now
DEFER = 1      # a declaration read only when a layout names what it declares


class Item:
    """One external declaration or directive line of the text.

    ``start``/``end`` delimit its text; for a function definition,
    ``body`` is the span of its braces (``{`` to ``}`` inclusive)."""

    __slots__ = ("kind", "start", "end", "body")

    def __init__(self, kind: int, start: int, end: int, body: Optional[Tuple[int, int]] = None):
        self.kind = kind
        self.start = start
        self.end = end
        self.body = body


class Split:
    """``split``'s result: the items in order, the offsets of every
    directive line that is a line marker, and where a body stopped the
    text early (offset of its '{'), if one did."""

    def __init__(self, items: List[Item], markers: List[int], unterminated_body: Optional[int]):
        self.items = items
        self.markers = markers
        self.unterminated_body = unterminated_body


def _skip_comment(text: str, pos: int, limit: int) -> int:
    """Past a comment at ``pos``, or past a lone '/'; -1 for a comment
    text[:limit] does not close."""
    if text.startswith("/*", pos):
        end = text.find("*/", pos + 2, limit)
        return -1 if end < 0 else end + 2
    if text.startswith("//", pos):
        end = text.find("\n", pos, limit)
        return limit if end < 0 else end
    return pos + 1


def _directive(text: str, hash_end: int) -> str:
    """What the directive line whose '#' ends at ``hash_end`` is:
    'marker', 'pack' (#pragma pack), 'pragma' or 'other'."""
    if _line_pattern.match(text, hash_end):
        return "marker"
    if _pragma_pattern.match(text, hash_end):
        return "pack" if _PRAGMA_PACK.match(text, hash_end) else "pragma"
    return "other"


def _blank_or_markers(text: str, start: int, end: int, reading: "_Reading") -> bool:
    """Is text[start:end] only blanks and line markers?"""
    gap = text[start:end]
    if not gap.strip():
        return True
    for n, line in enumerate(gap.split("\n")):
        if not line.strip():
            continue
        if reading.first_column:  # its '#' first on its line
            if not (line[0] == "#" and (n > 0 or start == 0 or text[start - 1] == "\n")
                    and _line_pattern.match(line, 1)):
                return False
        else:
            line = line.strip()
            if not (line[0] == "#" and _line_pattern.match(line, 1)):
                return False
    return True


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end + 1


# What a body holds between two things _skip_body must look at: anything but
# a brace (or its digraph), a quote, a comment or a directive line; and
# whole literals, raw strings (GNU C has them) included.
# A function body is never read: in both readings (below) an indented
# directive line in one is looked at, so that a '#pragma pack' a macro
# wrote into a body is refused there as a real one is.
_BODY_RUN = re.compile(
    r"""(?:[^{}"'/\n<%]+|<(?!%)|%(?!>)"""
    r'|(?<=R)"(?P<delim>[^()\\\s]{0,16})\((?:[^)]|\)(?!(?P=delim)"))*\)(?P=delim)"'
    r"""|(?<!R)"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|/(?![*/])|\n(?![ \t\f\v]*\#))*""")
_DIRECTIVE_HERE = re.compile(r"[ \t\f\v]*\#")


class _Reading:
    """Where directive lines are: preprocessor output (GCC writes each at
    the start of its line; a '#' anywhere else is a stray one a macro
    wrote, refused where it stands) or a header read as it is written."""

    def __init__(self, stop, first_column: bool):
        self.stop = stop
        self.first_column = first_column


PREPROCESSED = _Reading(_STOP, True)
SOURCE = _Reading(_STOP_SOURCE, False)
# _Pragma("pack(...)") written in a body (gcc -E makes it a #pragma line).
_PRAGMA_OPERATOR_PACK = re.compile(r"""\b_Pragma\s*\(\s*L?"\s*pack\b""")


def _skip_body(text: str, start: int, limit: int, markers: List[int], packs: List[int]) -> int:
    """The offset just past the '}' (or '%>') that closes the body whose
    '{' ends at ``start``, or -1 if text[:limit] ends first.  Line markers
    met are added to ``markers``, ``#pragma pack`` lines and
    ``_Pragma("pack...")`` to ``packs`` (only when the body closes)."""
    depth = 1
    pos = start
    run = _BODY_RUN.match
    directive_here = _DIRECTIVE_HERE.match
    found: List[int] = []
    found_packs: List[int] = []
    while True:
        if (pos == 0 or text[pos - 1] == "\n") and directive_here(text, pos, limit):
            hash_end = text.index("#", pos) + 1  # a directive line
            kind = _directive(text, hash_end)
            if kind == "marker":
                found.append(hash_end - 1)
            elif kind == "pack":
                found_packs.append(hash_end - 1)
            pos = _line_end(text, hash_end)
            continue
        pos = run(text, pos, limit).end()
        if pos >= limit:
            return -1
        c = text[pos]
        if c == "{" or text.startswith("<%", pos):
            depth += 1
            pos += 1 if c == "{" else 2
        elif c == "}" or text.startswith("%>", pos):
            depth -= 1
            pos += 1 if c == "}" else 2
            if depth == 0:
                if text.find("_Pragma", start, pos) >= 0:  # rare: look closer
                    pragma = _PRAGMA_OPERATOR_PACK.search(text, start, pos)
                    if pragma is not None:
                        found_packs.append(pragma.start())
                markers.extend(found)
                packs.extend(sorted(found_packs)[:1])
                return pos
        elif c == "\n":  # a directive line follows
            pos += 1
        elif c == "/":
            pos = _skip_comment(text, pos, limit)
            if pos < 0:
                return -1
        else:  # a quote (or raw string) that does not close: not a literal
            pos += 1


_END = re.compile(r"[;{]|<%")
# What makes a declaration need the stop-by-stop reading: these characters,
# or one of _RELEVANT_WORDS as a word (found with str.find: a regular
# expression with the words in it reads five times slower).
_UNPLAIN = re.compile(r"""["'/#=]""")
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$")


def _has_word(text: str, word: str, pos: int, end: int) -> bool:
    i = text.find(word, pos, end)
    while i >= 0:
        after = i + len(word)
        if (i == 0 or text[i - 1] not in _WORD_CHARS) and (after >= len(text) or text[after] not in _WORD_CHARS):
            return True
        i = text.find(word, i + 1, end)
    return False
_ATTRIBUTE_BEFORE = re.compile(r"\b__attribute(?:__)?\s*\Z")


def _plain_declaration(text: str, pos: int, limit: int, markers: List[int],
                       packs: List[int]) -> Optional[Tuple[int, Optional[Tuple[int, int]]]]:
    """(end, body) of the declaration starting at ``pos`` when it is plain:
    no quote, comment, directive, '=', typedef, static assert or _Pragma
    before its first ';' or '{', and either a ';' at the outer level (a
    declaration of functions or variables) or a '{' right after the ')'
    of a parameter list (a function definition, its body skipped).  Else
    None: ``Splitter.run`` reads it stop by stop (same items, slower)."""
    m = _END.search(text, pos, limit)
    if m is None:
        return None
    end = m.start()
    if _UNPLAIN.search(text, pos, end) is not None:
        return None
    for word in _RELEVANT_WORDS:
        if _has_word(text, word, pos, end):
            return None
    if text.count("(", pos, end) != text.count(")", pos, end) \
            or text.count("[", pos, end) != text.count("]", pos, end):
        return None
    if text[end] == ";":
        return end + 1, None
    close = end - 1
    while close >= pos and text[close] in " \t\n":
        close -= 1
    if close < pos or text[close] != ")":
        return None  # a struct, union or enum definition
    depth = 1
    i = close
    while depth:  # back to the '(' that opens the last group
        i = max(text.rfind("(", pos, i), text.rfind(")", pos, i))
        if i < 0:
            return None
        depth += 1 if text[i] == ")" else -1
    if _ATTRIBUTE_BEFORE.search(text, pos, i):
        return None
    body_end = _skip_body(text, m.end(), limit, markers, packs)
    if body_end < 0:
        return None
    return body_end, (end, body_end)


class Splitter:
    """``split`` as text arrives: ``run`` reads the text up to ``limit``
    (the end of a line, or of the text when it is complete) and returns
    the items completed; what it cannot finish yet (a declaration, a body,
    a comment) is read again from its start next time."""

    def __init__(self, reading: _Reading = PREPROCESSED, memo: bool = False) -> None:
        self.reading = reading
        # stretches split in other texts are taken from there (``run``): for
        # a text read with others (the parser's _Reuse)
        self.memo = memo and reading is PREPROCESSED
        self.markers: List[int] = []
        self.packs: List[int] = []
        self.unterminated_body: Optional[int] = None
        # pos, start, paren, brace, bracket, relevant, has_eq, nonblank,
        # attr_word_end, group_is_attr, last_close, last_close_attr
        self.state = _clean(0)
        self.done = False

    def run(self, text: str, limit: int, final: bool) -> List[Item]:
        """The items completed in text[:limit] (``limit`` the end of a
        line, or of the text when ``final``).  With ``memo``, a stretch
        between two line markers of a preprocessor's output that this
        process split before, from the same state (a declaration's start),
        is not read again: its items are those found then (``_SEGMENTS``)."""
        if self.done or not self.memo:
            return self._run(text, limit, final)
        items: List[Item] = []
        marks = [m.span() for m in _MARKER_LINE.finditer(text, self.state[0], limit)]
        for (_, begin), (end, _) in zip(marks, marks[1:], strict=False):
            items += self._run(text, begin, False)
            if not _at_rest(self.state, begin):
                continue  # the stretch starts inside a declaration
            seg = text[begin:end]
            kept = _SEGMENTS.get(seg)
            if kept is not None:
                found, markers, packs, state = kept
                items += [Item(kind, start + begin, stop + begin,
                               None if body is None else (body[0] + begin, body[1] + begin))
                          for kind, start, stop, body in found]
                self.markers += [at + begin for at in markers]
                self.packs += [at + begin for at in packs]
                self.state = _shifted(state, begin)
                continue
            had_markers, had_packs = len(self.markers), len(self.packs)
            got = self._run(text, end, False)
            items += got
            if not self.done:
                _keep_segment(seg, (
                    tuple((it.kind, it.start - begin, it.end - begin,
                           None if it.body is None else (it.body[0] - begin, it.body[1] - begin))
                          for it in got),
                    tuple(at - begin for at in self.markers[had_markers:]),
                    tuple(at - begin for at in self.packs[had_packs:]),
                    _shifted(self.state, -begin)))
        return items + self._run(text, limit, final)

    def _run(self, text: str, limit: int, final: bool) -> List[Item]:
        items: List[Item] = []
        if self.done:
            return items
        markers, packs = self.markers, self.packs
        reading = self.reading
        search = reading.stop.search
        (pos, start, paren, brace, bracket, relevant, has_eq, nonblank, attr_word_end, group_is_attr,
         last_close, last_close_attr) = self.state
        while True:
            if not nonblank and paren == 0 and brace == 0 and bracket == 0:
                # A declaration's start: most are prototypes or function
                # definitions, read here whole when nothing in them needs
                # the stop-by-stop reading below.
                end = _plain_declaration(text, pos, limit, markers, packs)
                if end is not None:
                    items.append(Item(DEFER, start, end[0], end[1]))
                    start = pos = end[0]
                    continue
            m = search(text, pos, limit)
            if m is None:
                break
            at = m.start()
            pos = m.end()
            if pos - at > 2 and ((at and text[at - 1] == "$") or text.startswith("$", pos)):
                continue  # a stop word in a longer identifier: '$' is a letter (_has_word)
            c = text[pos - 1]
            if pos - at == 2 and c in "%>":  # a digraph: <% is {, %> is }
                c = "{" if c == "%" else "}"
            if c != "#":
                nonblank = True
            if attr_word_end >= 0 and c != "#" and c != "(":
                attr_word_end = -1  # only a line marker may stand between it and its '('
            if c == ";":
                if paren == 0 and brace == 0:
                    items.append(Item(PARSE if relevant else DEFER, start, pos))
                    start = pos
                    relevant = has_eq = nonblank = False
                    last_close = -1
                    bracket = 0
            elif c == "(":
                if paren == 0:
                    group_is_attr = attr_word_end >= 0 and _blank_or_markers(text, attr_word_end, at, reading)
                attr_word_end = -1
                paren += 1
            elif c == ")":
                # (a ')' or ']' with none open counts too, as it does for
                # _plain_declaration: the text is invalid, and both readings
                # go on alike, wherever a line marker cuts it)
                paren -= 1
                if paren == 0:
                    last_close = pos - 1
                    last_close_attr = group_is_attr
            elif c == "[":
                bracket += 1
            elif c == "]":
                bracket -= 1
            elif c == "{":
                if (paren == 0 and brace == 0 and bracket == 0 and last_close >= 0 and not has_eq
                        and not last_close_attr and _blank_or_markers(text, last_close + 1, at, reading)):
                    end = _skip_body(text, pos, limit, markers, packs)
                    if end < 0:
                        if final:
                            self.unterminated_body = at
                            self.done = True
                            return items
                        pos = at  # read again when more text has come
                        break
                    items.append(Item(PARSE if relevant else DEFER, start, end, (at, end)))
                    start = pos = end
                    relevant = has_eq = nonblank = False
                    last_close = -1
                    continue
                brace += 1
                relevant = True
            elif c == "}":
                if brace > 0:
                    brace -= 1
            elif c == "=":
                if paren == 0 and brace == 0:
                    has_eq = True
            elif c == "#":
                kind = _directive(text, pos)
                if kind == "marker":
                    markers.append(pos - 1)
                pos = _line_end(text, pos)
                if not nonblank and text[start:at].strip():
                    nonblank = True
                if not nonblank:
                    # Between declarations: a pragma or an unknown directive
                    # is an item of its own; the next declaration starts
                    # after it.
                    if kind != "marker":
                        items.append(Item(PARSE, at, pos))
                    start = pos
                elif kind != "marker":
                    relevant = True
            elif c == "/":
                pos = _skip_comment(text, pos - 1, limit)
                if pos < 0:
                    if not final:
                        pos = at  # read again when more text has come
                        break
                    relevant = True  # unterminated: the tokenizer reports it
                    pos = limit
            elif c == '"' or c == "'":
                quoted = _QUOTED[c].match(text, pos - 1, limit)
                if quoted is None:
                    relevant = True  # the tokenizer reports it
                else:
                    pos = quoted.end()
            else:  # a word
                word = m.group()
                if word in _ATTRIBUTE_WORDS:
                    attr_word_end = pos
                else:
                    relevant = True
        if final:
            if text[start:].strip():
                items.append(Item(PARSE, start, len(text)))
            self.done = True
        self.state = (pos, start, paren, brace, bracket, relevant, has_eq, nonblank, attr_word_end,
                      group_is_attr, last_close, last_close_attr)
        return items


# A line marker as GCC writes it, a line of its own.
_MARKER_LINE = re.compile(r'^# [0-9]+ "[^\n]*\n', re.M)
# What ``Splitter.run`` found in each stretch of text between two line
# markers that it read from a declaration's start and left at one: the
# items, the line markers and the '#pragma pack' lines in bodies, each
# offset from the stretch's start.  The texts of one header for many ABIs
# are mostly the same stretches (the same headers, each ABI's copy).
# Splitting is a function of the text and of the state it starts in, and
# the stretch is all the text it reads (its last line ends it), so what it
# finds there is what reading it again would find.
_SEGMENTS: Dict[str, tuple] = {}
_SEGMENT_CHARS = [0]
_SEGMENT_LIMIT = 1 << 21  # characters kept, then all dropped


def _keep_segment(seg: str, found: tuple) -> None:
    if _SEGMENT_CHARS[0] > _SEGMENT_LIMIT:
        _SEGMENTS.clear()
        _SEGMENT_CHARS[0] = 0
    _SEGMENTS[seg] = found
    _SEGMENT_CHARS[0] += len(seg)


def _clean(pos: int) -> tuple:
    """``Splitter.state`` at ``pos`` between two declarations."""
    return (pos, pos, 0, 0, 0, False, False, False, -1, False, -1, False)


def _at_rest(state: tuple, pos: int) -> bool:
    """Whether ``state`` is ``_clean(pos)`` in all that the reading after
    ``pos`` looks at: whether the last parenthesised group was an
    attribute's is not read again before it is set (group_is_attr while
    no group is open, last_close_attr while last_close is -1)."""
    return (state[0] == pos and state[1] == pos and state[2] == state[3] == state[4] == 0
            and not (state[5] or state[6] or state[7]) and state[8] == -1 and state[10] == -1)


def _shifted(state: tuple, by: int) -> tuple:
    """``state`` with its offsets moved by ``by`` (-1 stays: none)."""
    (pos, start, paren, brace, bracket, relevant, has_eq, nonblank, attr_word_end, group_is_attr,
     last_close, last_close_attr) = state
    return (pos + by, start + by, paren, brace, bracket, relevant, has_eq, nonblank,
            attr_word_end + by if attr_word_end >= 0 else -1, group_is_attr,
            last_close + by if last_close >= 0 else -1, last_close_attr)


def split(text: str) -> Tuple[Split, List[int]]:
    """Items of ``text`` and the offsets of ``#pragma pack`` lines found in
    function bodies (the caller refuses those with their location)."""
    splitter = Splitter()
    items = splitter.run(text, len(text), True)
    return Split(items, splitter.markers, splitter.unterminated_body), splitter.packs


# ------------------------------------------------------------ tokenize
# GNU spellings that mean a standard token (the parser's token filter).
ALIASES = {
    "__signed__": ("SIGNED", "signed"),
    "__signed": ("SIGNED", "signed"),
    "__inline__": ("INLINE", "inline"),
    "__inline": ("INLINE", "inline"),
    "__restrict__": ("RESTRICT", "restrict"),
    "__restrict": ("RESTRICT", "restrict"),
    "__const__": ("CONST", "const"),
    "__const": ("CONST", "const"),
    "__volatile__": ("VOLATILE", "volatile"),
    "__volatile": ("VOLATILE", "volatile"),
    "__typeof__": ("TYPEOF", "typeof"),
    "__typeof": ("TYPEOF", "typeof"),
    "typeof": ("TYPEOF", "typeof"),
    "__alignof__": ("_ALIGNOF", "__alignof__"),
    "__alignof": ("_ALIGNOF", "__alignof__"),
    "__builtin_offsetof": ("OFFSETOF", "offsetof"),
    "__thread": ("_THREAD_LOCAL", "_Thread_local"),
    "__attribute__": ("GNU_ATTRIBUTE", "__attribute__"),
    "__attribute": ("GNU_ATTRIBUTE", "__attribute__"),
    "__asm__": ("GNU_ASM", "asm"),
    "__asm": ("GNU_ASM", "asm"),
    "asm": ("GNU_ASM", "asm"),
    "__int128__": ("__INT128", "__int128"),
    # C23's keyword, and <assert.h>'s macro before it.
    "static_assert": ("_STATIC_ASSERT", "_Static_assert"),
    # x86 named address spaces: qualifiers of the type they precede.
    "__seg_gs": ("ADDR_SPACE", "__seg_gs"),
    "__seg_fs": ("ADDR_SPACE", "__seg_fs"),
    # Refused by the parser where it would declare something: it only ever
    # appears in function bodies, which are never tokenized.
    "__auto_type": ("AUTO_TYPE", "__auto_type"),
}
DROPPED = {"__extension__"}
UNSUPPORTED = {
    "_Decimal32": "decimal floating types",
    "_Decimal64": "decimal floating types",
    "_Decimal128": "decimal floating types",
}

_PUNCT_TYPES: Dict[str, str] = {
    entry.literal: entry.tok_type
    for bucket in _fixed_tokens_by_first.values() for entry in bucket}
_PUNCT_RE = "|".join(re.escape(p) for p in sorted(_PUNCT_TYPES, key=len, reverse=True))
# One token after blanks and newlines (group 1): an identifier not followed
# by a quote (a string prefix: group 2), a punctuator that cannot start a
# longer token of another kind (group 3), or a decimal number with no
# suffix, fraction or exponent (group 4).  Anything else is pycparser's.
_FAST = re.compile(
    r"([ \t\f\v\n]*)(?:([A-Za-z_$][0-9A-Za-z_$]*)(?![0-9A-Za-z_$\"'])"
    r"|(?!\.[0-9]|\[\s*\[)(" + _PUNCT_RE + r")"
    r"|(0|[1-9][0-9]*)(?![0-9A-Za-z_$.']))")
# What an identifier's spelling makes of it: absent, an ID; else its
# (type, value), or dropped, or refused.
_DROP = ("", "")
_REFUSE = ("", "!")
_WORDS: Dict[str, Tuple[str, str]] = dict(ALIASES)
_WORDS.update((word, _DROP) for word in DROPPED)
_WORDS.update((word, _REFUSE) for word in UNSUPPORTED)
_WORDS.update((word, (kind, word)) for word, kind in _keyword_map.items())  # keywords first


# The line markers GCC writes, with no escape in the file name; others go
# through pycparser's own reading.
_PLAIN_MARKER = re.compile(r'[ \t]*([0-9]+)[ \t]+"([^"\\\n]*)"(?:[ \t]+[0-9]+)*[ \t]*(?=\n)')


def _lex_error(msg: str, line: int, column: int) -> None:  # pragma: no cover - _Lexer raises first
    raise LayoutError(f"{msg} at line {line}, column {column}")


class _Lexer(CLexer):
    """pycparser's lexer, raising its errors with the file it is in.  (Its
    error function is a plain function: a bound method of the tokenizer
    would make a reference cycle, which outlives the parse once the
    collector has frozen what the parse made.)"""

    first_column = True  # a '#' not first on its line is stray (_Reading)

    def _error(self, msg: str, pos: int) -> None:
        raise LayoutError(msg, where_of(Coord(self._filename, self._lineno, pos - self._line_start + 1)))

    def stray(self, hash_pos: int) -> None:
        """Refuse a '#' that cannot start a directive, as GCC refuses it
        ("stray '#' in program"); read as a directive it could have packed
        a struct.  In a preprocessor's output every directive (line
        markers, #pragma) has its '#' first on its line, and a '#' anywhere
        else came from a macro (#define HASH #); in a header read as it is
        written, blanks may come before a directive's '#', nothing else."""
        before = self._lexdata[self._line_start:hash_pos]
        if before if self.first_column else before.strip(" \t\f\v"):
            self._error("stray '#' in program (GCC refuses it too)", hash_pos)

    def _handle_ppline(self) -> None:
        self.stray(self._pos - 1)
        super()._handle_ppline()

    def _handle_pppragma(self):
        self.stray(self._pos - 1)
        return super()._handle_pppragma()


# '#ident "string"' (and '#sccs', which gcc -E writes as #ident): a string
# for the object file's comment section, which GCC accepts wherever a line
# may start, even inside a declaration; no token of the program.
_IDENT_LINE = re.compile(r'[ \t]*(?:ident|sccs)[ \t]+"(?:[^"\\\n]|\\.)*"[ \t]*(?=\n|\Z)')


class Tokenizer:
    """pycparser tokens for spans of one text, coordinates included."""

    def __init__(self, text: str, filename: str, markers: List[int], first_column: bool = True):
        self.first_column = first_column  # a '#' not first on its line is stray (_Reading)
        self.text = text
        self.markers = markers
        self.mi = 0                 # next line marker not yet read
        self.pos = 0
        self.lineno = 1
        self.line_start = 0
        self.filename = filename
        self._slow = _Lexer(_lex_error)
        self._slow._lexdata = text
        self._slow.first_column = first_column

    # -- coordinates
    def state(self) -> Tuple[int, int, int, str]:
        return (self.pos, self.lineno, self.line_start, self.filename)

    def restore(self, state: Tuple[int, int, int, str]) -> None:
        self.pos, self.lineno, self.line_start, self.filename = state
        self.mi = bisect.bisect_left(self.markers, self.pos)

    def _count_to(self, target: int) -> None:
        text = self.text
        newlines = text.count("\n", self.pos, target)
        if newlines:
            self.lineno += newlines
            self.line_start = text.rfind("\n", self.pos, target) + 1
        self.pos = target

    def advance(self, target: int) -> None:
        """Move to ``target`` without tokens, reading line markers met."""
        markers = self.markers
        while self.mi < len(markers) and markers[self.mi] < target:
            hash_pos = markers[self.mi]
            self.mi += 1
            if hash_pos < self.pos:
                continue
            self._count_to(hash_pos)
            plain = _PLAIN_MARKER.match(self.text, hash_pos + 1)
            if plain is not None:  # '# 12 "file.h" 1 3': pycparser's reading, faster
                self.lineno = int(plain.group(1))
                self.filename = plain.group(2)
                self.pos = self.line_start = plain.end() + 1
                continue
            slow = self._slow_at(hash_pos + 1)
            slow._handle_ppline()
            self._take(slow)
        if target > self.pos:
            self._count_to(target)

    def coord(self) -> Coord:
        return Coord(self.filename, self.lineno, self.pos - self.line_start + 1)

    def coord_at(self, target: int) -> Coord:
        self.advance(target)
        return self.coord()


    def _slow_at(self, pos: int) -> CLexer:
        slow = self._slow
        slow._pos = pos
        slow._lineno = self.lineno
        slow._line_start = self.line_start
        slow._filename = self.filename
        slow._pending_tok = None
        slow._in_attribute = False
        return slow

    def _take(self, slow: CLexer) -> None:
        self.pos = slow._pos
        self.lineno = slow._lineno
        self.line_start = slow._line_start
        self.filename = slow._filename

    # -- tokens
    def tokens(self, start: int, end: int, out: List[Token]) -> None:
        """Append the tokens of text[start:end] to ``out``."""
        self.advance(start)
        text = self.text
        pos = self.pos
        lineno = self.lineno
        line_start = self.line_start
        filename = self.filename
        words = _WORDS
        punct = _PUNCT_TYPES
        append = out.append
        while pos < end:
            for m in _FAST.finditer(text, pos, end):
                if m.start() != pos:
                    break  # pos starts something else: pycparser's lexer reads it
                pos = m.end()
                blanks = m.group(1)
                if blanks and "\n" in blanks:
                    lineno += blanks.count("\n")
                    line_start = m.start(1) + blanks.rfind("\n") + 1
                value = m.group(2)
                if value is not None:
                    word = words.get(value)
                    column = m.start(2) - line_start + 1
                    if word is None:
                        append(Token("ID", value, lineno, column, filename))
                    elif word is _DROP:
                        pass
                    elif word is _REFUSE:
                        raise LayoutError(f"{UNSUPPORTED[value]} are not supported",
                                          where_of(Coord(filename, lineno, column)))
                    else:
                        append(Token(word[0], word[1], lineno, column, filename))
                else:
                    value = m.group(3)
                    if value is not None:
                        append(Token(punct[value], value, lineno, m.start(3) - line_start + 1, filename))
                    else:  # a plain decimal number: pycparser's '0' is octal
                        value = m.group(4)
                        append(Token("INT_CONST_OCT" if value == "0" else "INT_CONST_DEC", value,
                                     lineno, m.start(4) - line_start + 1, filename))
            else:
                if pos >= end or not text[pos:end].strip(" \t\f\v\n"):
                    # only blanks are left: count their newlines
                    self.pos, self.lineno, self.line_start, self.filename = pos, lineno, line_start, filename
                    self._count_to(end)
                    pos, lineno, line_start = self.pos, self.lineno, self.line_start
                    break
            if pos >= end:
                break
            # pycparser's lexer, for one token (and what comes with it: a
            # pragma's text, an attribute's arguments, a line marker) at ``pos``.
            self.pos, self.lineno, self.line_start, self.filename = pos, lineno, line_start, filename
            self.mi = bisect.bisect_left(self.markers, pos, self.mi)
            slow = self._slow_at(pos)
            stop = False
            while True:
                before = (slow._pos, slow._lineno, slow._line_start, slow._filename)
                tok = slow.token()
                if tok is None or slow._pos > end:  # not the span's: leave it
                    slow._pos, slow._lineno, slow._line_start, slow._filename = before
                    slow._pending_tok = None
                    stop = True
                    break
                if tok.type == "ID":
                    tok = self._identifier(tok.value, tok.lineno, tok.column, tok.filename)
                elif tok.type == "PPHASH":  # a '#' that is no marker or pragma
                    slow.stray(slow._pos - 1)
                    ident = _IDENT_LINE.match(text, slow._pos)
                    if ident is not None:  # #ident "...": for the assembler, no token
                        slow._pos = ident.end()
                        tok = None
                if tok is not None:
                    append(tok)
                if slow._pending_tok is None and not slow._in_attribute:
                    break
            self._take(slow)
            pos, lineno, line_start, filename = self.pos, self.lineno, self.line_start, self.filename
            if stop:
                break
        self.pos, self.lineno, self.line_start, self.filename = pos, lineno, line_start, filename
        self.mi = bisect.bisect_left(self.markers, self.pos, self.mi)

    @staticmethod
    def _identifier(value: str, lineno: int, column: int, filename: str) -> Optional[Token]:
        """The token an identifier that is no keyword stands for (the same
        table as the fast path's): itself, a GNU spelling's standard token,
        none (``__extension__``), or an error."""
        word = _WORDS.get(value)
        if word is None:
            return Token("ID", value, lineno, column, filename)
        if word is _DROP:
            return None
        if word is _REFUSE:
            raise LayoutError(f"{UNSUPPORTED[value]} are not supported",
                              where_of(Coord(filename, lineno, column)))
        return Token(word[0], word[1], lineno, column, filename)


# ------------------------------------------------------------ deferred
_IDENT = re.compile(r"[A-Za-z_$][0-9A-Za-z_$]*")


class DeferredSpan:
    __slots__ = ("item", "state", "position", "done")

    def __init__(self, item: Item, state: Tuple[int, int, int, str], position: int):
        self.item = item
        self.state = state        # the tokenizer's coordinates at its start
        self.position = position  # the index in the parsed tokens it stands at
        self.done = False


class Deferred:
    """The declarations read only on demand, with what reads them.

    ``take(name, position)`` returns, once each, the parsed external
    declarations of the deferred spans that stand before ``position`` (an
    index in the parsed tokens) and mention ``name`` in their text outside
    a body, in source order, each with its span's position."""

    def __init__(self, tokenizer: Tokenizer, spans: List[DeferredSpan]):
        self.tokenizer = tokenizer
        self.spans = spans
        self.parse: Optional[Callable[[List[Token], Coord, int], list]] = None
        self._index: Optional[Dict[str, List[int]]] = None

    def _build_index(self) -> Dict[str, List[int]]:
        index: Dict[str, List[int]] = {}
        text = self.tokenizer.text
        findall = _IDENT.findall
        for number, span in enumerate(self.spans):
            item = span.item
            for word in set(findall(text, item.start, item.body[0] if item.body else item.end)):
                if word in index:
                    index[word].append(number)
                else:
                    index[word] = [number]
        return index

    def take(self, name: str, position: Optional[int]) -> List[Tuple[int, object]]:
        if not self.spans or self.parse is None:
            return []
        if self._index is None:
            self._index = self._build_index()
        nodes: List[Tuple[int, object]] = []
        for number in self._index.get(name, ()):
            span = self.spans[number]
            if span.done or (position is not None and span.position > position):
                continue
            span.done = True
            nodes.extend((span.position, node) for node in
                         self.parse(self.tokens_of(span), self.tokenizer.coord(), span.position))
        return nodes

    def tokens_of(self, span: DeferredSpan) -> List[Token]:
        tk = self.tokenizer
        tk.restore(span.state)
        out: List[Token] = []
        item = span.item
        if item.body is None:
            tk.tokens(item.start, item.end, out)
        else:
            _tokens_with_empty_body(tk, item, out)
        return out


def _tokens_with_empty_body(tk: Tokenizer, item: Item, out: List[Token]) -> None:
    """A function definition's tokens with its body as '{' '}'."""
    lbrace, end = item.body
    tk.tokens(item.start, lbrace, out)
    tk.advance(lbrace)
    out.append(Token("LBRACE", "{", tk.lineno, tk.pos - tk.line_start + 1, tk.filename))
    tk.advance(end - 1)
    out.append(Token("RBRACE", "}", tk.lineno, tk.pos - tk.line_start + 1, tk.filename))
    tk.advance(end)


class LazyItem:
    """In the parser's tokens, one declaration not tokenized yet (a
    ``Scanner(lazy=True)``): the parser copies its parse from another text
    (parser._Reuse) or has it tokenized (``Scanned.tokenize``).  Its text
    is ``start``/``end``; ``state``, the tokenizer's at its start; ``line``
    and ``column`` (0-based), where it starts."""

    __slots__ = ("start", "end", "state", "line", "column", "type", "value")

    def __init__(self, start: int, end: int, state: Tuple[int, int, int, str], column: int):
        self.start = start
        self.end = end
        self.state = state
        self.line = state[1]
        self.column = column
        self.type = "LAZY_ITEM"  # no token type the grammar knows
        self.value = ""


class Scanned:
    """The parser's tokens, where the text ends, and the deferred rest."""

    def __init__(self, tokens: List[Token], end: Coord, deferred: Deferred, text: str = ""):
        self.tokens = tokens
        self.end = end
        self.deferred = deferred
        self.text = text

    def tokenize(self, item: LazyItem) -> List[Token]:
        """The tokens of a declaration left untokenized."""
        tk = self.deferred.tokenizer
        tk.restore(item.state)
        out: List[Token] = []
        tk.tokens(item.start, item.end, out)
        return out


class Scanner:
    """``scan`` as the preprocessor writes: ``feed`` takes the text so far
    (each call a longer prefix of the same text), ``finish`` the whole."""

    def __init__(self, filename: str, defer: bool = True, lazy: bool = False,
                 reading: _Reading = PREPROCESSED):
        self.filename = filename
        self.defer = defer
        self.lazy = lazy  # declarations with no body left as LazyItem
        self.text = ""
        self.splitter = Splitter(reading, memo=lazy)
        self.tk = Tokenizer("", filename, self.splitter.markers, reading.first_column)
        self.tokens: List[Token] = []
        self.spans: List[DeferredSpan] = []

    def feed(self, text: str, final: bool = False) -> None:
        self.text = self.tk.text = self.tk._slow._lexdata = text
        limit = len(text) if final else text.rfind("\n") + 1
        for item in self.splitter.run(text, limit, final):
            self._take(item)

    def _error_at(self, message: str, offset: int) -> LayoutError:
        where = Tokenizer(self.text, self.filename, self.splitter.markers,
                          self.tk.first_column).coord_at(offset)
        return LayoutError(message, where_of(where))

    def _take(self, item: Item) -> None:
        packs = self.splitter.packs
        if packs and packs[0] < item.start:
            raise self._error_at("#pragma pack inside a function body is not supported", packs[0])
        tk = self.tk
        if item.kind == DEFER and self.defer:
            tk.advance(item.start)
            self.spans.append(DeferredSpan(item, tk.state(), len(self.tokens)))
            tk.advance(item.end)
        elif item.body is None and self.lazy:
            tk.advance(item.start)
            self.tokens.append(LazyItem(item.start, item.end, tk.state(), item.start - tk.line_start))
            tk.advance(item.end)
        elif item.body is None:
            tk.tokens(item.start, item.end, self.tokens)
        else:
            _tokens_with_empty_body(tk, item, self.tokens)

    def finish(self, text: Optional[str] = None) -> "Scanned":
        self.feed(self.text if text is None else text, final=True)
        splitter = self.splitter
        if splitter.packs:
            raise self._error_at("#pragma pack inside a function body is not supported",
                                 splitter.packs[0])
        if splitter.unterminated_body is not None:
            raise self._error_at("unterminated function body", splitter.unterminated_body)
        self.tk.advance(len(self.text))
        return Scanned(self.tokens, self.tk.coord(), Deferred(self.tk, self.spans), self.text)


def scan(text: str, filename: str, defer: bool = True, lazy: bool = False,
         source: bool = False) -> Scanned:
    """Tokens for the parser now, the rest deferred (``defer=False``
    parses every declaration now: the same result, slower); with ``lazy``,
    declarations with no body are left to the parser (``LazyItem``).
    ``source``: a header read as it is written, not a preprocessor's
    output (``_Reading``)."""
    return Scanner(filename, defer, lazy, SOURCE if source else PREPROCESSED).finish(text)
