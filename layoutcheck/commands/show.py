"""``layoutcheck show``: the layout of structs and unions, per ABI."""

from __future__ import annotations

import argparse
import itertools
import sys

from ..errors import LayoutError
from ..options import refused_rules_note, side_by_side

from ..cli import add_source_options, make_program


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="C header or source file")
    p.add_argument("--struct", action="append", metavar="NAME",
                   help="struct/union tag or typedef name to show (repeatable); "
                        "default: every tagged struct and union with a definition")
    add_source_options(p)
    p.add_argument("--rules", metavar="FILE",
                   help="rules file whose [matrix.abi_defines] to apply (default: the "
                        "header's, found as `check` finds it)")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text for people (default), json for scripts")
    p.add_argument("--cacheline", type=int, default=64, metavar="BYTES",
                   help="cacheline size marked in text output (default 64, 0 for none)")


def run(args) -> int:
    from ..render import render_text
    from ..render.show import write_json

    if args.cacheline < 0:
        raise LayoutError(f"--cacheline must be 0 (none) or a size in bytes, not {args.cacheline}")
    # Every record as JSON: the lines a layout cache entry holds serve
    # (see Program.stored_layouts); anything else is laid out here.
    whole = args.format == "json" and not args.struct
    layouts: list = []
    if args.kernel is not None:  # one translation unit, as a module builds them
        from ..cli import options_from
        from ..options import open_kernel_unit

        unit = open_kernel_unit(args.paths, options_from(args))
        layouts.append(unit.stored_layouts() if whole else unit.layouts(args.struct))
    paths = args.paths if args.kernel is None else []
    for path, prog in zip(paths, side_by_side(lambda p: make_program(p, args), paths), strict=True):
        note = refused_rules_note(prog.ruleset)
        if note:
            print(f"layoutcheck: {path}: {note}", file=sys.stderr)
        layouts.append(prog.stored_layouts() if whole else prog.layouts(args.struct))
    if args.format == "json":
        write_json(itertools.chain.from_iterable(layouts), sys.stdout)
    else:
        flat = [lay for part in layouts for lay in part]
        if not flat:
            print("/* no struct or union with a definition */")
        else:
            sys.stdout.write(render_text(flat, args.cacheline))
    return 0
