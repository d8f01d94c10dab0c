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
import shutil
import time

import pytest

import layoutcheck
from layoutcheck import cache
from layoutcheck.abi import all_abis, get_abi
from layoutcheck.api import Session
from layoutcheck.cfront import ppcache, preprocess
from layoutcheck.layouts import StoredLayout

from .conftest import CDEFS, DATA, need_compiler


@pytest.fixture
def cache_dir(tmp_path_factory, monkeypatch):
    # not beside the headers: making it changes their directory
    folder = tmp_path_factory.mktemp("cache")
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
    """The size of ``struct`` as read by GCC (--cpp system: the road the
    cache keeps; a plain header is otherwise read in-process, uncached)."""
    kw.setdefault("abis", ["x86_64"])
    kw.setdefault("cpp", "system")
    prog = layoutcheck.load(str(path), rules=False, session=Session(), **kw)
    return prog.layout(struct).size


def _write(path, text):
    """Write a file, then let the clock pass the window in which a run
    that read it would not be kept (it may have changed during the run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    time.sleep(ppcache._DURING_RUN_NS / 1e9 + 0.01)


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
    entry = json.loads(open(entry_path).read().split("\n", 1)[1])
    assert all(sig is not None for _path, sig, _digest, _times in entry["files"])
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
    # an entry changed in place is not used; nor is a flag the table would
    # refuse, even in an entry sealed as layoutcheck seals them
    (entry_path,) = glob.glob(str(cache_dir / "kernel-trees" / "*"))
    name = os.path.basename(entry_path)
    seal, body = open(entry_path).read().split("\n", 1)
    entry = json.loads(body)
    entry["fields"]["extra_flags"].append("-fplugin=/tmp/evil.so")
    with open(entry_path, "w") as fh:
        fh.write(seal + "\n" + json.dumps(entry))
    assert kernel._kept_tree(os.path.abspath(src)) is None
    cache.write_checked("kernel-trees", name, [json.dumps(entry)])
    assert kernel._kept_tree(os.path.abspath(src)) is None
    entry["fields"]["extra_flags"].pop()
    cache.write_checked("kernel-trees", name, [json.dumps(entry)])
    assert kernel._kept_tree(os.path.abspath(src)) is not None
    kernel._open.cache_clear()


# --- found by an adversarial pass: each of these once gave a stale layout
def test_cpath_is_part_of_every_key(cache_dir, tmp_path, monkeypatch):
    need_compiler(get_abi("x86_64"))
    from layoutcheck.cfront import preprocess

    _write(tmp_path / "cp" / "stddef.h", "typedef char size_t;\n")
    main = tmp_path / "h.h"
    _write(main, "#include <stddef.h>\nstruct a { size_t x; };\n")
    monkeypatch.setenv("CPATH", str(tmp_path / "cp"))
    preprocess._SEARCH_DIRS.clear()
    assert _size(main, "a") == 1
    monkeypatch.delenv("CPATH")
    preprocess._SEARCH_DIRS.clear()
    assert _size(main, "a") == 8
    # a header appearing in a CPATH directory is seen
    monkeypatch.setenv("CPATH", str(tmp_path / "cp2"))
    (tmp_path / "cp2").mkdir()
    time.sleep(0.05)
    preprocess._SEARCH_DIRS.clear()
    assert _size(main, "a") == 8
    _write(tmp_path / "cp2" / "stddef.h", "typedef short size_t;\n")
    assert _size(main, "a") == 2
    preprocess._SEARCH_DIRS.clear()


def test_text_input_watches_what_it_includes(cache_dir, tmp_path, monkeypatch):
    need_compiler(get_abi("x86_64"))
    _write(tmp_path / "inc" / "x.h", "typedef long T;\n")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    time.sleep(0.05)
    text = '#include "x.h"\nstruct a { T v; };\n'

    def size():
        return layoutcheck.load(text, abis=["x86_64"], include_dirs=["../inc"], rules=False,
                                session=Session()).layout("a").size

    assert size() == 8 and size() == 8
    _write(tmp_path / "work" / "x.h", "typedef char T;\n")
    assert size() == 1


@pytest.mark.parametrize("header", [
    '#define HAS __has_include\n#if HAS(<sub/new.h>)\nstruct a { char v; };\n#else\nstruct a { long v; };\n#endif\n',
    '#define HAS(x) __has_include(x)\n#if HAS(<sub/new.h>)\nstruct a { char v; };\n'
    '#else\nstruct a { long v; };\n#endif\n',
    '#define HDR "sub/new.h"\n#if 1\n#include HDR\n#endif\nstruct a { T v; };\n',
])
def test_lookups_whose_name_is_not_plain_are_never_kept(cache_dir, tmp_path, header):
    need_compiler(get_abi("x86_64"))
    _write(tmp_path / "inc" / "sub" / "new.h", "typedef long T;\n")
    main = tmp_path / "h.h"
    _write(main, header)
    _size(main, "a", include_dirs=[tmp_path / "inc"])
    assert not glob.glob(str(cache_dir / "pp" / "*"))


def test_a_pragma_once_copy_edited_later_is_seen(cache_dir, tmp_path):
    need_compiler(get_abi("x86_64"))
    _write(tmp_path / "a" / "x.h", "#pragma once\ntypedef long T;\n")
    (tmp_path / "b").mkdir()
    shutil.copy2(tmp_path / "a" / "x.h", tmp_path / "b" / "x.h")  # same content and time
    main = tmp_path / "h.h"
    _write(main, '#include "a/x.h"\n#include "b/x.h"\n#ifdef X2\nstruct s { char v; };\n'
                 "#else\nstruct s { T v; };\n#endif\n")
    assert _size(main, "s") == 8 and _size(main, "s") == 8
    _write(tmp_path / "b" / "x.h", "#pragma once\ntypedef long T;\n#define X2 1\n")
    assert _size(main, "s") == 1


def test_a_link_retargeted_to_a_directory_of_the_same_time_is_seen(cache_dir, tmp_path):
    need_compiler(get_abi("x86_64"))
    for n in (1, 2):
        (tmp_path / f"sdk-{n}" / "sub").mkdir(parents=True)
    (tmp_path / "sdk-2" / "sub" / "new.h").write_text("")
    for d in ("sdk-1/sub", "sdk-2/sub", "sdk-1", "sdk-2"):
        os.utime(tmp_path / d, (1704067200, 1704067200))
    (tmp_path / "links").mkdir()
    os.symlink("../sdk-1", tmp_path / "links" / "sdk")
    main = tmp_path / "h.h"
    _write(main, "#if __has_include(<sub/new.h>)\nstruct a { char v; };\n#else\nstruct a { long v; };\n#endif\n")
    inc = [tmp_path / "links" / "sdk"]
    assert _size(main, "a", include_dirs=inc) == 8 and _size(main, "a", include_dirs=inc) == 8
    os.unlink(tmp_path / "links" / "sdk")
    os.symlink("../sdk-2", tmp_path / "links" / "sdk")
    assert _size(main, "a", include_dirs=inc) == 1


def test_a_header_that_became_a_fifo_does_not_hang(cache_dir, tmp_path):
    need_compiler(get_abi("x86_64"))
    _write(tmp_path / "inc" / "x.h", "typedef long T;\n")
    main = tmp_path / "h.h"
    _write(main, "#include <x.h>\nstruct a { T v; };\n")
    assert _size(main, "a", include_dirs=[tmp_path / "inc"]) == 8
    os.unlink(tmp_path / "inc" / "x.h")
    os.mkfifo(tmp_path / "inc" / "x.h")
    time.sleep(0.05)
    assert ppcache.lookup(_only_key(cache_dir), lambda: "") is None


def _only_key(cache_dir):
    (entry,) = glob.glob(str(cache_dir / "pp" / "*"))
    return os.path.basename(entry)


def test_a_damaged_text_is_made_again_and_a_moved_entry_is_not_used(cache_dir, tmp_path):
    need_compiler(get_abi("x86_64"))
    main = tmp_path / "h.h"
    _write(main, "struct a { long v; };\n#include <stddef.h>\n")
    assert _size(main, "a") == 8
    (text,) = glob.glob(str(cache_dir / "text" / "*"))
    with open(text, "r+b") as fh:
        fh.seek(5)
        fh.write(b"#")
    assert _size(main, "a") == 8  # and again, not an error every time
    assert _size(main, "a") == 8
    # an entry renamed to another key is not that key's entry
    other = tmp_path / "o.h"
    _write(other, "struct a { char v; };\n#include <stddef.h>\n")
    assert _size(other, "a") == 1
    entries = {os.path.basename(p) for p in glob.glob(str(cache_dir / "pp" / "*"))}
    assert len(entries) == 2
    a_key, b_key = sorted(entries)
    os.replace(cache_dir / "pp" / a_key, cache_dir / "pp" / b_key)
    assert sorted([_size(main, "a"), _size(other, "a")]) == [1, 8]


def test_a_kernel_source_link_retargeted_is_read_again(cache_dir, tmp_path):
    from layoutcheck import kernel

    from .test_kernel_tree import _configure, _source_tree, _write as write_tree

    a = _source_tree(tmp_path / "a")
    b = _source_tree(tmp_path / "b")
    os.symlink(a, tmp_path / "src")
    build = tmp_path / "build"
    write_tree(str(build / "Makefile"), f"include {tmp_path / 'src'}/Makefile\n")
    _configure(str(build))
    kernel._open.cache_clear()
    assert kernel.open_tree(str(build)).source_dir == os.path.realpath(a)
    os.unlink(tmp_path / "src")
    os.symlink(b, tmp_path / "src")
    kernel._open.cache_clear()
    assert kernel.open_tree(str(build)).source_dir == os.path.realpath(b)
    kernel._open.cache_clear()


def test_a_run_whose_header_changed_meanwhile_is_not_kept(cache_dir, tmp_path, monkeypatch):
    need_compiler(get_abi("x86_64"))
    _write(tmp_path / "small.h", "typedef long T;\n")
    main = tmp_path / "h.h"
    _write(main, '#include "small.h"\nstruct a { T v; };\n')
    real = preprocess._stream_tool

    def edited_meanwhile(*a, **k):
        out = real(*a, **k)
        (tmp_path / "small.h").write_text("typedef char T;\n")  # after GCC read it
        return out

    monkeypatch.setattr(preprocess, "_stream_tool", edited_meanwhile)
    assert _size(main, "a") == 8
    monkeypatch.setattr(preprocess, "_stream_tool", real)
    assert not glob.glob(str(cache_dir / "pp" / "*"))
    assert _size(main, "a") == 1


def _two_abi_header(tmp_path, part="struct part { long a; };\n"):
    """A header whose text differs between x86_64 and i386 (two runs)."""
    need_compiler(get_abi("x86_64"))
    need_compiler(get_abi("i386"))
    _write(tmp_path / "part.h", part)
    main = tmp_path / "main.h"
    _write(main, '#include "part.h"\nstruct top { struct part p; char c; };\n'
                 '#ifdef __LP64__\nstruct only64 { int x; };\n#endif\n')
    return main


TWO = ["x86_64", "i386"]


def test_the_entries_of_a_header_read_for_several_abis_are_written_after_its_runs(
        cache_dir, tmp_path, monkeypatch):
    """The runs of a header made for several ABIs keep their entries for
    later: none is written while the runs are made; all are once they are,
    and the next reading runs nothing."""
    main = _two_abi_header(tmp_path)
    real = ppcache.write_pending
    seen = []

    def write_pending(entries):
        seen.append((len(entries), glob.glob(str(cache_dir / "pp" / "*"))))
        real(entries)

    monkeypatch.setattr(ppcache, "write_pending", write_pending)
    assert _size(main, "top", abis=TWO) == 16
    assert seen == [(2, [])]
    assert len(glob.glob(str(cache_dir / "pp" / "*"))) == 2
    runs = Runs(monkeypatch)
    assert _size(main, "top", abis=TWO) == 16
    assert runs.count == 0


def test_a_header_edited_after_its_run_and_before_its_entry_is_written(cache_dir, tmp_path, monkeypatch):
    """The entry of a run is written after the header's other runs: a file
    edited in between is seen to have changed since the run started, and
    the entry is not kept."""
    main = _two_abi_header(tmp_path)
    real = ppcache.write_pending

    def edited_first(entries):
        (tmp_path / "part.h").write_text("struct part { char a; };\n")
        real(entries)

    monkeypatch.setattr(ppcache, "write_pending", edited_first)
    assert _size(main, "top", abis=TWO) == 16
    monkeypatch.setattr(ppcache, "write_pending", real)
    assert not glob.glob(str(cache_dir / "pp" / "*"))
    assert _size(main, "top", abis=TWO) == 2


def test_a_search_folder_link_retargeted_before_the_entry_is_written(cache_dir, tmp_path, monkeypatch):
    """-I other/inc, a link to inc1, made a link to inc2 after the runs and
    before their entries are written: the files are unchanged, what the
    runs read is not what is there now, and the entries are not kept."""
    need_compiler(get_abi("x86_64"))
    need_compiler(get_abi("i386"))
    other = tmp_path / "other"
    _write(other / "inc1" / "x.h", "struct x { long long a; };\n")
    _write(other / "inc2" / "x.h", "struct x { char a; };\n")
    os.symlink("inc1", other / "inc")
    main = tmp_path / "proj" / "main.h"
    _write(main, "#include <x.h>\nstruct top { struct x v; };\n#ifdef __LP64__\nint only64;\n#endif\n")
    real = ppcache.write_pending

    def retargeted_first(entries):
        os.unlink(other / "inc")
        os.symlink("inc2", other / "inc")
        real(entries)

    monkeypatch.setattr(ppcache, "write_pending", retargeted_first)
    assert _size(main, "top", abis=TWO, include_dirs=[other / "inc"]) == 8
    monkeypatch.setattr(ppcache, "write_pending", real)
    assert not glob.glob(str(cache_dir / "pp" / "*"))
    assert _size(main, "top", abis=TWO, include_dirs=[other / "inc"]) == 1


class _Times:
    def __init__(self, ns):
        self.st_mtime_ns = self.st_ctime_ns = ns


def test_a_change_within_a_whole_second_is_taken_for_one_after_the_run():
    """Where a file system keeps whole seconds, a change made just after a
    run started may carry the second before: within two seconds of the run,
    a whole-second time counts as a change."""
    second = 1_700_000_000 * 10**9
    started = second + 1_500_000_000  # the run started 1.5 s into the second after
    assert ppcache._changed_since(_Times(second), started)
    assert not ppcache._changed_since(_Times(second + 1), started)
    assert not ppcache._changed_since(_Times(second - 10**9), started)
    assert ppcache._changed_since(_Times(started), started)


def test_a_damaged_text_made_again_keeps_its_new_entry(cache_dir, tmp_path, monkeypatch):
    """A kept text found damaged is made again where it is read, and that
    run's entry is written there: the next reading runs nothing."""
    main = _two_abi_header(tmp_path)
    assert _size(main, "top", abis=TWO) == 16
    for text in glob.glob(str(cache_dir / "text" / "*")):
        with open(text, "r+b") as fh:
            fh.seek(5)
            fh.write(b"#")
    assert _size(main, "top", abis=TWO) == 16
    runs = Runs(monkeypatch)
    assert _size(main, "top", abis=TWO) == 16
    assert runs.count == 0


def test_loads_in_threads_each_write_their_own_entries(cache_dir, tmp_path, monkeypatch):
    """Each load writes the entries of its own runs before it returns (a
    library caller: here), whatever other threads load meanwhile."""
    import threading

    need_compiler(get_abi("x86_64"))
    need_compiler(get_abi("i386"))
    mains = []
    for n in range(4):
        _write(tmp_path / f"p{n}.h", f"struct part{n} {{ long a; }};\n")
        mains.append(tmp_path / f"m{n}.h")
        _write(mains[-1], f'#include "p{n}.h"\nstruct top {{ struct part{n} p; char c; }};\n'
                          '#ifdef __LP64__\nint only64;\n#endif\n')
    real = ppcache.store
    written, lock = [], threading.Lock()

    def slow_store(key, argv, *rest):
        time.sleep(0.2)
        digest = real(key, argv, *rest)
        with lock:
            written.append(argv[-1])
        return digest

    monkeypatch.setattr(ppcache, "store", slow_store)
    late = []

    def load(main):
        _size(main, "top", abis=TWO)
        with lock:
            if sum(1 for name in written if name.endswith(main.name)) != 2:
                late.append(main.name)

    threads = [threading.Thread(target=load, args=(m,)) for m in mains]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert late == [] and len(written) == 8


def test_a_command_writes_the_entries_in_a_second_process(cache_dir, tmp_path, monkeypatch):
    """Where a command allows a second process (workers.aside), the
    entries are written there while the command goes on."""
    from layoutcheck import workers

    main = _two_abi_header(tmp_path)
    handed = []

    def aside(work):
        handed.append(work)
        return True

    monkeypatch.setattr(workers, "aside", aside)
    assert _size(main, "top", abis=TWO) == 16
    assert len(handed) == 1 and not glob.glob(str(cache_dir / "pp" / "*"))
    handed[0]()  # what the second process does
    assert len(glob.glob(str(cache_dir / "pp" / "*"))) == 2


def test_two_copies_of_one_header_each_watch_their_own_directory(cache_dir, tmp_path):
    """The same bytes in two directories (each ABI's copy of a UAPI header)
    are looked through once per process, and each copy's quoted include
    is still watched next to that copy: a header added beside the second
    copy is seen."""
    need_compiler(get_abi("x86_64"))
    text = '#include "part.h"\n'
    for side in ("a", "b"):
        _write(tmp_path / side / "wrap.h", text)
        _write(tmp_path / "lib" / "part.h", "struct part { int a; };\n")
    mains = {}
    for side in ("a", "b"):
        mains[side] = tmp_path / f"main_{side}.h"
        _write(mains[side], f'#include "{side}/wrap.h"\nstruct top {{ struct part p; }};\n')
    dirs = [tmp_path / "lib"]
    ppcache._LOOKED.clear()
    assert _size(mains["a"], "top", include_dirs=dirs) == 4
    assert _size(mains["b"], "top", include_dirs=dirs) == 4
    digest = ppcache._digest(text.encode())
    assert digest in ppcache._LOOKED  # one entry for both copies
    _write(tmp_path / "b" / "part.h", "struct part { int a[3]; };\n")
    assert _size(mains["b"], "top", include_dirs=dirs) == 12
    assert _size(mains["a"], "top", include_dirs=dirs) == 4


def test_a_text_is_one_layout_entry_for_the_abis_it_serves(cache_dir):
    """The layout cache keeps one entry per text and list of ABIs: the
    struct page cdef (two texts for 18 ABIs) is two files; a part of
    its ABIs is an entry of its own; an entry not of that form is laid
    out again, with the same lines."""
    for abi in all_abis():
        need_compiler(abi)
    path = os.path.join(CDEFS, "page", "v4.20.h")
    prog = layoutcheck.load(path, abis=layoutcheck.abi_names(), session=Session())
    cold = [s.json_text for s in prog.stored_layouts()]
    entries = glob.glob(str(cache_dir / "layouts" / "*"))
    assert len(entries) == len(prog.groups) == 2
    warm = [s.json_text for s in prog.stored_layouts()]
    assert warm == cold
    some = ["x86_64", "s390x", "i386"]
    part = [s.json_text for s in prog.stored_layouts(some)]
    assert len(glob.glob(str(cache_dir / "layouts" / "*"))) == 4  # x86_64 and s390x share a text
    assert part == [line for abi in some for line in cold if json.loads(line)["abi"] == abi]
    for entry in entries:  # counts that do not add up: not used
        body = ["[1, 2]", "{}"]
        cache.write_checked("layouts", os.path.basename(entry), body)
    assert [s.json_text for s in prog.stored_layouts()] == cold


def test_a_header_added_where_an_import_now_finds_it_is_seen(cache_dir, tmp_path):
    """#import (GCC still takes it) is followed as #include is."""
    need_compiler(get_abi("x86_64"))
    inc = tmp_path / "inc"
    _write(inc / "sub" / "x.h", "#define W 4\n")
    (tmp_path / "a" / "sub").mkdir(parents=True)  # there, empty: only its entries change
    main = tmp_path / "a" / "h.h"
    _write(main, '#import "sub/x.h"\nstruct s { char c[W]; };\n')
    assert _size(main, "s", include_dirs=[inc]) == 4
    assert _size(main, "s", include_dirs=[inc]) == 4
    _write(tmp_path / "a" / "sub" / "x.h", "#define W 8\n")
    assert _size(main, "s", include_dirs=[inc]) == 8


# From a review of the cache: each case below kept a stale entry, its warm
# run giving the old layout where a cold one gave the new.  Each is set up,
# read once (the entry is made), changed, and read again: the warm answer
# must be the cold one.
OLD = 1704067200  # a time well before the runs: the files' status is kept


def _cold_size(path, struct, monkeypatch, **kw):
    with monkeypatch.context() as m:
        m.setenv("LAYOUTCHECK_CACHE_DIR", "off")
        return _size(path, struct, **kw)


def _settle(*paths):
    """Set the files' times back (their status is recorded), then let the
    clock pass the window in which a run is not kept."""
    for p in paths:
        os.utime(p, (OLD, OLD))
    time.sleep(ppcache._DURING_RUN_NS / 1e9 + 0.01)


def _once_pair(tmp_path, first_line: bytes):
    """x1.h and x2.h, the same bytes and time: GCC passes over x2.h (a copy
    of a '#pragma once' file), so WIDE is not defined and T is int."""
    body = first_line + b"\n#ifdef SEEN\n#define WIDE\n#else\n#define SEEN\n#endif\n"
    for n in (1, 2):
        (tmp_path / f"x{n}.h").write_bytes(body)
    main = tmp_path / "a.h"
    main.write_text('#include "x1.h"\n#include "x2.h"\n#ifdef WIDE\ntypedef long long T;\n'
                    "#else\ntypedef int T;\n#endif\nstruct s { char c; T x; };\n")
    _settle(tmp_path / "x1.h", tmp_path / "x2.h", main)
    return main


@pytest.mark.parametrize("first_line", [
    b"#pragma once", b"#pragma/**/once", b"%:pragma once", b"#pragma \\\nonce", b"#pragma\fonce",
    b"#define P(x) _Pragma(#x)\nP(once)", b"ONCE",
    b"#define CAT(a,b) a##b\n#define STR(x) #x\n#define XSTR(x) STR(x)\nCAT(_Pra,gma)(XSTR(CAT(on,ce)))",
])
def test_a_pragma_once_copy_however_spelt_is_watched(cache_dir, tmp_path, monkeypatch, first_line):
    need_compiler(get_abi("x86_64"))
    main = _once_pair(tmp_path, first_line)
    kw = {"defines": {"ONCE": '_Pragma("once")'}} if first_line == b"ONCE" else {}
    assert _size(main, "s", **kw) == 8
    with open(tmp_path / "x2.h", "ab") as fh:
        fh.write(b"/* edited */\n")
    time.sleep(ppcache._DURING_RUN_NS / 1e9 + 0.01)
    assert _size(main, "s", **kw) == _cold_size(main, "s", monkeypatch, **kw) == 16


def test_a_pragma_once_file_whose_time_alone_changed_is_read_again(cache_dir, tmp_path, monkeypatch):
    need_compiler(get_abi("x86_64"))
    main = _once_pair(tmp_path, b"#pragma once")
    assert _size(main, "s") == 8
    os.utime(tmp_path / "x2.h", (OLD + 60, OLD + 60))  # the same bytes, another second
    time.sleep(ppcache._DURING_RUN_NS / 1e9 + 0.01)
    assert _size(main, "s") == _cold_size(main, "s", monkeypatch) == 16
    os.utime(tmp_path / "x2.h", (OLD, OLD))  # a copy again
    time.sleep(ppcache._DURING_RUN_NS / 1e9 + 0.01)
    assert _size(main, "s") == _cold_size(main, "s", monkeypatch) == 8


@pytest.mark.parametrize("directive", [
    b'#include\f"sub/t.h"', b'#include \\\n"sub/t.h"', b"#define $HDR \"sub/t.h\"\n#include $HDR",
    b'#define HDR "sub/t.h"\n/* c */ #include HDR', b'#include "a>b/t.h"',
    b'#define HDR "sub/t.h"\n# /*\n*/ include HDR', b'#define HDR "sub/t.h"\n#\0include HDR',
    b'#define HDR "sub/t.h"\rstruct t;\r#include HDR', b'\xef\xbb\xbf#include "sub/t.h"',
    b'#include "su\\\rb/t.h"', b'/* a comment:\n   #include\'s protect themselves */\n#include "sub/t.h"',
])
def test_an_include_however_written_watches_where_gcc_looks(cache_dir, tmp_path, monkeypatch, directive):
    need_compiler(get_abi("x86_64"))
    sub = "a>b" if b"a>b" in directive else "sub"
    (tmp_path / "inc" / sub).mkdir(parents=True)
    (tmp_path / "inc" / sub / "t.h").write_text("typedef int T;\n")
    (tmp_path / sub).mkdir()  # beside the header, where GCC looks first: empty
    main = tmp_path / "a.h"
    main.write_bytes(directive + b"\nstruct s { char c; T x; };\n")
    _settle(main, tmp_path / "inc" / sub / "t.h")
    inc = [tmp_path / "inc"]
    assert _size(main, "s", include_dirs=inc) == 8
    _write(tmp_path / sub / "t.h", "typedef short T;\n")
    assert _size(main, "s", include_dirs=inc) == _cold_size(main, "s", monkeypatch, include_dirs=inc) == 4


@pytest.mark.parametrize("ask", ['/* defined __has_include("other.h") */\n#if __has_include\f("sub/x.h")',
                                 '#if __has_include /* c */ ("sub/x.h")',
                                 '#if __has_in\\\r\nclude("sub/x.h")', '#if __has_in\\\rclude("sub/x.h")'])
def test_a_has_include_however_written_is_watched(cache_dir, tmp_path, monkeypatch, ask):
    need_compiler(get_abi("x86_64"))
    (tmp_path / "sub").mkdir()
    main = tmp_path / "a.h"
    main.write_bytes(ask.encode() + b"\ntypedef short T;\n#else\ntypedef int T;\n#endif\n"
                     b"struct s { char c; T x; };\n")
    _settle(main)
    assert _size(main, "s") == 8
    _write(tmp_path / "sub" / "x.h", "")
    assert _size(main, "s") == _cold_size(main, "s", monkeypatch) == 4


def test_dot_dot_after_a_link_is_where_gcc_looks(cache_dir, tmp_path, monkeypatch):
    need_compiler(get_abi("x86_64"))
    work, real = tmp_path / "work", tmp_path / "real"
    for d in (real / "d", real / "inc1" / "sub", work / "inc2" / "sub", real / "sub", work / "inc" / "sub"):
        d.mkdir(parents=True)
    os.symlink("../real/d", work / "lnk")
    (work / "inc2" / "sub" / "t.h").write_text("typedef int T;\n")
    (work / "inc" / "sub" / "t.h").write_text("typedef int T;\n")
    main = work / "a.h"
    main.write_text("#include <sub/t.h>\nstruct s { char c; T x; };\n")
    (real / "a.h").write_text('#include "sub/t.h"\nstruct s { char c; T x; };\n')
    _settle(main, real / "a.h", work / "inc2" / "sub" / "t.h", work / "inc" / "sub" / "t.h")
    # -I lnk/../inc1: GCC searches real/inc1, through the link
    inc = [f"{work}/lnk/../inc1", work / "inc2"]
    assert _size(main, "s", include_dirs=inc) == 8
    _write(real / "inc1" / "sub" / "t.h", "typedef short T;\n")
    assert _size(main, "s", include_dirs=inc) == _cold_size(main, "s", monkeypatch, include_dirs=inc) == 4
    # the header named through lnk/..: "sub/t.h" is looked for in real/
    via = f"{work}/lnk/../a.h"
    inc = [work / "inc"]
    assert _size(via, "s", include_dirs=inc) == 8
    _write(real / "sub" / "t.h", "typedef short T;\n")
    assert _size(via, "s", include_dirs=inc) == _cold_size(via, "s", monkeypatch, include_dirs=inc) == 4


def _two_folders(tmp_path):
    """a.h including <t.h>, found in inc2 (T is int) behind an empty inc1."""
    for d in ("inc1", "inc2"):
        (tmp_path / d).mkdir()
    (tmp_path / "inc2" / "t.h").write_text("typedef int T;\n")
    main = tmp_path / "a.h"
    main.write_text("#include <t.h>\nstruct s { char c; T x; };\n")
    _settle(main, tmp_path / "inc2" / "t.h")
    return main


def test_a_link_to_a_header_not_there_yet_is_watched(cache_dir, tmp_path, monkeypatch):
    need_compiler(get_abi("x86_64"))
    main = _two_folders(tmp_path)
    (tmp_path / "gen").mkdir()
    os.symlink("../gen/t.h", tmp_path / "inc1" / "t.h")  # leads nowhere: GCC passes it over
    _settle(tmp_path / "inc1")
    inc = [tmp_path / "inc1", tmp_path / "inc2"]
    assert _size(main, "s", include_dirs=inc) == 8
    _write(tmp_path / "gen" / "t.h", "typedef short T;\n")
    assert _size(main, "s", include_dirs=inc) == _cold_size(main, "s", monkeypatch, include_dirs=inc) == 4


def test_a_folder_whose_time_was_set_back_is_read_again(cache_dir, tmp_path, monkeypatch):
    need_compiler(get_abi("x86_64"))
    main = _two_folders(tmp_path)
    _settle(tmp_path / "inc1")
    inc = [tmp_path / "inc1", tmp_path / "inc2"]
    assert _size(main, "s", include_dirs=inc) == 8
    (tmp_path / "inc1" / "t.h").write_text("typedef short T;\n")
    _settle(tmp_path / "inc1" / "t.h", tmp_path / "inc1")  # as tar and touch -r leave it
    assert _size(main, "s", include_dirs=inc) == _cold_size(main, "s", monkeypatch, include_dirs=inc) == 4


def test_a_folder_under_the_sysroot_is_not_kept(cache_dir, tmp_path, monkeypatch):
    need_compiler(get_abi("m68k"))
    main = _two_folders(tmp_path)
    inc = [f"={tmp_path}/inc1", tmp_path / "inc2"]  # '=': the sysroot, '/' for Debian's GCCs
    assert _size(main, "s", include_dirs=inc, abis=["m68k"]) == 6
    _write(tmp_path / "inc1" / "t.h", "typedef short T;\n")
    assert _size(main, "s", include_dirs=inc, abis=["m68k"]) \
        == _cold_size(main, "s", monkeypatch, include_dirs=inc, abis=["m68k"]) == 4



@pytest.mark.parametrize("ask, setup", [
    ('#if __has_include(" sub/x.h")', " sub"),  # the blank is part of the name
    ("#define \u00e9defined(x, y) x##y\n#if \u00e9defined(__has_include,)(\"sub/x.h\")", "sub"),
])
def test_a_has_include_gcc_reads_otherwise_is_watched_or_not_kept(cache_dir, tmp_path, monkeypatch,
                                                                    ask, setup):
    need_compiler(get_abi("x86_64"))
    (tmp_path / setup).mkdir()
    main = tmp_path / "a.h"
    main.write_text(ask + "\ntypedef short T;\n#else\ntypedef int T;\n#endif\nstruct s { char c; T x; };\n")
    _settle(main)
    assert _size(main, "s") == 8
    _write(tmp_path / setup / "x.h", "")
    assert _size(main, "s") == _cold_size(main, "s", monkeypatch) == 4


def test_a_has_include_given_on_the_command_line_is_not_kept(cache_dir, tmp_path):
    need_compiler(get_abi("x86_64"))
    (tmp_path / "sub").mkdir()
    main = tmp_path / "a.h"
    main.write_text('#if HI("sub/x.h")\nstruct s { long a; };\n#else\nstruct s { char a; };\n#endif\n')
    _settle(main)
    assert _size(main, "s", defines={"HI": "__has_include"}) == 1
    assert not glob.glob(str(cache_dir / "pp" / "*"))


def test_a_link_to_a_folder_where_a_header_is_asked_for_is_not_kept(cache_dir, tmp_path, monkeypatch):
    # GCC passes over a/x.h while it leads to a folder, and reads it once a
    # file stands there: no folder watched changes
    need_compiler(get_abi("x86_64"))
    for d in ("a", "b", "other/t"):
        (tmp_path / d).mkdir(parents=True)
    (tmp_path / "b" / "x.h").write_text("typedef int T;\n")
    os.symlink("../other/t", tmp_path / "a" / "x.h")
    main = tmp_path / "m.h"
    main.write_text("#include <x.h>\nstruct s { char c; T x; };\n")
    _settle(main, tmp_path / "b" / "x.h")
    inc = [tmp_path / "a", tmp_path / "b"]
    assert _size(main, "s", include_dirs=inc) == 8
    (tmp_path / "other" / "t").rmdir()
    _write(tmp_path / "other" / "t", "typedef short T;\n")
    assert _size(main, "s", include_dirs=inc) == _cold_size(main, "s", monkeypatch, include_dirs=inc) == 4


def test_files_named_like_gccs_own_markers_or_not_utf8_are_watched(cache_dir, tmp_path, monkeypatch):
    need_compiler(get_abi("x86_64"))
    (tmp_path / "<p>.h").write_text("typedef int T;\n")
    main = tmp_path / "m.h"
    main.write_text('#include "<p>.h"\nstruct s { char c; T x; };\n')
    _settle(main, tmp_path / "<p>.h")
    assert _size(main, "s") == 8
    _write(tmp_path / "<p>.h", "typedef short T;\n")
    assert _size(main, "s") == _cold_size(main, "s", monkeypatch) == 4
    # a name that is not UTF-8 (its replacement character names another file)
    odd, decoy = os.fsencode(str(tmp_path)) + b"/\xff.h", tmp_path / "\ufffd.h"
    with open(odd, "w") as fh:
        fh.write("typedef int U;\n")
    decoy.write_text("typedef int U;\n")
    other = tmp_path / "o.h"
    with open(other, "wb") as fh:
        fh.write(b'#include "\xff.h"\nstruct u { char c; U x; };\n')
    _settle(other, odd, decoy)
    assert _size(other, "u") == 8
    with open(odd, "w") as fh:
        fh.write("typedef short U;\n")
    time.sleep(ppcache._DURING_RUN_NS / 1e9 + 0.01)
    assert _size(other, "u") == _cold_size(other, "u", monkeypatch) == 4


def test_a_header_of_the_c_library_is_kept(cache_dir, tmp_path):
    # /usr/include/limits.h has a comment line starting "#include's protect
    # themselves": no directive, and the run is kept (from a review)
    need_compiler(get_abi("x86_64"))  # (and libc6-dev, which CI installs with it)
    main = tmp_path / "m.h"
    main.write_text("#include <limits.h>\nstruct s { char c[CHAR_BIT]; };\n")
    _settle(main)
    prog = layoutcheck.load(str(main), abis=["x86_64"], rules=False, session=Session(), cpp="system",
                            include_dirs=["/usr/include", "/usr/include/x86_64-linux-gnu"])
    assert prog.layout("s").size == 8
    assert len(glob.glob(str(cache_dir / "pp" / "*"))) == 1
