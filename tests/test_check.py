"""`layoutcheck check` on the struct page proposals: the thread's verdicts.

Every assertion runs on all 18 ABIs and every config of the matrix in
cdefs/page/layoutcheck.toml.
"""

import json
import os

import pytest

from layoutcheck.abi import all_abis
from layoutcheck.errors import LayoutError
from layoutcheck.rules import check_file, load_rules_for, parse_rules

from .conftest import CDEFS

PAGE = os.path.join(CDEFS, "page")
ABIS = all_abis()
ALL = {a.name for a in ABIS}
BITS64 = {a.name for a in ABIS if a.bits == 64}


def page(name):
    return os.path.join(PAGE, name)


_cache = {}


def results(name):
    if name not in _cache:
        rs = load_rules_for(page(name))
        _cache[name] = check_file(page(name), rs, ABIS, rs.configs)
    return _cache[name]


def failures(name, rule=None):
    # Failing verdicts; a not-applied verdict (a rule whose optional members
    # are missing in this era) is not a failure, and not a pass either.
    return [r for r in results(name) if r.failed and (rule is None or r.rule == rule)]


def test_matrix_has_memcg_on_and_off():
    rs = load_rules_for(page("v4.20.h"))
    names = [c.name for c in rs.configs]
    assert "default" in names and "CONFIG_MEMCG" in names and len(names) == 10
    assert rs.abi_defines == {"CONFIG_64BIT": "64bit"}


@pytest.mark.parametrize("name", ["v4.20.h", "gup-as-mapping.h", "hpage-pinned-refcount.h",
                                  "compound-pincount.h"])
def test_accepted_layouts_pass_every_rule_everywhere(name):
    res = results(name)
    assert len(res) >= 18 * 10 * 12
    assert {r.abi for r in res} == ALL
    assert failures(name) == [], failures(name)[:3]


def test_compound_pincount_static_asserts_are_evaluated():
    asserts = [r for r in results("compound-pincount.h") if r.kind == "static-assert"]
    assert len(asserts) >= 18 * 10 * 8 and all(r.passed for r in asserts)


def test_lru_dma_pinned_breaks_zone_device_not_page_tail():
    # its flags keep bit 0 clear by design (tests/test_thread.py has the thread's words)
    assert failures("lru-dma-pinned.h", "page-tail-bit") == []
    zd = failures("lru-dma-pinned.h", "pin-count-on-a-zone-device-pad")
    assert {r.abi for r in zd} == ALL
    assert zd[0].members == ["dma_pinned_count"] and "hmm_data" in zd[0].message


def test_zd_pad_first_moves_zone_device_onto_index_and_private():
    bad = failures("zd-pad-first.h", "zone-device-off-mapping-index-private")
    assert {r.abi for r in bad} == ALL
    for r in bad:
        assert {"pgmap", "index"} <= set(r.members) or {"hmm_data", "private"} <= set(r.members)
    x86 = next(r for r in bad if r.abi == "x86_64")
    assert "pgmap (offset 32, size 8) overlaps index (offset 32, size 8)" in x86.message


def test_zd_swap_puts_hmm_data_on_mapping():
    on_mapping = failures("zd-swap.h", "zone-device-off-mapping-index-private")
    assert {r.abi for r in on_mapping} == ALL
    assert all(set(r.members) == {"hmm_data", "mapping"} for r in on_mapping)
    off_prev = failures("zd-swap.h", "hmm-data-on-lru-prev")
    assert {r.abi for r in off_prev} == ALL
    assert all("hmm_data" in r.members and "lru.prev" in r.members for r in off_prev)


def test_dma_pinned_count_grows_the_struct_on_64_bit_memcg():
    size = failures("dma-pinned-count.h", "page-64-bytes")
    assert {r.abi for r in size} == BITS64
    for r in size:
        assert "CONFIG_MEMCG" in r.config
        want = 80 if "CONFIG_HAVE_ALIGNED_STRUCT_PAGE" in r.config else 72
        assert f"size is {want}" in r.message, r.message
    assert failures("dma-pinned-count.h", "page-tail-bit") == []
    assert {r.rule for r in failures("dma-pinned-count.h")} == {"page-64-bytes", "no-growth-from-v4.20"}


FLAG_ON_UNION = """
#include "prelude.h"
struct page {
        unsigned long flags;
        union {
                struct { struct list_head lru; void *mapping; unsigned long index, private; };
                struct { unsigned char pinned_flag; };   /* a one-byte flag on the first byte */
                struct { unsigned long compound_head; unsigned char compound_dtor;
                         unsigned char compound_order; atomic_t compound_mapcount; };
        };
        atomic_t _refcount;
};
"""


def test_one_byte_flag_on_the_union_fails_little_endian_only(tmp_path):
    hdr = tmp_path / "flag.h"
    hdr.write_text(FLAG_ON_UNION)
    (tmp_path / "prelude.h").write_text(open(page("include/prelude.h")).read())
    rules = parse_rules('struct = "page"\n[matrix.abi_defines]\nCONFIG_64BIT = "64bit"\n'
                        '[[rule]]\nkind = "tail-bit"\nword = "compound_head"\n')
    res = check_file(str(hdr), rules, ABIS, rules.configs)
    verdict = {r.abi: r for r in res if r.kind == "tail-bit"}
    for abi in ABIS:
        if abi.endian == "little":
            assert not verdict[abi.name].passed and verdict[abi.name].members == ["pinned_flag"]
        else:
            assert verdict[abi.name].passed, abi.name


def test_missing_member_fails_unless_optional(tmp_path):
    hdr = tmp_path / "s.h"
    hdr.write_text("struct s { long a; long b; };\n")
    strict = parse_rules('struct = "s"\n[[rule]]\nkind = "alias"\nmembers = ["a", "renamed"]\n')
    (r,) = check_file(str(hdr), strict, [ABIS[0]], strict.configs)
    assert not r.passed and "no member 'renamed'" in r.message
    lenient = parse_rules('struct = "s"\n[[rule]]\nkind = "alias"\nmembers = ["a", "renamed"]\n'
                          'optional = ["renamed"]\n')
    (r,) = check_file(str(hdr), lenient, [ABIS[0]], lenient.configs)
    # Only 'a' exists: the alias compared nothing, so it is not applied (it
    # used to pass, a false pass), and it does not fail.
    assert r.status == "not-applied" and not r.failed


def test_static_asserts_checked_without_rules(tmp_path):
    hdr = tmp_path / "sa.h"
    hdr.write_text("struct s { long a; };\n_Static_assert(sizeof(struct s) == 8, \"LP64 only\");\n")
    rs = load_rules_for(str(hdr))
    res = check_file(str(hdr), rs, ABIS, rs.configs)
    failed = {r.abi for r in res if not r.passed}
    assert failed == ALL - BITS64
    assert "LP64 only" in next(r for r in res if not r.passed).message


@pytest.mark.parametrize("text, message", [
    ('[[rule]]\nkind = "sizes"\n', "unknown kind"),
    ('[[rule]]\nkind = "alias"\nmembers = ["a"]\n', "alias rule needs"),
    ('[[rule]]\nkind = "size"\nexpect = 4\nbogus = 1\n', "unknown keys"),
    ('[[rule]\n', "bad rules file"),
])
def test_bad_rules_are_errors(text, message):
    with pytest.raises(LayoutError, match=message):
        parse_rules(text)


def test_check_cli_text_json_and_exit_codes(run_cli):
    code, out, _ = run_cli("check", page("v4.20.h"))
    assert code == 0
    assert "3348 verdicts: 2988 pass, 360 not applied, 0 fail" in out
    assert out.strip().endswith("1 header: 1 ok, 0 failed")
    code, out, _ = run_cli("check", page("lru-dma-pinned.h"), "--abi", "x86_64",
                           "--config", "CONFIG_MEMCG", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    bad = [r for r in doc["results"] if r["status"] == "fail"]
    assert {r["kind"] for r in bad} == {"overlays"}
    assert set(bad[0]) == {"file", "abi", "config", "rule", "kind", "status", "members", "message",
                           "where", "why"}
    code, out, _ = run_cli("check", page("zd-swap.h"), "--abi", "ppc")
    assert code == 1 and "FAIL zone-device-off-mapping-index-private (disjoint) on ppc" in out
    code, _, err = run_cli("check", page("v4.20.h"), "--rules", "/nonexistent.toml")
    assert code == 2 and "nonexistent" in err


def test_within_words_of_the_union(tmp_path):
    hdr = tmp_path / "w.h"
    hdr.write_text("struct page { unsigned long flags; union {"
                   " struct { void *a, *b, *c, *d, *e; };"
                   " struct { unsigned char compound_dtor; unsigned long compound_head; }; }; };\n")
    rs = parse_rules('struct = "page"\n[[rule]]\nkind = "offset"\nunion_of = "compound_head"\n'
                     'members = ["compound_dtor"]\nwithin = [1, 5]\n')
    res = check_file(str(hdr), rs, ABIS, rs.configs)
    assert all(not r.passed for r in res)
    x86 = next(r for r in res if r.abi == "x86_64")
    assert x86.members == ["compound_dtor"]
    assert "compound_dtor (offset 8, size 1) leave words 1..4" in x86.message
    assert "(bytes 16..47)" in x86.message


def test_v5_7_page_pool_breaks_32_bit_with_64_bit_dma_addresses():
    """Outside the default matrix: with CONFIG_ARCH_DMA_ADDR_T_64BIT on a
    32-bit ABI that aligns u64 to 8, v5.7's page_pool dma_addr grows the big
    union to six words and moves freelist off its double word: the layout
    bug Linux fixed in 2021 ("mm: fix struct page layout on 32-bit
    systems").  i386, m68k and sh4 align u64 to 4 or 2 and escape."""
    from layoutcheck.rules import make_config

    rs = load_rules_for(page("hpage-pinned-refcount.h"))
    cfg = make_config(["CONFIG_MEMCG", "CONFIG_ARCH_DMA_ADDR_T_64BIT"])
    res = check_file(page("hpage-pinned-refcount.h"), rs, ABIS, [cfg])
    broken = {r.abi for r in res if not r.passed and r.rule == "big-union-five-words"}
    assert broken == {"x32", "arm", "ppc", "mips", "mipsel", "hppa"}
    assert {r.abi for r in res if r.failed} == broken


def _rules_dir(tmp_path, rules: str, files: dict):
    (tmp_path / ".git").mkdir()  # the rules search stops here
    (tmp_path / "layoutcheck.toml").write_text(rules)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)


X_HEADER = "struct s { long a;\n#ifdef CONFIG_X\nlong b, c;\n#endif\n};\n"
X_RULES = """struct = "s"
[matrix]
vary = ["CONFIG_X"]
[[rule]]
name = "with-x"
kind = "size"
max = 16
when = { CONFIG_X = true }
[[rule]]
name = "without-x"
kind = "size"
expect = 8
when = { CONFIG_X = false }
"""


def test_when_sees_the_configs_as_the_header_is_read_with_d_and_u(tmp_path, run_cli,
                                                                  monkeypatch):
    """-U beats the matrix (the config 'CONFIG_X' is read without it, so
    a rule for X does not pass there on a layout without X), -D beats it
    too, and the report says both."""
    _rules_dir(tmp_path, X_RULES, {"s.h": X_HEADER})
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("check", "s.h", "--abi", "x86_64")
    assert code == 1 and "FAIL with-x" in out, out  # 24 bytes with X
    code, out, err = run_cli("check", "s.h", "--abi", "x86_64", "-UCONFIG_X", "--format", "json")
    report = json.loads(out)
    verdicts = {(r["rule"], r["config"]): r["status"] for r in report["results"]}
    assert code == 0, out
    assert verdicts[("without-x", "CONFIG_X")] == "pass"  # read without X, judged so
    assert ("with-x", "CONFIG_X") not in verdicts or verdicts[("with-x", "CONFIG_X")] != "pass"
    code, out, err = run_cli("check", "s.h", "--abi", "x86_64", "-UCONFIG_X")
    assert "(every config also read with -UCONFIG_X)" in out
    code, out, err = run_cli("check", "s.h", "--abi", "x86_64", "-DCONFIG_X", "--format", "json")
    verdicts = {(r["rule"], r["config"]): r["status"] for r in json.loads(out)["results"]}
    assert verdicts[("with-x", "default")] == "fail"  # -D: X in every config
    assert ("without-x", "default") not in verdicts or verdicts[("without-x", "default")] != "fail"


def test_a_no_growth_baseline_is_read_as_the_header_is(tmp_path, run_cli, monkeypatch):
    """The baseline is read with the header's -D and -I; a baseline that
    lacks the struct is a failure, not a quiet 'not applied'."""
    rules = 'struct = "s"\n[[rule]]\nname = "ng"\nkind = "no-growth"\nbaseline = "base.h"\n'
    _rules_dir(tmp_path, rules, {
        "base.h": '#include "defs.h"\nstruct s { T a;\n#ifndef SMALL\nlong pad[4];\n#endif\n};\n',
        "new.h": '#include "defs.h"\nstruct s { T a; long more;\n#ifndef SMALL\nlong pad[4];\n#endif\n};\n',
        "inc/defs.h": "typedef long T;\n"})
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("check", "new.h", "--abi", "x86_64", "-I", "inc", "-DSMALL")
    assert code == 1 and "FAIL ng" in out and "16 bytes, 8 more" in out, (out, err)
    (tmp_path / "base.h").write_text("struct other { int a; };\n")
    code, out, err = run_cli("check", "new.h", "--abi", "x86_64", "-I", "inc")
    assert code == 1 and "base.h has no struct s to compare with" in out, (out, err)


NATURAL = """
struct inner { char c; long x; } __attribute__((packed));
struct arr { unsigned long flags; struct inner two[2]; };
struct one { unsigned long flags; struct inner one; };
struct pk { char c; unsigned x : 31; unsigned y : 31; } __attribute__((packed));
struct ok { char c; unsigned x : 31; unsigned y : 31; long z; struct { short s[3]; } t[4]; };
struct ll40 { int a; unsigned long long b : 40; };
struct anon_bf { int : 4; char c; };
struct holds_anon { char c; struct anon_bf i; struct anon_bf a[3]; };
struct bf_only { int x : 3; };
struct holds_bf { char c; struct bf_only i; struct bf_only two[2]; };
struct inner8 { char c; int x; char d[3]; } __attribute__((packed));
struct arr8 { long y; struct inner8 a[2]; };
struct arr1 { long y; struct inner8 a[1]; };
struct pkb { unsigned flags : 31; unsigned more : 1; unsigned char tail; } __attribute__((packed));
struct pb { unsigned a : 4, b : 4; } __attribute__((packed));
struct okb { unsigned a : 4, b : 4; char c; };
"""


@pytest.mark.parametrize("struct, fails", [("arr", ALL), ("one", ALL), ("ok", set()),
                                           ("pk", ALL - {"m68k"}), ("ll40", set()),
                                           ("holds_anon", set()), ("holds_bf", set()),
                                           # packed elements whose size is a multiple of the
                                           # alignment: each element's x is misaligned inside it
                                           ("arr8", ALL), ("arr1", ALL),
                                           # packed structs of bit-fields: their types align
                                           # the struct unpacked (not on m68k)
                                           ("pkb", ALL - {"m68k"}), ("pb", ALL - {"m68k"}),
                                           ("okb", set())])
def test_natural_sees_packing_in_array_elements_and_bitfields(struct, fails, tmp_path):
    """An array of packed structs (its later elements misaligned) and
    bit-fields a packed struct lets straddle their type's units are
    packing too (on m68k bit-fields straddle units unpacked: no sign).
    Unpacked structs pass on every ABI: a long long bit-field across
    i386's 4-byte units, unnamed bit-fields (which align nothing but on
    arm and aarch64), bit-field types on m68k."""
    header = tmp_path / "n.h"
    header.write_text(NATURAL)
    rules = parse_rules(f'[[rule]]\nname = "nat"\nkind = "natural"\nstruct = "{struct}"\n',
                        str(tmp_path / "layoutcheck.toml"))
    verdicts = check_file(str(header), rules, ABIS, rules.configs)
    failed = {r.abi for r in verdicts if r.failed}
    assert failed == fails, (struct, failed)


def test_natural_of_a_named_struct_member_sees_what_it_holds(tmp_path):
    """members = ["p"], p a packed struct placed at its alignment: its own
    members sit below theirs, as they do in an array of it."""
    header = tmp_path / "q.h"
    header.write_text("struct P { char c; int i; char d[3]; } __attribute__((packed));\n"
                      "struct Q { int a; struct P p; char pad[4]; struct P arr[2]; };\n")
    verdicts = {}
    for members in ('["p"]', '["arr"]', '["a", "pad"]'):
        rules = parse_rules(f'[[rule]]\nname = "nat"\nkind = "natural"\nstruct = "Q"\n'
                            f'members = {members}\n', str(tmp_path / "layoutcheck.toml"))
        results = check_file(str(header), rules, ABIS, rules.configs)
        verdicts[members] = {r.abi for r in results if r.failed}
        if members == '["p"]':
            assert "p (struct P): member i (offset 1 needs alignment 4)" in \
                next(r.message for r in results if r.abi == "x86_64")
    assert verdicts == {'["p"]': ALL, '["arr"]': ALL, '["a", "pad"]': set()}


def test_a_config_that_reads_as_another_is_named(tmp_path, run_cli, monkeypatch):
    """A matrix macro the header never reads (misspelt: CONFIG_MEMGC) makes
    a config that checks nothing new: the report says so."""
    _rules_dir(tmp_path, 'struct = "s"\n[matrix]\nvary = ["CONFIG_MEMGC", "CONFIG_MEMCG"]\n'
                         '[[rule]]\nname = "max"\nkind = "size"\nmax = 32\n',
               {"s.h": "struct s { long a;\n#ifdef CONFIG_MEMCG\nlong b, c;\n#endif\n};\n"})
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("check", "s.h", "--abi", "x86_64", "--abi", "i386")
    assert code == 0, (out, err)
    assert "note: config CONFIG_MEMGC reads as default on every ABI: CONFIG_MEMGC changes " \
           "nothing in this header (misspelt, or a value it reads as the other config's)" in out
    assert "config CONFIG_MEMCG reads as" not in out
    code, out, err = run_cli("check", "s.h", "--format", "json")
    notes = json.loads(out)["summary"][0]["notes"]
    assert len(notes) == 2 and all("CONFIG_MEMGC changes nothing" in n for n in notes), notes


def test_the_hook_rejudges_the_headers_a_committed_rules_file_governs(tmp_path, run_cli,
                                                                       monkeypatch):
    """Without a project file, a commit of only a.rules.toml (or of the
    layoutcheck.toml beside a header) checks a.h again: a tightened rule
    that a.h breaks refuses the commit, an unreadable one stops it."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.h").write_text("struct s { unsigned long flags; long x, y; };\n")
    (tmp_path / "a.rules.toml").write_text('struct = "s"\n[[rule]]\nname = "max"\nkind = "size"\nmax = 16\n')
    (tmp_path / "other.h").write_text("struct o { int a; };\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("hook", "a.rules.toml", "--abi", "x86_64")
    assert code == 1 and "a.h: FAIL" in out, (out, err)
    (tmp_path / "a.rules.toml").write_text("[[rule]\n")
    code, out, err = run_cli("hook", "a.rules.toml", "--abi", "x86_64")
    assert code == 2, (out, err)
    os.remove(tmp_path / "a.rules.toml")
    os.remove(tmp_path / "other.h")  # (it has no struct s: every header beside it is judged)
    (tmp_path / "layoutcheck.toml").write_text('[[rule]]\nname = "max"\nkind = "size"\nstruct = "s"\n'
                                               'max = 16\n')
    code, out, err = run_cli("hook", "layoutcheck.toml", "--abi", "x86_64")
    assert code == 1 and "a.h: FAIL" in out, (out, err)
    # rules at the top, headers in include/: the usual layout
    os.makedirs(tmp_path / "include")
    os.rename(tmp_path / "a.h", tmp_path / "include" / "a.h")
    code, out, err = run_cli("hook", "layoutcheck.toml", "--abi", "x86_64")
    assert code == 1 and "include/a.h: FAIL" in out, (out, err)
    (tmp_path / "include" / "layoutcheck.toml").write_text("")  # nearer rules: not the top's
    code, out, err = run_cli("hook", "layoutcheck.toml", "--abi", "x86_64")
    assert code == 0 and "a.h" not in out, (out, err)


def test_ci_formats_say_when_nothing_was_checked_and_when_a_config_adds_nothing(tmp_path, run_cli,
                                                                                 monkeypatch):
    """github and SARIF list findings: a header no rule or static assert
    applies to gets a note (not silence, which reads as 'all passed'), and
    a config that reads as another a warning; the exit status stays 0."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "plain.h").write_text("struct p { int a; };\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("check", "plain.h", "--abi", "x86_64", "--format", "github")
    assert code == 0 and out.startswith("::notice file=plain.h,") and "nothing was checked" in out
    code, out, err = run_cli("check", "plain.h", "--abi", "x86_64", "--format", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert code == 0 and [(r["ruleId"], r["level"]) for r in results] == [("nothing-checked", "note")]
    (tmp_path / "layoutcheck.toml").write_text('struct = "p"\n[matrix]\nvary = ["CONFIG_TYPO"]\n'
                                               '[[rule]]\nname = "max"\nkind = "size"\nmax = 8\n')
    code, out, err = run_cli("check", "plain.h", "--abi", "x86_64", "--format", "github")
    assert code == 0 and out.startswith("::warning file=plain.h,") and "CONFIG_TYPO" in out, out


def test_adjacent_closes_the_chain_over_a_missing_optional_member(tmp_path):
    """members = [a, b, c, d] with b optional and absent: a must then be
    followed by c (the pair was skipped, and a never compared)."""
    header = tmp_path / "a.h"
    header.write_text("struct far { long a; long gap[2]; long c; long d; };\n"
                      "struct near { long a; long c; long d; };\n")
    for struct, fails in (("far", True), ("near", False)):
        rules = parse_rules(f'[[rule]]\nname = "adj"\nkind = "adjacent"\nstruct = "{struct}"\n'
                            f'members = ["a", "b", "c", "d"]\noptional = ["b"]\n',
                            str(tmp_path / "layoutcheck.toml"))
        verdicts = check_file(str(header), rules, ABIS, rules.configs)
        assert {r.failed for r in verdicts} == {fails}, struct


def test_no_note_when_the_users_d_or_u_makes_two_configs_one(run_cli):
    """-DCONFIG_MEMCG (or -U) makes the matrix's MEMCG configs read as the
    others: the header does read CONFIG_MEMCG, so no 'changes nothing' note."""
    for flag in ("-DCONFIG_MEMCG", "-UCONFIG_MEMCG"):
        code, out, err = run_cli("check", page("v4.20.h"), flag, "--abi", "x86_64")
        assert "note:" not in out and "changes nothing" not in out, (flag, out)


def test_an_optional_member_misspelt_gets_a_did_you_mean(tmp_path):
    """An optional member is never an error when missing, so a typo in its
    name leaves its rule not applied everywhere: the verdict names the
    member the struct does have."""
    header = tmp_path / "a.h"
    header.write_text("struct s { long flags; int dma_pinned_count; };\n")
    rules = parse_rules('[[rule]]\nname = "pin"\nkind = "offset"\nstruct = "s"\n'
                        'member = "dma_pinned_cuont"\noptional = ["dma_pinned_cuont"]\nexpect = 8\n',
                        str(tmp_path / "layoutcheck.toml"))
    verdicts = check_file(str(header), rules, ABIS[:1], rules.configs)
    assert [r.status for r in verdicts] == ["not-applied"]
    assert "did you mean 'dma_pinned_count'?" in verdicts[0].text


def test_an_extra_for_pattern_that_matches_no_file_is_noted(tmp_path, run_cli):
    """A misspelt [matrix.extra_for] pattern adds its configs to no header:
    check says so in a note (the exit status is the verdicts')."""
    import shutil

    page = os.path.join(CDEFS, "page")
    shutil.copytree(os.path.join(page, "include"), tmp_path / "include")
    shutil.copy(os.path.join(page, "v4.20.h"), tmp_path)
    shutil.copy(os.path.join(page, "hpage-pinned-refcount.h"), tmp_path)
    rules = open(os.path.join(page, "layoutcheck.toml")).read()
    assert '"hpage-pinned-refcount.h" = ' in rules
    (tmp_path / "layoutcheck.toml").write_text(rules)
    code, out, _err = run_cli("check", tmp_path / "v4.20.h", "--abi", "x86_64")
    assert code == 0 and "[matrix.extra_for]" not in out
    (tmp_path / "layoutcheck.toml").write_text(
        rules.replace('"hpage-pinned-refcount.h" = ', '"hpage-pinned-refcont.h" = '))
    code, out, _err = run_cli("check", tmp_path / "v4.20.h", "--abi", "x86_64")
    assert code == 0
    assert "note: [matrix.extra_for] pattern 'hpage-pinned-refcont.h' matches no file" in out
    code, out, _err = run_cli("check", tmp_path / "v4.20.h", "--abi", "x86_64", "--format", "json")
    assert "hpage-pinned-refcont.h" in json.dumps(json.loads(out)["summary"])


def test_when_sees_the_macros_gcc_predefines_for_the_abi(tmp_path):
    """when = { __LP64__ = true } applied nowhere ('no config sets it') and
    = false everywhere, 64-bit ABIs included: the header is read with the
    ABI's predefined macros, and 'when' now asks them too."""
    header = tmp_path / "l.h"
    header.write_text("struct L { long x; };\n")
    rules = parse_rules('[[rule]]\nname = "four"\nkind = "size"\nstruct = "L"\nexpect = 4\n'
                        'when = { __LP64__ = false }\n'
                        '[[rule]]\nname = "eight"\nkind = "size"\nstruct = "L"\nexpect = 8\n'
                        'when = { __LP64__ = true }\n'
                        '[[rule]]\nname = "big"\nkind = "size"\nstruct = "L"\nmax = 8\n'
                        'when = { __BYTE_ORDER__ = true, __ARMEB__ = false }\n',
                        str(tmp_path / "layoutcheck.toml"))
    results = check_file(str(header), rules, ABIS, rules.configs)
    by_rule: dict = {}
    for r in results:
        by_rule.setdefault(r.rule, set()).add((r.abi, r.status))
    lp64 = {a for a in ALL if a not in ("i386", "x32", "arm", "ppc", "mips", "mipsel", "m68k",
                                         "hppa", "sh4")}
    assert by_rule["eight"] == {(a, "pass") for a in lp64}
    assert by_rule["four"] == {(a, "pass") for a in ALL - lp64}
    assert by_rule["big"] == {(a, "pass") for a in ALL}
    # an abi_defines entry adds the macro on its ABIs and takes GCC's away from none
    rules = parse_rules('[matrix.abi_defines]\n__LP64__ = "32bit"\n'
                        '[[rule]]\nname = "four"\nkind = "size"\nstruct = "L"\nexpect = 4\n'
                        'when = { __LP64__ = false }\n', str(tmp_path / "layoutcheck.toml"))
    assert [r.abi for r in check_file(str(header), rules, ABIS, rules.configs)] == ["*"]


def test_a_struct_defined_only_in_some_configs_fails_its_rule_there(tmp_path, run_cli, monkeypatch):
    """A rule without 'when' on a struct under #ifdef CONFIG_X stopped the
    whole check (exit 2, every other verdict lost, no config named): it
    is a failing verdict in the configs that lack the struct, as a missing
    member is."""
    _rules_dir(tmp_path, '[matrix]\nvary = ["CONFIG_X"]\n[[rule]]\nname = "sz"\nkind = "size"\n'
                         'struct = "only_x"\nmax = 8\n'
                         '[[rule]]\nname = "typo"\nkind = "size"\nstruct = "alway"\nmax = 8\n',
               {"t.h": "struct always { int a; };\n#ifdef CONFIG_X\nstruct only_x { int a; };\n"
                       "#endif\n"})
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("check", "t.h", "--abi", "x86_64", "--format", "json")
    assert code == 1, (out, err)
    verdicts = {(r["rule"], r["config"]): (r["status"], r["message"])
                for r in json.loads(out)["results"]}
    assert verdicts[("sz", "CONFIG_X")][0] == "pass"
    status, message = verdicts[("sz", "default")]
    assert status == "fail" and "no struct or union named 'only_x' in t.h in this config" in message
    status, message = verdicts[("typo", "CONFIG_X")]
    assert status == "fail" and "(did you mean 'always'?)" in message


def _offset_rule_on_array_struct(tmp_path, member: str):
    """The verdict on x86_64 of an offset rule naming ``member`` of
    ``struct s { int n; short arr[4]; }``."""
    header = tmp_path / "a.h"
    header.write_text("struct s { int n; short arr[4]; };\n")
    rules = parse_rules(f'[[rule]]\nname = "el"\nkind = "offset"\nstruct = "s"\nmember = "{member}"\n'
                        'expect = 6\n', str(tmp_path / "layoutcheck.toml"))
    (res,) = check_file(str(header), rules, [a for a in ABIS if a.name == "x86_64"], rules.configs)
    return res


def test_a_rule_naming_an_array_element_says_to_name_the_array(tmp_path):
    res = _offset_rule_on_array_struct(tmp_path, "arr[1]")
    assert res.status == "fail"
    assert "no member 'arr[1]': a rule names members, not the elements of an array (name the " \
           "array, 'arr')" in res.message


def test_an_element_of_an_array_the_struct_lacks_is_a_missing_member(tmp_path):
    res = _offset_rule_on_array_struct(tmp_path, "nope[1]")
    assert "no member 'nope[1]'" in res.message and "name the array" not in res.message


def test_a_rule_on_a_typedef_that_changes_the_alignment_fails_where_it_does(tmp_path):
    """check stopped with exit 2, naming neither the rule nor its file."""
    header = tmp_path / "t.h"
    header.write_text("typedef struct s { char c; short h; } S4 __attribute__((aligned(2)));\n")
    rules = parse_rules('[[rule]]\nname = "sz"\nkind = "size"\nstruct = "S4"\nmax = 8\n',
                        str(tmp_path / "layoutcheck.toml"))
    results = check_file(str(header), rules, ABIS, rules.configs)
    failed = {r.abi: r.message for r in results if r.failed}
    # aligned(2) keeps the struct's alignment on every ABI
    assert not failed, failed
    header.write_text("typedef struct s { char c; short h; } S4 __attribute__((aligned(4)));\n")
    results = check_file(str(header), rules, ABIS, rules.configs)
    failed = {r.abi: r.message for r in results if r.failed}
    assert set(failed) == ALL
    assert "typedef S4 gives struct s the alignment 4 where the struct has 2" in failed["x86_64"]


def _shared_rules_project(tmp_path, scope: str):
    """A layoutcheck.toml shared by two headers, one defining struct page:
    its rules carry ``scope`` (a 'headers' line, or nothing)."""
    inc = tmp_path / "include" / "linux"
    inc.mkdir(parents=True)
    (inc / "mm_types.h").write_text("struct page { unsigned long flags; void *mapping; };\n")
    (inc / "other.h").write_text("struct other { int a; };\n")
    (tmp_path / "layoutcheck.toml").write_text(
        'struct = "page"\n'
        f'[[rule]]\nname = "two-words"\nkind = "size"\nexpect = "2*word"\n{scope}'
        '[[rule]]\nname = "mapping-second"\nkind = "offset"\nmember = "mapping"\n'
        'expect = "word"\n')
    return inc


def test_a_rule_names_the_headers_it_is_for(tmp_path, run_cli):
    """A rule of a shared layoutcheck.toml applies to every header below
    it (a header without the struct fails); with 'headers' it is the rule
    of those headers only, and the others say how many they left out."""
    inc = _shared_rules_project(tmp_path, "")
    code, out, _err = run_cli("check", inc / "other.h", "--abi", "x86_64")
    assert code == 1 and "no struct or union named 'page'" in out
    inc = _shared_rules_project(tmp_path / "scoped", 'headers = ["include/linux/mm_*.h"]\n')
    code, out, _err = run_cli("check", inc / "other.h", "--abi", "x86_64")
    assert code == 1, out  # the unscoped rule still fails there
    assert "(1 more for other headers)" in out
    assert "two-words" not in out and "mapping-second" in out
    code, out, _err = run_cli("check", inc / "other.h", "--abi", "x86_64", "--format", "json")
    assert [e["for_other_headers"] for e in json.loads(out)["rules"]] == [1]
    code, out, _err = run_cli("check", inc / "mm_types.h", "--abi", "x86_64,i386", "--format", "json")
    assert code == 0 and [e["for_other_headers"] for e in json.loads(out)["rules"]] == [0]
    verdicts = {(r["rule"], r["abi"], r["status"]) for r in json.loads(out)["results"]}
    assert verdicts == {(rule, abi, "pass") for rule in ("two-words", "mapping-second")
                        for abi in ("x86_64", "i386")}
    # the same rule with --rules: still for its headers only
    code, out, _err = run_cli("check", inc / "other.h", "--abi", "x86_64",
                              "--rules", tmp_path / "scoped" / "layoutcheck.toml")
    assert "(1 more for other headers)" in out and "two-words" not in out


def test_a_headers_pattern_that_names_no_file_never_applies(tmp_path, run_cli):
    """A misspelt 'headers' pattern would leave the rule checked nowhere:
    every header reading the file fails with it."""
    inc = _shared_rules_project(tmp_path, 'headers = ["include/linux/mm_type.h"]\n')
    for header in ("mm_types.h", "other.h"):
        code, out, _err = run_cli("check", inc / header, "--abi", "x86_64", "--format", "json")
        assert code == 1, out
        bad = [r for r in json.loads(out)["results"] if r["rule"] == "two-words"]
        assert len(bad) == 1 and bad[0]["status"] == "not-applied"
        assert bad[0]["cause"] == "never-selected" and "mm_type.h" in bad[0]["message"]


@pytest.mark.parametrize("value, said", [
    ('["/usr/include/linux/mm_types.h"]', "not a path relative"),
    ("[]", "empty list"),
    ("[3]", "header paths or globs"),
])
def test_a_rules_headers_key_is_checked(value, said):
    with pytest.raises(LayoutError, match=said):
        parse_rules(f'[[rule]]\nkind = "size"\nstruct = "s"\nexpect = 4\nheaders = {value}\n', "r.toml")


def test_a_rule_for_a_header_with_rules_of_its_own_never_applies(tmp_path, run_cli):
    """A header with its own NAME.rules.toml reads only that: a rule of
    the shared file naming it in 'headers' applies to no header, and every
    header reading the shared file says so (exit 1)."""
    inc = _shared_rules_project(tmp_path, 'headers = ["include/linux/mm_types.h"]\n')
    (inc / "mm_types.rules.toml").write_text('[[rule]]\nkind = "size"\nstruct = "page"\nmax = 64\n')
    code, out, _err = run_cli("check", inc / "mm_types.h", "--abi", "x86_64", "--format", "json")
    assert code == 0 and "two-words" not in out
    code, out, _err = run_cli("check", inc / "other.h", "--abi", "x86_64", "--format", "json")
    dead = [r for r in json.loads(out)["results"] if r["rule"] == "two-words"]
    assert code == 1 and len(dead) == 1 and dead[0]["cause"] == "never-selected"
    assert "mm_types.rules.toml" in dead[0]["message"]
    # given as --rules, the file is every header's rules: nothing is dead
    code, out, _err = run_cli("check", inc / "mm_types.h", "--abi", "x86_64", "--format", "json",
                              "--rules", tmp_path / "layoutcheck.toml")
    verdicts = {(r["rule"], r["status"]) for r in json.loads(out)["results"]}
    assert code == 0 and verdicts == {("two-words", "pass"), ("mapping-second", "pass")}
