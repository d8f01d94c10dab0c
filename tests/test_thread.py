"""The verdicts of `check cdefs/page/*.h` are the thread's.

Each test quotes the December 2018 linux-mm thread (shared/seeds: Re:
[PATCH 1/2] mm: introduce put_user_page*(), placeholder versions) for the
verdict it pins, on all 18 ABIs and every config of the matrix.
"""

from __future__ import annotations

import os
import re

import pytest

from layoutcheck.abi import all_abis
from layoutcheck.rules import check_file, load_rules, load_rules_for

from .conftest import CDEFS, need_all_compilers

RULES = os.path.join(CDEFS, "page", "layoutcheck.toml")


def page(name):
    return os.path.join(CDEFS, "page", name)


def verdicts(path):
    need_all_compilers()
    rs = load_rules_for(path)
    return check_file(path, rs, all_abis(), rs.configs_for(path))


def failing(path):
    return {r.rule for r in verdicts(path) if r.failed}


def cells(results, rule, status="fail"):
    return {(r.abi, r.config) for r in results if r.rule == rule and r.status == status}


def _variant(tmp_path, source, old, new, name="variant.h"):
    """A header of cdefs/page changed in one place, checked with the same
    rules (and the prelude it includes)."""
    text = open(page(source)).read()
    assert old in text
    out = tmp_path / name
    out.write_text(text.replace(old, new).replace('#include "include/prelude.h"',
                                                  f'#include "{page("include/prelude.h")}"'))
    return str(out)


def check_with_page_rules(path):
    need_all_compilers()
    rs = load_rules(RULES)
    return check_file(path, rs, all_abis(), rs.configs)


def test_lru_overlay_collides_with_zone_device_not_with_page_tail():
    """Dan Williams: "Except the LRU fields are already in use for
    ZONE_DEVICE pages... how does this proposal interact with those?"
    Hubbard: "Very badly: page->pgmap and page->hmm_data both get
    corrupted."  The RFC's flags start at bit 1 (PAGE_DMA_PINNED is 0x2),
    so PageTail is not what breaks."""
    res = verdicts(page("lru-dma-pinned.h"))
    assert {r.rule for r in res if r.failed} == {"pin-count-on-a-zone-device-pad"}
    assert len(cells(res, "pin-count-on-a-zone-device-pad")) == 180
    assert len(cells(res, "page-tail-bit", "pass")) == 180
    fail = next(r for r in res if r.failed)
    assert "dma_pinned_count" in fail.text and "hmm_data" in fail.text


def test_a_count_on_the_page_tail_word_fails(tmp_path):
    """Hubbard: the count goes in "the *second* field of the LRU (in order
    to avoid PageTail bit)": a count can be odd, so a count on
    compound_head's word fails the PageTail rule."""
    swapped = _variant(tmp_path, "lru-dma-pinned.h",
                       "unsigned long dma_pinned_flags;\n\t\t\t\t\tatomic_t      dma_pinned_count;",
                       "atomic_t      dma_pinned_count;\n\t\t\t\t\tunsigned long dma_pinned_flags;")
    res = check_with_page_rules(swapped)
    tail = [r for r in res if r.rule == "page-tail-bit"]
    assert len(tail) == 180 and all("dma_pinned_count" in r.text for r in tail if r.failed)
    # a 4-byte count at the start of an 8-byte big-endian word holds its
    # high half: bit 0 of the word is not its
    assert {r.abi for r in tail if not r.failed} == {"ppc64", "s390x", "sparc64"}
    assert len([r for r in tail if r.failed]) == 150


def test_the_reshuffle_frees_lru_prev_for_the_count_but_moves_hmm_data():
    """Hubbard: "Basically _zd_pad_1 gets move up"; Glisse: "This breaks
    HMM today as hmm_data would alias with mapping field.  hmm_data can
    only be in LRU.prev"."""
    res = verdicts(page("zd-swap.h"))
    assert len(cells(res, "pin-count-on-a-zone-device-pad", "pass")) == 180
    assert len(cells(res, "page-tail-bit", "pass")) == 180
    assert {r.rule for r in res if r.failed} == {
        "hmm-data-on-lru-prev", "zone-device-off-mapping-index-private", "zd-pad-1-on-mapping"}
    rs = load_rules(RULES)
    dup = next(r for r in rs.rules if r.name == "zd-pad-1-on-mapping")
    assert "fails with hmm-data-on-lru-prev" in dup.why  # one move, said as such


def test_pads_first_puts_zone_device_data_on_index_and_private():
    """Wilcox: "We just need to rearrange ZONE_DEVICE pages ... You don't
    use page->private or page->index, do you Dan?"  Glisse:
    "page->private and page->index are use by HMM DEVICE page"."""
    res = verdicts(page("zd-pad-first.h"))
    assert {r.rule for r in res if r.failed} == {"hmm-data-on-lru-prev",
                                                 "zone-device-off-mapping-index-private"}
    clash = next(r for r in res if r.rule == "zone-device-off-mapping-index-private" and r.failed)
    assert "pgmap" in clash.text and "index" in clash.text and "private" in clash.text


def test_pin_state_may_not_take_mapping_index_or_private(tmp_path):
    """Glisse: "HMM private page are use for anonymous page so the index
    and mapping fields have the value you expect for such pages"."""
    on_index = _variant(tmp_path, "lru-dma-pinned.h",
                        "\t\t\tpgoff_t index;\t\t/* offset in mapping, in pages */",
                        "\t\t\tunion { pgoff_t index; unsigned long _dma_pinned_count; };")
    res = check_with_page_rules(on_index)
    assert len(cells(res, "dma-pin-state-off-hmm-page-fields")) == 180


def test_one_packed_field_is_out_of_space_for_zone_device():
    """Hubbard: "Those *could* be packed into a single 64-bit field, if
    really necessary", then "HMM has done an efficient job of mopping up
    unused fields, and now we are completely out of space"."""
    res = verdicts(page("one-field.h"))
    assert {r.rule for r in res if r.failed} == {"pin-count-on-a-zone-device-pad"}
    assert len(cells(res, "page-tail-bit", "pass")) == 180
    assert len(cells(res, "no-growth-from-v4.20", "pass")) == 180


def test_a_new_field_costs_memory_where_it_grows_struct_page():
    """Hubbard: "it seems clear that it's time for a single, new field",
    atomic_t _dma_pinned_count after _refcount.  Judged against v4.20: it
    grows struct page wherever alignment padding does not absorb it (not in
    the double-word aligned configs where the old size left 4 bytes spare),
    and _refcount keeps its place."""
    res = verdicts(page("dma-pinned-count.h"))
    grew = cells(res, "no-growth-from-v4.20")
    kept = cells(res, "no-growth-from-v4.20", "pass")
    assert len(grew) + len(kept) == 180 and len(grew) == 144
    bits = {a.name: a.bits for a in all_abis()}
    aligned = {"CONFIG_HAVE_ALIGNED_STRUCT_PAGE", "CONFIG_HAVE_ALIGNED_STRUCT_PAGE+ALLOC_SPLIT_PTLOCKS",
               "CONFIG_MEMCG+CONFIG_HAVE_ALIGNED_STRUCT_PAGE",
               "CONFIG_MEMCG+CONFIG_HAVE_ALIGNED_STRUCT_PAGE+ALLOC_SPLIT_PTLOCKS"}
    assert all(c in aligned for _a, c in kept)
    assert {(bits[a], "MEMCG" in c) for a, c in kept} == {(64, False), (32, True)}
    assert not any("_refcount" in r.text for r in res if r.failed)
    assert failing(page("dma-pinned-count.h")) == {"no-growth-from-v4.20", "page-64-bytes"}


def test_v5_7_page_pool_bug_is_in_the_matrix_of_its_file():
    """Not the thread: the v5.7 page_pool dma_addr on 32-bit ABIs with
    64-bit DMA addresses (fixed in 2021).  [matrix.extra_for] puts that
    config in hpage-pinned-refcount.h's matrix, so `check` shows it."""
    res = verdicts(page("hpage-pinned-refcount.h"))
    bad = {r.abi for r in res if r.failed}
    assert bad == {"x32", "arm", "ppc", "mips", "mipsel", "hppa"}
    assert {r.config for r in res if r.failed} == {"CONFIG_MEMCG+CONFIG_ARCH_DMA_ADDR_T_64BIT"}
    assert {r.rule for r in res if r.failed} >= {"big-union-five-words", "freelist-double-word"}
    # the other files are not read in that config
    assert len(load_rules_for(page("v4.20.h")).configs_for(page("v4.20.h"))) == 10


@pytest.mark.parametrize("name", [
    "v4.20.h", "lru-dma-pinned.h", "zd-pad-first.h", "zd-swap.h", "one-field.h", "dma-pinned-count.h",
])
def test_the_thread_headers_say_where_they_come_from(name):
    text = open(page(name)).read()
    assert re.search(r"Message-I[Dd]|<[\w.-]+@[\w.-]+>", text), name


def test_every_rule_says_where_it_comes_from():
    for rule in load_rules(RULES).rules:
        if rule.why:
            assert rule.why.split(":", 1)[0] in ("Thread", "Kernel", "Policy"), rule.name
