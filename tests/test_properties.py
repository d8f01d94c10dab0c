"""Properties every layout must have, on generated structs, for every ABI.

hypothesis picks generator seeds and sizes (derandomized: the same examples
in every run); no compiler is needed, so these hold on any machine.
"""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import layoutcheck as lc
from layoutcheck.oracle.generate import generate
from layoutcheck.render import render_text


def _record_fields_in_order(placed):
    if placed.kind == "struct":
        end = 0
        for f in placed.fields:
            if f.bit_size:
                assert f.bit_offset >= end, (placed.record, f.member.name)
                end = f.bit_offset + f.bit_size
    for f in placed.fields:
        if f.type_info.record is not None:
            _record_fields_in_order(f.type_info.record)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), count=st.integers(1, 6))
def test_layout_invariants(seed, count):
    prog = lc.load(generate(seed, count), abis=["all"], filename=f"prop-{seed}.c")
    for lay in prog.layouts():
        assert lay.align >= 1 and lay.align & (lay.align - 1) == 0
        assert lay.preferred_align % lay.align == 0
        assert lay.size % lay.preferred_align == 0
        _record_fields_in_order(lay.tree)
        for m in lay.members:
            if m.flexible:
                assert (m.size, m.mask) == (0, b"")
                continue
            assert m.end <= lay.size, (lay.name, m.path)
            if m.is_bitfield:
                assert sum(bin(b).count("1") for b in m.mask) == m.bit_size
                assert m.size == 0 or (m.mask[0] and m.mask[-1])
            else:
                assert m.mask == b"\xff" * m.size


@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6))
def test_layouts_are_deterministic_and_render(seed):
    text = generate(seed, 4)
    first = lc.load(text, abis=["x86_64", "ppc", "m68k"], session=lc.Session())
    second = lc.load(text, abis=["x86_64", "ppc", "m68k"], session=lc.Session())
    a = json.dumps([lay.to_json() for lay in first.layouts()])
    b = json.dumps([lay.to_json() for lay in second.layouts()])
    assert a == b
    out = render_text(first.layouts())
    # one block per struct and group of ABIs that lays it out alike
    groups = {(lay.name, json.dumps(lay.to_json()["members"]), lay.size, lay.align)
              for lay in first.layouts()}
    assert len({g[0] for g in groups}) <= out.count("/* size: ") <= len(first.layouts())
    for lay in first.layouts():
        assert lay.abi in out


@settings(max_examples=20, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6))
def test_big_endian_masks_mirror_little_endian_bits(seed):
    """ppc and ppc64le share every layout rule but byte order: a bitfield
    owns the same allocation bits, numbered from the other end of a byte."""
    prog = lc.load(generate(seed, 3), abis=["ppc64", "ppc64le"])
    for be, le in zip(prog.layouts(abis=["ppc64"]), prog.layouts(abis=["ppc64le"]), strict=True):
        assert (be.size, be.align) == (le.size, le.align)
        for mb, ml in zip(be.members, le.members, strict=True):
            assert (mb.path, mb.offset, mb.size, mb.bit_offset) == (ml.path, ml.offset, ml.size, ml.bit_offset)
            mirrored = bytes(int(f"{b:08b}"[::-1], 2) for b in ml.mask)
            assert mb.mask == mirrored
