"""One preprocessing stands for several ABIs only when it provably would
come out the same for each; otherwise each ABI is read on its own."""

from __future__ import annotations

import pytest

import layoutcheck as lc
from layoutcheck.abi import all_abis
from layoutcheck.oracle.verify import verify_program

from .conftest import need_all_compilers, need_compiler

pytestmark = [pytest.mark.oracle]

HAS_BUILTIN = """\
#if __has_builtin(__builtin_ia32_pause)
struct s { long long a; char x86; };
#else
struct s { char a; };
#endif
"""

X86 = {"x86_64", "i386", "x32"}


def test_has_builtin_gets_each_abis_own_answer():
    need_all_compilers()
    prog = lc.load(HAS_BUILTIN, abis=["all"])
    sizes = {lay.abi: lay.size for lay in prog.layouts(["s"])}
    assert {abi for abi, size in sizes.items() if size > 1} == X86
    assert all(sizes[a.name] == 1 for a in all_abis() if a.name not in X86)
    # ... and the texts were not shared across the answer.
    for group in prog.groups:
        assert len({a.name in X86 for a in group.abis}) == 1
    report = verify_program(prog)
    assert not report.mismatches
    assert set(report.structs) == {a.name for a in all_abis()}


def test_has_builtin_is_refused_by_the_python_preprocessor():
    with pytest.raises(lc.LayoutError, match="__has_builtin"):
        lc.load(HAS_BUILTIN, abis=["x86_64"], cpp="python")


def test_error_directive_stops_the_python_preprocessor():
    text = "#ifndef CONFIG_X\n#error CONFIG_X is required\n#endif\nstruct s { int a; };\n"
    for cpp in ("python", "system"):
        with pytest.raises(lc.LayoutError, match="CONFIG_X is required") as info:
            lc.load(text, abis=["x86_64"], cpp=cpp)
        assert info.value.where and ":2" in info.value.where, (cpp, info.value.where)


def test_pp_abi_proves_or_refuses():
    text = "#ifdef __LP64__\nstruct s { long a; };\n#else\nstruct s { long long a; };\n#endif\n"
    # Every 64-bit ABI defines __LP64__ alike: one preprocessing serves them all.
    sixty_four = [a.name for a in all_abis() if a.bits == 64]
    prog = lc.load(text, abis=sixty_four, pp_abi="x86_64")
    assert len(prog.groups) == 1
    with pytest.raises(lc.LayoutError, match="cannot stand for i386: the text consults __LP64__"):
        lc.load(text, abis=["x86_64", "i386"], pp_abi="x86_64")


STDINT = """\
#include <stdint.h>
#include <stddef.h>
struct s { char c; uint64_t slots[8]; size_t n; int32_t tail; };
"""


def test_stdint_is_right_on_every_abi_with_compilers_installed():
    """Freestanding GCC headers, each ABI's own: on i386 uint64_t is 4-aligned
    in a struct (offset 4, size 76 in all), never x86_64's 8."""
    need_all_compilers()
    prog = lc.load(STDINT, abis=["all"])
    i386 = prog.layout("s", "i386")
    assert (i386.member("slots").offset, i386.size) == (4, 76)
    assert prog.layout("s", "x86_64").size == 88
    report = verify_program(prog)
    assert not report.mismatches
    assert set(report.structs) == {a.name for a in all_abis()}


def test_stdint_without_any_compiler_matches(monkeypatch):
    """With no compiler at all (pcpp and the bundled freestanding headers),
    the same layout: more tools installed never makes it less right."""
    from layoutcheck.cfront import preprocess

    need_compiler(lc.get_abi("i386"))
    with_gcc = lc.load(STDINT, abis=["i386"]).layout("s", "i386")
    monkeypatch.setattr(preprocess, "_gcc_search_dirs", lambda abi_name: None)
    monkeypatch.setattr(preprocess, "_compiler_include_dir", lambda abi_name: None)
    without = lc.load(STDINT, abis=["i386"], cpp="python", session=lc.Session())
    assert any("layoutcheck/data/include" in f for f in without.groups[0].files)
    without = without.layout("s", "i386")
    assert (with_gcc.size, with_gcc.member("slots").offset) == (without.size,
                                                                without.member("slots").offset)


def test_a_text_is_shared_when_it_consults_nothing_that_differs():
    prog = lc.load("#define N 4\nstruct s { int a[N]; };\n", abis=["all"])
    assert len(prog.groups) == 1
    assert len(prog.groups[0].abis) == len(all_abis())


def test_the_hazard_prefilter_holds_every_hazard_word():
    """_file_hazard runs the hazard expression only on files holding one of
    _HAZARD_PARTS: each word the expression finds must hold one."""
    import re

    from layoutcheck.cfront.preprocess import _HAZARD, _HAZARD_PARTS

    words = re.search(r"\((.*)\)", _HAZARD.pattern).group(1).split("|")
    assert len(words) == 13
    for word in words:
        assert any(part.decode() in word for part in _HAZARD_PARTS), word


def test_a_header_asking_has_include_is_found_through_the_prefilter(tmp_path):
    from layoutcheck.cfront.preprocess import _file_hazard

    plain = tmp_path / "plain.h"
    plain.write_text("struct s { int a; };\n")
    asking = tmp_path / "asking.h"
    asking.write_text("#if __has_include(<x.h>)\n#endif\n")
    stamped = tmp_path / "stamped.h"
    stamped.write_bytes(b"/* \xff */ static const char d[] = __DATE__;\n")
    assert _file_hazard(str(plain)) is None
    assert _file_hazard(str(asking)) == "__has_include"
    assert _file_hazard(str(stamped)) == "__DATE__"
