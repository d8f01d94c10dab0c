"""A matrix read on two cores (``workers.in_two``) gives what one process
gives: the same verdicts and layouts, in the same order, the same first
error and exit status."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import textwrap
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = sorted(glob.glob(os.path.join(ROOT, "cdefs", "page", "*.h")))

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or (os.cpu_count() or 1) < 2,
                                reason="forking needs fork() and two cores")


def _script(body: str) -> subprocess.CompletedProcess:
    """``body`` in a fresh interpreter: one thread, as the command line is."""
    code = "import os, sys\nsys.path.insert(0, %r)\n" % ROOT + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_the_second_half_is_computed_in_a_child_and_comes_back_in_order():
    proc = _script("""
        from layoutcheck import workers
        workers.enable()
        out = workers.in_two(lambda part: [(x * x, os.getpid()) for x in part], range(7))
        assert [v for v, _ in out] == [x * x for x in range(7)], out
        pids = [p for _, p in out]
        # the odd item goes to the child (this process writes the output)
        assert pids[:3] == [os.getpid()] * 3 and len(set(pids[3:])) == 1 and pids[3] != os.getpid()
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_work_done_ahead_of_the_fork_is_the_childs_too():
    """``ahead`` runs here, on the first half, before the child is forked:
    what it leaves the child finds; without a child it is not called."""
    proc = _script("""
        from layoutcheck import workers
        done = []
        def ahead(part):
            done.append((list(part), os.getpid()))
        work = lambda part: iter([(x, len(done), os.getpid()) for x in part])
        workers.enable()
        out = list(workers.in_two_stream(work, range(5), ahead))
        assert done == [([0, 1], os.getpid())], done
        assert [x for x, _, _ in out] == list(range(5)), out
        # the child's half (3 items, another process) saw the work done
        assert [n for _, n, pid in out if pid != os.getpid()] == [1, 1, 1], out
        workers.enable(False)
        done.clear()
        assert [x for x, _, _ in workers.in_two_stream(work, range(5), ahead)] == list(range(5))
        assert done == [], done
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_a_big_header_is_read_ahead_unless_its_layouts_are_kept(tmp_path, monkeypatch):
    """``Program.read_ahead``: the first ABI's text is parsed now when the
    layout cache does not hold what it gives (cold), and not read when it
    does (warm: it is never parsed at all)."""
    from layoutcheck import api

    monkeypatch.setenv("LAYOUTCHECK_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "src").mkdir()
    header = tmp_path / "src" / "h.h"
    header.write_text("struct s { long a; char b; };\nstruct t { struct s x[3]; };\n")

    def program():
        return api.Program(str(header), abis=["x86_64", "i386", "s390x"], session=api.Session())

    cold = program()
    first_half = cold.abis[:1]
    cold.read_ahead(first_half)
    assert cold.session.has_unit(cold.groups[0])
    lines = [lay.json_text for lay in cold.stored_layouts(first_half)]
    assert lines and all('"abi": "x86_64"' in line for line in lines)
    warm = program()
    warm.read_ahead(first_half)
    assert not warm.session.has_unit(warm.groups[0])
    assert [lay.json_text for lay in warm.stored_layouts(first_half)] == lines
    assert not warm.session.has_unit(warm.groups[0])  # taken from the cache
    # another batch of ABIs is another entry: read ahead
    other = program()
    other.read_ahead(other.abis[:2])
    assert other.session.has_unit(other.groups[0])


def test_an_error_in_the_childs_half_is_raised_with_its_location():
    proc = _script("""
        from layoutcheck import workers
        from layoutcheck.errors import LayoutError
        workers.enable()

        def work(part):
            for x in part:
                if x == 5:
                    raise LayoutError("five is refused", "h.h:5:1")
            return part

        try:
            workers.in_two(work, range(6))
        except LayoutError as exc:
            print(exc.where, exc.message)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "h.h:5:1 five is refused"


def test_the_parents_error_comes_first_and_the_child_is_stopped():
    proc = _script("""
        import time
        from layoutcheck import workers
        from layoutcheck.errors import LayoutError
        workers.enable()

        def work(part):
            if 0 in part:
                raise LayoutError("zero is refused")
            time.sleep(30)  # the child: stopped, not waited for
            return part

        start = time.time()
        try:
            workers.in_two(work, range(4))
        except LayoutError as exc:
            print(exc.message, time.time() - start < 20)  # (waiting for it: 30 s)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "zero is refused True"


def test_a_crash_in_the_child_is_an_error_naming_the_way_out():
    proc = _script("""
        from layoutcheck import workers
        from layoutcheck.errors import LayoutError
        workers.enable()

        def work(part):
            if 3 in part:
                raise ValueError("bug")
            return part

        try:
            workers.in_two(work, range(4))
        except LayoutError as exc:
            print(exc)
    """)
    assert proc.returncode == 0, proc.stderr
    assert "ValueError: bug" in proc.stdout and "LAYOUTCHECK_JOBS=1" in proc.stdout


def test_a_library_call_stays_in_its_process():
    proc = _script("""
        from layoutcheck import workers
        out = workers.in_two(lambda part: [os.getpid() for _ in part], range(4))
        assert set(out) == {os.getpid()}, out
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr


def _cli(args, jobs, cwd=ROOT, **env_extra):
    """The command in one process (``jobs`` "1") or two, with a cache
    directory of its own unless one is given: a run compared with another
    never reads what the other kept."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="lc-workers-") as cache:
        env = dict(os.environ, **{"LAYOUTCHECK_CACHE_DIR": cache, **env_extra})
        env.pop("LAYOUTCHECK_JOBS", None)
        if jobs:
            env["LAYOUTCHECK_JOBS"] = jobs
        return subprocess.run([sys.executable, "-m", "layoutcheck", *args], capture_output=True,
                              text=True, env=env, cwd=cwd, timeout=300)


def _same(a: str, b: str) -> bool:
    """a == b; else says where they part (a diff of megabytes takes pytest
    minutes)."""
    if a == b:
        return True
    one, two = a.splitlines(), b.splitlines()
    at = next((i for i, (x, y) in enumerate(zip(one, two, strict=False)) if x != y), min(len(one), len(two)))
    print(f"they part at line {at + 1} of {len(one)} and {len(two)}:\n{one[at:at + 1]}\n{two[at:at + 1]}")
    return False


@pytest.mark.parametrize("header", ["v4.20.h", "zd-swap.h", "lru-dma-pinned.h"])
def test_check_gives_the_same_verdicts_on_two_cores(header):
    path = os.path.join(ROOT, "cdefs", "page", header)
    for fmt in ("text", "json"):
        two, one = _cli(["check", path, "--format", fmt], None), _cli(["check", path, "--format", fmt], "1")
        assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)
    assert two.returncode in (0, 1)


def test_check_stops_at_the_same_config_error(tmp_path):
    (tmp_path / "h.h").write_text('#ifdef CONFIG_D\n#error "config D is refused"\n#endif\n'
                                  "struct s { long a; char b; };\n")
    (tmp_path / "layoutcheck.toml").write_text(
        'struct = "s"\n[matrix]\nvary = ["CONFIG_A", "CONFIG_B"]\nextra = [["CONFIG_D"]]\n'
        '[[rule]]\nname = "small"\nkind = "size"\nmax = 16\n')
    two, one = _cli(["check", "h.h"], None, cwd=tmp_path), _cli(["check", "h.h"], "1", cwd=tmp_path)
    assert two.returncode == one.returncode == 2
    assert two.stderr == one.stderr
    assert 'h.h:2:2: #error "config D is refused"' in two.stderr


def test_show_json_of_many_headers_is_the_same_on_two_cores():
    args = ["show", *PAGE, "--abi", "all", "--format", "json"]
    two, one = _cli(args, None), _cli(args, "1")
    assert two.returncode == one.returncode == 0
    assert _same(two.stdout, one.stdout)
    assert two.stdout.count('"abi": ') >= 18 * len(PAGE)


def test_show_json_of_one_big_header_splits_its_abis(tmp_path):
    """UAPI headers whose texts pass workers.BIG_TEXT: half of the ABIs are
    laid out by the child, and the JSON is what one process writes."""
    header = tmp_path / "big.h"
    header.write_text("".join(f"#include <linux/{name}>\n" for name in
                              ("bpf.h", "perf_event.h", "ethtool.h", "if_link.h")))
    abis = "x86_64,aarch64,ppc64le,s390x"
    proc = _script(f"""
        import io, contextlib
        from layoutcheck import workers, cli
        workers.enable()
        calls = []
        real = workers.in_two_stream
        def spy(work, items, *rest):
            calls.append(list(items))
            return real(work, items, *rest)
        workers.in_two_stream = spy
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = cli.main(["show", {str(header)!r}, "--abi", {abis!r}, "--format", "json"])
        assert code == 0
        assert [[a.name for a in c] for c in calls] == [{abis.split(",")!r}], calls
        sys.stdout.write(out.getvalue())
    """)
    assert proc.returncode == 0, proc.stderr
    one = _cli(["show", str(header), "--abi", abis, "--format", "json"], "1")
    assert one.returncode == 0
    assert _same(proc.stdout, one.stdout)
    assert proc.stdout.count('"abi": "s390x"') > 100


def test_show_json_of_one_header_for_every_abi_is_the_same_on_two_cores():
    args = ["show", os.path.join(ROOT, "cdefs", "page", "v4.20.h"), "--abi", "all", "--format", "json"]
    two, one = _cli(args, None), _cli(args, "1")
    assert two.returncode == one.returncode == 0
    assert _same(two.stdout, one.stdout)
    abis = [line.split('"abi": "')[1].split('"')[0] for line in two.stdout.splitlines()
            if '"abi": "' in line]
    assert len(set(abis)) == 18


def _both(args, cwd):
    return _cli(args, None, cwd=cwd), _cli(args, "1", cwd=cwd)


def test_show_stops_where_one_process_stops(tmp_path):
    """A layout error in the later header: the earlier header's JSON, then
    the error; a preprocessing error anywhere comes before any layout
    error, as when one process reads every header first."""
    (tmp_path / "ok.h").write_text("struct ok { long a; char b; };\n")
    (tmp_path / "bad.h").write_text("struct bad { char c[sizeof(int) - 8]; };\n")
    (tmp_path / "missing.h").write_text('#include "nonexistent.h"\nstruct m { int a; };\n')
    for args in (["ok.h", "bad.h"], ["bad.h", "missing.h"], ["ok.h", "ok.h", "bad.h", "ok.h"]):
        two, one = _both(["show", "--format", "json", *args], tmp_path)
        assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)
        assert two.returncode == 2
    two, _ = _both(["show", "--format", "json", "bad.h", "missing.h"], tmp_path)
    assert "nonexistent.h" in two.stderr and "too large" not in two.stderr
    two, _ = _both(["show", "--format", "json", "ok.h", "bad.h"], tmp_path)
    assert two.stdout.startswith('{"layouts": [') and '"name": "ok"' in two.stdout


def test_input_nested_too_deeply_in_the_childs_half_says_what_one_process_says(tmp_path):
    chain = "".join(f"typedef t{i} t{i + 1};\n" for i in range(21000))
    (tmp_path / "r.h").write_text("typedef int t0;\n#ifdef DEEP\n" + chain +
                                  "struct s { t21000 a; };\n#else\nstruct s { int a; };\n#endif\n")
    (tmp_path / "layoutcheck.toml").write_text(
        'struct = "s"\n[matrix]\nvary = ["DEEP"]\n'
        '[[rule]]\nname = "small"\nkind = "size"\nmax = 16\n')
    two, one = _both(["check", "r.h"], tmp_path)
    assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)


def test_notes_and_reading_errors_keep_one_process_order(tmp_path):
    """A rules file discovery refuses (writable by others) is a note on
    stderr; notes and reading errors of the later half (the child's) come
    after the earlier half's notes and before any layout."""
    for name in ("a", "b", "c", "d"):
        (tmp_path / f"{name}.h").write_text(f"struct {name} {{ long x; char y; }};\n")
    for name in ("b", "d"):
        rules = tmp_path / f"{name}.rules.toml"
        rules.write_text(f'struct = "{name}"\n')
        os.chmod(rules, 0o666)
    (tmp_path / "bad.h").write_text("struct bad { char c[sizeof(int) - 8]; };\n")
    (tmp_path / "missing.h").write_text('#include "nonexistent.h"\n')
    for args in (["a.h", "b.h", "c.h", "d.h"], ["b.h", "bad.h", "d.h", "missing.h"],
                 ["bad.h", "b.h", "c.h", "d.h"]):
        two, one = _both(["show", "--format", "json", *args], tmp_path)
        assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)
    two, _ = _both(["show", "--format", "json", "a.h", "b.h", "c.h", "d.h"], tmp_path)
    assert two.returncode == 0
    assert [line.split(":")[1].strip() for line in two.stderr.splitlines()] == ["b.h", "d.h"]


def test_a_child_that_dies_without_a_word_is_an_error_not_a_traceback():
    proc = _script("""
        from layoutcheck import workers
        from layoutcheck.errors import LayoutError
        workers.enable()

        def work(part):
            for x in part:
                if x == 3:
                    os.kill(os.getpid(), 9)
                yield x

        try:
            list(workers.in_two_stream(work, range(4)))
        except LayoutError as exc:
            print(exc)
    """)
    assert proc.returncode == 0, proc.stderr
    assert "no answer (exit status -9)" in proc.stdout


def test_a_warm_show_of_a_big_header_splits_as_the_cold_one_did(tmp_path):
    """Whether show splits a header's ABIs between two processes follows
    the size of its texts, known also when they come from the cache: the
    warm run splits as the cold one did and finds each half's layout
    cache entry (no new entry), with the same output."""
    (tmp_path / "src").mkdir()  # not where the cache is made
    header = tmp_path / "src" / "big.h"  # one text for every ABI, read by the preprocessor
    header.write_text("#define N 4\n" + "".join(f"struct s{i} {{ int a[N]; long b; char c; }};\n"
                                                 for i in range(6000)))
    time.sleep(0.05)  # older than a run that reads it: its preprocessing is kept
    args = ["show", str(header), "--abi", "x86_64,i386,aarch64,s390x", "--format", "json"]
    cold = _cli(args, None, LAYOUTCHECK_CACHE_DIR=str(tmp_path / "cache"))
    assert cold.returncode == 0, cold.stderr
    entries = sorted(os.listdir(tmp_path / "cache" / "layouts"))
    warm = _cli(args, None, LAYOUTCHECK_CACHE_DIR=str(tmp_path / "cache"))
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout == cold.stdout
    assert sorted(os.listdir(tmp_path / "cache" / "layouts")) == entries


def _big_header(path, middle: str = "") -> None:
    """Past workers.BIG_TEXT for one ABI: 6000 structs, ``middle`` among them."""
    lines = [f"struct s{i} {{ int a[N]; long b; char c; }};\n" for i in range(6000)]
    lines.insert(3000, middle)
    path.write_text("#define N 4\n" + "".join(lines))


def test_show_json_of_one_big_text_for_one_abi_splits_its_records(tmp_path):
    """One ABI's big text (a kernel tree's headers): the later half of its
    records is laid out and written by the child, and the JSON is what
    one process writes."""
    header = tmp_path / "big.h"
    _big_header(header)
    proc = _script(f"""
        import io, contextlib
        from layoutcheck import workers, cli
        workers.enable()
        calls = []
        real = workers.in_two_phased
        def spy(read, write, items, note, *rest):
            calls.append(len(items))
            return real(read, write, items, note, *rest)
        workers.in_two_phased = spy
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = cli.main(["show", {str(header)!r}, "--abi", "i386", "--format", "json"])
        assert code == 0
        assert calls == [1, 6000], calls  # the one ABI, then its records
        sys.stdout.write(out.getvalue())
    """)
    assert proc.returncode == 0, proc.stderr
    one = _cli(["show", str(header), "--abi", "i386", "--format", "json"], "1")
    assert one.returncode == 0
    assert _same(proc.stdout, one.stdout)
    assert proc.stdout.count('"abi": "i386"') == 6000


def test_a_big_text_split_by_records_stops_where_one_process_stops(tmp_path):
    """Every record is laid out before any is written: a layout error in
    the child's half comes before a writing error (a member too big to
    list) in the parent's half, with or without the split."""
    too_big = "struct huge { char c[1 << 27]; };\n"
    bad = "struct bad { char c[sizeof(int) - 8]; };\n"
    cases = {"layout error in the child's half": (too_big, bad, 4500, "big.h:4503:19: size of array"),
             "writing error in the child's half": ("", too_big, 4500, "big.h:4502:20: member 'c' of"),
             "layout error in the parent's half": (bad, "", 10, "big.h:1001:19: size of array")}
    for name, (early, late, where, said) in cases.items():
        lines = [f"struct s{i} {{ int a[N]; long b; char c; }};\n" for i in range(6000)]
        lines.insert(where, late)
        lines.insert(1000, early)
        (tmp_path / "big.h").write_text("#define N 4\n" + "".join(lines))
        two, one = _both(["show", "big.h", "--abi", "x86_64", "--format", "json"], tmp_path)
        assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr), name
        assert two.returncode == 2, name
        assert said in two.stderr, (name, two.stderr)


def test_no_second_child_while_one_works():
    """Two cores, two processes: while a child works, neither the parent
    nor the child forks again (a big text's records are then laid out
    where its ABIs were sent)."""
    proc = _script("""
        from layoutcheck import workers
        workers.enable()
        assert workers.can_fork(4)
        out = workers.in_two(lambda part: [(os.getpid(), workers.can_fork(4)) for _ in part], range(4))
        assert len({pid for pid, _ in out}) == 2, out
        assert [can for _, can in out] == [False] * 4, out
        assert workers.can_fork(4)
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_a_big_lone_texts_cache_entry_is_written_aside_and_follows_edits(tmp_path):
    """The preprocessor cache entry of one ABI's big text is written by a
    second process while the first builds the declarations; the command
    returns once it is written, and the entry is used again only while
    the header it read is unchanged."""
    (tmp_path / "src").mkdir()
    header = tmp_path / "src" / "big.h"
    _big_header(header)
    time.sleep(0.05)  # older than the run that reads it: its preprocessing is kept
    cache_dir = tmp_path / "cache"
    log = tmp_path / "writers.txt"
    script = f"""
        import io, contextlib
        os.environ["LAYOUTCHECK_CACHE_DIR"] = {str(cache_dir)!r}
        from layoutcheck import cache, workers, cli
        workers.enable()
        real = cache.write_checked
        def spy(kind, key, lines):
            with open({str(log)!r}, "a") as fh:
                fh.write(f"{{kind}} {{os.getpid()}}\\n")
            return real(kind, key, lines)
        cache.write_checked = spy
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = cli.main(["show", {str(header)!r}, "--abi", "i386", "--format", "json",
                             "--cpp", "system"])
        assert code == 0
        print(os.getpid(), len(os.listdir({str(cache_dir / "pp")!r})), out.getvalue().count('"size": 24'))
    """
    proc = _script(script)
    assert proc.returncode == 0, proc.stderr
    pid, entries, sized = proc.stdout.split()
    assert (entries, sized) == ("1", "6000")
    writers = [line.split() for line in log.read_text().splitlines()]
    assert [w for w in writers if w[0] == "pp"] and all(p != pid for k, p in writers if k == "pp"), writers
    assert any(k == "layouts" and p == pid for k, p in writers), writers
    header.write_text(header.read_text().replace("#define N 4", "#define N 8"))
    again = _cli(["show", str(header), "--abi", "i386", "--format", "json", "--cpp", "system"], None,
                 LAYOUTCHECK_CACHE_DIR=str(cache_dir))
    assert again.returncode == 0, again.stderr
    assert again.stdout.count('"size": 40') == 6000


def test_a_record_split_that_runs_out_of_frames_in_the_child_is_done_here(tmp_path):
    """3,200 structs, each sized by the one before: one process lays them
    out in order, one level deeper each time; a child starting at the
    middle would recurse through 1,600 at once and run out of frames.  The
    parent then lays out the child's half itself: the output one process
    writes, not an error."""
    pad = "p" * 84
    (tmp_path / "chain.h").write_text("struct c0 { int x; };\n" + "".join(
        f"struct c{i} {{ char {pad}[sizeof(struct c{i - 1}) / 4096 + 1]; int x; }};\n"
        for i in range(1, 3200)))
    two, one = _both(["show", "chain.h", "--abi", "x86_64", "--format", "json"], tmp_path)
    assert (two.returncode, two.stderr) == (one.returncode, one.stderr) == (0, "")
    assert _same(two.stdout, one.stdout)
    assert two.stdout.count('"name": "c') == 3200


def test_threaded_keeps_item_order_and_raises_the_first_error_in_item_order():
    from layoutcheck.workers import threaded

    def slow_square(n):
        time.sleep(0.02 if n % 2 else 0.0)  # later items finish first
        if n in (3, 5):
            raise ValueError(f"item {n}")
        return n * n

    assert list(threaded(slow_square, [0, 1, 2])) == [0, 1, 4]
    got = []
    with pytest.raises(ValueError, match="item 3"):
        for value in threaded(slow_square, range(8)):
            got.append(value)
    assert got == [0, 1, 4]


def test_threaded_starts_nothing_more_once_the_caller_stops():
    import threading

    from layoutcheck.workers import threaded

    started = []
    lock = threading.Lock()

    def work(n):
        with lock:
            started.append(n)
        time.sleep(0.01)
        return n

    results = threaded(work, range(50))
    assert next(results) == 0
    results.close()  # waits for the calls running
    count = len(started)
    time.sleep(0.05)
    assert len(started) == count < 50


def test_the_second_half_does_not_wait_for_an_aside_child(tmp_path):
    """in_two forks its second half while an aside child still writes
    (its core would idle meanwhile); the command's finish waits for it."""
    done = tmp_path / "written"
    proc = _script(f"""
        import time
        from layoutcheck import workers
        workers.enable()
        done = {str(done)!r}
        assert workers.aside(lambda: (time.sleep(1.0), open(done, "w").close()))
        seen = workers.in_two(lambda part: [os.path.exists(done) for _ in part], range(4))
        print(seen)
        workers.finish()
        print(os.path.exists(done), workers._ASIDE)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["[False, False, False, False]", "True []"]


def test_one_aside_child_at_a_time():
    """While an aside child works, the next aside work is done by the
    caller; once it is done (reaped), a new child is forked."""
    proc = _script("""
        import time
        from layoutcheck import workers
        workers.enable()
        print(workers.aside(lambda: time.sleep(0.3)))
        print(workers.aside(lambda: None))  # the first still works
        time.sleep(0.6)
        print(workers.aside(lambda: None))  # the first is done: reaped
        workers.finish()
        print(workers._ASIDE)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:4] == ["True", "False", "True", "[]"]
