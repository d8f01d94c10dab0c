"""Evaluate rules against layouts: one verdict per rule, ABI and config.

Every verdict is a ``Result`` with a sentence that names the members, their
offsets and the ABI, so a failure can be read without the tool.

A verdict is ``pass``, ``fail`` or ``not-applied``.  ``pass`` means the
rule compared something and it held.  A rule left with nothing to compare
(its optional members are missing) is ``not-applied``, and so is a rule
whose ``abis``/``when`` select no ABI and config of the run: it gets one
verdict for the whole file (ABI and config ``*``) instead of none.  The
``cause`` of a not-applied verdict says which:

* ``optional-missing``: members the rule lists in ``optional`` are missing
  (a struct from another era);
* ``not-selected``: the run was narrowed (``--abi``, ``--config``) to ABIs
  and configs the rule does not select;
* ``never-selected``: no ABI and no config of the rules' matrix is selected
  by the rule: it can never apply, a bug in the rules file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from ..abi import ABI, all_abis
from ..errors import LayoutError, where_of
from ..layouts import Layout, MemberLayout
from ..model import Array, Enum, Function, Pointer, Record, Void, unqualified
from .spec import Config, Rule, RuleSet, abi_matches, size_value

PASS, FAIL, NOT_APPLIED = "pass", "fail", "not-applied"


@dataclass
class Result:
    file: str
    abi: str
    config: str
    rule: str
    kind: str
    status: str  # "pass", "fail" or "not-applied"
    members: List[str] = field(default_factory=list)
    message: str = ""
    text: str = ""  # the message without ABI and config, for grouping
    cause: str = ""  # for not-applied: optional-missing, not-selected, never-selected

    def to_json(self) -> dict:
        out = {"file": self.file, "abi": self.abi, "config": self.config, "rule": self.rule,
               "kind": self.kind, "status": self.status, "members": self.members,
               "message": self.message}
        if self.status == NOT_APPLIED:
            out["cause"] = self.cause
        return out

    @property
    def passed(self) -> bool:
        """The rule was applied and held (not-applied is not a pass)."""
        return self.status == PASS

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    @property
    def not_applied(self) -> bool:
        return self.status == NOT_APPLIED


def rule_without(rule: Rule, key: str) -> Rule:
    """The rule with one parameter dropped (to reuse a target lookup)."""
    params = {k: v for k, v in rule.params.items() if k != key}
    return dataclasses.replace(rule, params=params)


class _Fail(Exception):
    def __init__(self, message: str, members: Sequence[str]):
        self.message = message
        self.members = list(members)


class _NotApplied(Exception):
    """The rule had nothing to compare: its optional members are missing."""

    def __init__(self, message: str, members: Sequence[str]):
        self.message = message
        self.members = list(members)


def _span(m: MemberLayout) -> str:
    if m.is_bitfield:
        return f"{m.path} (offset {m.offset}, bits {m.mask_hex})"
    return f"{m.path} (offset {m.offset}, size {m.size})"


def _names(value) -> List[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


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

    def _present(self, lay: Layout, names: Sequence[str], rule: Rule,
                 what: str) -> List[Tuple[str, MemberLayout]]:
        """The named members that exist; not-applied when none does."""
        found = [(n, self._member(lay, n, rule)) for n in names]
        present = [(n, m) for n, m in found if m is not None]
        if not present:
            raise _NotApplied(self._missing_text(lay, names, what), list(names))
        return present

    @staticmethod
    def _missing_text(lay: Layout, names: Sequence[str], what: str = "") -> str:
        if len(names) == 1:
            text = f"{lay.kind} {lay.name} has no member '{names[0]}' (optional)"
        else:
            text = f"{lay.kind} {lay.name} has none of {', '.join(names)} (all optional)"
        return text + (f": {what}" if what else ": nothing to check")

    def _target(self, lay: Layout, rule: Rule) -> Tuple[str, int, int]:
        """(label, offset, size) of what an offset/size/align rule is about."""
        p = rule.params
        if p.get("union_of") or p.get("struct_of"):
            kind = "union" if p.get("union_of") else "struct"
            anchor = p.get("union_of") or p.get("struct_of")
            if self._member(lay, anchor, rule) is None:
                raise _NotApplied(self._missing_text(lay, [anchor], f"no {kind} to measure"),
                                  [anchor])
            span = lay.enclosing(anchor, kind)
            if span is None:
                raise _Fail(f"no {kind} holds '{anchor}' in {lay.kind} {lay.name}", [anchor])
            return f"the {kind} holding {anchor}", span[0], span[1]
        if p.get("member"):
            m = self._member(lay, p["member"], rule)
            if m is None:
                raise _NotApplied(self._missing_text(lay, [p["member"]]), [p["member"]])
            return p["member"], m.offset, m.size
        return f"{lay.kind} {lay.name}", 0, lay.size

    def _val(self, rule: Rule, key: str) -> int:
        return size_value(rule.params[key], self.word, f"{rule.source} ({rule.name})")

    # ----------------------------------------------------------- kinds
    def check(self, lay: Layout, rule: Rule) -> Result:
        try:
            members = getattr(self, "_" + rule.kind.replace("-", "_"))(lay, rule)
            return Result(self.file, self.abi.name, self.config.name, rule.name, rule.kind,
                          PASS, members, "")
        except _Fail as f:
            return Result(self.file, self.abi.name, self.config.name, rule.name, rule.kind,
                          FAIL, f.members, f"on {self.abi.name} ({self.config.name}): {f.message}",
                          f.message)
        except _NotApplied as n:
            return Result(self.file, self.abi.name, self.config.name, rule.name, rule.kind,
                          NOT_APPLIED, n.members,
                          f"on {self.abi.name} ({self.config.name}): not applied: {n.message}",
                          n.message, "optional-missing")

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
        if "multiple_of" in p and value % self._val(rule, "multiple_of"):
            unit = self._val(rule, "multiple_of")
            if what == "offset":
                raise _Fail(f"{label} is at offset {value}, not a multiple of "
                            f"{unit} ({p['multiple_of']})", members)
            raise _Fail(f"{label}: {what} is {value}, not a multiple of {unit} "
                        f"({p['multiple_of']})", members)

    def _size(self, lay: Layout, rule: Rule) -> List[str]:
        p = rule.params
        names = _names(p.get("member")) + _names(p.get("members"))
        if names and not (p.get("union_of") or p.get("struct_of")):
            # Each member on its own: "flags and index are each one word".
            for name, m in self._present(lay, names, rule, "nothing to measure"):
                self._bounds(rule, f"{name} ({m.type})", m.size, "size", [name])
            return names
        label, _off, size = self._target(lay, rule)
        self._bounds(rule, label, size, "size", [])
        return []

    def _align(self, lay: Layout, rule: Rule) -> List[str]:
        p = rule.params
        if p.get("member"):
            m = self._member(lay, p["member"], rule)
            if m is None:
                raise _NotApplied(self._missing_text(lay, [p["member"]]), [p["member"]])
            align = lay.engine.layout(m.field.member.type).abi_align_bytes
            label, members = p["member"], [p["member"]]
        else:
            align, label, members = lay.align, f"{lay.kind} {lay.name}", []
        self._bounds(rule, label, align, "alignment", members)
        return members

    def _offset(self, lay: Layout, rule: Rule) -> List[str]:
        p = rule.params
        if "within" in p:
            return self._within(lay, rule)
        label, off, _size = self._target(lay, rule)
        members = [p["member"]] if p.get("member") else []
        self._bounds(rule, label, off, "offset", members)
        return members

    def _within(self, lay: Layout, rule: Rule) -> List[str]:
        """Members stay within words [first, end) of the union holding an anchor."""
        p = rule.params
        names = _names(p.get("member")) + _names(p.get("members"))
        label, base, _size = self._target(lay, rule_without(rule, "member"))
        first, end = p["within"]
        lo = base + first * self.word
        hi = base + end * self.word
        outside = []
        for _n, m in self._present(lay, names, rule, "nothing to place"):
            if m.offset < lo or m.end > hi:
                outside.append(m)
        if outside:
            text = ", ".join(_span(m) for m in outside)
            raise _Fail(f"{text} leave words {first}..{end - 1} of {label} (bytes {lo}..{hi - 1})",
                        [m.path for m in outside])
        return names

    def _alias(self, lay: Layout, rule: Rule) -> List[str]:
        names = _names(rule.params["members"])
        present = self._present(lay, names, rule, "nothing to compare")
        if len(present) < 2:
            missing = [n for n in names if n not in dict(present)]
            raise _NotApplied(f"only {present[0][0]} of {', '.join(names)} exists in "
                              f"{lay.kind} {lay.name} ({', '.join(missing)}: optional, missing): "
                              f"nothing to compare it with", names)
        first_name, first = present[0]
        for name, m in present[1:]:
            if (m.offset, m.size, m.mask) != (first.offset, first.size, first.mask):
                raise _Fail(f"{first_name} does not alias {name}: {_span(first)}, {_span(m)}",
                            [first_name, name])
        return names

    def _disjoint(self, lay: Layout, rule: Rule) -> List[str]:
        left = self._present(lay, _names(rule.params["members"]), rule, "nothing to compare")
        right = self._present(lay, _names(rule.params["against"]), rule, "nothing to compare")
        clashes = []
        for _ln, lm in left:
            for _rn, rm in right:
                if lm.overlaps(rm):
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
        return _names(rule.params["members"]) + _names(rule.params["against"])

    def _adjacent(self, lay: Layout, rule: Rule) -> List[str]:
        """Each listed member starts exactly where the one before it ends."""
        names = _names(rule.params["members"])
        found = [(n, self._member(lay, n, rule)) for n in names]
        pairs = [(a, b) for a, b in zip(found, found[1:]) if a[1] is not None and b[1] is not None]
        if not pairs:
            raise _NotApplied(f"no two consecutive members of {', '.join(names)} exist in "
                              f"{lay.kind} {lay.name} (the missing ones are optional): "
                              f"nothing to compare", names)
        for (an, a), (bn, b) in pairs:
            a_end = a.bit_offset + (a.bit_size if a.is_bitfield else a.size * 8)
            if b.bit_offset == a_end:
                continue
            if b.bit_offset < a.bit_offset:
                how = f"{bn} comes before {an}"
            elif b.bit_offset < a_end:
                how = f"{bn} overlaps {an}"
            else:
                gap = b.bit_offset - a_end
                how = f"{gap // 8} bytes lie between them" if gap % 8 == 0 else \
                    f"{gap} bits lie between them"
            raise _Fail(f"{bn} must start where {an} ends: {_span(a)}, {_span(b)}; {how}",
                        [an, bn])
        return names

    def _natural(self, lay: Layout, rule: Rule) -> List[str]:
        """No member below its type's alignment, no struct below its members'."""
        names = _names(rule.params.get("members"))
        if names:
            members = [m for _n, m in self._present(lay, names, rule, "nothing to check")]
        else:
            members = list(lay.members)
        misplaced = []
        most, most_by = 1, None
        for m in members:
            if m.is_bitfield:
                continue  # bitfields have no alignment of their own here
            align = lay.engine.layout(m.field.member.type).abi_align_bytes
            if align > most:
                most, most_by = align, m
            if m.offset % align:
                misplaced.append((m, align))
        if misplaced:
            text = ", ".join(f"{m.path} ({m.type}, offset {m.offset}) needs alignment {a}"
                             for m, a in misplaced)
            raise _Fail(f"members sit below their types' alignment (a packed struct?): {text}",
                        [m.path for m, _a in misplaced])
        if lay.align < most:
            raise _Fail(f"{lay.kind} {lay.name} has alignment {lay.align}, below the "
                        f"{most} its member {most_by.path} ({most_by.type}) needs (a packed "
                        f"struct?): arrays and members of it misalign {most_by.path}",
                        [most_by.path])
        return names

    def _tail_bit(self, lay: Layout, rule: Rule) -> List[str]:
        p = rule.params
        anchor_name = p["word"]
        anchor = self._member(lay, anchor_name, rule)
        if anchor is None:
            raise _NotApplied(self._missing_text(lay, [anchor_name], "no PageTail word"),
                              [anchor_name])
        word = self.word
        if anchor.size != word:
            raise _Fail(f"{anchor_name} is {anchor.size} bytes, not a word "
                        f"({word})", [anchor_name])
        # Bit 0 of the word's value: the first byte on little endian, the
        # last on big endian.
        byte = anchor.offset + (word - 1 if self.abi.big_endian else 0)
        allowed = set(_names(p.get("bit0_clear"))) | {anchor_name}
        aligned_pointees = set(_names(p.get("aligned_pointees")))
        for name in _names(p.get("bit0_clear")):
            self._member(lay, name, rule)  # a declared member must exist
        offenders = []
        for m in lay.members:
            if not (m.offset <= byte < m.end) or not (m.mask[byte - m.offset] & 1):
                continue
            if m.path in allowed:
                continue
            base = unqualified(m.field.member.type)
            if isinstance(base, Record):
                continue  # judged by its own members
            if isinstance(base, Array):
                elem = unqualified(base.elem)
                if isinstance(elem, Record):
                    offenders.append((m, "an array of records"))  # elements are not expanded
                    continue
                base = elem
            if isinstance(base, Pointer):
                odd = self._odd_pointer(lay, base, aligned_pointees)
                if odd is None:
                    continue
                offenders.append((m, odd))
                continue
            offenders.append((m, "not a pointer"))
        if offenders:
            names = ", ".join(f"{m.path} ({m.type}, offset {m.offset}, size {m.size}: {why})"
                              for m, why in offenders)
            raise _Fail(f"bit 0 of the {anchor_name} word (byte {byte}, "
                        f"{self.abi.endian} endian) is PageTail; it is shared with {names}, "
                        f"which can hold an odd value (only {anchor_name}, pointers to types "
                        f"aligned to 2 or more and members declared bit0_clear may)",
                        [m.path for m, _why in offenders])
        return [anchor_name]

    def _odd_pointer(self, lay: Layout, ptr: Pointer, aligned_pointees) -> Optional[str]:
        """None when a valid ``ptr`` value always has bit 0 clear on this ABI
        (its pointee is aligned to 2 or more), else why it may be odd.
        ``aligned_pointees`` names incomplete types declared 2-aligned."""
        target = unqualified(ptr.target)
        if isinstance(target, Function):
            return "a function pointer, odd for Thumb code on arm"
        if isinstance(target, Void):
            return "void * may point at any byte"
        if isinstance(target, (Record, Enum)) and not target.complete:
            if aligned_pointees & set(_pointee_names(ptr.target)):
                return None  # declared aligned to 2 or more where it is defined
            return ("points to an incomplete type, alignment unknown (declare it in "
                    "aligned_pointees if it is aligned to 2 or more)")
        # The full pointee type: an aligned typedef counts.
        align = lay.engine.layout(ptr.target).abi_align_bytes
        if align < 2:
            return f"its pointee is {align}-byte aligned on {self.abi.name}"
        return None


def _pointee_names(t) -> List[str]:
    """The names a pointee type goes by: each typedef on the way, then
    ``struct X``/``union X``/``enum X``."""
    from ..model import Aligned, Qualified, Typedef

    names = []
    while True:
        if isinstance(t, Typedef):
            names.append(t.name)
            t = t.target
        elif isinstance(t, (Qualified, Aligned)):
            t = t.base
        else:
            break
    if isinstance(t, Record) and t.tag:
        names.append(f"{t.kind} {t.tag}")
    elif isinstance(t, Enum) and t.tag:
        names.append(f"enum {t.tag}")
    return names


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
                              PASS if ok else FAIL, [], message, text))
    return results


def check_program(path: str, prog, ruleset: RuleSet, abis: Sequence[ABI],
                  config: Config) -> List[Result]:
    """Verdicts for one config, from a Program already read in that config."""
    results: List[Result] = []
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


def check_file(path: str, ruleset: RuleSet, abis: Sequence[ABI], configs: Sequence[Config],
               **program_kw) -> List[Result]:
    """All verdicts for one header: every config x ABI x rule, then one
    not-applied verdict for each rule that selects none of them."""
    results: List[Result] = []
    for config in configs:
        prog = ruleset.program(path, config, [a.name for a in abis], **program_kw)
        results.extend(check_program(path, prog, ruleset, abis, config))
    results.extend(unselected_rules(path, ruleset, abis, configs))
    return results


def _selector_text(rule: Rule) -> str:
    parts = []
    if rule.abis != "all":
        parts.append(f"abis = {rule.abis!r}")
    if rule.when:
        parts.append("when = {" + ", ".join(f"{k} = {str(v).lower()}"
                                             for k, v in rule.when.items()) + "}")
    return " and ".join(parts) or "its selectors"


def _never_why(rule: Rule, abis: Sequence[ABI], configs: Sequence[Config]) -> str:
    """Why a rule selects no ABI x config at all: a macro no config sets (or
    every config sets), an ABI-class macro the rule's ``abis`` exclude, or
    else the combination."""
    reasons = []
    selected = [a for a in abis if abi_ok(rule, a)]
    for macro, want in rule.when.items():
        anywhere = {rule.macro_set(macro, a, c) for a in abis for c in configs}
        if anywhere == {not want}:
            reasons.append(f"no config sets {macro}" if want else f"every config sets {macro}")
            continue
        there = {rule.macro_set(macro, a, c) for a in selected for c in configs}
        if there == {not want} and macro in rule.abi_defines:
            reasons.append(f"{macro} follows the ABI ([matrix.abi_defines] {macro} = "
                           f"{rule.abi_defines[macro]!r}) and is {'never' if want else 'always'} "
                           f"defined on the ABIs abis = {rule.abis!r} selects")
    if not selected:
        reasons.append(f"abis = {rule.abis!r} selects none of {', '.join(a.name for a in abis)}")
    if reasons:
        return "; ".join(reasons)
    return "they never hold together"


def abi_ok(rule: Rule, abi: ABI) -> bool:
    return abi_matches(rule.abis, abi)


def unselected_rules(path: str, ruleset: RuleSet, abis: Sequence[ABI],
                     configs: Sequence[Config]) -> List[Result]:
    """A not-applied verdict (ABI and config ``*``) for each rule whose
    ``abis``/``when`` select none of the ABIs and configs checked, so that
    it cannot vanish from the report.  The cause is ``never-selected`` when
    it selects nothing in the rules' whole matrix (every ABI, every config of
    the matrix and of this run) either, else ``not-selected``."""
    out: List[Result] = []
    every_abi = all_abis()
    every_config = list(ruleset.configs) + [c for c in configs if c not in ruleset.configs]
    for rule in ruleset.rules:
        if any(rule.applies(a, c) for a in abis for c in configs):
            continue
        cells = [(a, c) for a in every_abi for c in every_config if rule.applies(a, c)]
        selectors = _selector_text(rule)
        verb = "select" if " and " in selectors else "selects"
        if cells:
            a, c = cells[0]
            cause = "not-selected"
            text = (f"{selectors} {verb} none of the {len(abis)} ABIs x {len(configs)} configs "
                    f"checked (it applies on {len({x.name for x, _ in cells})} ABIs in "
                    f"{len({y.name for _, y in cells})} configs of the matrix, e.g. {a.name} "
                    f"in {c.name})")
        else:
            cause = "never-selected"
            text = (f"{selectors} {verb} no ABI and config of the matrix "
                    f"({len(every_abi)} ABIs x {len(every_config)} configs): "
                    f"{_never_why(rule, every_abi, every_config)}; the rule can never apply")
        members = [n for k in ("member", "members", "against", "word", "union_of", "struct_of")
                   for n in _names(rule.params.get(k))]
        out.append(Result(path, "*", "*", rule.name, rule.kind, NOT_APPLIED, members,
                          f"not applied: {text}", text, cause))
    return out


@dataclass
class FileVerdicts:
    """Every verdict for one header, and how its rules were found."""

    path: str
    discovery: object  # spec.Discovery, or None
    abis: List[ABI]
    configs: List[Config]
    n_rules: int
    results: List[Result]


@dataclass
class CheckReport:
    """``layoutcheck.check``: the verdicts of every header, ABI and config."""

    files: List[FileVerdicts]
    defines: Dict[str, str] = field(default_factory=dict)  # -D given for every config

    @property
    def results(self) -> List[Result]:
        return [r for f in self.files for r in f.results]

    def exit_status(self, strict: bool = False) -> int:
        """1 on a failure, a rule that can never apply, a refused rules
        file, or (strict) any not-applied verdict; else 0."""
        for r in self.results:
            if r.failed:
                return 1
            if r.not_applied and (strict or r.cause == "never-selected"):
                return 1
        if any(f.discovery is not None and f.discovery.refused for f in self.files):
            return 1
        return 0

    def to_json(self) -> dict:
        rules = []
        for f in self.files:
            entry = f.discovery.to_json() if f.discovery is not None else {"rules": None}
            entry["file"] = f.path
            rules.append(entry)
        return {"rules": rules, "results": [r.to_json() for r in self.results]}


def check_headers(paths: Sequence[str], options=None,
                  configs: Optional[Sequence[str]] = None) -> CheckReport:
    """Every rule of each header's rules (``options.rules``, else found by
    discovery), in every config of its matrix (or ``configs``), on every
    ABI of ``options``, plus the header's own ``_Static_assert``s."""
    from ..options import Options, ruleset_for, select_configs

    options = options or Options.make()
    abis = options.abi_objects()
    report = CheckReport([], dict(options.defines))
    for path in [paths] if isinstance(paths, str) else list(paths):
        ruleset = ruleset_for(path, options)
        if ruleset.discovery is not None:
            ruleset.discovery.header = path
        cfgs = select_configs(ruleset, configs)
        results = check_file(path, ruleset, abis, cfgs, defines=dict(options.defines),
                             undefs=options.undefs, include_dirs=options.include_dirs,
                             cpp=options.cpp, pp_abi=options.pp_abi)
        report.files.append(FileVerdicts(path, ruleset.discovery, abis, cfgs,
                                         len(ruleset.rules), results))
    return report
