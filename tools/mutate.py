#!/usr/bin/env python3
"""Mutation testing of the rules and of `layoutcheck diff`: no false pass.

Every header under cdefs/ is mutated the way a careless patch would change
a struct, one change at a time, in its C text:

  swap           swap two adjacent members (no #if line between them)
  narrow         an integer member one rank narrower (long -> int, pgoff_t -> unsigned int)
  widen          an integer member one rank wider (int -> long)
  drop-pad       delete a pad member (_pad, __filler, reserved, unused)
  move-variant   move a member of a union's struct variant into the next variant
  bitfield       a bitfield one bit narrower or wider
  drop-align     delete an alignment attribute (__attribute__((aligned)), __aligned(),
                 _Alignas, or a macro such as _struct_page_alignment)
  pack           wrap a top-level struct in #pragma pack(1) ... #pragma pack()
  char-pointer   retype a pointer member to char * (same bytes: only rules and
                 diff's type change can tell)

Each mutant is laid out through the library (``layoutcheck.load`` and the
rules modules; no subprocess) on every ABI and every config of the file's
rules matrix.  A mutant whose layouts (size, alignment, and every member's
path, type, offset, size, bits) equal the original's on every ABI and
config is *equivalent* and excluded; one that does not lay out (GCC would
reject it too) is *invalid* and excluded.  The others must be reported:

* by ``layoutcheck check``: a rule or a static assert fails on an ABI and
  config where the original's verdict was not a failure;
* by ``layoutcheck diff`` against the original (``layoutcheck.compare``'s
  ``diff_layouts`` on every struct, ABI and config: what ``diff`` prints).

A header that defines none of its rules' structs (prelude.h) is judged
through the first header that includes it and passes its rules.

The summary gives, per operator and per rule, the mutants, how many check
and diff kill, and the kill rates.  Exit status 1 when diff does not kill
every mutant (it must: a layout change diff cannot see is a diff bug), or
when no mutant was tested.

    python tools/mutate.py [--cdefs DIR] [--file GLOB]... [--operator OP]...
                           [--limit N] [--abi NAME]... [--config NAME]...
                           [--survivors] [-v] [--format text|json]
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from layoutcheck.abi import ABI, resolve_abis  # noqa: E402
from layoutcheck.api import Session  # noqa: E402
from layoutcheck.compare import diff_layouts  # noqa: E402
from layoutcheck.errors import LayoutError  # noqa: E402
from layoutcheck.model import Scalar, unqualified  # noqa: E402
from layoutcheck.rules import (Config, RuleSet, check_program, load_rules_for,  # noqa: E402
                               unselected_rules)

OPERATORS = ("swap", "narrow", "widen", "drop-pad", "move-variant", "bitfield", "drop-align",
             "pack", "char-pointer")


# ===================================================================== C text
# The mutations work on the text, not on a parse tree: what a patch would
# do.  Comments and literals are blanked out first (same length, newlines
# kept), so positions in the blanked text are positions in the real text.

def blank(text: str) -> str:
    """``text`` with comments and string/char literals replaced by spaces."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
        else:
            i += 1
            continue
        for k in range(i, j):
            if out[k] != "\n":
                out[k] = " "
        i = j
    return "".join(out)


@dataclass
class Item:
    """One member declaration, nested record, or preprocessor line of a body."""

    start: int
    end: int  # after the ';' (or the end of the directive line)
    kind: str  # "decl", "record" or "pp"
    region: int  # items with the same region have no #-line between them
    pp_depth: int  # #if nesting inside the body
    body: Optional["Body"] = None
    names: List[str] = field(default_factory=list)


@dataclass
class Body:
    """A struct or union body: ``{`` at ``open``, ``}`` at ``close``."""

    kind: str
    tag: Optional[str]
    keyword: int  # position of 'struct'/'union'
    open: int
    close: int
    items: List[Item] = field(default_factory=list)
    end: int = 0  # after the ';' that ends the definition (top-level ones)


_RECORD = re.compile(r"\b(struct|union)\b\s*(\w+)?\s*"
                     r"(?:__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)\s*)*\{")
_PP_OPEN = re.compile(r"^\s*#\s*(if|ifdef|ifndef)\b")
_PP_CLOSE = re.compile(r"^\s*#\s*endif\b")
_KEYWORDS = {"struct", "union", "enum", "const", "volatile", "signed", "unsigned", "short",
             "long", "int", "char", "_Bool", "float", "double", "void", "__extension__",
             "_Atomic", "restrict", "__restrict", "__attribute__", "aligned", "packed"}


def _line_end(text: str, pos: int) -> int:
    """End of the (possibly continued) line at ``pos``."""
    while True:
        j = text.find("\n", pos)
        if j < 0:
            return len(text)
        if j > 0 and text[j - 1] == "\\":
            pos = j + 1
            continue
        return j


def _at_line_start(text: str, pos: int) -> bool:
    k = pos - 1
    while k >= 0 and text[k] in " \t":
        k -= 1
    return k < 0 or text[k] == "\n"


def decl_names(decl: str) -> List[str]:
    """Declarator names of one (blanked) member declaration."""
    decl = re.sub(r"__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)", " ", decl)
    decl = re.sub(r"\b__aligned\s*\((?:[^()]|\([^()]*\))*\)", " ", decl)
    depth, parts, cur = 0, [], []
    for ch in decl.rstrip().rstrip(";"):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    names = []
    for part in parts:
        fn = re.search(r"\(\s*\*\s*(\w+)\s*\)", part)
        if fn:
            names.append(fn.group(1))
            continue
        part = re.split(r"[\[:]", part)[0]
        idents = [w for w in re.findall(r"[A-Za-z_]\w*", part) if w not in _KEYWORDS]
        if idents:
            names.append(idents[-1])
    return names


def parse_body(masked: str, keyword: int, open_pos: int, kind: str, tag: Optional[str]) -> Body:
    """The items of the body whose ``{`` is at ``open_pos``."""
    body = Body(kind, tag, keyword, open_pos, -1)
    i = open_pos + 1
    region, depth = 0, 0
    n = len(masked)
    while i < n:
        while i < n and masked[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        if masked[i] == "}":
            body.close = i
            return body
        if masked[i] == "#" and _at_line_start(masked, i):
            end = _line_end(masked, i)
            line = masked[i:end]
            if _PP_CLOSE.match(line):
                depth -= 1
            body.items.append(Item(i, end, "pp", region, depth))
            if _PP_OPEN.match(line):
                depth += 1
            region += 1
            i = end
            continue
        # A declaration or a nested record, up to its ';'.
        start, j, nested = i, i, None
        while j < n and masked[j] != ";":
            if masked[j] == "{":
                matches = list(_RECORD.finditer(masked, start, j + 1))
                m = matches[-1] if matches else None
                if m is None or m.end() - 1 != j:
                    raise LayoutError(f"mutate: cannot read the body at offset {j}")
                nested = parse_body(masked, m.start(), j, m.group(1), m.group(2))
                j = nested.close + 1
                continue
            if masked[j] == "}":
                raise LayoutError(f"mutate: unexpected '}}' at offset {j}")
            j += 1
        item = Item(start, j + 1, "record" if nested else "decl", region, depth, nested)
        if nested is None:
            item.names = decl_names(masked[start:j + 1])
        else:
            item.names = decl_names(masked[nested.close + 1:j + 1]) or []
        body.items.append(item)
        i = j + 1
    raise LayoutError("mutate: unterminated struct body")


def top_records(masked: str) -> List[Body]:
    """Struct/union definitions at file level, with their bodies parsed."""
    out = []
    pos = 0
    for m in _RECORD.finditer(masked):
        if m.start() < pos:
            continue
        # Only definitions that start a statement-level declaration.
        body = parse_body(masked, m.start(), m.end() - 1, m.group(1), m.group(2))
        semi = masked.find(";", body.close)
        body.end = len(masked) if semi < 0 else semi + 1
        out.append(body)
        pos = body.end
    return out


def all_bodies(bodies: Sequence[Body]) -> Iterator[Body]:
    for b in bodies:
        yield b
        yield from all_bodies([it.body for it in b.items if it.body is not None])


def item_label(text: str, it: Item) -> str:
    if it.kind == "record":
        first = next((x.names[0] for x in it.body.items if x.names), "...")
        inner = f"{it.body.kind} {{{first}...}}"
        return f"{inner} {it.names[0]}" if it.names else inner
    return ", ".join(it.names) or " ".join(text[it.start:it.end].split())[:40]


# ================================================================= mutants
@dataclass
class Mutant:
    file: str  # path relative to the cdefs directory
    operator: str
    what: str
    text: str


def _replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


_INT_RANKS = ("char", "short", "int", "long", "long long")
_INT_SPEC = re.compile(r"^(?P<spec>(?:(?:const|volatile|signed|unsigned|short|long|int|char)\s+)*"
                       r"(?:signed|unsigned|short|long|int|char))\b")


def _int_kind(spec: str) -> Tuple[str, bool]:
    """(rank name, unsigned) of an integer specifier list."""
    words = spec.split()
    unsigned = "unsigned" in words
    if "char" in words:
        return "char", unsigned
    if "short" in words:
        return "short", unsigned
    longs = words.count("long")
    return ("long long" if longs >= 2 else "long" if longs == 1 else "int"), unsigned


def _spell(rank: str, unsigned: bool) -> str:
    if rank == "char":
        return "unsigned char" if unsigned else "signed char"
    return f"unsigned {rank}" if unsigned else rank


class Generator:
    """Every mutant of one file's text, per operator."""

    def __init__(self, rel: str, text: str, int_typedefs: Dict[str, Tuple[str, bool]]):
        self.rel = rel
        self.text = text
        self.masked = blank(text)
        self.records = top_records(self.masked)
        self.bodies = list(all_bodies(self.records))
        self.int_typedefs = int_typedefs  # typedef name -> (rank, unsigned)

    def mutants(self, operators: Sequence[str]) -> Dict[str, List[Mutant]]:
        out: Dict[str, List[Mutant]] = {}
        for op in operators:
            seen: Set[str] = set()
            found = []
            for what, text in getattr(self, "_" + op.replace("-", "_"))():
                if text != self.text and text not in seen:
                    seen.add(text)
                    found.append(Mutant(self.rel, op, what, text))
            out[op] = found
        return out

    def _decls(self) -> Iterator[Tuple[Body, Item]]:
        for b in self.bodies:
            for it in b.items:
                if it.kind == "decl":
                    yield b, it

    # ------------------------------------------------------------ operators
    def _swap(self):
        t = self.text
        for b in self.bodies:
            items = [it for it in b.items if it.kind != "pp"]
            for a, c in zip(items, items[1:], strict=False):
                if a.region != c.region:
                    continue  # a #if line between them
                sa, sc = t[a.start:a.end], t[c.start:c.end]
                new = t[:a.start] + sc + t[a.end:c.start] + sa + t[c.end:]
                yield (f"{b.kind} {b.tag or ''}: {item_label(self.masked, a)} <-> "
                       f"{item_label(self.masked, c)}", new)

    def _int_decl(self, it: Item):
        """(span of the type specifiers, rank, unsigned) of an integer member
        with one declarator and no pointer, or None."""
        decl = self.masked[it.start:it.end]
        if len(it.names) != 1 or "*" in decl or "(" in decl:
            return None
        m = _INT_SPEC.match(decl)
        if m:
            rank, unsigned = _int_kind(m.group("spec"))
            return (it.start, it.start + m.end("spec")), rank, unsigned
        m = re.match(r"((?:const|volatile)\s+)*(\w+)\b", decl)
        if m and m.group(2) in self.int_typedefs:
            rank, unsigned = self.int_typedefs[m.group(2)]
            return (it.start + m.start(2), it.start + m.end(2)), rank, unsigned
        return None

    def _resize(self, step: int):
        for _body, it in self._decls():
            found = self._int_decl(it)
            if found is None:
                continue
            (s, e), rank, unsigned = found
            k = _INT_RANKS.index(rank) + step
            if not 0 <= k < len(_INT_RANKS):
                continue
            new_type = _spell(_INT_RANKS[k], unsigned)
            yield (f"{it.names[0]}: {' '.join(self.text[s:e].split())} -> {new_type}",
                   _replace(self.text, s, e, new_type))

    def _narrow(self):
        return self._resize(-1)

    def _widen(self):
        return self._resize(+1)

    def _drop_pad(self):
        pad = re.compile(r"(^|_)(pad|filler|reserved|unused)", re.I)
        for _body, it in self._decls():
            if it.names and all(pad.search(n) for n in it.names):
                yield f"drop {', '.join(it.names)}", _replace(self.text, it.start, it.end, "")

    def _move_variant(self):
        t = self.text
        for b in self.bodies:
            if b.kind != "union":
                continue
            variants = [it.body for it in b.items
                        if it.kind == "record" and not it.names and it.body.kind == "struct"]
            if len(variants) < 2:
                continue
            for vi, src in enumerate(variants):
                dst = variants[(vi + 1) % len(variants)]
                for pos, it in enumerate(src.items):
                    if it.kind != "decl" or it.pp_depth != 0:
                        continue
                    moved = t[it.start:it.end]
                    targets = [x for x in dst.items if x.kind != "pp"]
                    if pos < len(targets) and targets[pos].pp_depth == 0:
                        at, insert = targets[pos].start, moved + "\n\t\t\t"
                    else:
                        at, insert = dst.close, moved + "\n\t\t"
                    # Edit the later position first so the earlier one holds.
                    if at > it.start:
                        new = _replace(_replace(t, at, at, insert), it.start, it.end, "")
                    else:
                        new = _replace(_replace(t, it.start, it.end, ""), at, at, insert)
                    first = next((x.names[0] for x in dst.items if x.names), "...")
                    yield f"{', '.join(it.names)} -> variant {{{first}...}}", new

    def _bitfield(self):
        for _body, it in self._decls():
            decl = self.masked[it.start:it.end]
            m = re.search(r":\s*(\d+)\s*(?:__attribute__\s*\(\(.*\)\)\s*)?;\s*$", decl)
            if not m or not it.names:
                continue
            width = int(m.group(1))
            s, e = it.start + m.start(1), it.start + m.end(1)
            for new_width in (width - 1, width + 1):
                if new_width >= 1 and width >= 1:
                    yield (f"{it.names[0]}: {width} -> {new_width} bits",
                           _replace(self.text, s, e, str(new_width)))

    _ALIGN_ATTR = re.compile(
        r"__attribute__\s*\(\(\s*_*aligned_*\s*(?:\((?:[^()]|\([^()]*\))*\))?\s*\)\)"
        r"|\b__aligned\s*\((?:[^()]|\([^()]*\))*\)"
        r"|\b_Alignas\s*\((?:[^()]|\([^()]*\))*\)"
        r"|\b[A-Za-z_]\w*align\w*\b", re.I)

    def _drop_align(self):
        """Alignment attributes in member declarations and after a record's
        closing brace (where a macro like _struct_page_alignment sits)."""
        spans = []
        for b in self.bodies:
            for it in b.items:
                if it.kind == "decl":
                    spans.append((it.start, it.end))
                elif it.kind == "record":
                    spans.append((it.body.close + 1, it.end))
        for rec in self.records:
            spans.append((rec.close + 1, rec.end))
            spans.append((rec.keyword, rec.open))  # struct __attribute__((aligned)) tag {
        for s, e in sorted(set(spans)):
            for m in self._ALIGN_ATTR.finditer(self.masked, s, e):
                word = m.group(0)
                if re.fullmatch(r"\w+", word) and word.lower() in ("aligned", "__aligned__"):
                    continue  # inside an attribute already matched
                yield (f"drop {' '.join(word.split())}",
                       _replace(self.text, m.start(), m.end(), ""))

    def _pack(self):
        t = self.text
        for rec in self.records:
            start = t.rfind("\n", 0, rec.keyword) + 1
            end = t.find("\n", rec.end)
            end = len(t) if end < 0 else end
            new = t[:start] + "#pragma pack(1)\n" + t[start:end] + "\n#pragma pack()" + t[end:]
            yield f"#pragma pack(1) around {rec.kind} {rec.tag or '<anonymous>'}", new

    def _char_pointer(self):
        for _body, it in self._decls():
            decl = self.masked[it.start:it.end]
            m = re.match(r"\s*(?P<type>[^;(]*?)\s*\*\s*(?P<name>\w+)\s*;\s*$", decl)
            if not m or len(it.names) != 1 or re.fullmatch(r"(const\s+)?char", m.group("type")):
                continue
            yield (f"{it.names[0]}: {' '.join(m.group('type').split())} * -> char *",
                   _replace(self.text, it.start, it.end, f"char *{m.group('name')};"))


# ================================================================= evaluation
def layout_signature(lay, with_types: bool = True) -> tuple:
    """What a layout is: size, alignment and every member's place (and
    type).  Declaration order is not part of it: two union members swapped
    lay out the same."""
    members = []
    for m in lay.members:
        key = (m.path, m.offset, m.size, m.mask, m.bit_size if m.is_bitfield else None)
        members.append(key + ((m.type,) if with_types else ()))
    return lay.kind, lay.size, lay.align, tuple(sorted(members, key=repr))


@dataclass
class Outcome:
    """A file's (or mutant's) layouts and verdicts on every ABI and config."""

    layouts: Dict[Tuple[str, str], Dict[str, object]] = field(default_factory=dict)
    verdicts: Dict[Tuple[str, str, str], Tuple[str, str]] = field(default_factory=dict)
    error: Optional[str] = None


@dataclass
class Verdict:
    """What became of one mutant."""

    mutant: Mutant
    target: str
    status: str  # "invalid", "equivalent" or "tested"
    check_kills: Dict[str, Set[Tuple[str, str]]] = field(default_factory=dict)  # rule -> cells
    diff_cells: Set[Tuple[str, str]] = field(default_factory=set)
    changed_cells: Set[Tuple[str, str]] = field(default_factory=set)  # any layout change
    byte_cells: Set[Tuple[str, str]] = field(default_factory=set)  # bytes changed, not only types
    error: str = ""

    @property
    def killed_by_check(self) -> bool:
        return bool(self.check_kills)

    @property
    def killed_by_diff(self) -> bool:
        return bool(self.diff_cells)


def _rule_key(result, ordinal: Dict[tuple, int]) -> str:
    """Rules by name; static asserts by their order in the file (a mutation
    moves their line numbers)."""
    if result.kind != "static-assert":
        return result.rule
    cell = (result.abi, result.config)
    ordinal[cell] = ordinal.get(cell, 0) + 1
    return f"static-assert #{ordinal[cell]}"


class Evaluator:
    """Lays out and checks a copy of a cdefs tree, mutant after mutant."""

    def __init__(self, cdefs: str, abis: Sequence[ABI], config_names: Sequence[str] = ()):
        self.cdefs = os.path.abspath(cdefs)
        self.abis = list(abis)
        self.config_names = list(config_names)
        self.tmp = tempfile.mkdtemp(prefix="layoutcheck-mutate-")
        self.tree = os.path.join(self.tmp, "cdefs")
        shutil.copytree(self.cdefs, self.tree)
        self._rules: Dict[str, RuleSet] = {}
        self._originals: Dict[str, Outcome] = {}

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ pieces
    def ruleset(self, rel: str) -> RuleSet:
        """The rules of the real header (found where it lives, not in the copy)."""
        if rel not in self._rules:
            self._rules[rel] = load_rules_for(os.path.join(self.cdefs, rel))
        return self._rules[rel]

    def configs(self, rel: str) -> List[Config]:
        configs = self.ruleset(rel).configs
        if self.config_names:
            configs = [c for c in configs if c.name in self.config_names]
        return configs

    def defines_rule_structs(self, rel: str) -> bool:
        """Does the header define the structs its rules are about?"""
        rs = self.ruleset(rel)
        structs = {r.struct for r in rs.rules}
        if not structs:
            return True
        text = blank(open(os.path.join(self.cdefs, rel)).read())
        return all(re.search(rf"\b(struct|union)\s+{re.escape(s)}\s*\{{", text) for s in structs)

    def includers(self, rel: str) -> List[str]:
        """Headers in the tree that #include ``rel`` by its name."""
        name = os.path.basename(rel)
        out = []
        for other in all_headers(self.cdefs):
            if other == rel:
                continue
            with open(os.path.join(self.cdefs, other)) as fh:
                if re.search(rf'#\s*include\s*"(?:[^"]*/)?{re.escape(name)}"', fh.read()):
                    out.append(other)
        return out

    def target(self, rel: str) -> Optional[str]:
        """The header a mutant of ``rel`` is judged through: itself, or the
        first includer whose rules all pass (a failing one masks kills)."""
        if self.defines_rule_structs(rel):
            return rel
        candidates = [h for h in self.includers(rel) if self.defines_rule_structs(h)]
        for h in candidates:
            if not any(v[0] == "fail" for v in self.original(h).verdicts.values()):
                return h
        return candidates[0] if candidates else None

    def int_typedefs(self, rel: str) -> Dict[str, Tuple[str, bool]]:
        """Typedefs of integer types the header sees (pgoff_t -> long)."""
        rs = self.ruleset(rel)
        out: Dict[str, Tuple[str, bool]] = {}
        try:
            prog = rs.program(os.path.join(self.tree, rel), rs.configs[0], [self.abis[0].name],
                              session=Session())
            for name, td in prog.unit(self.abis[0]).typedefs.items():
                base = unqualified(td)
                if isinstance(base, Scalar) and base.is_integer and base.kind in _INT_RANKS:
                    out[name] = (base.kind, not base.signed)
        except LayoutError:
            pass
        return out

    def _outcome(self, target: str) -> Outcome:
        """Layouts and verdicts of the tree's current text of ``target``."""
        rs = self.ruleset(target)
        path = os.path.join(self.tree, target)
        out = Outcome()
        session = Session()  # a fresh cache per mutant: texts are never seen twice
        try:
            configs = self.configs(target)
            for cfg in configs:
                prog = rs.program(path, cfg, [a.name for a in self.abis], session=session)
                for abi in self.abis:
                    out.layouts[(abi.name, cfg.name)] = {
                        lay.name: lay for lay in prog.layouts(abis=[abi])}
                ordinal: Dict[tuple, int] = {}
                for r in check_program(target, prog, rs, self.abis, cfg):
                    out.verdicts[(r.abi, r.config, _rule_key(r, ordinal))] = (r.status, r.text)
            for r in unselected_rules(target, rs, self.abis, configs):
                out.verdicts[(r.abi, r.config, r.rule)] = (r.status, r.text)
        except LayoutError as exc:
            out.error = str(exc)
        return out

    def original(self, rel: str) -> Outcome:
        if rel not in self._originals:
            self._originals[rel] = self._outcome(rel)
            if self._originals[rel].error:
                raise LayoutError(f"{rel}: the original does not lay out: "
                                  f"{self._originals[rel].error}")
        return self._originals[rel]

    # ------------------------------------------------------------ a mutant
    def evaluate(self, mutant: Mutant, target: Optional[str] = None) -> Verdict:
        """Lay out and check ``mutant`` against the original."""
        target = target or self.target(mutant.file)
        orig = self.original(target)
        path = os.path.join(self.tree, mutant.file)
        with open(os.path.join(self.cdefs, mutant.file)) as fh:
            pristine = fh.read()
        with open(path, "w") as fh:
            fh.write(mutant.text)
        try:
            new = self._outcome(target)
        finally:
            with open(path, "w") as fh:
                fh.write(pristine)
        verdict = Verdict(mutant, target, "tested")
        if new.error:
            verdict.status, verdict.error = "invalid", new.error
            return verdict
        for cell, olds in orig.layouts.items():
            news = new.layouts.get(cell, {})
            for name in set(olds) | set(news):
                o, n = olds.get(name), news.get(name)
                if o is None or n is None or layout_signature(o) != layout_signature(n):
                    verdict.changed_cells.add(cell)
                if o is None or n is None or \
                        layout_signature(o, False) != layout_signature(n, False):
                    verdict.byte_cells.add(cell)
                if diff_layouts(o, n, f"{(o or n).kind} {name}"):
                    verdict.diff_cells.add(cell)
        if not verdict.changed_cells:
            verdict.status = "equivalent"
            return verdict
        for key, (status, _text) in new.verdicts.items():
            before = orig.verdicts.get(key, (None, ""))[0]
            if status == "fail" and before != "fail":
                abi, cfg, rule = key
                verdict.check_kills.setdefault(rule.split(" #")[0], set()).add((abi, cfg))
        return verdict


def all_headers(cdefs: str) -> List[str]:
    out = []
    for dirpath, _dirs, files in os.walk(cdefs):
        for f in files:
            if f.endswith(".h"):
                out.append(os.path.relpath(os.path.join(dirpath, f), cdefs))
    return sorted(out)


# ==================================================================== report
def _rate(n: int, d: int) -> str:
    return f"{100.0 * n / d:5.1f}%" if d else "    -"


def summarize(verdicts: List[Verdict], rule_names: Sequence[str]) -> dict:
    ops: Dict[str, dict] = {}
    for v in verdicts:
        row = ops.setdefault(v.mutant.operator, {"generated": 0, "invalid": 0, "equivalent": 0,
                                                 "mutants": 0, "check": 0, "diff": 0})
        row["generated"] += 1
        if v.status != "tested":
            row[v.status] += 1
            continue
        row["mutants"] += 1
        row["check"] += v.killed_by_check
        row["diff"] += v.killed_by_diff
    tested = [v for v in verdicts if v.status == "tested"]
    rules: Dict[str, dict] = {}
    for name in list(rule_names) + sorted({r for v in tested for r in v.check_kills} -
                                          set(rule_names)):
        killed = [v for v in tested if name in v.check_kills]
        only = [v for v in killed if len(v.check_kills) == 1]
        rules[name] = {"mutants": len(tested), "killed": len(killed), "only": len(only),
                       "diff": sum(v.killed_by_diff for v in killed)}
    total = {"generated": len(verdicts), "mutants": len(tested),
             "invalid": sum(v.status == "invalid" for v in verdicts),
             "equivalent": sum(v.status == "equivalent" for v in verdicts),
             "check": sum(v.killed_by_check for v in tested),
             "diff": sum(v.killed_by_diff for v in tested)}
    return {"operators": ops, "rules": rules, "total": total}


def render(summary: dict, verdicts: List[Verdict], show_survivors: bool, verbose: bool) -> str:
    lines = []
    t = summary["total"]
    lines.append(f"{t['generated']} mutants generated: {t['equivalent']} equivalent (no layout "
                 f"change on any ABI or config) and {t['invalid']} invalid (do not lay out) "
                 f"excluded; {t['mutants']} tested")
    lines.append("")
    lines.append(f"{'operator':<14}{'generated':>10}{'equiv':>7}{'invalid':>8}{'mutants':>9}"
                 f"{'check':>7}{'diff':>6}{'check%':>8}{'diff%':>8}")
    for op, r in summary["operators"].items():
        lines.append(f"{op:<14}{r['generated']:>10}{r['equivalent']:>7}{r['invalid']:>8}"
                     f"{r['mutants']:>9}{r['check']:>7}{r['diff']:>6}"
                     f"{_rate(r['check'], r['mutants']):>8}{_rate(r['diff'], r['mutants']):>8}")
    lines.append(f"{'total':<14}{t['generated']:>10}{t['equivalent']:>7}{t['invalid']:>8}"
                 f"{t['mutants']:>9}{t['check']:>7}{t['diff']:>6}"
                 f"{_rate(t['check'], t['mutants']):>8}{_rate(t['diff'], t['mutants']):>8}")
    lines.append("")
    lines.append(f"{'rule':<42}{'mutants':>8}{'killed':>8}{'only':>6}{'diff':>6}{'kill%':>8}")
    for name, r in summary["rules"].items():
        lines.append(f"{name:<42}{r['mutants']:>8}{r['killed']:>8}{r['only']:>6}{r['diff']:>6}"
                     f"{_rate(r['killed'], r['mutants']):>8}")
    lines.append("(killed: mutants this rule fails on where the original did not; only: "
                 "killed by no other rule; diff: of those, also reported by diff)")
    for v in verdicts:
        survivor = v.status == "tested" and not v.killed_by_check
        missed_by_diff = v.status == "tested" and not v.killed_by_diff
        if verbose or (show_survivors and survivor) or missed_by_diff:
            fate = v.status if v.status != "tested" else (
                ("check[" + ",".join(sorted(v.check_kills)) + "]" if v.killed_by_check
                 else "check missed") + (", diff" if v.killed_by_diff else ", DIFF MISSED"))
            lines.append(f"  {v.mutant.file} {v.mutant.operator}: {v.mutant.what}  ->  {fate}"
                         + (f" ({v.error[:120]})" if v.error and verbose else ""))
    return "\n".join(lines)


# ====================================================================== main
def generate(ev: Evaluator, rel: str, operators: Sequence[str],
             limit: Optional[int]) -> List[Mutant]:
    with open(os.path.join(ev.cdefs, rel)) as fh:
        text = fh.read()
    per_op = Generator(rel, text, ev.int_typedefs(rel)).mutants(operators)
    out = []
    for op in operators:
        out.extend(per_op[op][:limit] if limit is not None else per_op[op])
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cdefs", default=os.path.join(ROOT, "cdefs"), metavar="DIR",
                   help="tree of headers to mutate (default: cdefs/)")
    p.add_argument("--file", action="append", metavar="GLOB",
                   help="only headers whose path under DIR (or name) matches; repeatable")
    p.add_argument("--operator", action="append", choices=OPERATORS,
                   help="only this mutation operator; repeatable")
    p.add_argument("--limit", type=int, metavar="N",
                   help="at most N mutants per operator and header")
    p.add_argument("--abi", action="append", metavar="NAME",
                   help="ABIs to lay out for (repeatable, comma lists, 'all'); default all")
    p.add_argument("--config", action="append", metavar="NAME",
                   help="only this config of the rules' matrix; repeatable")
    p.add_argument("--survivors", action="store_true",
                   help="list the mutants check does not kill")
    p.add_argument("-v", "--verbose", action="store_true", help="list every mutant's fate")
    p.add_argument("--format", choices=["text", "json"], default="text")
    args = p.parse_args(argv)

    abis = resolve_abis(args.abi or ["all"])
    operators = args.operator or list(OPERATORS)
    headers = all_headers(args.cdefs)
    if args.file:
        headers = [h for h in headers if any(fnmatch.fnmatch(h, g) or
                                             fnmatch.fnmatch(os.path.basename(h), g)
                                             for g in args.file)]
    started = time.perf_counter()
    verdicts: List[Verdict] = []
    rule_names: List[str] = []
    notes: List[str] = []
    with Evaluator(args.cdefs, abis, args.config or ()) as ev:
        for rel in headers:
            target = ev.target(rel)
            if target is None:
                notes.append(f"{rel}: skipped (defines none of its rules' structs and no "
                             f"header includes it)")
                continue
            if target != rel:
                notes.append(f"{rel}: mutants judged through {target}")
            for rule in ev.ruleset(target).rules:
                if rule.name not in rule_names:
                    rule_names.append(rule.name)
            for mutant in generate(ev, rel, operators, args.limit):
                verdicts.append(ev.evaluate(mutant, target))
    summary = summarize(verdicts, rule_names + ["static-assert"])
    t = summary["total"]
    elapsed = time.perf_counter() - started
    if args.format == "json":
        summary["notes"] = notes
        summary["seconds"] = round(elapsed, 1)
        summary["mutants"] = [
            {"file": v.mutant.file, "operator": v.mutant.operator, "what": v.mutant.what,
             "target": v.target, "status": v.status, "killed_by": sorted(v.check_kills),
             "diff": v.killed_by_diff, "error": v.error} for v in verdicts]
        json.dump(summary, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for note in notes:
            print(note)
        print(render(summary, verdicts, args.survivors, args.verbose))
        print(f"{len(abis)} ABIs, {elapsed:.0f} s")
    if not t["mutants"]:
        print("no mutant was tested", file=sys.stderr)
        return 1
    if t["diff"] < t["mutants"]:
        print(f"diff missed {t['mutants'] - t['diff']} of {t['mutants']} mutants", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
