"""``layoutcheck verify``: lay out with the engine and with the compilers, compare.

Every struct is asked of the ABI's GCC (the oracle: Linux is built with
it), the host ABI also of a cffi-compiled module, and where clang supports
the target, of clang as a second opinion.  A clang disagreement is reported
but never fails the run: GCC wins.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..cli import add_source_options, make_program, options_from


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="C header or source file")
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
    from ..verify import VerifyReport, verify_program

    if args.jobs is not None and args.jobs < 1:
        raise LayoutError(f"-j must be at least 1, not {args.jobs}")
    abis = options_from(args).abi_objects()
    missing = [a for a in abis if not compiler_available(a)]
    if missing:
        for a in missing:
            print(f"layoutcheck: {a.name}: oracle compiler '{a.oracle[0]}' not found; install it "
                  f"with: apt-get install --no-install-recommends {a.package}", file=sys.stderr)
        return 2
    report = VerifyReport()
    for path in args.paths:
        prog = make_program(path, args)
        report.merge(verify_program(prog, args.struct, with_cffi=args.cffi, jobs=args.jobs,
                                    with_clang=args.clang))
    if args.format == "json":
        def row(m):
            return {"abi": m.abi, "struct": m.struct, "what": m.what,
                    "layoutcheck": str(m.engine), "oracle": str(m.oracle)}

        out = {
            "abis": {a.name: {"structs": report.structs.get(a.name, 0),
                              "items": report.items.get(a.name, 0),
                              "clang_differences": report.clang.get(a.name)} for a in abis},
            "cffi": {"structs": report.cffi_structs, "items": report.cffi_items,
                     "isolated": report.cffi_isolated} if args.cffi else None,
            "items": report.total_items,
            "mismatches": [row(m) for m in report.mismatches],
            "clang_differences": [row(m) for m in report.clang_differences],
        }
        json.dump(out, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        bad_by_abi = {}
        for m in report.mismatches:
            bad_by_abi[m.abi] = bad_by_abi.get(m.abi, 0) + 1
        print(f"{'abi':<9} {'structs':>7} {'items':>8}  result")
        for a in abis:
            n_bad = bad_by_abi.get(a.name, 0)
            verdict = "ok" if not n_bad else f"{n_bad} MISMATCHES"
            clang = report.clang.get(a.name)
            if clang:
                verdict += f"  (clang differs on {clang} items; GCC is the oracle)"
            elif clang is None and args.clang:
                verdict += "  (no clang opinion)"
            print(f"{a.name:<9} {report.structs.get(a.name, 0):>7} {report.items.get(a.name, 0):>8}  {verdict}")
        if args.cffi and report.cffi_structs:
            how = ("host module compiled through cffi (apart from Python.h, whose "
                   "declarations the header redefines)" if report.cffi_isolated
                   else "host module compiled through cffi")
            print(f"{'cffi':<9} {report.cffi_structs:>7} {report.cffi_items:>8}  {how}")
        for m in report.mismatches:
            print(f"MISMATCH {m}")
        for m in report.clang_differences[:50]:
            print(f"clang differs, GCC wins: {m.abi}: {m.struct}: {m.what}: "
                  f"gcc and layoutcheck {m.engine}, clang {m.oracle}")
        if len(report.clang_differences) > 50:
            print(f"... and {len(report.clang_differences) - 50} more clang differences")
        print(f"compared {report.total_items} items: {len(report.mismatches)} mismatches")
    return 1 if report.mismatches else 0
