"""Rule kinds: one class per ``kind``, holding all that kind knows.

A kind says which parameter keys it reads (``keys``), what a rule of the
kind must give (``complete``, with the ``needs`` hint of the error when it
does not), how its parameters are validated when the rules file is read
(``validate``: a ``LayoutError`` naming the file and the rule) and how a
rule is checked against one layout (``check``).  Defining a subclass with
a ``name`` registers it in ``REGISTRY``; ``spec`` (reading rules) and
``checks`` (evaluating them) know the kinds only through the registry.

``check(checker, lay, rule)`` returns the members its verdict names and
raises ``Fail`` (the rule does not hold) or ``NotApplied`` (nothing to
compare: the optional members are missing).  The ``RuleChecker`` it is
given knows the file, ABI and config, and looks members up the way every
kind must: ``checker.member`` (a missing member fails unless optional),
``checker.present``, ``checker.target`` (``member``/``union_of``/
``struct_of`` or the struct itself) and ``checker.bounds`` (``expect``,
``min``, ``max``, ``multiple_of``).

Adding a kind is one class here (or anywhere imported before the rules
are read), e.g. "the struct has at most ``at_most`` members"::

    class MaxMembers(RuleKind):
        \"\"\"``at_most``: the struct has at most that many members.\"\"\"

        name = "max-members"
        keys = ("at_most",)
        needs = "at_most = N"

        def complete(self, params):
            return "at_most" in params

        def validate(self, rule, label):
            super().validate(rule, label)  # the needs check
            n = rule.params["at_most"]
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise LayoutError(f"{label}: at_most = {n!r} is not a count")

        def check(self, checker, lay, rule):
            top = [m for m in lay.members if m.depth == 0]
            if len(top) > rule.params["at_most"]:
                raise Fail(f"{lay.kind} {lay.name} has {len(top)} members", [])
            return []

Keys several kinds share are described in ``NAME_KEYS`` and
``ONE_NAME_KEYS`` (their shape is checked for every kind).  A key of the
kind's own is checked by its ``validate``; if it names members, the kind
sets ``member_keys`` to include it, so that ``optional`` may list them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple

from ..errors import LayoutError
from ..model import Aligned, Array, Enum, Function, Pointer, Qualified, Record, Typedef, Void, \
    element_type, unqualified
from ..plain import replace
from .values import WORDS, listify, name_list, size_value

if TYPE_CHECKING:
    from ..layouts import Layout, MemberLayout
    from .checks import RuleChecker
    from .spec import Rule

# The bounds a measuring kind (offset, size, align) puts on its number.
BOUNDS = ("expect", "min", "max", "multiple_of")

# Keys that name things, and what: a string or a list of non-empty strings.
# The "members" ones are what a rule's ``optional`` may list.
NAME_KEYS = {"member": "members", "members": "members", "against": "members",
             "union_of": "members", "struct_of": "members", "word": "members",
             "bit0_clear": "members", "aligned_pointees": "types", "one_of": "members",
             "keep_offsets": "members"}

# Keys that name exactly one member (a string, not a list).
ONE_NAME_KEYS = ("member", "word", "union_of", "struct_of")


class Fail(Exception):
    """The rule does not hold: ``message`` says how, naming ``members``."""

    def __init__(self, message: str, members: Sequence[str]):
        self.message = message
        self.members = list(members)


class NotApplied(Exception):
    """The rule had nothing to compare: its optional members are missing."""

    def __init__(self, message: str, members: Sequence[str]):
        self.message = message
        self.members = list(members)


# --------------------------------------------------------------- registry
REGISTRY: Dict[str, "RuleKind"] = {}


def register(kind: "RuleKind") -> "RuleKind":
    """Make ``kind`` usable in rules files (done by defining the class)."""
    if kind.name in REGISTRY:
        raise ValueError(f"rule kind {kind.name!r} is defined twice")
    REGISTRY[kind.name] = kind
    return kind


def unregister(name: str) -> Optional["RuleKind"]:
    """Forget the kind ``name`` (for tests that define one); returns it."""
    return REGISTRY.pop(name, None)


def kind_of(name: Any) -> Optional["RuleKind"]:
    """The kind a rule's ``kind`` value names, or None."""
    return REGISTRY.get(name) if isinstance(name, str) else None


def kind_names() -> Tuple[str, ...]:
    """The kinds, in the order they were defined."""
    return tuple(REGISTRY)


def all_keys() -> set:
    """Every parameter key some kind reads."""
    return set().union(*(k.keys for k in REGISTRY.values()))


class RuleKind:
    """One kind of rule.  Subclasses set ``name``, ``keys`` and ``needs``
    and define ``check``; they extend ``complete`` and ``validate`` when
    their parameters need more than the shapes checked here."""

    name: ClassVar[str] = ""  # the value of ``kind`` in a rules file
    keys: ClassVar[Tuple[str, ...]] = ()  # the parameter keys it reads
    needs: ClassVar[str] = ""  # what it requires, for "a KIND rule needs ..."

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A class naming a kind is one; a helper base (no name of its own) is not.
        if "name" in cls.__dict__:
            register(cls())

    # ------------------------------------------------------------ keys
    @property
    def member_keys(self) -> Tuple[str, ...]:
        """The keys naming members: what ``optional`` may list."""
        return tuple(k for k, what in NAME_KEYS.items() if what == "members" and k in self.keys)

    @property
    def subject_keys(self) -> Tuple[str, ...]:
        """The keys naming the members a verdict is about."""
        return self.member_keys

    def subjects(self, params: Mapping[str, Any]) -> List[str]:
        """The members a verdict names without a layout to look at."""
        return [n for k in self.subject_keys for n in listify(params.get(k))]

    def default_name(self, params: Mapping[str, Any]) -> str:
        """The rule's name when it gives none: kind and members."""
        members = listify(params.get("member")) + listify(params.get("members"))
        return f"{self.name}:{','.join(members or [params.get('union_of', '') or 'struct'])}"

    # ------------------------------------------------------ validation
    def check_params(self, params: Mapping[str, Any], label: str) -> None:
        """Before the rule is named: it carries no key the kind would
        ignore, and its name keys hold names."""
        foreign = set(params) - set(self.keys)
        if foreign:
            raise LayoutError(f"{label}: {sorted(foreign)} mean nothing to a {self.name} rule, "
                              f"which would ignore them (it reads {', '.join(sorted(self.keys))})")
        for key, what in NAME_KEYS.items():
            if key in params:
                name_list(params[key], key, label, what)
        for key in ONE_NAME_KEYS:
            if key in params and not isinstance(params[key], str):
                raise LayoutError(f"{label}: '{key}' names one member (a string), "
                                  f"got {params[key]!r}")

    def complete(self, params: Mapping[str, Any]) -> bool:
        """Whether the rule gives what the kind needs to check anything."""
        return True

    def validate(self, rule: "Rule", label: str) -> None:
        """A LayoutError unless the rule's parameters can be checked."""
        if not self.complete(rule.params):
            raise LayoutError(f"{label}: a {self.name} rule needs {self.needs}")

    # ----------------------------------------------------------- check
    def check(self, checker: "RuleChecker", lay: "Layout", rule: "Rule") -> List[str]:
        """The members the verdict names; raises Fail or NotApplied."""
        raise NotImplementedError(f"rule kind {self.name!r} has no check")


# ----------------------------------------------------------------- helpers
def span(m: "MemberLayout") -> str:
    """Where a member lies, for a message."""
    if m.is_bitfield:
        return f"{m.path} (offset {m.offset}, bits {m.mask_hex})"
    return f"{m.path} (offset {m.offset}, size {m.size})"


def type_align(lay: "Layout", t) -> int:
    """The C11 alignment of type ``t`` on the layout's ABI."""
    return lay.engine.layout(t).abi_align_bytes


def natural_align(lay: "Layout", t, known: Dict[int, int], depth: int = 0) -> int:
    """The alignment ``t`` needs with nothing packed: a scalar's own (an
    aligned variant's included); a struct's, union's or array's, that of
    what it holds, as GCC would align it unpacked: a bit-field's type
    counts only where PCC_BITFIELD_TYPE_MATTERS (not m68k), and an unnamed
    one only where the ABI aligns to those too (arm, aarch64).  ``known``:
    the answers so far for the layout's engine (keyed by the type's id,
    which the engine holds)."""
    found = known.get(id(t))
    if found is not None:
        return found
    own = type_align(lay, t)  # (the engine holds the type: its id stays its own)
    core = element_type(t)
    if isinstance(core, Record) and core.members and depth < 64:
        abi = lay.engine.abi
        for m in core.members:
            if m.is_bitfield:
                if abi.pcc_bitfield_type_matters and (m.name is not None or abi.align_anon_bitfield):
                    own = max(own, type_align(lay, m.type))
            else:
                own = max(own, natural_align(lay, m.type, known, depth + 1))
    known[id(t)] = own
    return own


def _excess_unit_span(lay: "Layout", m: "MemberLayout") -> str:
    """Why bit-field ``m`` sits where GCC would not put it unpacked (its
    excess_unit_span: more units of its type's field alignment spanned
    than the type itself spans), or ''.  Only where the type matters
    (PCC_BITFIELD_TYPE_MATTERS: not m68k, whose bit-fields straddle)."""
    if not m.bit_size or not lay.engine.abi.pcc_bitfield_type_matters:
        return ""
    info = lay.engine.layout(m.field.member.type)
    align = info.preferred_align_bytes
    if info.field_align_cap_bytes and not info.user_align:  # ADJUST_FIELD_ALIGN (i386)
        align = min(align, info.field_align_cap_bytes)
    unit = align * 8
    if not unit or not info.size_bits:
        return ""
    spanned = (m.bit_offset + m.bit_size - 1) // unit - m.bit_offset // unit + 1
    if spanned <= info.size_bits // unit:
        return ""
    return (f"bits {m.bit_offset}-{m.bit_offset + m.bit_size - 1} span {spanned} units of "
            f"{unit} bits, more than its type does")


def _array_stride(lay: "Layout", t, known: Dict[int, int]) -> Optional[Tuple[int, int]]:
    """(element size, the alignment its elements need) of an array type
    with more than one element, else None."""
    core = unqualified(t)
    if not isinstance(core, Array) or core.dim is None:
        return None
    if lay.engine.ev.integer(core.dim) < 2:
        return None
    return lay.engine.sizeof(core.elem), natural_align(lay, core.elem, known)


def _inside_elements(lay: "Layout", t, known: Dict[int, int]) -> str:
    """Why the members of an array's struct or union elements (which the
    member list does not expand) sit below their alignment inside each
    element, or ''; an element placed right is then right everywhere."""
    if not isinstance(unqualified(t), Array):
        return ""
    core = element_type(t)
    if not (isinstance(core, Record) and core.members):
        return ""
    bad = _misplaced_within(lay, core, known, "[]", 0)
    return ", ".join(f"element member {path} ({why})" for path, why in bad)


def _inside_record(lay: "Layout", t, known: Dict[int, int]) -> str:
    """Why the members of a struct or union member (not an array) sit
    below their alignment inside it, or ''."""
    core = unqualified(t)
    if not (isinstance(core, Record) and core.members):
        return ""
    bad = _misplaced_within(lay, core, known, "", 0)
    return ", ".join(f"member {path.lstrip('.')} ({why.replace(' in the element', '')})"
                     for path, why in bad)


def _misplaced_within(lay: "Layout", rec, known: Dict[int, int], prefix: str,
                      depth: int) -> List[Tuple[str, str]]:
    """(path, why) of the members of ``rec``, nested ones too, that sit
    below their natural alignment from the record's start."""
    out: List[Tuple[str, str]] = []
    if depth > 64:
        return out
    for f in lay.engine.placed_record(rec).fields:
        path = f"{prefix}.{f.name}" if f.name else prefix
        if f.is_bitfield:
            continue  # (a bit-field's unit: _excess_unit_span, for listed members)
        align = natural_align(lay, f.member.type, known)
        if (f.bit_offset // 8) % align or f.bit_offset % 8:
            out.append((path, f"offset {f.bit_offset // 8} in the element needs alignment {align}"))
        core = element_type(f.member.type)
        if isinstance(core, Record) and core.members:
            for sub, why in _misplaced_within(lay, core, known, path, depth + 1):
                out.append((sub, why))
    return out


def rule_without(rule: "Rule", key: str) -> "Rule":
    """The rule with one parameter dropped (to reuse a target lookup)."""
    params = {k: v for k, v in rule.params.items() if k != key}
    return replace(rule, params=params)


def one_target(params: Mapping[str, Any], label: str) -> None:
    """One thing to measure: a rule with member and union_of would read
    one and ignore the other."""
    anchors = [k for k in ("union_of", "struct_of") if k in params]
    if len(anchors) > 1 or (anchors and ("member" in params or "members" in params)):
        raise LayoutError(f"{label}: give one of member/members, union_of, struct_of "
                          f"(the rule would read one and ignore the rest)")


class Measure(RuleKind):
    """A kind that measures a number and bounds it with ``expect``,
    ``min``, ``max`` and ``multiple_of`` (sizes: a number or "N*word")."""

    needs = "expect, min, max or multiple_of"

    def complete(self, params: Mapping[str, Any]) -> bool:
        return any(k in params for k in BOUNDS)

    def validate_bounds(self, params: Mapping[str, Any], label: str) -> None:
        """Each bound is a size on every word, and together they let
        something pass."""
        for key in BOUNDS:
            if key in params:
                self._size_spec(params[key], key, label)
        for word in WORDS:
            val = {k: size_value(params[k], word, label) for k in ("expect", "min", "max")
                   if k in params}
            if "min" in val and "max" in val and val["min"] > val["max"]:
                raise LayoutError(f"{label}: min {params['min']!r} is above max "
                                  f"{params['max']!r}: nothing can pass")
            if "expect" in val and not val.get("min", val["expect"]) <= val["expect"] <= \
                    val.get("max", val["expect"]):
                raise LayoutError(f"{label}: expect {params['expect']!r} is outside min/max: "
                                  f"nothing can pass")

    def _size_spec(self, spec: Any, key: str, label: str) -> None:
        """A LayoutError unless ``spec`` is a size this key can hold."""
        if isinstance(spec, bool) or not isinstance(spec, (int, str)):
            raise LayoutError(f"{label}: {key} = {spec!r} is not a size (use a number or 'N*word')")
        for word in WORDS:
            self.bound_value(key, spec, size_value(spec, word, label), label)

    def bound_value(self, key: str, spec: Any, value: int, label: str) -> None:
        """A LayoutError unless ``value`` (``spec`` on one word) can bound
        what the kind measures."""
        if value < 0:
            raise LayoutError(f"{label}: {key} = {spec!r} is negative")
        if key == "multiple_of" and value == 0:
            raise LayoutError(f"{label}: multiple_of = {spec!r} is zero (every offset would "
                              f"divide by it); use a positive size")


# ------------------------------------------------------------------ kinds
class Offset(Measure):
    """``member`` (or ``union_of``/``struct_of``: the innermost union/struct
    holding that member) with ``expect``/``min``/``max``/``multiple_of``;
    or ``members`` + ``union_of``/``struct_of`` + ``within = [first, end]``:
    the members stay in words first..end-1 of it."""

    name = "offset"
    keys = ("member", "members", "union_of", "struct_of", "within") + BOUNDS
    needs = ("member (or union_of) and one of expect/multiple_of/min/max, "
             "or members, union_of and within = [first_word, end_word]")

    def complete(self, params: Mapping[str, Any]) -> bool:
        p = params
        anchor = p.get("union_of") or p.get("struct_of")
        bounded = super().complete(p)
        at = (p.get("member") or anchor) and bounded and "members" not in p and "within" not in p
        within = "within" in p and anchor and (p.get("members") or p.get("member")) and not bounded
        return bool(at or within)

    def validate(self, rule: "Rule", label: str) -> None:
        super().validate(rule, label)
        p = rule.params
        if "within" not in p:
            one_target(p, label)
        else:
            within = p["within"]
            if (not isinstance(within, list) or len(within) != 2
                    or not all(isinstance(w, int) and not isinstance(w, bool) for w in within)
                    or not 0 <= within[0] < within[1]):
                raise LayoutError(f"{label}: within = {within!r} must be [first_word, end_word] "
                                  f"with 0 <= first < end")
            if len([k for k in ("union_of", "struct_of") if k in p]) != 1:
                raise LayoutError(f"{label}: within needs exactly one of union_of, struct_of")
        self.validate_bounds(p, label)

    def check(self, checker: "RuleChecker", lay: "Layout", rule: "Rule") -> List[str]:
        p = rule.params
        if "within" in p:
            return self._within(checker, lay, rule)
        label, off, _size = checker.target(lay, rule)
        members = [p["member"]] if p.get("member") else []
        checker.bounds(rule, label, off, "offset", members)
        return members

    @staticmethod
    def _within(checker: "RuleChecker", lay: "Layout", rule: "Rule") -> List[str]:
        """Members stay within words [first, end) of the union holding an anchor."""
        p = rule.params
        names = listify(p.get("member")) + listify(p.get("members"))
        label, base, _size = checker.target(lay, rule_without(rule, "member"))
        first, end = p["within"]
        lo = base + first * checker.word
        hi = base + end * checker.word
        outside = []
        for _n, m in checker.present(lay, names, rule, "nothing to place"):
            if m.offset < lo or m.end > hi:
                outside.append(m)
        if outside:
            text = ", ".join(span(m) for m in outside)
            raise Fail(f"{text} leave words {first}..{end - 1} of {label} (bytes {lo}..{hi - 1})",
                       [m.path for m in outside])
        return names


class Size(Measure):
    """The struct's size, or ``member``'s, each of ``members``' (e.g.
    ``members = ["flags", "index"]``, ``expect = "word"``: each is one word
    wide), or that of ``union_of``/``struct_of``."""

    name = "size"
    keys = ("member", "members", "union_of", "struct_of") + BOUNDS

    def validate(self, rule: "Rule", label: str) -> None:
        super().validate(rule, label)
        one_target(rule.params, label)
        self.validate_bounds(rule.params, label)

    def check(self, checker: "RuleChecker", lay: "Layout", rule: "Rule") -> List[str]:
        p = rule.params
        names = listify(p.get("member")) + listify(p.get("members"))
        if names and not (p.get("union_of") or p.get("struct_of")):
            # Each member on its own: "flags and index are each one word".
            for name, m in checker.present(lay, names, rule, "nothing to measure"):
                checker.bounds(rule, f"{name} ({m.type})", m.size, "size", [name])
            return names
        label, _off, size = checker.target(lay, rule)
        checker.bounds(rule, label, size, "size", [])
        return []


class Align(Measure):
    """The struct's C11 alignment, or ``member``'s own: what GCC's
    ``__alignof__`` of the member gives (its type's, raised by ``aligned``,
    lowered by ``packed`` and ``#pragma pack``).  With a ``when``
    this states what a config promises (``expect = "2*word"`` under
    ``CONFIG_HAVE_ALIGNED_STRUCT_PAGE``)."""

    name = "align"
    keys = ("member",) + BOUNDS

    def validate(self, rule: "Rule", label: str) -> None:
        super().validate(rule, label)
        self.validate_bounds(rule.params, label)

    def bound_value(self, key: str, spec: Any, value: int, label: str) -> None:
        super().bound_value(key, spec, value, label)
        if key in ("expect", "multiple_of") and value & (value - 1):
            raise LayoutError(f"{label}: {key} = {spec!r} is not a power of 2, and no "
                              f"alignment is")
        if key == "expect" and value == 0:
            raise LayoutError(f"{label}: expect = {spec!r}: no alignment is 0")

    def check(self, checker: "RuleChecker", lay: "Layout", rule: "Rule") -> List[str]:
        p = rule.params
        if p.get("member"):
            m = checker.member(lay, p["member"], rule)
            if m is None:
                raise NotApplied(checker.missing_text(lay, [p["member"]]), [p["member"]])
            if m.field.is_bitfield:  # GCC refuses __alignof__ of one too
                raise Fail(f"{p['member']} is a bit-field, which has no alignment of its own",
                           [p["member"]])
            align = m.field.align_bits // 8  # DECL_ALIGN_UNIT: a packed member's is 1
            label, members = p["member"], [p["member"]]
        else:
            align, label, members = lay.align, f"{lay.kind} {lay.name}", []
        checker.bounds(rule, label, align, "alignment", members)
        return members


class Alias(RuleKind):
    """``members`` occupy the same bytes and bits."""

    name = "alias"
    keys = ("members",)
    needs = "members = [A, B, ...]"

    def complete(self, params: Mapping[str, Any]) -> bool:
        return len(listify(params.get("members"))) >= 2

    def check(self, checker: "RuleChecker", lay: "Layout", rule: "Rule") -> List[str]:
        names = listify(rule.params["members"])
        present = checker.present(lay, names, rule, "nothing to compare")
        if len(present) < 2:
            missing = [n for n in names if n not in dict(present)]
            raise NotApplied(f"only {present[0][0]} of {', '.join(names)} exists in "
                             f"{lay.kind} {lay.name} ({', '.join(missing)}: optional, missing): "
                             f"nothing to compare it with", names)
        first_name, first = present[0]
        for name, m in present[1:]:
            if (m.offset, m.size, m.mask) != (first.offset, first.size, first.mask):
                raise Fail(f"{first_name} does not alias {name}: {span(first)}, {span(m)}",
                           [first_name, name])
        return names


class Disjoint(RuleKind):
    """No bit of ``members`` is shared with ``against``."""

    name = "disjoint"
    keys = ("members", "against")
    needs = "members = [...] and against = [...]"

    def complete(self, params: Mapping[str, Any]) -> bool:
        return bool(listify(params.get("members")) and listify(params.get("against")))

    def check(self, checker: "RuleChecker", lay: "Layout", rule: "Rule") -> List[str]:
        left = checker.present(lay, listify(rule.params["members"]), rule, "nothing to compare")
        right = checker.present(lay, listify(rule.params["against"]), rule, "nothing to compare")
        clashes = []
        for _ln, lm in left:
            for _rn, rm in right:
                if lm.overlaps(rm):
                    clashes.append((lm, rm))
        if clashes:
            text = "; ".join(f"{a.path} (offset {a.offset}, size {a.size}) overlaps {b.path} "
                             f"(offset {b.offset}, size {b.size})" for a, b in clashes)
            names: List[str] = []
            for a, b in clashes:
                for n in (a.path, b.path):
                    if n not in names:
                        names.append(n)
            raise Fail(text, names)
        return listify(rule.params["members"]) + listify(rule.params["against"])


class TailBit(RuleKind):
    """Bit 0 of ``word``'s value (PageTail) may be shared only with
    ``word`` itself, with members listed in ``bit0_clear``, and with
    pointers to types aligned to 2 or more on that ABI.  ``void *``,
    ``char *``, function pointers (odd in Thumb code on arm) and pointers
    to incomplete types may hold an odd value: they must be declared, by
    member (``bit0_clear``) or, for an incomplete pointee, by type
    (``aligned_pointees = ["struct dev_pagemap"]``: the type is aligned to
    2 or more where it is defined; a member retyped to ``char *`` still
    fails)."""

    name = "tail-bit"
    keys = ("word", "bit0_clear", "aligned_pointees")
    needs = "word = the member whose word holds PageTail (compound_head)"
    # bit0_clear lists exemptions: a verdict is about the word.
    subject_keys = ("word",)

    def complete(self, params: Mapping[str, Any]) -> bool:
        return bool(params.get("word"))

    def check(self, checker: "RuleChecker", lay: "Layout", rule: "Rule") -> List[str]:
        p = rule.params
        anchor_name = p["word"]
        anchor = checker.member(lay, anchor_name, rule)
        if anchor is None:
            raise NotApplied(checker.missing_text(lay, [anchor_name], "no PageTail word"),
                             [anchor_name])
        word = checker.word
        if anchor.size != word:
            raise Fail(f"{anchor_name} is {anchor.size} bytes, not a word "
                       f"({word})", [anchor_name])
        # Bit 0 of the word's value: the first byte on little endian, the
        # last on big endian.
        byte = anchor.offset + (word - 1 if checker.abi.big_endian else 0)
        allowed = set(listify(p.get("bit0_clear"))) | {anchor_name}
        aligned_pointees = set(listify(p.get("aligned_pointees")))
        for name in listify(p.get("bit0_clear")):
            checker.member(lay, name, rule)  # a declared member must exist
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
                elem = element_type(base)  # int *a[2][2]: its elements
                if isinstance(elem, Record):
                    offenders.append((m, "an array of records"))  # elements are not expanded
                    continue
                base = elem
            if isinstance(base, Pointer):
                # A pointer's alignment keeps bit 0 of its own value clear:
                # that bit must be PageTail, not another bit of its value
                # (a pointer packed across the word's first byte)
                size = lay.engine.sizeof(base)
                low = size - 1 if checker.abi.big_endian else 0
                if (byte - m.offset) % size != low:
                    offenders.append((m, "a pointer whose bit 0 is not the word's bit 0: another "
                                         "bit of its value falls on PageTail"))
                    continue
                odd = self._odd_pointer(checker, lay, base, aligned_pointees)
                if odd is None:
                    continue
                offenders.append((m, odd))
                continue
            offenders.append((m, "not a pointer"))
        if offenders:
            names = ", ".join(f"{m.path} ({m.type}, offset {m.offset}, size {m.size}: {why})"
                              for m, why in offenders)
            raise Fail(f"bit 0 of the {anchor_name} word (byte {byte}, "
                       f"{checker.abi.endian} endian) is PageTail; it is shared with {names}, "
                       f"which can hold an odd value (only {anchor_name}, pointers to types "
                       f"aligned to 2 or more and members declared bit0_clear may)",
                       [m.path for m, _why in offenders])
        return [anchor_name]

    @staticmethod
    def _odd_pointer(checker: "RuleChecker", lay: "Layout", ptr: Pointer,
                     aligned_pointees) -> Optional[str]:
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
        align = type_align(lay, ptr.target)
        if align < 2:
            return f"its pointee is {align}-byte aligned on {checker.abi.name}"
        return None


def _pointee_names(t) -> List[str]:
    """The names a pointee type goes by: each typedef on the way, then
    ``struct X``/``union X``/``enum X``."""
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


class Adjacent(RuleKind):
    """``members`` follow each other in the order listed, each starting
    where the previous ends (a pair updated as one double word).  An
    optional member that is missing leaves the chain: its neighbours must
    follow each other."""

    name = "adjacent"
    keys = ("members",)
    needs = "members = [FIRST, SECOND, ...]"

    def complete(self, params: Mapping[str, Any]) -> bool:
        return len(listify(params.get("members"))) >= 2

    def check(self, checker: "RuleChecker", lay: "Layout", rule: "Rule") -> List[str]:
        """Each listed member starts exactly where the one before it ends."""
        names = listify(rule.params["members"])
        # an optional member that is missing leaves the chain: the members
        # on either side of it must then follow each other
        found = [(n, m) for n, m in ((n, checker.member(lay, n, rule)) for n in names) if m is not None]
        pairs = list(zip(found, found[1:], strict=False))
        if not pairs:
            raise NotApplied(f"fewer than two of {', '.join(names)} exist in "
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
            raise Fail(f"{bn} must start where {an} ends: {span(a)}, {span(b)}; {how}",
                       [an, bn])
        return names


class Natural(RuleKind):
    """Every member (or each of ``members``) sits at a multiple of its
    type's alignment, and the struct is at least as aligned as its most
    aligned member: no packing (``#pragma pack``, ``packed``) anywhere."""

    name = "natural"
    keys = ("members",)

    def check(self, checker: "RuleChecker", lay: "Layout", rule: "Rule") -> List[str]:
        """No member below its type's alignment, no struct below its members'."""
        names = listify(rule.params.get("members"))
        if names:
            members = [m for _n, m in checker.present(lay, names, rule, "nothing to check")]
        else:
            members = list(lay.members)
        # natural_align's answers, kept for the config's other checks of this engine
        known = checker._seen.setdefault(("natural", id(lay.engine)), {})
        misplaced = []
        most, most_by = 1, None
        abi = lay.engine.abi
        for m in members:
            t = m.field.member.type
            if m.is_bitfield:
                excess = _excess_unit_span(lay, m)
                if excess:
                    misplaced.append((m, excess))
                # its type aligns the struct where it would unpacked (as
                # natural_align counts it): a packed struct of bit-fields
                # is below it
                if abi.pcc_bitfield_type_matters and (m.field.member.name is not None
                                                      or abi.align_anon_bitfield):
                    align = type_align(lay, t)
                    if align > most:
                        most, most_by = align, m
                continue
            align = natural_align(lay, t, known)
            if align > most:
                most, most_by = align, m
            if m.offset % align:
                misplaced.append((m, f"offset {m.offset} needs alignment {align}"))
            stride = _array_stride(lay, t, known)
            if stride is not None and stride[0] % stride[1]:
                misplaced.append((m, f"elements of {stride[0]} bytes misalign the later ones, "
                                     f"which need alignment {stride[1]}"))
            inside = _inside_elements(lay, t, known)
            if names and not inside:
                # a named struct or union member: what it holds too (the
                # whole list, without names, lists its members already)
                inside = _inside_record(lay, t, known)
            if inside:
                misplaced.append((m, inside))
        if misplaced:
            text = ", ".join(f"{m.path} ({m.type}): {why}" for m, why in misplaced)
            raise Fail(f"members sit below their types' alignment (a packed struct?): {text}",
                       [m.path for m, _why in misplaced])
        if lay.align < most:
            raise Fail(f"{lay.kind} {lay.name} has alignment {lay.align}, below the "
                       f"{most} its member {most_by.path} ({most_by.type}) needs (a packed "
                       f"struct?): arrays and members of it misalign {most_by.path}",
                       [most_by.path])
        return names


class Overlays(RuleKind):
    """Each of ``members`` lies within one of ``one_of`` (a pad it may
    reuse): every bit it owns is a bit of that one member."""

    name = "overlays"
    keys = ("members", "one_of")
    needs = "members = [...] and one_of = [...]"

    def complete(self, params: Mapping[str, Any]) -> bool:
        return bool(listify(params.get("members")) and listify(params.get("one_of")))

    def check(self, checker: "RuleChecker", lay: "Layout", rule: "Rule") -> List[str]:
        members = checker.present(lay, listify(rule.params["members"]), rule, "nothing to place")
        # a host the struct lacks fails, as any member a rule names does,
        # unless optional (a misspelt or renamed pad is not passed over)
        hosts = [(n, m) for n, m in ((n, checker.member(lay, n, rule))
                                     for n in listify(rule.params["one_of"]))
                 if m is not None]
        for name, m in members:
            if any(_within(m, h) for _hn, h in hosts):
                continue
            others = [x.path for x in lay.members
                      if x.path != m.path and not x.path.startswith(m.path + ".")
                      and not m.path.startswith(x.path + ".") and x.overlaps(m) and m.overlaps(x)]
            leaves = [p for p in others if not any(q.startswith(p + ".") for q in others)]
            pads = ", ".join(n for n, _h in hosts) or "none of them exists"
            raise Fail(f"{span(m)} lies on {', '.join(leaves) or 'no other member'}, not within "
                       f"one of {', '.join(listify(rule.params['one_of']))} ({pads})", [name])
        return [n for n, _m in members]


def _within(m: "MemberLayout", host: "MemberLayout") -> bool:
    """Every bit ``m`` owns is one of ``host``'s."""
    if m.offset < host.offset or m.end > host.end:
        return False
    for i, b in enumerate(m.mask):
        if b & ~host.mask[m.offset - host.offset + i] & 0xFF:
            return False
    return True


class NoGrowth(RuleKind):
    """Against ``baseline`` (a header, relative to the rules file), read in
    the same config for the same ABI: the struct is no larger, and each of
    ``keep_offsets`` keeps its offset and size (a bit-field, its bits).  A proposal is judged by
    what it changes."""

    name = "no-growth"
    keys = ("baseline", "keep_offsets")
    needs = 'baseline = "the header it is compared with"'
    subject_keys = ("keep_offsets",)

    def complete(self, params: Mapping[str, Any]) -> bool:
        return isinstance(params.get("baseline"), str) and bool(params["baseline"])

    def default_name(self, params: Mapping[str, Any]) -> str:
        return f"no-growth:{params.get('baseline', '')}"

    def check(self, checker: "RuleChecker", lay: "Layout", rule: "Rule") -> List[str]:

        path = _baseline_path(rule)
        exists, itself = checker.baseline_file(path)
        if not exists:  # a verdict, not silence: the rule cannot be judged
            raise Fail(f"baseline {rule.params['baseline']}: no file {path}", [])
        if itself:
            return listify(rule.params.get("keep_offsets"))  # the baseline itself
        # the struct the rule names (a typedef's struct may have another tag there)
        named = rule.struct or lay.name
        base = checker.baseline_layout(path, named, rule)
        label = rule.params["baseline"]
        if base is None:  # a verdict, as for a missing file: the rule cannot be judged
            what = f"{lay.kind} {lay.name}" if named == lay.name else named
            raise Fail(f"{label} has no {what} to compare with (in this config, "
                       f"on this ABI); select where it has one with 'when' or 'abis'", [])
        problems = []
        if lay.size > base.size:
            problems.append(f"{lay.kind} {lay.name} is {lay.size} bytes, {lay.size - base.size} more "
                            f"than in {label} ({base.size})")
        names = listify(rule.params.get("keep_offsets"))
        for name in names:
            m, b = lay.get(name), base.get(name)
            if b is None:
                raise Fail(f"{label} has no member '{name}' to compare", [name])
            if m is None:
                if name in rule.optional:
                    continue
                raise Fail(f"{lay.kind} {lay.name} has no member '{name}' (it is in {label})", [name])
            if (m.offset, m.size, m.mask) != (b.offset, b.size, b.mask):
                # the bits too: a bit-field moved within its bytes has moved
                bits = m.mask != b.mask
                problems.append(f"{name} is at {_at(m, bits)}, in {label} at {_at(b, bits)}")
        if problems:
            raise Fail("; ".join(problems), names)
        return names


def _at(m: "MemberLayout", bits: bool) -> str:
    """Where a member is: its bytes, and its bits if asked."""
    return f"offset {m.offset} size {m.size}" + (f" bits {m.mask_hex}" if bits else "")


def _baseline_path(rule: "Rule") -> str:
    import os

    base = os.path.dirname(os.path.abspath(rule.path)) if rule.path else os.getcwd()
    return os.path.normpath(os.path.join(base, rule.params["baseline"]))
