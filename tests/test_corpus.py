"""A real corpus: Linux UAPI headers, every tagged struct and union, all ABIs."""

import pytest

import layoutcheck as lc

from .conftest import oracles_required, record
from .corpus import UAPI_HEADERS, corpus_available, corpus_paths

pytestmark = pytest.mark.skipif(not corpus_available() and not oracles_required(),
                                reason="Linux UAPI headers (linux-libc-dev) not installed")


def test_uapi_corpus_lays_out_for_every_abi():
    assert len(UAPI_HEADERS) >= 40
    structs = members = 0
    for path in corpus_paths():
        prog = lc.load(path, abis=["all"], pp_abi="x86_64")
        assert len(prog.groups) == 1  # preprocessed once, laid out 18 times
        layouts = prog.layouts()
        assert layouts, path
        assert {lay.abi for lay in layouts} == set(lc.abi_names())
        for lay in layouts:
            assert lay.size >= 0 and lay.align >= 1
            for m in lay.members:
                assert m.offset + m.size <= lay.size or m.flexible, (path, lay.name, m.path)
        structs += len(layouts)
        members += sum(len(lay.members) for lay in layouts)
    record("UAPI corpus laid out (18 ABIs, no compiler)", structs, members)
    assert structs > 20000 and members > 200000


def test_named_headers_are_in_the_corpus():
    for name in ("perf_event.h", "bpf.h", "ethtool.h", "videodev2.h", "io_uring.h", "kvm.h", "fuse.h"):
        assert name in UAPI_HEADERS
    bpf = lc.load(corpus_paths()[UAPI_HEADERS.index("bpf.h")], abis=["x86_64", "i386"],
                  pp_abi="x86_64")
    attr = bpf.layout("bpf_attr", "i386")
    assert attr.member("map_type").offset == 0
    # __aligned_u64 keeps 8-byte alignment on i386, where plain u64 gets 4
    assert bpf.layout("bpf_prog_info", "i386").align == 8
