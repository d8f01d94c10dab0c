"""One preprocessing stands for several ABIs only when it provably would
come out the same for each; otherwise each ABI is read on its own."""

from __future__ import annotations

import pytest

import layoutcheck as lc
from layoutcheck.abi import all_abis, get_abi
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


def test_the_python_preprocessor_searches_where_gcc_searches(tmp_path):
    """<name> is never looked for in the header's folder, and "name" only
    in the folder of the file that includes it (not its includer's), as
    GCC looks: pcpp on its own found both, and laid out a uint32_t of the
    header's folder (1 byte) where GCC's <stdint.h> gives 4."""
    need_compiler(get_abi("x86_64"))
    (tmp_path / "stdint.h").write_text("typedef unsigned char uint32_t;\n")
    (tmp_path / "t.h").write_text("#include <stdint.h>\nstruct s { uint32_t a; char b; };\n")
    for cpp in ("python", "system"):
        prog = lc.load(str(tmp_path / "t.h"), abis=["x86_64"], cpp=cpp)
        assert (prog.layout("s").size, prog.layout("s").align) == (8, 4), cpp
    assert not verify_program(lc.load(str(tmp_path / "t.h"), abis=["x86_64"], cpp="python")).mismatches
    (tmp_path / "sub").mkdir()
    (tmp_path / "main.h").write_text('#include "sub/a.h"\nstruct m { B b; };\n')
    (tmp_path / "sub" / "a.h").write_text('#include "b.h"\n')
    (tmp_path / "b.h").write_text("typedef long B;\n")  # beside main.h, not beside a.h
    for cpp in ("python", "system"):
        with pytest.raises(lc.LayoutError, match="b.h: No such file or directory") as info:
            lc.load(str(tmp_path / "main.h"), abis=["x86_64"], cpp=cpp)
        assert info.value.where.startswith(f"{tmp_path / 'sub' / 'a.h'}:1"), (cpp, info.value.where)
    (tmp_path / "sub" / "b.h").write_text("typedef short B;\n")
    sizes = {cpp: lc.load(str(tmp_path / "main.h"), abis=["x86_64"], cpp=cpp).layout("m").size
             for cpp in ("python", "system")}
    assert sizes == {"python": 2, "system": 2}


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
    """_file_questions runs the hazard expression only on files holding one of
    _HAZARD_PARTS: each word the expression finds must hold one."""
    import re

    from layoutcheck.cfront.preprocess import _HAZARD, _HAZARD_PARTS

    words = re.search(r"\\b\((.*?)\)\|", _HAZARD.pattern).group(1).split("|")
    assert len(words) == 14
    assertions = re.search(r"\?:(cpu\|[^)]*)\)", _HAZARD.pattern).group(1).split("|")
    assert assertions == ["cpu", "machine", "system", "assert", "unassert"]
    for word in words:
        assert any(part.decode() in word for part in _HAZARD_PARTS), word
    # the assertions are looked for in every file's bytes, by the same words
    from layoutcheck.cfront.preprocess import _ASSERTION

    assert re.search(rb"\?:(cpu\|[^)]*)\)", _ASSERTION.pattern).group(1).decode().split("|") \
        == assertions


def test_a_header_asking_has_include_is_found_through_the_prefilter(tmp_path):
    from layoutcheck.cfront.preprocess import _file_questions

    plain = tmp_path / "plain.h"
    plain.write_text("struct s { int a; };\n")
    asking = tmp_path / "asking.h"
    asking.write_text("#if __has_include(<x.h>)\n#endif\n")
    stamped = tmp_path / "stamped.h"
    stamped.write_bytes(b"/* \xff */ static const char d[] = __DATE__;\n")
    assert _file_questions(str(plain))[0] is None
    assert _file_questions(str(asking))[0] == "__has_include"
    assert _file_questions(str(stamped))[0] == "__DATE__"


# Texts that read, in an #if or in the text, a name the first ABI does not
# define and another does: each must be read for that ABI on its own.
UNDEFINED_ON_THE_FIRST_ABI = {
    "if": "#if _MIPS_SIM == _ABI64\nstruct s { long long a; };\n#else\nstruct s { int a; };\n#endif\n",
    "elif": ("#ifdef __NOTHING__\n#elif __riscv_xlen == 64\nstruct s { long long a; };\n"
             "#else\nstruct s { char a; };\n#endif\n"),
    "bitfield order": ("struct s {\n#if __BIG_ENDIAN__\n\tunsigned char version:4, ihl:4;\n#else\n"
                       "\tunsigned char ihl:4, version:4;\n#endif\n\tunsigned char tos;\n};\n"),
    "ilp32": "#if __ILP32__\nstruct s { int v; };\n#else\nstruct s { long long v; };\n#endif\n",
    "pasted": ("#define ARCH(a) (__##a##__ + 0)\n#if ARCH(aarch64)\nstruct s { long long a; };\n"
               "#else\nstruct s { char a; };\n#endif\n"),
    # sys.h (below) says it is a system header, where GCC warns of nothing
    "in a system header": '#include "sys.h"\n',

    # GCC's assertions: neither -dU nor -Wundef names them
    "assertion": "#if #cpu(x86_64)\nstruct s { char c; long long x[2]; };\n#else\nstruct s { char c; };\n#endif\n",
    "machine": "#if #machine(mips)\nstruct s { long x; };\n#else\nstruct s { char c; };\n#endif\n",
    # __has_builtin made by pasting: no file spells it
    "pasted has_builtin": ("#define CAT(a, b) a##b\n#if CAT(__ha, s_builtin)(__builtin_ia32_pause)\n"
                           "struct s { char c; };\n#else\nstruct s { char c; long x; };\n#endif\n"),
    # hazard words as GCC reads them, not as the bytes spell them: split by
    # a backslash at a line's end, an assertion's '#' as a digraph or with
    # a comment after it (from a review)
    "spliced has_include": ("#if __has_incl\\\nude(<asm/unistd_x32.h>)\nstruct s { char a[32]; };\n"
                            "#else\nstruct s { char a[1]; };\n#endif\n"),
    "spliced has_builtin": ("#if __has_buil\\\ntin(__builtin_ia32_pause)\nstruct s { char a[86]; };\n"
                            "#else\nstruct s { char a[1]; };\n#endif\n"),
    "assertion after a comment": ("#if #/**/cpu(x86_64)\nstruct s { char a[64]; };\n#else\n"
                                  "struct s { char a[1]; };\n#endif\n"),
    "assertion as a digraph": ("#if %:cpu(x86_64)\nstruct s { char a[64]; };\n#else\n"
                               "struct s { char a[1]; };\n#endif\n"),
    # _MIPS_SIM is _ABIO32 on mips and mipsel: a name made a string
    "in the text": ("#define STR(x) #x\n#define XSTR(x) STR(x)\n"
                    "struct s { char a[sizeof(XSTR(_MIPS_SIM))]; };\n"),
    "pasted in the text": ("#define STR(x) #x\n#define XSTR(x) STR(x)\n#define CAT(a, b) a##b\n"
                           "struct s { char a[sizeof(XSTR(CAT(__ILP, 32__)))]; };\n"),
}


@pytest.mark.parametrize("case", sorted(UNDEFINED_ON_THE_FIRST_ABI))
def test_a_name_the_first_abi_lacks_is_consulted_too(case, tmp_path):
    """GCC's -dU lists the macros a text expanded or tested with defined,
    not an #if's identifier that is no macro (it evaluates to 0), nor a
    name left in the text: the ABIs that define it get their own text,
    and each ABI's layouts equal those of a run for it alone."""
    need_all_compilers()
    header = tmp_path / "h.h"
    header.write_text(UNDEFINED_ON_THE_FIRST_ABI[case])
    (tmp_path / "sys.h").write_text("#pragma GCC system_header\n#if __ILP32__\nstruct s { int v; };\n"
                                    "#else\nstruct s { long long v; };\n#endif\n")
    together = {lay.abi: lay.json_line() for lay in lc.load(str(header), abis=["all"]).layouts()}
    alone = {lay.abi: lay.json_line()
             for abi in all_abis() for lay in lc.load(str(header), abis=[abi.name]).layouts()}
    assert together == alone
    assert len(set(alone.values())) > 1  # the ABIs do differ here


def test_a_header_that_can_silence_wundef_is_not_shared(tmp_path):
    """-Wundef names the undefined identifiers an #if read; a diagnostic
    pragma could silence it (GCC 12 does not, in -E; later ones may), so a
    text whose files name one stands for no other ABI."""
    from layoutcheck.abi import get_abi
    from layoutcheck.cfront.preprocess import PPConfig, _run_system, why_not_shared

    need_all_compilers()
    header = tmp_path / "h.h"
    header.write_text('#pragma GCC diagnostic ignored "-Wundef"\n'
                      "#if __ILP32__\nstruct s { int v; };\n#else\nstruct s { long long v; };\n#endif\n")
    x86_64 = get_abi("x86_64")
    run = _run_system(str(header), None, str(header), x86_64, {}, PPConfig.make())
    assert "diagnostic" in (why_not_shared(run, x86_64, get_abi("aarch64"), {}) or "")
    assert "__ILP32__" in run.used  # what -Wundef said (GCC 12 reads no pragma in -E)
    prog = lc.load(str(header), abis=["x86_64", "x32", "aarch64"])
    assert {lay.abi: lay.size for lay in prog.layouts(["s"])} == {"x86_64": 8, "x32": 4, "aarch64": 8}


def test_altivec_keywords_stand_for_themselves_unless_vector_is_there(tmp_path):
    """GCC for PowerPC defines bool, _Bool, pixel and vector as themselves
    and expands them only in a vector type: a text without 'vector' is
    the same for ppc64le as for x86_64 (one run serves both), one with it
    is read for ppc64le on its own."""
    from layoutcheck.abi import get_abi
    from layoutcheck.cfront.preprocess import PPConfig, _run_system, why_not_shared

    need_all_compilers()
    plain = tmp_path / "plain.h"
    plain.write_text("#define B 1\nstruct s { _Bool a; int pixel; };\ntypedef _Bool bool_t;\n")
    x86_64, ppc64le = get_abi("x86_64"), get_abi("ppc64le")
    run = _run_system(str(plain), None, str(plain), x86_64, {}, PPConfig.make())
    assert why_not_shared(run, x86_64, ppc64le, {}) is None
    with_vector = tmp_path / "vector.h"
    with_vector.write_text("#define B 1\nstruct s { int vector; };\n")
    run = _run_system(str(with_vector), None, str(with_vector), x86_64, {}, PPConfig.make())
    assert "vector" in (why_not_shared(run, x86_64, ppc64le, {}) or "")
    prog = lc.load(str(with_vector), abis=["x86_64", "ppc64le"])
    assert {lay.abi: lay.size for lay in prog.layouts(["s"])} == {"x86_64": 4, "ppc64le": 4}


def test_a_vector_type_is_not_shared_between_powerpcs_with_altivec_and_without(tmp_path):
    """ppc, ppc64 and ppc64le list the same AltiVec macros, but only
    ppc64le's GCC (AltiVec on: __ALTIVEC__) makes 'vector int' a vector
    type: a text naming it is ppc64le's own."""
    from layoutcheck.abi import get_abi
    from layoutcheck.cfront.preprocess import PPConfig, preprocess_for_abis

    need_all_compilers()
    header = tmp_path / "v.h"
    header.write_text("typedef int vector;\nstruct s { vector int; int x; };\n")
    abis = [get_abi("ppc"), get_abi("ppc64"), get_abi("ppc64le")]
    groups = preprocess_for_abis(str(header), abis, PPConfig.make(mode="system"))
    by_abi = {a.name: g for g in groups for a in g.abis}
    assert by_abi["ppc"] is by_abi["ppc64"] and by_abi["ppc64le"] is not by_abi["ppc"]
    assert "altivec" in by_abi["ppc64le"].text and "altivec" not in by_abi["ppc"].text


def test_a_hazard_in_a_define_or_an_unreadable_file_name_is_not_shared(tmp_path):
    """-D HI=__has_include asks what the header does not spell; a file whose
    name the line markers cannot give back (not UTF-8) cannot be looked
    at: neither text stands for another ABI (from a review)."""
    need_all_compilers()
    header = tmp_path / "h.h"
    header.write_text("#if HI(<asm/unistd_x32.h>)\nstruct s { char a[32]; };\n#else\n"
                      "struct s { char a[1]; };\n#endif\n")
    defines = {"HI": "__has_include"}
    together = {lay.abi: lay.json_line()
                for lay in lc.load(str(header), abis=["all"], defines=defines).layouts()}
    alone = {lay.abi: lay.json_line() for abi in all_abis()
             for lay in lc.load(str(header), abis=[abi.name], defines=defines).layouts()}
    assert together == alone and len(set(alone.values())) > 1
    inc = tmp_path / "inc"
    inc.mkdir()
    # a file named by the byte 0xff
    (inc / "\udcff.h").write_text("#if __has_include(<asm/unistd_x32.h>)\nstruct s { char a[32]; };\n"
                                  "#else\nstruct s { char a[1]; };\n#endif\n")
    named = tmp_path / "m.h"
    named.write_bytes(b'#include "inc/\xff.h"\n')
    together = {lay.abi: lay.json_line() for lay in lc.load(str(named), abis=["all"]).layouts()}
    alone = {lay.abi: lay.json_line()
             for abi in all_abis() for lay in lc.load(str(named), abis=[abi.name]).layouts()}
    assert together == alone and len(set(alone.values())) > 1


@pytest.mark.parametrize("text, defines", [
    ("#if '\\377' < 0\nstruct g { char x[1]; };\n#else\nstruct g { char x[2]; };\n#endif\n", None),
    ("#define C '\\377'\n#if C < 0\nstruct g { char x[1]; };\n#else\nstruct g { char x[2]; };\n#endif\n", None),
    ("#if L'\\xffffffff' < 0\nstruct g { char x[1]; };\n#else\nstruct g { char x[2]; };\n#endif\n", None),
    ("#if C < 0\nstruct g { char x[1]; };\n#else\nstruct g { char x[2]; };\n#endif\n", {"C": "'\\377'"}),
])
@pytest.mark.parametrize("cpp", ["auto", "system"])
def test_a_character_constant_in_an_if_follows_each_abis_char(text, defines, cpp):
    """'\\377' < 0 holds where char is signed; the text made for the first
    ABI stood for every other one (arm, aarch64 and the rest got x86_64's
    answer, from a review).  A text whose directives hold a character
    constant is shared only between ABIs that agree on the signedness of
    char and wchar_t; --pp-abi refuses the others."""
    need_all_compilers()
    prog = lc.load(text, abis=["all"], defines=defines, cpp=cpp)
    wide = text.startswith("#if L")
    for abi in all_abis():
        negative = (not abi.wchar_type.startswith("unsigned")) if wide else abi.char_signed
        assert prog.layout("g", abi.name).size == (1 if negative else 2), abi.name
    assert not verify_program(prog).mismatches
    with pytest.raises(lc.LayoutError, match="holds a character constant"):
        lc.load(text, abis=["x86_64", "arm"], defines=defines, cpp=cpp, pp_abi="x86_64")


def test_an_abis_own_include_folder_is_searched_by_it_alone(tmp_path):
    """abi_include_dirs (--abi-include) adds a folder to one ABI's search
    path, after -I: each ABI finds its own t.h, GCC agrees, and a text is
    not shared between ABIs whose folders differ (an included header may
    be found first in a folder of one's own)."""
    for abi in ("x86_64", "i386", "aarch64"):
        need_compiler(get_abi(abi))
    for name, typedef in (("narrow", "char"), ("wide", "long long")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "t.h").write_text(f"typedef {typedef} T;\n")
    (tmp_path / "a.h").write_text("#include <t.h>\nstruct s { T x; };\n")
    prog = lc.load(str(tmp_path / "a.h"), abis=["x86_64", "i386", "aarch64"], cpp="system",
                   abi_include_dirs={"i386": [str(tmp_path / "narrow")],
                                     "x86_64": [str(tmp_path / "wide")],
                                     "aarch64": [str(tmp_path / "wide")]})
    assert {lay.abi: lay.size for lay in prog.layouts(["s"])} == {"x86_64": 8, "i386": 1, "aarch64": 8}
    assert not verify_program(prog, with_cffi=False).mismatches
    with pytest.raises(lc.LayoutError, match="t.h: No such file"):
        lc.load(str(tmp_path / "a.h"), abis=["x86_64", "i386"], cpp="system",
                abi_include_dirs={"x86_64": [str(tmp_path / "wide")]})
    plain = tmp_path / "plain.h"
    plain.write_text("#define N 2\nstruct p { int a[N]; };\n")
    both = ["x86_64", "aarch64"]
    assert [len(g.abis) for g in lc.load(str(plain), abis=both, cpp="system").groups] == [2]
    apart = lc.load(str(plain), abis=both, cpp="system",
                    abi_include_dirs={"aarch64": [str(tmp_path / "wide")]})
    assert [len(g.abis) for g in apart.groups] == [1, 1]


@pytest.mark.parametrize("table, said", [
    ({"i387": ["/x"]}, "'i387' is not an ABI"),
    ({"i386": []}, "must name a list of directories"),
    ({"i386": ["/x\n"]}, "is not a directory name"),
])
def test_abi_include_dirs_are_checked(table, said):
    with pytest.raises(lc.LayoutError, match=said):
        lc.load("struct s { int a; };", abis=["i386"], abi_include_dirs=table)


def test_an_error_in_the_text_of_some_abis_names_them():
    """A text that only some ABIs read (their own branch, their own asm/
    headers) stops with an error naming the file and line, which may be
    everyone's: the error says which ABIs read it."""
    text = ("#ifdef __sparc__\nstruct t { int a; };\n#endif\n"
            "struct t { long b; };\nstruct s { char c; };\n")
    with pytest.raises(lc.LayoutError, match=r"redefinition of 'struct t' \(reading for sparc64\)$"):
        for abi in ("x86_64", "sparc64"):
            lc.load(text, abis=["x86_64", "sparc64"]).layout("s", abi)
    alone = lc.load(text, abis=["sparc64"])
    with pytest.raises(lc.LayoutError, match=r"redefinition of 'struct t'$"):
        alone.layout("s", "sparc64")
