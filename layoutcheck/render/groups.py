"""Naming groups of ABIs the way a reader recognises them."""

from __future__ import annotations

import re
from typing import Dict, List, Sequence, Tuple

from ..abi import ABI


def abi_group_label(names: Sequence[str], abis: Sequence[ABI], brief: bool = False) -> str:
    """How a reader recognises a group of ABIs: "all 18 ABIs", "the 64-bit
    ABIs (x86_64 aarch64 ...)" ("64-bit", ``brief``), or the names."""
    names = list(dict.fromkeys(names))
    all_names = list(dict.fromkeys(a.name for a in abis))
    if set(names) == set(all_names) and len(all_names) == 2:
        return f"both ABIs ({' '.join(all_names)})"
    if set(names) == set(all_names) and len(all_names) > 1:
        return f"all {len(all_names)} ABIs"
    chosen = set(names)
    listed = " ".join(n for n in all_names if n in chosen)
    if len(all_names) > 2:
        for label, test in (("64-bit", lambda a: a.bits == 64), ("32-bit", lambda a: a.bits == 32),
                            ("big-endian", lambda a: a.endian == "big"),
                            ("little-endian", lambda a: a.endian == "little")):
            members = {a.name for a in abis if test(a)}
            if members == chosen and 1 < len(members) < len(all_names):
                return label if brief else f"the {label} ABIs ({listed})"
    return listed


def config_refs(names: Sequence[str], all_cfgs: Sequence[str]) -> str:
    if len(all_cfgs) == 1:
        return ""
    if len(names) == len(all_cfgs):
        return "every config"
    idx = sorted(all_cfgs.index(c) + 1 for c in names)
    runs: List[str] = []
    start = prev = idx[0]
    for i in idx[1:] + [None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        runs.append(f"[{start}]" if start == prev else f"[{start}]-[{prev}]")
        if i is not None:
            start = prev = i
    return "config" + ("s " if len(idx) > 1 else " ") + " ".join(runs)


def where_text(cells: Sequence[Tuple[str, str]], abis: Sequence[ABI], cfgs: Sequence[str]) -> str:
    """ABI x config cells as "<ABI group> in <configs>; ..." (ABIs sharing
    their configs said together)."""
    by_abi: Dict[str, List[str]] = {}
    for abi, cfg in cells:
        if cfg not in by_abi.setdefault(abi, []):
            by_abi[abi].append(cfg)
    groups: Dict[Tuple[str, ...], List[str]] = {}
    for a in abis:
        if a.name in by_abi:
            key = tuple(c for c in cfgs if c in by_abi[a.name])
            groups.setdefault(key, []).append(a.name)
    parts = []
    for cfg_names, names in groups.items():
        refs = config_refs(cfg_names, cfgs)
        parts.append(abi_group_label(names, abis) + (f", {refs}" if refs else ""))
    return "; ".join(parts)


# The parts of a failure's text that vary with the ABI: numbers and byte order.
_VARYING = re.compile(r"\b(\d+|little|big)\b")


def one_sentence(texts: Dict[str, List[Tuple[str, str]]], abis, cfg_names) -> str:
    """A failure measured differently on several ABI groups, said once: the
    values that differ written ``8/4`` in the sentence, then which groups
    they are for ('' when the texts are not one sentence)."""
    shapes = {_VARYING.sub("#", t) for t in texts}
    if len(shapes) != 1 or len(texts) > 6:
        return ""
    items = list(texts.items())
    columns = list(zip(*(_VARYING.findall(t) for t, _ in items), strict=True))
    pieces = _VARYING.split(items[0][0])
    out = []
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            out.append(piece)
        else:
            values = columns[i // 2]
            out.append(values[0] if len(set(values)) == 1 else "/".join(values))
    abi_sets = {frozenset(a for a, _ in cells) for _, cells in items}
    cfg_sets = {frozenset(c for _, c in cells) for _, cells in items}

    def product(cells) -> bool:  # every ABI of the group in every config of it
        return len(set(cells)) == len({a for a, _ in cells}) * len({c for _, c in cells})

    if not all(product(cells) for _, cells in items):
        abi_sets = cfg_sets = set()  # name each group in full
    labels = []
    for _, cells in items:
        if len(abi_sets) == 1:  # the groups differ only by config
            labels.append(config_refs(list(dict.fromkeys(c for _, c in cells)), cfg_names))
        elif len(cfg_sets) == 1:
            labels.append(abi_group_label(list(dict.fromkeys(a for a, _ in cells)), abis, brief=True))
        else:
            labels.append(where_text(cells, abis, cfg_names))
    return "".join(out) + f" (values for: {' / '.join(labels)})"
