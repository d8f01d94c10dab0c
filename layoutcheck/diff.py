"""What a change does to a layout, on every ABI and config.

``diff_layouts`` compares one struct's old and new layout on one ABI and
config; ``diff_sources`` does that for every struct, ABI and config and
groups identical changes so that a change common to many ABI/config pairs
is said once, with where it holds.

Change kinds: size, align, added, removed, offset, bits (size, mask or type
at the same place), overlap (what a member now shares bits with), rule (a
verdict that flipped).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .layouts import Layout, MemberLayout

KIND_ORDER = ("size", "align", "added", "removed", "offset", "bits", "overlap", "rule")


@dataclass
class Change:
    struct: str
    kind: str
    member: str
    before: object
    after: object
    message: str

    def key(self) -> tuple:
        return (self.struct, self.kind, self.member, json.dumps(self.before, sort_keys=True),
                json.dumps(self.after, sort_keys=True), self.message)


@dataclass
class GroupedChange:
    """One change and every (ABI, config) pair it holds on."""

    change: Change
    where: List[Tuple[str, str]] = field(default_factory=list)

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
    paths = [m.path for m in lay.members]
    out = []
    for m in lay.members:
        prefix = m.path + "."
        if not any(p.startswith(prefix) for p in paths):
            out.append(m)
    return out


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
    old_by = {m.path: m for m in old.members}
    new_by = {m.path: m for m in new.members}
    old_leaves, new_leaves = _leaves(old), _leaves(new)
    def ancestor_in(path: str, paths) -> bool:
        parts = path.split(".")
        return any(".".join(parts[:i]) in paths for i in range(1, len(parts)))

    added = {m.path for m in new.members if m.path not in old_by}
    removed = {m.path for m in old.members if m.path not in new_by}
    moved: Dict[str, int] = {}
    for m in new.members:
        if m.path in added and ancestor_in(m.path, added):
            continue
        if m.path not in old_by:
            over = overlaps_of(new, m, new_leaves)
            note = f" over {over[0]}" if over else ""
            out.append(Change(struct, "added", m.path, None,
                              {"offset": m.offset, "size": m.size, "mask": m.mask_hex, "type": m.type},
                              f"{m.path} added at {_where_text(m)}{note}"))
    for m in old.members:
        if m.path not in new_by and not ancestor_in(m.path, removed):
            out.append(Change(struct, "removed", m.path,
                              {"offset": m.offset, "size": m.size, "mask": m.mask_hex, "type": m.type},
                              None, f"{m.path} removed (was at {_where_text(m)})"))
    leaf_paths_new = {m.path for m in new_leaves}
    for m in old.members:
        n = new_by.get(m.path)
        if n is None:
            continue
        if m.bit_offset != n.bit_offset:
            delta = n.bit_offset - m.bit_offset
            moved[m.path] = delta
            parts = m.path.split(".")
            if any(moved.get(".".join(parts[:i])) == delta for i in range(1, len(parts))):
                continue
            if m.is_bitfield or n.is_bitfield:
                before, after = _where_text(m), _where_text(n)
            else:
                before, after = m.offset, n.offset
            out.append(Change(struct, "offset", m.path, before, after,
                              f"{m.path} moved: offset {before} -> {after}"))
        elif (m.size, m.mask, m.type) != (n.size, n.mask, n.type):
            parts = []
            if m.type != n.type:
                parts.append(f"type {m.type} -> {n.type}")
            if m.size != n.size:
                parts.append(f"size {m.size} -> {n.size}")
            if m.mask != n.mask and m.size == n.size:
                parts.append(f"bits {m.mask_hex} -> {n.mask_hex}")
            out.append(Change(struct, "bits", m.path,
                              {"size": m.size, "mask": m.mask_hex, "type": m.type},
                              {"size": n.size, "mask": n.mask_hex, "type": n.type},
                              f"{m.path}: " + ", ".join(parts)))
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
