"""Records laid out once for every ABI that agrees on what their layout
reads (the engine's pool) are the records each ABI lays out alone, and
GCC's."""

from __future__ import annotations

import json

import re

import pytest

import layoutcheck as lc
from layoutcheck.abi import all_abis, get_abi
from layoutcheck.engine import LayoutEngine
from layoutcheck.layouts import Layout
from layoutcheck.oracle.generate import generate

from .conftest import need_all_compilers

# ------------------------------------------------------------------ records
def _every_layout(prog, pooled: bool):
    out = {}
    for abi in prog.abis:
        tu = prog.unit(abi)
        eng = prog.engine(abi) if pooled else LayoutEngine(abi)
        for rec in tu.tagged_records():
            out[(abi.name, rec.tag)] = json.dumps(Layout(rec, eng).to_json())
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_records_shared_between_abis_are_the_records_laid_out_alone(seed):
    """Generated structs (bit-fields, packing, alignment, unions, enums):
    an engine that takes records from the pool gives, on each of the 18
    ABIs, what an engine of its own gives."""
    prog = lc.load(generate(seed, 12), abis=["all"], session=lc.Session(), rules=False)
    pooled = _every_layout(prog, True)
    alone = _every_layout(prog, False)
    assert pooled == alone
    shared = sum(prog.engine(abi).shared for abi in prog.abis)
    assert shared > 0


def test_a_record_is_shared_only_between_abis_that_agree_on_what_it_read():
    text = "struct bits { char c; int b : 3; };\nstruct p { void *a; char c; };\n"
    prog = lc.load(text, abis=["all"], session=lc.Session(), rules=False)
    for abi in prog.abis:
        prog.layout("bits", abi)
        prog.layout("p", abi)
    pool = prog.engine("x86_64")._pool
    rec = prog.unit("x86_64").find_record("bits")
    variants = pool[id(rec)]
    # m68k's bit-fields ignore their type's alignment: its own variant
    m68k = [facts for facts, info in variants if facts.get(("a", "pcc_bitfield_type_matters")) is False]
    assert len(m68k) == 1 and prog.layout("bits", "m68k").size == 2
    assert prog.layout("bits", "x86_64").size == 4
    for facts, _info in variants:
        # no record layout reads the ABI's name, nor size_t far from its limit
        assert ("a", "name") not in facts and ("a", "size_type") not in facts
    ptr = prog.unit("x86_64").find_record("p")
    assert len(pool[id(ptr)]) < len(prog.abis)


def test_the_pool_agrees_with_gcc_on_every_abi():
    need_all_compilers()
    from layoutcheck.oracle.verify import verify_program

    prog = lc.load(generate(7, 12), abis=["all"], session=lc.Session(), rules=False)
    report = verify_program(prog)
    assert not report.mismatches
    assert set(report.structs) == {a.name for a in all_abis()}
    assert sum(prog.engine(abi).shared for abi in prog.abis) > 0


def _result(eng, rec):
    try:
        return json.dumps(Layout(rec, eng).to_json())
    except lc.LayoutError as exc:
        return f"error: {exc}"


def test_a_record_laid_out_inside_an_enum_definition_is_not_shared():
    # S is defined in a sizeof inside enum E: laid out there, it reads X
    # with its definition-time type, which is the engine's state, no fact
    text = ("enum E { X = 0x80000000u, Z = -1, "
            "Y = sizeof(struct S { char c[(X - 0x80000001u) > 0 ? 1 : 2]; }) };\n"
            "struct T { char t[Y]; };\n")
    prog = lc.load(text, abis=["all"], session=lc.Session(), rules=False)
    recs = {r.tag: r for r in prog.unit("x86_64").tagged_records()}
    _result(prog.engine("x86_64"), recs["T"])
    for abi in prog.abis[1:]:
        assert _result(prog.engine(abi), recs["S"]) == _result(LayoutEngine(abi), recs["S"])


def test_one_engine_asked_from_several_threads_keeps_its_facts_apart():
    """Member lists made by four threads at once on one ABI (verify asks
    GCC and clang side by side): another ABI that takes them from the pool
    gets what it makes alone (the type names read char's signedness)."""
    import random
    import sys
    import threading

    text = "\n".join("struct s%d { %s };" % (i, " ".join(
        f"char (*p{j})[(char)-1 < 0 ? {j}+1 : {j}+2]; int a{j};" for j in range(20)))
        for i in range(120))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for trial in range(3):
            prog = lc.load(text, abis=["mipsel", "arm"], session=lc.Session(), rules=False)
            lays = prog.layouts(abis=["mipsel"])
            threads = [threading.Thread(target=lambda order: [lay.members for lay in order],
                                        args=(random.Random(k + 7 * trial).sample(lays, len(lays)),))
                       for k in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            alone = LayoutEngine(get_abi("arm"))
            for rec in prog.unit("arm").tagged_records():
                assert _result(prog.engine("arm"), rec) == _result(alone, rec), rec.tag
    finally:
        sys.setswitchinterval(interval)


@pytest.mark.parametrize("seed", [3, 4])
def test_a_json_line_made_from_a_shared_member_list_is_the_layouts_own(seed):
    """``Layout.json_line`` writes the member list's JSON once for the ABIs
    that share it; each line is ``json.dumps(to_json())``, byte for byte."""
    prog = lc.load(generate(seed, 12) + "\nstruct named { char *p; int x : 3; };\n",
                   abis=["all"], session=lc.Session(), rules=False)
    lines = 0
    for abi in prog.abis:
        for lay in prog.layouts(abis=[abi]):
            assert lay.json_line() == json.dumps(lay.to_json())
            lines += 1
    assert lines >= 18 * 12


def test_member_lists_name_each_abis_types_with_and_without_sharing():
    """A member's type is spelt for its own ABI (an array sized by
    sizeof(long)), whether the text is shared by several ABIs (the member
    list shared where the facts it read agree) or read for one ABI alone
    (each engine keeps the spellings it made); the JSON line is
    ``json.dumps(to_json())`` either way."""
    from layoutcheck.typenames import type_name

    text = ("typedef unsigned long ul; typedef char buf[sizeof(long) * 2];\n"
            "struct s { int x : 3; unsigned y : 9; char a[sizeof(long)]; ul u; ul v[2];\n"
            "  buf b; buf c[3]; __typeof__(sizeof(int)) n; struct { ul w; char d[sizeof(ul)]; } in;\n"
            "  union { short h; char e[sizeof(void *)]; }; const ul *const p; };\n")
    shared = lc.load(text, abis=["all"], session=lc.Session(), rules=False)
    alone = {a.name: lc.load(text, abis=[a.name], session=lc.Session(), rules=False) for a in shared.abis}
    for abi in shared.abis:
        long_size = abi.scalars["long"].size
        ptr_size = abi.scalars["pointer"].size
        for prog in (shared, alone[abi.name]):
            lay = prog.layout("s", abi.name)
            types = {m.path: m.type for m in lay.members}
            assert types["a"] == f"char[{long_size}]"
            assert types["in.d"] == f"char[{long_size}]"
            assert types["e"] == f"char[{ptr_size}]"
            assert types["b"] == "buf" and types["c"] == "buf[3]" and types["p"] == "const ul *const"
            for m in lay.members:
                assert m.type == type_name(m.field.member.type, prog.engine(abi.name)), m.path
            assert lay.json_line() == json.dumps(lay.to_json())


def test_a_type_name_cut_short_by_the_stack_is_not_kept():
    """An array's size that cannot be worked out because the caller's stack
    ran out is no '?' in the type's name: the error is raised, and the
    name asked for again later is the right one (engines keep the names
    they made)."""
    import sys

    text = "struct d0 { int x; };\n" + "".join(
        f"struct d{i} {{ struct d{i - 1} a; }};\n" for i in range(1, 31)) + \
        "struct s { char (*p)[sizeof(struct d30)]; };\n"
    prog = lc.load(text, abis=["x86_64"], session=lc.Session(), rules=False)
    lay = prog.layout("s")

    def deep(n):
        return deep(n - 1) if n else lay.json_line()

    with pytest.raises(RecursionError):
        deep(sys.getrecursionlimit() - 100)
    assert json.loads(prog.layout("s").json_line())["members"][0]["type"] == "char (*)[4]"


def test_a_layout_cut_short_by_the_stack_leaves_no_type_containing_itself():
    """A record whose layout ran out of stack (caught by a library caller)
    is laid out again when asked later: at whatever depth the stack runs
    out, nothing stays marked as under way, so a later sizeof of it is no
    "type contains itself" ('?' in a type name).  A chain of 230 structs,
    a struct sized by its end, and outer structs nesting it 50-75 deep:
    the stack runs out at every point of the work in turn."""
    n = 230
    head = ["struct d0 { int x; };"] + [f"struct d{i} {{ struct d{i - 1} a; }};" for i in range(1, n + 1)]
    head += [f"struct inner {{ char (*p)[sizeof(struct d{n})]; }};", "struct o0 { struct inner in; };"]
    wrong = []
    for k in range(50, 76):
        text = "\n".join(head + [f"struct o{i} {{ struct o{i - 1} a; }};" for i in range(1, k + 1)])
        prog = lc.load(text, abis=["all"], session=lc.Session(), rules=False)
        prog.unit("x86_64")
        try:
            prog.layout(f"o{k}", "x86_64").json_line()
        except (RecursionError, lc.LayoutError):
            pass
        line = json.loads(prog.layout("inner", "x86_64").json_line())
        if line["members"][0]["type"] != "char (*)[4]":
            wrong.append((k, line["members"][0]["type"]))
    assert not wrong


def test_two_threads_reading_one_text_at_once_go_on_with_one_unit(monkeypatch):
    """Two threads asking a Session for the same text at the same moment
    both read it; they go on with the same unit, and one engine is made
    for it (an engine left for the other unit would outlive it, its ids
    free to be taken by a later text's declarations)."""
    import threading

    from layoutcheck.cfront.preprocess import Preprocessed

    text = "enum e { A = 3, B }; struct s { char a[B]; int x; };\n"
    prog = lc.load(text, abis=["x86_64", "arm"], session=lc.Session(), rules=False)
    both_reading = threading.Barrier(2, timeout=30)
    parsed = Preprocessed.parsed

    def slow_parsed(self):
        both_reading.wait()
        return parsed(self)

    monkeypatch.setattr(Preprocessed, "parsed", slow_parsed)
    got: list = []
    threads = [threading.Thread(target=lambda: got.append((prog.unit("x86_64"), prog.engine("x86_64"))))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got[0][0] is got[1][0] and got[0][1] is got[1][1]
    assert len(prog.session._engines) == 1
    assert prog.layout("s", "x86_64").size == 8


def test_threads_laying_out_one_record_on_one_engine_see_no_cycle():
    """A type another thread is laying out is not a type containing
    itself: the check is made under the engine's lock."""
    import sys
    import threading

    text = "\n".join(f"struct r{i} {{ struct r{i - 1} *p; char c[{i + 1}]; long x; }};"
                     for i in range(1, 300))
    text = "struct r0 { int a; };\n" + text + "\nstruct all { " + " ".join(
        f"struct r{i} m{i};" for i in range(300)) + " };\n"
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _trial in range(3):
            prog = lc.load(text, abis=["x86_64", "arm"], session=lc.Session(), rules=False)
            rec = prog.unit("x86_64").find_record("all")
            errors: list = []
            for engine in (prog.engine("x86_64"), LayoutEngine(get_abi("x86_64"))):
                def work(eng=engine, rec=rec, errors=errors):
                    try:
                        eng.placed_record(rec)
                    except lc.LayoutError as exc:
                        errors.append(str(exc))
                threads = [threading.Thread(target=work) for _ in range(4)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            assert errors == []
    finally:
        sys.setswitchinterval(interval)


# ------------------------------------------------------------ declarations
def _dump(value, seen=None, mapping=None):
    """An AST as plain data, coordinates included (each file name as
    ``mapping`` says this text names it: a declaration shared from another
    text's parse), and which nodes are one node met twice (the Struct of
    'typedef struct s {...} S, *PS;')."""
    from pycparser import c_ast
    from pycparser.c_parser import Coord

    seen = {} if seen is None else seen
    if isinstance(value, c_ast.Node):
        if id(value) in seen:
            return ("same node as", seen[id(value)])
        seen[id(value)] = len(seen)
        return (type(value).__name__,) + tuple(
            (slot, _dump(getattr(value, slot, None), seen, mapping))
            for slot in type(value).__slots__ if slot != "__weakref__")
    if isinstance(value, Coord):
        return ("@", mapping[value.file] if mapping else value.file, value.line, value.column)
    if isinstance(value, (list, tuple)):
        return tuple(_dump(v, seen, mapping) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _dump(v, seen, mapping)) for k, v in value.items()))
    return value


def _dump_ext(ast):
    """The external declarations of a parse as plain data (``_dump``)."""
    maps = getattr(ast, "ext_maps", None) or [None] * len(ast.ext)
    seen: dict = {}
    return tuple(_dump(node, seen, mapping) for node, mapping in zip(ast.ext, maps, strict=True))


def _parses(texts, reuse: bool):
    """Each text parsed in turn: with ``reuse``, copying what the texts
    before it have; without, alone.  For each: its declarations as data,
    and what the builder asks of the deferred ones: which deferred
    declarations stand before each external declaration, and which
    typedef names a deferred one is parsed with (positions themselves
    count a declaration left untokenized as one token)."""
    import bisect

    from layoutcheck.cfront import parser

    parser._REUSE.clear()
    out = []
    for text, filename in texts:
        ast = parser.parse_c(text, filename, reuse=reuse)
        spans = [span.position for span in ast.deferred.spans]
        before = [bisect.bisect_right(spans, at) for at in ast.ext_positions]
        seen = [tuple(name for at, name in ast.typedef_log if at <= pos) for pos in spans]
        out.append((_dump_ext(ast), before, seen))
    parser._REUSE.clear()
    return out


def _texts(prog_list):
    return [(g.text, g.filename) for prog in prog_list for g in prog.groups]


def test_declarations_found_again_in_other_abis_texts_parse_as_fresh():
    """The UAPI headers as every ABI reads them (its own copy under
    /usr/<triplet>/include, its own asm/): each text parsed after the
    others, its declarations copied from theirs, is node for node and
    coordinate for coordinate the text parsed alone."""
    from .corpus import corpus_available, uapi_programs

    from .conftest import oracles_required

    if not corpus_available():
        if oracles_required():
            pytest.fail("linux-libc-dev and its -cross packages are not installed")
        pytest.skip("linux-libc-dev and its -cross packages are not installed")
    from layoutcheck.cfront import parser

    path = "/usr/include/linux/bpf.h"  # 7,000 lines, a third of it ABI-specific
    progs, failed = uapi_programs(path)
    assert not failed
    texts = _texts(progs)
    assert len(texts) >= 10
    kept = []
    real_take = parser._REUSE.take

    def counted(key, files, shared):
        nodes = real_take(key, files, shared)
        kept.append(nodes is not None)
        return nodes

    try:
        parser._REUSE.take = counted
        reused = _parses(texts, reuse=True)
    finally:
        parser._REUSE.take = real_take
    assert reused == _parses(texts, reuse=False)
    assert sum(kept) > 0.8 * len(kept)  # most were copies


def _model_dump(value, seen):
    """What a built translation unit holds, as plain data in a fixed order,
    every coordinate included (an object met again: its first index)."""
    from pycparser.c_parser import Coord

    if value is None or isinstance(value, (str, int, float, bool, bytes)):
        return value
    if isinstance(value, Coord):
        return ("@", value.file, value.line, value.column)
    if isinstance(value, (list, tuple)):
        return tuple(_model_dump(v, seen) for v in value)
    if isinstance(value, dict):
        return tuple((k, _model_dump(value[k], seen)) for k in sorted(value, key=str))
    if id(value) in seen:
        return ("again", seen[id(value)])
    seen[id(value)] = len(seen)
    names = [n for cls in type(value).__mro__ for n in getattr(cls, "__slots__", ())
             if n != "__weakref__"] + sorted(getattr(value, "__dict__", {}))
    return (type(value).__name__,) + tuple(
        (n, _model_dump(getattr(value, n, None), seen)) for n in dict.fromkeys(names))


def test_built_declarations_name_each_texts_own_files():
    """A declaration parsed in another ABI's text and shared, not copied:
    the builder reads its coordinates as this text names its files, so
    the declarations built from it (records, members, typedefs, enums,
    the expressions in them) are those of the text parsed alone,
    coordinate for coordinate."""
    from layoutcheck.cfront import parser
    from layoutcheck.cfront.builder import Builder

    from .conftest import oracles_required
    from .corpus import corpus_available, uapi_programs

    if not corpus_available():
        if oracles_required():
            pytest.fail("linux-libc-dev and its -cross packages are not installed")
        pytest.skip("linux-libc-dev and its -cross packages are not installed")
    progs, failed = uapi_programs("/usr/include/linux/bpf.h")
    assert not failed
    texts = _texts(progs)
    assert len({f for text, _ in texts for f in re.findall(r'^# \d+ "(/usr/[^/]+)/', text, re.M)}) > 1

    def built(reuse: bool):
        parser._REUSE.clear()
        out, shared = [], 0
        for text, filename in texts:
            ast = parser.parse_c(text, filename, reuse=reuse)
            shared += sum(m is not None for m in (getattr(ast, "ext_maps", None) or ()))
            out.append(_model_dump(Builder().build(ast), {}))
        parser._REUSE.clear()
        return out, shared

    (with_reuse, shared), (alone, _) = built(True), built(False)
    assert shared > 500  # declarations shared across files
    assert with_reuse == alone


def test_the_struct_page_texts_parse_as_fresh():
    """The cdefs for all 18 ABIs (two texts per file, the same file names):
    copies equal fresh parses."""
    import glob
    import os

    from .conftest import CDEFS

    progs = [lc.load(path, abis=["all"], session=lc.Session())
             for path in sorted(glob.glob(os.path.join(CDEFS, "page", "*.h")))]
    texts = _texts(progs)
    assert _parses(texts, reuse=True) == _parses(texts, reuse=False)


def test_a_declaration_is_copied_only_where_its_names_mean_the_same(tmp_path):
    """The same struct text after 'typedef int T' and after 'enum { T = 5 }':
    (T) + 1 is a cast of +1 in one (c[1]) and 5 + 1 in the other (c[6]),
    read in one process, each text after the other."""
    first = tmp_path / "a.h"
    second = tmp_path / "b.h"
    body = "struct s { char c[(T) + 1]; };\n" + _TWO_TEXTS
    first.write_text("typedef int T;\n" + body)
    second.write_text("enum { T = 5 };\n" + body)
    sizes = []
    for path in (first, second, first):
        prog = lc.load(str(path), abis=["x86_64", "i386"], session=lc.Session(), rules=False)
        assert len(prog.groups) == 2  # a text per word size: parsed with reuse
        sizes += [prog.layout("s", abi).size for abi in ("x86_64", "i386")]
    assert sizes == [1, 1, 6, 6, 1, 1]


def test_a_copied_declaration_names_its_own_file(tmp_path):
    """One header's bytes in two directories: the record found in the
    second copy is where the second copy has it."""
    for side in ("one", "two"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "h.h").write_text("struct t { int a; };\n\nstruct u { long b; };\n" + _TWO_TEXTS)
    where = []
    for side in ("one", "two"):
        prog = lc.load(str(tmp_path / side / "h.h"), abis=["x86_64", "i386"], session=lc.Session(),
                       rules=False)
        assert len(prog.groups) == 2
        for abi in ("x86_64", "i386"):
            rec = prog.unit(abi).find_record("u")
            where.append((rec.coord.file, rec.coord.line))
    assert where == [(str(tmp_path / "one" / "h.h"), 3)] * 2 + [(str(tmp_path / "two" / "h.h"), 3)] * 2


def test_a_lone_text_is_parsed_without_keeping_its_declarations(tmp_path):
    from layoutcheck.cfront import parser

    (tmp_path / "h.h").write_text("struct t { int a; };\n")
    parser._REUSE.clear()
    prog = lc.load(str(tmp_path / "h.h"), abis=["x86_64"], session=lc.Session(), rules=False)
    assert prog.layout("t").size == 4
    assert not parser._REUSE._kept


# A text for each word size: a header with this is two texts for
# x86_64 and i386, so that their Program parses with reuse.
_TWO_TEXTS = "#ifdef __LP64__\nstruct only64 { int x; };\n#endif\n"


@pytest.mark.parametrize("bad", [
    "struct s { int a int b; } ;\n",             # a member with no ';'
    "struct s { int a; } x y;\n",                # two declarators with no ','
    "enum e { A = };\n",                         # no value
    "struct s { int a : ; };\n",                 # no bit-field width
    "struct s { _Decimal32 d; };\n",             # refused while tokenizing
    # a syntax error, then a word refused while tokenizing: the text read
    # in a row meets the later one first (every token is read first)
    "struct s { int a int b; } ;\nstruct d { _Decimal32 x; };\n",
    # the same with the syntax error in a function definition's head
    "struct s { int a int b; } f(void) { return 0; }\nstruct d { _Decimal32 x; };\n",
    # a refused word, then a body that does not end
    "struct d { _Decimal32 x; };\nstatic inline int f(void) {\n  return 8;\n",
    # a refused word, then #pragma pack in a body
    "struct d { _Decimal32 x; };\nstatic inline int f(void) {\n  _Pragma(\"pack(1)\")\n  return 0;\n}\n",
])
def test_a_text_with_an_error_says_what_it_says_without_reuse(bad):
    """A text read with reuse that is not read declaration by declaration
    (an error) is read again in a row: the same first error, at the same
    place, as a text read without reuse."""
    from layoutcheck.cfront import parser
    from layoutcheck.errors import LayoutError

    good = '# 1 "h.h"\nstruct before { int a; };\n'
    text = good + bad + "struct after { long b; };\n"
    parser._REUSE.clear()
    parser.parse_c(good + "struct after { long b; };\n", "h.h", reuse=True)  # kept for the next
    errors = []
    for reuse in (True, False):
        with pytest.raises(LayoutError) as exc:
            parser.parse_c(text, "h.h", reuse=reuse)
        errors.append(str(exc.value))
    parser._REUSE.clear()
    assert errors[0] == errors[1]
    assert errors[0].startswith("h.h:")


def test_one_node_under_two_declarators_is_one_node_in_the_copy(tmp_path):
    """'typedef struct s {...} S, *PS;': both declarators hold the one
    Struct node; the copy must too, or the struct is defined twice."""
    from layoutcheck.cfront import parser

    text = '# 1 "h.h"\ntypedef struct s { int a; long b; } S, *PS;\ntypedef enum { A, B } E1, *PE1;\n'
    parser._REUSE.clear()
    first = parser.parse_c(text, "h.h", reuse=True)
    copy = parser.parse_c(text, "h.h", reuse=True)
    parser._REUSE.clear()
    assert copy.ext[0].type.type is copy.ext[1].type.type.type
    assert _dump_ext(copy) == _dump_ext(first) == _dump_ext(parser.parse_c(text, "h.h"))
    path = tmp_path / "h.h"
    path.write_text("typedef struct s { int a; long b; } S, *PS;\n"
                    "typedef struct { int a; } T1, T2;\n"
                    "struct u { char c[__builtin_types_compatible_p(T1, T2) ? 1 : 2]; };\n" + _TWO_TEXTS)
    prog = lc.load(str(path), abis=["x86_64", "i386"], session=lc.Session(), rules=False)
    assert [prog.layout("s", abi).size for abi in ("x86_64", "i386")] == [16, 8]
    assert [prog.layout("u", abi).size for abi in ("x86_64", "i386")] == [1, 1]


def test_a_hash_inside_a_line_is_refused_as_without_reuse():
    """A '#' after other text on its line (a macro wrote it): the same
    error, at the same place, with and without reuse."""
    from layoutcheck.cfront import parser
    from layoutcheck.errors import LayoutError

    text = 'struct a { int x; }; # 40 "other.h"\nstruct b { int y; };\nstruct c { int z; };\n'
    errors = []
    for reuse in (True, True, False):
        with pytest.raises(LayoutError) as exc:
            parser.parse_c(text, "h.h", reuse=reuse)
        errors.append(str(exc.value))
    parser._REUSE.clear()
    assert errors[0] == errors[1] == errors[2] == "h.h:1:22: stray '#' in program (GCC refuses it too)"


def test_threads_parsing_with_reuse_while_the_table_is_emptied(monkeypatch):
    """A table another thread empties (past its limit) between two looks
    is no error: one look per declaration."""
    import sys
    import threading

    from layoutcheck.cfront import parser

    monkeypatch.setattr(parser._REUSE, "LIMIT", 2000)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    texts = ['# 1 "h%d.h"\n' % k + "".join("typedef int T%d;\nstruct s%d { T%d a; long b; };\n" % (i, i, i)
                                         for i in range(60)) for k in range(2)]
    expected = [_dump_ext(parser.parse_c(t, "h.h")) for t in texts]
    failures = []

    def work(k):
        try:
            for _ in range(20):
                if _dump_ext(parser.parse_c(texts[k], "h.h", reuse=True)) != expected[k]:
                    failures.append("differs")
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            failures.append(repr(exc))

    threads = [threading.Thread(target=work, args=(i % 2,)) for i in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
        parser._REUSE.clear()
    assert failures == []


def test_a_library_caller_gets_back_the_texts_it_is_done_with():
    """A parse leaves what it made frozen, out of the collector's way; in a
    library caller's process, which lives on, the frozen objects go back to
    the collector once the process has grown enough, so that the texts it
    dropped (their declarations hold cycles) are collected, not kept for
    good: in a fresh process, 48 texts loaded and dropped leave it about as
    big as a few of them do.  (A fresh process: how much it may grow
    between two collections depends on how much it holds.)"""
    import os
    import subprocess
    import sys

    script = """
import sys
import layoutcheck as lc
from layoutcheck.cfront import parser
from layoutcheck.oracle.generate import generate
parser._RECLAIM_BLOCKS = 100_000
growth = []
for seed in range(48):
    before = sys.getallocatedblocks()
    prog = lc.load(generate(seed, 40), abis=["x86_64"], session=lc.Session(), rules=False)
    for lay in prog.layouts():
        lay.json_line()
    del prog, lay
    growth.append(sys.getallocatedblocks() - before)
print(sum(growth), max(growth))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env=dict(os.environ, LAYOUTCHECK_CACHE_DIR="off"))
    held, one = map(int, out.stdout.split())
    assert held < 5 * one + 100_000, (held, one)  # 23 K blocks here; 448 K kept frozen


def test_a_declaration_met_twice_in_one_text_is_two_definitions():
    """A header read twice with no guard defines its struct twice, which
    GCC refuses: the text that meets the kept declaration a second time
    gets a copy, not the same nodes again (the builder knows a definition
    by its node, and would take the second for the first)."""
    from layoutcheck.cfront import parser
    from layoutcheck.cfront.builder import Builder
    from layoutcheck.errors import LayoutError

    once = '# 1 "a.h"\nstruct s { int a; };\n'
    twice = once + '# 1 "a.h"\nstruct s { int a; };\n'
    parser._REUSE.clear()
    try:
        for texts in ([once, twice], [twice], [twice, twice]):
            parser._REUSE.clear()
            for text in texts:
                ast = parser.parse_c(text, "a.h", reuse=True)
                if text is twice:
                    with pytest.raises(LayoutError, match="redefinition of 'struct s'"):
                        Builder().build(ast)
                else:
                    Builder().build(ast)
    finally:
        parser._REUSE.clear()
