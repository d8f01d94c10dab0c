"""Real kernel trees: every struct of six big headers, on all eight Debian trees.

For each configured Debian 6.1 tree (tools/fetch_kernel_trees.py):
``show --kernel TREE <six headers> --format json`` must list exactly the
tagged structs and unions that GCC's DWARF of the same headers, built as
an external module of that tree, lists; ``verify --kernel`` must find
every size, alignment, member offset and bit mask equal; the header's own
static asserts must all hold; and the struct page rules must run on the
real ``struct page``.
"""

from __future__ import annotations

import json
import os

import pytest

import layoutcheck as lc
from layoutcheck.oracle.kbuild import find_kernel_tree, kernel_answers

from .conftest import CDEFS, oracles_required, record

pytestmark = [pytest.mark.oracle, pytest.mark.slow]

FLAVOURS = ["amd64", "arm64", "686-pae", "armmp", "powerpc64le", "s390x", "mips64r2el",
            "4kc-malta"]
HEADERS = ["linux/mm_types.h", "linux/fs.h", "linux/sched.h", "linux/skbuff.h",
           "linux/netdevice.h", "linux/blkdev.h"]


def _tree(flavour: str) -> str:
    tree = find_kernel_tree(flavour)
    if tree is None:
        message = f"Debian's {flavour} kernel tree is not fetched (tools/fetch_kernel_trees.py)"
        if oracles_required():
            pytest.fail(message)
        pytest.skip(message)
    return tree


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_six_headers_equal_the_trees_own_build(flavour, run_cli):
    tree = _tree(flavour)
    code, out, err = run_cli("show", "--kernel", tree, *HEADERS, "--format", "json")
    assert code == 0, err
    shown = {(lay["kind"], lay["name"]) for lay in json.loads(out)["layouts"]}
    answers = kernel_answers(tree, HEADERS)
    assert shown == set(answers.records), (
        sorted(shown - set(answers.records))[:5], sorted(set(answers.records) - shown)[:5])
    report = lc.verify(HEADERS, kernel=tree)
    assert not report.mismatches, [str(m) for m in report.mismatches[:10]]
    (abi,) = report.structs
    record("kernel 6.1 trees, six headers vs kbuild (8 ABIs)", report.structs[abi],
           report.total_items)
    assert report.structs[abi] > 1000 and report.total_items > 15000


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_mm_types_static_asserts_and_struct_page_rules(flavour):
    tree = _tree(flavour)
    rules_file = os.path.join(CDEFS, "page", "layoutcheck.toml")
    report = lc.check("linux/mm_types.h", kernel=tree, rules=rules_file)
    asserts = [r for r in report.results if r.kind == "static-assert"]
    assert len(asserts) >= 20
    assert all(r.passed for r in asserts), [r.message for r in asserts if not r.passed]
    rules = [r for r in report.results if r.kind != "static-assert"]
    assert not [r for r in rules if r.failed], [r.message for r in rules if r.failed]
    assert not [r for r in rules if r.not_applied and r.cause == "never-selected"]
    # the rules about what every era of struct page has were applied
    applied = {r.rule for r in rules if r.passed}
    assert {"page-tail-bit", "big-union-five-words", "word-members-one-word"} <= applied


def test_diff_in_a_kernel_tree(run_cli, tmp_path):
    """diff --kernel names headers as they are included and judges the rules
    and static asserts in the tree's .config: a struct page with one more
    word says so."""
    tree = _tree("amd64")
    from layoutcheck.kernel import open_tree

    original = open_tree(tree).resolve("linux/mm_types.h")
    text = open(original).read()
    grown = text.replace("\tunsigned long flags;", "\tunsigned long flags;\n\tunsigned long extra;", 1)
    assert grown != text
    changed = tmp_path / "mm_types.h"
    changed.write_text(grown)
    rules_file = os.path.join(CDEFS, "page", "layoutcheck.toml")
    code, out, err = run_cli("diff", "--kernel", tree, "linux/mm_types.h", changed,
                             "--struct", "page", "--rules", rules_file)
    assert code == 1, err
    assert "size 64 -> 80" in out  # one word more, aligned to two words
    assert "rule page-64-bytes: pass -> fail" in out
    # the kernel's own FOLIO_MATCH asserts catch it too
    assert "static assert 'offsetof(struct page, mapping) == offsetof(struct folio, mapping)': " \
           "pass -> fail" in out


@pytest.mark.parametrize("flavour", ["amd64", "s390x"])
def test_reading_on_demand_changes_nothing_on_a_real_tree(flavour):
    """The six headers' text: the tokenizer gives exactly pycparser's tokens
    for all of it (bodies included), and deferring the declarations of
    functions and variables gives the same layouts and static asserts as
    parsing every declaration at once."""
    from layoutcheck.cfront.builder import Builder
    from layoutcheck.cfront.parser import parse_c
    from layoutcheck.engine import LayoutEngine
    from layoutcheck.layouts import Layout
    from layoutcheck.options import Options, open_kernel_unit

    from .test_kernel_frontend import _pycparser_tokens, _scan_tokens, _scanned_key

    tree = _tree(flavour)
    prog = open_kernel_unit(HEADERS, Options.make(None, kernel=tree))
    (group,) = prog.groups
    text = group.text
    theirs = _pycparser_tokens(text, group.filename)
    assert len(theirs) > 500_000
    assert _scan_tokens(text, group.filename) == theirs

    # Read as the preprocessor writes it, in uneven pieces: the same.
    from layoutcheck.cfront.scan import Scanner, scan

    scanner = Scanner(group.filename)
    for cut in range(0, len(text), 100_003):
        scanner.feed(text[:cut])
    assert _scanned_key(scanner.finish(text)) == _scanned_key(scan(text, group.filename))

    def everything(defer):
        tu = Builder().build(parse_c(text, group.filename, defer=defer))
        engine = LayoutEngine(prog.abis[0])
        layouts = [Layout(rec, engine, {}, "k").to_json() for rec in tu.tagged_records()]
        asserts = [(str(a.coord), engine.ev.integer(a.expr)) for a in tu.static_asserts]
        return layouts, asserts

    deferred, whole = everything(True), everything(False)
    assert len(deferred[0]) > 1000 and len(deferred[1]) > 20
    assert all(value for _, value in deferred[1])
    assert deferred == whole


@pytest.mark.parametrize("flavour", ["amd64", "armmp", "s390x"])
def test_headers_with_an_enum_mode_and_bswap_constants_equal_the_build(flavour):
    """linux/netfs.h's enum netfs_io_source ... __mode(byte) and
    linux/sctp.h's cpu_to_be16(1) (__builtin_bswap16 where little-endian)
    in an enumerator: read and laid out as the tree's own build does."""
    tree = _tree(flavour)
    report = lc.verify(["linux/netfs.h", "linux/sctp.h", "linux/fscache.h"], kernel=tree)
    assert not report.mismatches, [str(m) for m in report.mismatches[:10]]
    (abi,) = report.structs
    assert report.structs[abi] > 500


def test_a_when_no_tree_config_sets_is_not_applied_and_a_header_macro_never(tmp_path, run_cli):
    """In a kernel tree 'when' sees the tree's .config, not the rules'
    matrix: a rule on a symbol this tree leaves unset is not applied (another
    tree's .config may set it), whatever matrix the rules file has; a rule on
    a macro no .config sets can never apply there (from a review: armmp
    failed the first as 'never apply' for want of a matrix)."""
    armmp = _tree("armmp")

    def check_when(macro: str):
        """(exit status, the rule's verdict) of a rule on ``macro`` on armmp."""
        rules = tmp_path / f"{macro}.toml"
        rules.write_text('struct = "page"\n[[rule]]\nname = "r"\nkind = "size"\nmembers = ["flags"]\n'
                         f'expect = "word"\nwhen = {{ {macro} = true }}\n')
        code, out, err = run_cli("check", "--kernel", armmp, "--rules", rules, "linux/mm_types.h",
                                 "--format", "json")
        (verdict,) = [r for r in json.loads(out)["results"] if r["rule"] == "r"]
        return code, verdict

    code, verdict = check_when("CONFIG_NUMA_BALANCING")
    assert code == 0, verdict
    assert verdict["status"] == "not-applied" and verdict["cause"] == "not-in-tree-config"
    code, verdict = check_when("ALLOC_SPLIT_PTLOCKS")
    assert code == 1, verdict
    assert verdict["cause"] == "never-selected" and "not a .config symbol" in verdict["message"]
