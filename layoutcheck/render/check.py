"""`check`: a verdict table per file for people, the verdicts for scripts.

Text: per file, a header line naming the rules file used (or why there is
none), a verdict table (ABIs down, configs across, failing rules per cell),
one ``FAIL`` sentence per distinct failure naming the members, their
offsets and where it holds, and one ``NOT APPLIED`` line per rule that
compared nothing somewhere.  JSON: ``{"rules": [how each file's rules were
found], "results": [verdicts]}``.
"""

from __future__ import annotations

import json
from typing import Dict, List

def _abi_list(names: List[str], all_names: List[str]) -> str:
    if len(names) == len(all_names) > 1:
        return f"all {len(all_names)} ABIs"
    return ", ".join(names)


def _where_text(g: dict, all_abis: List[str], all_cfgs: List[str]) -> str:
    where = _abi_list(g["abis"], all_abis)
    cfgs = "every config" if len(g["configs"]) == len(all_cfgs) else \
        "configs " + ", ".join(f"[{all_cfgs.index(c) + 1}]" for c in g["configs"])
    return f"on {where}, {cfgs}"


def render_file(path: str, results, abis, configs, n_rules: int, discovery=None) -> str:
    if discovery is None or discovery.path is not None:
        source = f" from {discovery.path}" if discovery is not None else ""
        head = f"{path}: {n_rules} rules{source} + static asserts"
    elif discovery.refused:
        head = f"{path}: no rules read (a rules file was refused, below); static asserts only"
    else:
        head = f"{path}: {discovery.describe()}; static asserts only"
    lines = [f"{head}, {len(configs)} configs, {len(abis)} ABIs"]
    if discovery is not None:
        for refused, why in discovery.refused:
            lines.append(f"REFUSED rules file {refused}: {why}; its rules were not applied "
                         f"(fix the permissions, or pass --rules)")
    for i, cfg in enumerate(configs, 1):
        lines.append(f"  [{i}] {cfg.name}")
    header = f"  {'abi':<9}" + "".join(f"{('[' + str(i) + ']'):>6}" for i in range(1, len(configs) + 1))
    lines.append(header)
    fails: Dict[tuple, int] = {}
    for r in results:
        if r.failed:
            fails[(r.abi, r.config)] = fails.get((r.abi, r.config), 0) + 1
    for abi in abis:
        cells = []
        for cfg in configs:
            n = fails.get((abi.name, cfg.name), 0)
            cells.append(f"{('ok' if not n else f'{n}F'):>6}")
        lines.append(f"  {abi.name:<9}" + "".join(cells))
    # One sentence per distinct failure, then per distinct non-application.
    all_abis = [a.name for a in abis]
    all_cfgs = [c.name for c in configs]
    for status, word in (("fail", "FAIL"), ("not-applied", "NOT APPLIED")):
        groups: Dict[tuple, dict] = {}
        for r in results:
            if r.status != status:
                continue
            key = (r.rule, r.kind, r.text)
            g = groups.setdefault(key, {"abis": [], "configs": []})
            if r.abi not in g["abis"]:
                g["abis"].append(r.abi)
            if r.config not in g["configs"]:
                g["configs"].append(r.config)
        for (rule, kind, message), g in groups.items():
            if g["abis"] == ["*"]:  # a rule that selects no ABI x config of the run
                lines.append(f"{word} {rule} ({kind}) anywhere: {message}")
            else:
                lines.append(f"{word} {rule} ({kind}) {_where_text(g, all_abis, all_cfgs)}: "
                             f"{message}")
    passed = sum(1 for r in results if r.passed)
    missing = sum(1 for r in results if r.not_applied)
    failed = sum(1 for r in results if r.failed)
    lines.append(f"{len(results)} verdicts: {passed} pass, {missing} not applied, {failed} fail")
    return "\n".join(lines)




def render_text(report) -> str:
    texts = [render_file(f.path, f.results, f.abis, f.configs, f.n_rules, f.discovery)
             for f in report.files]
    if report.defines:
        given = " ".join(f"-D{k}" + (f"={v}" if v not in ("", "1") else "")
                         for k, v in report.defines.items())
        texts.insert(0, f"(every config also read with {given})")
    return "\n\n".join(texts) + "\n"


def render_json(report) -> str:
    return json.dumps(report.to_json(), indent=1) + "\n"
