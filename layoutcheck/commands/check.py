"""``layoutcheck check``: every rule, on every ABI, in every config.

Each header is read under each config of its rules' matrix and laid out
for each ABI; every rule gives a verdict.  Text output: a verdict table per
file (ABIs down, configs across) and one sentence per distinct failure,
naming the members, their offsets and the ABIs it holds on.
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


def render_text(path: str, results, abis, configs, n_rules: int) -> str:
    lines = [f"{path}: {n_rules} rules + static asserts, {len(configs)} configs, {len(abis)} ABIs"]
    for i, cfg in enumerate(configs, 1):
        lines.append(f"  [{i}] {cfg.name}")
    header = f"  {'abi':<9}" + "".join(f"{('[' + str(i) + ']'):>6}" for i in range(1, len(configs) + 1))
    lines.append(header)
    fails: Dict[tuple, int] = {}
    for r in results:
        if not r.passed:
            fails[(r.abi, r.config)] = fails.get((r.abi, r.config), 0) + 1
    for abi in abis:
        cells = []
        for cfg in configs:
            n = fails.get((abi.name, cfg.name), 0)
            cells.append(f"{('ok' if not n else f'{n}F'):>6}")
        lines.append(f"  {abi.name:<9}" + "".join(cells))
    groups: Dict[tuple, dict] = {}
    for r in results:
        if r.passed:
            continue
        key = (r.rule, r.kind, r.text)
        g = groups.setdefault(key, {"abis": [], "configs": []})
        if r.abi not in g["abis"]:
            g["abis"].append(r.abi)
        if r.config not in g["configs"]:
            g["configs"].append(r.config)
    all_abis = [a.name for a in abis]
    all_cfgs = [c.name for c in configs]
    for (rule, kind, message), g in groups.items():
        where = _abi_list(g["abis"], all_abis)
        cfgs = "every config" if len(g["configs"]) == len(all_cfgs) else \
            "configs " + ", ".join(f"[{all_cfgs.index(c) + 1}]" for c in g["configs"])
        lines.append(f"FAIL {rule} ({kind}) on {where}, {cfgs}: {message}")
    passed = sum(1 for r in results if r.passed)
    lines.append(f"{len(results)} verdicts: {passed} pass, {len(results) - passed} fail")
    return "\n".join(lines)


def run(args) -> int:
    from ..abi import resolve_abis
    from ..cli import parse_defines
    from ..rules import check_file, load_rules, load_rules_for

    abis = resolve_abis(args.abi or ["all"])
    extra_defines = parse_defines(args.defines)
    all_results = []
    texts = []
    for path in args.paths:
        ruleset = load_rules(args.rules) if args.rules else load_rules_for(path)
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
            texts.append(render_text(path, results, abis, configs, len(ruleset.rules)))
    if args.format == "json":
        json.dump({"results": [r.to_json() for r in all_results]}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print("\n\n".join(texts))
    return 0 if all(r.passed for r in all_results) else 1
