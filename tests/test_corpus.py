"""A real corpus: Linux UAPI headers, every tagged struct and union, all ABIs."""

import pytest

import layoutcheck as lc

from .conftest import oracles_required, record
from .corpus import (UAPI_HEADERS, corpus_available, corpus_paths, gcc_rejects,
                     missing_cross_headers, uapi_programs)

pytestmark = [
    pytest.mark.oracle, pytest.mark.slow,
    pytest.mark.skipif(not corpus_available() and not oracles_required(),
                       reason="Linux UAPI headers for every ABI (linux-libc-dev-*-cross) not installed"),
]


def test_uapi_corpus_lays_out_for_every_abi():
    """Every header on every ABI, each ABI with its own asm/ headers; where
    layoutcheck refuses a header for an ABI, that ABI's GCC refuses it too."""
    assert len(UAPI_HEADERS) >= 40
    assert not missing_cross_headers(), missing_cross_headers()
    structs = members = refused = 0
    for path in corpus_paths():
        progs, failed = uapi_programs(path)
        for abi_name, exc in failed.items():
            assert exc.where and exc.where.count(":") >= 2, (path, abi_name, str(exc))
            assert gcc_rejects(path, abi_name), (path, abi_name, str(exc))
            refused += 1
        laid_out = set()
        for prog in progs:
            layouts = prog.layouts()
            assert layouts, path
            laid_out.update(lay.abi for lay in layouts)
            for lay in layouts:
                assert lay.size >= 0 and lay.align >= 1
                for m in lay.members:
                    assert m.offset + m.size <= lay.size or m.flexible, (path, lay.name, m.path)
            structs += len(layouts)
            members += sum(len(lay.members) for lay in layouts)
        assert laid_out | set(failed) == set(lc.abi_names()), path
    record("UAPI corpus laid out (18 ABIs, no compiler)", structs, members)
    # kvm.h has no asm/kvm.h on arm, sparc64, m68k, hppa, sh4 and alpha
    assert refused <= 6
    assert structs > 20000 and members > 190000


def test_named_headers_are_in_the_corpus():
    for name in ("perf_event.h", "bpf.h", "ethtool.h", "videodev2.h", "io_uring.h", "kvm.h", "fuse.h"):
        assert name in UAPI_HEADERS
    (bpf,), failed = uapi_programs(corpus_paths()[UAPI_HEADERS.index("bpf.h")], abis=["i386"])
    assert not failed
    attr = bpf.layout("bpf_attr", "i386")
    assert attr.member("map_type").offset == 0
    # __aligned_u64 keeps 8-byte alignment on i386, where plain u64 gets 4
    assert bpf.layout("bpf_prog_info", "i386").align == 8


def test_pp_abi_refuses_to_stand_for_an_abi_whose_macros_differ():
    """Reusing x86_64's preprocessing for i386 would read x86_64's asm/
    headers as i386's: refused, naming the macro that differs."""
    path = corpus_paths()[UAPI_HEADERS.index("perf_event.h")]
    with pytest.raises(lc.LayoutError) as info:
        lc.load(path, abis=["x86_64", "i386"], pp_abi="x86_64")
    assert "--pp-abi x86_64 cannot stand for i386" in str(info.value)


def test_the_command_line_reads_a_uapi_header_for_every_abi(run_cli, tmp_path):
    """gcc -m32 and -mx32 do not search Debian's cross headers: show for
    every ABI stops at i386, saying which --abi-include finds them; with
    it (on the command line, or in the project file) every ABI is read."""
    import json
    import os

    from .corpus import CROSS_DIR

    path = corpus_paths()[UAPI_HEADERS.index("tcp.h")]
    code, _out, err = run_cli("show", path, "--format", "json", "--project", "off")
    assert code == 2
    assert f"add --abi-include i386={CROSS_DIR['i386']}" in err
    flags = [f"--abi-include={n}={CROSS_DIR[n]}" for n in ("i386", "x32")]
    code, out, err = run_cli("show", path, "--format", "json", "--project", "off", *flags)
    assert code == 0, err
    by_abi = {(lay["abi"], lay["name"]): lay for lay in json.loads(out)["layouts"]}
    assert {abi for abi, _name in by_abi} == set(lc.abi_names())
    (prog,), failed = uapi_programs(path, ["i386"])
    assert not failed and json.loads(prog.layout("tcphdr", "i386").json_line()) == by_abi["i386", "tcphdr"]
    project = tmp_path / "layoutcheck.toml"
    project.write_text("[project]\nabi_include_dirs = { " + ", ".join(
        f'{n} = ["{os.path.relpath(CROSS_DIR[n], tmp_path)}"]' for n in ("i386", "x32")) + " }\n")
    code, project_out, err = run_cli("show", path, "--format", "json", "--project", project)
    assert code == 0 and project_out == out, err
