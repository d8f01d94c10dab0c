"""The ABI records against the facts read from GCC 12 (shared ABI-FACTS).

Each type cell is sizeof/_Alignof/offset in struct {char c; T x;}; the
probe cells are sizeof/_Alignof of
A: struct { char c; int x:1; }    B: struct { char c; int :0; char d; }
C: struct { char c; int :4; }     D: struct { char a:4; int b:30; }
The probes go through the whole engine, not only the table.
"""

import pytest

import layoutcheck as lc
from layoutcheck.abi import abi_names, get_abi, resolve_abis
from layoutcheck.errors import LayoutError

FACTS = {
    "x86_64": ("1/1/1 2/2/2 4/4/4 8/8/8 8/8/8 8/8/8 4/4/4 8/8/8 16/16/16 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "i386": ("1/1/1 2/2/2 4/4/4 4/4/4 8/4/4 4/4/4 4/4/4 8/4/4 12/4/4 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "x32": ("1/1/1 2/2/2 4/4/4 4/4/4 8/8/8 4/4/4 4/4/4 8/8/8 16/16/16 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "aarch64": ("1/1/1 2/2/2 4/4/4 8/8/8 8/8/8 8/8/8 4/4/4 8/8/8 16/16/16 1/1/1 4/4/4", "4/4 8/4 4/4 8/4"),
    "arm": ("1/1/1 2/2/2 4/4/4 4/4/4 8/8/8 4/4/4 4/4/4 8/8/8 8/8/8 1/1/1 4/4/4", "4/4 8/4 4/4 8/4"),
    "ppc": ("1/1/1 2/2/2 4/4/4 4/4/4 8/8/8 4/4/4 4/4/4 8/8/8 16/16/16 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "ppc64": ("1/1/1 2/2/2 4/4/4 8/8/8 8/8/8 8/8/8 4/4/4 8/8/8 16/16/16 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "ppc64le": ("1/1/1 2/2/2 4/4/4 8/8/8 8/8/8 8/8/8 4/4/4 8/8/8 16/16/16 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "s390x": ("1/1/1 2/2/2 4/4/4 8/8/8 8/8/8 8/8/8 4/4/4 8/8/8 16/8/8 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "mips": ("1/1/1 2/2/2 4/4/4 4/4/4 8/8/8 4/4/4 4/4/4 8/8/8 8/8/8 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "mipsel": ("1/1/1 2/2/2 4/4/4 4/4/4 8/8/8 4/4/4 4/4/4 8/8/8 8/8/8 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "mips64el": ("1/1/1 2/2/2 4/4/4 8/8/8 8/8/8 8/8/8 4/4/4 8/8/8 16/16/16 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "riscv64": ("1/1/1 2/2/2 4/4/4 8/8/8 8/8/8 8/8/8 4/4/4 8/8/8 16/16/16 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "sparc64": ("1/1/1 2/2/2 4/4/4 8/8/8 8/8/8 8/8/8 4/4/4 8/8/8 16/16/16 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "m68k": ("1/1/1 2/2/2 4/2/2 4/2/2 8/2/2 4/2/2 4/2/2 8/2/2 12/2/2 1/1/1 4/2/2", "2/1 4/2 2/1 5/1"),
    "hppa": ("1/1/1 2/2/2 4/4/4 4/4/4 8/8/8 4/4/4 4/4/4 8/8/8 8/8/8 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "sh4": ("1/1/1 2/2/2 4/4/4 4/4/4 8/4/4 4/4/4 4/4/4 8/4/4 8/4/4 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
    "alpha": ("1/1/1 2/2/2 4/4/4 8/8/8 8/8/8 8/8/8 4/4/4 8/8/8 16/16/16 1/1/1 4/4/4", "4/4 5/1 2/1 8/4"),
}
TYPES = ["char", "short", "int", "long", "long long", "void *", "float", "double",
         "long double", "_Bool", "enum e"]
PROBES = """
enum e { E0 };
struct A { char c; int x:1; };
struct B { char c; int :0; char d; };
struct C { char c; int :4; };
struct D { char a:4; int b:30; };
""" + "".join(f"struct T{i} {{ char c; {t} x; }};\n" for i, t in enumerate(TYPES))


def test_names_are_the_contracts():
    assert abi_names() == list(FACTS)


@pytest.mark.parametrize("abi", list(FACTS))
def test_scalar_facts(abi):
    prog = lc.load(PROBES, abis=[abi])
    cells = FACTS[abi][0].split()
    for i, t in enumerate(TYPES):
        lay = prog.layout(f"T{i}", abi)
        x = lay.member("x")
        size, align, offset = (int(v) for v in cells[i].split("/"))
        assert (x.size, x.offset) == (size, offset), (abi, t)
        assert lay.align == max(1, align) or t in ("char", "_Bool"), (abi, t)


@pytest.mark.parametrize("abi", list(FACTS))
def test_bitfield_probes(abi):
    prog = lc.load(PROBES, abis=[abi])
    for name, cell in zip("ABCD", FACTS[abi][1].split(), strict=True):
        lay = prog.layout(name, abi)
        assert f"{lay.size}/{lay.align}" == cell, (abi, name)


def test_resolve_all_and_lists():
    assert len(resolve_abis(["all"])) == 18
    assert [a.name for a in resolve_abis(["arm,m68k", "arm"])] == ["arm", "m68k"]
    with pytest.raises(LayoutError, match="unknown ABI"):
        get_abi("vax")


def test_switches_read_from_gcc():
    assert get_abi("arm").align_anon_bitfield and get_abi("aarch64").align_anon_bitfield
    assert not get_abi("x86_64").align_anon_bitfield
    assert not get_abi("m68k").pcc_bitfield_type_matters
    assert get_abi("m68k").empty_field_boundary_bytes == 2
    i386 = get_abi("i386").scalar("long long")
    assert (i386.abi_align_bytes, i386.preferred_align_bytes, i386.field_align_bytes) == (4, 8, 4)
