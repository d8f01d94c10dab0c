"""``layoutcheck diff``: two versions of a header, every ABI and config at once.

OLD and NEW are files or git revisions (``REV:path``); ``--git REV PATH``
compares PATH at REV with the work tree.  Changes common to many ABI/config
pairs are said once, with where they hold.  Text shows the words of each
changed struct side by side (old | new), markdown is ready to paste into a
review, JSON is ``{"changes": [...]}``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import List, Optional, Tuple

from ..errors import LayoutError
from ..safety import check_git_rev


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..cli import add_source_options

    p.add_argument("old", metavar="OLD", help="old header: a path, or REV:path in git")
    p.add_argument("new", metavar="NEW", nargs="?",
                   help="new header: a path or REV:path (with --git: omit, or the path)")
    p.add_argument("--git", metavar="REV",
                   help="compare OLD as it was at REV with OLD in the work tree")
    p.add_argument("--struct", action="append", metavar="NAME",
                   help="struct/union to compare (repeatable); default: every one")
    p.add_argument("--rules", metavar="FILE",
                   help="rules file: its config matrix and rules (default: found for NEW)")
    p.add_argument("--config", action="append", metavar="CONFIG",
                   help="only this config (a matrix name or a macro list); repeatable")
    add_source_options(p)
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text")


def _git(args: List[str], cwd: str) -> str:
    proc = subprocess.run(["git"] + args, cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise LayoutError(f"git {' '.join(args)}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout


def _is_rev(rev: str, cwd: str) -> bool:
    try:
        check_git_rev(rev)
    except LayoutError:
        return False
    proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options",
                           f"{rev}^{{commit}}"],
                          cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return proc.returncode == 0


class _Materializer:
    """Writes REV:path (and its directory's other files, for #include "...")
    into a temporary tree."""

    def __init__(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="layoutcheck-diff-")

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def resolve(self, spec: str) -> Tuple[str, str]:
        """(path to read, label)."""
        if ":" in spec and not os.path.exists(spec):
            rev, path = spec.split(":", 1)
            cwd = os.path.dirname(os.path.abspath(path)) if os.path.isdir(
                os.path.dirname(os.path.abspath(path))) else os.getcwd()
            if rev and _is_rev(rev, cwd if os.path.isdir(cwd) else os.getcwd()):
                return self._extract(rev, path), spec
        if not os.path.exists(spec):
            raise LayoutError(f"no such file: {spec}")
        return spec, spec

    def _extract(self, rev: str, path: str) -> str:
        start = os.path.dirname(os.path.abspath(path))
        while not os.path.isdir(start):
            start = os.path.dirname(start)
        top = _git(["rev-parse", "--show-toplevel"], start).strip()
        rel = os.path.relpath(os.path.abspath(path), top)
        rel_dir = os.path.dirname(rel)
        dest_root = os.path.join(self.tmp, rev.replace("/", "_").replace("~", "_").replace("^", "_"))
        check_git_rev(rev)
        listing = _git(["ls-tree", "--name-only", "--end-of-options",
                        f"{rev}:{rel_dir}" if rel_dir else f"{rev}:"], top)
        names = [n for n in listing.splitlines() if n]
        if os.path.basename(rel) not in names:
            raise LayoutError(f"{path} does not exist at {rev}")
        os.makedirs(os.path.join(dest_root, rel_dir), exist_ok=True)
        for name in names:
            blob = subprocess.run(["git", "cat-file", "blob", f"{rev}:{os.path.join(rel_dir, name)}"],
                                  cwd=top, capture_output=True, stdin=subprocess.DEVNULL)
            if blob.returncode == 0:
                with open(os.path.join(dest_root, rel_dir, name), "wb") as fh:
                    fh.write(blob.stdout)
        return os.path.join(dest_root, rel)


def _layouts(prog, abi, structs: Optional[List[str]]):
    if structs:
        out = {}
        for s in structs:
            rec = prog.unit(abi).find_record(s)
            if rec is not None and rec.complete:
                out[s] = prog.layout(s, abi)
        return out
    return {lay.name: lay for lay in prog.layouts(abis=[abi])}


def compute(old_path: str, new_path: str, args, ruleset, abis, configs):
    from ..diff import Change, diff_layouts, group_changes
    from ..rules import RuleChecker

    from ..cli import options_from
    from ..options import open_program

    opts = options_from(args).with_abis(abis)
    items = []
    grids = {}
    for cfg in configs:
        old_prog = open_program(old_path, opts, config=cfg, ruleset=ruleset, is_path=True)
        new_prog = open_program(new_path, opts, config=cfg, ruleset=ruleset, is_path=True)
        for abi in abis:
            olds = _layouts(old_prog, abi, args.struct)
            news = _layouts(new_prog, abi, args.struct)
            if args.struct:
                missing = [s for s in args.struct if s not in olds and s not in news]
                if missing:
                    raise LayoutError(f"no struct or union named {missing[0]!r} in {old_path} or {new_path}")
            names = list(olds) + [n for n in news if n not in olds]
            for name in names:
                o, n = olds.get(name), news.get(name)
                kind = (o or n).kind
                label = f"{kind} {name}"
                changes = diff_layouts(o, n, label)
                if o is not None and n is not None:
                    checker = RuleChecker(new_path, abi, cfg)
                    for rule in ruleset.rules:
                        if rule.struct != name or not rule.applies(abi, cfg):
                            continue
                        before = checker.check(o, rule)
                        after = checker.check(n, rule)
                        if before.status != after.status:
                            detail = after.text or before.text
                            changes.append(Change(label, "rule", rule.name, before.status, after.status,
                                                  f"rule {rule.name}: {before.status} -> {after.status}"
                                                  + (f" ({detail})" if detail else "")))
                if changes and (label not in grids):
                    grids[label] = (abi, cfg, o, n)
                items.extend((abi.name, cfg.name, ch) for ch in changes)
    return group_changes(items), grids


def _where(blocks, n_abis: int, n_cfgs: int) -> str:
    parts = []
    for abis, cfgs in blocks:
        a = f"all {n_abis} ABIs" if len(abis) == n_abis and n_abis > 1 else ", ".join(abis)
        c = "every config" if len(cfgs) == n_cfgs and n_cfgs > 1 else ", ".join(cfgs)
        parts.append(f"{a} ({c})")
    return "; ".join(parts)


def render_grid(label, abi, cfg, old, new) -> List[str]:
    from ..diff import word_rows

    import textwrap

    word = abi.scalar("long").size
    rows = word_rows(old, new, word)
    width = 44
    out = [f"{label} on {abi.name} ({cfg.name}), word by word (* = changed): old | new"]
    for off, left, right in rows:
        mark = " " if left == right else "*"
        lcol = textwrap.wrap(left, width) or [""]
        rcol = textwrap.wrap(right, width) or [""]
        for i in range(max(len(lcol), len(rcol))):
            lpart = lcol[i] if i < len(lcol) else ""
            rpart = rcol[i] if i < len(rcol) else ""
            head = f" {mark}{off:5d}  " if i == 0 else " " * 9
            out.append(f"{head}{lpart:<{width}} | {rpart}".rstrip())
    return out


def run(args) -> int:
    from ..cli import options_from
    from ..rules import load_rules, load_rules_for
    from .check import _select_configs

    if args.git:
        if args.new is not None and args.new != args.old:
            raise LayoutError("with --git REV give one path (compared at REV and in the work tree)")
        check_git_rev(args.git, "--git")
        old_spec, new_spec = f"{args.git}:{args.old}", args.old
    else:
        if args.new is None:
            raise LayoutError("diff needs OLD and NEW (or --git REV PATH)")
        old_spec, new_spec = args.old, args.new
    mat = _Materializer()
    try:
        old_path, old_label = mat.resolve(old_spec)
        new_path, new_label = mat.resolve(new_spec)
        if args.rules:
            ruleset = load_rules(args.rules)
        else:
            ruleset = load_rules_for(new_path if os.path.exists(new_path) else old_path)
            if ruleset.path is None and not args.git:
                ruleset = load_rules_for(old_path)
        if args.git and ruleset.path is None:
            ruleset = load_rules_for(new_spec)
        configs = _select_configs(ruleset, args.config)
        abis = options_from(args).abi_objects()
        groups, grids = compute(old_path, new_path, args, ruleset, abis, configs)
    finally:
        mat.close()
    abi_order = [a.name for a in abis]
    cfg_order = [c.name for c in configs]
    if args.format == "json":
        out = []
        for g in groups:
            for abis_b, cfgs_b in g.blocks(abi_order, cfg_order):
                c = g.change
                out.append({"struct": c.struct, "abis": abis_b, "configs": cfgs_b, "kind": c.kind,
                            "member": c.member, "before": c.before, "after": c.after,
                            "message": c.message})
        json.dump({"changes": out}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        from ..diff import merge_by_message

        groups = merge_by_message(groups)
    if args.format == "json":
        pass
    elif args.format == "markdown":
        lines = [f"### layoutcheck diff `{old_label}` → `{new_label}`", ""]
        if not groups:
            lines.append(f"No layout change on any of {len(abis)} ABIs in {len(configs)} configs.")
        else:
            lines += ["| struct | change | where |", "|---|---|---|"]
            for g in groups:
                where = _where(g.blocks(abi_order, cfg_order), len(abis), len(configs))
                lines.append(f"| `{g.change.struct}` | {g.change.message.replace('|', '/')} | {where} |")
            for label, (abi, cfg, o, n) in grids.items():
                lines += ["", "```"] + render_grid(label, abi, cfg, o, n) + ["```"]
        print("\n".join(lines))
    else:
        print(f"layoutcheck diff {old_label} -> {new_label}: {len(abis)} ABIs, {len(configs)} configs")
        if not groups:
            print("no layout change on any ABI or config")
        current = None
        for g in groups:
            if g.change.struct != current:
                current = g.change.struct
                print(f"\n{current}:")
            where = _where(g.blocks(abi_order, cfg_order), len(abis), len(configs))
            print(f"  {g.change.message}  [{where}]")
        for label, (abi, cfg, o, n) in grids.items():
            print()
            print("\n".join(render_grid(label, abi, cfg, o, n)))
    return 1 if groups else 0
