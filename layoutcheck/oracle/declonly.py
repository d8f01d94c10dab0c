"""Only the type declarations of a preprocessed text, for an oracle that loads.

The cffi oracle builds a shared object and loads it into the process, so
what it compiles must be unable to run anything: no function of the input,
no initialised object (a function pointer in ``.init_array``), no top-level
``asm``, no ``constructor``/``ifunc`` attribute on anything that exists.
``type_declarations`` keeps, from the preprocessed text, exactly what a
layout depends on:

* ``typedef`` declarations;
* the definition of a struct, union or enum given in the specifiers of any
  other declaration (``static struct s {...} x = {...};`` keeps
  ``struct s {...};``), with the attributes written right after its body;
* ``#pragma pack`` lines and line markers.

Everything else (function definitions and declarations, objects and their
initialisers, ``asm``, ``_Static_assert``, other pragmas) becomes blank
lines, so line numbers still match the markers.
"""

from __future__ import annotations

import re
from typing import List, Tuple

_TOKEN = re.compile(r"""
    (?P<nl>\n)
  | (?P<ws>[ \t\r\f\v]+)
  | (?P<str>(?:u8|[uUL])?"(?:\\.|[^"\\\n])*")
  | (?P<chr>(?:[uUL])?'(?:\\.|[^'\\\n])*')
  | (?P<id>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<num>\.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*)
  | (?P<punct>\.\.\.|<<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^!~<>=?:;,.()\[\]{}\#@\\`])
""", re.X)

_TAG_KEYWORDS = {"struct", "union", "enum"}
_ATTRIBUTE_WORDS = {"__attribute__", "__attribute", "_Alignas", "__declspec", "__extension__"}
_ASM_WORDS = {"asm", "__asm__", "__asm"}


def _lines(text: str) -> List[str]:
    return text.split("\n")


def _tokens(code: str) -> List[Tuple[str, str]]:
    out = []
    pos = 0
    while pos < len(code):
        m = _TOKEN.match(code, pos)
        if m is None:  # a stray character: keep it as punctuation
            out.append(("punct", code[pos]))
            pos += 1
            continue
        out.append((m.lastgroup, m.group()))
        pos = m.end()
    return out


def _keep_pragma(line: str) -> bool:
    body = line.lstrip()[1:].lstrip()
    return bool(re.match(r"pragma\s+pack\b", body))


def type_declarations(text: str) -> str:
    """The typedefs, tag definitions and ``#pragma pack`` lines of ``text``
    (preprocessed C), everything else replaced by blank lines."""
    lines = _lines(text)
    # One token stream; each directive line (whole lines in preprocessed
    # text) becomes a single 'dir' token: kept for line markers and
    # '#pragma pack', empty otherwise.  A directive inside a declaration
    # (a #pragma pack within a struct) stays in place.
    stream: List[Tuple[str, str]] = []
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith("#"):
            is_marker = re.match(r"#\s*(?:line\s+)?\d+", stripped) is not None
            stream.append(("dir", line if (is_marker or _keep_pragma(line)) else ""))
        else:
            stream.extend(_tokens(line))
        if i != len(lines) - 1:
            stream.append(("nl", "\n"))
    return _filter(stream)


def _filter(stream: List[Tuple[str, str]]) -> str:
    """Split the stream into external declarations and emit each one's
    type definitions (see ``_emit``)."""
    result: List[str] = []
    decl: List[Tuple[str, str]] = []
    depth = 0  # (), [] and {} together
    braces: List[str] = []  # for each open '{': 'func' for a function body
    pending_tag = False  # after struct/union/enum, before its '{'
    attr_parens = -1  # >= 0 while inside an attribute's parentheses
    last_sig = ""

    for tok in stream:
        decl.append(tok)
        kind, value = tok
        if kind in ("dir", "nl", "ws"):
            continue
        if attr_parens >= 0:
            if value == "(":
                attr_parens += 1
                continue
            if value == ")":
                attr_parens -= 1
                if attr_parens == 0:
                    attr_parens = -1
                continue
            if attr_parens > 0:
                continue
            attr_parens = -1  # an attribute word with no parentheses
        if depth == 0 and value in _TAG_KEYWORDS:
            pending_tag = True
        elif pending_tag and value in _ATTRIBUTE_WORDS:
            attr_parens = 0
        elif pending_tag and kind == "id":
            pass  # the tag's name
        elif value == "{":
            braces.append("func" if depth == 0 and not pending_tag and last_sig != "=" else "")
            depth += 1
            pending_tag = False
        elif value in ("(", "["):
            depth += 1
            pending_tag = False
        elif value in (")", "]"):
            depth = max(0, depth - 1)
        elif value == "}":
            depth = max(0, depth - 1)
            if (braces.pop() if braces else "") == "func" and depth == 0:
                result.append(_blank(decl))
                decl.clear()
                last_sig = ""
                continue
        elif value == ";" and depth == 0:
            result.append(_emit(decl))
            decl.clear()
            pending_tag = False
            last_sig = ""
            continue
        else:
            pending_tag = False
        last_sig = value
    if decl:
        result.append(_blank(decl))
    return "".join(result)


def _blank(tokens: List[Tuple[str, str]]) -> str:
    """Only the newlines and the kept directives of ``tokens``."""
    parts = []
    for kind, value in tokens:
        if kind == "nl":
            parts.append("\n")
        elif kind == "dir" and value:
            parts.append(value)
    return "".join(parts)


def _emit(tokens: List[Tuple[str, str]]) -> str:
    """A declaration ending in ';': a typedef whole, else only the struct,
    union or enum it defines."""
    sig = [v for k, v in tokens if k not in ("nl", "ws", "dir")]
    first = next((v for v in sig if v != "__extension__"), "")
    if first == "typedef":
        return "".join(v for _k, v in tokens)
    if first in _ASM_WORDS or first in ("_Static_assert", "static_assert"):
        return _blank(tokens)
    span = _tag_definition(tokens)
    if span is None:
        return _blank(tokens)
    start, end = span
    kept = "".join(v for _k, v in tokens[start:end])
    # Newlines outside the kept span keep the line count.
    return (_blank(tokens[:start]) + kept + ";" + _blank(tokens[end:]))


def _tag_definition(tokens: List[Tuple[str, str]]):
    """(start, end) of the struct/union/enum definition in the specifiers of
    a declaration, including the attributes written right after its body,
    or None when the declaration defines no tag at file scope."""
    depth = 0
    i = 0
    n = len(tokens)
    while i < n:
        kind, value = tokens[i]
        if kind in ("nl", "ws", "dir"):
            i += 1
            continue
        if depth == 0 and value in _TAG_KEYWORDS:
            start = i
            j = i + 1
            # tag name and attributes up to '{'
            while j < n:
                k2, v2 = tokens[j]
                if k2 in ("nl", "ws", "dir") or k2 == "id" and v2 not in _ATTRIBUTE_WORDS:
                    j += 1
                elif v2 in _ATTRIBUTE_WORDS:
                    j = _skip_group(tokens, j + 1)
                else:
                    break
            if j < n and tokens[j][1] == "{":
                end = _skip_group(tokens, j, "{", "}")
                # attributes right after the body belong to the type
                k = end
                while k < n:
                    k3, v3 = tokens[k]
                    if k3 in ("nl", "ws"):
                        k += 1
                    elif v3 in ("__attribute__", "__attribute"):
                        k = _skip_group(tokens, k + 1)
                        end = k
                    else:
                        break
                return start, end
            i = j
            continue
        if value in ("(", "[", "{"):
            depth += 1
        elif value in (")", "]", "}"):
            depth -= 1
        elif value == "=" and depth == 0:
            return None  # the initialiser starts; no tag defined before it
        i += 1
    return None


def _skip_group(tokens, i: int, open_: str = "(", close: str = ")") -> int:
    """Index after the balanced group that starts at the first ``open_``
    at or after ``i`` (or ``i`` if the next significant token is not one)."""
    n = len(tokens)
    while i < n and tokens[i][0] in ("nl", "ws"):
        i += 1
    if i >= n or tokens[i][1] != open_:
        return i
    level = 0
    while i < n:
        v = tokens[i][1]
        if tokens[i][0] not in ("str", "chr"):
            if v == open_:
                level += 1
            elif v == close:
                level -= 1
                if level == 0:
                    return i + 1
        i += 1
    return n
