"""`verify`: a table per ABI for people, the report's data for scripts."""

from __future__ import annotations

import json
from typing import List, Sequence

from ..abi import ABI


def render_json(report, abis: Sequence[ABI], with_cffi: bool) -> str:
    return json.dumps(report.to_json(abis, with_cffi), indent=1) + "\n"


def render_text(report, abis: Sequence[ABI], with_cffi: bool, with_clang: bool) -> str:
    lines: List[str] = []
    bad_by_abi: dict = {}
    for m in report.mismatches:
        bad_by_abi[m.abi] = bad_by_abi.get(m.abi, 0) + 1
    lines.append(f"{'abi':<9} {'structs':>7} {'items':>8}  result")
    for a in abis:
        n_bad = bad_by_abi.get(a.name, 0)
        verdict = "ok" if not n_bad else f"{n_bad} MISMATCHES"
        clang = report.clang.get(a.name)
        if clang:
            verdict += f"  (clang differs on {clang} items; GCC is the oracle)"
        elif clang is None and with_clang:
            verdict += "  (no clang opinion)"
        lines.append(f"{a.name:<9} {report.structs.get(a.name, 0):>7} "
                     f"{report.items.get(a.name, 0):>8}  {verdict}")
    if with_cffi and report.cffi_structs:
        how = ("host module compiled through cffi (apart from Python.h, whose "
               "declarations the header redefines)" if report.cffi_isolated
               else "host module compiled through cffi")
        lines.append(f"{'cffi':<9} {report.cffi_structs:>7} {report.cffi_items:>8}  {how}")
    for m in report.mismatches:
        lines.append(f"MISMATCH {m}")
    for m in report.clang_differences[:50]:
        lines.append(f"clang differs, GCC wins: {m.abi}: {m.struct}: {m.what}: "
                     f"gcc and layoutcheck {m.engine}, clang {m.oracle}")
    if len(report.clang_differences) > 50:
        lines.append(f"... and {len(report.clang_differences) - 50} more clang differences")
    lines.append(f"compared {report.total_items} items: {len(report.mismatches)} mismatches")
    return "\n".join(lines) + "\n"
