"""The front end on what kernel headers contain (issue 10).

Each construct the kernel uses outside function bodies is read here from a
small snippet and, where a compiler exists (conftest.need_compiler), laid
out and compared with GCC: function bodies skipped unread, ``typeof``,
``__builtin_types_compatible_p``, ``__builtin_offsetof``,
``__builtin_va_list``, asm labels, x86 address spaces, attributes in every
position, and ``_Static_assert`` with ``sizeof``, ``offsetof``,
``__same_type`` and ``__must_be_array``.  What cannot be read is refused at
``file:line:column`` of the original source, as the line markers name it.

The last test has a Debian kernel tree (``linux-headers-*-amd64``)
preprocess six core headers as kbuild does, lays out every struct and union
of the result and compares them with the tree's own compiler.
"""

from __future__ import annotations

import glob
import itertools
import os
import re
import shlex
import shutil
import subprocess

import pytest

import layoutcheck as lc
from layoutcheck.abi import all_abis, get_abi
from layoutcheck.consteval import NotEvaluated
from layoutcheck.errors import LayoutError
from layoutcheck.oracle.gcc import OracleLayout, OracleMember, _image_to_member, ask_gcc, build_source, compare
from layoutcheck.oracle.objfile import ObjectFile
from layoutcheck.rules import make_config
from layoutcheck.rules.checks import check_static_asserts

from .conftest import need_compiler, oracles_required, record

ABIS4 = ["x86_64", "i386", "aarch64", "arm"]


def load(text, abi="x86_64", cpp="none"):
    return lc.load(text, abis=[abi], cpp=cpp, rules=False)


def equal_gcc(text, abi):
    """Every struct of ``text`` laid out for ``abi`` equals what that ABI's
    GCC makes of the text; returns the Program."""
    need_compiler(get_abi(abi))
    prog = load(text, abi)
    lays = prog.layouts()
    assert lays
    bad = _compared(lays, ask_gcc(get_abi(abi), prog.oracle_source(), lays),
                    "kernel front end snippets vs GCC")
    assert not bad, "\n".join(map(str, bad))
    return prog


def _compared(lays, answers, label):
    """Each layout against its compiler answer, counted under ``label``:
    the mismatches."""
    items, bad = 0, []
    for lay, orc in zip(lays, answers, strict=True):
        n, mismatches = compare(lay, orc)
        items += n
        bad += mismatches
    record(label, len(lays), items)
    return bad


def gcc_errors(abi, text, tmp_path):
    """Compile ``text`` with the ABI's GCC: its errors as (line, message)."""
    need_compiler(get_abi(abi))
    src = tmp_path / "t.c"
    src.write_text(text)
    proc = subprocess.run([*get_abi(abi).oracle, "-c", "-std=gnu11", "-w", "-o",
                           str(tmp_path / "t.o"), str(src)], capture_output=True, text=True)
    return [(int(line), msg) for line, msg in
            re.findall(r"^[^:\n]*:(\d+):\d+: error: (.*)$", proc.stderr, re.M)]


def refused(text, abi="x86_64"):
    with pytest.raises(LayoutError) as info:
        load(text, abi).layouts()
    return info.value


# ------------------------------------------------------------ function bodies
BODIES = r'''
# 1 "bodies.h"
struct before { char c; long l; };
static inline __attribute__((always_inline)) int busy(int x)
{
	__auto_type y = ({ int t = x; t * 2; });
	const char *open = "{{{ \" }";
	char close = '}', quote = '\'';
	/* a comment with { in it */
	if (x) {
		asm goto("" :::: out);
	}
	{ struct local { int a[({ 3; })]; } l; (void)l; }
# 40 "elsewhere.h"
	int nested(int z) { return z + 1; }
#pragma GCC diagnostic push
	return nested(y) + open[0] + close + quote;
out:
	return 0;
}
struct after { char c; struct before b; short s; };
'''


@pytest.mark.oracle
@pytest.mark.parametrize("abi", ABIS4)
def test_function_bodies_are_skipped_unread(abi):
    prog = equal_gcc(BODIES, abi)
    assert [r.tag for r in prog.records(abi)] == ["before", "after"]
    assert prog.unit(abi).records[-1].coord.line == 46  # line markers inside a body count


def test_an_error_after_a_body_is_where_the_body_markers_say():
    text = BODIES + "struct bad { int x[1 + ]; };\n"
    err = refused(text)
    assert err.where == "elsewhere.h:47:24", str(err)


def test_unterminated_body_is_refused_at_its_brace():
    err = refused('# 3 "u.h"\nstatic int f(void)\n{\n\tif (1) {\n')
    assert err.where == "u.h:4:1" and "unterminated function body" in err.message


def test_pragma_pack_inside_a_body_is_refused():
    # Its state would outlive the body and change the structs after it.
    err = refused('# 1 "p.h"\nvoid f(void)\n{\n#pragma pack(1)\n}\nstruct s { char c; int i; };\n')
    assert err.where == "p.h:3:1" and "#pragma pack" in err.message


@pytest.mark.parametrize("text, where, message", [
    # statement expressions exist only inside a function (GCC says so too)
    ('# 5 "g.h"\nint g = ({ 1; });\n', "g.h:5:9", "braced-group within expression"),
    ('# 5 "g.h"\nstruct s { int a[({ 2; })]; };\n', "g.h:5:18", "braced-group within expression"),
    ('# 5 "g.h"\ntypeof(({ 1; })) y;\n', "g.h:5:8", "braced-group within expression"),
    # GCC infers a file-scope __auto_type; layoutcheck does not (read when
    # a layout names the variable)
    ('# 5 "g.h"\n__auto_type x = 1;\nstruct s { typeof(x) a; };\n', "g.h:5:1",
     "__auto_type outside a function body"),
])
def test_statement_expressions_and_auto_type_outside_bodies_are_refused(text, where, message):
    err = refused(text)
    assert err.where == where and message in err.message, str(err)


# ------------------------------------------- declarations read on demand
# Declarations of functions and variables (prototypes, externs, function
# heads) cannot change a layout; they are parsed only when an expression of
# a layout names what they declare.
DEFERRED = r'''
# 1 "d.h"
extern int tab[];
int (*pick(int t))(void);
typedef long t;
static inline int twice(int x)
{
	return x * 2;
}
extern int tab[12];
struct uses {
  char c;
  char by_size[sizeof(tab)];
  typeof(twice(1)) r;
  typeof(&pick) p;
  t after_a_parameter_of_that_name;
};
'''


@pytest.mark.oracle
@pytest.mark.parametrize("abi", ["x86_64", "i386"])
def test_deferred_declarations_are_read_when_a_layout_names_them(abi):
    # tab's two declarations make one type (int[12]); pick's parameter is
    # named like the typedef that follows it.
    prog = equal_gcc(DEFERRED, abi)
    assert prog.layout("uses", abi).member("by_size").size == 48


def test_declarations_no_layout_names_are_not_read():
    text = '# 3 "n.h"\nint broken(int x +);\nasm volatile("");\nstruct s { int a; };\n'
    assert [lay.size for lay in load(text).layouts()] == [4]
    err = refused(text + "struct u { typeof(broken) *p; };\n")
    assert err.where == "n.h:3:18", str(err)


def test_a_declaration_after_its_use_is_not_brought_forward():
    # GCC: 'x' undeclared; a later declaration does not count.
    err = refused('# 4 "o.h"\nstruct s { char c[sizeof(x)]; };\nextern int x[3];\n')
    assert err.where == "o.h:4:26" and "undeclared" in err.message, str(err)


def _pycparser_tokens(text, filename="<t>"):
    """pycparser's own lexer on the whole text, with the parser's filter."""
    from pycparser.c_lexer import CLexer

    from layoutcheck.cfront.scan import Tokenizer

    def error(msg, line, column):
        raise AssertionError(f"pycparser: {msg} at {line}:{column}")

    lex = CLexer(error)
    lex.input(text, filename)
    out = []
    while (tok := lex.token()) is not None:
        if tok.type == "ID":
            tok = Tokenizer._identifier(tok.value, tok.lineno, tok.column, tok.filename)
            if tok is None:
                continue
        out.append((tok.type, tok.value, tok.lineno, tok.column, tok.filename))
    return out


def _scan_tokens(text, filename="<t>"):
    """layoutcheck's tokenizer on the whole text, as _pycparser_tokens."""
    from layoutcheck.cfront.scan import Tokenizer, split

    parts, _ = split(text)
    tk = Tokenizer(text, filename, parts.markers)
    out = []
    tk.tokens(0, len(text), out)
    return [(t.type, t.value, t.lineno, t.column, t.filename) for t in out]


TOKENS = r'''# 1 "tok.h"
int a = 0x1fUL + 017 + 0b101 + 1e3 + .5f + 0x1p-3 + 'x' + L'y' + u'z';
const char *s = "a{b}\"c" L"w" u8"u" U"U";
int b[[gnu::unused]] ;
#pragma pack(push, 2)
# 40 "other.h" 1
x ... y->z <<= 1 >>= 2 %: <: :> <% %>
#pragma GCC diagnostic ignored "-Wx"
	last;
'''


def test_tokenizer_equals_pycparsers_lexer_on_every_kind_of_token():
    assert _scan_tokens(TOKENS) == _pycparser_tokens(TOKENS)


@pytest.mark.parametrize("line", ["x ## y", "x # y", ' # 40 "other.h"', " #pragma pack(1)"])
def test_a_hash_that_does_not_start_its_line_is_stray(line):
    """pycparser's lexer takes a '#' anywhere for a token, a line marker or
    a pragma; GCC writes directives at the start of their line, and any
    other '#' came from a macro: refused where it stands."""
    from layoutcheck.errors import LayoutError

    with pytest.raises(LayoutError, match=r"^t.h:1:\d+: stray '#' in program"):
        _scan_tokens('# 1 "t.h"\nint a;\n' .replace("int a;", line) + "int b;\n")


def _scanned_key(scanned):
    tokens = [(t.type, t.value, t.lineno, t.column, t.filename) for t in scanned.tokens]
    spans = [(sp.item.start, sp.item.end, sp.item.body, sp.state, sp.position)
             for sp in scanned.deferred.spans]
    return tokens, spans, scanned.end


@pytest.mark.parametrize("text", [BODIES, DEFERRED, TOKENS, '# 1 "c.h"\nint a; /* { ; */ int b;\n'])
def test_reading_the_text_as_it_comes_gives_what_reading_it_whole_gives(text):
    # The preprocessor's output is read while it is written: each feed is a
    # longer prefix, cut anywhere (in a body, a comment, a line).
    from layoutcheck.cfront.scan import Scanner, scan

    whole = _scanned_key(scan(text, "<t>"))
    for step in (1, 7, 64):
        scanner = Scanner("<t>")
        for cut in range(0, len(text), step):
            scanner.feed(text[:cut])
        assert _scanned_key(scanner.finish(text)) == whole, step


# Stretches between line markers that start and end in every state the
# splitter can be in there: at rest, inside a struct, a body, a comment,
# a declaration with no stop yet, after an __attribute__, with '#pragma
# pack' in a body.
STRETCHES = [
    'struct a { int x; };\ntypedef struct a a_t;\n',
    'struct spans {\n  int x;\n',
    '  int y;\n};\nint f(void);\n',
    'static inline int g(int v)\n{\n#pragma pack(2)\n  return v;\n',
    '}\nextern int tab[];\n',
    'int h(void) /* a comment { that goes on\n',
    ' past a marker } */;\nunsigned long',
    '\n pending;\nstruct __attribute__\n',
    '((packed)) p { char c; int i; };\nenum e { E0, E1 = 4 };\n',
    'static int k(void) { return 0; }\n#pragma pack(push, 1)\nstruct q { char c; long l; };\n',
    'int m;\n#line 30 "z.h"\nstruct r { short s; };\n',
    'static int n(void)\n{\n#pragma pack(4)\n  return 1;\n}\n',
    # heads the two readings of a declaration must agree on, cut at a marker:
    # brackets that cross, a stop word inside a longer name ('$' is a letter)
    'int f ] [ (void) {\n', '}\nint $typedef(void) {\n', '}\nint g ) (a) ( (b) {\n', '}\n',
]


def _marked(stretches, lead, prefix):
    return lead + "".join(f'# {n + 1} "{prefix}/s{n}.h" 1\n{body}' for n, body in enumerate(stretches))


def _split_key(splitter, items):
    return ([(i.kind, i.start, i.end, i.body) for i in items], list(splitter.markers),
            list(splitter.packs), splitter.unterminated_body, splitter.done)


def test_a_stretch_split_before_is_taken_as_it_was_split(monkeypatch):
    """The text between two line markers, split once, is not read again in
    another text (another ABI's copy of the same headers): what the
    splitter found there is shifted to where it stands.  Taken or not, the
    result is that of reading every character."""
    from layoutcheck.cfront import scan

    taken = []

    class Counting(dict):
        def get(self, key, default=None):
            found = super().get(key, default)
            if found is not None:
                taken.append(key)
            return found

    monkeypatch.setattr(scan, "_SEGMENTS", Counting())
    texts = [
        _marked(STRETCHES, '# 1 "first.h"\n', "/usr/include"),
        # the same stretches after other text, in other files
        _marked(STRETCHES, '# 1 "second.h"\nstruct lead { int a; };\n\n', "/usr/other-linux-gnu/include"),
        # and in another order: each starts in another state
        _marked(STRETCHES[::-1], '# 1 "third.h"\n', "/x"),
        _marked(STRETCHES[1:] + STRETCHES[:1], '# 7 "fourth.h"\nint lead;\n', "/y"),
    ]
    for text in texts:
        memo = scan.Splitter(memo=True)
        got = _split_key(memo, memo.run(text, len(text), True))
        plain = scan.Splitter()
        assert got == _split_key(plain, plain._run(text, len(text), True))
        # as the preprocessor writes it: a line at a time
        fed = scan.Splitter(memo=True)
        items = []
        for cut in [m.end() for m in re.finditer("\n", text)]:
            items += fed.run(text, cut, False)
        items += fed.run(text, len(text), True)
        assert _split_key(fed, items) == got
    assert len(set(taken)) >= 5  # stretches at rest in several texts were taken
    # the parser's scan of texts read with others (lazy) takes them too
    # (a '#pragma pack' in a body is refused there)
    taken.clear()
    readable = [body for body in STRETCHES if "{\n#pragma pack" not in body]
    for prefix in ("/a", "/b"):
        scan.scan(_marked(readable, '# 1 "t.h"\n', prefix), "<t>", lazy=True)
    assert taken


# ------------------------------------------------------------------- typeof
TYPEOF = '''
extern int arr[10];
extern long lv;
extern const char *cp;
extern struct big { int a; char b[3]; } bigs[4];
int fn(int);
extern float fv;
extern double dv;
typedef __typeof__(sizeof(int)) my_size_t;
struct t1 {
  char c;
  __typeof__(arr) a;
  typeof(lv + 1) b;
  typeof(fv + 1) f;
  typeof(fv + dv) d;
  typeof(1 ? lv : 2) e;
  typeof(arr + 1) p;
  typeof(&arr) pa;
  typeof(cp - cp) diff;
  typeof(*cp) ch;
  typeof(bigs[1].b) bb;
  typeof(((struct big *)0)->a) ma;
  typeof(fn(1)) r;
  typeof(&fn) fp;
  typeof((short)1 + (char)2) promoted;
  my_size_t sz;
  typeof(__builtin_expect(1, 1)) ex;
  typeof(__builtin_choose_expr(1, (char)1, 2L)) ch2;
  typeof(0 ? cp : 0) cp2;
  __typeof__(int __attribute__((aligned(8)))) aligned_in_type_name;
  typeof(struct big) whole;
};
'''


@pytest.mark.oracle
@pytest.mark.parametrize("abi", ABIS4 + ["ppc", "m68k"])
def test_typeof_of_types_and_expressions_equals_gcc(abi):
    prog = equal_gcc(TYPEOF, abi)
    types = {m.path: m.type for m in prog.layout("t1", abi)}
    assert types["a"] == "int[10]" and types["fp"] == "int (*)(int)" and types["ch"] == "const char"


RVALUES = """
typedef int A __attribute__((aligned(8)));
typedef const int cint;
extern const A ca;
extern int *const cp;
extern cint ci;
struct r {
  char c;
  typeof((_Atomic long long)1) cast_drops_atomic;
  typeof((A)1) cast_drops_aligned;
  typeof((0, ca)) comma_keeps_aligned;
  typeof(cp + 1) pointer_arith;
  typeof(-ci) negated;
  typeof(ca) lvalue_keeps_all;
  typeof(1 ? ci : 2) conditional;
};
"""


@pytest.mark.oracle
@pytest.mark.parametrize("abi", ["i386", "x86_64", "arm"])
def test_typeof_of_rvalues_drops_what_gcc_drops(abi):
    """A cast gives the main variant; an operand's value loses its
    qualifiers but keeps an alignment variant (i386 shows both)."""
    equal_gcc(RVALUES, abi)


def test_typeof_arithmetic_on_an_aligned_type_is_refused():
    # GCC's usual arithmetic conversions keep the variant in some cases only
    err = refused("typedef int A __attribute__((aligned(8)));\nextern A x;\n"
                  "struct s { char c; typeof(x + 1) y; };\n", "i386")
    assert err.where == "<input>:3:27" and "aligned attribute" in err.message


def test_typeof_needs_a_declared_name():
    err = refused('# 2 "t.h"\nstruct s { typeof(nowhere) x; };\n')
    assert err.where == "t.h:2:19" and "undeclared" in err.message


# ---------------------------------------------- __builtin_types_compatible_p
COMPAT_PRELUDE = """
enum e_small { ES_A, ES_B };
enum e_neg { EN_A = -1, EN_B };
enum __attribute__((packed)) e_packed { EP_A };
enum e_big { EB_A = 0x100000000ULL };
struct s; union u { int i; };
typedef int myint;
typedef int aligned_int __attribute__((aligned(8)));
typedef unsigned int DI __attribute__((mode(DI)));
typedef int SI __attribute__((mode(SI)));
typedef char QI __attribute__((mode(QI)));
typedef const int cint;
int f1(int, char *);
int f2(int a, char *b);
int f3(const int, char *const);
int f4(int, char []);
long f5(int, char *);
int f6(int, ...);
int f7();
int f8(char);
int f9(float);
int f10(void);
int f11(enum e_packed);
extern int arr3[3];
extern int arrn[];
"""
COMPAT_TYPES = [
    "int", "unsigned int", "signed", "long", "long long", "unsigned long", "unsigned long long",
    "char", "signed char", "unsigned char", "short", "_Bool", "float", "double", "long double",
    "_Float32", "_Float64", "enum e_small", "enum e_neg", "enum e_packed", "enum e_big",
    "struct s", "union u", "myint", "aligned_int", "DI", "SI", "QI", "cint", "const int",
    "volatile int", "_Atomic int", "int *", "const int *", "int *const", "myint *", "void *",
    "void **", "char *", "signed char *", "struct s *", "void", "int [3]", "int []", "int [4]",
    "const int [3]", "int [3][2]", "int (*)[3]", "int (*)[]", "typeof(arr3)", "typeof(arrn)",
    "typeof(f1)", "typeof(f2)", "typeof(f3)", "typeof(f4)", "typeof(f5)", "typeof(f6)",
    "typeof(f7)", "typeof(f8)", "typeof(f9)", "typeof(f10)", "typeof(f11)",
    "int (*)(int, char *)", "int (int)", "__builtin_va_list", "__typeof__(1L)",
    "__typeof__(1 ? 1 : 1L)", "__int128", "unsigned __int128",
]


@pytest.mark.oracle
@pytest.mark.parametrize("abi", ABIS4 + ["ppc64", "mips", "s390x"])
def test_types_compatible_p_equals_gcc(abi, tmp_path):
    """Every pair of a table of types, answered by the evaluator and by
    GCC; where the evaluator declines it must say why, never guess."""
    abi_obj = get_abi(abi)
    need_compiler(abi_obj)
    types = [t for t in COMPAT_TYPES if abi_obj.bits == 64 or "__int128" not in t]
    pairs = list(itertools.combinations_with_replacement(types, 2))
    calls = [f"__builtin_types_compatible_p({a}, {b})" for a, b in pairs]
    prog = load(COMPAT_PRELUDE + "".join(f"_Static_assert({c} || 1, \"\");\n" for c in calls), abi)
    ev = prog.engine(abi).ev
    ours = []
    for sa in prog.unit(abi).static_asserts:
        try:
            ours.append(ev.integer(sa.expr.left))
        except NotEvaluated as exc:
            ours.append(exc)
    src = tmp_path / "c.c"
    src.write_text(COMPAT_PRELUDE + "const unsigned long long r[] = {" + ",".join(calls) + "};\n")
    subprocess.run([*abi_obj.oracle, "-c", "-std=gnu11", "-w", "-o", str(tmp_path / "c.o"), str(src)],
                   check=True, capture_output=True)
    theirs = ObjectFile.from_path(str(tmp_path / "c.o")).u64_array("r")
    declined = [(a, b) for (a, b), x in zip(pairs, ours, strict=True) if isinstance(x, NotEvaluated)]
    wrong = [(a, b, x, y) for (a, b), x, y in zip(pairs, ours, theirs, strict=True)
             if not isinstance(x, NotEvaluated) and x != y]
    record("__builtin_types_compatible_p vs GCC", 0, len(pairs) - len(declined))
    assert not wrong
    # __builtin_va_list is char * on i386, void * on mips, a struct on others
    assert all("__builtin_va_list" in a + b for a, b in declined), declined


# ----------------------------------------------------------- static asserts
ASSERTS = '''# 1 "asserts.h"
extern int counter;
extern unsigned long bits[4];
extern unsigned long *bitp;
struct folio_like { unsigned long flags; struct { void *next, *prev; } lru; long tail[]; };
struct page_like {
	unsigned long flags;
	_Static_assert(sizeof(long) >= 4, "inside a struct");
	union { struct { void *next, *prev; } lru; long pad[2]; };
};
#define SAME(a, b) __builtin_types_compatible_p(typeof(a), typeof(b))
#define ZERO(e) ((int)(sizeof(struct { int:(-!!(e)); })))
#define MUST_BE_ARRAY(a) ZERO(SAME((a), &(a)[0]))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]) + MUST_BE_ARRAY(a))
_Static_assert(__builtin_offsetof(struct page_like, lru) == __builtin_offsetof(struct folio_like, lru), "offsetof");
_Static_assert(sizeof(struct page_like) == 3 * sizeof(long), "sizeof");
_Static_assert(ARRAY_SIZE(bits) == 4, "ARRAY_SIZE");
_Static_assert(SAME(bits[0], unsigned long) && !SAME(bits, bitp), "__same_type");
_Static_assert(SAME(&bits[0], bitp), "__same_type of an address");
_Static_assert((__builtin_constant_p(64) ? 63 - __builtin_clzll(64) : -1) == 6, "ilog2");
_Static_assert(__builtin_choose_expr(sizeof(long) == 8, 8, 4) == sizeof(long), "choose_expr");
static_assert(__builtin_offsetof(struct folio_like, tail[2]) == 5 * sizeof(long), "static_assert");
'''
NOT_EVALUATED = '''
_Static_assert(counter == 0, "the program's value");
_Static_assert(__builtin_clz(0) == 32, "the target's choice");
'''


@pytest.mark.parametrize("abi", ["x86_64", "i386", "aarch64", "arm", "ppc", "m68k"])
def test_static_asserts_with_sizeof_offsetof_same_type_and_must_be_array(abi, tmp_path):
    prog = load(ASSERTS + NOT_EVALUATED, abi, cpp="auto")  # the macros
    results = check_static_asserts("asserts.h", prog, get_abi(abi), make_config([]))
    assert [r.status for r in results] == ["pass"] * 9 + ["not-applied"] * 2
    for r in results[-2:]:
        # not evaluated, with the location of the assert and of the culprit
        assert r.cause == "not-evaluated" and not r.passed
        assert re.search(r"\(asserts\.h:2[34]:1\) not evaluated: asserts\.h:2[34]:16: ", r.message)
    if shutil.which(get_abi(abi).oracle[0]) or oracles_required():
        # GCC agrees that they hold (static_assert is C23's spelling)
        text = "#define static_assert _Static_assert\n" + ASSERTS
        assert gcc_errors(abi, text, tmp_path) == []


INITIALIZED = """# 1 "init.h"
extern int a[];
int a[] = {1, 2, 3};
static const char name[] = "hello";
static const char *names[] = { "a", "b" };
extern long b[];
long b[4];
int m2[][2] = {{1, 2}, {3, 4}, {5}};
const char rows[][4] = {"ab", "cd", "ef"};
struct pt { int x, y; } pts[] = {{1, 2}, {3, 4}};
int c[] = { [5] = 1 };
int m[][2] = {1, 2, 3, 4};
_Static_assert(sizeof(a) == 3 * sizeof(int), "a");
_Static_assert(sizeof(name) == 6, "name");
_Static_assert(sizeof(names) / sizeof(names[0]) == 2, "names");
_Static_assert(sizeof(b) == 4 * sizeof(long), "b");
_Static_assert(sizeof(m2) == 6 * sizeof(int), "m2");
_Static_assert(sizeof(rows) == 12, "rows");
_Static_assert(sizeof(pts) == 2 * sizeof(struct pt), "pts");
_Static_assert(sizeof(c) == 6 * sizeof(int), "designated");
_Static_assert(sizeof(m) == 4 * sizeof(int), "braces elided");
"""


def test_arrays_sized_by_their_initializers(tmp_path):
    prog = load(INITIALIZED, "i386")
    results = check_static_asserts("init.h", prog, get_abi("i386"), make_config([]))
    assert [r.status for r in results] == ["pass"] * 7 + ["not-applied"] * 2
    assert "init.h:19:23: the type of 'c': the size its initializer gives it" in results[-2].message
    if shutil.which("gcc") or oracles_required():
        assert gcc_errors("i386", INITIALIZED, tmp_path) == []


def test_a_false_static_assert_fails_and_is_never_passed():
    prog = load(ASSERTS + '_Static_assert(sizeof(struct page_like) == 1, "too small");\n', cpp="auto")
    results = check_static_asserts("asserts.h", prog, get_abi("x86_64"), make_config([]))
    assert results[-1].status == "fail" and "too small" in results[-1].message


# ---------------------------------------------------- va_list, asm, spaces
VA_LIST = '''
typedef __builtin_va_list va_list;
struct v { char c; va_list ap; int tail; };
struct w { char c; __builtin_va_list aps[2]; };
struct x { va_list *p; char c; __typeof__(__builtin_va_list) t; };
'''


@pytest.mark.oracle
@pytest.mark.parametrize("abi", [a.name for a in all_abis()])
def test_va_list_is_the_abis_own(abi):
    prog = equal_gcc(VA_LIST, abi)
    size = prog.layout("v", abi).member("ap").size
    assert size == {"x86_64": 24, "aarch64": 32, "i386": 4, "arm": 4}.get(abi, size)


ASM_LABELS = '''
int counter asm("real_counter");
extern void stop(void) __asm__("real_stop") __attribute__((noreturn));
static int z __asm__("zz") __attribute__((used)) = 3;
extern int table[4] __asm__ ("tbl");
asm(".globl lc_marker; lc_marker = 0");
__asm__("");
struct s { char c; typeof(table) t; typeof(counter) n; };
'''


@pytest.mark.oracle
@pytest.mark.parametrize("abi", ABIS4)
def test_asm_labels_and_top_level_asm(abi):
    prog = equal_gcc(ASM_LABELS, abi)
    assert prog.layout("s", abi).member("t").size == 16


SPACES = '''
typedef int __seg_gs gs_int;
struct percpu { char c; int __seg_gs *p; gs_int *q; const int __seg_fs *r; };
extern int __seg_gs cpu_number;
_Static_assert(!__builtin_types_compatible_p(int __seg_gs *, int *), "different spaces");
_Static_assert(__builtin_types_compatible_p(typeof(cpu_number), int), "top level dropped");
'''


@pytest.mark.oracle
@pytest.mark.parametrize("abi", ["x86_64", "i386", "x32"])
def test_address_spaces_on_x86(abi):
    prog = equal_gcc(SPACES, abi)
    results = check_static_asserts("spaces.h", prog, get_abi(abi), make_config([]))
    assert [r.status for r in results] == ["pass", "pass"]


def test_address_spaces_are_refused_where_gcc_refuses(tmp_path):
    text = 'typedef int __seg_gs gs_int;\nstruct d { char c; gs_int y; };\n'
    err = refused(text)
    assert err.where == "<input>:2:27" and "'__seg_gs' specified for structure field 'y'" in err.message
    if shutil.which("gcc") or oracles_required():
        assert [line for line, _ in gcc_errors("x86_64", text, tmp_path)] == [2]
    # GCC for another target does not know the keyword at all
    err = refused(SPACES, "aarch64")
    assert "x86 address space" in err.message and err.where.startswith("<input>:3:")


# -------------------------------------------------------------- attributes
ATTRIBUTES = '''
int __attribute__((unused)) a1, __attribute__((unused)) b1;
int (__attribute__((unused)) *fp)(void);
void f(int a __attribute__((unused)), int __attribute__((unused)) b);
typedef struct __attribute__((packed)) { char c; int x; } __attribute__((aligned(2))) T;
enum __attribute__((packed)) e { A };
enum e2 { B __attribute__((deprecated)) = 1 };
int xx[4] __attribute__((aligned(16)));
__attribute__((section(".data.x"))) int v;
void g(void) __attribute__((noreturn));
static __attribute__((noinline)) int h(void) { return 0; }
static __attribute__((unused)) const int z = 1;
struct s1 { int a __attribute__((aligned(8))), b; char c; void (*cb)(int) __attribute__((aligned(16))); T t; };
struct s2 { int a; } __attribute__((packed)) var2;
struct s3 { char c; int *__attribute__((aligned(2))) p; char d[_Alignof(int __attribute__((aligned(16))))]; };
struct s4 { char c; int a, b __attribute__((aligned(32))), c2 __attribute__((aligned(2))); };
int a4, __attribute__((aligned(32))) b4, c4 __attribute__((aligned(2)));
struct s5 { char c; __typeof__(short __attribute__((aligned(8)))) t; int (__attribute__((unused)) *q); };
struct __attribute__((__aligned__(8))) __attribute__((__packed__)) s6 { char c; int i; };
'''


@pytest.mark.oracle
@pytest.mark.parametrize("abi", ABIS4 + ["m68k", "sh4"])
def test_attributes_in_every_position_equal_gcc(abi):
    prog = equal_gcc(ATTRIBUTES, abi)
    assert prog.layout("s4", abi).member("b").offset == 32
    assert prog.layout("s3", abi).member("d").size == 16


def test_type_changing_attribute_on_a_nested_declarator_is_refused():
    # GCC applies it to the type outside the parentheses; not modelled.
    err = refused('# 9 "n.h"\nstruct s { char c; int (__attribute__((aligned(2))) x); };\n')
    assert err.where == "n.h:9:40" and "parenthesized declarator" in err.message


# ------------------------------------------------------------ parse errors
@pytest.mark.parametrize("text, where", [
    ('# 1 "a.h"\nstruct a { int x; };\n# 40 "/src/include/b.h" 1\nstruct b { int y[ }; };\n',
     "/src/include/b.h:40:19"),
    ('# 1 "a.h"\n\n\n_Static_assert(, "x");\n', "a.h:3:16"),
    ('# 7 "a.h"\nint x = 1 +;\nstruct s { char c[sizeof(x)]; };\n', "a.h:7:12"),
    ('# 7 "a.h"\nstruct s { int x; }\n', "a.h:8:1"),
    ('# 7 "a.h"\nstruct s { int : -1; };\n', "a.h:7:16"),
    ('# 7 "a.h"\nstruct s { __int128 x; };\n', "a.h:7:21"),
    ('# 2 "a.h"\n_Static_assert(__builtin_types_compatible_p(int, ), "");\n', "a.h:2:50"),
    # GCC takes attributes after the comma of a declaration, not of a member
    ('# 2 "a.h"\nstruct s { int a, __attribute__((aligned(8))) b; };\n', "a.h:2:19"),
])
def test_parse_errors_name_the_original_file_line_and_column(text, where):
    err = refused(text, "i386")
    assert err.where == where, str(err)


# ----------------------------------------------------- a real kernel tree
KERNEL_HEADERS = ("linux/mm_types.h", "linux/fs.h", "linux/sched.h", "linux/skbuff.h",
                  "linux/netdevice.h", "linux/blkdev.h")


def _amd64_tree():
    """A configured Debian amd64 kernel tree: the one tools/fetch_kernel_trees.py
    unpacked ($LAYOUTCHECK_KERNEL_TREES/amd64, by default under
    /var/cache/layoutcheck/kernels), else the newest installed in /usr/src;
    None if there is none."""
    trees = os.environ.get("LAYOUTCHECK_KERNEL_TREES") or "/var/cache/layoutcheck/kernels"
    found = [os.path.join(trees, "amd64")] + sorted(
        glob.glob("/usr/src/linux-headers-*-amd64"),
        key=lambda d: [int(n) for n in re.findall(r"\d+", os.path.basename(d))], reverse=True)
    for tree in found:
        if all(os.path.isfile(os.path.join(tree, f)) for f in ("Makefile", ".config")):
            return tree
    return None


def _kbuild_preprocess(tree, workdir):
    """``make M=workdir mod.i``: the six headers preprocessed with kbuild's
    flags.  Returns the text and the compiler command kbuild used."""
    workdir.mkdir()
    (workdir / "mod.c").write_text("".join(f"#include <{h}>\n" for h in KERNEL_HEADERS))
    (workdir / "Makefile").write_text("obj-m := mod.o\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C", "HOME": str(workdir)}
    argv = ["make", "-s", "-C", tree]
    # A Debian flavour tree's Makefile is one line including the -common
    # tree's by its installed path; an unpacked tree has -common beside it.
    with open(os.path.join(tree, "Makefile")) as fh:
        included = re.fullmatch(r"include\s+(\S+)/Makefile\s*", fh.read())
    if included and not os.path.isdir(included.group(1)):
        common = os.path.join(os.path.dirname(os.path.realpath(tree)),
                              os.path.basename(included.group(1)))
        argv += ["-f", os.path.join(common, "Makefile")]
    proc = subprocess.run(argv + [f"M={workdir}", "mod.i"], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cmd = (workdir / ".mod.i.cmd").read_text().split("\n", 1)[0].split(":=", 1)[1]
    return (workdir / "mod.i").read_text(), shlex.split(cmd)


def _compile_flags(kbuild_cmd):
    """kbuild's compiler command without what preprocessing used: the
    compiler and the flags that shape code generation."""
    out, skip = [], False
    for arg in kbuild_cmd:
        if skip:
            skip = False
        elif arg in ("-o", "-include"):
            skip = True
        elif not (arg in ("-E", "-g") or arg.startswith(("-Wp,", "-I", "-D", "-U"))
                  or arg.endswith(".c")):
            out.append(arg)
    return out


def _ask_tree_compiler(compiler, text, lays, workdir):
    """The kbuild compiler's answers for ``lays``: the preprocessed text and
    the oracle's questions, compiled as preprocessed C."""
    questions, answers = build_source("", lays)
    questions = "".join(line + "\n" for line in questions.splitlines()
                        if not line.startswith("#undef"))  # no macros left to undo
    src, obj = workdir / "q.i", workdir / "q.o"
    src.write_text(text + "\n" + questions)
    proc = subprocess.run(compiler + ["-c", "-w", "-g0", "-x", "cpp-output", "-o", str(obj), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    of = ObjectFile.from_path(str(obj))
    results = [OracleLayout(lay.kind, lay.name, 0, 0) for lay in lays]
    for sym, what in answers.items():
        if what[0] == "info":
            _, i, plain = what
            vals = of.u64_array(sym)
            results[i].size, results[i].align = vals[0], vals[1]
            for k, path in enumerate(plain):
                size = vals[3 + 2 * k]
                results[i].members[path] = OracleMember(path, vals[2 + 2 * k], size, b"\xff" * size)
        else:
            _, i, path = what
            results[i].members[path] = _image_to_member(path, of.symbol(sym))
    return results


@pytest.mark.oracle
@pytest.mark.slow
def test_kernel_headers_through_kbuild(tmp_path):
    tree = _amd64_tree()
    if tree is None or shutil.which("make") is None:
        message = "no Debian amd64 kernel tree (apt-get install linux-headers-<version>-amd64)"
        if oracles_required():
            pytest.fail(message)
        pytest.skip(message)
    text, kbuild_cmd = _kbuild_preprocess(tree, tmp_path / "module")
    prog = lc.load(text, abis=["x86_64"], cpp="none", rules=False, filename="mod.i")
    lays = prog.layouts()
    members = sum(len(lay.members) for lay in lays)
    assert len(lays) > 1000
    assert {"page", "folio", "task_struct", "sk_buff", "net_device", "inode", "bio"} <= \
        {lay.name for lay in lays}
    record("kernel structs laid out (6 headers, x86_64)", len(lays), members)
    # The header's own static asserts: none fails, none is passed unread.
    results = check_static_asserts("mod.i", prog, get_abi("x86_64"), make_config([]))
    assert results and not [r for r in results if r.failed]
    compiler = _compile_flags(kbuild_cmd)
    if shutil.which(compiler[0]) is None:
        pytest.skip(f"{compiler[0]}, the tree's compiler, is not installed")
    bad = _compared(lays, _ask_tree_compiler(compiler, text, lays, tmp_path),
                    "kernel structs vs the tree's GCC (x86_64)")
    assert not bad, "\n".join(map(str, bad[:20]))


# ------------------------------------- what the splitter must not misread
MISREADS = {
    "_Pragma pack before a struct": '_Pragma("pack(1)") struct t { char c; int i; };\n',
    "_Pragma pack among members": 'struct s { char c; _Pragma("pack(1)") int i; };\n',
    "#pragma pack after a form feed": ('# 1 "t.h"\nint f(void);\n\f#pragma pack(1)\nint g(void);\n'
                                       'struct s { char c; int i; };\n'),
    "form feed between __attribute__ and ((": (
        'struct __attribute__\f((packed)) { struct inner { char c; int i; } a; } x;\n'),
    "line marker between __attribute__ and ((": (
        '# 1 "t.h"\nstruct __attribute__\n# 20 "t.h"\n((packed)) { struct inner { char c; int i; } a; } x;\n'),
    "raw strings with braces in bodies": (
        'void f(void){ const char *p = R"(" {)"; }\nstruct s { char c; int i; };\n'
        'void g(void){ const char *q = R"x(" })x"; }\n'),
}


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(MISREADS))
def test_what_gcc_reads_as_a_type_is_not_taken_for_a_body_or_lost(name):
    prog = equal_gcc(MISREADS[name], "x86_64")
    assert prog.layouts(), name


@pytest.mark.parametrize("text, where", [
    # gcc -E writes a line marker before the #pragma it makes of a _Pragma
    ('# 1 "t.h"\nvoid f(void) {\n# 3 "t.h"\n#pragma pack(1)\n}\nstruct s { char c; int i; };\n', "t.h:3:1"),
    ('# 1 "t.h"\nvoid f(void) {\n\f#pragma pack(1)\n}\nstruct s { char c; int i; };\n', "t.h:2:2"),
    ('# 1 "t.h"\nvoid f(void) { _Pragma("pack(1)") }\nstruct s { char c; int i; };\n', "t.h:1:16"),
])
def test_a_pack_pragma_in_a_body_is_refused_in_every_spelling(text, where):
    err = refused(text)
    assert err.where == where and "#pragma pack inside a function body" in err.message, str(err)


@pytest.mark.parametrize("text", [
    # a compound literal's braces in an array bound are no body
    'int a[sizeof (int){ sizeof(struct q { char c; int i; }) }];\nstruct s { int x; };\n',
    # digraph braces: not read, and not lost either
    'struct s <% char c; int i; %>;\n',
])
def test_braces_that_are_not_a_body_are_read_or_refused_never_skipped(text):
    refused(text)


def test_consecutive_line_markers_in_a_body_are_all_read():
    err = refused('# 1 "t.h"\nvoid f(void) {\n# 10 "a.h"\n# 20 "b.h"\n}\nstruct s { int : -1; };\n')
    assert err.where == "b.h:21:16", str(err)


NO_LAST_SEMICOLON = """
struct s1 { int a; char b };
struct s2 { int a; struct { char c } in; long z };
struct s3 { int a, b __attribute__((aligned(8))) };
struct s4 { short q : 3 };
union u1 { char c; struct { int x; } }
 __attribute__((packed));
"""


@pytest.mark.oracle
@pytest.mark.parametrize("abi", ABIS4)
def test_a_last_member_without_its_semicolon_is_read_as_gcc_does(abi):
    """GCC takes the last member of a struct or union without its ';' (a
    pedantic warning): so does the engine, with GCC's layout."""
    prog = equal_gcc(NO_LAST_SEMICOLON, abi)
    assert [m.path for m in prog.layout("s2", abi)] == ["a", "in", "in.c", "z"]
