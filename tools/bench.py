#!/usr/bin/env python3
"""How fast layoutcheck does its layout work, beside the compilers doing the same.

Every figure is a whole process (or a whole series of them, for the
compilers), measured in the same run, layoutcheck and the baseline
alternating so that a noisy moment weighs on both; each row prints the
medians, the ratio and the target of issue 11 next to them:

1. start-up: ``--help`` and ``show`` of one small struct for one ABI;
2. struct page: the 9 files of cdefs/page x 18 ABIs, one config,
   ``show --format json``.  Baseline: for each file and ABI, ``<abi gcc>
   -g -fno-eliminate-unused-debug-types -c`` and ``pahole -C page`` (the
   flag makes GCC write every type it laid out, used or not: without it
   a header's object has no types and pahole prints nothing);
3. UAPI: the first 55 headers of tests/corpus.py that every ABI reads, in
   one translation unit, x 18 ABIs (each with its own asm/ headers: i386
   and x32 given theirs with ``--abi-include``), every struct laid out
   and written as JSON: ``show --format json``; peak memory too (of the
   larger process).  Baseline:
   each ABI's ``gcc -g -fno-eliminate-unused-debug-types -c`` of the
   same file, then ``pahole``;
4. pre-commit: ``check cdefs/page/v4.20.h`` (10 configs x 18 ABIs), wall
   and CPU time; the same check of mm_types.h in the amd64 kernel tree
   (its own config) with the struct page rules;
5. kernel tree: ``show --kernel`` of six big headers of the amd64 tree
   against one kbuild build of them as an external module (and that
   build followed by ``pahole``).

``--only phases`` (not run by default) prints where one process's time
goes on each ABI's text of the UAPI row: parsing, building, laying out,
writing JSON; and what any reading of those texts needs at least: every
ABI's ``gcc -E`` of the unit, and splitting its text into declarations.

The baseline needs the cross compilers and pahole (Debian: dwarves), the
UAPI row linux-libc-dev and its -cross packages, the kernel row
``tools/fetch_kernel_trees.py``; a row whose tools are missing says so.

    python tools/bench.py [--quick] [--repeat N] [--only ROW]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

KERNEL_HEADERS = ["linux/mm_types.h", "linux/fs.h", "linux/sched.h", "linux/skbuff.h",
                  "linux/netdevice.h", "linux/blkdev.h"]
ROWS = []  # (name, ours, baseline, ratio text, target, met)
PHASES: list = []  # lines of the phases breakdown (--only phases)


# Cache directories (LAYOUTCHECK_CACHE_DIR): "cold" runs start from an
# empty one holding only what GCC said about its own search path (a fact
# about the machine, not about any header); "warm" runs find the entries
# an earlier run of the same command left.
WORK = tempfile.mkdtemp(prefix="lc-bench-caches-")
FACTS = "gcc-search-dirs.json"


def cache_env(folder: str) -> dict:
    # the layoutcheck of this checkout, wherever a command runs (a row
    # that runs in a copied repository would otherwise import whichever
    # one pip installed)
    path = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, LAYOUTCHECK_CACHE_DIR=folder, PYTHONPATH=path)


def cold_env() -> dict:
    folder = tempfile.mkdtemp(dir=WORK)
    seed = os.path.join(WORK, "facts", FACTS)
    if os.path.exists(seed):
        shutil.copy(seed, os.path.join(folder, FACTS))
    return cache_env(folder)


def warm_env(cmd, **kw) -> dict:
    """A cache directory filled by one run of ``cmd``."""
    env = cold_env()
    run(cmd, env=env, **kw)
    return env


def run(cmd, **kw) -> tuple:
    """(wall seconds, CPU seconds, peak RSS in MiB) of one whole process;
    cold (an empty cache directory) unless ``env`` says otherwise."""
    if "env" not in kw:
        kw["env"] = cold_env()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def alternate(ours, theirs, repeat: int):
    """Medians of ``ours()`` and ``theirs()`` (each returns seconds), run
    one after the other ``repeat`` times."""
    a, b = [], []
    for _ in range(repeat):
        a.append(ours())
        if theirs is not None:
            b.append(theirs())
    return statistics.median(a), (statistics.median(b) if b else None), a, b


def row(name, ours_s, base_s, target, want_ratio=None, limit_s=None, extra=""):
    ratio = base_s / ours_s if base_s else None
    held = []  # one truth per target the row is held to
    if want_ratio is not None:
        held.append(ratio is not None and ratio >= want_ratio)
    if limit_s is not None:
        held.append(ours_s <= limit_s)
    verdict = ("met" if all(held) else "NOT met") if held else "-"
    ROWS.append((name, f"{ours_s:.2f} s{extra}", f"{base_s:.2f} s" if base_s else "-",
                 f"{ratio:.2f}x" if ratio else "-", target, verdict))


def missing_tools(abis) -> list:
    missing = sorted({a.oracle[0] for a in abis if shutil.which(a.oracle[0]) is None})
    if shutil.which("pahole") is None:
        missing.append("pahole (Debian: dwarves)")
    return missing


def compile_and_pahole(compiler, flags, source: str, obj: str, pahole_args) -> str:
    """One ABI's compiler writes ``source``'s types as DWARF, every type it
    laid out (used or not), and pahole prints them: the compilers' way to
    the layouts layoutcheck shows.  pahole's output."""
    subprocess.run(list(compiler) + flags + ["-g", "-fno-eliminate-unused-debug-types", "-c",
                                             "-x", "c", "-o", obj, source],
                   check=True, capture_output=True)
    return subprocess.run(["pahole", *pahole_args, obj], check=True, capture_output=True,
                          text=True).stdout


def lc_cmd(*args) -> list:
    return [sys.executable, "-m", "layoutcheck", *args]


# ------------------------------------------------------------------- rows
def startup(repeat: int):
    small = os.path.join(ROOT, "tests", "data", "expectations.h")
    show = lc_cmd("show", small, "--struct", "bits", "--abi", "x86_64")
    t_show, t_py, _, _ = alternate(lambda: run(show)[0],
                                   lambda: run([sys.executable, "-c", "pass"])[0], repeat)
    t_help = statistics.median(run(lc_cmd("--help"))[0] for _ in range(repeat))
    ROWS.append(("start-up: show one struct, one ABI", f"{t_show:.2f} s", f"python: {t_py:.2f} s",
                 "-", "(measured)", "-"))
    ROWS.append(("start-up: --help", f"{t_help:.2f} s", "-", "-", "(measured)", "-"))


def page_row(repeat: int, quick: bool):
    from layoutcheck.abi import all_abis

    files = sorted(glob.glob(os.path.join(ROOT, "cdefs", "page", "*.h")))[: 2 if quick else None]
    abis = all_abis()
    cmd = lc_cmd("show", *files, "--abi", "all", "--format", "json")
    missing = missing_tools(abis)
    work = tempfile.mkdtemp(prefix="lc-bench-")

    printed = []

    def baseline():
        t0 = time.perf_counter()
        n = 0
        for f in files:
            for abi in abis:
                out = compile_and_pahole(abi.oracle, [], f, os.path.join(work, "p.o"), ["-C", "page"])
                n += "struct page {" in out
        printed.append(n)
        return time.perf_counter() - t0

    try:
        ours, base, _, _ = alternate(lambda: run(cmd)[0], None if missing else baseline, repeat)
        warm = warm_env(cmd)
        hot = statistics.median(run(cmd, env=warm)[0] for _ in range(repeat))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    name = f"struct page: {len(files)} files x {len(abis)} ABIs, show --format json"
    row(name + ", cold", ours, base, ">= 10x faster", want_ratio=10)
    row("  the same, warm cache", hot, base, ">= 10x faster", want_ratio=10)
    if missing:
        print(f"struct page baseline skipped: missing {', '.join(missing)}")
    else:
        print(f"struct page baseline: pahole printed struct page from {min(printed)} of "
              f"{len(files) * len(abis)} objects (it cannot read some ABIs' objects)")


def _uapi_unit(work: str) -> str:
    """The first 55 corpus headers every ABI reads, in one file."""
    from tests.corpus import corpus_paths, uapi_programs

    chosen = []
    for path in corpus_paths():
        _progs, failed = uapi_programs(path)
        if not failed:
            chosen.append(os.path.basename(path))
        if len(chosen) == 55:
            break
    unit = os.path.join(work, "uapi55.h")
    with open(unit, "w") as fh:
        fh.writelines(f"#include <linux/{name}>\n" for name in chosen)
    return unit


def uapi_row(repeat: int):
    from layoutcheck.abi import all_abis
    from tests.corpus import corpus_available, uapi_programs

    if not corpus_available():
        print("UAPI row skipped: linux-libc-dev and linux-libc-dev-*-cross are not all installed")
        return
    abis = all_abis()
    work = tempfile.mkdtemp(prefix="lc-bench-")
    try:
        unit = _uapi_unit(work)
        from tests.corpus import CROSS_DIR, NEEDS_I, cross_include_dirs

        size = 0
        progs, _ = uapi_programs(unit)
        for prog in progs:
            for group in prog.groups:
                if "x86_64" in [a.name for a in group.abis]:
                    size = len(group.text)
        # the same work: each ABI's GCC reads the header (preprocessing it
        # with its own asm/ headers), then pahole reads the object
        jobs = [(abi, ["-I", CROSS_DIR[abi.name]] if abi.name in NEEDS_I else []) for abi in abis]
        cmd = lc_cmd("show", unit, "--format", "json", "--project", "off",
                     *(f"--abi-include={name}={d}" for name, dirs in
                       cross_include_dirs([a.name for a in abis]).items() for d in dirs))
        peaks = []

        def ours(env=None):
            wall, _cpu, peak = run(cmd, **({"env": env} if env else {}))
            peaks.append(peak)
            return wall

        printed = []

        def baseline():
            t0 = time.perf_counter()
            records = 0
            for abi, flags in jobs:
                out = compile_and_pahole(abi.oracle, flags + ["-w"], unit, os.path.join(work, "u.o"), [])
                records += len(re.findall(r"^(?:struct|union) \S+ \{", out, re.M))
            printed.append(records)
            return time.perf_counter() - t0

        missing = missing_tools(abis)
        t_ours, t_base, _, _ = alternate(ours, None if missing else baseline, repeat)
        cold_peak = statistics.median(peaks)
        warm = warm_env(cmd)
        peaks.clear()
        t_hot = statistics.median(ours(warm) for _ in range(repeat))
        hot_peak = statistics.median(peaks)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    name = f"UAPI: 55 headers in one unit ({size // 1024} KB as x86_64 reads it) x {len(abis)} ABIs"
    for label, t, peak in ((name + ", cold", t_ours, cold_peak), ("  the same, warm cache", t_hot, hot_peak)):
        row(label, t, t_base, ">= 1.5x faster, <= 150 MiB", want_ratio=1.5, extra=f", {peak:.0f} MiB")
        if peak > 150:
            label, ours_text, base, ratio, target, _ = ROWS[-1]
            ROWS[-1] = (label, ours_text, base, ratio, target, "NOT met")
    if missing:
        print(f"UAPI baseline skipped: missing {', '.join(missing)}")
    else:
        print(f"UAPI baseline: pahole printed {min(printed)} structs and unions "
              f"from the {len(jobs)} objects")


# Where one process's time goes on each ABI's text of the UAPI unit (the
# 16 ABIs that need no -I): parsing (copies of declarations parsed in an
# earlier text, and the rest), building the declarations, laying out every
# struct and union, writing their JSON lines.  No cache, no second process.
PHASES_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from layoutcheck.cfront.builder import Builder
from layoutcheck.cfront.parser import gc_paused
from layoutcheck.engine import LayoutEngine
from layoutcheck.layouts import Layout
from tests.corpus import NEEDS_I, uapi_programs
from layoutcheck.abi import abi_names
from layoutcheck import workers
workers.keep_frozen()  # as the command line's process
progs, failed = uapi_programs({unit!r}, [a for a in abi_names() if a not in NEEDS_I])
assert not failed and len(progs) == 1, failed
out = []
for group in progs[0].groups:
    abi = group.abis[0]
    t0 = time.perf_counter()
    with gc_paused():
        ast = group.parsed()
    t1 = time.perf_counter()
    tu = Builder().build(ast)
    t2 = time.perf_counter()
    engine = LayoutEngine(abi)
    lays = [Layout(rec, engine) for rec in tu.tagged_records()]
    t3 = time.perf_counter()
    for lay in lays:
        lay.json_line()
    t4 = time.perf_counter()
    out.append([" ".join(a.name for a in group.abis), group.size(), len(lays),
                t1 - t0, t2 - t1, t3 - t2, t4 - t3])
print(json.dumps(out))
"""


def phases_row(repeat: int):
    """The UAPI unit's texts one by one in one process: the time of each
    phase per text (medians of ``repeat`` runs), printed after the table."""
    from tests.corpus import corpus_available

    if not corpus_available():
        print("phases skipped: linux-libc-dev and linux-libc-dev-*-cross are not all installed")
        return
    work = tempfile.mkdtemp(prefix="lc-bench-")
    try:
        unit = _uapi_unit(work)
        runs = []
        for _ in range(repeat):
            proc = subprocess.run([sys.executable, "-c", PHASES_CHILD.format(root=ROOT, unit=unit)],
                                  env=dict(os.environ, LAYOUTCHECK_CACHE_DIR="off"),
                                  capture_output=True, text=True, check=True)
            runs.append(json.loads(proc.stdout))
        floor = _uapi_floor(unit)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    PHASES.append("UAPI unit, one process, no cache: each ABI's text in turn (ms, medians of "
                  f"{repeat} runs)")
    PHASES.append(f"{'ABI':<10} {'KB':>5} {'records':>7} {'parse':>6} {'build':>6} {'lay out':>7} {'JSON':>6}")

    def cells(ms) -> str:  # parse, build, lay out, JSON under their headings
        return " ".join(f"{m:>{w}.0f}" for m, w in zip(ms, (6, 6, 7, 6), strict=True))

    per_text = []
    for i, first in enumerate(runs[0]):
        ms = [statistics.median(r[i][k] for r in runs) * 1000 for k in range(3, 7)]
        per_text.append(ms)
        PHASES.append(f"{first[0]:<10} {first[1] // 1024:>5} {first[2]:>7} " + cells(ms))
    later = per_text[1:]
    if later:
        ms = [statistics.median(t[k] for t in later) for k in range(4)]
        PHASES.append(f"{'later ones':<10} {'':>5} {'':>7} " + cells(ms)
                      + "  (median of the texts after the first)")
    gcc_cpu, split_cpu, turn_cpu, texts = floor
    PHASES.append(f"what any reading of the {texts} texts needs: their gcc -E runs {gcc_cpu:.2f} CPU-s; "
                  f"splitting them into declarations {split_cpu:.2f} CPU-s each on its own "
                  f"({split_cpu / texts * 1000:.0f} ms each), {turn_cpu:.2f} CPU-s in turn, "
                  f"a stretch between line markers split in an earlier text taken from there")


def _uapi_floor(unit: str) -> tuple:
    """(CPU seconds of every ABI's gcc -E of the unit, with the flags
    layoutcheck gives it; CPU seconds of splitting those texts into
    declarations, scan.split, the cheapest pass over a text, each on its
    own, then in turn with stretches taken from earlier texts; texts)."""
    import resource

    from layoutcheck.abi import all_abis
    from layoutcheck.cfront import scan
    from layoutcheck.cfront.preprocess import PPConfig, compile_flags, preprocessor_command
    from tests.corpus import cross_include_dirs

    gcc_cpu, texts = 0.0, []
    for abi in all_abis():
        config = PPConfig.make(abi_include_dirs=cross_include_dirs([abi.name]))
        prefix, _native = preprocessor_command(abi, config)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        texts.append(subprocess.run(prefix + ["-x", "c"] + compile_flags(abi, config, {}) + [unit],
                                    capture_output=True, text=True, check=True).stdout)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        gcc_cpu += after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    started = time.process_time()
    for text in texts:
        scan.split(text)
    alone = time.process_time() - started
    # in turn, as the parser's scan of texts read together splits them: a
    # stretch between line markers split in an earlier text is taken
    scan._SEGMENTS.clear()
    started = time.process_time()
    for text in texts:
        scan.Splitter(memo=True).run(text, len(text), True)
    return gcc_cpu, alone, time.process_time() - started, len(texts)


def precommit_rows(name: str, cmd, repeat: int) -> None:
    """A pre-commit case cold and warm: medians of wall and CPU time,
    against 0.3 s of wall time."""
    warm = warm_env(cmd)
    for label, env in (("cold", None), ("warm cache", warm)):
        runs = [run(cmd, **({"env": env} if env else {})) for _ in range(repeat)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        row(f"{name}, {label}", wall, None, "<= 0.3 s wall", limit_s=0.3,
            extra=f" wall, {cpu:.2f} s CPU")


def precommit_row(repeat: int):
    precommit_rows("pre-commit: check cdefs/page/v4.20.h (10 configs x 18 ABIs)",
                   lc_cmd("check", os.path.join(ROOT, "cdefs", "page", "v4.20.h")), repeat)


def precommit_kernel_row(repeat: int):
    """``check`` of mm_types.h in a configured kernel tree (its own config,
    its ABI) with the struct page rules of cdefs/page: the pre-commit case
    on a real tree rather than on a cdef."""
    from layoutcheck.oracle.kbuild import find_kernel_tree

    tree = find_kernel_tree("amd64")
    if tree is None:
        print("kernel pre-commit row skipped: run tools/fetch_kernel_trees.py")
        return
    precommit_rows("pre-commit on a kernel tree (amd64): check --kernel linux/mm_types.h",
                   lc_cmd("check", "--kernel", tree, "linux/mm_types.h",
                          "--rules", os.path.join(ROOT, "cdefs", "page", "layoutcheck.toml")),
                   repeat)


def hook_row(repeat: int):
    """The pre-commit hook on examples/pre-commit (one header, 4 configs x
    18 ABIs, with the diff against HEAD), after the commit that breaks
    pgmap: what a developer waits for before the commit is refused."""
    work = tempfile.mkdtemp(prefix="lc-bench-hook-")
    try:
        repo = os.path.join(work, "repo")
        shutil.copytree(os.path.join(ROOT, "examples", "pre-commit"), repo)
        env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@example.org",
                   GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@example.org")
        for argv in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "v4.20"]):
            subprocess.run(argv, cwd=repo, env=env, check=True, capture_output=True)
        header = os.path.join(repo, "include", "linux", "mm_types.h")
        with open(header) as fh:
            text = fh.read()
        with open(header, "w") as fh:
            fh.write(text.replace("struct dev_pagemap *pgmap;", "unsigned long pgmap;"))
        # staged, as in a commit (the hook refuses unstaged changes it reads)
        subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True, capture_output=True)
        cmd = lc_cmd("hook", "include/linux/mm_types.h")
        said = subprocess.run(cmd, cwd=repo, env=cold_env(), capture_output=True, text=True)
        if said.returncode != 1 or "FAIL page-tail-bit" not in said.stdout or "since HEAD" not in said.stdout:
            raise SystemExit(f"the hook row's command did not refuse the commit for its rule and "
                             f"diff: {said.stdout[-500:]} {said.stderr[-500:]}")
        cold = [run(cmd, cwd=repo)[0] for _ in range(repeat)]
        warm_cache = warm_env(cmd, cwd=repo)
        warm = [run(cmd, cwd=repo, env=warm_cache)[0] for _ in range(repeat)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    row("pre-commit hook: examples/pre-commit, one header refused (4 configs x 18 ABIs + diff), cold",
        statistics.median(cold), None, "< 1 s wall", limit_s=1.0)
    row("  the same, warm cache", statistics.median(warm), None, "< 1 s wall", limit_s=1.0)


def kernel_row(repeat: int):
    """`show --kernel` of six big headers on the amd64 tree against one
    kbuild build of the same headers as a module (then pahole on it)."""
    from layoutcheck.oracle.kbuild import build_module, find_kernel_tree

    tree = find_kernel_tree("amd64")
    if tree is None:
        print("kernel row skipped: run tools/fetch_kernel_trees.py")
        return
    cmd = lc_cmd("show", "--kernel", tree, *KERNEL_HEADERS, "--format", "json")
    pahole = shutil.which("pahole")
    with_pahole = []

    def kbuild():
        work = tempfile.mkdtemp(prefix="lc-bench-kbuild-")
        try:
            t0 = time.perf_counter()
            obj = build_module(tree, KERNEL_HEADERS, workdir=work)
            built = time.perf_counter() - t0
            if pahole:
                subprocess.run([pahole, obj], check=True, capture_output=True)
                with_pahole.append(time.perf_counter() - t0)
            return built
        finally:
            shutil.rmtree(work, ignore_errors=True)

    warm = warm_env(cmd)
    hot = []
    ours, base, _, _ = alternate(lambda: run(cmd)[0], kbuild, max(repeat, 5))
    hot, _, _, _ = alternate(lambda: run(cmd, env=warm)[0], None, max(repeat, 5))
    row("kernel tree (amd64), six headers: show --kernel --format json, cold", ours, base,
        "faster than one module build", want_ratio=1.0)
    if with_pahole:
        row("  the same against module build + pahole", ours, statistics.median(with_pahole),
            "faster (issue 11's baseline)", want_ratio=1.0)
    row("  the same, warm cache", hot, base, ">= 10x faster", want_ratio=10)


def print_table():
    head = ("work", "layoutcheck", "compilers, same work", "ratio", "target", "")
    table = [head] + ROWS
    widths = [max(len(str(r[i])) for r in table) for i in range(len(head))]
    for n, r in enumerate(table):
        print(" | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if n == 0:
            print("-+-".join("-" * w for w in widths))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer files and runs")
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure (medians)")
    ap.add_argument("--only", choices=["startup", "page", "uapi", "precommit", "precommit-kernel",
                                       "hook", "kernel", "phases"],
                    action="append", help="measure only these rows (phases: where one process's "
                                          "time goes on each text of the UAPI row; not run by default)")
    args = ap.parse_args()
    repeat = 2 if args.quick else args.repeat
    todo = args.only or ["startup", "page", "uapi", "precommit", "precommit-kernel", "hook", "kernel"]
    # Byte-compiled first, as an installed package is: with bytecode writing
    # off (PYTHONDONTWRITEBYTECODE), every process would compile it again.
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(ROOT, "layoutcheck")],
                   check=True)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; medians of {repeat} runs")
    # what GCC says about its search path, for the "cold" runs to start
    # from: asked by every ABI's GCC reading a header that includes one of
    # the compiler's (a header layoutcheck reads without GCC asks nothing)
    from layoutcheck.abi import all_abis

    facts = os.path.join(WORK, "facts")
    seed = os.path.join(WORK, "seed.h")
    with open(seed, "w") as fh:
        fh.write("#include <stddef.h>\nstruct seed { size_t n; };\n")
    subprocess.run(lc_cmd("show", seed, "--abi", "all", "--struct", "seed"), env=cache_env(facts),
                   check=True, capture_output=True)
    try:
        with open(os.path.join(facts, FACTS)) as fh:
            asked = len(json.load(fh))
    except (OSError, ValueError):
        asked = 0
    every = len(all_abis())
    if asked < every:
        print(f"note: the search path of {asked} of {every} ABIs' GCCs is known before the cold "
              f"runs (the others' compilers are missing); they ask the rest each time")
    for name, fn in (("startup", lambda: startup(repeat)), ("page", lambda: page_row(repeat, args.quick)),
                     ("uapi", lambda: uapi_row(repeat)), ("precommit", lambda: precommit_row(repeat)),
                     ("precommit-kernel", lambda: precommit_kernel_row(repeat)),
                     ("hook", lambda: hook_row(repeat)),
                     ("kernel", lambda: kernel_row(repeat)),
                     ("phases", lambda: phases_row(repeat))):
        if name in todo:
            fn()
    shutil.rmtree(WORK, ignore_errors=True)
    if ROWS:
        print_table()
    if PHASES:
        print("\n".join(PHASES))


if __name__ == "__main__":
    main()
