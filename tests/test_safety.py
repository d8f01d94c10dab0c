"""No code from the input ever runs, and nothing unchecked reaches a subprocess.

Each test plants a way for a header, a macro, a rules file or a path to run
code or write a file (the marker file), runs the command line and the
library on it, and asserts that the marker never appeared.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

import layoutcheck as lc
from layoutcheck.abi import get_abi
from layoutcheck.oracle.verify import verify_program

from .conftest import need_c_compiler, need_compiler, oracles_required

HOST = get_abi("host")


def _marker(tmp_path) -> str:
    return str(tmp_path / "ran")


# Each payload, when run, creates the marker file.  The struct after it is
# what a reviewer thinks the header is about.
def _payloads(marker: str) -> dict:
    touch = f'system("touch {marker}")'
    return {
        "constructor": f"""
            int system(const char *);
            __attribute__((constructor)) static void lc_evil(void) {{ {touch}; }}
            struct s {{ int a; char b; }};
        """,
        "destructor": f"""
            int system(const char *);
            __attribute__((destructor)) static void lc_evil(void) {{ {touch}; }}
            struct s {{ int a; char b; }};
        """,
        "ifunc": f"""
            int system(const char *);
            static void lc_impl(void) {{ }}
            static void (*lc_resolve(void))(void) {{ {touch}; return lc_impl; }}
            void lc_entry(void) __attribute__((ifunc("lc_resolve")));
            void (*lc_ref)(void) = lc_entry;  /* resolved, so run, at load */
            struct s {{ int a; char b; }};
        """,
        "init_array": f"""
            int system(const char *);
            static void lc_evil(void) {{ {touch}; }}
            __attribute__((section(".init_array"), used))
            static void (*lc_hook)(void) = lc_evil;
            struct s {{ int a; char b; }};
        """,
        "toplevel_asm": f"""
            int system(const char *);
            void lc_evil(void) {{ {touch}; }}
            __asm__(".section .init_array,\\"aw\\"\\n.balign 8\\n.quad lc_evil\\n.text");
            struct s {{ int a; char b; }};
        """,
    }


PAYLOADS = list(_payloads("x"))


@pytest.mark.oracle
@pytest.mark.parametrize("kind", PAYLOADS)
def test_verify_runs_nothing_from_the_header_cli(kind, tmp_path):
    """A whole process, so that a destructor would have run by its end."""
    need_c_compiler()
    need_compiler(HOST)
    marker = _marker(tmp_path)
    header = tmp_path / f"{kind}.h"
    header.write_text(_payloads(marker)[kind])
    proc = subprocess.run([sys.executable, "-m", "layoutcheck", "verify", str(header),
                           "--abi", "host", "--no-clang"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    code, out, err = proc.returncode, proc.stdout, proc.stderr
    assert not os.path.exists(marker), f"{kind}: code from the header ran"
    # The layouts are still compared, through both oracles.
    assert code == 0, out + err
    assert "0 mismatches" in out
    assert "cffi" in out


@pytest.mark.oracle
@pytest.mark.parametrize("kind", PAYLOADS)
def test_verify_runs_nothing_from_the_header_library(kind, tmp_path):
    need_c_compiler()
    need_compiler(HOST)
    marker = _marker(tmp_path)
    prog = lc.load(_payloads(marker)[kind], abis=["host"])
    report = verify_program(prog, with_cffi=True)
    assert not os.path.exists(marker), f"{kind}: code from the header ran"
    assert report.cffi_structs == 1 and report.cffi_items > 0
    assert not report.mismatches


@pytest.mark.oracle
def test_a_module_that_would_run_code_is_never_loaded(tmp_path):
    """Defence in depth: even if the declaration filter let a constructor
    through, the module is inspected before loading and refused."""
    need_c_compiler()
    from layoutcheck.oracle.cffi_host import check_loadable

    src = tmp_path / "m.c"
    src.write_text("__attribute__((constructor)) static void f(void) { }\n"
                   "int g(void) { return 0; }\n")
    so = tmp_path / "m.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    with pytest.raises(lc.LayoutError, match="refusing to load"):
        check_loadable(str(so))
    plain = tmp_path / "p.c"
    plain.write_text("int g(void) { return 0; }\n")
    so2 = tmp_path / "p.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(so2), str(plain)], check=True)
    check_loadable(str(so2))  # an ordinary module passes


def test_the_declaration_filter_keeps_types_and_drops_code():
    from layoutcheck.oracle.declonly import type_declarations

    src = ('# 1 "h.h"\n#pragma pack(push, 2)\n#pragma GCC poison x\n'
           'static struct s { int a; } __attribute__((aligned(8))) v = { 1 };\n'
           'typedef struct t { long b : 3; } T;\n'
           'void f(void) { struct inner { int q; } z; }\n'
           'enum e { A = sizeof(struct s) };\n'
           '__asm__("nop");\nint x = 3;\n#pragma pack(pop)\n')
    out = type_declarations(src)
    assert out.count("\n") == src.count("\n")  # line numbers kept
    assert "struct s { int a; } __attribute__((aligned(8)));" in out
    assert "typedef struct t { long b : 3; } T;" in out
    assert "enum e { A = sizeof(struct s) };" in out
    assert "#pragma pack(push, 2)" in out and "#pragma pack(pop)" in out
    for gone in ("poison", "= { 1 }", "void f", "inner", "__asm__", "int x"):
        assert gone not in out, gone


HOOK = '__attribute__((constructor)) static void f(void){system("touch MARK");}'


def test_a_macro_value_that_is_code_is_refused(tmp_path, run_cli):
    marker = _marker(tmp_path)
    header = tmp_path / "h.h"
    header.write_text("HOOK\nstruct s { int a; };\n")
    value = HOOK.replace("MARK", marker)
    for cmd in ("show", "verify"):
        code, _out, err = run_cli(cmd, header, f"-DHOOK={value}", "--abi", "host")
        assert code == 2, (cmd, err)
        assert "the value of HOOK may hold only" in err
    with pytest.raises(lc.LayoutError, match="the value of HOOK"):
        lc.load(str(header), abis=["host"], defines={"HOOK": value})
    assert not os.path.exists(marker)


@pytest.mark.parametrize("name", ["int", "s=s; struct s //", "1X", "A B", "", "long"])
def test_bad_macro_names_are_refused_everywhere(name, tmp_path, run_cli):
    header = tmp_path / "h.h"
    header.write_text("struct s { int a; };\n")
    code, _out, err = run_cli("show", header, f"-D{name}=1")
    assert code == 2 and err.strip()
    with pytest.raises(lc.LayoutError):
        lc.load(str(header), defines={name: "1"})
    with pytest.raises(lc.LayoutError):
        lc.Program(str(header), ["x86_64"], abi_defines={"x86_64": {name: "1"}})


def test_ordinary_macro_values_pass(tmp_path):
    header = tmp_path / "h.h"
    header.write_text("struct s { T a[N]; char name[sizeof(S)]; };\n")
    prog = lc.load(str(header), abis=["x86_64"],
                   defines={"T": "unsigned long", "N": "(2 * 4)", "S": '"abc"'})
    lay = prog.layout("s", "x86_64")
    assert (lay.size, lay.member("name").offset) == (72, 64)


def test_a_rules_file_cannot_inject_code_or_change_types(tmp_path, run_cli):
    marker = _marker(tmp_path)
    (tmp_path / ".git").mkdir()  # the rules search stops here
    header = tmp_path / "h.h"
    header.write_text("struct s { int a; };\n")
    key = f's=s; __attribute__((constructor)) static void f(void){{system("touch {marker}");}} struct s //'
    for bad in (key, "int=long //"):
        (tmp_path / "layoutcheck.toml").write_text(
            f'[matrix.abi_defines]\n"{bad}" = "all"\n'.replace("\\", "\\\\"))
        for cmd in ("show", "check", "verify"):
            code, out, err = run_cli(cmd, header, "--abi", "host")
            assert code == 2, (cmd, bad, out, err)
        # The library finds the same rules file and refuses the same way.
        with pytest.raises(lc.LayoutError):
            lc.load(str(header), abis="host")
        with pytest.raises(lc.LayoutError):
            lc.check(str(header), abis="host")
    assert not os.path.exists(marker)


def test_a_path_that_looks_like_an_option_is_read_as_a_path(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    victim = tmp_path / "victim.h"
    victim.write_text("struct v { int keep; };\n")
    # A directive, so that the preprocessor runs.
    (tmp_path / "-ovictim.h").write_text("#define L long\nstruct s { L a; };\n")
    plugin_dir = tmp_path / "-fplugin=."
    plugin_dir.mkdir()
    (plugin_dir / "evil.h").write_text("#define S short\nstruct p { S a; };\n")
    code, out, err = run_cli("show", "--format", "json", "--abi", "x86_64", "--", "-ovictim.h")
    assert code == 0, err
    assert '"name": "s"' in out
    assert victim.read_text() == "struct v { int keep; };\n"
    code, out, err = run_cli("show", "--format", "json", "--abi", "x86_64", "--", "-fplugin=./evil.h")
    assert code == 0, err
    assert '"name": "p"' in out
    # The library takes the same road.
    lay = lc.layout("-ovictim.h", "s", abi="x86_64")
    assert lay.size == 8
    assert lc.layout("-fplugin=./evil.h", "p", abi="x86_64").size == 2
    assert victim.read_text() == "struct v { int keep; };\n"


def test_a_path_that_looks_like_a_file_of_options_is_read_as_a_path(tmp_path, run_cli,
                                                                   monkeypatch):
    """GCC reads an argument ``@x.h`` as the file ``x.h`` of options
    (``-fplugin=./evil.so`` in it would load a plugin): a header or include
    directory named so reaches it as ``./@x.h``."""
    monkeypatch.chdir(tmp_path)
    victim = tmp_path / "victim.h"
    victim.write_text("struct v { int keep; };\n")
    (tmp_path / "x.h").write_text("-ovictim.h\n")  # options, if read as such
    (tmp_path / "@x.h").write_text("#define L long\nstruct s { L a; };\n")
    code, out, err = run_cli("show", "--format", "json", "--abi", "x86_64", "@x.h")
    assert code == 0, err
    assert '"name": "s"' in out
    assert victim.read_text() == "struct v { int keep; };\n"
    assert lc.layout("@x.h", "s", abi="x86_64").size == 8
    # an include directory, from -I or a project file
    (tmp_path / "@inc").mkdir()
    (tmp_path / "@inc" / "t.h").write_text("typedef short T;\n")
    (tmp_path / "inc").write_text("-ovictim.h\n")
    header = tmp_path / "h.h"
    header.write_text('#include "t.h"\nstruct u { T a; };\n')
    code, out, err = run_cli("show", "--format", "json", "--abi", "x86_64", "-I", "@inc", "h.h")
    assert code == 0, err
    assert '"size": 2' in out
    assert victim.read_text() == "struct v { int keep; };\n"


def test_an_include_dir_that_looks_like_an_option(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inc = tmp_path / "-ovictim.h"
    inc.mkdir()
    (inc / "t.h").write_text("typedef long T;\n")
    (tmp_path / "victim.h").write_text("keep\n")
    header = tmp_path / "h.h"
    header.write_text('#include "t.h"\nstruct s { T a; };\n')
    lay = lc.layout(str(header), "s", abi="x86_64", include_dirs=["-ovictim.h"])
    assert lay.size == 8
    assert (tmp_path / "victim.h").read_text() == "keep\n"


def test_a_git_revision_that_looks_like_an_option_is_refused(tmp_path, run_cli, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "-q"], check=True)
    (tmp_path / "h.h").write_text("struct s { int a; };\n")
    code, _out, err = run_cli("diff", "--git=--output=pwned", "h.h", "--abi", "x86_64")
    assert code == 2 and "not a git revision" in err
    assert not (tmp_path / "pwned").exists()
    code, _out, err = run_cli("diff", "--abi", "x86_64", "--", "--output=pwned:h.h", "h.h")
    assert code == 2 and "no such file" in err
    assert not (tmp_path / "pwned").exists()


def _raw_string_smuggler(marker: str) -> str:
    """A header whose raw strings make layoutcheck's declaration filter see a
    typedef where GCC sees a static memset() definition; the oracle's own
    helpers would call it (found by an adversarial review)."""
    cmd = ",".join(f"'{c}'" for c in f"touch {marker}") + ",0"
    return ('struct S { char pad[1<<20]; int bf:3; };\n'
            'void f(void) { const char *p = R"x("\n\x0c# {\n")x"; }\n'
            'typedef char T5[sizeof(R"z(")z")]; int system(const char *); '
            '__attribute__((used)) static void *memset(void *d, int c, unsigned long n) '
            f'{{ char cmd[] = {{{cmd}}}; system(cmd); volatile char *p = d; '
            'while (n--) *p++ = c; return d; } typedef char T6[sizeof(R"w(")w")];\n'
            'typedef char T2[sizeof(R"y("\n\x0c# } int dummy[sizeof(\n")y")];\n'
            'struct U { int z; };\n')


@pytest.mark.oracle
def test_declarations_gcc_reads_as_code_are_refused(tmp_path):
    """GCC, not layoutcheck's tokenizer, decides whether the kept type
    declarations define anything: this one is refused, and nothing runs.
    (The front end itself now refuses the raw string outside a body, so the
    command stops before the oracle; the oracle's guard is asked directly.)"""
    from layoutcheck.oracle.cffi_host import check_declarations_define_nothing
    from layoutcheck.oracle.declonly import type_declarations

    need_c_compiler()
    need_compiler(HOST)
    marker = _marker(tmp_path)
    header = tmp_path / "raw.h"
    header.write_text(_raw_string_smuggler(marker))
    proc = subprocess.run([sys.executable, "-m", "layoutcheck", "verify", str(header),
                           "--abi", "host", "--no-clang"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert not os.path.exists(marker)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    # refused where the front end first stops (a raw string outside a
    # body, or the '#' GCC keeps in one), or by the oracle's guard
    assert re.search(r"raw\.h:\d+:\d+: ", proc.stderr) or "GCC reads as defining code or data" in proc.stderr
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(lc.LayoutError, match="GCC reads as defining code or data"):
        check_declarations_define_nothing(type_declarations(header.read_text()), str(work))
    assert not os.path.exists(marker)


@pytest.mark.parametrize("value", ["<% %>", "%:define X", "a<:1:>", 'R"x(;)x"'])
def test_digraphs_and_raw_strings_are_refused_in_macro_values(value):
    with pytest.raises(lc.LayoutError, match="digraph or a raw string"):
        lc.load("struct s { int a; };", abis="x86_64", defines={"V": value})


@pytest.mark.oracle
def test_a_kernel_tree_named_by_a_project_file_is_read_but_never_built(tmp_path, run_cli,
                                                                        monkeypatch):
    """``verify`` builds a kernel tree with its own Makefiles: a project
    file (a cloned repository's word) may name a tree to read, and only the
    caller's --kernel says to build one."""
    from layoutcheck.oracle.kbuild import find_kernel_tree
    from layoutcheck.options import Options

    tree = find_kernel_tree("amd64")
    if tree is None:
        message = "no configured amd64 kernel tree (tools/fetch_kernel_trees.py fetches it)"
        if oracles_required():
            pytest.fail(message)
        pytest.skip(message)
    monkeypatch.chdir(tmp_path)
    # a header of the tree's source (Debian: the -common package beside it)
    trees = os.path.dirname(os.path.realpath(tree))
    header = next(os.path.join(trees, d, "include", "linux", "types.h")
                  for d in sorted(os.listdir(trees)) if d.endswith("-common"))
    (tmp_path / "layoutcheck.toml").write_text(
        f'[project]\nheaders = ["{header}"]\nkernel = "{tree}"\n')
    code, out, err = run_cli("verify")
    assert code == 2, (out, err)
    assert "named by" in err and f"--kernel {tree}" in err
    with pytest.raises(lc.LayoutError, match="not by you"):
        lc.verify(header)
    # reading the tree the project names is fine
    code, out, err = run_cli("show", "--format", "json")
    assert code == 0, err
    assert Options.make().kernel_from_project
    assert not Options.make(kernel=tree).kernel_from_project


def test_a_file_name_with_a_line_break_is_refused_not_read_as_text(tmp_path, run_cli,
                                                                    monkeypatch):
    """A header with no directive is read without a preprocessor, behind
    a line marker naming it: a line break in its name would have gone on
    as text (here a #pragma pack(1), which GCC never sees)."""
    monkeypatch.chdir(tmp_path)
    name = 'p.h"\n#pragma pack(1)\n# 1 "p.h'
    (tmp_path / name).write_text("struct s { char c; int i; };\n")
    for cpp in ("auto", "none", "system"):
        code, out, err = run_cli("show", name, "--abi", "x86_64", "--cpp", cpp)
        assert code == 2 and ("line break" in err or "newline" in err), (cpp, out, err)
    with pytest.raises(lc.LayoutError, match="line break"):
        lc.layout("struct s { char c; int i; };\n", "s", abi="x86_64", filename=name)
    quoted = 'q"\\.h'
    (tmp_path / quoted).write_text("struct s { char c; int i; };\n")
    assert lc.layout(quoted, "s", abi="x86_64").size == 8


def test_the_python_preprocessor_reads_only_bounded_regular_files_in_bounded_time(
        tmp_path, run_cli, monkeypatch):
    """--cpp python reads what a header includes as the other roads read a
    header: a FIFO is refused (not waited on), a device too (not read
    without end), and a macro that expands without end stops at the time
    limit; each is an error (exit 2), not a hang or a traceback."""
    from layoutcheck.cfront import preprocess

    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "ff")
    (tmp_path / "fifo.h").write_text('#include "ff"\nstruct s { int a; };\n')
    (tmp_path / "dev.h").write_text('#include "/dev/zero"\nstruct s { int a; };\n')
    for name, why in (("fifo.h", "not a regular file"), ("dev.h", "not a regular file")):
        code, out, err = run_cli("show", name, "--abi", "x86_64", "--cpp", "python")
        assert code == 2 and why in err, (name, out, err)
    bomb = "".join(f"#define A{i + 1} A{i} A{i}\n" for i in range(40))
    (tmp_path / "bomb.h").write_text("#define A0 x\n" + bomb + "struct s { int a; };\nA40\n")
    monkeypatch.setattr(preprocess, "PREPROCESS_TIMEOUT", 1)
    with pytest.raises(lc.LayoutError, match="ran for more than 1 s"):
        lc.load(str(tmp_path / "bomb.h"), abis=["x86_64"], cpp="python")
    # an ordinary include still reads
    (tmp_path / "t.h").write_text("typedef long T;\r\n")
    (tmp_path / "ok.h").write_text('#include "t.h"\nstruct s { T a; };\n')
    assert lc.layout(str(tmp_path / "ok.h"), "s", abi="x86_64", cpp="python").size == 8


@pytest.mark.parametrize("condition", ["-7 % 3 == -1", "'\\xff' < 0", "N / 2 == 2"])
def test_the_python_preprocessor_refuses_if_arithmetic_it_does_not_do_as_c(condition, tmp_path):
    """pcpp's #if is Python arithmetic ('%' with the divisor's sign, '/'
    through a float, character constants unsigned): an #if that needs
    C's gets an error naming its line, not the other branch."""
    header = tmp_path / "h.h"
    header.write_text(f"#define N 4\n#if {condition}\nstruct s {{ char a[2]; }};\n#else\n"
                      f"struct s {{ char a[3]; }};\n#endif\n")
    with pytest.raises(lc.LayoutError, match="does not evaluate") as info:
        lc.load(str(header), abis=["x86_64"], cpp="python")
    assert info.value.where.endswith("h.h:2")
    assert lc.layout(str(header), "s", "x86_64", cpp="system").size == 2


def test_the_python_preprocessor_never_writes_a_name_that_ends_its_line_marker(tmp_path,
                                                                                monkeypatch):
    """pcpp writes each file's name into its line markers as it is: a
    folder or include folder whose name holds a quote and a line break
    would go on as text (a _Pragma("pack(1)") here).  Refused, as the
    other roads refuse it, and so is a file too big for pcpp."""
    monkeypatch.chdir(tmp_path)
    evil = 'd"\n_Pragma("pack(1)")\n#line 1 "'
    os.makedirs(evil)
    with open(os.path.join(evil, "x.h"), "w") as fh:
        fh.write("#define X 1\nstruct s { char c; int i; };\n")
    (tmp_path / "m.h").write_text("#include <x.h>\n")
    with pytest.raises(lc.LayoutError, match="cannot name the header"):
        lc.load(tmp_path / evil / "x.h", abis=["x86_64"], cpp="python")  # a Path: a path
    with pytest.raises(lc.LayoutError, match="cannot name the include folder"):
        lc.load("m.h", abis=["x86_64"], cpp="python", include_dirs=[evil])
    (tmp_path / "big.h").write_text("#define X 1\n" + "int a;\n" * 200_000)
    with pytest.raises(lc.LayoutError, match="more than the pure-Python preprocessor reads"):
        lc.load("big.h", abis=["x86_64"], cpp="python")


def test_a_refused_rules_file_is_a_warning_in_the_library(tmp_path, monkeypatch):
    """The rules' abi_defines change layouts; a rules file refused (writable
    by others) leaves them out, which show says on stderr and the library
    says with a RulesRefusedWarning."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.h").write_text("#ifdef WIDE\ntypedef long long T;\n#else\ntypedef long T;\n#endif\n"
                                  "struct s { T v; };\n")
    rules = tmp_path / "layoutcheck.toml"
    rules.write_text('[matrix.abi_defines]\nWIDE = "32bit"\n')
    assert lc.layout("a.h", "s", "i386").size == 8
    os.chmod(rules, 0o666)
    with pytest.warns(lc.RulesRefusedWarning, match="writable by others"):
        lay = lc.layout("a.h", "s", "i386")
    assert lay.size == 4
