"""``layoutcheck place``: where a new member can go, by the header's rules."""

from __future__ import annotations

import argparse
import json
import sys

from ..cli import add_source_options


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", metavar="HEADER", help="the header whose struct gets the new member")
    p.add_argument("--member", required=True, metavar="DECL",
                   help="the new member, as declared: 'atomic_t dma_pinned_count'")
    p.add_argument("--struct", metavar="NAME",
                   help="struct to place it in (default: the rules file's struct)")
    p.add_argument("--config", action="append", metavar="NAME",
                   help="config of the rules matrix (repeatable); default: every config")
    p.add_argument("--ignore-rule", action="append", default=[], metavar="RULE",
                   help="a rule not to hold placements to (repeatable), such as a policy "
                        "rule the change is meant to break (no-growth-from-v4.20)")
    p.add_argument("--show", type=int, default=10, metavar="N",
                   help="placements listed of each kind, valid and rejected (default 10, "
                        "0 for all)")
    p.add_argument("--emit", metavar="FILE",
                   help="write a placement as a patched header (the first valid one, or "
                        "--pick N), ready for check and diff")
    p.add_argument("--pick", type=int, metavar="N",
                   help="with --emit: the placement numbered N in the listing")
    add_source_options(p)
    p.add_argument("--rules", metavar="FILE",
                   help="rules file to judge placements by (default: the header's)")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text for people (default), json for scripts")
    p.epilog = (p.epilog or "") + """

Each placement is the header with the new member inserted after a member
of the struct (at any depth), or overlaid on a padding member (a name with
pad, filler or reserved; the two made a union),
read as `check` reads it: valid when every rule and static assert holds on
every ABI and config and the member exists in all of them.  Placements are
ranked by growth (the most bytes on any ABI and config, then the sum), then
by how many members move.  Exit status: 0 a valid placement exists, 1 none
does, 2 the header could not be read."""


def _line(n: int, j, abis) -> str:
    moved = ("moves nothing" if not j.displaced else
             f"moves {len(j.displaced)}: {', '.join(j.displaced[:4])}"
             + (" ..." if len(j.displaced) > 4 else ""))
    text = f"  {n:>3}. {j.candidate.describe()}: {j.growth_text(abis)}, {moved}"
    if j.killed_by:
        rule, abi, cfg, message = j.killed_by
        message = message.removeprefix(f"on {abi} ({cfg}): ")
        where = f" on {abi} in {cfg}" if abi else ""
        text += f"\n       fails {rule}{where}: {message}"
    return text


def run(args) -> int:
    from ..cli import options_from
    from ..errors import LayoutError
    from ..place import emit, place

    if args.show < 0:
        raise LayoutError(f"--show must be 0 (all) or more, not {args.show}")
    if args.pick is not None and not args.emit:
        raise LayoutError("--pick chooses what --emit writes: give --emit FILE too")
    options = options_from(args)
    report = place(args.path, args.struct, args.member, options,
                   options.configs_or(args.config), args.ignore_rule)
    valid, rejected = report.valid(), report.rejected()
    listed = valid + rejected
    if args.format == "json":
        json.dump(report.to_json(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        n_cfg = len(report.configs)
        out = [f"struct {report.struct} in {report.header}: {len(listed)} placements of "
               f"'{report.decl}' on {len(report.abis)} ABIs x {n_cfg} config{'s' if n_cfg != 1 else ''}"]
        if args.ignore_rule:
            out.append(f"not held to: {', '.join(args.ignore_rule)}")
        if report.already_failing:
            out.append(f"the header fails these as it is, so placements are not judged by them: "
                       f"{', '.join(report.already_failing)}")
        if report.not_applied:
            out.append(f"applied to no placement (the members they name are absent): "
                       f"{', '.join(report.not_applied)}")
        limit = args.show or len(listed)
        if valid:
            out.append(f"valid ({len(valid)}), cheapest first:")
            out += [_line(i, j, report.abis) for i, j in enumerate(valid[:limit], 1)]
        else:
            grow0 = sum(1 for j in rejected if j.max_growth == 0)
            out.append(f"valid: none. No placement keeps every rule on every ABI and config "
                       f"({grow0} without growth were tried).")
        out.append(f"rejected ({len(rejected)}), cheapest first, each with the first rule it breaks:")
        out += [_line(len(valid) + i, j, report.abis)
                for i, j in enumerate(rejected[:limit], 1)]
        if len(rejected) > limit:
            out.append(f"  ... {len(rejected) - limit} more (--show 0 lists all)")
        sys.stdout.write("\n".join(out) + "\n")
    if args.emit:
        if args.pick is None and not valid:
            raise LayoutError("--emit: no valid placement; --pick N writes the one numbered N")
        pick = 1 if args.pick is None else args.pick
        if not 1 <= pick <= len(listed):
            raise LayoutError(f"--pick {pick}: the placements are numbered 1 to {len(listed)}")
        emit(report, listed[pick - 1], args.emit)
        print(f"wrote {args.emit}: {listed[pick - 1].candidate.describe()}", file=sys.stderr)
    return 0 if valid else 1
