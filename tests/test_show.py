"""`layoutcheck show`, held to CONTRACT.md."""

import json
import os

import pytest

import layoutcheck as lc
from layoutcheck.abi import get_abi

from .conftest import CDEFS, need_compiler

V420 = os.path.join(CDEFS, "page", "v4.20.h")


def test_json_shape_and_members(run_cli):
    code, out, err = run_cli("show", V420, "--struct", "page", "--abi", "x86_64",
                             "-DCONFIG_64BIT", "-DCONFIG_MEMCG", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    (page,) = doc["layouts"]
    assert {k: page[k] for k in ("abi", "kind", "name", "size", "align")} == {
        "abi": "x86_64", "kind": "struct", "name": "page", "size": 64, "align": 8}
    assert page["defines"] == {"CONFIG_64BIT": "1", "CONFIG_MEMCG": "1"}
    by_path = {m["path"]: m for m in page["members"]}
    assert by_path["flags"] == {"path": "flags", "type": "unsigned long", "offset": 0,
                                "size": 8, "mask": "ffffffffffffffff"}
    assert by_path["lru.next"] == {"path": "lru.next", "type": "struct list_head *",
                                   "offset": 8, "size": 8, "mask": "ffffffffffffffff"}
    assert by_path["inuse"] == {"path": "inuse", "type": "unsigned int", "offset": 40,
                                "size": 2, "bit_size": 16, "mask": "ffff"}
    assert by_path["objects"]["mask"] == "ff7f" and by_path["frozen"]["mask"] == "80"
    # every named member at every depth, each anonymous member adds nothing
    assert "lru" in by_path and "compound_head" in by_path and "_refcount.counter" in by_path


def test_json_big_endian_masks(run_cli):
    code, out, _ = run_cli("show", V420, "--struct", "page", "--abi", "ppc", "--format", "json")
    by_path = {m["path"]: m for m in json.loads(out)["layouts"][0]["members"]}
    assert (by_path["inuse"]["offset"], by_path["inuse"]["mask"]) == (20, "ffff")
    assert (by_path["objects"]["offset"], by_path["objects"]["mask"]) == (22, "fffe")
    assert (by_path["frozen"]["offset"], by_path["frozen"]["mask"]) == (23, "01")


def test_every_struct_without_struct_option(run_cli):
    code, out, _ = run_cli("show", V420, "--abi", "arm,m68k", "--format", "json")
    names = [(lay["abi"], lay["name"]) for lay in json.loads(out)["layouts"]]
    assert ("arm", "page") in names and ("m68k", "list_head") in names
    assert ("arm", "callback_head") in names


def test_abi_all_text(run_cli):
    code, out, _ = run_cli("show", V420, "--struct", "page", "--abi", "all", "-DCONFIG_MEMCG")
    assert code == 0
    # ABIs that lay it out alike are one block, named together
    assert out.count("struct page {") == 5
    assert "/* m68k -DCONFIG_MEMCG */" in out
    assert "/* x86_64 aarch64 ppc64le mips64el riscv64 alpha -DCONFIG_64BIT -DCONFIG_MEMCG */" in out
    # compound_mapcount's struct leaves 2 bytes that lru.prev covers: unused
    # by that variant, not a hole of struct page
    assert "/* XXX 2 bytes unused by this variant */" in out
    assert "/* XXX 2 bytes hole */" not in out
    assert "mask ffff */" in out
    # each anonymous union/struct once, absolute offsets inside it
    first = out.split("\n\n")[0]
    assert first.count("hmm_data;") == 1
    assert "struct list_head lru;" in first


def test_cacheline_markers(run_cli):
    text_file = os.path.join(os.path.dirname(__file__), "data", "expectations.h")
    code, out, _ = run_cli("show", text_file, "--struct", "ll_in_struct", "--abi", "x86_64",
                           "--cacheline", "16")
    assert "/* --- cacheline 1 boundary (16 bytes) --- */" in out
    assert "/* size: 48, align: 8, cachelines: 3, members: 5 */" in out


def test_exit_2_with_location(run_cli, tmp_path):
    bad = tmp_path / "bad.h"
    bad.write_text("struct s {\n  int x : 99;\n};\n")
    code, out, err = run_cli("show", str(bad))
    assert code == 2
    assert f"{bad}:2:" in err and "exceeds" in err
    code, _, err = run_cli("show", str(tmp_path / "missing.h"))
    assert code == 2 and "no such file" in err
    code, _, err = run_cli("show", V420, "--struct", "nosuch", "--abi", "x86_64")
    assert code == 2 and "nosuch" in err


def test_help_lists_commands(run_cli):
    with pytest.raises(SystemExit) as info:
        run_cli("--help")
    assert info.value.code == 0


def test_an_unknown_option_is_named_with_the_command_it_was_given_to(run_cli):
    code, _, err = run_cli("show", "x.h", "--bogus")
    assert code == 2
    assert err == "layoutcheck: show: unrecognized arguments: --bogus (see layoutcheck show --help)\n"
    # before the command: layoutcheck's own options
    code, _, err = run_cli("--bogus", "show", "x.h")
    assert code == 2
    assert err == ("layoutcheck: unrecognized arguments: --bogus (see layoutcheck --help; "
                   "options of show go after it)\n")
    code, _, err = run_cli("--bogus")
    assert code == 2 and err.startswith("layoutcheck: unrecognized arguments: --bogus (see layoutcheck --help)")


def test_a_misspelt_command_is_named_with_the_nearest_one(run_cli, capsys):
    with pytest.raises(SystemExit) as info:
        run_cli("shwo", "x.h")
    err = capsys.readouterr().err
    assert info.value.code == 2 and "invalid choice: 'shwo'" in err and "did you mean 'show'?" in err
    with pytest.raises(SystemExit):
        run_cli("xyzzy", "x.h")
    assert "did you mean" not in capsys.readouterr().err


def test_console_script_runs():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "layoutcheck", "show", V420, "--struct", "page",
                           "--abi", "i386", "-DCONFIG_MEMCG"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "/* size: 36, align: 4" in proc.stdout


def test_an_internal_error_exits_2_never_1(run_cli, monkeypatch):
    """1 means a finding to a script: a defect of layoutcheck's (here a
    command that raises) is reported with its traceback and exit 2."""
    from layoutcheck.commands import show

    def broken(args):
        raise NameError("name 'watch' is not defined")

    monkeypatch.setattr(show, "run", broken)
    code, out, err = run_cli("show", "x.h")
    assert code == 2 and "internal error" in err and "NameError" in err, (code, err)


@pytest.mark.parametrize("cpp", ["auto", "system", "python"])
def test_define_options_mean_what_cc_makes_of_them(tmp_path, run_cli, cpp):
    """-D NAME is 1, -D NAME= an empty macro, as cc makes them, on every
    preprocessor road; -D and -U of one macro together are refused (cc
    applies them in their order, which layoutcheck does not keep)."""
    if cpp == "system":
        need_compiler(get_abi("x86_64"))
    header = tmp_path / "df.h"
    header.write_text("#ifdef FOO\nstruct df { char a[FOO + 2]; };\n#else\nstruct df { char a[1]; };\n"
                      "#endif\n")
    sizes = []
    for define in ("FOO", "FOO=", "FOO=3"):
        code, out, err = run_cli("show", header, "--abi", "x86_64", "--format", "json",
                                 "--cpp", cpp, "-D", define)
        assert code == 0, err
        sizes.append(json.loads(out)["layouts"][0]["size"])
    assert sizes == [3, 2, 5]
    code, _out, err = run_cli("show", header, "--abi", "x86_64", "--cpp", cpp, "-U", "FOO", "-D", "FOO=3")
    assert code == 2 and "-D FOO and -U FOO together" in err
    # the library's defines and undefs have no order between them either
    for call in (lambda: lc.load(str(header), abis="x86_64", defines={"FOO": 3}, undefs=["FOO"]),
                 lambda: lc.check([str(header)], abis="x86_64", defines={"FOO": 3}, undefs="FOO")):
        with pytest.raises(lc.LayoutError, match="defines and undefs both name FOO"):
            call()


def test_an_empty_define_is_labelled_as_cc_spells_it(tmp_path, run_cli):
    """The text output names the -D macros: -DFOO= for an empty one, -DFOO
    for 1 (from a review: -D FOO= was shown as -DFOO)."""
    header = tmp_path / "s.h"
    header.write_text("struct s { char a[FOO 2]; };\n")
    code, out, err = run_cli("show", header, "--abi", "x86_64", "--cpp", "python", "-D", "FOO=")
    assert code == 0, err
    assert "-DFOO=" in out and "-DFOO " not in out.replace("-DFOO=", "")


DECLARATORS = """
typedef int A3[3];
typedef int F1(int);
typedef A3 AA[2];
struct in { int x; };
typedef int (*handler_t)(int);
struct q {
    int (*f)(int, char *);
    void (*g)(void);
    long (*h)(int, ...);
    int (*arr[2])(int);
    char *p[3];
    int (*pa)[4];
    const char *const cp;
    unsigned u:3;
    int :2;
    struct in s;
    void (*k)(int a[3], void fn(int), const int c);
    int (*(*ff)(void))(long);
    handler_t ht[2];
    union { char c; short sh; };
    char (*(*grid)[2])[3];
    void (*cq)(const A3);
    void (*ca)(A3, F1, const AA);
    const __typeof__(int[3]) *tp;
    const A3 ma;
    volatile __typeof__(char[2][4]) vv;
};
"""
ARRAY_TYPEDEFS = "typedef int A3[3];\ntypedef int F1(int);\ntypedef A3 AA[2];\n"


def test_function_pointers_are_spelt_with_their_parameters(tmp_path):
    header = tmp_path / "fp.h"
    header.write_text(DECLARATORS)
    types = {m.path: m.type for m in lc.load(str(header), abis="x86_64", rules=False).layout("q", "x86_64")}
    assert types["f"] == "int (*)(int, char *)" and types["g"] == "void (*)(void)"
    assert types["h"] == "long (*)(int, ...)" and types["arr"] == "int (*[2])(int)"
    assert types["k"] == "void (*)(int *, void (*)(int), int)"
    assert types["ff"] == "int (*(*)(void))(long)" and types["grid"] == "char (*(*)[2])[3]"


@pytest.mark.oracle
@pytest.mark.parametrize("abi", ["x86_64", "i386", "aarch64", "s390x"])
def test_show_text_is_c_that_gcc_lays_out_the_same(tmp_path, run_cli, abi):
    """Each member line of ``show``'s text declares the member as the
    header does: GCC, reading the text itself, places every member where
    the header's layout has it."""
    from layoutcheck.oracle.gcc import ask_gcc, compare

    need_compiler(get_abi(abi))
    header = tmp_path / "fp.h"
    header.write_text(DECLARATORS)
    code, text, err = run_cli("show", str(header), "--abi", abi, "--project", "off")
    assert code == 0, err
    assert "int (*arr[2])(int);" in text and "void (*k)(int *, void (*)(int), int);" in text, text
    lays = lc.load(str(header), abis=abi, rules=False).layouts()
    shown = lc.load("typedef int (*handler_t)(int);\n" + ARRAY_TYPEDEFS + text, abis=abi, cpp="none",
                    rules=False)
    bad = []
    for lay, orc in zip(lays, ask_gcc(get_abi(abi), shown.oracle_source(), lays), strict=True):
        bad += compare(lay, orc)[1]
    assert not bad, "\n".join(map(str, bad))


@pytest.mark.oracle
def test_each_member_line_declares_the_headers_type(tmp_path, run_cli):
    """GCC holds the type each member line of ``show`` declares to the
    member's type in the header (``__builtin_types_compatible_p``)."""
    import subprocess

    need_compiler(get_abi("x86_64"))
    header = tmp_path / "fp.h"
    header.write_text(DECLARATORS)
    code, text, err = run_cli("show", str(header), "--abi", "x86_64", "--struct", "q", "--project", "off")
    assert code == 0, err
    members = [m.path for m in lc.load(str(header), abis="x86_64", rules=False).layout("q", "x86_64")
               if "." not in m.path and m.path not in ("", "u", "c", "sh")]
    assert len(members) >= 15, members
    src = tmp_path / "same.c"
    src.write_text(DECLARATORS + text.replace("struct q {", "struct q_shown {", 1) + "".join(
        f"_Static_assert(__builtin_types_compatible_p(__typeof__(((struct q *)0)->{m}), "
        f"__typeof__(((struct q_shown *)0)->{m})), \"{m}\");\n" for m in members))
    proc = subprocess.run(["gcc", "-fsyntax-only", "-w", str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + text
