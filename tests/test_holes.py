"""Holes, tail padding and union-variant gaps, computed on the layout.

A hole is a bit range no member at any depth covers, before the end of the
last member's storage; what follows is tail padding.  Bytes a struct inside
a union leaves unused but another alternative of the union covers are gaps
of that variant (``Layout.variant_gaps``), not holes of the layout.  All
positions are absolute bits in allocation order.
"""

import os

import layoutcheck as lc
from layoutcheck.layouts import HOLE, TAIL, VARIANT, Gap
from layoutcheck.render import render_text

from .conftest import CDEFS

V420 = os.path.join(CDEFS, "page", "v4.20.h")


def _gaps(gaps):
    return [(g.bit_offset, g.bit_size, g.kind) for g in gaps]


def _summary(lay):
    return render_text([lay]).splitlines()[-2].strip()


def test_struct_page_v4_20_has_no_holes():
    """compound_mapcount's struct leaves bytes 18-19 unused, but lru.prev
    (bytes 16-23) covers them: a gap of that variant, not of struct page.
    So are the last 4 bytes of ptl's struct, which private covers."""
    prog = lc.load(V420, abis=["x86_64"], defines={"CONFIG_MEMCG": 1, "CONFIG_64BIT": 1})
    page = prog.layout("page", "x86_64")
    assert page.holes == []
    assert (page.hole_bits, page.tail_padding_bits, page.used_bits) == (0, 0, 64 * 8)
    assert _gaps(page.variant_gaps) == [(18 * 8, 2 * 8, VARIANT), (44 * 8, 4 * 8, VARIANT)]
    text = render_text([page])
    assert "/* XXX 2 bytes unused by this variant */" in text
    assert "hole */" not in text
    assert _summary(page) == "/* sum members: 64, holes: 0, tail padding: 0 */"


def test_char_then_int_has_one_three_byte_hole():
    lay = lc.layout("struct s { char c; int i; };", "s", "x86_64")
    assert _gaps(lay.holes) == [(8, 24, HOLE)]
    assert (lay.hole_bits, lay.tail_padding_bits, lay.used_bits) == (24, 0, 40)
    assert lay.variant_gaps == []
    text = render_text([lay])
    assert "/* XXX 3 bytes hole */" in text
    assert _summary(lay) == "/* sum members: 5, holes: 1 (3), tail padding: 0 */"
    # m68k aligns int to 2
    m68k = lc.layout("struct s { char c; int i; };", "s", "m68k")
    assert _gaps(m68k.holes) == [(8, 8, HOLE)]


UNION = """
union u {
    struct { char a; int b; };              /* bytes 1-3 unused */
    struct { short c; char d; long long e; };  /* bytes 3-7 unused */
};
"""


def test_union_alternatives_leave_different_gaps():
    """Byte 3 is used by neither alternative: the one hole.  Bytes 1-2 are
    covered by c and d, bytes 4-7 by b: gaps of one variant each."""
    lay = lc.layout(UNION, "u", "x86_64")
    assert lay.size == 16
    assert _gaps(lay.holes) == [(24, 8, HOLE)]
    assert _gaps(lay.variant_gaps) == [(8, 16, VARIANT), (32, 32, VARIANT)]
    assert lay.tail_padding_bits == 0
    # Each struct's own gaps, each cut into runs of one kind.
    first, second = (f.type_info.record for f in lay.tree.fields)
    assert {i: _gaps(g) for i, g in lay.record_gaps(first, 0).before.items()} == {
        1: [(8, 16, VARIANT), (24, 8, HOLE)]}
    assert {i: _gaps(g) for i, g in lay.record_gaps(second, 0).before.items()} == {
        2: [(24, 8, HOLE), (32, 32, VARIANT)]}
    text = render_text([lay]).splitlines()
    markers = [line.strip() for line in text if "XXX" in line]
    assert markers == ["/* XXX 2 bytes unused by this variant */", "/* XXX 1 byte hole */",
                       "/* XXX 1 byte hole */", "/* XXX 4 bytes unused by this variant */"]
    assert _summary(lay) == "/* sum members: 15, holes: 1 (1), tail padding: 0 */"



def test_a_gap_every_alternative_leaves_is_one_hole():
    src = "union g { struct { char a; int b; }; struct { char c; int d; }; };"
    lay = lc.layout(src, "g", "x86_64")
    assert (_gaps(lay.holes), lay.variant_gaps) == ([(8, 24, HOLE)], [])
    markers = [line.strip() for line in render_text([lay]).splitlines() if "XXX" in line]
    assert markers == ["/* XXX 3 bytes hole */"] * 2  # one per alternative
    assert _summary(lay) == "/* sum members: 5, holes: 1 (3), tail padding: 0 */"


def test_padding_inside_an_anonymous_union_is_a_hole():
    src = "struct a { union __attribute__((aligned(8))) { int x; }; char d; };"
    lay = lc.layout(src, "a", "x86_64")
    assert (lay.member("d").offset, _gaps(lay.holes)) == (8, [(32, 32, HOLE)])
    text = render_text([lay]).splitlines()
    x = next(i for i, line in enumerate(text) if " x;" in line)
    assert text[x + 1].strip() == "/* XXX 4 bytes hole */"

def test_tail_padding():
    lay = lc.layout("struct t { long l; char c; };", "t", "x86_64")
    assert (lay.holes, lay.tail_padding_bits) == ([], 7 * 8)
    assert _summary(lay) == "/* sum members: 9, holes: 0, tail padding: 7 */"
    # A union's tail is after its longest member's storage, even when that
    # member is an anonymous struct that pads itself.
    union = lc.layout("union v { struct { long a; char b; }; int c; };", "v", "x86_64")
    assert (union.size, union.holes, union.tail_padding_bits) == (16, [], 7 * 8)
    # The same padding followed by a member is a hole, marked where it is.
    src = "struct w { struct { long a; char b; }; char d; };"
    lay = lc.layout(src, "w", "x86_64")
    assert (_gaps(lay.holes), lay.tail_padding_bits) == ([(9 * 8, 7 * 8, HOLE)], 7 * 8)
    assert "/* XXX 7 bytes hole */" in render_text([lay])


def test_named_struct_member_covers_its_own_padding():
    """pahole shows a struct's padding with its own type, not in every
    struct that holds one."""
    src = "struct in { char c; int i; }; struct out { struct in in; char d; };"
    lay = lc.layout(src, "out", "x86_64")
    assert (lay.holes, lay.tail_padding_bits) == ([], 3 * 8)


def test_flexible_array_ends_the_members():
    lay = lc.layout("struct f { char c; long x[]; };", "f", "x86_64")
    assert (_gaps(lay.holes), lay.tail_padding_bits) == ([(8, 56, HOLE)], 0)


def test_bitfield_holes_in_bits():
    # a takes bits 0-3; b (30 bits) cannot share a's int, so it starts at 32
    lay = lc.layout("struct d { char a:4; int b:30; };", "d", "x86_64")
    assert _gaps(lay.holes) == [(4, 28, HOLE)]
    assert lay.tail_padding_bits == 2
    text = render_text([lay])
    assert "/* XXX 28 bits hole */" in text
    assert _summary(lay) == "/* sum members: 4+2 bits, holes: 1 (3+4 bits), tail padding: 0+2 bits */"
    # big-endian ABIs count the same allocation-order bits
    assert _gaps(lc.layout("struct d { char a:4; int b:30; };", "d", "ppc").holes) == [(4, 28, HOLE)]
    # T :0 skips to the next int but covers nothing; an unnamed bit-field covers its bits
    zero = lc.layout("struct z { unsigned a:3; unsigned :0; unsigned char c; };", "z", "x86_64")
    assert _gaps(zero.holes) == [(3, 29, HOLE)]
    unnamed = lc.layout("struct n { unsigned a:3; unsigned :5; unsigned char c; };", "n", "x86_64")
    assert unnamed.holes == [] and unnamed.tail_padding_bits == 16


def test_gap_runs_of_every_kind():
    """A gap after the last member is tail padding, also inside a struct."""
    lay = lc.layout("struct t { long l; char c; };", "t", "x86_64")
    coverage = lay._covered()
    assert coverage.runs(0, 128) == [Gap(0, 72, VARIANT), Gap(72, 56, TAIL)]


def _bits(gaps):
    return {bit for g in gaps for bit in range(g.bit_offset, g.end_bits)}


def test_holes_on_generated_structs():
    """On generated structs for every ABI: no member touches a hole, the
    holes of each struct and union together are the layout's holes, and
    members, holes and tail padding add up to the size."""
    from layoutcheck.oracle.generate import generate

    for seed in range(12):
        prog = lc.load(generate(seed, 4), abis=["all"], filename=f"holes-{seed}.c")
        for lay in prog.layouts():
            holes = _bits(lay.holes)
            for m in lay.members:
                touched = set(range(m.bit_offset, m.bit_offset + m.bit_size))
                assert not holes & touched, (seed, lay.abi, lay.name, m.path)
            record_holes = [g for g in lay._all_record_gaps() if g.kind == HOLE]
            assert _bits(record_holes) == holes, (seed, lay.abi, lay.name)
            assert lay.used_bits + lay.hole_bits + lay.tail_padding_bits == lay.size * 8
            assert not _bits(lay.variant_gaps) & holes
