"""The engine against the real compilers: GCC for every ABI, cffi on the host.

Generated structs (deterministic seeds), every cdef under its config
matrix, and the UAPI corpus.  Each test fails on any mismatch; the numbers
compared are printed at the end of the run.
"""

import glob
import os

import pytest

import layoutcheck as lc
from layoutcheck.abi import all_abis, get_abi
from layoutcheck.cfront.preprocess import PPConfig
from layoutcheck.errors import LayoutError
from layoutcheck.oracle.gcc import OracleSource, ask_clang, ask_gcc, ask_gcc_values, clang_command, compare
from layoutcheck.oracle.generate import generate
from layoutcheck.oracle.verify import verify_program

from .conftest import CDEFS, need_all_compilers, need_c_compiler, need_compiler, oracles_required, record
from .corpus import corpus_available, corpus_paths, missing_cross_headers, uapi_programs

pytestmark = [pytest.mark.oracle, pytest.mark.slow]

# 100 files of 30 top-level structs and unions: 3,000 generated records
# (more with the tagged ones nested inside), each on all 18 ABIs.
SEEDS = range(1000, 1100)
PER_FILE = 30


def _fail_text(report) -> str:
    return "\n".join(str(m) for m in report.mismatches[:20])


@pytest.mark.parametrize("chunk", range(10))
def test_generated_structs_equal_gcc_on_every_abi(chunk):
    need_all_compilers()
    seeds = list(SEEDS)[chunk::10]
    for seed in seeds:
        prog = lc.load(generate(seed, PER_FILE), abis=["all"], filename=f"generated-{seed}.c")
        report = verify_program(prog)
        assert not report.missing
        record("generated structs vs GCC (18 ABIs)", report.total_structs, report.total_items)
        assert not report.mismatches, f"seed {seed}:\n{_fail_text(report)}"


def test_generated_structs_equal_cffi_module_on_host():
    need_c_compiler()
    text = generate(2000, 120)
    prog = lc.load(text, abis=["host"], filename="generated-2000.c")
    report = verify_program(prog, with_cffi=True)
    record("generated structs vs cffi module (host)", report.cffi_structs, report.cffi_items)
    assert report.cffi_structs >= 120
    assert not report.mismatches, _fail_text(report)


def cdef_matrix():
    """Each cdef under each config of the struct page matrix."""
    from layoutcheck.rules import load_rules_for

    out = []
    for path in sorted(glob.glob(os.path.join(CDEFS, "**", "*.h"), recursive=True)):
        if os.path.basename(os.path.dirname(path)) == "include":
            continue  # the helpers the cdefs include
        rules = load_rules_for(path)
        for config in rules.configs:
            out.append((path, rules, config))
    return out


@pytest.mark.parametrize("path, rules, config", cdef_matrix(),
                         ids=lambda v: os.path.basename(v) if isinstance(v, str)
                         else getattr(v, "name", "rules"))
def test_cdefs_equal_gcc_across_config_matrix(path, rules, config):
    need_all_compilers()
    try:
        prog = rules.program(path, config, ["all"])
    except LayoutError as exc:
        # a config the header's own #error refuses (pg-dma-pinned.h on a
        # 32-bit NUMA kernel): each ABI's GCC must refuse it as well
        assert "#error" in str(exc)
        refused = 0
        for abi in all_abis():
            try:
                rules.program(path, config, [abi.name])
                continue
            except LayoutError:
                refused += 1
            src = OracleSource(path=path, config=PPConfig.make(config.defines),
                               abi_defines=rules.defines_for_abis([abi]))
            with pytest.raises(LayoutError, match="#error"):
                ask_gcc_values(abi, src, "")
        assert refused
        return
    report = verify_program(prog)
    record("cdefs x configs vs GCC (18 ABIs)", report.total_structs, report.total_items)
    assert report.total_structs >= 18
    assert not report.mismatches, _fail_text(report)


def test_cdefs_equal_cffi_module_on_host():
    need_c_compiler()
    host = get_abi("host").name
    total = 0
    for path, rules, config in cdef_matrix():
        prog = rules.program(path, config, [host])
        report = verify_program(prog, with_cffi=True)
        record("cdefs x configs vs cffi module (host)", report.cffi_structs, report.cffi_items)
        total += report.cffi_structs
        assert not report.mismatches, _fail_text(report)
    assert total > 0


@pytest.mark.skipif(not corpus_available() and not oracles_required(),
                    reason="no UAPI headers for every ABI (linux-libc-dev-*-cross)")
def test_uapi_corpus_equals_gcc_on_every_abi():
    """Each ABI reads the headers with its own asm/ headers, and each ABI's
    GCC compiles the original header: every layout equals GCC's."""
    need_all_compilers()
    assert not missing_cross_headers(), missing_cross_headers()
    for path in corpus_paths():
        progs, failed = uapi_programs(path)
        seen = set(failed)
        for prog in progs:
            report = verify_program(prog)
            record("UAPI corpus vs GCC (18 ABIs)", report.total_structs, report.total_items)
            assert set(report.structs) == {a.name for a in prog.abis}, path
            assert not report.mismatches, f"{path}:\n{_fail_text(report)}"
            seen.update(report.structs)
        assert seen == {a.name for a in all_abis()}, path


def test_clang_disagrees_on_m68k_and_gcc_wins():
    """clang 14 aligns int to 4 on m68k; GCC (the real ABI) to 2."""
    abi = get_abi("m68k")
    need_compiler(abi)
    if clang_command() is None:
        if oracles_required():
            pytest.fail("clang is not installed")
        pytest.skip("clang is not installed")
    prog = lc.load("struct s { char c; int i; long long ll; };", abis=["m68k"])
    lay = prog.layout("s", "m68k")
    (gcc,) = ask_gcc(abi, prog.oracle_source(), [lay])
    (clang,) = ask_clang(abi, prog.oracle_source(), [lay])
    assert compare(lay, gcc)[1] == []
    differences = compare(lay, clang)[1]
    assert {d.what for d in differences} == {"size", "align", "i", "ll"}
    assert (lay.member("i").offset, lay.align) == (2, 2)
    assert clang.members["i"].offset == 4 and clang.align >= 4


def test_verify_command_reports_and_exit_codes(run_cli, tmp_path):
    need_all_compilers()
    header = tmp_path / "h.h"
    header.write_text("struct s { char c; int x : 5; long long y; };\n")
    code, out, err = run_cli("verify", str(header), "--abi", "all", "--no-cffi")
    assert code == 0, err
    assert "compared" in out and ": 0 mismatches" in out
    assert out.count("  ok") == 18
    if clang_command():
        assert "m68k" in out and "GCC is the oracle" in out


def test_verify_exit_2_names_the_missing_package(run_cli, monkeypatch):
    import layoutcheck.oracle.gcc as gcc

    real = gcc.compiler_available
    monkeypatch.setattr(gcc, "compiler_available", lambda abi: abi.name != "m68k" and real(abi))
    code, out, err = run_cli("verify", os.path.join(CDEFS, "page", "v4.20.h"), "--abi", "m68k")
    assert code == 2
    assert "apt-get install --no-install-recommends gcc-m68k-linux-gnu" in err


def test_verify_exit_1_on_a_mismatch(run_cli, monkeypatch, tmp_path):
    """A wrong answer from the oracle must show as a mismatch, not pass."""
    need_compiler(get_abi("x86_64"))
    import layoutcheck.oracle.verify as verify

    real = verify.ask_gcc

    def lying(abi, text, layouts, workdir=None):
        answers = real(abi, text, layouts, workdir)
        answers[0].members["x"].offset += 1
        return answers

    monkeypatch.setattr(verify, "ask_gcc", lying)
    header = tmp_path / "h.h"
    header.write_text("struct s { char c; int x; };\n")
    code, out, _ = run_cli("verify", str(header), "--abi", "x86_64", "--no-cffi", "--no-clang")
    assert code == 1
    assert "MISMATCH x86_64: struct s: x: layoutcheck offset 4" in out


def test_a_member_the_engine_drops_is_a_mismatch(run_cli, monkeypatch, tmp_path):
    """A member lost on the way (here: the builder made to drop 'hidden',
    which sits in padding, so that every question about the others is
    answered alike) shows as a mismatch: GCC's debug information lists
    every member of a tagged struct, nested ones too."""
    need_all_compilers()
    from layoutcheck.cfront import builder

    real = builder.Builder._member

    def dropping(self, decl):
        return None if decl.name == "hidden" else real(self, decl)

    monkeypatch.setattr(builder.Builder, "_member", dropping)
    header = tmp_path / "h.h"
    header.write_text("struct in { char c; char hidden; short s; };\n"
                      "struct s { char c; char hidden; int x; struct in i; };\n")
    code, out, _ = run_cli("verify", str(header), "--abi", "all", "--no-cffi", "--no-clang")
    assert code == 1
    for abi in all_abis():
        assert f"MISMATCH {abi.name}: struct s: hidden: layoutcheck missing != gcc present" in out
        assert f"MISMATCH {abi.name}: struct s: i.hidden: layoutcheck missing" in out
        assert f"MISMATCH {abi.name}: struct in: hidden: layoutcheck missing" in out
    monkeypatch.setattr(builder.Builder, "_member", real)
    # (another text: the one above stays parsed as the dropping builder made it)
    header.write_text(header.read_text() + "struct other { int o; };\n")
    code, out, _ = run_cli("verify", str(header), "--abi", "all", "--no-cffi", "--no-clang")
    assert code == 0, out


def test_a_va_list_member_is_one_member_to_both(run_cli, tmp_path):
    """GCC's debug information describes va_list's own struct on aarch64,
    arm, sh4 and alpha (ap.__stack, ...); the engine lays it out as one
    member: not a member missing (13 false mismatches, from a review)."""
    need_all_compilers()
    header = tmp_path / "va.h"
    header.write_text("#include <stdarg.h>\nstruct s { __builtin_va_list ap; };\n"
                      "struct logctx { int level; va_list ap; struct { va_list in; } n; };\n")
    code, out, _ = run_cli("verify", str(header), "--abi", "all", "--no-cffi", "--no-clang")
    assert code == 0, out
    assert "compared 198 items: 0 mismatches" in out
