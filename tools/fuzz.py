#!/usr/bin/env python3
"""A longer fuzzing run than CI's: tests/test_hostile.py's fuzzer over
mutated headers and rules files, with random seeds and many examples.

    python tools/fuzz.py [--examples N]

Any traceback or hang is a failure pytest reports with the input that
caused it (hypothesis shrinks it and prints how to replay it)."""

import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=5000, help="inputs to try (default 5000)")
    args = ap.parse_args()
    env = dict(os.environ, LAYOUTCHECK_FUZZ_RANDOM="1", LAYOUTCHECK_FUZZ_EXAMPLES=str(args.examples))
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            os.path.join(ROOT, "tests", "test_hostile.py"), "-k", "fuzz"],
                           cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
