"""The preprocessor for plain headers (cfront/plaincpp.py) against GCC's.

What it reads must be, token for token and line for line, what each
ABI's GCC writes with the flags of the preprocessor road; what it does
not read exactly it must leave to GCC (``read_plain`` gives None).  The
headers: the cdefs, generated ones (macros of both kinds, #if arithmetic
signed and unsigned, includes, the ABIs' and the user's macros), and one
of each construct it leaves to GCC."""

from __future__ import annotations

import os
import random
import re
import subprocess

import pytest

from .conftest import CDEFS, need_all_compilers, need_compiler, record
from layoutcheck.abi import all_abis, get_abi
from layoutcheck.cfront import plaincpp
from layoutcheck.cfront.preprocess import (
    PPConfig,
    abi_macros,
    compile_flags,
    path_arg,
    preprocess_for_abis,
    preprocessor_command,
)

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|[A-Za-z_][A-Za-z0-9_]*'
                    r'|\.?[0-9](?:[eEpP][+-]|[A-Za-z0-9_.])*|\.\.\.|<<=|>>=|->|\+\+|--|<<|>>'
                    r'|<=|>=|==|!=|&&|\|\||[-*/%+&|^<>=!]=|##|\S')
_MARKER = re.compile(r'#(?:line)? *(\d+) +"((?:[^"\\]|\\.)*)"')


def _stream(text: str) -> list:
    """Every token of a preprocessed text with its file and line, as the
    line markers place it (GCC's <built-in> and <command-line> left out)."""
    out, name, line = [], None, 0
    for row in text.split("\n"):
        m = _MARKER.match(row)
        if m:
            line, name = int(m.group(1)), m.group(2)
            continue
        if name is not None and not name.startswith("<"):
            out.extend((name, line, tok) for tok in _TOKEN.findall(row))
        line += 1
    return out


def _gcc(path: str, abi, config: PPConfig, extra: dict) -> str:
    prefix, _native = preprocessor_command(abi, config)
    argv = prefix + ["-x", "c"] + compile_flags(abi, config, extra) + [path_arg(path)]
    proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{abi.name}: GCC refused what plaincpp read:\n{proc.stderr}"
    return proc.stdout


def _held_to_gcc(path: str, abis, config: PPConfig, extra: dict, left=()) -> int:
    """Compare plaincpp's reading of ``path`` for every ABI with GCC's;
    the number of ABIs compared (0: plaincpp left the header to GCC).
    ``left``: the ABIs it must leave to GCC (None: any)."""
    found = plaincpp.read_plain(path, path, abis, config, extra)
    if found is None:
        return 0
    groups, rest = found
    assert left is None or sorted(a.name for a in rest) == sorted(left)
    assert sorted([a.name for g in groups for a in g.abis] + [a.name for a in rest]) == \
        sorted(a.name for a in abis)
    compared = 0
    for group in groups:
        ours = _stream(group.text)
        assert ours, f"{path}: an empty reading"
        for abi in group.abis:
            theirs = _stream(_gcc(path, abi, config, extra.get(abi.name, {})))
            assert ours == theirs, f"{path} for {abi.name}: plaincpp's text is not GCC's"
            compared += 1
    return compared


def _word_size_macros(abis) -> dict:
    return {a.name: ({"CONFIG_64BIT": "1"} if a.bits == 64 else {}) for a in abis}


def test_recorded_macros_are_what_each_gcc_starts_from():
    """Freestanding and without a search path, each GCC predefines exactly
    its recorded macros but UNCERTAIN's (which plaincpp never answers)."""
    need_all_compilers()
    for abi in all_abis():
        out = subprocess.run(list(abi.oracle) + ["-E", "-dM", "-nostdinc", "-ffreestanding", "-x",
                                                 "c", os.devnull],
                             capture_output=True, text=True, check=True).stdout
        real = {}
        for line in out.splitlines():
            name, _, body = line[len("#define "):].partition(" ")
            real[name] = body
        recorded = abi_macros(abi.name)
        differ = {n for n in set(real) | set(recorded) if real.get(n) != recorded.get(n)}
        assert differ <= plaincpp.UNCERTAIN, f"{abi.name}: {sorted(differ - plaincpp.UNCERTAIN)}"


def test_cdefs_read_as_every_gcc_reads_them():
    need_all_compilers()
    abis = all_abis()
    headers = sorted(p for p in os.listdir(os.path.join(CDEFS, "page")) if p.endswith(".h"))
    compared = 0
    for name in headers:
        path = os.path.join(CDEFS, "page", name)
        n = _held_to_gcc(path, abis, PPConfig.make(), _word_size_macros(abis))
        assert n == len(abis), f"{name} was left to GCC"
        compared += n
    # the user's -D and -U over the rules' macros, as on GCC's command line
    config = PPConfig.make({"CONFIG_MEMCG": "1", "ALLOC_SPLIT_PTLOCKS": "1"}, ["CONFIG_64BIT"])
    compared += _held_to_gcc(os.path.join(CDEFS, "page", "v4.20.h"), abis, config,
                             _word_size_macros(abis))
    record("plaincpp texts held to GCC", 0, compared)
    assert compared == (len(headers) + 1) * len(abis)


def test_one_text_per_distinct_answer():
    """The struct page cdefs ask for CONFIG_64BIT: two texts, split by word
    size; the same header with CONFIG_64BIT for none is one text."""
    abis = all_abis()
    path = os.path.join(CDEFS, "page", "v4.20.h")
    groups, left = plaincpp.read_plain(path, path, abis, PPConfig.make(), _word_size_macros(abis))
    assert [sorted({a.bits for a in g.abis}) for g in groups] == [[64], [32]] and not left
    groups, left = plaincpp.read_plain(path, path, abis, PPConfig.make(), {})
    assert len(groups) == 1 and len(groups[0].abis) == len(abis) and not left


# ------------------------------------------------------------ generated
_ABI_WORDS = ["__SIZEOF_LONG__", "__SIZEOF_POINTER__", "__LP64__", "__CHAR_UNSIGNED__",
              "__BYTE_ORDER__", "__ORDER_BIG_ENDIAN__", "__ORDER_LITTLE_ENDIAN__", "__x86_64__",
              "__aarch64__", "__mips__", "__BIGGEST_ALIGNMENT__", "__SIZEOF_LONG_DOUBLE__",
              "CONFIG_64BIT", "USER_FLAG", "NOT_DEFINED_ANYWHERE"]


def _expr(rng: random.Random, names: list, depth: int = 0, defined: bool = True) -> str:
    pick = rng.random()
    if depth > 3 or pick < 0.3:
        choice = rng.random()
        if choice < 0.4:
            return rng.choice(["0", "1", "2", "3", "7", "8", "16", "0x10", "010", "4u", "1UL",
                               "100", "0xffu", "64"])
        if choice < 0.8 or not defined:
            return rng.choice(names + _ABI_WORDS)
        return f"defined({rng.choice(names + _ABI_WORDS)})"
    if pick < 0.45:
        return f"{rng.choice(['!', '~', '-', '+'])}({_expr(rng, names, depth + 1, defined)})"
    if pick < 0.55:
        return (f"({_expr(rng, names, depth + 1, defined)} ? {_expr(rng, names, depth + 1, defined)} : "
                f"{_expr(rng, names, depth + 1, defined)})")
    op = rng.choice(["+", "-", "*", "/", "%", "<<", ">>", "<", ">", "<=", ">=", "==", "!=", "&",
                     "^", "|", "&&", "||"])
    right = _expr(rng, names, depth + 1, defined)
    if op in ("/", "%"):
        right = f"(({right}) ? ({right}) : 3)"
    if op in ("<<", ">>"):
        right = rng.choice(["1", "2", "3"])
    return f"({_expr(rng, names, depth + 1, defined)} {op} {right})"


def _header(rng: random.Random, folder: str, index: int) -> str:
    """A generated header and the one it includes beside it."""
    names: list = []
    lines = [f"/* generated {index} */"]
    inc = os.path.join(folder, f"inc{index}.h")
    with open(inc, "w") as fh:
        fh.write(f"#ifndef INC{index}_H\n#define INC{index}_H\n"
                 f"#define SHARED_{index} (sizeof(long) / 2)\n"
                 f"#define TWICE(x) ((x) + (x))\n#endif\n")
    lines.append(f'#include "inc{index}.h"')
    lines.append(f'#include "inc{index}.h" /* again: guarded */')
    for k in range(rng.randint(3, 7)):
        name = f"M{k}"
        lines.append(f"#define {name} {_expr(rng, names, defined=False)}")
        names.append(name)
    lines.append("#define ADD(a, b) ((a) + (b))")
    lines.append("#define WIDTH(t) (sizeof(t) * 2)")
    lines.append("#define NOARGS() 5")
    for k in range(rng.randint(3, 6)):
        cond = _expr(rng, names)
        lines.append(f"#if {cond}")
        lines.append(f"struct s{k}a {{ char c[ADD(M0, {k})]; long l; }};")
        if rng.random() < 0.5:
            lines.append(f"#elif {_expr(rng, names)}")
            lines.append(f"struct s{k}b {{ int x : 3; char y[WIDTH(short)]; }};")
        if rng.random() < 0.5:
            lines.append("#else")
            lines.append(f"  struct s{k}c {{ unsigned u; }}; /* a comment */ // and one more")
        lines.append("#endif")
    lines.append("#ifdef USER_FLAG")
    lines.append("struct user { char c[TWICE(SHARED_%d) + NOARGS()]; };" % index)
    lines.append("#endif")
    lines.append("#ifndef CONFIG_64BIT")
    lines.append("struct narrow { int i; };")
    lines.append("#endif")
    lines.append("#undef M0")
    lines.append("int after_undef[sizeof(struct { char c; }) + 1];")
    path = os.path.join(folder, f"gen{index}.h")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def test_generated_headers_read_as_every_gcc_reads_them(tmp_path):
    need_all_compilers()
    abis = all_abis()
    rng = random.Random(20261130)
    read = compared = 0
    total = 40
    for index in range(total):
        path = _header(rng, str(tmp_path), index)
        config = PPConfig.make({"USER_FLAG": "3"} if index % 2 else {})
        n = _held_to_gcc(path, abis, config, _word_size_macros(abis), left=None)
        read += n > 0
        compared += n
    record("plaincpp generated texts held to GCC", 0, compared)
    # most are read here (an overflow or a division by zero in an #if sends
    # one to GCC): the comparison is not empty
    assert read >= total * 3 // 4, f"only {read} of {total} read"


# ----------------------------------------------------- left to GCC
_LEFT = {
    "pragma": "#pragma GCC poison p\n#pragma pack(1)\nstruct s { char c; int i; };\n",
    "system include": "#include <stddef.h>\n",
    "include elsewhere": '#include "no/such/file.h"\n',
    "line splice": "#define X 1 \\\n + 2\nint a[X];\n",
    "paste": "#define CAT(a, b) a ## b\nint CAT(x, y);\n",
    "stringize": "#define S(a) #a\nchar s[] = S(x);\n",
    "variadic": "#define V(...) __VA_ARGS__\nint V(x);\n",
    "self reference": "#define x x + 1\nint a[x];\n",
    "mutual reference": "#define a b\n#define b a\nint a;\n",
    "arguments over lines": "#define F(x) x\nint F(\n a);\n",
    "name at line end": "#define F(x) x\nint F\n(a);\n",
    "__LINE__": "int a[__LINE__];\n",
    "has_include": "#if __has_include(\"x.h\")\n#endif\n",
    "uncertain macro": "#ifdef __STDC_HOSTED__\nint a;\n#endif\n",
    "division by zero": "#if 1 / 0\n#endif\n",
    "overflow": "#if 9223372036854775807 + 1\n#endif\n",
    "character constant": "#if 'a' == 97\n#endif\n",
    "error": "#error stop\n",
    "line directive": "#line 10\n",
    "unterminated if": "#if 1\nint a;\n",
    "dollar": "int a$b;\n",
    "directive after a comment across lines": "/* a\n */ #define X 1\n",
    "comment across lines in a directive": "#define X 1 /* a\n */\n",
    "trigraph": "int a??(1??);\n",
    "true in #if": "#if true\n#endif\n",
    "defined from a macro": "#define D defined(X)\n#if D\n#endif\n",
    "unterminated comment": "int a; /* no end\n",
    "absolute include": '#include "/dev/null"\n',
    "itself, unguarded": '#include "h.h"\n',
    "macros that double": "#define A0 x x\n" + "".join(
        f"#define A{k} A{k - 1} A{k - 1}\n" for k in range(1, 30)) + "int A29;\n",
    # (from a review, each read unlike GCC before it was left to GCC)
    "#elifdef": "#if 0\n#elifndef X\nint a;\n#endif\n",
    "form feed before a skipped #else": "#if 0\n\f#else\nint a;\n#endif\n",
    "defined in a macro's argument": "#define X Y\n#define F(a) a\n#if F(defined X)\n"
                                     "int yes;\n#else\nint no;\n#endif\n",
    "a directive word with a digit": "#if 1\nint a;\n#else1\n#endif\n",
    "an unknown directive read after a skipped one": "#if 0\n#if1\n#else\n#endif1\nint a;\n"
                                                      "#endif\nint b;\n",
    "raw string": 'char *s = R"x( " /* )x";\nint a;\n',
    "a decimal constant of 5000 digits": "#if " + "9" * 5000 + "\n#endif\n",
    # (from a second review)
    "a skipped #include whose name hides a comment": '#if 0\n#include <a"b.h> /*\n#else\n'
                                                      "int wrong;\n#endif\n#if 0\n*/\n#endif\n",
    "a skipped #include whose name holds //": "#if 0\n#include <a//b.h> /*\n#else\nint a;\n"
                                               "#endif\n#if 0\n*/\n#endif\n",
    "a directive name going on in a UCN": "#if 0\n#else\\u00C0\nint wrong;\n#endif\n",
    "a directive name going on in UTF-8": "#if 0\n#else\u00b7\nint wrong;\n#endif\n",
    "a header of more than 4 MiB": "int a;\n" + "\n" * (5 << 20),
    "arguments made again and again": "#define F(x) x x\n#define L0 " + "F(" * 17 + "a"
                                      + ")" * 17 + "\n" + "".join(
        f"#define L{k} L{k - 1}\n" for k in range(1, 300)) + "int L299;\n",
}


@pytest.mark.parametrize("what", sorted(_LEFT))
def test_left_to_gcc(tmp_path, monkeypatch, what):
    """Each is left by a bound on the work (tokens, lines, depth) or a form
    this reader does not read, the same on every machine: the clock, a
    last resort against what the bounds miss, is not what leaves these."""
    monkeypatch.setattr(plaincpp, "TIME_LIMIT", 1e9)
    path = tmp_path / "h.h"
    path.write_text(_LEFT[what])
    abis = [get_abi("x86_64"), get_abi("i386")]
    assert plaincpp.read_plain(str(path), str(path), abis, PPConfig.make(), {}) is None


def test_left_to_gcc_is_read_by_gcc(tmp_path):
    """A header plaincpp leaves goes to GCC: #pragma pack still packs."""
    need_compiler(get_abi("x86_64"))
    path = tmp_path / "h.h"
    path.write_text(_LEFT["pragma"])
    groups = preprocess_for_abis(str(path), [get_abi("x86_64")], PPConfig.make())
    # (GCC's text: it names <built-in>, and keeps no poison pragma)
    assert '# 0 "<built-in>"' in groups[0].text and "#pragma pack(1)" in groups[0].text


def test_plain_header_is_read_without_gcc(tmp_path, monkeypatch):
    """No preprocessor runs for a plain header under --cpp auto; --cpp
    system still runs GCC."""
    from layoutcheck.cfront import preprocess

    path = tmp_path / "h.h"
    path.write_text('#include "inc.h"\n#ifdef CONFIG_64BIT\nstruct s { long l[N]; };\n#endif\n')
    (tmp_path / "inc.h").write_text("#define N 3\n")
    ran = []
    real = preprocess._run_tool
    streamed = preprocess._stream_tool
    monkeypatch.setattr(preprocess, "_run_tool", lambda argv, **kw: ran.append(argv) or real(argv, **kw))
    monkeypatch.setattr(preprocess, "_stream_tool",
                        lambda argv, *a, **kw: ran.append(argv) or streamed(argv, *a, **kw))
    abis = all_abis()
    groups = preprocess_for_abis(str(path), abis, PPConfig.make(), abi_defines=_word_size_macros(abis))
    assert ran == [] and len(groups) == 2
    assert re.search(r"long l\s*\[\s*3\s*\]", groups[0].text)
    need_compiler(get_abi("x86_64"))
    preprocess_for_abis(str(path), [get_abi("x86_64")], PPConfig.make(mode="system"))
    assert ran


def test_an_edited_include_is_seen_through_the_layout_cache(tmp_path, run_cli):
    """The layout cache is keyed by the text read: an edit of the header a
    plain header includes gives the new layout, cold and warm."""
    (tmp_path / "part.h").write_text("#define N 2\nstruct part { int a[N]; };\n")
    main = tmp_path / "main.h"
    main.write_text('#include "part.h"\nstruct top { struct part p; char c[N]; };\n')
    sizes = []
    for _ in range(2):
        code, out, _err = run_cli("show", main, "--abi", "x86_64", "--format", "json")
        assert code == 0
        sizes.append(re.search(r'"name": "top", "size": (\d+)', out).group(1))
    (tmp_path / "part.h").write_text("#define N 5\nstruct part { int a[N]; };\n")
    code, out, _err = run_cli("show", main, "--abi", "x86_64", "--format", "json")
    assert code == 0
    assert sizes == ["12", "12"]
    assert re.search(r'"name": "top", "size": (\d+)', out).group(1) == "28"


_LIKE_GCC = {
    # a skipped directive word that only starts like one
    "a skipped #else1": "#if 0\n#else1\nint a;\n#endif\nint b;\n",
    # u8 is no prefix of a character constant in gnu17: a macro of its own
    "u8 before a character constant": "#define u8 X\nchar c = u8'a';\n",
    # an argument no parameter uses is not expanded (nor is its cost paid)
    "unused arguments nested 300 deep": "#define F(x) 1\nint a[] = { " + "F(" * 300
                                        + " ".join(["y"] * 1000) + ")" * 300 + " };\n",
}


@pytest.mark.parametrize("what", sorted(_LIKE_GCC))
def test_read_like_gcc(tmp_path, what):
    need_all_compilers()
    path = tmp_path / "h.h"
    path.write_text(_LIKE_GCC[what])
    abis = all_abis()
    assert _held_to_gcc(str(path), abis, PPConfig.make(), {}) == len(abis)


def test_altivec_words_read_as_powerpcs_gcc_reads_them(tmp_path):
    """PowerPC's GCC lists bool, vector, pixel and their kin among its
    macros, but no #ifdef or defined sees them, and bool and _Bool outside
    a vector type stay as written: read here for every ABI, as each GCC
    reads it."""
    need_all_compilers()
    path = tmp_path / "h.h"
    path.write_text("#ifndef bool\n#define BOOL_BYTES 4\n#else\n#define BOOL_BYTES 1\n#endif\n"
                    "#if defined(vector) || defined(__vector) || defined _Bool || defined(pixel)\n"
                    "int altivec;\n#endif\n#ifdef __bool\nint kin;\n#endif\n"
                    "typedef _Bool bool;\nstruct flags { char b[BOOL_BYTES]; bool c; _Bool d; };\n")
    abis = all_abis()
    assert _held_to_gcc(str(path), abis, PPConfig.make(), {}) == len(abis)
    groups = preprocess_for_abis(str(path), abis, PPConfig.make())
    assert len(groups) == 1 and "char b [ 4 ]" in groups[0].text


def test_vector_types_are_left_to_powerpcs_gcc(tmp_path):
    """'vector int' is AltiVec's type on the PowerPCs (GCC expands it
    there): those three go to their GCC, the others are read here; every
    ABI's text is its GCC's."""
    need_all_compilers()
    path = tmp_path / "h.h"
    path.write_text("typedef int vector;\nstruct s { vector int; int x; };\n#if bool\n#endif\n")
    abis = all_abis()
    powerpcs = ["ppc", "ppc64", "ppc64le"]
    assert _held_to_gcc(str(path), abis, PPConfig.make(), {}, left=powerpcs) == len(abis) - 3
    # and by GCC alone: ppc64le (AltiVec on) shares no text with ppc and
    # ppc64, whose GCCs list the same AltiVec macros but leave 'vector' be
    for mode in ("auto", "system"):
        groups = preprocess_for_abis(str(path), abis, PPConfig.make(mode=mode))
        for group in groups:
            for abi in group.abis:
                assert _stream(group.text) == _stream(_gcc(str(path), abi, PPConfig.make(), {})), \
                    (mode, abi.name)


def test_unused_arguments_cost_no_expansion(tmp_path, monkeypatch):
    """300 nested calls of a macro that drops its argument, around a
    million tokens: an argument no parameter use reads is not expanded, so
    the tokens expanded are the line's once (expanding them at each level
    would be 300 times that, and the token bound would leave it to GCC)."""
    monkeypatch.setattr(plaincpp, "TIME_LIMIT", 1e9)  # the work counted, not the clock
    expanded = []
    expand = plaincpp._Reading.expand

    def counting(self, toks, at_end_open):
        expanded.append(len(toks))
        return expand(self, toks, at_end_open)

    monkeypatch.setattr(plaincpp._Reading, "expand", counting)
    path = tmp_path / "h.h"
    words = 1_000_000
    path.write_text("#define F(x) 1\nint a[] = { " + "F(" * 300 + " ".join(["y"] * words)
                    + ")" * 300 + " };\n")
    found = plaincpp.read_plain(str(path), str(path), [get_abi("x86_64")], PPConfig.make(), {})
    assert found is not None
    (group,), _left = found
    assert [t for _f, _l, t in _stream(group.text)] == ["int", "a", "[", "]", "=", "{", "1",
                                                         "}", ";"]
    assert expanded == [6 + 3 * 300 + words + 2]  # the line, once; no argument


@pytest.mark.parametrize("spelt", ["inc", "inc/", "./inc", "-inc"])
def test_includes_found_in_an_include_folder(tmp_path, monkeypatch, spelt):
    """<name> and a "name" not beside its includer are looked for in the
    -I folders, in order, and named as GCC names them (one trailing '/'
    dropped, a leading '-' as './-'), on every ABI."""
    need_all_compilers()
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / spelt.strip("./")
    (folder / "proj").mkdir(parents=True)
    (folder / "proj" / "a.h").write_text('#include "b.h"\n#define A_SIZE 3\n')
    (folder / "proj" / "b.h").write_text("struct b { long l; };\n")
    (folder / "c.h").write_text("struct c { char c[A_SIZE]; };\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.h").write_text('#include <proj/a.h>\n#include "c.h"\nstruct m { struct b b; };\n')
    config = PPConfig.make(include_dirs=["nowhere", spelt])
    abis = all_abis()
    assert _held_to_gcc("src/m.h", abis, config, {}) == len(abis)


def test_a_system_header_or_a_system_folder_is_left_to_gcc(tmp_path):
    from layoutcheck.cfront.preprocess import system_include_dirs

    need_compiler(get_abi("x86_64"))
    path = tmp_path / "h.h"
    path.write_text("#include <stddef.h>\n")
    abis = [get_abi("x86_64")]
    assert plaincpp.read_plain(str(path), str(path), abis, PPConfig.make(), {}) is None
    path.write_text("int a;\n#include <nothing-here.h>\n")
    (tmp_path / "inc").mkdir()
    config = PPConfig.make(include_dirs=[str(tmp_path / "inc")])
    assert plaincpp.read_plain(str(path), str(path), abis, config, {}) is None
    # an -I of one of GCC's own folders: GCC drops it
    path.write_text("int a;\n")
    config = PPConfig.make(include_dirs=[system_include_dirs(abis[0])[0]])
    assert plaincpp.read_plain(str(path), str(path), abis, config, {}) is None


def test_an_include_folder_gcc_stops_on_is_left_to_gcc(tmp_path, monkeypatch):
    """GCC passes over a missing -I folder, but stops on one it cannot
    look at for another reason (not a folder, a symlink loop): so does
    this reader, leaving the error to GCC."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "h.h").write_text("#include <x.h>\nint a;\n")
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "x.h").write_text("int x;\n")
    os.symlink("loop", tmp_path / "loop")
    abis = [get_abi("x86_64")]
    assert plaincpp.read_plain("h.h", "h.h", abis, PPConfig.make(include_dirs=["gone", "inc"]),
                               {}) is not None
    for bad in ("h.h/x", "loop"):
        config = PPConfig.make(include_dirs=[bad, "inc"])
        assert plaincpp.read_plain("h.h", "h.h", abis, config, {}) is None, bad


@pytest.mark.parametrize("target", ["/dev/null", "a.h"])
def test_an_include_gcc_opens_or_stops_on_is_left_to_gcc(tmp_path, monkeypatch, run_cli, target):
    """GCC goes on past a name where nothing is (or a folder), but opens a
    device it finds there (an empty header) and stops on a loop of links.
    The reader took both for absent and read the -I folder's header
    instead (from a review): such a name is GCC's."""
    need_compiler(get_abi("x86_64"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "a.h").write_text("struct a { long x; };\n")
    (tmp_path / "h.h").write_text('#include "a.h"\nstruct s { int i; };\n')
    os.symlink(target, tmp_path / "a.h")
    abis = [get_abi("x86_64")]
    assert plaincpp.read_plain("h.h", "h.h", abis, PPConfig.make(include_dirs=["inc"]), {}) is None
    auto = run_cli("show", "h.h", "-I", "inc", "--abi", "x86_64", "--format", "json")
    system = run_cli("show", "h.h", "-I", "inc", "--abi", "x86_64", "--format", "json", "--cpp", "system")
    assert auto == system
    assert auto[0] == (0 if target == "/dev/null" else 2)
    (tmp_path / "a.h").unlink()
    (tmp_path / "a.h").mkdir()  # a folder: GCC goes on to inc/a.h, and so does the reader
    assert plaincpp.read_plain("h.h", "h.h", abis, PPConfig.make(include_dirs=["inc"]), {}) is not None


def test_includes_with_comments_after_the_name(tmp_path, monkeypatch):
    """An #include whose name is followed by comments (closed on its line)
    is read here, on every ABI, as GCC reads it; also in a skipped group,
    and with a name in which a comment's characters are only characters."""
    need_all_compilers()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inc").mkdir()
    (tmp_path / "a.h").write_text("#ifndef A_H\n#define A_H\nstruct a { short s; };\n#endif\n")
    (tmp_path / "b*c.h").write_text("#define B_LEN 3\n")
    (tmp_path / "inc" / "d.h").write_text("struct d { long l; };\n")
    (tmp_path / "m.h").write_text(
        '#include "a.h" /* struct a */\n'
        '#include "a.h"\t// again, guarded\n'
        '#include "a.h"/* one */ /* two */  \n'
        '#include <d.h> // from -I\n'
        '#include "b*c.h" /* a star in the name */\n'
        "#if 0\n#include \"none.h\" /* skipped */\n#endif\n"
        "struct m { struct a a; struct d d; char c[B_LEN]; };\n")
    config = PPConfig.make(include_dirs=["inc"])
    abis = all_abis()
    assert _held_to_gcc("m.h", abis, config, {}) == len(abis)


@pytest.mark.parametrize("line", ['#include "a.h" /* a comment */ int after;',
                                  '#include "a.h" /* a comment going on\n */',
                                  '#include "a.h" junk'])
def test_an_include_with_more_than_comments_is_left_to_gcc(tmp_path, monkeypatch, line):
    """A token after the name (GCC warns and reads on), or a comment going
    on to the next line (the directive goes on with it), is GCC's."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.h").write_text("struct a { short s; };\n")
    (tmp_path / "m.h").write_text(line + "\nint m;\n")
    abis = [get_abi("x86_64")]
    assert plaincpp.read_plain("m.h", "m.h", abis, PPConfig.make(), {}) is None


def test_pragma_once_read_as_gcc_reads_it(tmp_path, monkeypatch):
    """'#pragma once' is read here, on every ABI, as GCC 12 reads it: a file
    it marked is passed over when included again under any name, and so is
    a copy of it (same size, bytes and modification second); a copy of
    another second is read.  The main file may mark itself."""
    need_all_compilers()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    once = "#pragma once\nstruct a { short s; };\n"
    for name in ("a.h", "copy.h", "later.h"):
        (tmp_path / name).write_text(once.replace("struct a", "struct a") if name != "later.h"
                                     else once.replace("struct a", "struct l"))
    os.utime(tmp_path / "copy.h", (1_700_000_000, 1_700_000_000))
    os.utime(tmp_path / "a.h", (1_700_000_000, 1_700_000_000))
    (tmp_path / "b.h").write_text(once)  # the same bytes, another second
    os.utime(tmp_path / "b.h", (1_700_000_100, 1_700_000_100))
    (tmp_path / "sub" / "c.h").write_text('#include "../a.h"\nstruct c { int i; };\n')
    (tmp_path / "m.h").write_text(
        "# pragma once /* the main file */\n"
        '#include "a.h"\n#include "./a.h"\n#include "sub/c.h"\n#include "copy.h"\n'
        '#include "m.h"\n#include "later.h"\n'
        "struct m { struct a a; struct c c; struct l l; };\n")
    abis = all_abis()
    config = PPConfig.make()
    assert _held_to_gcc("m.h", abis, config, {}) == len(abis)
    text = plaincpp.read_plain("m.h", "m.h", abis[:1], config, {})[0][0].text
    assert text.count("struct a {") == 1 and '"copy.h"' not in text
    # the copy of another second is GCC's own: it is read, and so is it here
    (tmp_path / "m.h").write_text('#include "a.h"\n#include "b.h"\nint m;\n')
    assert _held_to_gcc("m.h", abis, config, {}) == len(abis)
    text = plaincpp.read_plain("m.h", "m.h", abis[:1], config, {})[0][0].text
    assert text.count("struct a {") == 2


@pytest.mark.parametrize("line", ["#pragma once junk", "#pragma GCC once", "#pragma GCC poison x",
                                  "#pragma GCC system_header", "#pragma push_macro(\"X\")",
                                  "#pragma redefine_extname a b", "#pragma message (\"m\")",
                                  "#pragma STDC FP_CONTRACT ON", "#pragma (pack)"])
def test_other_pragmas_are_left_to_gcc(tmp_path, line):
    path = tmp_path / "h.h"
    path.write_text(line + "\nint a;\n")
    assert plaincpp.read_plain(str(path), str(path), [get_abi("x86_64")], PPConfig.make(), {}) is None


@pytest.mark.parametrize("seconds", [(1_700_000_000_999_999_999, 1_700_000_001_000_000_000),
                                     (-500_000_000, 250_000_000),
                                     (1_700_000_000_100_000_000, 1_700_000_000_900_000_000)])
def test_pragma_once_compares_whole_seconds_as_gcc_does(tmp_path, monkeypatch, seconds):
    """GCC compares the seconds of the modification times (tv_sec): a
    nanosecond before a second and the second itself are two seconds, and
    so are -0.5 s and 0.25 s; two times within one second are one."""
    need_compiler(get_abi("x86_64"))
    monkeypatch.chdir(tmp_path)
    for name, ns in zip(("a.h", "b.h"), seconds, strict=True):
        (tmp_path / name).write_text("#pragma once\nint x;\n")
        os.utime(tmp_path / name, ns=(ns, ns))
    (tmp_path / "m.h").write_text('#include "a.h"\n#include "b.h"\nint m;\n')
    abis = [get_abi("x86_64")]
    assert _held_to_gcc("m.h", abis, PPConfig.make(), {}) == 1
    text = plaincpp.read_plain("m.h", "m.h", abis, PPConfig.make(), {})[0][0].text
    same_second = seconds[0] // 10**9 == seconds[1] // 10**9
    assert text.count("int x;") == (1 if same_second else 2)


@pytest.mark.parametrize("line", ["/**/#include <a/*b*/.h>", "#/**/include <a/*b*/.h>",
                                  "# /**/ include <a/*b*/.h> // c", "/**/#include <a/*b*/.h> /* c */",
                                  '/* x */ #include "a.h"'])
def test_an_include_after_a_comment_is_left_to_gcc(tmp_path, monkeypatch, line):
    """A comment before an #include's '#' or name: blanking it could cut
    into a <...> name, one token for GCC (here <a/*b*/.h> would have read
    'a     .h')."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inc" / "a" / "*b*").mkdir(parents=True)
    (tmp_path / "inc" / "a     .h").write_text("int blanked;\n")
    (tmp_path / "inc" / "a" / "*b*" / ".h").write_text("int real;\n")
    (tmp_path / "a.h").write_text("int a;\n")
    (tmp_path / "m.h").write_text(line + "\nint m;\n")
    config = PPConfig.make(include_dirs=["inc"])
    assert plaincpp.read_plain("m.h", "m.h", [get_abi("x86_64")], config, {}) is None


def test_pack_and_diagnostic_pragmas_read_as_gcc_writes_them(tmp_path, monkeypatch, run_cli):
    """#pragma pack, GCC diagnostic and GCC visibility are written as GCC
    writes them (not macro-expanded, blanks and comments as one space), in
    an included file and in skipped groups too, on every ABI; the layouts
    are those of the preprocessor road (pack(P) is ignored, as GCC
    ignores it: struct p stays packed to 2; GCC 12 gives 5, 10 and 6)."""
    need_all_compilers()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wire.h").write_text(
        "#pragma pack(push, 1)\nstruct hdr { char c; int len; };\n#pragma pack(pop)\n")
    (tmp_path / "m.h").write_text(
        "#define P 4\n#define pack nothing\n#define push 2\n"
        '#include "wire.h" // packed\n'
        "\t#  pragma   pack ( push , 2 ) /* two */\n"
        "struct two { char c; long l; };\n"
        "#pragma pack(P)\nstruct p { char c; int i; };\n"
        "# pragma pack()\n#pragma pack(pop)\n"
        '#pragma GCC diagnostic push\n#pragma GCC diagnostic ignored "-Wpadded"\n'
        "#pragma GCC visibility push(default)\n#pragma GCC visibility pop\n"
        "#if 0\n#pragma pack(8)\n#pragma GCC poison x\n#endif\n"
        "#pragma GCC diagnostic pop\n"
        "struct m { struct hdr h; struct two t; struct p p; };\n")
    abis = all_abis()
    assert _held_to_gcc("m.h", abis, PPConfig.make(), {}) == len(abis)
    outs = []
    for cpp in ("auto", "system"):
        code, out, _err = run_cli("show", "m.h", "--abi", "all", "--format", "json", "--cpp", cpp)
        assert code == 0
        outs.append(out)
    assert outs[0] == outs[1]
    assert '"abi": "x86_64", "kind": "struct", "name": "hdr", "size": 5' in outs[0]
    assert '"abi": "x86_64", "kind": "struct", "name": "two", "size": 10' in outs[0]
    assert '"abi": "x86_64", "kind": "struct", "name": "p", "size": 6' in outs[0]


@pytest.mark.parametrize("decl", ["typedef __vector int v4si;\nstruct s { char c; v4si v; };",
                                  "struct s { char c; vector int v; };"])
def test_altivec_vector_types_are_refused_where_gcc_makes_them(tmp_path, run_cli, decl):
    """On ppc64le GCC writes 'vector int' as an AltiVec attribute on int:
    a 16-byte vector (struct s: 32 bytes), never laid out as an int; on
    the other ABIs the same header is plain C (or fails as GCC does)."""
    need_compiler(get_abi("ppc64le"))
    path = tmp_path / "h.h"
    path.write_text(decl + "\n")
    code, out, err = run_cli("show", path, "--abi", "ppc64le", "--format", "json")
    assert code == 2 and "AltiVec vector types are not supported" in err, (out, err)
