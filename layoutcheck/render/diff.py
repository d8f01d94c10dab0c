"""`diff`: text for people, markdown for a review, JSON for scripts.

Each change is said once with where it holds (ABIs x configs), then each
changed struct is drawn word by word, old | new, on one ABI and config
where it changed.
"""

from __future__ import annotations

import json
import textwrap
from typing import Dict, List, Tuple

from ..compare import DiffResult, merge_by_message, word_rows
from .groups import _VARYING

GRID_WIDTH = 44


def _where(blocks, n_abis: int, n_cfgs: int, all_abis=None) -> str:
    """Where a change holds: each block of ABIs (named as a group: "the
    64-bit ABIs (...)") and its configs."""
    from ..abi import get_abi
    from .groups import abi_group_label

    parts = []
    for abis, cfgs in blocks:
        if all_abis is not None:
            a = abi_group_label(abis, [get_abi(x) for x in all_abis])
        else:
            a = f"all {n_abis} ABIs" if len(abis) == n_abis and n_abis > 1 else ", ".join(abis)
        if n_cfgs == 1:
            parts.append(a)
            continue
        c = "every config" if len(cfgs) == n_cfgs else ", ".join(cfgs)
        parts.append(f"{a} ({c})")
    return "; ".join(parts)


def grid(label, abi, cfg, old, new) -> List[str]:
    """The struct's words side by side; '*' marks a word whose members changed."""
    rows = word_rows(old, new, abi.scalar("long").size)
    out = [f"{label} on {abi.name} ({cfg.name}), word by word (* = changed): old | new"]
    for off, left, right in rows:
        mark = " " if left == right else "*"
        lcol = textwrap.wrap(left, GRID_WIDTH) or [""]
        rcol = textwrap.wrap(right, GRID_WIDTH) or [""]
        for i in range(max(len(lcol), len(rcol))):
            lpart = lcol[i] if i < len(lcol) else ""
            rpart = rcol[i] if i < len(rcol) else ""
            head = f" {mark}{off:5d}  " if i == 0 else " " * 9
            out.append(f"{head}{lpart:<{GRID_WIDTH}} | {rpart}".rstrip())
    return out


def _judged_line(result: DiffResult) -> str:
    flips = {g.change.member for g in result.changes if g.change.kind == "rule"}
    asserts = [g for g in result.changes if g.change.kind == "static-assert"]
    text = f"rules: {len(result.rules)} judged on both sides, "
    text += f"{len(flips)} changed verdict" if flips else "none changed"
    text += f"; static asserts: {result.static_asserts}, "
    text += f"{len({g.change.member for g in asserts})} changed" if asserts else "none changed"
    return text


def render_text(result: DiffResult) -> str:
    groups = merge_by_message(result.changes)
    n_abis, n_cfgs = len(result.abis), len(result.configs)
    lines = [f"layoutcheck diff {result.old} -> {result.new}: {n_abis} ABIs, {n_cfgs} configs"]
    if not groups:
        lines.append("no layout change on any ABI or config")
    current = None
    for struct, sentence, where in said_once(result):
        if struct != current:
            current = struct
            lines.append(f"\n{current}:")
        lines.append(f"  {sentence}  [{where}]")
    lines.append("")
    lines.append(_judged_line(result))
    for label, (abi, cfg, old, new) in result.examples.items():
        lines.append("")
        lines.extend(grid(label, abi, cfg, old, new))
    return "\n".join(lines) + "\n"


def render_markdown(result: DiffResult) -> str:
    groups = merge_by_message(result.changes)
    n_abis, n_cfgs = len(result.abis), len(result.configs)
    lines = [f"### layoutcheck diff `{result.old}` → `{result.new}`", ""]
    if not groups:
        lines.append(f"No layout change on any of {n_abis} ABIs in {n_cfgs} configs.")
    else:
        lines += ["| struct | change | where |", "|---|---|---|"]
        for struct, sentence, where in said_once(result):
            lines.append(f"| `{struct}` | {sentence.replace('|', '/')} | {where} |")
    lines += ["", _judged_line(result)]
    for label, (abi, cfg, old, new) in result.examples.items():
        lines += ["", "```"] + grid(label, abi, cfg, old, new) + ["```"]
    return "\n".join(lines) + "\n"


def said_once(result: DiffResult) -> List[Tuple[str, str, str]]:
    """(struct, sentence, where) per change for people: changes that read
    the same are one; a change measured differently on several groups of
    ABIs (offset 8 on the 64-bit ABIs, 4 on the 32-bit ones) is one
    sentence with its values written ``8/4``."""
    from ..abi import get_abi
    from .groups import one_sentence, where_text

    abis = [get_abi(a) for a in result.abis]
    shaped: Dict[tuple, Dict[str, list]] = {}
    for g in merge_by_message(result.changes):
        c = g.change
        key = (c.struct, c.kind, c.member, _VARYING.sub("#", c.message))
        shaped.setdefault(key, {}).setdefault(c.message, []).extend(g.where)
    out = []
    for (struct, _kind, _member, _shape), texts in shaped.items():
        cells = [cell for where in texts.values() for cell in where]
        sentence = next(iter(texts)) if len(texts) == 1 else one_sentence(texts, abis, result.configs)
        if not sentence:
            for text, where in texts.items():
                out.append((struct, text, where_text(where, abis, result.configs)))
            continue
        out.append((struct, sentence, where_text(cells, abis, result.configs)))
    return out


def summary_lines(result: DiffResult, limit: int = 12, failures_said: bool = False) -> List[str]:
    """The changes in a few lines (for the pre-commit hook): each said
    once with where it holds; rules and asserts that broke first (left
    out with ``failures_said``: the caller listed the failures)."""
    said = said_once(result)
    if failures_said:
        said = [item for item in said
                if not (item[1].startswith(("rule ", "static assert")) and "-> fail" in item[1])]
    said.sort(key=lambda item: 0 if item[1].startswith(("rule ", "static assert")) and "-> fail" in item[1] else 1)
    lines = [f"{struct}: {sentence}  [{where}]" for struct, sentence, where in said[:limit]]
    if len(said) > limit:
        lines.append(f"... and {len(said) - limit} more (layoutcheck diff shows them all)")
    return lines


def render_json(result: DiffResult) -> str:
    return json.dumps(result.to_json(), indent=1) + "\n"
