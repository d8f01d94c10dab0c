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

from ..cli import abis_from, add_source_options, parse_defines


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="C header or source file")
    p.add_argument("--struct", action="append", metavar="NAME",
                   help="struct/union to verify (repeatable); default: every one")
    add_source_options(p)
    p.add_argument("--cffi", dest="cffi", action="store_true", default=True,
                   help="also ask a cffi-compiled module for the host ABI (default)")
    p.add_argument("--no-cffi", dest="cffi", action="store_false",
                   help="skip the cffi oracle")
    p.add_argument("--clang", dest="clang", action="store_true", default=True,
                   help="ask clang too, where it has the target; report disagreements (default)")
    p.add_argument("--no-clang", dest="clang", action="store_false", help="skip clang")
    p.add_argument("--format", choices=["text", "json"], default="text")


def run(args) -> int:
    from ..abi import resolve_abis
    from ..api import Program
    from ..oracle.gcc import ask_clang, ask_gcc, compare, compiler_available

    abis = resolve_abis(abis_from(args))
    missing = [a for a in abis if not compiler_available(a)]
    if missing:
        for a in missing:
            print(f"layoutcheck: {a.name}: oracle compiler '{a.oracle[0]}' not found; install it "
                  f"with: apt-get install --no-install-recommends {a.package}", file=sys.stderr)
        return 2
    defines = parse_defines(args.defines)
    per_abi = {a.name: {"structs": 0, "items": 0, "mismatches": 0, "clang": None} for a in abis}
    mismatches = []
    disagreements = []
    cffi_items = cffi_structs = 0
    for path in args.paths:
        prog = Program(path, [a.name for a in abis], defines=defines, undefs=args.undefs,
                       include_dirs=args.include_dirs, cpp=args.cpp, pp_abi=args.pp_abi)
        for group in prog.groups:
            for abi in group.abis:
                layouts = prog.layouts(args.struct, [abi])
                if not layouts:
                    continue
                row = per_abi[abi.name]
                for lay, orc in zip(layouts, ask_gcc(abi, group.text, layouts)):
                    n, bad = compare(lay, orc)
                    row["structs"] += 1
                    row["items"] += n
                    row["mismatches"] += len(bad)
                    mismatches.extend(bad)
                if args.clang:
                    answers = ask_clang(abi, group.text, layouts)
                    if answers is not None:
                        row["clang"] = row["clang"] or 0
                        for lay, orc in zip(layouts, answers):
                            _, bad = compare(lay, orc)
                            row["clang"] += len(bad)
                            disagreements.extend(bad)
        if args.cffi:
            from ..abi import get_abi

            host = get_abi("host")
            if any(a.name == host.name for a in abis):
                from ..oracle.cffi_host import verify_host

                n, ns, bad = verify_host(prog, args.struct)
                cffi_items += n
                cffi_structs += ns
                mismatches.extend(bad)
    total_items = sum(r["items"] for r in per_abi.values()) + cffi_items
    if args.format == "json":
        out = {
            "abis": per_abi,
            "cffi": {"structs": cffi_structs, "items": cffi_items} if args.cffi else None,
            "items": total_items,
            "mismatches": [vars(m) | {"engine": str(m.engine), "oracle": str(m.oracle)} for m in mismatches],
            "clang_disagreements": [vars(m) | {"engine": str(m.engine), "oracle": str(m.oracle)}
                                    for m in disagreements],
        }
        json.dump(out, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(f"{'abi':<9} {'structs':>7} {'items':>8}  result")
        for name, r in per_abi.items():
            verdict = "ok" if not r["mismatches"] else f"{r['mismatches']} MISMATCHES"
            if r["clang"]:
                verdict += f"  (clang differs on {r['clang']} items; GCC is the oracle)"
            elif r["clang"] is None and args.clang:
                verdict += "  (no clang opinion)"
            print(f"{name:<9} {r['structs']:>7} {r['items']:>8}  {verdict}")
        if args.cffi and cffi_structs:
            print(f"{'cffi':<9} {cffi_structs:>7} {cffi_items:>8}  host module compiled through cffi")
        for m in mismatches:
            print(f"MISMATCH {m}")
        for m in disagreements[:50]:
            print(f"clang differs, GCC wins: {m.abi}: {m.struct}: {m.what}: "
                  f"gcc/layoutcheck {m.engine}, clang {m.oracle}")
        if len(disagreements) > 50:
            print(f"... and {len(disagreements) - 50} more clang differences")
        print(f"compared {total_items} items: {len(mismatches)} mismatches")
    return 1 if mismatches else 0
