"""`diff`: text for people, markdown for a review, JSON for scripts.

Each change is said once with where it holds (ABIs x configs), then each
changed struct is drawn word by word, old | new, on one ABI and config
where it changed.
"""

from __future__ import annotations

import json
import textwrap
from typing import List

from ..compare import DiffResult, merge_by_message, word_rows

GRID_WIDTH = 44


def _where(blocks, n_abis: int, n_cfgs: int) -> str:
    parts = []
    for abis, cfgs in blocks:
        a = f"all {n_abis} ABIs" if len(abis) == n_abis and n_abis > 1 else ", ".join(abis)
        c = "every config" if len(cfgs) == n_cfgs and n_cfgs > 1 else ", ".join(cfgs)
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
    for g in groups:
        if g.change.struct != current:
            current = g.change.struct
            lines.append(f"\n{current}:")
        where = _where(g.blocks(result.abis, result.configs), n_abis, n_cfgs)
        lines.append(f"  {g.change.message}  [{where}]")
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
        for g in groups:
            where = _where(g.blocks(result.abis, result.configs), n_abis, n_cfgs)
            message = g.change.message.replace("|", "/")
            lines.append(f"| `{g.change.struct}` | {message} | {where} |")
    lines += ["", _judged_line(result)]
    for label, (abi, cfg, old, new) in result.examples.items():
        lines += ["", "```"] + grid(label, abi, cfg, old, new) + ["```"]
    return "\n".join(lines) + "\n"


def render_json(result: DiffResult) -> str:
    return json.dumps(result.to_json(), indent=1) + "\n"
