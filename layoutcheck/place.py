"""Where can a new member go?  Every placement of one new member in a
struct, judged by the header's rules on every ABI and config.

A placement is a patched copy of the header: the new declaration inserted
after a member of the struct (at any depth: in the struct itself, or in
one of the structs of its unions), or overlaid on a padding member (the
pad and the new one made an anonymous union, so that the new one takes
the pad's bytes; see ``is_padding``).  Each copy is read exactly as ``check`` reads a header, with the
original's rules file and its directory on the include path, and kept when
every rule and static assert holds on every ABI and config and the new
member exists in all of them (a member inserted under an ``#ifdef`` does
not).  What a placement costs is measured against the original: how many
bytes the struct grows on each ABI and config, and which members move.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from .errors import LayoutError

_DECL = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_ \t*]*?[\s*])([A-Za-z_][A-Za-z0-9_]*)"
                   r"(\s*\[\s*[0-9]+\s*\])?\s*;?\s*\Z")
_KEYWORDS_FORBIDDEN = {"struct", "union", "enum", "typedef", "static", "extern"}


def parse_member(text: str) -> Tuple[str, str]:
    """``"atomic_t dma_pinned_count"`` -> (declaration, name).  One plain
    declaration: a type made of names and ``*``, a name, an optional
    array bound; no braces, comments or directives."""
    m = _DECL.match(text)
    if m is None or "\n" in text:
        raise LayoutError(f"--member {text!r}: give one declaration such as "
                          f"'atomic_t dma_pinned_count' or 'unsigned long pad[2]'")
    words = set(re.findall(r"[A-Za-z_]\w*", m.group(1)))
    if words & (_KEYWORDS_FORBIDDEN - {"struct", "union", "enum"}) or not words:
        raise LayoutError(f"--member {text!r}: only a type and a name")
    kind = " ".join(m.group(1).replace("*", " * ").split()).replace("* *", "**")
    sep = "" if kind.endswith("*") else " "
    return f"{kind}{sep}{m.group(2)}{(m.group(3) or '').replace(' ', '')}", m.group(2)


# ---------------------------------------------------------------- positions
def _blank_comments(text: str) -> str:
    """``text`` with comments and string literals turned to spaces (same
    length, newlines kept), for finding declaration boundaries."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif text[i] in "\"'":
            j = i + 1
            while j < n and text[j] != text[i] and text[j] != "\n":
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


def _offset(text: str, line: int, column: int) -> int:
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    if line < 1 or line > len(starts):
        raise LayoutError(f"line {line} is not in the header")
    return starts[line - 1] + column - 1


def _declaration_span(clean: str, at: int) -> Optional[Tuple[int, int]]:
    """[start, end) of the member declaration whose declarator is at
    ``at``: from after the previous ``;``, ``{`` or ``}`` (or directive
    line) to its ``;`` included.  None where the declaration is not a
    simple one (several declarators, a directive inside it)."""
    end = clean.find(";", at)
    if end < 0:
        return None
    start = at
    while start > 0 and clean[start - 1] not in ";{}":
        start -= 1
    # a directive line between the previous declaration and this one
    lines = clean[start:at].split("\n")
    if any(ln.lstrip().startswith("#") for ln in lines[:-1]):
        last = max(i for i, ln in enumerate(lines[:-1]) if ln.lstrip().startswith("#"))
        start += sum(len(ln) + 1 for ln in lines[:last + 1])
    while start < at and clean[start].isspace():
        start += 1
    body = clean[start:end]
    if "#" in body or "{" in body or "}" in body:
        return None
    depth = 0
    for ch in body:
        depth += ch in "(["
        depth -= ch in ")]"
        if ch == "," and depth == 0:
            return None
    return start, end + 1


def is_padding(name: str) -> bool:
    """A member that holds nothing of its own (``_zd_pad_1``,
    ``__filler``): the only kind a new member may be overlaid on.  Sharing
    a live member's bytes corrupts it whatever the layout, which no layout
    rule can see."""
    lowered = name.lower()
    return "pad" in lowered or "filler" in lowered or "reserved" in lowered


def _enclosing_kind(clean: str, at: int) -> Optional[str]:
    """'struct' or 'union': the aggregate whose braces hold position
    ``at`` (None where that cannot be told)."""
    depth = 0
    i = at - 1
    while i >= 0:
        ch = clean[i]
        if ch == "}":
            depth += 1
        elif ch == "{":
            if depth == 0:
                words = re.findall(r"[A-Za-z_]\w*", clean[max(0, i - 200):i])
                for word in reversed(words):
                    if word in ("struct", "union"):
                        return word
                return None
            depth -= 1
        i -= 1
    return None


@dataclass
class Candidate:
    kind: str  # "after" or "overlay"
    anchor: str  # the member's path
    line: int
    text: str = field(repr=False, default="")

    def describe(self) -> str:
        if self.kind == "after":
            return f"after {self.anchor} (line {self.line})"
        return f"overlaying {self.anchor} (line {self.line}, as a union with it)"


def candidates(header_text: str, header_path: str, layouts: Sequence, decl: str) -> List[Candidate]:
    """Each distinct placement of ``decl`` next to or over a member that
    ``layouts`` (the struct in each ABI and config) declare in the header
    itself."""
    clean = _blank_comments(header_text)
    seen: Dict[Tuple[str, int, int], Candidate] = {}
    real = os.path.realpath(header_path)
    for lay in layouts:
        for m in lay.members:
            member = getattr(getattr(m, "field", None), "member", None)
            coord = getattr(member, "coord", None)
            if coord is None or member.name is None or os.path.realpath(str(coord.file)) != real:
                continue
            span = _declaration_span(clean, _offset(header_text, coord.line, coord.column))
            if span is None:
                continue
            start, end = span
            if _enclosing_kind(clean, start) != "struct":
                continue  # in a union, "after" is one more variant over live members
            indent = re.match(r"[ \t]*", header_text[header_text.rfind("\n", 0, start) + 1:]).group(0)
            after = header_text[:end] + f"\n{indent}{decl};" + header_text[end:]
            key = ("after", start, end)
            if key not in seen:
                seen[key] = Candidate("after", m.path, coord.line, after)
            if not m.is_bitfield and is_padding(member.name):
                over = (header_text[:start] + "union { " + header_text[start:end] + f" {decl}; }};"
                        + header_text[end:])
                key = ("overlay", start, end)
                if key not in seen:
                    seen[key] = Candidate("overlay", m.path, coord.line, over)
    return sorted(seen.values(), key=lambda c: (c.line, c.kind != "after"))


# ------------------------------------------------------------------ judging
@dataclass
class Judged:
    candidate: Candidate
    ok: bool
    killed_by: Optional[Tuple[str, str, str, str]] = None  # rule, abi, config, message
    growth: Dict[Tuple[str, str], int] = field(default_factory=dict)  # (abi, config) -> bytes
    displaced: List[str] = field(default_factory=list)

    @property
    def max_growth(self) -> int:
        return max(self.growth.values(), default=0)

    def cost(self) -> Tuple[int, int, int]:
        return (self.max_growth, sum(self.growth.values()), len(self.displaced))

    def growth_text(self, abis) -> str:
        from .render.groups import abi_group_label

        if not self.max_growth:
            return "no growth"
        by_size: Dict[int, List[str]] = {}
        for abi, g in _max_by_abi(self.growth).items():
            by_size.setdefault(g, []).append(abi)
        parts = [f"+{g} on {abi_group_label(names, abis, brief=True)}"
                 for g, names in sorted(by_size.items(), reverse=True) if g]
        return "grows " + ", ".join(parts) + " (bytes, in the worst config)"

    def to_json(self) -> dict:
        out = {"placement": self.candidate.kind, "anchor": self.candidate.anchor,
               "line": self.candidate.line, "valid": self.ok,
               "growth_bytes": {"max": self.max_growth,
                                "by_abi": _max_by_abi(self.growth)},
               "displaced": self.displaced}
        if self.killed_by:
            rule, abi, cfg, message = self.killed_by
            out["killed_by"] = {"rule": rule, "abi": abi, "config": cfg, "message": message}
        return out


def _max_by_abi(growth: Dict[Tuple[str, str], int]) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for (abi, _cfg), g in growth.items():
        out[abi] = max(out.get(abi, 0), g)
    return out


@dataclass
class PlaceReport:
    header: str
    struct: str
    decl: str
    abis: list
    configs: List[str]
    judged: List[Judged]

    def valid(self) -> List[Judged]:
        return sorted((j for j in self.judged if j.ok), key=lambda j: j.cost())

    def rejected(self) -> List[Judged]:
        return sorted((j for j in self.judged if not j.ok), key=lambda j: j.cost())

    def to_json(self) -> dict:
        return {"header": self.header, "struct": self.struct, "member": self.decl,
                "abis": [a.name for a in self.abis], "configs": self.configs,
                "valid": [j.to_json() for j in self.valid()],
                "rejected": [j.to_json() for j in self.rejected()]}


def _read(path: str, ruleset, configs, abis, struct: str, include_dirs, options):
    """(failures, {(abi, config): Layout}) of ``path`` in every config, the
    configs' preprocessor runs overlapping as ``check``'s do."""
    from .api import Session
    from .options import side_by_side
    from .rules.checks import FAIL, check_program

    session = Session()
    results = []
    layouts = {}

    def one(cfg):
        return ruleset.program(path, cfg, [a.name for a in abis], defines=dict(options.defines),
                               undefs=options.undefs, include_dirs=list(include_dirs),
                               cpp=options.cpp, session=session)

    for cfg, prog in zip(configs, side_by_side(one, list(configs)), strict=True):
        results += [r for r in check_program(path, prog, ruleset, abis, cfg) if r.status == FAIL]
        for a in abis:
            layouts[(a.name, cfg.name)] = prog.layout(struct, a)
    return results, layouts


def place(header: str, struct: Optional[str], member: str, options,
          configs: Optional[Sequence[str]] = None, ignore: Sequence[str] = ()) -> PlaceReport:
    """Every placement of ``member`` in ``struct`` of ``header``, judged."""
    from .options import ruleset_for, select_configs

    decl, name = parse_member(member)
    if not os.path.isfile(header):
        raise LayoutError(f"{header}: no such file")
    ruleset = ruleset_for(header, options)
    struct = struct or ruleset.struct
    if not struct:
        raise LayoutError(f"{header}: no struct given (--struct) and the rules file names none")
    known = {r.name for r in ruleset.rules}
    for rule in ignore:
        if rule not in known:
            from .layouts import did_you_mean

            raise LayoutError(f"--ignore-rule {rule}: no such rule{did_you_mean(rule, known)}")
    cfgs = select_configs(ruleset, configs, header)
    abis = options.abi_objects()
    with open(header, encoding="utf-8", errors="surrogateescape") as fh:
        text = fh.read()
    here = os.path.dirname(os.path.abspath(header))
    base_fail, base = _read(header, ruleset, cfgs, abis, struct, options.include_dirs, options)
    for lay in base.values():
        if lay.get(name) is not None:
            raise LayoutError(f"{header}: struct {struct} already has a member {name}")
    found = candidates(text, header, list(base.values()), decl)
    work = tempfile.mkdtemp(prefix="layoutcheck-place-")
    judged: List[Judged] = []
    try:
        path = os.path.join(work, os.path.basename(header))
        include_dirs = list(options.include_dirs) + [here]
        for cand in found:
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(cand.text)
            judged.append(_judge(cand, path, ruleset, cfgs, abis, struct, name, include_dirs,
                                 options, base, ignore))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return PlaceReport(header, struct, decl, abis, [c.name for c in cfgs], judged)


def _judge(cand, path, ruleset, cfgs, abis, struct, name, include_dirs, options, base, ignore):
    try:
        fails, lays = _read(path, ruleset, cfgs, abis, struct, include_dirs, options)
    except LayoutError as exc:
        return Judged(cand, False, ("(the header)", "", "", str(exc).replace(path, "<placed>")))
    j = Judged(cand, True)
    moved = set()
    for key, lay in lays.items():
        old = base[key]
        j.growth[key] = lay.size - old.size
        for m in old.members:
            now = lay.get(m.path)
            if now is None or (now.offset, now.bit_offset) != (m.offset, m.bit_offset):
                moved.add(m.path)
        if lay.get(name) is None and j.killed_by is None:
            j.killed_by = ("(placement)", key[0], key[1],
                           f"{name} does not exist in this config (inside an #if)")
    order: Dict[str, int] = {}
    for lay in base.values():
        for m in lay.members:
            order.setdefault(m.path, len(order))
    j.displaced = sorted(moved, key=lambda p: order.get(p, len(order)))
    for r in fails:
        if r.rule in ignore:
            continue
        if j.killed_by is None:
            j.killed_by = (r.rule, r.abi, r.config, r.message)
        break
    j.ok = j.killed_by is None
    return j


def emit(report: PlaceReport, judged: Judged, path: str) -> None:
    """Write ``judged``'s patched header to ``path``; its includes are
    found beside the original (relative ones rewritten when ``path`` is
    elsewhere)."""
    text = judged.candidate.text
    here = os.path.dirname(os.path.abspath(report.header))
    there = os.path.dirname(os.path.abspath(path))
    if here != there:
        def fix(m):
            target = m.group(2)
            if os.path.isabs(target):
                return m.group(0)
            new = os.path.relpath(os.path.join(here, target), there)
            return f'{m.group(1)}"{new}"'
        text = re.sub(r'(#\s*include\s*)"([^"\n]+)"', fix, text)
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(text)
