"""Bytes of a layout: the construct definitions (``image``), held to the
bytes GCC writes for the same designated initializer on every ABI, and
the ``decode`` and ``alias`` commands built on them."""

from __future__ import annotations

import glob
import json
import os

import pytest

import layoutcheck as lc
from layoutcheck import image
from layoutcheck.abi import all_abis
from layoutcheck.errors import LayoutError
from layoutcheck.oracle.gcc import ask_gcc_image
from layoutcheck.oracle.generate import generate

from .conftest import CDEFS, need_all_compilers, record

PAGE = os.path.join(CDEFS, "page")
V420 = os.path.join(PAGE, "v4.20.h")


def _agree(prog, lay, abi, seed):
    values = image.sample_values(lay, seed)
    built = image.build(lay, values)
    assert len(built) == lay.size
    back = image.parse(lay, built)
    assert {k: back[k] for k in values} == values, (lay.name, abi.name, seed)
    gcc = ask_gcc_image(abi, prog.oracle_source(), lay, image.c_initializer(lay, values))
    assert built == gcc, (lay.name, abi.name, seed, built.hex(), gcc.hex())
    return len(values)


@pytest.mark.oracle
@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(PAGE, "*.h"))),
                         ids=os.path.basename)
def test_struct_page_images_equal_gcc_on_every_abi(path):
    """Each union variant in turn (seeds 0-3), bit-fields included, built by
    the construct definition and by GCC from the same initializer."""
    need_all_compilers()
    prog = lc.load(path, ["all"], defines={"CONFIG_MEMCG": "1"})
    items = layouts = 0
    for abi in all_abis():
        lay = prog.layout("page", abi)
        for seed in range(4):
            items += _agree(prog, lay, abi, seed)
            layouts += 1
    record("struct images (construct) vs GCC bytes", layouts, items)


@pytest.mark.oracle
@pytest.mark.parametrize("seed", range(4))
def test_generated_struct_images_equal_gcc(seed):
    need_all_compilers()
    prog = lc.load(generate(seed, 12), ["all"], filename=f"generated-{seed}.c")
    items = layouts = 0
    for abi in all_abis():
        for lay in prog.layouts(abis=[abi]):
            if not lay.name or lay.name.startswith("<"):
                continue
            items += _agree(prog, lay, abi, seed)
            layouts += 1
    assert layouts >= 12 * 18
    record("struct images (construct) vs GCC bytes", layouts, items)


def test_bitfields_sit_at_gccs_bits_on_both_byte_orders():
    for abi, word in (("x86_64", (0x812C0005).to_bytes(4, "little") + bytes(4)),
                      ("ppc", (0x00050259).to_bytes(4, "big"))):
        lay = lc.load(V420, [abi]).layout("page", abi)
        built = image.build(lay, {"inuse": 5, "objects": 300, "frozen": 1})
        counters = lay.get("counters")
        assert built[counters.offset:counters.offset + counters.size] == word


def test_build_refuses_what_it_cannot_write():
    lay = lc.load(V420, ["x86_64"]).layout("page", "x86_64")
    with pytest.raises(LayoutError, match="no member 'lru.nxt'"):
        image.build(lay, {"lru.nxt": 1})
    with pytest.raises(LayoutError, match="_refcount is a struct: give its members"):
        image.build(lay, {"_refcount": 1})
    with pytest.raises(LayoutError, match="more than one variant of a union"):
        image.build(lay, {"mapping": 1, "compound_dtor": 2})
    # one, then the other through overlay: the second write wins its bytes
    data = image.overlay(lay, image.build(lay, {"mapping": 1}), {"compound_dtor": 2})
    assert image.parse(lay, data)["compound_dtor"] == 2


def _two_pages(tmp_path, abi):
    lay = lc.load(V420, [abi]).layout("page", abi)
    head = 0xC0400000
    first = image.build(lay, {"flags": 0x10000, "lru.next": 0xC1234560, "lru.prev": 0xC1234570,
                              "mapping": 0xC7654320, "index": 42, "_refcount.counter": 3,
                              "_mapcount.counter": -1})
    second = image.build(lay, {"compound_head": head + 1, "compound_dtor": 2, "compound_order": 9,
                               "compound_mapcount.counter": -1})
    dump = tmp_path / f"pages-{abi}.bin"
    dump.write_bytes(b"\xee" * 16 + first + second)
    return dump


@pytest.mark.parametrize("abi", ["x86_64", "ppc"])
def test_decode_prints_the_values_and_the_tail_page(tmp_path, run_cli, abi):
    dump = _two_pages(tmp_path, abi)
    code, out, err = run_cli("decode", V420, dump, "--struct", "page", "--abi", abi, "--offset", "16")
    assert code == 0, err
    first, second = out.split("\n[1] at ")
    assert "  lru.next " in first and "0xc1234560" in first
    assert "  index  " in first and "  index                      42" in first
    assert "  _mapcount.counter          -1" in first
    assert "PageTail (page-tail-bit): clear: bit 0 of compound_head is 0" in first
    assert "  compound_order             9" in second
    assert ("PageTail (page-tail-bit): set: bit 0 of compound_head is 1, a tail page; its head "
            "page is at 0xc0400000") in second
    code, out, _ = run_cli("decode", V420, dump, "--struct", "page", "--abi", abi, "--offset", "16",
                           "--format", "json")
    doc = json.loads(out)
    assert [s["checks"][0]["tail"] for s in doc["structs"]] == [False, True]
    assert doc["structs"][1]["values"]["compound_dtor"] == 2


def test_decode_refuses_what_the_dump_cannot_hold(tmp_path, run_cli):
    dump = _two_pages(tmp_path, "x86_64")
    code, _, err = run_cli("decode", V420, dump, "--struct", "page", "--abi", "x86_64", "--count", "3")
    assert code == 2 and "hold 2 struct page" in err
    code, _, err = run_cli("decode", V420, dump, "--struct", "page")
    assert code == 2 and "give one ABI" in err
    code, _, err = run_cli("decode", V420, tmp_path / "none.bin", "--struct", "page", "--abi", "i386")
    assert code == 2 and "No such file" in err


def test_alias_shows_what_the_rfc_count_corrupts(run_cli):
    """Hubbard: "Very badly: page->pgmap and page->hmm_data both get
    corrupted" by the LRU-aliased dma_pinned fields."""
    header = os.path.join(PAGE, "lru-dma-pinned.h")
    code, out, err = run_cli("alias", header, "--struct", "page", "--set", "dma_pinned_flags=2",
                             "--set", "dma_pinned_count.counter=1", "--abi", "x86_64", "--abi", "i386")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1] == "  both ABIs (x86_64 i386):"
    assert "    pgmap               now 0x2" in lines
    assert "    hmm_data            now 1" in lines
    code, out, _ = run_cli("alias", header, "--struct", "page", "--set", "dma_pinned_flags=3",
                           "--abi", "x86_64")
    assert code == 1
    assert "sets PageTail: bit 0 of compound_head is now 1 (breaks page-tail-bit" in out


def test_alias_refuses_bad_writes(run_cli):
    for argv, message in ((["--set", "inuse=70000"], "does not fit inuse (unsigned int, 16 bits)"),
                          (["--set", "nosuch=1"], "has no member 'nosuch'"),
                          (["--set", "flags"], "give MEMBER=VALUE")):
        code, _, err = run_cli("alias", V420, "--struct", "page", "--abi", "x86_64", *argv)
        assert code == 2 and message in err


def test_values_as_c_stores_them(tmp_path):
    """_Bool holds 0 or 1; an enum bit-field takes and gives enumerator
    names; arrays of records are lists of {member: value}; 2-D arrays and
    __int128 values reach GCC as written."""
    text = ("enum col { RED = -1, GREEN = 2, BLUE = 300 };\n"
            "struct t { unsigned a:4; unsigned b:12; union { char c; short d; }; };\n"
            "struct s { _Bool flag; enum col e:10; struct t in[2]; short m[2][3]; "
            "unsigned __int128 big; };\n")
    for abi in ("x86_64", "ppc64", "s390x"):
        prog = lc.load(text, [abi])
        lay = prog.layout("s", abi)
        values = {"flag": 2, "e": "GREEN", "in": [{"a": 1, "b": 2, "c": 3}, {"a": 15, "d": -2}],
                  "m": [[1, 2, 3], [4, 5, -6]], "big": (1 << 100) + 5}
        built = image.build(lay, values)
        back = image.parse(lay, built)
        assert back["flag"] == 1 and back["e"] == "GREEN"
        assert back["in"][0] == {"a": 1, "b": 2, "c": 3, "d": back["in"][0]["d"]}
        assert back["in"][1]["a"] == 15 and back["in"][1]["d"] == -2
        assert back["m"] == [[1, 2, 3], [4, 5, -6]] and back["big"] == (1 << 100) + 5
        gcc_values = dict(values, flag=1, **{"in": None})
        del gcc_values["in"]
        expect = image.build(lay, gcc_values)
        assert expect == ask_gcc_image(lay.engine.abi, prog.oracle_source(), lay,
                                       image.c_initializer(lay, gcc_values))
    with pytest.raises(LayoutError, match="'PURPLE' is no enumerator"):
        image.build(lay, {"e": "PURPLE"})


def test_decode_and_alias_edges(tmp_path, run_cli):
    header = tmp_path / "f.h"
    header.write_text("struct s { float f; double d; _Bool b; };\n")
    dump = tmp_path / "nan.bin"
    dump.write_bytes(b"\x7f\xc0\x00\x00" + bytes(4) + b"\x7f\xf0" + bytes(6) + bytes(8))
    code, out, _ = run_cli("decode", header, dump, "--struct", "s", "--abi", "ppc", "--format", "json")
    assert code == 0
    doc = json.loads(out)  # strict JSON: no bare NaN
    assert doc["structs"][0]["values"]["f"] == "nan" and doc["structs"][0]["values"]["d"] == "inf"
    code, _, err = run_cli("decode", header, dump, "--struct", "s", "--abi", "ppc", "--offset", "1000")
    assert code == 2 and "hold no whole struct s" in err
    code, out, _ = run_cli("alias", header, "--struct", "s", "--set", "f=1e10", "--abi", "x86_64")
    assert code == 0 and "no other member changes" in out
    union = tmp_path / "u.h"
    union.write_text("union u { _Bool b; unsigned char raw; };\n")
    code, out, _ = run_cli("alias", union, "--struct", "u", "--set", "b=2", "--abi", "x86_64")
    assert out.startswith("union u in ") and "raw  now 1" in out
