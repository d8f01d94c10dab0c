"""``layoutcheck check``: every rule, on every ABI, in every config.

Each header is read under each config of its rules' matrix and laid out
for each ABI; every rule gives a verdict: pass, fail or not-applied.  Text
output: per file, a header line naming the rules file used (or why there
is none), a verdict table (ABIs down, configs across, failing rules per
cell), one ``FAIL`` sentence per distinct failure naming the members,
their offsets and the ABIs it holds on, and one ``NOT APPLIED`` line per
rule that compared nothing somewhere.  JSON: ``{"rules": [how each file's
rules were found], "results": [verdicts]}``.

Exit status 1 when a rule fails, when a rule can never apply (its
``abis``/``when`` select nothing in the whole matrix: a bug in the rules),
or when a rules file was found but refused (see ``rules.spec``: it may be
meant for this header, and its rules were not applied).  A rule that is
not applied because its ``optional`` members are missing (a header from
another era), or because ``--abi``/``--config`` narrowed the run, is
reported but does not change the status: the rules author or the user
declared it.  ``--strict`` makes every not-applied verdict exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Dict, List


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..cli import add_source_options

    p.add_argument("paths", nargs="+", metavar="PATH", help="C header to check")
    p.add_argument("--rules", metavar="FILE",
                   help="rules file (TOML); default: NAME.rules.toml beside the header, else "
                        "the nearest layoutcheck.toml in its directory or a parent")
    p.add_argument("--config", action="append", metavar="CONFIG",
                   help="check only this config: a name from the rules' matrix, or a "
                        "comma-separated macro list (NAME or NAME=VALUE); repeatable")
    add_source_options(p, abi_default="all")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 on any not-applied verdict too (a rule whose optional "
                        "members are all missing, or that --abi/--config deselected)")
    p.add_argument("--format", choices=["text", "json"], default="text")


def _select_configs(ruleset, wanted) -> List:
    from ..rules import make_config

    if not wanted:
        return list(ruleset.configs)
    by_name = {c.name: c for c in ruleset.configs}
    out = []
    for item in wanted:
        cfg = by_name.get(item)
        if cfg is None:
            macros = [m for m in item.split(",") if m.strip()] if item != "default" else []
            cfg = make_config(macros)
        if cfg not in out:
            out.append(cfg)
    return out


def _abi_list(names: List[str], all_names: List[str]) -> str:
    if len(names) == len(all_names) > 1:
        return f"all {len(all_names)} ABIs"
    return ", ".join(names)


def _where_text(g: dict, all_abis: List[str], all_cfgs: List[str]) -> str:
    where = _abi_list(g["abis"], all_abis)
    cfgs = "every config" if len(g["configs"]) == len(all_cfgs) else \
        "configs " + ", ".join(f"[{all_cfgs.index(c) + 1}]" for c in g["configs"])
    return f"on {where}, {cfgs}"


def render_text(path: str, results, abis, configs, n_rules: int, discovery=None) -> str:
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


def exit_status(results, discoveries, strict: bool = False) -> int:
    """1 on a failure, a rule that can never apply, a refused rules file,
    or (strict) any not-applied verdict; else 0."""
    for r in results:
        if r.failed:
            return 1
        if r.not_applied and (strict or r.cause == "never-selected"):
            return 1
    if any(d is not None and d.refused for d in discoveries):
        return 1
    return 0


def run(args) -> int:
    from ..abi import resolve_abis
    from ..cli import parse_defines
    from ..rules import check_file, load_rules, load_rules_for

    abis = resolve_abis(args.abi or ["all"])
    extra_defines = parse_defines(args.defines)
    all_results = []
    discoveries = []
    texts = []
    for path in args.paths:
        if args.rules:
            ruleset = load_rules(args.rules)
            ruleset.discovery.header = path
        else:
            ruleset = load_rules_for(path)
        discoveries.append(ruleset.discovery)
        configs = _select_configs(ruleset, args.config)
        if extra_defines:
            from ..rules import Config
            from ..rules.spec import config_name

            configs = [Config(config_name({**c.defines, **extra_defines}),
                              {**c.defines, **extra_defines}) for c in configs]
        results = check_file(path, ruleset, abis, configs, undefs=args.undefs,
                             include_dirs=args.include_dirs, cpp=args.cpp, pp_abi=args.pp_abi)
        all_results.extend(results)
        if args.format == "text":
            texts.append(render_text(path, results, abis, configs, len(ruleset.rules),
                                     ruleset.discovery))
    if args.format == "json":
        rules = []
        for path, found in zip(args.paths, discoveries):
            entry = found.to_json()
            entry["file"] = path
            rules.append(entry)
        json.dump({"rules": rules, "results": [r.to_json() for r in all_results]},
                  sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print("\n\n".join(texts))
    return exit_status(all_results, discoveries, getattr(args, "strict", False))
