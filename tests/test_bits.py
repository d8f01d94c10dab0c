"""``layoutcheck bits``: the page->flags budget, held to GCC.

The engine evaluates the header's own page-flags arithmetic (widths,
positions, the flag count, the word's width); GCC is asked the same
questions about the same text: each ABI's cross compiler for the cdefs in
every config, and the kernel's own build (an external module of each
configured Debian tree) for the real 6.1 headers, where the generated
bounds.h's NR_PAGEFLAGS is the kernel's answer for the flag count.
"""

from __future__ import annotations

import json
import os

import pytest

import layoutcheck as lc
from layoutcheck import bits
from layoutcheck.abi import all_abis, get_abi
from layoutcheck.errors import LayoutError
from layoutcheck.oracle.gcc import ask_gcc_values
from layoutcheck.oracle.kbuild import DEFAULT_FLAVOURS, build_module
from layoutcheck.oracle.objfile import ObjectFile
from layoutcheck.options import Options, open_program, ruleset_for, select_configs

from .conftest import need_compiler, record
from .test_kbuild_oracle import _tree

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS_DIR = os.path.join(ROOT, "cdefs", "page-flags")
CDEFS = ["v4.20.h", "pg-dma-pinned.h"]
MODEL = bits.PAGE_FLAGS


def _source(header, cfg, ruleset, abi):
    """The header as GCC is given it in ``cfg`` on ``abi``."""
    from layoutcheck.cfront.preprocess import PPConfig
    from layoutcheck.oracle.gcc import OracleSource

    return OracleSource(path=header, config=PPConfig.make(cfg.defines),
                        abi_defines=ruleset.defines_for_abis([get_abi(abi)]))


def _field(budget, name):
    return next(f for f in budget.fields if f.name == name)


def _compare(budget, prog, abi, gcc_macros, gcc_count, gcc_word):
    """Every value the budget rests on, against the compiler's."""
    values, unknown = bits._probe_values(prog, abi, MODEL)
    for macro, value in gcc_macros.items():
        if value == bits.NOT_CONSTANT:
            assert macro in unknown, (abi, macro)
        else:
            assert values.get(macro) == value, (abi, macro, values.get(macro), value)
    assert set(values) | set(unknown) == set(gcc_macros), abi
    assert budget.flag_count == gcc_count, abi
    assert budget.word_bits == gcc_word, abi
    # the positions the budget reports are the header's own *_PGOFF
    for wf in MODEL.fields:
        if not wf.elastic and wf.offset in gcc_macros and wf.width in gcc_macros:
            placed = _field(budget, wf.name)
            assert (placed.width, placed.lowest_bit) == (gcc_macros[wf.width], gcc_macros[wf.offset])
    return len(gcc_macros) + 2


@pytest.mark.oracle
@pytest.mark.parametrize("name", CDEFS)
def test_the_cdef_budgets_equal_gcc_on_every_abi_and_config(name):
    """v4.20's page-flags-layout.h arithmetic, evaluated by the engine, is
    what each ABI's GCC computes, in every config of the matrix; where the
    header's #error refuses a config, GCC refuses it too."""
    header = os.path.join(FLAGS_DIR, name)
    options = Options.make(project=False)
    ruleset = ruleset_for(header, options)
    configs = select_configs(ruleset, None, header)
    assert len(configs) == 4
    text = bits.budget_source(header, MODEL, False)
    items = compared = refused = 0
    for cfg in configs:
        for prog, abi, refusal in bits._programs(text, options, cfg, ruleset):
            need_compiler(get_abi(abi))
            if refusal:
                refused += 1
                assert "#error" in refusal
                with pytest.raises(LayoutError, match="#error"):
                    ask_gcc_values(get_abi(abi), _source(header, cfg, ruleset, abi),
                                   bits.oracle_questions(MODEL))
                continue
            of = ask_gcc_values(get_abi(abi), prog.oracle_source(), bits.oracle_questions(MODEL))
            macros, count, word = bits.oracle_reading(MODEL, of.u64_array(bits.ORACLE_VALUES))
            budget = bits.budget(prog, abi, cfg.name)
            assert not budget.problems, budget.problems
            assert budget.generated_count == budget.flag_count
            items += _compare(budget, prog, abi, macros, count, word)
            compared += 1
    assert compared + refused == 4 * len(all_abis())
    assert compared >= 3 * len(all_abis())
    record(f"page.flags budgets: {name} engine vs GCC", compared, items)


@pytest.mark.oracle
def test_a_refused_config_is_refused_by_gcc_too():
    """pg-dma-pinned.h on a 32-bit NUMA kernel with classic sparsemem: the
    header's own #error (mm.h: SECTIONS_WIDTH+NODES_WIDTH+ZONES_WIDTH >
    BITS_PER_LONG - NR_PAGEFLAGS) stops GCC as it stops the engine."""
    header = os.path.join(FLAGS_DIR, "pg-dma-pinned.h")
    i386 = get_abi("i386")
    need_compiler(i386)
    options = Options.make(abis=["i386"], project=False)
    ruleset = ruleset_for(header, options)
    (cfg,) = select_configs(ruleset, ["SPARSE_NUMA_32"], header)
    (entry,) = bits._programs(bits.budget_source(header, MODEL, False), options, cfg, ruleset)
    assert entry[0] is None and "SECTIONS_WIDTH+NODES_WIDTH+ZONES_WIDTH" in entry[2]
    with pytest.raises(LayoutError, match="#error"):
        ask_gcc_values(i386, _source(header, cfg, ruleset, "i386"), bits.oracle_questions(MODEL))
    # and v4.20 itself, one flag fewer, fits there with no bit to spare
    (budgets,) = lc.bit_budgets(os.path.join(FLAGS_DIR, "v4.20.h"), abis=["i386"],
                                configs=["SPARSE_NUMA_32"])
    (b,) = budgets[1]
    assert (b.flag_count, b.free, b.fits(1)) == (23, 0, False)
    assert _field(b, "LAST_CPUPID").left_out and _field(b, "NODES").left_out


@pytest.mark.oracle
@pytest.mark.parametrize("flavour", DEFAULT_FLAVOURS)
def test_a_kernel_tree_budget_equals_its_own_build(flavour):
    """The real 6.1 headers of a configured tree: every macro the budget
    reads, the flag count (also bounds.h's NR_PAGEFLAGS, which kbuild
    generated from the same enum) and the word's width, as the kernel's
    own build computes them; LRU_REFS_WIDTH, a min() the kernel can only
    use in function bodies, is read the way kbuild reads bounds.s."""
    tree = _tree(flavour, required=flavour == "amd64")
    ((_, (budget,)),) = lc.bit_budgets(kernel=tree)
    obj = build_module(tree, list(MODEL.kernel_headers), bits.oracle_questions(MODEL),
                       keep_macros=True)
    macros, count, word = bits.oracle_reading(MODEL, ObjectFile.from_path(obj).u64_array(
        bits.ORACLE_VALUES))
    options = Options.make(kernel=tree, project=False)
    prog = open_program(
        "".join(f"#include <{h}>\n" for h in MODEL.kernel_headers) + bits.probe_text(MODEL),
        options, filename=bits.PROBE_NAME, is_path=False)
    items = _compare(budget, prog, budget.abi, macros, count, word)
    assert budget.generated_count == count == budget.flag_count
    with open(os.path.join(tree, "include", "generated", "bounds.h")) as fh:
        assert f"#define NR_PAGEFLAGS {count} " in fh.read()
    asm = build_module(tree, list(MODEL.kernel_headers), bits.oracle_questions(MODEL, elastic=True),
                       keep_macros=True, assembly=True)
    with open(asm) as fh:
        elastic = bits.elastic_reading(fh.read())
    refs = _field(budget, "LRU_REFS")
    assert (refs.width, refs.lowest_bit) == (elastic["LRU_REFS_WIDTH"], elastic["LRU_REFS_PGOFF"])
    assert not budget.problems and budget.used + budget.free == budget.word_bits
    record(f"page.flags budget of the {flavour} tree vs its kbuild", 1, items + 2)


# ------------------------------------------------------------------ the CLI
def test_bits_reads_v4_20_by_config_and_abi_group(run_cli):
    code, out, err = run_cli("bits", os.path.join(FLAGS_DIR, "v4.20.h"), "--config", "DEBIAN_6_1")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1] == "config: DEBIAN_6_1"
    assert lines[2].startswith("  the 64-bit ABIs (x86_64 aarch64")
    assert lines[2].endswith(": 64-bit word, 58 bits used")
    assert "    bits 63-54  NODES        10" in lines
    assert "    bits 50-30  LAST_CPUPID  21" in lines
    assert "    bits 29-24  (free)        6" in lines
    assert "    bits 23-0   page flags   24  PG_locked .. PG_hwpoison" in lines
    assert any(line.startswith("    SECTIONS (19 bits) is not in the word") for line in lines)
    assert lines[-1] == "all 18 ABI x config budgets fit; the fewest free bits: 6"


def test_the_bit_hubbard_asked_for_does_not_fit_a_32_bit_numa_kernel(run_cli):
    """Hubbard: "Matthew, can I have that bit now please? ... There is an
    independent bit available (according to Matthew)."  There is on the
    distro configs; on a 32-bit NUMA kernel with classic sparsemem the
    kernel's own #error refuses the extra flag."""
    header = os.path.join(FLAGS_DIR, "pg-dma-pinned.h")
    code, out, err = run_cli("bits", header)
    assert code == 1, err
    assert "9 of 72 ABI x config budgets fail" in out
    assert ("  the 32-bit ABIs (i386 x32 arm ppc mips mipsel m68k hppa sh4): refused: "
            in out)
    assert "does NOT fit: the header refuses this config (#error)" in out
    code, out, _ = run_cli("bits", header, "--config", "DEBIAN_6_1", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    (entry,) = doc["headers"]
    frees = {b["abi"]: b["free"] for b in entry["budgets"]}
    assert frees["x86_64"] == 5 and frees["i386"] == 5
    x86 = next(b for b in entry["budgets"] if b["abi"] == "x86_64")
    assert x86["flags"]["names"][-1] == "PG_dma_pinned" and x86["flags"]["generated_count"] == 25
    assert x86["one_more_flag_fits"] is True
    assert {f["name"]: f["bits"] for f in x86["fields"]}["NODES"] == [54, 63]


def test_need_fails_where_too_few_bits_are_free(run_cli):
    header = os.path.join(FLAGS_DIR, "v4.20.h")
    code, out, _ = run_cli("bits", header, "--config", "DEBIAN_6_1+CONFIG_IDLE_PAGE_TRACKING",
                           "--need", "5")
    assert code == 1
    assert "4 bits free: one more flag fits (--need 5: fails)" in out
    assert "9 of 18 ABI x config budgets fail" in out
    code, _, _ = run_cli("bits", header, "--config", "DEBIAN_6_1+CONFIG_IDLE_PAGE_TRACKING",
                         "--need", "4")
    assert code == 0


def test_verbose_names_every_flag_and_its_aliases(run_cli):
    code, out, _ = run_cli("bits", os.path.join(FLAGS_DIR, "v4.20.h"), "--abi", "x86_64",
                           "--config", "default", "--verbose")
    assert code == 0
    lines = out.splitlines()
    assert ("      bit 10  PG_owner_priv_1 (also PG_checked, PG_swapcache, PG_pinned, PG_foreign)"
            in lines)
    assert lines.index("      bit 21  PG_mlocked") < lines.index("      bit  0  PG_locked")


@pytest.mark.parametrize("argv, message", [
    (["--word", "page.mapping"], "--word page.mapping: not a word layoutcheck knows how to budget "
                                 "(known: page.flags)"),
    (["--need", "-1"], "--need must be 0 or more bits"),
])
def test_bits_refuses_bad_options(run_cli, argv, message):
    code, _, err = run_cli("bits", os.path.join(FLAGS_DIR, "v4.20.h"), *argv)
    assert code == 2
    assert message in err


def test_a_header_without_page_flags_is_an_error(run_cli):
    code, _, err = run_cli("bits", os.path.join(ROOT, "cdefs", "page", "v4.20.h"))
    assert code == 2
    assert "no enum pageflags with a definition" in err


def test_an_inconsistent_generated_count_is_a_failure(tmp_path, run_cli):
    """A patch that adds a flag to the enum but not to the count the
    arithmetic used (a stale bounds.h) is reported, not trusted."""
    header = tmp_path / "stale.h"
    header.write_text('#define PAGE_FLAGS_EXTRA PG_new,\n#define PG_COUNT_EXTRA 0\n'
                      f'#include "{os.path.join(FLAGS_DIR, "v4.20.h")}"\n')
    code, out, _ = run_cli("bits", str(header), "--abi", "x86_64", "--rules",
                           os.path.join(FLAGS_DIR, "layoutcheck.toml"), "--config", "default")
    assert code == 1
    assert "NR_PAGEFLAGS is 22 but enum pageflags has 23 flags" in out


@pytest.mark.oracle
def test_bits_on_the_amd64_tree_says_where_the_last_bits_went(run_cli):
    """Debian 6.1 amd64: 25 flags, NODES 10, ZONES 3, LAST_CPUPID 21,
    LRU_GEN 3, and LRU_REFS takes the 2 bits left: none free, and one
    more flag would take a bit from LRU_REFS."""
    tree = _tree("amd64", required=True)
    code, out, err = run_cli("bits", "--kernel", tree)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "page.flags in linux/mm.h"
    assert "    bits 26-25  LRU_REFS      2  takes what is left, up to 2" in lines
    assert "    bits 24-0   page flags   25  PG_locked .. PG_arch_2" in lines
    assert ("    0 bits free: one more flag fits only by taking a bit from LRU_REFS (2 bits now)"
            in lines)
    code, out, _ = run_cli("bits", "--kernel", tree, "--need", "1")
    assert code == 1 and "1 of 1 ABI x config budgets fail" in out


def test_flags_the_count_leaves_out_and_plain_lru_refs(tmp_path, run_cli):
    base = ("#define NODES_WIDTH 30\n#define ZONES_WIDTH 30\n"
            "#define NODES_PGOFF ((sizeof(unsigned long)*8) - NODES_WIDTH)\n"
            "#define ZONES_PGOFF (NODES_PGOFF - ZONES_WIDTH)\n"
            "#define LRU_REFS_WIDTH 4\n#define LRU_REFS_PGOFF 0\n"
            "struct page { unsigned long flags; };\n")
    header = tmp_path / "refs.h"
    header.write_text(base + "enum pageflags { PG_a, PG_b, PG_c, __NR_PAGEFLAGS };\n")
    code, out, _ = run_cli("bits", header, "--abi", "x86_64")
    assert code == 1
    assert "LRU_REFS (bits 0-3) overlaps the page flags (bits 0-2)" in out
    header.write_text(base + "enum pageflags { PG_a, PG_b, PG_c, __NR_PAGEFLAGS, PG_new };\n")
    code, _, err = run_cli("bits", header, "--abi", "x86_64")
    assert code == 2 and "PG_new is 4, outside the 3 flags __NR_PAGEFLAGS counts" in err
    assert err.startswith(f"layoutcheck: {header}: ")


def test_a_kernel_tree_has_no_config_to_choose(run_cli):
    code, _, err = run_cli("bits", "--kernel", "/nonexistent-tree", "--config", "X")
    assert code == 2
