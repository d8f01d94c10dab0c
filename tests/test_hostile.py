"""Every bad input a clear error: the hostile corpus of tests/hostile_cases.py
run as a user runs it, each under a memory and a time limit; the library's
bad arguments; and a fuzzer over mutated headers and rules files."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import layoutcheck as lc

from .conftest import CDEFS
from .hostile_cases import CASES

MEMORY_LIMIT = 3 << 30  # bytes of address space per case
TIME_LIMIT = 90  # seconds per case


def _limits():  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 60
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("cid, files, argv, status, fragment, where", CASES, ids=[c[0] for c in CASES])
def test_a_hostile_input_is_one_clear_error(tmp_path, cid, files, argv, status, fragment, where):
    for name, text in files.items():
        (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    args = [a.replace("{d}", str(tmp_path)) for a in argv]
    env = dict(os.environ, LAYOUTCHECK_CACHE_DIR=str(tmp_path / ".cache"))
    proc = subprocess.run([sys.executable, "-m", "layoutcheck"] + args, cwd=tmp_path, env=env,
                          capture_output=True, text=True, errors="replace", timeout=TIME_LIMIT,
                          stdin=subprocess.DEVNULL, preexec_fn=_limits)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == status, (proc.returncode, proc.stderr[-500:], proc.stdout[-500:])
    assert fragment in proc.stderr + proc.stdout
    if status == 2:
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("layoutcheck: "), lines
        if where:
            assert lines[0].startswith(f"layoutcheck: {where}") or f" {where}" in lines[0] or \
                f"/{where}" in lines[0], lines[0]


V420 = os.path.join(CDEFS, "page", "v4.20.h")
TEXT = "struct s { int a; };"


@pytest.mark.parametrize("call", [
    lambda: lc.load(None),
    lambda: lc.load(5),
    lambda: lc.load(TEXT, 5),
    lambda: lc.load(TEXT, ["vax"]),
    lambda: lc.load(TEXT, [5]),
    lambda: lc.load(TEXT, defines=["A"]),
    lambda: lc.load(TEXT, defines={"1A": 1}),
    lambda: lc.load(TEXT, undefs=5),
    lambda: lc.load(TEXT, include_dirs=5),
    lambda: lc.load(TEXT, cpp="gcc"),
    lambda: lc.load(TEXT, ["x86_64"]).layout(None),
    lambda: lc.load(TEXT, ["x86_64"]).layout(5),
    lambda: lc.load(TEXT, ["x86_64"]).layout("t"),
    lambda: lc.load(TEXT, ["x86_64"]).layout("s", "i386"),
    lambda: lc.load(TEXT, ["x86_64"]).layout("s", 5),
    lambda: lc.layout(TEXT, "s", "vax"),
    lambda: lc.layout(None, "s"),
    lambda: lc.check(5),
    lambda: lc.check([5]),
    lambda: lc.diff(5, 6),
    lambda: lc.diff(V420, V420, structs=5),
    lambda: lc.verify(5),
    lambda: lc.bit_budgets(5),
    lambda: lc.bit_budgets(V420, word="page.mapping"),
    lambda: lc.get_abi(None),
    lambda: lc.get_abi(5),
    lambda: lc.Options.make(abis=object()),
    lambda: lc.load("/nonexistent.h"),
    lambda: lc.load(CDEFS),
], ids=lambda f: "")
def test_a_bad_library_argument_is_a_layout_error(call):
    with pytest.raises(lc.LayoutError):
        call()


def test_abis_all_as_a_string():
    assert len(lc.load(TEXT, "all").abis) == 18


# ---------------------------------------------------------------- fuzzing
with open(V420) as _fh:
    SEED_HEADER = _fh.read()
SEED_RULES = ('struct = "page"\n[[rule]]\nname = "r"\nkind = "offset"\nmember = "flags"\nexpect = 0\n'
              '[matrix]\nvary = ["CONFIG_MEMCG"]\n')


def _mutate(text: str, edits) -> str:
    for pos, length, insert in edits:
        at = pos % (len(text) + 1)
        text = text[:at] + insert + text[at + length:]
    return text


EDITS = st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(0, 12),
                           st.sampled_from(["", "{", "}", ";", "(", ")", "[", "]", "*", ":", "0",
                                            "-1", "#if 1\n", "\n", "struct x", "union {", "int",
                                            "__attribute__((aligned(", "#define page 1\n", "\"",
                                            "/*", "[[", "=", "]]", "\xff", "9" * 30])),
                 min_size=1, max_size=6)


@settings(max_examples=int(os.environ.get("LAYOUTCHECK_FUZZ_EXAMPLES", "40")), deadline=None,
          derandomize=os.environ.get("LAYOUTCHECK_FUZZ_RANDOM") != "1",
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(header_edits=EDITS, rules_edits=EDITS, mutate_rules=st.booleans())
def test_fuzzed_headers_and_rules_never_crash(tmp_path_factory, header_edits, rules_edits, mutate_rules):
    """Never a traceback, never a hang: every outcome is an exit status."""
    from layoutcheck.cli import main

    d = tmp_path_factory.mktemp("fuzz")
    (d / "include").mkdir()
    prelude = os.path.join(CDEFS, "page", "include", "prelude.h")
    (d / "include" / "prelude.h").write_text(open(prelude).read())
    (d / "h.h").write_text(_mutate(SEED_HEADER, header_edits), errors="surrogateescape")
    rules = _mutate(SEED_RULES, rules_edits) if mutate_rules else SEED_RULES
    (d / "layoutcheck.toml").write_bytes(rules.encode("utf-8", "surrogateescape"))
    cwd = os.getcwd()
    os.chdir(d)
    try:
        for argv in (["show", "h.h", "--abi", "x86_64", "--abi", "ppc"],
                     ["check", "h.h", "--abi", "i386"]):
            assert main(argv) in (0, 1, 2)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("files, call, where", [
    ({"h.h": "#error no\nstruct s { int a; };\n"}, lambda d: lc.load(d / "h.h", ["x86_64"]), "h.h:1:"),
    ({"h.h": '#include "nope.h"\n'}, lambda d: lc.load(d / "h.h", ["x86_64"]), "h.h:1:"),
    ({"h.h": "struct s { int a int b; }\n"}, lambda d: lc.load(d / "h.h", ["x86_64"]).layout("s"), "h.h:1:"),
    ({"h.h": "struct s { char a[1/0]; };\n"}, lambda d: lc.load(d / "h.h", ["x86_64"]).layout("s"), "h.h:1:"),
    ({"h.h": "_Static_assert(1/0, \"x\");\nstruct s { int a; };\n"},
     lambda d: lc.check(str(d / "h.h"), abis=["x86_64"]), "h.h:1:"),
    ({"h.h": "struct s { int a; };\n", "layoutcheck.toml": b'struct="\xff"\n'},
     lambda d: lc.check(str(d / "h.h"), abis=["x86_64"]), "layoutcheck.toml:1"),
    ({"h.h": "struct s { char " + "*" * 600 + "a; };\n"},
     lambda d: lc.load(d / "h.h", ["x86_64"]).layout("s"), "h.h:1:"),
])
def test_library_errors_carry_where(tmp_path, files, call, where):
    for name, text in files.items():
        (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(lc.LayoutError) as info:
        call(tmp_path)
    assert info.value.where is not None and where in info.value.where, (info.value.where, str(info.value))
