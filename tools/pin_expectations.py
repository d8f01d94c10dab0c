#!/usr/bin/env python3
"""Pin GCC's layouts of tests/data/expectations.h for every ABI.

Writes tests/data/gcc_expectations.json: for each ABI and struct, size,
align and every member's offset, size and mask, as the ABI's GCC reports
them (through the same oracle `layoutcheck verify` uses).  The test suite
holds the engine to this file on machines without the cross compilers.

    python tools/pin_expectations.py           # rewrite
    python tools/pin_expectations.py --check   # exit 1 if GCC now differs
"""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import layoutcheck as lc  # noqa: E402
from layoutcheck.oracle.gcc import ask_gcc  # noqa: E402

SOURCE = os.path.join(ROOT, "tests", "data", "expectations.h")
TARGET = os.path.join(ROOT, "tests", "data", "gcc_expectations.json")


def collect():
    prog = lc.load(SOURCE, abis=["all"])
    out = {}
    for group in prog.groups:
        for abi in group.abis:
            layouts = prog.layouts(abis=[abi])
            answers = ask_gcc(abi, prog.oracle_source(), layouts)
            out[abi.name] = {
                f"{a.kind} {a.name}": {
                    "size": a.size, "align": a.align,
                    "members": {p: [m.offset, m.size, m.mask.hex()] for p, m in sorted(a.members.items())},
                }
                for a in answers
            }
    return {name: out[name] for name in lc.abi_names()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    text = json.dumps(collect(), indent=1, sort_keys=True) + "\n"
    if args.check:
        with open(TARGET) as fh:
            same = fh.read() == text
        print("up to date" if same else f"{TARGET} differs from GCC")
        return 0 if same else 1
    with open(TARGET, "w") as fh:
        fh.write(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
