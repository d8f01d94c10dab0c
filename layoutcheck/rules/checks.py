"""Evaluate rules against layouts: one verdict per rule, ABI and config.

Every verdict is a ``Result`` with a sentence that names the members, their
offsets and the ABI, so a failure can be read without the tool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from ..abi import ABI
from ..errors import LayoutError, where_of
from ..layouts import Layout, MemberLayout
from ..model import Array, Pointer, Record, unqualified
from .spec import Config, Rule, RuleSet, size_value


@dataclass
class Result:
    file: str
    abi: str
    config: str
    rule: str
    kind: str
    status: str  # "pass" or "fail"
    members: List[str] = field(default_factory=list)
    message: str = ""
    text: str = ""  # the message without ABI and config, for grouping

    def to_json(self) -> dict:
        return {"file": self.file, "abi": self.abi, "config": self.config, "rule": self.rule,
                "kind": self.kind, "status": self.status, "members": self.members,
                "message": self.message}

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def rule_without(rule: Rule, key: str) -> Rule:
    """The rule with one parameter dropped (to reuse a target lookup)."""
    params = {k: v for k, v in rule.params.items() if k != key}
    return Rule(rule.kind, rule.name, rule.struct, params, rule.optional, rule.abis, rule.when,
                rule.why, rule.source)


class _Fail(Exception):
    def __init__(self, message: str, members: Sequence[str]):
        self.message = message
        self.members = list(members)


def _span(m: MemberLayout) -> str:
    if m.is_bitfield:
        return f"{m.path} (offset {m.offset}, bits {m.mask_hex})"
    return f"{m.path} (offset {m.offset}, size {m.size})"


class RuleChecker:
    """Checks one rule set against the layouts of one file, ABI and config."""

    def __init__(self, file: str, abi: ABI, config: Config):
        self.file = file
        self.abi = abi
        self.config = config
        self.word = abi.scalar("long").size

    # ---------------------------------------------------------- lookup
    def _member(self, lay: Layout, path: str, rule: Rule) -> Optional[MemberLayout]:
        m = lay.get(path)
        if m is None and path not in rule.optional:
            raise _Fail(f"{lay.kind} {lay.name} has no member '{path}'; "
                        f"the rule cannot be checked (list it in 'optional' if that is expected)",
                        [path])
        return m

    def _target(self, lay: Layout, rule: Rule) -> Tuple[str, Optional[int], Optional[int]]:
        """(label, offset, size) of what an offset/size/align rule is about."""
        p = rule.params
        if p.get("union_of") or p.get("struct_of"):
            kind = "union" if p.get("union_of") else "struct"
            anchor = p.get("union_of") or p.get("struct_of")
            if self._member(lay, anchor, rule) is None:
                return f"the {kind} holding {anchor}", None, None
            span = lay.enclosing(anchor, kind)
            if span is None:
                raise _Fail(f"no {kind} holds '{anchor}' in {lay.kind} {lay.name}", [anchor])
            return f"the {kind} holding {anchor}", span[0], span[1]
        if p.get("member"):
            m = self._member(lay, p["member"], rule)
            if m is None:
                return p["member"], None, None
            return p["member"], m.offset, m.size
        return f"{lay.kind} {lay.name}", 0, lay.size

    def _val(self, rule: Rule, key: str) -> int:
        return size_value(rule.params[key], self.word, f"{rule.source} ({rule.name})")

    # ----------------------------------------------------------- kinds
    def check(self, lay: Layout, rule: Rule) -> Result:
        try:
            members = getattr(self, "_" + rule.kind.replace("-", "_"))(lay, rule)
            return Result(self.file, self.abi.name, self.config.name, rule.name, rule.kind,
                          "pass", members, "")
        except _Fail as f:
            return Result(self.file, self.abi.name, self.config.name, rule.name, rule.kind,
                          "fail", f.members, f"on {self.abi.name} ({self.config.name}): {f.message}",
                          f.message)

    def _bounds(self, rule: Rule, label: str, value: int, what: str, members) -> None:
        p = rule.params
        if "expect" in p and value != self._val(rule, "expect"):
            raise _Fail(f"{label}: {what} is {value}, the rule expects "
                        f"{self._val(rule, 'expect')} ({p['expect']})", members)
        if "min" in p and value < self._val(rule, "min"):
            raise _Fail(f"{label}: {what} is {value}, below the minimum "
                        f"{self._val(rule, 'min')}", members)
        if "max" in p and value > self._val(rule, "max"):
            raise _Fail(f"{label}: {what} is {value}, above the maximum "
                        f"{self._val(rule, 'max')}", members)

    def _size(self, lay: Layout, rule: Rule) -> List[str]:
        label, off, size = self._target(lay, rule)
        members = [rule.params["member"]] if rule.params.get("member") else []
        if size is None:
            return members
        self._bounds(rule, label, size, "size", members)
        return members

    def _align(self, lay: Layout, rule: Rule) -> List[str]:
        p = rule.params
        if p.get("member"):
            m = self._member(lay, p["member"], rule)
            if m is None:
                return [p["member"]]
            align = lay.engine.layout(m.field.member.type).c_align
            label, members = p["member"], [p["member"]]
        else:
            align, label, members = lay.align, f"{lay.kind} {lay.name}", []
        self._bounds(rule, label, align, "alignment", members)
        return members

    def _offset(self, lay: Layout, rule: Rule) -> List[str]:
        p = rule.params
        if "within" in p:
            return self._within(lay, rule)
        label, off, size = self._target(lay, rule)
        members = [p["member"]] if p.get("member") else []
        if off is None:
            return members
        self._bounds(rule, label, off, "offset", members)
        if "multiple_of" in p:
            unit = self._val(rule, "multiple_of")
            if off % unit:
                raise _Fail(f"{label} is at offset {off}, not a multiple of "
                            f"{unit} ({p['multiple_of']})", members)
        return members

    def _within(self, lay: Layout, rule: Rule) -> List[str]:
        """Members stay within words [first, end) of the union holding an anchor."""
        p = rule.params
        names = [n for n in [p.get("member")] + list(p.get("members", [])) if n]
        label, base, _size = self._target(lay, rule_without(rule, "member"))
        if base is None:
            return names
        first, end = p["within"]
        lo = base + first * self.word
        hi = base + end * self.word
        outside = []
        for n in names:
            m = self._member(lay, n, rule)
            if m is not None and (m.offset < lo or m.end > hi):
                outside.append(m)
        if outside:
            text = ", ".join(_span(m) for m in outside)
            raise _Fail(f"{text} leave words {first}..{end - 1} of {label} (bytes {lo}..{hi - 1})",
                        [m.path for m in outside])
        return names

    def _alias(self, lay: Layout, rule: Rule) -> List[str]:
        names = rule.params["members"]
        found = [(n, self._member(lay, n, rule)) for n in names]
        present = [(n, m) for n, m in found if m is not None]
        if len(present) < 2:
            return names
        first_name, first = present[0]
        for name, m in present[1:]:
            if (m.offset, m.size, m.mask) != (first.offset, first.size, first.mask):
                raise _Fail(f"{first_name} does not alias {name}: {_span(first)}, {_span(m)}",
                            [first_name, name])
        return names

    def _disjoint(self, lay: Layout, rule: Rule) -> List[str]:
        left = [(n, self._member(lay, n, rule)) for n in rule.params["members"]]
        right = [(n, self._member(lay, n, rule)) for n in rule.params["against"]]
        clashes = []
        for ln, lm in left:
            for rn, rm in right:
                if lm is not None and rm is not None and lm.overlaps(rm):
                    clashes.append((lm, rm))
        if clashes:
            text = "; ".join(f"{a.path} (offset {a.offset}, size {a.size}) overlaps {b.path} "
                             f"(offset {b.offset}, size {b.size})" for a, b in clashes)
            names = []
            for a, b in clashes:
                for n in (a.path, b.path):
                    if n not in names:
                        names.append(n)
            raise _Fail(f"{text}", names)
        return list(rule.params["members"]) + list(rule.params["against"])

    def _tail_bit(self, lay: Layout, rule: Rule) -> List[str]:
        p = rule.params
        anchor_name = p["word"]
        anchor = self._member(lay, anchor_name, rule)
        if anchor is None:
            return [anchor_name]
        word = self.word
        if anchor.size != word:
            raise _Fail(f"{anchor_name} is {anchor.size} bytes, not a word "
                        f"({word})", [anchor_name])
        # Bit 0 of the word's value: the first byte on little endian, the
        # last on big endian.
        byte = anchor.offset + (word - 1 if self.abi.big_endian else 0)
        allowed = set(p.get("bit0_clear", [])) | {anchor_name}
        for name in p.get("bit0_clear", []):
            self._member(lay, name, rule)  # a declared member must exist
        offenders = []
        for m in lay.members:
            if not (m.offset <= byte < m.end) or not (m.mask[byte - m.offset] & 1):
                continue
            base = unqualified(m.field.member.type)
            if isinstance(base, Record):
                continue  # judged by its own members
            if isinstance(base, Array):
                elem = unqualified(base.elem)
                if isinstance(elem, Record):
                    offenders.append(m)  # array elements are not expanded
                    continue
                base = elem
            if m.path in allowed or isinstance(base, Pointer):
                continue
            offenders.append(m)
        if offenders:
            names = ", ".join(f"{m.path} ({m.type}, offset {m.offset}, size {m.size})" for m in offenders)
            raise _Fail(f"bit 0 of the {anchor_name} word (byte {byte}, "
                        f"{self.abi.endian} endian) is PageTail; it is shared with {names}, "
                        f"which can hold an odd value (only {anchor_name}, pointers and "
                        f"members declared bit0_clear may)", [m.path for m in offenders])
        return [anchor_name]


def check_static_asserts(file: str, prog, abi: ABI, config: Config) -> List[Result]:
    """Evaluate the header's _Static_assert declarations on one ABI."""
    results = []
    unit = prog.unit(abi)
    eng = prog.engine(abi)
    for sa in unit.static_asserts:
        label = f"static-assert at {where_of(sa.coord)}"
        try:
            value = eng.ev.integer(sa.expr)
            ok = value != 0
            text = "" if ok else (f"_Static_assert fails: {sa.message or 'no message'} "
                                  f"({where_of(sa.coord)})")
        except LayoutError as exc:
            ok, text = False, f"_Static_assert cannot be evaluated: {exc}"
        message = f"on {abi.name} ({config.name}): {text}" if text else ""
        results.append(Result(file, abi.name, config.name, label, "static-assert",
                              "pass" if ok else "fail", [], message, text))
    return results


def check_file(path: str, ruleset: RuleSet, abis: Sequence[ABI], configs: Sequence[Config],
               **program_kw) -> List[Result]:
    """All verdicts for one header: every config x ABI x rule."""
    results: List[Result] = []
    for config in configs:
        prog = ruleset.program(path, config, [a.name for a in abis], **program_kw)
        for abi in abis:
            checker = RuleChecker(path, abi, config)
            results.extend(check_static_asserts(path, prog, abi, config))
            cache: Dict[str, Layout] = {}
            for rule in ruleset.rules:
                if not rule.applies(abi, config):
                    continue
                struct = rule.struct
                if struct is None:
                    raise LayoutError(f"{rule.source}: no struct named (set 'struct')")
                lay = cache.get(struct)
                if lay is None:
                    lay = prog.layout(struct, abi)
                    cache[struct] = lay
                results.append(checker.check(lay, rule))
    return results
