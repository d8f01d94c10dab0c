"""The engine against GCC's pinned answers for tests/data/expectations.h.

These pass without any cross compiler installed; the live oracle tests
(test_oracle.py) ask the compilers themselves.  A few of the pinned facts
are spelled out below as well, so that a reader sees what is at stake.
"""

import json
import os

import pytest

import layoutcheck as lc

from .conftest import DATA

with open(os.path.join(DATA, "gcc_expectations.json")) as fh:
    EXPECTED = json.load(fh)

SOURCE = os.path.join(DATA, "expectations.h")


@pytest.fixture(scope="module")
def prog():
    return lc.load(SOURCE, abis=["all"])


@pytest.mark.parametrize("abi", list(EXPECTED))
def test_engine_equals_pinned_gcc(prog, abi):
    compared = 0
    for key, want in EXPECTED[abi].items():
        lay = prog.layout(key.split()[1], abi)
        assert (lay.size, lay.align) == (want["size"], want["align"]), (abi, key)
        got = {m.path: [m.offset, m.size, m.mask_hex] for m in lay.members}
        for path, (off, size, mask) in want["members"].items():
            if size == 0:
                assert got[path][1] == 0, (abi, key, path)
            else:
                assert got[path] == [off, size, mask], (abi, key, path)
            compared += 1
        assert set(got) == set(want["members"]), (abi, key)
    assert compared > 40


def test_big_endian_bitfields_start_at_the_top(prog):
    be = prog.layout("bits", "ppc")
    le = prog.layout("bits", "x86_64")
    assert be.member("a").mask_hex == "e0" and le.member("a").mask_hex == "07"
    assert be.member("e").mask_hex == "0ffffffffff0"
    assert le.member("e").mask_hex == "f0ffffffff0f"


def test_m68k_two_byte_alignment(prog):
    lay = prog.layout("natural", "m68k")
    assert (lay.member("i").offset, lay.member("ll").offset, lay.size, lay.align) == (2, 8, 28, 2)


def test_i386_long_long_in_structs(prog):
    lay = prog.layout("ll_in_struct", "i386")
    assert lay.member("x").offset == 4 and lay.align == 4
    assert prog.layout("ll_in_struct", "x86_64").member("x").offset == 8


def test_arm_zero_width_bitfield(prog):
    assert (prog.layout("zero_width", "arm").size, prog.layout("zero_width", "arm").align) == (8, 4)
    assert (prog.layout("zero_width", "x86_64").size, prog.layout("zero_width", "x86_64").align) == (5, 1)
    assert prog.layout("unnamed_bitfield", "aarch64").align == 4


def test_long_double_per_abi(prog):
    sizes = {a: prog.layout("with_long_double", a).member("x").size for a in lc.abi_names()}
    assert sizes["i386"] == 12 and sizes["m68k"] == 12 and sizes["x86_64"] == 16
    assert sizes["arm"] == 8 and sizes["sh4"] == 8 and sizes["s390x"] == 16
