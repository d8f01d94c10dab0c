"""tools/mutate.py, and the struct page mutants the rules must catch.

Each named mutant below is a change to cdefs/page/v4.20.h that used to pass
every rule.  It must now fail `check` by the named rule on every ABI and
config where it changes the bytes of the layout (pointer retypes change no
byte: they must fail everywhere), and `diff` must report it.
"""

import importlib.util
import json
import os
import sys

import pytest

from layoutcheck.abi import all_abis, resolve_abis

from .conftest import CDEFS, ROOT

_spec = importlib.util.spec_from_file_location("mutate", os.path.join(ROOT, "tools", "mutate.py"))
mutate = importlib.util.module_from_spec(_spec)
sys.modules["mutate"] = mutate  # its dataclasses look their module up
_spec.loader.exec_module(mutate)

V420 = "page/v4.20.h"
ABIS = all_abis()
BITS64 = {a.name for a in ABIS if a.bits == 64}
ALIGNED = "CONFIG_HAVE_ALIGNED_STRUCT_PAGE"

with open(os.path.join(CDEFS, V420)) as _fh:
    TEXT = _fh.read()

FREELIST = "\t\t\tvoid *freelist;\t\t/* head of the free-object chain */\n"
SLUB_PAIR = FREELIST + """\
			union {
				void *s_mem;	/* SLAB: address of object 0 */
				unsigned long counters;	/* SLUB: the three below */
				struct {	/* SLUB's split of counters */
					unsigned inuse:16;
					unsigned objects:15;
					unsigned frozen:1;
				};
			};
"""
COUNTERS_FIRST = SLUB_PAIR[len(FREELIST):] + FREELIST  # the counters union, then freelist


def edit(old, new):
    assert TEXT.count(old) == 1, old
    return TEXT.replace(old, new)


@pytest.fixture(scope="module")
def evaluator():
    with mutate.Evaluator(CDEFS, ABIS) as ev:
        yield ev


def judge(evaluator, text, operator="named"):
    v = evaluator.evaluate(mutate.Mutant(V420, operator, "test", text))
    assert v.status == "tested", (v.status, v.error)
    assert v.killed_by_diff and v.diff_cells == v.changed_cells
    return v


def caught_where_bytes_change(v, rule):
    """The rule fails (where the original passed) on every ABI and config
    whose layout bytes the mutant changes; retypes change no byte, so
    there it must fail wherever the layout (a member's type) changed."""
    assert rule in v.check_kills, sorted(v.check_kills)
    must = v.byte_cells or v.changed_cells
    missed = must - v.check_kills[rule]
    assert not missed, sorted(missed)[:5]


# ------------------------------------------------- C: named struct page mutants
def test_char_pointer_on_the_compound_head_word_fails_tail_bit(evaluator):
    v = judge(evaluator, edit("struct page *next;", "char *next;"))
    assert not v.byte_cells  # same bytes: only the type says it can be odd
    caught_where_bytes_change(v, "page-tail-bit")
    assert len(v.check_kills["page-tail-bit"]) == 18 * 10


def test_function_pointer_on_the_compound_head_word_fails_tail_bit(evaluator):
    v = judge(evaluator, edit("struct dev_pagemap *pgmap;", "void (*pgmap)(void);"))
    caught_where_bytes_change(v, "page-tail-bit")
    assert len(v.check_kills["page-tail-bit"]) == 18 * 10


def test_incomplete_pointee_declared_aligned_still_fails_when_retyped(evaluator):
    """pgmap passes through aligned_pointees (struct dev_pagemap), a
    declaration about its type, not its name: as char * it fails."""
    v = judge(evaluator, edit("struct dev_pagemap *pgmap;", "char *pgmap;"))
    caught_where_bytes_change(v, "page-tail-bit")


def test_dropped_struct_page_alignment_fails_the_aligned_config_rule(evaluator):
    v = judge(evaluator, edit("} _struct_page_alignment;", "};"))
    assert v.byte_cells and all(ALIGNED in cfg for _abi, cfg in v.byte_cells)
    caught_where_bytes_change(v, "page-aligned-double-word")
    x86 = {cfg for abi, cfg in v.check_kills["page-aligned-double-word"] if abi == "x86_64"}
    assert x86 == {cfg for _abi, cfg in v.byte_cells}


def test_counters_before_freelist_fails_adjacency(evaluator):
    v = judge(evaluator, edit(SLUB_PAIR, COUNTERS_FIRST))
    caught_where_bytes_change(v, "freelist-counters-adjacent")
    caught_where_bytes_change(v, "freelist-double-word")


@pytest.mark.parametrize("old, new", [
    ("unsigned long flags;", "unsigned int flags;"),
    ("pgoff_t index;", "unsigned int index;"),
])
def test_flags_or_index_narrowed_fails_word_width(evaluator, old, new):
    v = judge(evaluator, edit(old, new))
    assert {abi for abi, _cfg in v.byte_cells} == BITS64  # same bytes on 32-bit
    caught_where_bytes_change(v, "word-members-one-word")


def test_pragma_pack_around_struct_page_fails_natural_alignment(evaluator):
    text = edit("struct page {", "#pragma pack(1)\nstruct page {")
    text = text.replace("} _struct_page_alignment;", "} _struct_page_alignment;\n#pragma pack()")
    v = judge(evaluator, text)
    caught_where_bytes_change(v, "page-natural-alignment")


def test_equivalent_mutant_is_excluded(evaluator):
    """Two same-typed members of a union swapped: nothing moves."""
    text = edit("unsigned int page_type;\t/* PG_buddy etc. when never mapped */\n"
                "\t\tunsigned int active;\t/* used by SLAB */",
                "unsigned int active;\t/* used by SLAB */\n"
                "\t\tunsigned int page_type;\t/* PG_buddy etc. when never mapped */")
    v = evaluator.evaluate(mutate.Mutant(V420, "swap", "test", text))
    assert v.status == "equivalent" and not v.changed_cells


# ---------------------------------------------------------------- D: the tool
def test_every_operator_finds_mutants_in_v4_20():
    with mutate.Evaluator(CDEFS, resolve_abis(["x86_64"])) as ev:
        gen = mutate.Generator(V420, TEXT, ev.int_typedefs(V420))
        found = gen.mutants(mutate.OPERATORS)
    assert all(found[op] for op in mutate.OPERATORS), {op: len(m) for op, m in found.items()}
    whats = {m.what for ms in found.values() for m in ms}
    assert {"drop _struct_page_alignment", "index: pgoff_t -> unsigned int",
            "#pragma pack(1) around struct page", "inuse: 16 -> 15 bits"} <= whats


def test_mutate_on_a_subset_diff_kills_every_mutant(capsys):
    code = mutate.main(["--cdefs", CDEFS, "--file", "v4.20.h", "--file", "prelude.h",
                        "--limit", "1", "--abi", "x86_64,i386,m68k,ppc64", "--config", "default",
                        "--config", "CONFIG_MEMCG+CONFIG_HAVE_ALIGNED_STRUCT_PAGE",
                        "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    total = doc["total"]
    assert code == 0
    assert total["mutants"] > 0 and total["diff"] == total["mutants"]
    assert set(doc["operators"]) == set(mutate.OPERATORS)
    assert "page/include/prelude.h: mutants judged through page/compound-pincount.h" in doc["notes"]
    assert total["generated"] == total["mutants"] + total["equivalent"] + total["invalid"]
    assert "page-tail-bit" in doc["rules"] and "static-assert" in doc["rules"]
