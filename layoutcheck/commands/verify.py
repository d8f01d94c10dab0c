"""``layoutcheck verify``: lay out with the engine and with the compilers, compare.

Every struct is asked of the ABI's GCC (the oracle: Linux is built with
it), the host ABI also of a cffi-compiled module, and where clang supports
the target, of clang as a second opinion.  A clang disagreement is reported
but never fails the run: GCC wins.
"""

from __future__ import annotations

import argparse
import sys

from ..cli import add_source_options, options_from


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="C header or source file (default: the project's headers)")
    p.add_argument("--struct", action="append", metavar="NAME",
                   help="struct/union to verify (repeatable); default: every one")
    add_source_options(p)
    p.add_argument("--rules", metavar="FILE",
                   help="rules file whose [matrix.abi_defines] to apply (default: the header's)")
    p.add_argument("--cffi", dest="cffi", action="store_true", default=True,
                   help="also ask a cffi-compiled module for the host ABI (default)")
    p.add_argument("--no-cffi", dest="cffi", action="store_false",
                   help="skip the cffi oracle")
    p.add_argument("--clang", dest="clang", action="store_true", default=True,
                   help="ask clang too, where it has the target; report disagreements (default)")
    p.add_argument("--no-clang", dest="clang", action="store_false", help="skip clang")
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="compilers to run at once (default: the number of CPUs, at most 8)")
    p.add_argument("--format", choices=["text", "json"], default="text")


def run(args) -> int:
    from ..errors import LayoutError
    from ..oracle.gcc import compiler_available
    from ..oracle.verify import verify
    from ..render.verify import render_json, render_text

    if args.jobs is not None and args.jobs < 1:
        raise LayoutError(f"-j must be at least 1, not {args.jobs}")
    options = options_from(args)
    abis = options.abi_objects()
    missing = [a for a in abis if not compiler_available(a)]
    if missing:
        for a in missing:
            print(f"layoutcheck: {a.name}: oracle compiler '{a.oracle[0]}' not found; install it "
                  f"with: apt-get install --no-install-recommends {a.package}", file=sys.stderr)
        return 2
    report = verify(options.headers_or(args.paths, "verify"), options.structs_or(args.struct),
                    options, with_cffi=args.cffi,
                    with_clang=args.clang, jobs=args.jobs)
    for note in report.notes:
        print(f"layoutcheck: {note}", file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(render_json(report, abis, args.cffi))
    else:
        sys.stdout.write(render_text(report, abis, args.cffi, args.clang))
    return 1 if report.mismatches else 0
