"""What a change does to a layout, on every ABI and config.

``diff_layouts`` compares one struct's old and new layout on one ABI and
config; ``diff_headers`` (``layoutcheck.diff``) does that for every struct,
ABI and config of two headers (paths or ``REV:path``), with the rules and
the headers' own ``_Static_assert``s judged on both sides, and groups
identical changes so that a change common to many ABI/config pairs is said
once, with where it holds.

Change kinds: size, align, added, removed, offset (a member moved; its type
or size changes are said with it), bits (size, mask or type at the same
place), overlap (what a member now shares bits with), rule (a verdict that
flipped), static-assert (one of the header's own asserts flipped).
"""

from __future__ import annotations

import json
import os
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .errors import LayoutError
from .layouts import Layout, MemberLayout
from .model import Array, Record, element_type, unqualified
from .plain import FRESH, PlainEq, replace

KIND_ORDER = ("size", "align", "added", "removed", "offset", "bits", "overlap", "rule",
              "static-assert")


class Change(PlainEq):
    struct: str
    kind: str
    member: str
    before: object
    after: object
    message: str

    _fields = ("struct", "kind", "member", "before", "after", "message")

    def __init__(self, struct: str, kind: str, member: str, before: object, after: object, message: str) -> None:
        self.struct = struct
        self.kind = kind
        self.member = member
        self.before = before
        self.after = after
        self.message = message

    def key(self) -> tuple:
        return (self.struct, self.kind, self.member, json.dumps(self.before, sort_keys=True),
                json.dumps(self.after, sort_keys=True), self.message)


class GroupedChange(PlainEq):
    """One change and every (ABI, config) pair it holds on."""

    change: Change
    where: List[Tuple[str, str]]

    _fields = ("change", "where")

    def __init__(self, change: Change, where: List[Tuple[str, str]] = FRESH) -> None:
        self.change = change
        self.where = [] if where is FRESH else where

    def blocks(self, abi_order: Sequence[str], config_order: Sequence[str]) -> List[Tuple[List[str], List[str]]]:
        """The pairs as (ABIs, configs) products: ABIs that share a config
        set are said together."""
        by_abi: Dict[str, List[str]] = {}
        for abi, cfg in self.where:
            by_abi.setdefault(abi, []).append(cfg)
        groups: Dict[tuple, List[str]] = {}
        for abi in abi_order:
            if abi in by_abi:
                cfgs = tuple(c for c in config_order if c in by_abi[abi])
                groups.setdefault(cfgs, []).append(abi)
        return [(abis, list(cfgs)) for cfgs, abis in groups.items()]


def _leaves(lay: Layout) -> List[MemberLayout]:
    """The members no other member lies inside (no path goes on from
    theirs past a '.'), in declaration order."""
    inner = set()  # every path some other path goes on from
    for m in lay.members:
        path = m.path
        dot = path.find(".")
        while dot >= 0:
            inner.add(path[:dot])
            dot = path.find(".", dot + 1)
    return [m for m in lay.members if m.path not in inner]


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def overlaps_of(lay: Layout, member: MemberLayout, leaves: List[MemberLayout]) -> List[str]:
    """Leaf members (declaration order) sharing bits with ``member``."""
    return [n.path for n in leaves
            if not _related(n.path, member.path) and n.overlaps(member) and member.overlaps(n)]


def _where_text(m: MemberLayout) -> str:
    if m.is_bitfield:
        return f"offset {m.offset} bits {m.mask_hex}"
    return f"offset {m.offset} size {m.size}"


def _state(m: MemberLayout) -> dict:
    return {"offset": m.offset, "size": m.size, "mask": m.mask_hex, "type": m.type}


def _ancestor_in(path: str, paths) -> bool:
    parts = path.split(".")
    return any(".".join(parts[:i]) in paths for i in range(1, len(parts)))


def diff_layouts(old: Optional[Layout], new: Optional[Layout], struct: str) -> List[Change]:
    """Changes from ``old`` to ``new`` (either may be None: struct added/removed)."""
    if old is None and new is None:
        return []
    if old is None:
        return [Change(struct, "added", "", None, {"size": new.size, "align": new.align},
                       f"{struct} added (size {new.size})")]
    if new is None:
        return [Change(struct, "removed", "", {"size": old.size, "align": old.align}, None,
                       f"{struct} removed (was size {old.size})")]
    out: List[Change] = []
    if old.size != new.size:
        out.append(Change(struct, "size", "", old.size, new.size, f"size {old.size} -> {new.size}"))
    if old.align != new.align:
        out.append(Change(struct, "align", "", old.align, new.align,
                          f"alignment {old.align} -> {new.align}"))
    out += _added_and_removed(old, new, struct)
    out += _member_changes(old, new, struct)
    out += _element_changes(old, new, struct)
    return out


def _anonymous_element(lay: Layout, m: MemberLayout) -> Optional[Layout]:
    """The layout of the elements of array member ``m`` when they are an
    untagged struct or union (the member list does not go into array
    elements, and such an element has no layout of its own to compare)."""
    if not isinstance(unqualified(m.field.member.type), Array):
        return None
    core = element_type(m.field.member.type)
    if not isinstance(core, Record) or core.tag is not None or not core.complete:
        return None
    return Layout(core, lay.engine, lay.defines, lay.source)


def _element_changes(old: Layout, new: Layout, struct: str) -> List[Change]:
    """Changes inside the untagged elements of array members both sides
    have, said on the array member (path 'arr[].x')."""
    new_by = {m.path: m for m in new.members}
    out = []
    for m in old.members:
        n = new_by.get(m.path)
        if n is None or m.is_bitfield:
            continue
        before, after = _anonymous_element(old, m), _anonymous_element(new, n)
        if before is None or after is None:
            continue
        for ch in diff_layouts(before, after, struct):
            path = f"{m.path}[]" + (f".{ch.member}" if ch.member else "")
            out.append(Change(struct, ch.kind, path, ch.before, ch.after,
                              f"{m.path}[] (each element): {ch.message}"))
    return out


def _added_and_removed(old: Layout, new: Layout, struct: str) -> List[Change]:
    """Members only one side has (a member of an added struct member is
    said with it, not again)."""
    old_by = {m.path: m for m in old.members}
    new_by = {m.path: m for m in new.members}
    added = {m.path for m in new.members if m.path not in old_by}
    removed = {m.path for m in old.members if m.path not in new_by}
    new_leaves = _leaves(new)
    out = []
    for m in new.members:
        if m.path in added and not _ancestor_in(m.path, added):
            over = overlaps_of(new, m, new_leaves)
            note = f" over {over[0]}" if over else ""
            out.append(Change(struct, "added", m.path, None, _state(m),
                              f"{m.path} added at {_where_text(m)}{note}"))
    for m in old.members:
        if m.path in removed and not _ancestor_in(m.path, removed):
            out.append(Change(struct, "removed", m.path, _state(m), None,
                              f"{m.path} removed (was at {_where_text(m)})"))
    return out


def _member_changes(old: Layout, new: Layout, struct: str) -> List[Change]:
    """Members both sides have: moved, reshaped, and what they now overlap."""
    new_by = {m.path: m for m in new.members}
    old_leaves, new_leaves = _leaves(old), _leaves(new)
    leaf_paths_new = {m.path for m in new_leaves}
    moved: Dict[str, int] = {}
    out = []
    for m in old.members:
        n = new_by.get(m.path)
        if n is None:
            continue
        if m.bit_offset != n.bit_offset:
            delta = n.bit_offset - m.bit_offset
            moved[m.path] = delta
            parts = m.path.split(".")
            # a member that moves with its enclosing member is said with it
            if not any(moved.get(".".join(parts[:i])) == delta for i in range(1, len(parts))):
                out.append(_moved(m, n, struct))
        elif (m.size, m.mask, m.type, m.bit_size) != (n.size, n.mask, n.type, n.bit_size):
            out.append(Change(struct, "bits", m.path,
                              {"size": m.size, "mask": m.mask_hex, "type": m.type},
                              {"size": n.size, "mask": n.mask_hex, "type": n.type},
                              f"{m.path}: " + ", ".join(_shape_changes(m, n, with_bits=True))))
        # What a member shares its bits with is reported for the members
        # that moved or changed shape; a bystander's overlaps change only
        # through them, and saying it again for each would bury the news.
        reshaped = m.bit_offset != n.bit_offset or (m.size, m.mask) != (n.size, n.mask)
        if reshaped and m.path in leaf_paths_new:
            before = overlaps_of(old, m, old_leaves)
            after = overlaps_of(new, n, new_leaves)
            if before != after:
                out.append(Change(struct, "overlap", m.path, before, after,
                                  _overlap_message(m.path, before, after)))
    return out


def _moved(m: MemberLayout, n: MemberLayout, struct: str) -> Change:
    """A member at another place, with what else changed about it."""
    bits = m.is_bitfield or n.is_bitfield
    before: object = _where_text(m) if bits else m.offset
    after: object = _where_text(n) if bits else n.offset
    message = f"{m.path} moved: {before} -> {after}" if bits else \
        f"{m.path} moved: offset {before} -> {after}"
    shape = _shape_changes(m, n, with_bits=False)
    if shape:
        message += "; " + ", ".join(shape)
        before = dict(_state(m), offset=before)
        after = dict(_state(n), offset=after)
    return Change(struct, "offset", m.path, before, after, message)


def _shape_changes(m: MemberLayout, n: MemberLayout, with_bits: bool) -> List[str]:
    """What changed in a member's type, width and bits (not its place)."""
    parts = []
    if m.type != n.type:
        parts.append(f"type {m.type} -> {n.type}")
    if m.is_bitfield or n.is_bitfield:
        if m.bit_size != n.bit_size:
            parts.append(f"width {m.bit_size} -> {n.bit_size} bits")
    if m.size != n.size:
        parts.append(f"size {m.size} -> {n.size}")
    if with_bits and m.mask != n.mask and (m.is_bitfield or n.is_bitfield):
        parts.append(f"bits {m.mask_hex} -> {n.mask_hex}")
    return parts


def _overlap_message(path: str, before: List[str], after: List[str]) -> str:
    """Name the first member (in declaration order) shared before and after:
    in a union that is the word's name in its first use, e.g. lru.prev."""
    if before and after and before[0] != after[0]:
        return f"{path}: was over {before[0]}, now over {after[0]}"
    if not before:
        return f"{path}: now over {after[0]} (shared nothing before)"
    if not after:
        return f"{path}: now shares no bits (was over {before[0]})"
    gained = [p for p in after if p not in before]
    lost = [p for p in before if p not in after]
    parts = []
    if gained:
        parts.append("now also over " + ", ".join(gained))
    if lost:
        parts.append("no longer over " + ", ".join(lost))
    return f"{path}: " + "; ".join(parts)


def group_changes(items: Iterable[Tuple[str, str, Change]]) -> List[GroupedChange]:
    """Group (abi, config, change) triples by identical change."""
    groups: Dict[tuple, GroupedChange] = {}
    for abi, cfg, ch in items:
        g = groups.get(ch.key())
        if g is None:
            g = groups[ch.key()] = GroupedChange(ch)
        g.where.append((abi, cfg))
    out = list(groups.values())
    out.sort(key=lambda g: (g.change.struct, KIND_ORDER.index(g.change.kind)))
    return out


def merge_by_message(groups: List[GroupedChange]) -> List[GroupedChange]:
    """For people: changes that read the same are said once (the JSON
    keeps them apart when their full before/after differ)."""
    merged: Dict[tuple, GroupedChange] = {}
    for g in groups:
        key = (g.change.struct, g.change.kind, g.change.message)
        if key in merged:
            merged[key].where.extend(w for w in g.where if w not in merged[key].where)
        else:
            merged[key] = GroupedChange(g.change, list(g.where))
    return list(merged.values())


def word_rows(old: Optional[Layout], new: Optional[Layout], word: int) -> List[Tuple[int, str, str]]:
    """Per word of the struct: (offset, old leaf members on it, new ones).
    Members on both sides of a word come first, in declaration order."""
    size = max(old.size if old else 0, new.size if new else 0)
    rows = []

    def names(lay: Optional[Layout], start: int) -> str:
        if lay is None:
            return ""
        end = start + word
        out = [m.path for m in _leaves(lay) if m.offset < end and m.end > start]
        return ", ".join(out)

    for start in range(0, size, word):
        rows.append((start, names(old, start), names(new, start)))
    return rows


class DiffResult(PlainEq):
    """Two headers compared on every ABI and config (``layoutcheck.diff``)."""

    old: str  # labels as given (a path or REV:path)
    new: str
    abis: List[str]
    configs: List[str]
    changes: List[GroupedChange]
    rules: List[str]  # the rules judged on both sides
    static_asserts: int  # the headers' own asserts judged (new side, per cell)
    # one (abi, config, old, new) per changed struct, for word-grid pictures
    examples: Dict[str, tuple]
    notes: List[str]  # e.g. a rules file not read
    rule_info: Dict[str, object]  # name -> spec.Rule
    rules_refused: bool = False  # the header's rules file was found and refused

    _fields = ("old", "new", "abis", "configs", "changes", "rules", "static_asserts", "examples", "notes", "rule_info",
               "rules_refused")
    _hidden = ("examples", "rule_info")

    def __init__(self, old: str, new: str, abis: List[str], configs: List[str], changes: List[GroupedChange],
                 rules: List[str], static_asserts: int, examples: Dict[str, tuple] = FRESH, notes: List[str] = FRESH,
                 rule_info: Dict[str, object] = FRESH, rules_refused: bool = False) -> None:
        self.old = old
        self.new = new
        self.abis = abis
        self.configs = configs
        self.changes = changes
        self.rules = rules
        self.static_asserts = static_asserts
        self.examples = {} if examples is FRESH else examples
        self.notes = [] if notes is FRESH else notes
        self.rule_info = {} if rule_info is FRESH else rule_info
        self.rules_refused = rules_refused

    def location(self, change: Change) -> str:
        """``file:line:column`` in the new header of what ``change`` is
        about: the member, else its struct ('' when unknown)."""
        from .rules.checks import member_where

        example = self.examples.get(change.struct)
        if example is None:
            return ""
        _abi, _cfg, old, new = example
        lay = new if new is not None else None
        if lay is None:
            return ""
        paths = [change.member] if change.kind not in ("rule", "static-assert", "size", "align") else []
        where = member_where(lay, paths)
        file, _, rest = where.partition(":")
        if file and not os.path.exists(file):
            # read from a revision's copy, gone now: name the file as given
            label = self.new.split(":", 1)[1] if ":" in self.new and not os.path.exists(self.new) else self.new
            if os.path.basename(file) == os.path.basename(label):
                return f"{label}:{rest}"
        return where

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def regressions(self) -> List[GroupedChange]:
        """Rules and static asserts that fail on the new side where they did
        not on the old (``diff --fail-on rules``)."""
        return [g for g in self.changes
                if g.change.kind in ("rule", "static-assert") and g.change.after == "fail"]

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)

    def rows(self) -> List[dict]:
        """One row per change and (ABIs x configs) block where it holds."""
        out = []
        for g in self.changes:
            c = g.change
            for abis_b, cfgs_b in g.blocks(self.abis, self.configs):
                out.append({"struct": c.struct, "abis": abis_b, "configs": cfgs_b,
                            "kind": c.kind, "member": c.member, "before": c.before,
                            "after": c.after, "message": c.message})
        return out

    def to_json(self) -> dict:
        return {"old": self.old, "new": self.new, "abis": self.abis, "configs": self.configs,
                "rules": self.rules, "rules_refused": self.rules_refused, "notes": self.notes,
                "static_asserts": self.static_asserts, "changes": self.rows()}


def _layouts_of(prog, abi, structs: Optional[Sequence[str]]) -> Dict[str, Layout]:
    if structs:
        out = {}
        for s in structs:
            rec = prog.unit(abi).find_record(s)
            if rec is not None and rec.complete:
                out[s] = prog.layout(s, abi)
        return out
    out = {lay.name: lay for lay in prog.layouts(abis=[abi])}
    # a struct known only by a typedef ('typedef struct {...} foo_t;'), by
    # that name: it has no tag to be listed by
    for name, td in prog.unit(abi).typedefs.items():
        rec = td.strip_typedefs()
        if isinstance(rec, Record) and rec.tag is None and rec.complete and name not in out:
            # the record's own layout, known by the typedef's name (which
            # may give it another alignment: the record's is compared)
            lay = Layout(rec, prog.engine(abi), prog.defines_for(abi), prog.source)
            if all(other.record is not rec for other in out.values()):
                out[name] = lay
    return out


def _rule_struct(prog, abi, name: Optional[str], layouts: Dict[str, Layout]) -> Optional[str]:
    """The key in ``layouts`` of the struct a rule names (its tag, or a
    typedef of it), or None."""
    if name is None or name in layouts:
        return name
    rec = prog.unit(abi).find_record(name)
    if rec is None:
        return None
    if rec.complete:
        prog.layout(name, abi)  # refused if the typedef gives it another alignment
    return next((key for key, lay in layouts.items() if lay.record is rec), None)


def _rule_change(label: str, rule, old: Optional[Layout], new: Optional[Layout],
                 checker) -> Optional[Change]:
    """What the change does to one rule: its verdict on the struct it names
    on each side (by its tag or a typedef, whatever the tag is on each
    side).  A struct gone from the new side fails the rule (check stops at
    it); one new there is judged, and reported when it fails."""
    before = checker.check(old, rule) if old is not None else None
    before_status = before.status if before is not None else "absent"
    if new is None:
        if before_status == "fail":
            return None  # failing before, failing still
        return Change(label, "rule", rule.name, before_status, "fail",
                      f"rule {rule.name}: {before_status} -> fail (the new side has no "
                      f"{rule.struct})")
    after = checker.check(new, rule)
    if after.status == before_status or (before is None and not after.failed):
        return None
    if after.failed:
        detail = f" ({after.text})" if after.text else ""
        if rule.why:
            detail += f"; why: {first_sentence(rule.why)}"
    elif after.passed:
        detail = f" (before: {before.text})" if before is not None and before.text else ""
    else:  # not applied any more: say why not
        detail = f" ({after.text})" if after.text else ""
    return Change(label, "rule", rule.name, before_status, after.status,
                  f"rule {rule.name}: {before_status} -> {after.status}{detail}")


def first_sentence(text: str) -> str:
    """The first sentence of a rule's ``why``, on one line."""
    flat = " ".join(text.split())
    for end in (". ", ".\n"):
        cut = flat.find(end)
        if cut >= 0:
            return flat[:cut + 1]
    return flat


def _assert_key(sa) -> str:
    """Static asserts are matched across versions by their message (else
    their position: a header's asserts rarely move without changing)."""
    if sa.message:
        text = sa.message
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]
        return text
    return f"line {getattr(sa.coord, 'line', '?')}"


def _static_assert_changes(old_prog, new_prog, abi, cfg) -> Tuple[List[Change], int]:
    from .rules.checks import check_static_asserts

    def verdicts(prog) -> Dict[str, tuple]:
        out = {}
        unit = prog.unit(abi)
        results = check_static_asserts(prog.source, prog, abi, cfg)
        for sa, res in zip(unit.static_asserts, results, strict=True):
            key = base = _assert_key(sa)
            n = 1
            while key in out:  # several asserts with one message: each its own
                n += 1
                key = f"{base} (#{n})"
            out[key] = (res.status, res.text)
        return out

    before, after = verdicts(old_prog), verdicts(new_prog)
    out = []
    for key, (status, text) in after.items():
        old_status = before.get(key, ("absent", ""))[0]
        if status != old_status and not (old_status == "absent" and status == "pass"):
            message = (f"static assert {key!r}: {old_status} -> {status}"
                       + (f" ({text})" if text else ""))
            out.append(Change("_Static_assert", "static-assert", key, old_status, status, message))
    return out, len(after)


class _Collector:
    """Changes gathered cell by cell (ABI x config), with one example of
    each changed struct for the word-grid picture."""

    def __init__(self) -> None:
        self.items: List[Tuple[str, str, Change]] = []
        self.examples: Dict[str, tuple] = {}
        self.asserts = 0
        self.judged: set = set()  # rules judged in some cell (their struct on a side)

    def add(self, abi, cfg, changes: Sequence[Change]) -> None:
        self.items.extend((abi.name, cfg.name, ch) for ch in changes)


def _diff_cell(out: _Collector, old_prog, new_prog, abi, cfg, ruleset, structs,
               labels: Tuple[str, str], structs_required: bool = True) -> None:
    """Every struct's changes on one ABI in one config."""
    from .rules import RuleChecker

    olds = _layouts_of(old_prog, abi, structs)
    news = _layouts_of(new_prog, abi, structs)
    missing = [s for s in structs or () if s not in olds and s not in news]
    if missing and structs_required:  # a project's structs may live in other headers
        raise LayoutError(f"no struct or union named {missing[0]!r} in {labels[0]} or {labels[1]}")
    for name in list(olds) + [n for n in news if n not in olds]:
        old, new = olds.get(name), news.get(name)
        label = f"{(old or new).kind} {name}"
        changes = diff_layouts(old, new, label)
        if changes:
            out.examples.setdefault(label, (abi, cfg, old, new))
        out.add(abi, cfg, changes)
    # each rule on the struct it names on each side, by the name the
    # layouts are under there (a rule may name a typedef, whose struct's
    # tag may differ between the sides)
    checker = RuleChecker(labels[1], abi, cfg)
    for rule in ruleset.rules:
        if rule.struct is None or not rule.applies(abi, cfg):
            continue
        old_key = _rule_struct(old_prog, abi, rule.struct, olds)
        new_key = _rule_struct(new_prog, abi, rule.struct, news)
        old = olds.get(old_key) if old_key is not None else None
        new = news.get(new_key) if new_key is not None else None
        if old is None and new is None:
            continue
        out.judged.add(rule.name)
        label = f"{(new or old).kind} {new_key or old_key}"
        change = _rule_change(label, rule, old, new, checker)
        if change is not None:
            out.examples.setdefault(label, (abi, cfg, old, new))
            out.add(abi, cfg, [change])
    asserts, count = _static_assert_changes(old_prog, new_prog, abi, cfg)
    out.asserts = max(out.asserts, count)
    out.add(abi, cfg, asserts)


def _ruleset_of_sides(old_path: str, new_path: str, new_spec: str, options, git,
                      in_work_tree: Optional[Dict[str, str]] = None):
    """The rules of the work-tree side (for REV:path, where the file lives
    now), else the old side's.  A rules file given (``--rules``) chooses
    its rules for a revision's copy of a header by where the header is in
    the work tree (``in_work_tree``: copy -> work-tree path), as its
    ``headers`` patterns name it."""
    from .options import ruleset_for

    anchor = new_path if git is None and os.path.exists(new_spec) else new_spec
    anchor = anchor if os.path.exists(anchor) else old_path
    if isinstance(options.rules, str):
        return ruleset_for((in_work_tree or {}).get(anchor, anchor), options)
    ruleset = ruleset_for(anchor, options)
    if ruleset.path is None and options.rules is None and git is None:
        ruleset = ruleset_for(old_path, options)
    return ruleset


def _at_revision(folder: str, top: str, root: str) -> str:
    """``folder`` as a revision's copy of the repository at ``top``
    (materialized at ``root``) holds it, when it is inside the repository."""
    full = os.path.abspath(folder)
    inside = full == top or full.startswith(top.rstrip("/") + "/")
    return os.path.join(root, os.path.relpath(full, top)) if inside else folder


def diff_headers(old_spec: str, new_spec: Optional[str], options=None,
                 structs: Optional[Sequence[str]] = None,
                 configs: Optional[Sequence[str]] = None, git: Optional[str] = None,
                 structs_required: bool = True) -> DiffResult:
    """What changing ``old_spec`` into ``new_spec`` (paths or ``REV:path``;
    with ``git``, ``old_spec`` at that revision against the work tree) does
    on every ABI and config of ``options`` (``options.Options``; its rules,
    by default the header's rules file, give the config matrix and the
    rules judged on both sides)."""
    from .gitrev import Materializer
    from .options import Options, open_program, refused_rules_note, select_configs
    from .safety import check_git_rev

    options = options or Options.make()
    if git is not None:
        check_git_rev(git, "--git")
        old_spec, new_spec = f"{git}:{old_spec}", old_spec
    if new_spec is None:
        raise LayoutError("diff needs OLD and NEW (or git=REV and one path)")
    if options.kernel is not None:
        # In a kernel tree a header is named as it is included.
        from .kernel import open_tree

        tree = open_tree(options.kernel)
        if ":" not in old_spec and not os.path.exists(old_spec):
            old_spec = tree.resolve(old_spec)
        if ":" not in new_spec and not os.path.exists(new_spec):
            new_spec = tree.resolve(new_spec)
    out = _Collector()
    with Materializer() as mat:
        old_options, new_options = options, options
        sides = []
        in_work_tree: Dict[str, str] = {}
        for spec in (old_spec, new_spec):
            copy = mat.tree_at(spec) if options.kernel is None else None
            if copy is None:
                sides.append((mat.resolve(spec), options))
                continue
            # A header at a revision includes what was there at that
            # revision: include directories inside the repository (each
            # ABI's own too) are read from the same copy.
            path, top, root = copy
            in_work_tree[path] = os.path.join(top, os.path.relpath(path, root))
            dirs = tuple(_at_revision(d, top, root) for d in options.include_dirs)
            abi_dirs = tuple((name, tuple(_at_revision(d, top, root) for d in folders))
                             for name, folders in options.abi_include_dirs)
            sides.append(((path, spec), replace(options, include_dirs=dirs, abi_include_dirs=abi_dirs)))
        (old_path, old_label), old_options = sides[0]
        (new_path, new_label), new_options = sides[1]
        ruleset = _ruleset_of_sides(old_path, new_path, new_spec, options, git, in_work_tree)
        if options.kernel is not None:  # the tree's own .config, as check does
            from .rules.checks import tree_config

            cfgs = [tree_config(tree)]
        else:
            cfgs = select_configs(ruleset, configs, new_path)
        # each config as it is read: the user's -D and -U are the header's,
        # and so a rule's 'when' sees them too (as check judges it)
        cfgs = [c.as_read(dict(options.defines), options.undefs) for c in cfgs]
        abis = options.abi_objects()
        for cfg in cfgs:
            old_prog = open_program(old_path, old_options, config=cfg, ruleset=ruleset, is_path=True)
            new_prog = open_program(new_path, new_options, config=cfg, ruleset=ruleset, is_path=True)
            for abi in abis:
                _diff_cell(out, old_prog, new_prog, abi, cfg, ruleset, structs,
                           (old_label, new_label), structs_required)
    judged = [r.name for r in ruleset.rules if r.name in out.judged]
    note = refused_rules_note(ruleset)
    notes = [note] if note else []
    # a rule whose struct neither side has: not judged, and said (check
    # fails it on the new side)
    unjudged = [r for r in ruleset.rules if r.name not in out.judged
                and (not structs or r.struct in structs)]
    if unjudged and not note:
        notes.append(f"{new_label}: not judged, their struct being in neither header: "
                     + ", ".join(f"{r.name} ({r.struct})" for r in unjudged))
    # (check fails on these: a 'headers' pattern that names no file)
    notes += [f"rule {rule.name}: headers = {pattern!r} names no file; it never applies there"
              for rule, pattern in ruleset.unmatched_headers()]
    return DiffResult(old_label, new_label, [a.name for a in abis], [c.name for c in cfgs],
                      group_changes(out.items), judged, out.asserts, out.examples,
                      notes, {r.name: r for r in ruleset.rules},
                      bool(note) and ruleset.discovery is not None and bool(ruleset.discovery.refused))
