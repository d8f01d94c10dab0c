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
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

from .errors import LayoutError
from .plain import FRESH, PlainEq

_DECL = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_ \t*]*?[\s*])([A-Za-z_][A-Za-z0-9_]*)"
                   r"(\s*\[\s*[0-9]+\s*\])?\s*;?\s*\Z")
_KEYWORDS_FORBIDDEN = {"struct", "union", "enum", "typedef", "static", "extern"}
_C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict",
    "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
    "unsigned", "void", "volatile", "while", "_Bool", "_Complex", "_Alignas", "_Alignof",
    "_Atomic", "_Generic", "_Noreturn", "_Static_assert", "_Thread_local", "__attribute__",
    "__typeof__", "typeof", "asm", "__asm__", "__extension__", "__restrict", "__inline"}


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
    if m.group(2) in _C_KEYWORDS:
        raise LayoutError(f"--member {text!r}: {m.group(2)!r} is a C keyword, not a member name")
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
    return re.search(r"(^|_)(pad|padding|filler|reserved|unused)(_?[0-9]+)?$", name.lower()) is not None


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


class Candidate(PlainEq):
    kind: str  # "after" or "overlay"
    anchor: str  # the member's path
    line: int
    text: str = ""

    _fields = ("kind", "anchor", "line", "text")
    _hidden = ("text",)

    def __init__(self, kind: str, anchor: str, line: int, text: str = "") -> None:
        self.kind = kind
        self.anchor = anchor
        self.line = line
        self.text = text

    def describe(self) -> str:
        if self.kind == "after":
            return f"after {self.anchor} (line {self.line})"
        return f"overlaying {self.anchor} (line {self.line}, as a union with it)"


def _body(clean: str, header_text: str, record) -> Optional[Tuple[int, int]]:
    """[start, end) of the braces of ``record``'s definition in the header
    text (None where its definition is not there)."""
    coord = getattr(record, "coord", None)
    if coord is None:
        return None
    try:
        at = _offset(header_text, coord.line, coord.column)
    except LayoutError:
        return None
    brace = clean.find("{", at)
    if brace < 0:
        return None
    depth = 0
    for i in range(brace, len(clean)):
        if clean[i] == "{":
            depth += 1
        elif clean[i] == "}":
            depth -= 1
            if depth == 0:
                return brace, i
    return None


def candidates(header_text: str, header_path: str, layouts: Sequence, decl: str) -> List[Candidate]:
    """Each distinct placement of ``decl`` next to or over a member that
    ``layouts`` (the struct in each ABI and config) declare in the header
    itself, inside the struct's own definition (a struct type defined
    elsewhere is every user's: patching it is another change)."""
    clean = _blank_comments(header_text)
    seen: Dict[Tuple[str, int, int], Candidate] = {}
    real = os.path.realpath(header_path)
    for lay in layouts:
        body = _body(clean, header_text, lay.record)
        if body is None or os.path.realpath(str(lay.record.coord.file)) != real:
            continue
        for m in lay.members:
            member = getattr(getattr(m, "field", None), "member", None)
            coord = getattr(member, "coord", None)
            if coord is None or member.name is None or os.path.realpath(str(coord.file)) != real:
                continue
            try:
                at = _offset(header_text, coord.line, coord.column)
            except LayoutError:
                continue
            if not body[0] < at < body[1]:
                continue  # in a struct type defined elsewhere
            if header_text[at:at + len(member.name)] != member.name or \
                    re.match(r"\w", header_text[at + len(member.name):at + len(member.name) + 1] or " "):
                continue  # spelled by a macro: no place in the text to patch
            span = _declaration_span(clean, at)
            if span is None:
                continue
            start, end = span
            if not re.search(r"[A-Za-z_]\w*[\s*]+$", clean[start:at]):
                continue  # no type before the name in this span (a type defined inline)
            if _enclosing_kind(clean, start) != "struct":
                continue  # in a union, "after" is one more variant over live members
            indent = re.match(r"[ \t]*", header_text[header_text.rfind("\n", 0, start) + 1:]).group(0)
            newline = "\r\n" if "\r\n" in header_text else "\n"
            after = header_text[:end] + f"{newline}{indent}{decl};" + header_text[end:]
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
class Judged(PlainEq):
    candidate: Candidate
    ok: bool
    killed_by: Optional[Tuple[str, str, str, str]] = None  # rule, abi, config, message
    growth: Dict[Tuple[str, str], int]  # (abi, config) -> bytes
    displaced: List[str]
    not_applied: Optional[set] = None  # rules that judged nothing here

    _fields = ("candidate", "ok", "killed_by", "growth", "displaced", "not_applied")

    def __init__(self, candidate: Candidate, ok: bool, killed_by: Optional[Tuple[str, str, str, str]] = None,
                 growth: Dict[Tuple[str, str], int] = FRESH, displaced: List[str] = FRESH,
                 not_applied: Optional[set] = None) -> None:
        self.candidate = candidate
        self.ok = ok
        self.killed_by = killed_by
        self.growth = {} if growth is FRESH else growth
        self.displaced = [] if displaced is FRESH else displaced
        self.not_applied = not_applied

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


class PlaceReport(PlainEq):
    header: str
    struct: str
    decl: str
    abis: list
    configs: List[str]
    judged: List[Judged]
    already_failing: List[str]  # rules the header fails as it is
    not_applied: List[str]  # rules no placement was judged by

    _fields = ("header", "struct", "decl", "abis", "configs", "judged", "already_failing", "not_applied")

    def __init__(self, header: str, struct: str, decl: str, abis: list, configs: List[str], judged: List[Judged],
                 already_failing: List[str] = FRESH, not_applied: List[str] = FRESH) -> None:
        self.header = header
        self.struct = struct
        self.decl = decl
        self.abis = abis
        self.configs = configs
        self.judged = judged
        self.already_failing = [] if already_failing is FRESH else already_failing
        self.not_applied = [] if not_applied is FRESH else not_applied

    def valid(self) -> List[Judged]:
        return sorted((j for j in self.judged if j.ok), key=lambda j: j.cost())

    def rejected(self) -> List[Judged]:
        return sorted((j for j in self.judged if not j.ok), key=lambda j: j.cost())

    def to_json(self) -> dict:
        return {"header": self.header, "struct": self.struct, "member": self.decl,
                "abis": [a.name for a in self.abis], "configs": self.configs,
                "already_failing": self.already_failing, "not_applied": self.not_applied,
                "valid": [j.to_json() for j in self.valid()],
                "rejected": [j.to_json() for j in self.rejected()]}


def _read(path: str, ruleset, configs, abis, struct: str, include_dirs, options, rules: bool = True,
          applied: Optional[set] = None, unapplied: Optional[set] = None):
    """(failures, {(abi, config): Layout}) of ``path`` in every config, the
    configs' preprocessor runs overlapping as ``check``'s do; the names of
    rules applied (or not) somewhere go to ``applied`` (``unapplied``)."""
    from .api import Session
    from .options import side_by_side
    from .rules.checks import FAIL, NOT_APPLIED, check_program

    session = Session()
    results = []
    layouts = {}

    def one(cfg):
        return ruleset.program(path, cfg, [a.name for a in abis], defines=dict(options.defines),
                               undefs=options.undefs, include_dirs=list(include_dirs),
                               cpp=options.cpp, session=session,
                               abi_include_dirs=dict(options.abi_include_dirs))

    for cfg, prog in zip(configs, side_by_side(one, list(configs)), strict=True):
        if rules:
            verdicts = check_program(path, prog, ruleset, abis, cfg)
            results += [r for r in verdicts if r.status == FAIL]
            for r in verdicts:
                if r.status == NOT_APPLIED and r.kind != "static-assert":
                    (unapplied if unapplied is not None else set()).add(r.rule)
                elif applied is not None:
                    applied.add(r.rule)
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
    with open(header, encoding="utf-8", errors="surrogateescape", newline="") as fh:
        text = fh.read()
    if re.search(r"^[ \t]*#[ \t]*(line\b|[0-9])", text, re.M):
        raise LayoutError(f"{header}: #line directives renumber its lines; place patches the "
                          f"text by the lines members are declared on, so it cannot")
    here = os.path.dirname(os.path.abspath(header))
    base_fail, base = _read(header, ruleset, cfgs, abis, struct, options.include_dirs, options)
    for lay in base.values():
        clash = next((m.path for m in lay.members if m.path == name or m.path.endswith("." + name)), None)
        if clash is not None:
            raise LayoutError(f"{header}: struct {struct} already has a member {clash}")
    found = candidates(text, header, list(base.values()), decl)
    if not found:
        where = next(iter(base.values())).record.coord
        raise LayoutError(f"{header}: no member of {struct} is declared in this header's text "
                          f"(its definition is at {where.file}:{where.line}): there is nothing "
                          f"here to patch")
    already = sorted({r.rule for r in base_fail})
    judged: List[Judged] = []
    # Each placement is read from a copy beside the header, so that its
    # includes are found as the header's are ("x.h" and "../x.h" from its
    # folder, <x.h> along the search path only): no copy elsewhere finds
    # the same files in every case, so a folder that cannot be written is
    # refused.
    include_dirs = list(options.include_dirs)
    try:
        fd, path = tempfile.mkstemp(prefix=".layoutcheck-place-", suffix=os.path.splitext(header)[1],
                                    dir=here)
        os.close(fd)
    except OSError as exc:
        raise LayoutError(f"{here} cannot be written ({exc.strerror}): place reads each placement "
                          f"from a copy beside the header, where its includes are found as the "
                          f"header's are; copy the header's folder somewhere you can write") from None
    try:
        _check_declaration(text, decl, member, path, ruleset, cfgs[:1], abis[:1], include_dirs, options)
        ignore = list(ignore) + already
        for cand in found:
            with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as fh:
                fh.write(cand.text)
            judged.append(_judge(cand, path, ruleset, cfgs, abis, struct, name, include_dirs,
                                 options, base, ignore))
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    return PlaceReport(header, struct, decl, abis, [c.name for c in cfgs], judged, already,
                       _never_applied(judged))


def _check_declaration(text, decl, member, path, ruleset, cfgs, abis, include_dirs, options) -> None:
    """The new declaration, read on its own after the header: an error
    here is the declaration's, said once (exit 2), not a verdict on every
    placement."""
    probe = text + f"\nstruct __layoutcheck_place_probe {{ {decl}; }};\n"
    with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as fh:
        fh.write(probe)
    try:
        _read(path, ruleset, cfgs, abis, "__layoutcheck_place_probe", include_dirs, options,
              rules=False)
    except LayoutError as exc:
        raise LayoutError(f"--member {member!r}: {str(exc).replace(path, '<declaration>')}") from None


def _never_applied(judged: List["Judged"]) -> List[str]:
    """Rules applied to no placement at all (their members absent even
    with the new one): they judged nothing."""
    sets = [j.not_applied for j in judged if j.not_applied is not None]
    if not sets:
        return []
    common = set(sets[0])
    for other in sets[1:]:
        common &= other
    return sorted(common)


def _judge(cand, path, ruleset, cfgs, abis, struct, name, include_dirs, options, base, ignore):
    applied: set = set()
    unapplied: set = set()
    try:
        fails, lays = _read(path, ruleset, cfgs, abis, struct, include_dirs, options,
                            applied=applied, unapplied=unapplied)
    except LayoutError as exc:
        return Judged(cand, False, ("(the header)", "", "", str(exc).replace(path, "<placed>")))
    j = Judged(cand, True)
    j.not_applied = unapplied - applied
    moved = set()
    for key, lay in lays.items():
        old = base[key]
        j.growth[key] = lay.size - old.size
        for m in old.members:
            now = lay.get(m.path)
            if now is None or (now.offset, now.bit_offset) != (m.offset, m.bit_offset):
                moved.add(m.path)
        if not any(m.path == name or m.path.endswith("." + name) for m in lay.members) \
                and j.killed_by is None:
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


def _quote_includes_from(text: str, here: str, there: str) -> str:
    """``text`` (a header of folder ``here``) to be read from folder
    ``there``: each '#include "x.h"' that finds x.h beside the header
    names it by its path from ``there``; others (found through -I) are
    kept as written."""
    def fix(m):
        target = m.group(2)
        beside = os.path.join(here, target)
        if os.path.isabs(target) or not os.path.exists(beside):
            return m.group(0)
        return f'{m.group(1)}"{os.path.relpath(beside, there)}"'
    return re.sub(r'(#\s*include\s*)"([^"\n]+)"', fix, text)


def emit(report: PlaceReport, judged: Judged, path: str) -> None:
    """Write ``judged``'s patched header to ``path``.  Includes found
    beside the original are rewritten to be found from ``path``'s
    directory; others (found through -I) are kept as written."""
    if os.path.exists(path) and os.path.samefile(path, report.header):
        raise LayoutError(f"--emit {path}: that is the header itself; write the placement to "
                          f"another file")
    text = judged.candidate.text
    here = os.path.dirname(os.path.abspath(report.header))
    there = os.path.dirname(os.path.abspath(path))
    if here != there:
        text = _quote_includes_from(text, here, there)
    try:
        with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as fh:
            fh.write(text)
    except OSError as exc:
        raise LayoutError(f"--emit {path}: {exc.strerror}") from None
