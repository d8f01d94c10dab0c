#!/usr/bin/env python3
"""How fast layoutcheck does its work, against GCC + pahole doing the same.

Three measurements, each printed as wall-clock figures and a ratio:

1. start-up: `layoutcheck show` of one small header for one ABI, as a new
   process (what a pre-commit hook pays per header);
2. struct page: every proposal in cdefs/page x every config of its matrix
   x 18 ABIs.  layoutcheck: `check` (layouts and all rules).  Baseline: for
   each file, config and ABI, `<abi gcc> -g -c` and `pahole -C page`;
3. UAPI corpus (tests/corpus.py) x 18 ABIs, every struct, each ABI with
   its own asm/ headers.  Baseline: the ABI's `gcc -g -c` of the same
   preprocessed text, then `pahole` on the object;
4. kernel tree: `show --kernel` of six big headers of the amd64 tree (a
   whole process) against one kbuild build of them as an external module.

The baseline needs the cross compilers and pahole (Debian: dwarves); a part
whose tools are missing is reported as skipped.  Everything runs on one
core, one process at a time.

    python tools/bench.py [--quick] [--repeat N]
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def timed(fn, repeat=1):
    runs = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), result


def startup(repeat):
    small = os.path.join(ROOT, "tests", "data", "expectations.h")
    cmd = [sys.executable, "-m", "layoutcheck", "show", small, "--struct", "bits", "--abi", "x86_64"]
    t, _ = timed(lambda: subprocess.run(cmd, check=True, capture_output=True), repeat)
    t_help, _ = timed(lambda: subprocess.run([sys.executable, "-m", "layoutcheck", "--help"],
                                             check=True, capture_output=True), repeat)
    t_py, _ = timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), repeat)
    print(f"start-up: show one struct {t * 1000:.0f} ms, --help {t_help * 1000:.0f} ms "
          f"(bare python {t_py * 1000:.0f} ms)")


def have_baseline(abis) -> bool:
    missing = [a.oracle[0] for a in abis if shutil.which(a.oracle[0]) is None]
    if shutil.which("pahole") is None:
        missing.append("pahole")
    if missing:
        print(f"  baseline skipped: missing {', '.join(sorted(set(missing)))}")
        return False
    return True


def page_bench(quick: bool, repeat: int):
    from layoutcheck.abi import all_abis
    from layoutcheck.rules import check_file, load_rules_for

    files = sorted(glob.glob(os.path.join(ROOT, "cdefs", "page", "*.h")))
    abis = all_abis()
    if quick:
        files = files[:2]
    rs = load_rules_for(files[0])
    configs = rs.configs[:3] if quick else rs.configs

    def ours():
        n = 0
        for f in files:
            n += len(check_file(f, rs, abis, configs))
        return n

    t_ours, verdicts = timed(ours, repeat)
    jobs = len(files) * len(configs) * len(abis)
    print(f"struct page: {len(files)} files x {len(configs)} configs x {len(abis)} ABIs = {jobs} "
          f"layouts, {verdicts} verdicts")
    print(f"  layoutcheck check: {t_ours:.2f} s ({t_ours / jobs * 1000:.1f} ms per layout)")
    if not have_baseline(abis):
        return
    work = tempfile.mkdtemp(prefix="lc-bench-")

    def baseline():
        for f in files:
            for cfg in configs:
                defs = [f"-D{k}={v}" for k, v in cfg.defines.items()]
                for abi in abis:
                    extra = ["-DCONFIG_64BIT"] if abi.bits == 64 else []
                    obj = os.path.join(work, "p.o")
                    subprocess.run(list(abi.oracle) + ["-g", "-c", "-x", "c", "-o", obj, f] + defs + extra,
                                   check=True, capture_output=True)
                    subprocess.run(["pahole", "-C", "page", obj], check=True, capture_output=True)

    t_base, _ = timed(baseline, 1)
    shutil.rmtree(work, ignore_errors=True)
    print(f"  gcc -g -c + pahole -C page: {t_base:.2f} s ({t_base / jobs * 1000:.1f} ms per layout)")
    print(f"  ratio: layoutcheck is {t_base / t_ours:.1f}x faster (and also checks "
          f"{len(rs.rules)} rules)")


def corpus_bench(quick: bool, repeat: int):
    import layoutcheck as lc
    from layoutcheck.abi import all_abis
    from tests.corpus import corpus_available, corpus_paths, uapi_programs

    if not corpus_available():
        print("UAPI corpus: skipped (linux-libc-dev and linux-libc-dev-*-cross not installed)")
        return
    paths = corpus_paths()[:10] if quick else corpus_paths()
    abis = all_abis()

    def ours():
        structs = 0
        lc.Session()  # a cold cache each run: programs below use the default session
        for p in paths:
            progs, _failed = uapi_programs(p)
            for prog in progs:
                for lay in prog.layouts():
                    lay.members  # noqa: B018 - force the flattened member list
                    structs += 1
        return structs

    t_ours, structs = timed(ours, repeat)
    print(f"UAPI corpus: {len(paths)} headers x {len(abis)} ABIs (each with its own asm/ "
          f"headers) = {structs} struct layouts")
    print(f"  layoutcheck: {t_ours:.2f} s")
    if not have_baseline(abis):
        return
    work = tempfile.mkdtemp(prefix="lc-bench-")
    jobs = []  # (abi, preprocessed text) as each ABI reads the header
    for p in paths:
        progs, _failed = uapi_programs(p)
        for prog in progs:
            for group in prog.groups:
                for abi in group.abis:
                    src = os.path.join(work, f"{os.path.basename(p)}.{abi.name}.i")
                    with open(src, "w") as fh:
                        fh.write(group.text)
                    jobs.append((abi, src))

    def baseline():
        for abi, src in jobs:
            obj = os.path.join(work, "c.o")
            subprocess.run(list(abi.oracle) + ["-g", "-c", "-w", "-x", "c", "-o", obj, src],
                           check=True, capture_output=True)
            subprocess.run(["pahole", obj], check=True, capture_output=True)

    t_base, _ = timed(baseline, 1)
    shutil.rmtree(work, ignore_errors=True)
    print(f"  gcc -g -c + pahole (preprocessed text, no cpp): {t_base:.2f} s")
    print(f"  ratio: layoutcheck is {t_base / t_ours:.1f}x faster")


KERNEL_HEADERS = ["linux/mm_types.h", "linux/fs.h", "linux/sched.h", "linux/skbuff.h",
                  "linux/netdevice.h", "linux/blkdev.h"]


def kernel_bench(repeat: int):
    """`show --kernel` of six big headers on the amd64 tree, a whole
    process, against one kbuild build of the same headers as a module.
    The two alternate, so that a noisy moment weighs on both."""
    from layoutcheck.oracle.kbuild import build_module, find_kernel_tree

    tree = find_kernel_tree("amd64")
    if tree is None:
        print("kernel tree: skipped (run tools/fetch_kernel_trees.py)")
        return
    cmd = [sys.executable, "-m", "layoutcheck", "show", "--kernel", tree, *KERNEL_HEADERS,
           "--format", "json"]

    def ours():
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    def kbuild():
        work = tempfile.mkdtemp(prefix="lc-bench-kbuild-")
        try:
            build_module(tree, KERNEL_HEADERS, workdir=work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    ours_runs, base_runs = [], []
    for _ in range(max(repeat, 3)):
        ours_runs.append(timed(ours)[0])
        base_runs.append(timed(kbuild)[0])
    t_ours, t_base = statistics.median(ours_runs), statistics.median(base_runs)
    print(f"kernel tree (amd64, six headers, {len(ours_runs)} alternating runs, medians): "
          f"show --kernel {t_ours:.2f} s, one kbuild module build {t_base:.2f} s")
    print(f"  ratio: the module build takes {t_base / t_ours:.2f}x the time of show --kernel "
          f"(target: > 1, issue 10); runs: ours {', '.join(f'{t:.2f}' for t in ours_runs)}; "
          f"kbuild {', '.join(f'{t:.2f}' for t in base_runs)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small subset of each measurement")
    ap.add_argument("--repeat", type=int, default=3, help="runs per layoutcheck figure (median)")
    args = ap.parse_args()
    startup(args.repeat)
    page_bench(args.quick, args.repeat)
    corpus_bench(args.quick, args.repeat)
    kernel_bench(args.repeat)


if __name__ == "__main__":
    main()
