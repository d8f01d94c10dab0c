"""The caches of preprocessed texts, layouts and kernel trees.

An entry is used only while everything it was made from holds: an edited
header (even one rewritten with the same size within the same second), a
header that now shadows the one found before, a ``__has_include`` whose
answer changed, other macros or another ABI, each gives the new layout.
A warm run writes exactly what a cold run writes; a damaged entry is never
used.
"""

from __future__ import annotations

import glob
import json
import os

import pytest

import layoutcheck
from layoutcheck import cache
from layoutcheck.abi import all_abis, get_abi
from layoutcheck.api import Session
from layoutcheck.cfront import ppcache, preprocess
from layoutcheck.layouts import StoredLayout

from .conftest import CDEFS, DATA, need_compiler


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("LAYOUTCHECK_CACHE_DIR", str(folder))
    return folder


class Runs:
    """Counts the preprocessor runs (both ways a run is made)."""

    def __init__(self, monkeypatch):
        self.count = 0
        real_run, real_stream = preprocess._run_tool, preprocess._stream_tool

        def run_tool(*a, **k):
            self.count += 1
            return real_run(*a, **k)

        def stream_tool(*a, **k):
            self.count += 1
            return real_stream(*a, **k)

        monkeypatch.setattr(preprocess, "_run_tool", run_tool)
        monkeypatch.setattr(preprocess, "_stream_tool", stream_tool)


def _size(path, struct, **kw):
    kw.setdefault("abis", ["x86_64"])
    prog = layoutcheck.load(str(path), rules=False, session=Session(), **kw)
    return prog.layout(struct).size


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_an_edited_included_header_gives_the_new_layout(cache_dir, tmp_path, monkeypatch):
    need_compiler(get_abi("x86_64"))
    inc = tmp_path / "inc"
    _write(inc / "part.h", "struct part { int  a; };\n")
    main = tmp_path / "main.h"
    _write(main, "#include <part.h>\nstruct top { struct part p; char c; };\n")
    runs = Runs(monkeypatch)
    assert _size(main, "top", include_dirs=[inc]) == 8
    first = runs.count
    assert first >= 1
    assert _size(main, "top", include_dirs=[inc]) == 8
    assert runs.count == first, "the second reading ran the preprocessor"
    # the same size, in the same second: only the content tells
    before = os.stat(inc / "part.h")
    _write(inc / "part.h", "struct part { long a; };\n")
    assert os.stat(inc / "part.h").st_size == before.st_size
    assert _size(main, "top", include_dirs=[inc]) == 16
    assert runs.count == first + 1
    # and with its old modification time put back
    _write(inc / "part.h", "struct part { char a; };\n")
    os.utime(inc / "part.h", ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _size(main, "top", include_dirs=[inc]) == 2


def test_an_edit_made_long_after_the_entry_is_seen(cache_dir, tmp_path, monkeypatch):
    """Files older than the freshness window are trusted by their status:
    an edit changes it."""
    need_compiler(get_abi("x86_64"))
    monkeypatch.setattr(ppcache, "_FRESH_SECONDS", 0.0)
    _write(tmp_path / "part.h", "struct part { int a; };\n")
    main = tmp_path / "main.h"
    _write(main, '#include "part.h"\nstruct top { struct part p; };\n')
    assert _size(main, "top") == 4
    (entry_path,) = glob.glob(str(cache_dir / "pp" / "*"))
    entry = json.loads(open(entry_path).read())
    assert all(sig is not None for _path, sig, _digest in entry["files"])
    _write(tmp_path / "part.h", "struct part { int a, b; };\n")
    assert _size(main, "top") == 8


def test_a_header_that_now_shadows_the_one_found_is_seen(cache_dir, tmp_path):
    need_compiler(get_abi("x86_64"))
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    _write(second / "sub" / "part.h", "struct part { int a; };\n")
    main = tmp_path / "main.h"
    _write(main, "#include <sub/part.h>\nstruct top { struct part p; };\n")
    dirs = [first, second]
    assert _size(main, "top", include_dirs=dirs) == 4
    assert _size(main, "top", include_dirs=dirs) == 4
    _write(first / "sub" / "part.h", "struct part { int a[4]; };\n")
    assert _size(main, "top", include_dirs=dirs) == 16


def test_a_quoted_include_next_to_its_includer_is_seen(cache_dir, tmp_path):
    need_compiler(get_abi("x86_64"))
    inc = tmp_path / "inc"
    _write(inc / "part.h", "struct part { int a; };\n")
    _write(inc / "wrap.h", '#include "part2.h"\n')
    _write(tmp_path / "lib" / "part2.h", "struct part2 { char c; };\n")
    main = tmp_path / "main.h"
    _write(main, "#include <wrap.h>\nstruct top { struct part2 p; };\n")
    dirs = [inc, tmp_path / "lib"]
    assert _size(main, "top", include_dirs=dirs) == 1
    # "part2.h" is looked for beside wrap.h first
    _write(inc / "part2.h", "struct part2 { double d; };\n")
    assert _size(main, "top", include_dirs=dirs) == 8


def test_a_has_include_whose_answer_changed_is_seen(cache_dir, tmp_path):
    need_compiler(get_abi("x86_64"))
    main = tmp_path / "main.h"
    _write(main, '#if __has_include("opt.h")\n#include "opt.h"\n#else\n'
                 "struct opt { char x; };\n#endif\nstruct top { struct opt o; };\n")
    assert _size(main, "top") == 1
    assert _size(main, "top") == 1
    _write(tmp_path / "opt.h", "struct opt { long x; };\n")
    assert _size(main, "top") == 8


def test_a_has_include_of_a_computed_name_is_not_kept(cache_dir, tmp_path):
    need_compiler(get_abi("x86_64"))
    main = tmp_path / "main.h"
    _write(main, '#define OPT "opt.h"\n#if __has_include(OPT)\n#include OPT\n#else\n'
                 "struct opt { char x; };\n#endif\nstruct top { struct opt o; };\n")
    assert _size(main, "top") == 1
    assert not glob.glob(str(cache_dir / "pp" / "*"))


def test_macros_and_abis_are_part_of_the_key(cache_dir, tmp_path):
    need_compiler(get_abi("x86_64"))
    need_compiler(get_abi("i386"))
    main = tmp_path / "main.h"
    _write(main, "struct top { long a; char b[N]; };\n")
    assert _size(main, "top", defines={"N": "1"}) == 16
    assert _size(main, "top", defines={"N": "8"}) == 16
    assert _size(main, "top", defines={"N": "9"}) == 24
    assert _size(main, "top", defines={"N": "1"}, abis=["i386"]) == 8


def _show(run_cli, *args):
    code, out, err = run_cli("show", *args, "--format", "json")
    assert code == 0, err
    return out


def test_warm_output_is_cold_output_on_every_abi(cache_dir, run_cli, monkeypatch):
    """``show --format json`` of the struct page proposals and of the
    bitfield expectations, all 18 ABIs: cold, then from the cache, then
    with no cache at all: the same bytes."""
    for abi in all_abis():
        need_compiler(abi)
    files = sorted(glob.glob(os.path.join(CDEFS, "page", "*.h"))) + [os.path.join(DATA, "expectations.h")]
    cold = _show(run_cli, *files, "--abi", "all")
    assert glob.glob(str(cache_dir / "layouts" / "*"))
    runs = Runs(monkeypatch)
    warm = _show(run_cli, *files, "--abi", "all")
    assert runs.count == 0
    monkeypatch.setenv("LAYOUTCHECK_CACHE_DIR", "off")
    none = _show(run_cli, *files, "--abi", "all")
    assert cold == warm == none
    assert len(json.loads(cold)["layouts"]) > 18 * 8


@pytest.mark.parametrize("abi", ["x86_64", "s390x", "ppc", "mips", "arm", "i386"])
def test_a_stored_layout_answers_as_the_layout(cache_dir, abi):
    """Members read back from the JSON (bit positions from the masks, on
    big- and little-endian ABIs) equal the engine's."""
    need_compiler(get_abi(abi))
    prog = layoutcheck.load(os.path.join(DATA, "expectations.h"), abis=[abi], session=Session())
    computed = prog.layouts(abis=[abi])
    list(prog.stored_layouts([abi]))  # fill the cache
    stored = list(prog.stored_layouts([abi]))
    assert stored and all(isinstance(s, StoredLayout) for s in stored)
    assert [s.name for s in stored] == [c.name for c in computed]
    bitfields = 0
    for s, c in zip(stored, computed, strict=True):
        assert (s.abi, s.kind, s.size, s.align, s.defines) == (c.abi, c.kind, c.size, c.align, c.defines)
        for ms, mc in zip(s.members, c.members, strict=True):
            assert (ms.path, ms.type, ms.offset, ms.size, ms.mask, ms.is_bitfield, ms.bit_offset) == \
                (mc.path, mc.type, mc.offset, mc.size, mc.mask, mc.is_bitfield, mc.bit_offset)
            if mc.is_bitfield:
                assert ms.bit_size == mc.bit_size
                bitfields += 1
    assert bitfields > 10


def test_damaged_entries_are_not_used(cache_dir, tmp_path):
    need_compiler(get_abi("x86_64"))
    main = tmp_path / "main.h"
    _write(main, "#include <stddef.h>\nstruct top { size_t n; char c; };\n")
    prog = layoutcheck.load(str(main), abis=["x86_64"], rules=False, session=Session())
    want = [s.to_json() for s in prog.stored_layouts()]
    assert [s.to_json() for s in prog.stored_layouts()] == want
    (blob,) = glob.glob(str(cache_dir / "layouts" / "*"))
    data = open(blob, "rb").read()
    with open(blob, "wb") as fh:
        fh.write(data.replace(b'"size": 16', b'"size": 99'))
    again = layoutcheck.load(str(main), abis=["x86_64"], rules=False, session=Session())
    assert [s.to_json() for s in again.stored_layouts()] == want
    for entry in glob.glob(str(cache_dir / "pp" / "*")):
        with open(entry, "w") as fh:
            fh.write("{not json")
    for text in glob.glob(str(cache_dir / "text" / "*")):
        os.unlink(text)
    assert _size(main, "top") == 16


def test_entered_files_are_every_file_the_text_read(tmp_path):
    need_compiler(get_abi("x86_64"))
    _write(tmp_path / "a.h", '#include "b.h"\n#include "b.h"\nstruct a { int x; };\n')
    _write(tmp_path / "b.h", "#pragma once\nstruct b { int y; };\n")
    _write(tmp_path / "c.h", "")
    main = tmp_path / "main.h"
    _write(main, '#include "a.h"\n#include "c.h"\n#include <stddef.h>\n')
    prog = layoutcheck.load(str(main), abis=["x86_64", "i386"], rules=False, session=Session())
    (group,) = [g for g in prog.groups if "x86_64" in [a.name for a in g.abis]]
    entered = ppcache.entered_files(group.text)
    assert set(entered) == set(preprocess._files_read(group.text))
    assert {os.path.basename(p) for p in entered} >= {"main.h", "a.h", "b.h", "c.h", "stddef.h"}


def test_an_unused_cache_directory_is_not_written(tmp_path, monkeypatch):
    need_compiler(get_abi("x86_64"))
    monkeypatch.setenv("LAYOUTCHECK_CACHE_DIR", "off")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    main = tmp_path / "main.h"
    _write(main, "struct top { int a; };\n")
    assert _size(main, "top") == 4
    assert not (tmp_path / "home").exists()
    assert cache.cache_dir() is None


def test_a_kernel_tree_is_read_again_when_a_file_it_read_changed(cache_dir, tmp_path):
    from layoutcheck import kernel

    from .test_kernel_tree import _configure, _source_tree

    src = _source_tree(tmp_path)
    _configure(src)
    kernel._open.cache_clear()
    first = kernel.open_tree(src)
    assert (first.abi, first.srcarch) == ("x86_64", "x86")
    assert glob.glob(str(cache_dir / "kernel-trees" / "*"))
    kernel._open.cache_clear()
    kept = kernel._kept_tree(os.path.abspath(src))
    assert kept is not None
    for name in kernel._TREE_FIELDS:
        assert getattr(kept, name) == getattr(first, name), name
    # i386 now: the .config changed (the process's own memo too)
    _configure(src, "CONFIG_X86=y\nCONFIG_X86_32=y\n")
    assert kernel._kept_tree(os.path.abspath(src)) is None
    kernel._open.cache_clear()
    assert kernel.open_tree(src).abi == "i386"
    # a flag the table would refuse, put into the entry, is refused on reading
    (entry_path,) = glob.glob(str(cache_dir / "kernel-trees" / "*"))
    entry = json.loads(open(entry_path).read())
    entry["fields"]["extra_flags"].append("-fplugin=/tmp/evil.so")
    with open(entry_path, "w") as fh:
        fh.write(json.dumps(entry))
    assert kernel._kept_tree(os.path.abspath(src)) is None
    kernel._open.cache_clear()
