"""What GCC rejects, the engine rejects, at the declaration GCC names.

The engine used to accept each input here although GCC refuses it (or lay it
out differently from GCC): arrays and structs past the target's object size
limit, alignments past GCC's maximum, conflicting typedefs, duplicate
members, enumerators declared twice, enumerator overflow, and enums wider
than 64 bits.

A refusal is checked twice: the engine raises a LayoutError whose ``where``
is the line and column marked ``@`` in the text, and the ABI's GCC (when it
is installed, see conftest.need_compiler) rejects the same text at that line.
The cases at the boundary, which GCC accepts, are laid out and compared
with GCC.
"""

from __future__ import annotations

import re
import subprocess

import pytest

import layoutcheck as lc
from layoutcheck.abi import all_abis, get_abi
from layoutcheck.errors import LayoutError
from layoutcheck.oracle.gcc import ask_gcc, compare

from .conftest import need_compiler

pytestmark = [pytest.mark.oracle]

# size_t's width in bits: GCC's object size limit is 2^(bits-1) - 1 bytes,
# and the element count of an array has the same limit.
SIZE_BITS = {"i386": 32, "x32": 32, "arm": 32, "m68k": 32, "x86_64": 64, "aarch64": 64}
SIZE_ABIS = sorted(SIZE_BITS)


def half(abi: str) -> int:
    """2^(bits-1): the smallest size GCC refuses on ``abi``."""
    return 1 << (SIZE_BITS[abi] - 1)


def marked(text: str):
    """The text without its '@' marker, and "<input>:line:column" of it."""
    i = text.index("@")
    clean = text[:i] + text[i + 1:]
    line = text.count("\n", 0, i) + 1
    column = i - text.rfind("\n", 0, i)
    return clean, line, column


def gcc(abi_name: str, text: str, tmp_path):
    """Compile ``text`` with the ABI's GCC: (errors as (line, column,
    message), stderr).  Skips (or fails in CI) without the compiler."""
    abi = get_abi(abi_name)
    need_compiler(abi)
    src = tmp_path / f"{abi_name}.c"
    src.write_text(text)
    proc = subprocess.run([*abi.oracle, "-c", "-std=gnu11", "-x", "c",
                           "-o", str(tmp_path / f"{abi_name}.o"), str(src)],
                          capture_output=True, text=True)
    errors = [(int(line), int(col), msg) for line, col, msg in
              re.findall(rf"^{re.escape(str(src))}:(\d+):(\d+): error: (.*)$", proc.stderr, re.M)]
    assert (proc.returncode != 0) == bool(errors), proc.stderr
    return errors, proc.stderr


def assert_refused(text: str, abi: str, message: str, gcc_message: str, tmp_path,
                   struct: str = "s", gcc_same_column: bool = True) -> None:
    """The engine refuses at the '@' and GCC refuses at the same line."""
    clean, line, column = marked(text)
    with pytest.raises(LayoutError) as info:
        lc.layout(clean, struct, abi)
    assert info.value.where == f"<input>:{line}:{column}", str(info.value)
    assert message in info.value.message
    errors, stderr = gcc(abi, clean, tmp_path)
    assert errors, f"{abi}: GCC accepted it"
    first_line, first_column, first_message = errors[0]
    assert gcc_message in first_message, stderr
    assert first_line == line, stderr
    if gcc_same_column:
        assert first_column == column, stderr


def gcc_confirms(abi: str, text: str, facts, tmp_path) -> None:
    """GCC compiles ``text`` with ``_Static_assert(expr == value)`` for each
    (expr, value): a fact the engine computed that GCC must agree with."""
    body = text + "".join(f'_Static_assert(({expr}) == {value}ULL, "{expr} == {value}");\n'
                          for expr, value in facts)
    errors, stderr = gcc(abi, body, tmp_path)
    assert errors == [], stderr


def gcc_agrees(text: str, abi: str, structs) -> None:
    """Every member of ``structs`` where GCC puts it (the oracle of verify)."""
    need_compiler(get_abi(abi))
    prog = lc.load(text, abis=[abi])
    layouts = [prog.layout(s, abi) for s in structs]
    answers = ask_gcc(get_abi(abi), prog.oracle_source(), layouts)
    for lay, answer in zip(layouts, answers, strict=True):
        assert compare(lay, answer)[1] == []


def field_offsets(lay) -> dict:
    """Byte offsets of a layout's direct members, without building masks
    (a member of 2^62 bytes has no mask worth building)."""
    return {f.member.name: f.bit_offset // 8 for f in lay.tree.fields}


# ------------------------------------------------------- 1. sizes and arrays
@pytest.mark.parametrize("abi", SIZE_ABIS)
def test_array_element_count_limit(abi, tmp_path):
    # 2^31 chars on a 32-bit ABI, 2^63 on a 64-bit one: "size of array 'a'
    # is too large".  (1ULL << 62 on i386 used to be laid out.)
    text = f"struct s {{\n  char @a[{half(abi)}ULL];\n}};\n"
    assert_refused(text, abi, "size of array is too large", "size of array", tmp_path)


@pytest.mark.parametrize("abi", SIZE_ABIS)
def test_array_count_limit_holds_for_zero_size_elements(abi, tmp_path):
    # The count is limited by itself, not only through the size in bytes.
    text = f"struct e {{}};\nstruct s {{\n  struct e @a[{half(abi)}ULL];\n  int x;\n}};\n"
    assert_refused(text, abi, "size of array is too large", "size of array", tmp_path)
    fits = text.replace("@", "").replace(f"[{half(abi)}ULL]", f"[{half(abi) - 1}ULL]")
    lay = lc.layout(fits, "s", abi)
    assert field_offsets(lay) == {"a": 0, "x": 0}
    gcc_confirms(abi, fits, [("sizeof(struct s)", lay.size),
                             ("__builtin_offsetof(struct s, x)", 0)], tmp_path)


@pytest.mark.parametrize("abi", SIZE_ABIS)
def test_array_byte_size_limit(abi, tmp_path):
    # 2^29 ints on a 32-bit ABI: the count fits, the 2^31 bytes do not.
    text = f"struct s {{\n  int @a[{half(abi) // 4}ULL];\n}};\n"
    assert_refused(text, abi, "exceeds maximum object size", "exceeds maximum object size",
                   tmp_path)


@pytest.mark.parametrize("abi, dims", [
    ("x86_64", "[1ULL << 32][1ULL << 32]"),  # 2^64 bytes: used to wrap
    ("x86_64", "[1ULL << 32][1ULL << 31]"),  # 2^63 bytes
    ("i386", "[1 << 16][1 << 15]"),          # 2^31 bytes
    ("aarch64", "[4][1ULL << 61]"),
])
def test_multidimensional_array_too_large(abi, dims, tmp_path):
    text = f"struct s {{\n  char @a{dims};\n}};\n"
    assert_refused(text, abi, "exceeds maximum object size", "exceeds maximum object size",
                   tmp_path)


@pytest.mark.parametrize("abi", SIZE_ABIS)
def test_largest_arrays_and_structs_are_laid_out_like_gcc(abi, tmp_path):
    h = half(abi)
    text = (f"struct s {{ char a[{h - 1}ULL]; }};\n"
            f"struct t {{ int i; char b[{h - 8}ULL]; }};\n"
            f"struct u {{ char c[{(h >> 16) - 1}ULL][1 << 16]; }};\n")
    prog = lc.load(text, abis=[abi])
    s, t, u = (prog.layout(name, abi) for name in "stu")
    assert (s.size, s.align) == (h - 1, 1)
    assert field_offsets(t) == {"i": 0, "b": 4} and t.size == h - 4
    assert u.size == h - (1 << 16)
    gcc_confirms(abi, text, [
        ("sizeof(struct s)", s.size),
        ("sizeof(struct t)", t.size), ("_Alignof(struct t)", t.align),
        ("__builtin_offsetof(struct t, b)", field_offsets(t)["b"]),
        ("sizeof(struct u)", u.size),
    ], tmp_path)


@pytest.mark.parametrize("abi", SIZE_ABIS)
def test_struct_too_large(abi, tmp_path):
    # 4 + 2^31 - 5 bytes is 2^31 once rounded to int's alignment (2 or 4):
    # "type 'struct s' is too large", reported at the tag.
    text = f"struct @s {{ int i; char b[{half(abi) - 5}ULL]; }};\n"
    assert_refused(text, abi, "type 'struct s' is too large", "type ‘struct s’ is too large",
                   tmp_path)


@pytest.mark.parametrize("abi", SIZE_ABIS)
def test_union_and_nested_struct_too_large(abi, tmp_path):
    h = half(abi)
    text = f"union @u {{ int i; char b[{h - 1}ULL]; }};\nstruct s {{ union u x; }};\n"
    assert_refused(text, abi, "type 'union u' is too large", "type ‘union u’ is too large",
                   tmp_path)
    # (GCC names the member that reaches the limit here, on the same line)
    text = f"struct h {{ char a[{h // 2}ULL]; }};\nstruct @s {{ struct h x; struct h y; }};\n"
    assert_refused(text, abi, "type 'struct s' is too large", "type ‘struct s’ is too large",
                   tmp_path, gcc_same_column=False)


@pytest.mark.parametrize("abi", ["i386", "arm"])
def test_typedef_of_too_large_array(abi, tmp_path):
    text = "typedef char @T[1ULL << 31];\nstruct s { T x; };\n"
    assert_refused(text, abi, "size of array is too large", "size of array ‘T’", tmp_path)


# ------------------------------------------------------------- 2. alignment
# GCC's maximum is 2^28 on every target; the column GCC gives varies with
# the form, so only the line is compared with GCC's for these.
TOO_ALIGNED = {
    "member": "struct s {\n  int b;\n  int a\n   __attribute__((@aligned(1 << 29)));\n};\n",
    "alignas": "struct s {\n  int b;\n  @_Alignas(1 << 29)\n  int a;\n};\n",
    "struct": "struct\n s {\n  int b;\n}\n __attribute__((@aligned(0x20000000)));\n",
    "typedef": "typedef\n int\n T\n __attribute__((@aligned(1 << 29)));\nstruct s { T x; };\n",
    "pointer": "struct s {\n  int b;\n  int *\n  __attribute__((@aligned(1 << 29))) p;\n};\n",
    "2^32": "struct s {\n  int b;\n  int a\n   __attribute__((@aligned(1ULL << 32)));\n};\n",
    "2^63": "struct s {\n  int b;\n  int a\n   __attribute__((@aligned(1ULL << 63)));\n};\n",
}


@pytest.mark.parametrize("abi", ["x86_64", "i386", "arm"])
@pytest.mark.parametrize("form", sorted(TOO_ALIGNED))
def test_alignment_above_2_to_the_28_is_refused(form, abi, tmp_path):
    assert_refused(TOO_ALIGNED[form], abi, "exceeds maximum 268435456",
                   "exceeds maximum 268435456", tmp_path, gcc_same_column=False)


def test_alignment_refused_in_struct_attribute_before_the_tag(tmp_path):
    # GCC names the closing brace here, the engine the attribute.
    text, line, column = marked("struct\n __attribute__((@aligned(1 << 29)))\n s {\n  int b;\n};\n")
    with pytest.raises(LayoutError, match="exceeds maximum 268435456") as info:
        lc.layout(text, "s", "x86_64")
    assert info.value.where == f"<input>:{line}:{column}"
    errors, stderr = gcc("x86_64", text, tmp_path)
    assert errors and "exceeds maximum 268435456" in errors[0][2], stderr


ALIGNED_2_TO_THE_28 = """
typedef int T __attribute__((aligned(1 << 28)));
struct m { char c; int a __attribute__((aligned(1 << 28))); };
struct n { char c; _Alignas(1 << 28) int a; };
struct t { char c; T a; };
struct r { char c; int a; } __attribute__((aligned(1 << 28)));
"""


@pytest.mark.parametrize("abi", ["x86_64", "i386", "arm", "m68k", "sh4"])
def test_alignment_2_to_the_28_is_laid_out_like_gcc(abi):
    prog = lc.load(ALIGNED_2_TO_THE_28, abis=[abi])
    for name in "mnt":
        lay = prog.layout(name, abi)
        assert (lay.member("a").offset, lay.size, lay.align) == (1 << 28, 1 << 29, 1 << 28)
    assert (prog.layout("r", abi).size, prog.layout("r", abi).align) == (1 << 28, 1 << 28)
    gcc_agrees(ALIGNED_2_TO_THE_28, abi, ["m", "n", "t", "r"])


def test_array_of_2_to_the_28_aligned_structs_is_too_large_on_i386(tmp_path):
    text = ("struct s { int a __attribute__((aligned(1 << 28))); };\n"
            "struct t {\n  struct s @x[8];\n};\n")
    assert_refused(text, "i386", "exceeds maximum object size", "exceeds maximum object size",
                   tmp_path, struct="t")
    # 2^31 bytes fit in x86_64's limit
    assert lc.layout(text.replace("@", ""), "t", "x86_64").size == 1 << 31


# --------------------------------------------------------------- 3. typedefs
CONFLICTING_TYPEDEFS = [
    "typedef int T;\ntypedef long @T;\n",
    "typedef long T;\ntypedef long long @T;\n",
    "typedef char T;\ntypedef signed char @T;\n",
    "typedef const int T;\ntypedef int @T;\n",
    "typedef _Atomic int T;\ntypedef int @T;\n",
    "typedef float T;\ntypedef _Float32 @T;\n",
    "typedef int T[3];\ntypedef int @T[4];\n",
    "typedef int T[];\ntypedef int @T[3];\n",
    "typedef int T(int);\ntypedef int @T(long);\n",
    "typedef int T();\ntypedef int @T(int);\n",
    "typedef int T(int, ...);\ntypedef int @T(int);\n",
    "typedef int (*T)(int);\ntypedef int (*@T)(char);\n",
    "typedef int *restrict T;\ntypedef int *@T;\n",
    "typedef struct { int a; } T;\ntypedef struct { int a; } @T;\n",
    "enum e { X };\ntypedef enum e T;\ntypedef unsigned int @T;\n",
    # on LP64, mode(DI) is long, not long long
    "typedef long long T;\ntypedef int @T __attribute__((mode(DI)));\n",
]


@pytest.mark.parametrize("text", CONFLICTING_TYPEDEFS)
def test_conflicting_typedef_is_refused(text, tmp_path):
    text += "struct s { int x; };\n"
    assert_refused(text, "x86_64", "conflicting types for typedef 'T'", "", tmp_path)


SAME_TYPEDEFS = """
typedef int T;
typedef int T;
typedef signed T;
typedef int A[3];
typedef int A[1 + 2];
typedef int A[3U];
typedef const int CI;
typedef const CI C2;
typedef const int C2;
typedef int F(int a, const char *p);
typedef int F(const int b, const char q[]);
typedef int (*PF)(int, ...);
typedef int (*PF)(int, ...);
typedef char L[sizeof(long)];
typedef char L[sizeof(long)];
typedef struct s S;
struct s { T t; A a; C2 c; PF f; L l; F *g; };
typedef struct s S;
typedef int Al __attribute__((aligned(8)));
typedef int Al __attribute__((aligned(8)));
struct r { char c; Al x; S y; };
"""


@pytest.mark.parametrize("abi", ["x86_64", "i386"])
def test_typedef_redefined_as_the_same_type_is_allowed(abi):
    # C11 allows it, and so does GCC in gnu11
    r = lc.layout(SAME_TYPEDEFS, "r", abi)
    assert r.member("x").offset == 8
    gcc_agrees(SAME_TYPEDEFS, abi, ["s", "r"])


@pytest.mark.parametrize("first, second", [("aligned(8)", ""), ("", "aligned(8)")])
def test_typedef_redefined_with_another_alignment_is_refused(first, second, tmp_path):
    # GCC accepts it and keeps the larger alignment whatever the order; the
    # engine used to take the last definition.  It refuses instead.
    def attr(a):
        return f" __attribute__(({a}))" if a else ""
    text = (f"typedef int T{attr(first)};\ntypedef int @T{attr(second)};\n"
            "struct s { char c; T x; };\n")
    clean, line, column = marked(text)
    with pytest.raises(LayoutError, match="different alignment") as info:
        lc.layout(clean, "s", "x86_64")
    assert info.value.where == f"<input>:{line}:{column}"
    gcc_confirms("x86_64", clean, [("_Alignof(T)", 8),
                                   ("__builtin_offsetof(struct s, x)", 8)], tmp_path)


@pytest.mark.parametrize("text", [
    "int T;\ntypedef int @T;\nstruct s { int x; };\n",
    "void T(void);\ntypedef int @T;\nstruct s { int x; };\n",
    "enum { T };\nint @T(void);\nstruct s { int x[sizeof(T())]; };\n",
])
def test_typedef_and_object_of_one_name_are_refused(text, tmp_path):
    assert_refused(text, "x86_64", "", "redeclared as different kind of symbol", tmp_path)


@pytest.mark.parametrize("text", [
    "typedef int T;\nint T;\nstruct s { int x; };\n",
    "typedef int T;\nvoid T(void);\nstruct s { int x; };\n",
    "enum { T };\nint T;\nstruct s { int x; };\n",
    "enum { T };\nvoid T(void);\nstruct s { int x; };\n",
])
def test_a_declaration_no_layout_reads_is_not_checked(text, tmp_path):
    # Declarations of functions and variables are parsed only when a
    # layout names them (or a typedef or enumerator of their name follows):
    # this one only conflicts with the typedef before it, which GCC refuses.
    assert lc.layout(text, "s", "x86_64").size == 4
    errors, _ = gcc("x86_64", text, tmp_path)
    assert errors and "redeclared as different kind of symbol" in errors[0][2]


@pytest.mark.parametrize("text", [
    "int f(int a)@);\nstruct s { int x; };\n",
    "int g(void) { return 0; } @)\nstruct s { int x; };\n",
])
def test_a_closer_with_nothing_open_is_refused_where_gcc_refuses_it(text, tmp_path):
    """A ')' with none open makes the declaration it stands in run on to
    where the counts meet again (as the reading of a plain declaration
    counts them, wherever a line marker cuts the text): it is parsed, and
    refused at the ')', where GCC refuses it."""
    clean, line, column = marked(text)
    with pytest.raises(LayoutError) as info:
        lc.layout(clean, "s", "x86_64")
    assert info.value.where == f"<input>:{line}:{column}", str(info.value)
    errors, stderr = gcc("x86_64", clean, tmp_path)
    assert errors and errors[0][:2] == (line, column), stderr


# GCC judges completeness where the expression stands: a struct defined
# after it is incomplete there, though complete at the end of the file.
@pytest.mark.parametrize("text, gcc_message", [
    ("struct foo;\nstruct s { char a[@sizeof(struct foo)]; };\nstruct foo { int x; };\n",
     "invalid application of ‘sizeof’ to incomplete type"),
    ("struct foo;\nstruct s { char a[@_Alignof(struct foo)]; };\nstruct foo { int x; };\n",
     "to incomplete type"),
    ("struct foo;\nstruct s { char a[@__builtin_offsetof(struct foo, x)]; };\nstruct foo { int x; };\n",
     "invalid use of undefined type"),
    ("enum e;\nstruct s { char a[@sizeof(enum e)]; };\nenum e { E1 };\n",
     "invalid application of ‘sizeof’ to incomplete type"),
    ("struct s { char c; char a[@sizeof(struct s)]; };\n",
     "invalid application of ‘sizeof’ to incomplete type"),
    # through a typedef that adds an alignment, and through typeof
    ("struct foo;\ntypedef struct foo __attribute__((aligned(8))) A;\n"
     "struct s { char a[@sizeof(A)]; };\nstruct foo { int x; };\n",
     "invalid application of ‘sizeof’ to incomplete type"),
    ("struct foo;\nextern struct foo *p;\nstruct s { char a[@sizeof(typeof(*p))]; };\nstruct foo { int x; };\n",
     "invalid application of ‘sizeof’ to incomplete type"),
])
def test_a_type_defined_later_is_incomplete_where_an_expression_uses_it(text, gcc_message, tmp_path):
    assert_refused(text, "x86_64", "incomplete type", gcc_message, tmp_path, gcc_same_column=False)


# A member's type must be complete where the member stands: one completed
# after it is refused, though laying the struct out at the end of the file
# would give it a size (it used to be laid out).
@pytest.mark.parametrize("text", [
    "struct foo;\nstruct s { int y; struct foo @x; };\nstruct foo { long z; };\n",
    "enum e;\nstruct s { int y; enum e @x; };\nenum e { A, B };\n",
    "enum e;\nstruct s { int y; enum e @x : 3; };\nenum e { A, B };\n",
    "struct foo;\ntypedef struct foo F;\nunion s { int y; const F @x; };\nstruct foo { long z; };\n",
    "struct foo;\ntypedef struct foo F __attribute__((aligned(8)));\nstruct s { int y; F @x; };\n"
    "struct foo { long z; };\n",
    "struct s { int y; struct { struct foo @z; } n; };\nstruct foo { long q; };\n",
    "struct s { int y; struct { struct foo @z; }; };\nstruct foo { long q; };\n",
    "struct s { int y; struct s @x; };\nstruct foo { long q; };\n",
])
def test_a_member_whose_type_is_completed_later_is_refused(text, tmp_path):
    assert_refused(text, "x86_64", "has incomplete type", "has incomplete type", tmp_path)


# The same through typeof written at the member (a typedef of it is judged
# where the typedef is used, below), and in the expressions that read a
# type's size, alignment or members: sizeof and __alignof__ of an
# expression, and member access.
MEMBER_FOO = "member 'x' has incomplete type 'struct foo' (it is defined after this point)"
MEMBER_E = "member 'x' has incomplete type 'enum e' (it is defined after this point)"
ARRAY_FOO = "array type has incomplete element type 'struct foo' (it is defined after this point)"


@pytest.mark.parametrize("text, message, gcc_message", [
    ("struct foo;\nextern struct foo v;\nstruct s { int y; __typeof__(v) @x; };\nstruct foo { long z; };\n",
     MEMBER_FOO, "has incomplete type"),
    ("struct foo;\nextern struct foo *p;\nstruct s { int y; const __typeof__(*p) @x; };\n"
     "struct foo { long z; };\n", MEMBER_FOO, "has incomplete type"),
    ("enum e;\nextern enum e v;\nstruct s { int y; __typeof__(v) @x : 2; };\nenum e { A, B };\n",
     MEMBER_E, "has incomplete type"),
    ("struct foo;\nextern struct foo v;\nstruct s { int y; __typeof__(v) @x[2]; };\nstruct foo { long z; };\n",
     MEMBER_FOO, "array type has incomplete element type"),
    # through a typedef of typeof, judged where the member is declared
    ("struct foo;\nextern struct foo v;\ntypedef __typeof__(v) T;\nstruct s { int y; T @x; };\n"
     "struct foo { long z; };\n", MEMBER_FOO, "has incomplete type"),
    ("enum e;\nextern enum e v;\ntypedef const __typeof__(v) T;\ntypedef T T2;\n"
     "struct s { int y; T2 @x : 2; };\nenum e { A, B };\n", MEMBER_E, "has incomplete type"),
    # an array of typeof made where the type is incomplete, used after
    ("struct foo;\nextern struct foo v;\ntypedef __typeof__(v) @T[2];\nstruct foo { long z; };\n"
     "struct s { int y; T x; };\n", ARRAY_FOO, "array type has incomplete element type"),
    ("struct foo;\nextern struct foo v;\ntypedef __typeof__(v) T;\ntypedef T @T2[2];\n"
     "struct foo { long z; };\nstruct s { int y; T2 x; };\n", ARRAY_FOO, "array type has incomplete element type"),
])
def test_a_typeof_member_of_a_type_completed_later_is_refused(text, message, gcc_message, tmp_path):
    assert_refused(text, "x86_64", message, gcc_message, tmp_path)


@pytest.mark.parametrize("text, message, gcc_message", [
    ("struct foo;\nextern struct foo v;\nstruct s { int y; char a[@sizeof(v)]; };\nstruct foo { long z; };\n",
     "invalid application of 'sizeof' to incomplete type 'struct foo'",
     "invalid application of ‘sizeof’ to incomplete type"),
    ("struct foo;\nextern struct foo *p;\nstruct s { int y; char a[@sizeof(*p)]; };\nstruct foo { long z; };\n",
     "invalid application of 'sizeof' to incomplete type 'struct foo'",
     "invalid application of ‘sizeof’ to incomplete type"),
    ("struct foo;\nextern struct foo *p;\nstruct s { int y; char a[@__alignof__(*p)]; };\n"
     "struct foo { long z; };\n",
     "invalid application of '__alignof__' to incomplete type 'struct foo'",
     "invalid application of ‘__alignof__’ to incomplete type"),
    ("struct foo;\nstruct s { int y; char a[sizeof((@(struct foo *)0)->z)]; };\nstruct foo { long z; };\n",
     "invalid use of undefined type 'struct foo'", "invalid use of undefined type"),
    ("struct foo;\nextern struct foo *p;\nstruct s { int y; char a[sizeof(@p->z)]; };\nstruct foo { long z; };\n",
     "invalid use of undefined type 'struct foo'", "invalid use of undefined type"),
    ("struct foo;\nstruct s { int y; char a[(unsigned long)&(@(struct foo *)0)->z]; };\n"
     "struct foo { long z; };\n",
     "invalid use of undefined type 'struct foo'", "invalid use of undefined type"),
    # pointer arithmetic steps by the size of what it points at
    ("struct foo;\nstruct s { int y; char a[(unsigned long)&(@(struct foo *)0)[1]]; };\n"
     "struct foo { long z; };\n",
     "invalid use of undefined type 'struct foo'", "invalid use of undefined type"),
    ("struct foo;\nstruct s { int y; char a[(unsigned long)(@(struct foo *)0 + 1)]; };\n"
     "struct foo { long z; };\n",
     "invalid use of undefined type 'struct foo'", "invalid use of undefined type"),
    ("struct foo;\nstruct s { int y; char a[(unsigned long)((@(struct foo *)0 + 1) - (struct foo *)0)]; };\n"
     "struct foo { long z; };\n",
     "invalid use of undefined type 'struct foo'", "invalid use of undefined type"),
    # only the type is read: an error all the same
    ("struct foo;\nextern struct foo *p;\nstruct s { int y; char a[sizeof(@p + 1)]; };\nstruct foo { long z; };\n",
     "invalid use of undefined type 'struct foo'", "invalid use of undefined type"),
    ("struct foo;\nextern struct foo *p;\nstruct s { int y; char a[sizeof(&@p[1])]; };\nstruct foo { long z; };\n",
     "invalid use of undefined type 'struct foo'", "invalid use of undefined type"),
    ("struct foo;\nextern struct foo *p;\nstruct s { int y; char a[sizeof(@p - p)]; };\nstruct foo { long z; };\n",
     "invalid use of undefined type 'struct foo'", "arithmetic on pointer to an incomplete type"),
    ("struct foo;\nextern struct foo *p;\nstruct s { int y; char a[sizeof(1 ? @p + 1 : p)]; };\n"
     "struct foo { long z; };\n",
     "invalid use of undefined type 'struct foo'", "invalid use of undefined type"),
    ("enum e;\nextern enum e ev;\nstruct s { int y; char a[sizeof(@ev + 1)]; };\nenum e { A, B };\n",
     "'ev' has an incomplete type 'enum e'", "has an incomplete type"),
    # a type never completed, and an array of typeof behind a pointer
    ("struct foo;\nextern struct foo *p;\nstruct s { int y; char a[sizeof(@p + 1)]; };\n",
     "invalid use of undefined type 'struct foo'", "invalid use of undefined type"),
    ("struct foo;\nextern struct foo *p;\nstruct s { int y; char a[sizeof(&@p[1])]; };\n",
     "invalid use of undefined type 'struct foo'", "invalid use of undefined type"),
    ("struct foo;\nextern struct foo v;\nstruct s { int y; __typeof__(v) (@*x)[2]; };\nstruct foo { long z; };\n",
     "array type has incomplete element type 'struct foo'", "array type has incomplete element type"),
    # a declaration read on demand is read where it stands
    ("struct foo;\nextern char arr[@sizeof(struct foo)];\nstruct foo { int a; };\n"
     "struct s { char c[sizeof(arr)]; };\n",
     "invalid application of 'sizeof' to incomplete type 'struct foo'",
     "invalid application of ‘sizeof’ to incomplete type"),
    ("struct foo;\nextern struct foo *p;\nextern __typeof__(@p->a) y;\nstruct foo { int a; };\n"
     "struct s { char c[sizeof(y)]; };\n",
     "invalid use of undefined type 'struct foo'", "invalid use of undefined type"),
    # under an operator whose type does not depend on it: a cast, a
    # comparison, '!', a condition, the left of ','
    *[(f"struct foo;\nextern struct foo *p;\nstruct s {{ int y; char a[sizeof({form})]; }};\n"
       "struct foo { long z; };\n",
       "invalid use of undefined type 'struct foo'", "invalid use of undefined type")
      for form in ("(long)(@p + 1)", "@p + 1 < p", "!(@p + 1)", "(@p + 1) ? 1 : 2", "@p + 1, 1")],
    # the value of a variable of an enum type completed later
    *[(f"enum e;\nextern enum e ev;\nstruct s {{ int y; char a[sizeof({form})]; }};\nenum e {{ A, B }};\n",
       "'ev' has an incomplete type 'enum e'", "has an incomplete type")
      for form in ("-@ev", "!@ev", "(long)@ev", "@ev == 1", "1 ? @ev : 0")],
    ("struct foo;\nextern struct foo v;\nstruct s { int y; char a[sizeof((void)@v)]; };\n",
     "'v' has an incomplete type 'struct foo'", "has an incomplete type"),
])
def test_an_expression_reading_a_type_completed_later_is_refused(text, message, gcc_message, tmp_path):
    assert_refused(text, "x86_64", message, gcc_message, tmp_path, gcc_same_column=False)


def test_what_is_complete_where_it_is_read_is_laid_out_as_gcc_does(tmp_path):
    """The same forms where the type is complete: a typedef of typeof made
    before the struct's definition and used after it, sizeof, __alignof__
    and member access after it; and a typedef written again, the same,
    after a definition (its sizeof is not another type)."""
    from layoutcheck.oracle.verify import verify_program

    need_compiler(get_abi("x86_64"))
    text = ("typedef char A[sizeof(int)];\nstruct foo;\nextern struct foo v;\n"
            "typedef __typeof__(v) T;\nstruct foo { long z; };\ntypedef T T2[2];\nextern struct foo *p;\n"
            "extern char arr[sizeof(struct foo)];\n"
            "typedef char A[sizeof(int)];\n"
            "struct s { int y; T x; __typeof__(v) w; A b; T2 t;\n"
            "  char a[sizeof(*p) + __alignof__(*p) + sizeof(p->z) + sizeof(((struct foo *)0)->z)];\n"
            "  char c[(unsigned long)&((struct foo *)0)[1] + (unsigned long)((struct foo *)0 + 1)];\n"
            "  char d[sizeof(arr) + sizeof(p + 1) + sizeof(&p[1])]; };\n")
    errors, stderr = gcc("x86_64", text, tmp_path)
    assert not errors, stderr
    prog = lc.load(text, abis=["x86_64"], rules=False)
    assert prog.layout("s").size == 120
    report = verify_program(prog)
    assert report.total_structs >= 2 and not report.mismatches and not report.missing


def test_operands_of_complete_types_under_any_operator_are_read_as_gcc_reads_them(tmp_path):
    """The forms refused above, each type complete where it is read."""
    from layoutcheck.oracle.verify import verify_program

    need_compiler(get_abi("x86_64"))
    text = ("struct foo { long z; };\nextern struct foo *p;\nenum e { A, B };\nextern enum e ev;\n"
            "extern struct foo v;\n"
            "struct s { char a[sizeof((long)(p + 1))]; char b[sizeof(p + 1 < p)]; char c[sizeof(!(p + 1))];\n"
            "  char d[sizeof((p + 1) ? 1 : 2)]; char e[sizeof(p + 1, 1)]; char f[sizeof(-ev)];\n"
            "  char g[sizeof(!ev)]; char h[sizeof((long long)ev)]; char i[sizeof(ev == 1)];\n"
            "  char j[sizeof(1 ? ev : 0)]; char k[sizeof((void)v)]; char l[sizeof(1 ? v : v)]; };\n")
    errors, stderr = gcc("x86_64", text, tmp_path)
    assert not errors, stderr
    prog = lc.load(text, abis=["x86_64"], rules=False)
    assert [m.size for m in prog.layout("s")] == [8, 4, 4, 4, 4, 4, 4, 8, 4, 4, 1, 8]
    report = verify_program(prog)
    assert not report.mismatches and not report.missing


@pytest.mark.parametrize("text, size", [
    ("typedef int aint __attribute__((aligned(8)));\nextern aint x;\nextern __typeof__(x + 1) *p;\n"
     "struct s { char a[sizeof(p + 1) + sizeof(&p[1])]; };\n", 16),
    ("extern int v;\nextern __typeof__(__alignof__(v)) *p;\nstruct s { char a[sizeof(p - p) + sizeof(1 + p)]; };\n",
     16),
    ("struct t { long long b : 40; };\nextern struct t tt;\nextern __typeof__(tt.b + 0) *p;\n"
     "struct s { char a[sizeof(p + 1)]; };\n", 8),
])
def test_the_size_of_pointer_arithmetic_needs_no_more_of_its_target_than_gcc_does(text, size, tmp_path):
    """Where only the type of pointer arithmetic is read, what the pointer
    points at is judged complete or not, and nothing more: a typeof there
    that layoutcheck cannot type (an aligned operand, a variable's
    alignment, a 40-bit bit-field) refuses nothing GCC accepts."""
    errors, stderr = gcc("x86_64", text, tmp_path)
    assert not errors, stderr
    assert lc.layout(text, "s", "x86_64").size == size


def test_a_static_assert_on_a_type_defined_later_is_not_passed(tmp_path):
    header = tmp_path / "later.h"
    header.write_text("struct foo;\n_Static_assert(sizeof(struct foo) == 4, \"x\");\nstruct foo { int x; };\n")
    # GCC rejects the header: bad input (exit 2), not a verdict
    with pytest.raises(lc.LayoutError, match="incomplete type 'struct foo'") as info:
        lc.check([str(header)], abis=["x86_64"], rules=False)
    assert info.value.where.endswith("later.h:2:1")


# ------------------------------------------------------ 4. duplicate members
DUPLICATE_MEMBERS = [
    "struct s {\n  int a;\n  long b;\n  char @a;\n};\n",
    "union s {\n  int a;\n  int @a;\n};\n",
    "struct s {\n  int a, b, @a;\n};\n",
    # through an anonymous union, after the named one and before it
    "struct s {\n  int a;\n  union {\n    long b;\n    char @a;\n  };\n};\n",
    "struct s {\n  union {\n    long b;\n    char a;\n  };\n  int @a;\n};\n",
    # between two anonymous members, one nested
    ("struct s {\n  union {\n    long b;\n    struct { char a; };\n  };\n"
     "  struct {\n    int x;\n    int @a : 3;\n  };\n};\n"),
    "struct s {\n  int a;\n  const struct { int @a; };\n};\n",
]


@pytest.mark.parametrize("text", DUPLICATE_MEMBERS)
def test_duplicate_member_is_refused(text, tmp_path):
    assert_refused(text, "x86_64", "duplicate member 'a'", "duplicate member ‘a’", tmp_path)


SAME_NAMES_APART = """
struct s {
  struct { int a; } x;
  struct { int a; } y;
  struct { int b; };
  struct { int c : 3; int : 2; int : 3; };
  int a;
};
"""


def test_same_member_names_in_separate_scopes_are_allowed():
    s = lc.layout(SAME_NAMES_APART, "s", "x86_64")
    assert [m.path for m in s] == ["x", "x.a", "y", "y.a", "b", "c", "a"]
    gcc_agrees(SAME_NAMES_APART, "x86_64", ["s"])


# ------------------------------------------------------------ 5. enumerators
@pytest.mark.parametrize("text, gcc_message", [
    ("enum a { X };\nenum b { Y, @X };\n", "redeclaration of enumerator ‘X’"),
    ("enum { X, Y, @X };\n", "redeclaration of enumerator ‘X’"),
    # a struct member declaration is no scope for its enumerators
    ("struct t { enum { X } e; };\nenum { @X };\n", "redeclaration of enumerator ‘X’"),
    ("int X;\nenum { @X };\n", "redeclared as different kind of symbol"),
    ("enum { X };\ntypedef int @X;\n", "redeclared as different kind of symbol"),
    ("typedef int X;\nenum { @X };\n", "redeclared as different kind of symbol"),
])
def test_enumerator_declared_twice_is_refused(text, gcc_message, tmp_path):
    text += "struct s { int x; };\n"
    assert_refused(text, "x86_64", "", gcc_message, tmp_path)


PROTOTYPE_SCOPE = """
void f(enum { X = 5 } a);
enum { X = 2 };
struct s { char c[X]; };
"""


def test_enumerator_of_a_parameter_list_ends_with_it():
    # GCC only warns: the first X is not visible after the prototype
    assert lc.layout(PROTOTYPE_SCOPE, "s", "x86_64").size == 2
    gcc_agrees(PROTOTYPE_SCOPE, "x86_64", ["s"])


# ------------------------------------------------------------------ 6. enums
# The implicit value is the previous one + 1 in the previous one's type (int
# when it fits): past INT_MAX, UINT_MAX, LLONG_MAX or ULLONG_MAX GCC says
# "overflow in enumeration values".
OVERFLOWS = {
    "int": "A = 0x7fffffff,\n  @B",
    "unsigned": "A = 0xfffffffe,\n  B,\n  @C",
    "long long": "A = 0x7fffffffffffffffLL,\n  @B",
    "unsigned long long": "A = 0xffffffffffffffff,\n  @B",
}


@pytest.mark.parametrize("abi", ["x86_64", "i386", "m68k"])
@pytest.mark.parametrize("kind", sorted(OVERFLOWS))
def test_enumerator_overflow_is_refused(kind, abi, tmp_path):
    text = f"enum e {{\n  {OVERFLOWS[kind]}\n}};\nstruct s {{ enum e x; }};\n"
    assert_refused(text, abi, "overflow in enumeration values",
                   "overflow in enumeration values", tmp_path)


@pytest.mark.parametrize("abi, refused", [("i386", True), ("arm", True),
                                          ("x86_64", False), ("aarch64", False)])
def test_enumerator_overflow_follows_the_abi_long(abi, refused, tmp_path):
    # 0xffffffffL is an unsigned long of 32 bits on ILP32, a long on LP64
    text = "enum e {\n  A = 0xffffffffL,\n  @B\n};\nstruct s { enum e x; };\n"
    if refused:
        assert_refused(text, abi, "overflow in enumeration values",
                       "overflow in enumeration values", tmp_path)
    else:
        clean = text.replace("@", "")
        assert lc.layout(clean, "s", abi).size == 8
        gcc_agrees(clean, abi, ["s"])


NO_OVERFLOW = """
enum a { A0 = 0x7ffffffe, A1 };                 /* A1 is INT_MAX */
enum b { B0 = 0xfffffffe, B1, B2 = B1 + 1 };    /* an explicit value may wrap */
enum d { D0 = 0x7fffffffffffffff, D1 = D0 + 1 };   /* GCC only warns */
enum f { F0 = 0x100000000, F1 = F0 + 1, F2 };
struct s { enum a a; enum b b; enum d d; enum f f; char n[B2 + 1]; char m[F2 - F0]; };
"""


@pytest.mark.parametrize("abi", ["x86_64", "i386", "arm", "aarch64"])
def test_enumerators_next_to_overflow_are_laid_out_like_gcc(abi):
    s = lc.layout(NO_OVERFLOW, "s", abi)
    assert (s.member("a").size, s.member("b").size, s.member("d").size) == (4, 4, 8)
    assert (s.member("n").size, s.member("m").size) == (1, 2)
    gcc_agrees(NO_OVERFLOW, abi, ["s"])


# -1 and 0xffffffffffffffff need 65 bits.  No type has them (GCC's
# c_common_type_for_size has none between 64 and 128 bits), so GCC warns
# "enumeration values exceed range of largest integer" and makes the enum a
# signed long long: 8 bytes on every ABI.  While the enum is defined, B is
# an unsigned 2^64 - 1 (C below is 9).
WIDE_ENUM = """
enum e {
  A = -1,
  B = 0xffffffffffffffffULL,
  C = B < 0 ? 7 : 9
};
enum __attribute__((packed)) p { P0 = -1, P1 = 0xffffffffffffffffULL };
struct s {
  char c;
  enum e x;
  char during[C];
  char fits[A + 2];
  enum p y;
};
"""

LONG_LONG_FIELD_ALIGN = {"i386": 4, "m68k": 2, "sh4": 4}


@pytest.mark.parametrize("abi", [a.name for a in all_abis()])
def test_enum_wider_than_64_bits_is_a_long_long(abi, tmp_path):
    s = lc.layout(WIDE_ENUM, "s", abi)
    x = s.member("x")
    assert (x.offset, x.size) == (LONG_LONG_FIELD_ALIGN.get(abi, 8), 8)
    assert (s.member("during").size, s.member("fits").size, s.member("y").size) == (9, 1, 8)
    gcc_agrees(WIDE_ENUM, abi, ["s"])
    errors, stderr = gcc(abi, WIDE_ENUM, tmp_path)
    assert errors == [] and "enumeration values exceed range of largest integer" in stderr


# Once such an enum is complete, GCC converts B to long long with an
# overflow: an array sized with it is "variably modified" (an error, or a
# warning and a size GCC makes up).  The engine refuses any use of its value.
@pytest.mark.parametrize("abi, text", [
    ("x86_64", "enum e { A = -1, B = 0xffffffffffffffffULL };\n"
               "struct s { char a[@B < 0 ? 3 : 5]; };\n"),
    ("i386", "enum e { A = -1, B = 0xffffffffffffffffULL };\n"
             "struct s { char a[@B + 2]; };\n"),
    ("aarch64", "enum u65 { U = (unsigned __int128)1 << 64 };\n"
                "struct s { char a[@U + 1]; };\n"),
    ("x86_64", "enum u65 { U = (unsigned __int128)1 << 64 };\n"
               "struct s { char a[@U + 1]; };\n"),
])
def test_overflowed_enumerator_of_a_complete_wide_enum_is_refused(abi, text, tmp_path):
    clean, line, column = marked(text)
    with pytest.raises(LayoutError, match="overflows its enum's type long long") as info:
        lc.layout(clean, "s", abi)
    assert info.value.where == f"<input>:{line}:{column}"
    errors, stderr = gcc(abi, clean, tmp_path)
    assert "variably modified ‘a’" in stderr, stderr


# With __int128, exactly 128 bits is __int128; 65 to 127 bits still has no
# type and is a signed long long.
INT128_ENUMS = """
enum u65 { U = (unsigned __int128)1 << 64 };
enum s128 { S0 = -1, S1 = (__int128)1 << 126 };
enum u128 { V = (unsigned __int128)1 << 127 };
struct s {
  enum u65 a;
  enum s128 b;
  enum u128 c;
  char signed_u65[(enum u65)-1 < 0 ? 1 : 2];
  char signed_u128[(enum u128)-1 < 0 ? 1 : 2];
  char u_size[sizeof(U)];
};
"""


@pytest.mark.parametrize("abi", ["x86_64", "aarch64", "riscv64"])
def test_enums_of_65_to_128_bits(abi):
    s = lc.layout(INT128_ENUMS, "s", abi)
    assert [(m.path, m.size) for m in s] == [
        ("a", 8), ("b", 16), ("c", 16), ("signed_u65", 1), ("signed_u128", 2), ("u_size", 8)]
    gcc_agrees(INT128_ENUMS, abi, ["s"])


# ------------------------------------------------------- 7. float keywords
# _Float128 has other names that only some GCCs know: x86's __float128, and
# PowerPC's __ieee128 (which its __float128 macro expands to).  Where the
# ABI's GCC does not know a name (aarch64's __float128, although aarch64 has
# _Float128), the engine refuses it; where it does, GCC agrees with the
# layout.  (__float128 on aarch64 used to be laid out as _Float128.)
FLOAT128_TEXT = "struct s {{\n  char c;\n  {spelling} @f;\n  char n[sizeof({spelling}) + 1];\n}};\n"


@pytest.mark.parametrize("abi", [a.name for a in all_abis()])
@pytest.mark.parametrize("spelling", ["__float128", "__ieee128", "_Float128"])
def test_float128_names_where_gcc_knows_them(abi, spelling, tmp_path):
    text = FLOAT128_TEXT.format(spelling=spelling)
    clean, line, column = marked(text)
    errors, stderr = gcc(abi, clean, tmp_path)
    if errors:
        with pytest.raises(LayoutError) as info:
            lc.layout(clean, "s", abi)
        assert info.value.where == f"<input>:{line}:{column}", str(info.value)
        assert f"type '{spelling}' does not exist on ABI {abi}" in info.value.message
        assert errors[0][0] == line, stderr
    else:
        s = lc.layout(clean, "s", abi)
        assert s.size >= 2 * s.member("f").size
        gcc_agrees(clean, abi, ["s"])


# ------------------------------------------- 8. alignment, from a review
# Each used to be laid out where every GCC refuses it.
@pytest.mark.parametrize("text, message, gcc_message", [
    ("struct s {\n  int @fl[];\n};\n", "in a struct with no named members",
     "flexible array member in a struct with no named members"),
    ("struct s {\n  int :3;\n  int @fl[];\n};\n", "in a struct with no named members",
     "flexible array member in a struct with no named members"),
    ("struct s {\n  _Atomic long long @x:40;\n  char c;\n};\n", "has atomic type", "has atomic type"),
    ("typedef _Atomic int AI;\nstruct s {\n  AI @x:3;\n};\n", "has atomic type", "has atomic type"),
    ("struct s {\n  char c;\n  @_Alignas(8) int x:3;\n};\n", "alignment specified for bit-field",
     "alignment specified for bit-field"),
    ("typedef @_Alignas(8) int T8;\nstruct s {\n  T8 x;\n};\n", "alignment specified for typedef",
     "alignment specified for typedef"),
    ("struct s {\n  char c;\n  @_Alignas(1) int x;\n};\n", "cannot reduce alignment",
     "cannot reduce alignment"),
    ("typedef int I16 __attribute__((aligned(16)));\nstruct s {\n  char n;\n  I16 @y[];\n};\n",
     "alignment of array elements is greater than element size",
     "alignment of array elements is greater than element size"),
    ("typedef int I16 __attribute__((aligned(16)));\nstruct s {\n  char n;\n  I16 @y[0];\n};\n",
     "alignment of array elements is greater than element size",
     "alignment of array elements is greater than element size"),
])
@pytest.mark.parametrize("abi", ["x86_64", "i386", "m68k", "s390x"])
def test_what_gcc_refuses_about_alignment_and_flexible_arrays(text, message, gcc_message, abi, tmp_path):
    assert_refused(text, abi, message, gcc_message, tmp_path, gcc_same_column=False)


def test_aligned_on_a_typedef_of_an_array_of_unknown_size_as_a_flexible_member_is_refused():
    # GCC lays the member out without the typedef's alignment (size 1
    # where the alignment would make 8); no rule for it is modelled
    text = "typedef char CA[] __attribute__((aligned(8)));\nstruct s {\n  char n;\n  CA @y;\n};\n"
    clean, line, column = marked(text)
    with pytest.raises(LayoutError, match="flexible array member 'y'") as info:
        lc.layout(clean, "s", "x86_64")
    assert info.value.where == f"<input>:{line}:{column}"


# ------------------------------------------------- 9. a second review
# Each is held to every ABI's GCC: where it refuses the text the engine
# refuses it, where it accepts it the layouts agree.  (void's alignment
# asked through an aligned typedef was 8 where GCC answers 1; several
# _Alignas, and _Alignas(4) _Atomic long long on i386, were refused; the
# others were laid out where GCC refuses them.)
SECOND_REVIEW = {
    "void": "typedef void V8 __attribute__((aligned(8)));\n"
            "struct s { char a[__alignof__(V8)]; char b[_Alignof(V8)]; char c; _Alignas(V8) char x; };\n",
    "alignas-max": "struct s { char c; _Alignas(1) _Alignas(8) int x; _Alignas(8) _Alignas(1) int y; };\n",
    "alignas-atomic": "struct s { char c; _Alignas(4) _Atomic long long x; _Alignas(4) _Atomic double d; };\n",
    "alignas-fam": "struct s { int n; _Alignas(1) int fam[]; };\n",
    "atomic-typeof": "struct a { _Atomic int ai; };\n"
                     "struct s { char c; __typeof__(((struct a *)0)->ai) x : 3; };\n",
    "alignof-incomplete": "struct s { char a[_Alignof(int[])]; };\n",
    "alignas-incomplete": "struct t;\nstruct s { char c; _Alignas(struct t) char x; };\n",
    "float128-pointer": "struct s { char c; __float128 *p; __float128 (*f)(void); };\n",
    "ieee128-pointer": "struct s { char c; void (*f)(__ieee128 **); };\n",
    "int128-pointer": "struct s { char c; __int128 *p; };\n",
    "overaligned-pointee": "typedef int I8 __attribute__((aligned(8)));\nstruct s { I8 (*p)[]; };\n",
    "incomplete-pointee": "struct t;\nstruct s { struct t (*p)[3]; };\n",
    # a third review: an aligned typedef of one made before completion
    # (4, where the engine took the inner one's 8), members that declare
    # nothing (GCC warns and drops them), and what GCC refuses in arrays
    # and functions where the declarator stands
    "chain-before-completion": "typedef struct u T8 __attribute__((aligned(8)));\n"
                               "typedef T8 T4 __attribute__((aligned(4)));\n"
                               "struct u { char m0[3]; };\nstruct s { char c; T4 f; char d; };\n",
    "declares-nothing": "typedef struct { char x; } AN __attribute__((aligned(8)));\n"
                        "struct s { char a; int; AN; char z; };\n",
    "overaligned-record-pointee": "typedef struct t TS __attribute__((aligned(8)));\n"
                                  "struct t { char c[3]; };\nstruct s { char a; TS (*p)[1]; };\n",
    "incomplete-typedef-array": "struct t;\ntypedef struct t TA[2];\nstruct t { int i; };\n"
                                "struct s { TA a; };\n",
    "void-array": "typedef void TV[2];\nstruct s { int x; };\n",
    "function-array": "typedef int F(void);\ntypedef F FA[2];\nstruct s { int x; };\n",
    "function-returning-array": "struct s { int (*g)(void)[2]; };\n",
}


@pytest.mark.parametrize("case", sorted(SECOND_REVIEW))
def test_as_every_gcc_reads_it(case, tmp_path):
    text = SECOND_REVIEW[case]
    refused = 0
    for abi in all_abis():
        errors, stderr = gcc(abi.name, text, tmp_path)
        if errors:
            refused += 1
            with pytest.raises(LayoutError):
                lc.layout(text, "s", abi.name)
        else:
            gcc_agrees(text, abi.name, ["s"])
    # how many GCCs refuse it (pinned: the case is what its name says)
    assert refused == SECOND_REVIEW_REFUSED[case], (case, refused)


SECOND_REVIEW_REFUSED = {
    "void": 0, "alignas-max": 0, "alignas-atomic": 15, "alignas-fam": 18, "atomic-typeof": 18,
    "alignof-incomplete": 18, "alignas-incomplete": 18, "float128-pointer": 14, "ieee128-pointer": 17,
    "int128-pointer": 8, "overaligned-pointee": 18, "incomplete-pointee": 18,
    "chain-before-completion": 0, "declares-nothing": 0, "overaligned-record-pointee": 18,
    "incomplete-typedef-array": 18, "void-array": 18, "function-array": 18,
    "function-returning-array": 18,
}


# A definition's ';' left out: the error is GCC's, where GCC says it (the
# next declaration's first type specifier), not the definition's start.
MISSING_SEMICOLON = [
    ("struct s { int a; }\n@struct t { int b; };\n", "struct"),
    ("struct s { int a; } @int x;\n", "int"),
    ("struct s { int a; }\n@union u { int b; } v;\n", "union"),
    ("struct o { struct i { int a; } @struct j { int b; } k; };\n", "struct"),
    ("struct s { int a; }\ntypedef @int T;\n", "int"),
    ("enum e { A }\n@struct s { int a; };\n", "struct"),
    ("struct s { int a; }\n_Alignas(8) @int x;\n", "int"),
    ("struct s { int a; } const @unsigned long x;\n", "unsigned"),
]


@pytest.mark.parametrize("text, word", MISSING_SEMICOLON)
def test_a_definition_without_its_semicolon_is_refused_where_gcc_says(text, word, tmp_path):
    assert_refused(text, "x86_64", f"expected ';', identifier or '(' before '{word}'",
                   f"before ‘{word}’", tmp_path)


def test_what_follows_a_definition_otherwise_is_read():
    lay = lc.load("struct s { int a; } const volatile x;\n"
                  "struct s2 { struct s2 *p; } __attribute__((packed)) y, *z;\n", abis="x86_64",
                  cpp="none", rules=False)
    assert lay.layout("s2", "x86_64").size == 8 and lay.layout("s", "x86_64").size == 4


@pytest.mark.parametrize("text", ["typedef int A, @T = 3;\n",
                                  "struct q { int x; };\ntypedef struct q @T = {0};\n",
                                  "typedef int (*@T)(int) = 0;\n"])
def test_an_initialized_typedef_is_refused(text, tmp_path):
    """GCC refuses a typedef with an initializer; the engine used to drop
    the initializer and read the typedef."""
    assert_refused(text, "x86_64", "typedef 'T' is initialized", "is initialized", tmp_path,
                   gcc_same_column=False)


# A declarator followed by what cannot follow it: GCC's own message, at its
# line and column (quotes aside).
DECLARATOR_ENDS = [
    "struct s { int a @int b; };\n",
    "struct s { int a @= 3; };\n",
    "struct s { int a : 3 @b; };\n",
    "typedef int T @U;\n",
    "struct s { int a @3; };\n",
    'struct s { int a @"x"; };\n',
    "typedef int T __attribute__((aligned(8))) @U;\n",
    "struct s { int a __attribute__((aligned(8))) @= 1; };\n",
    "struct s { int a; } x @y;\n",
    "struct s {\n\tint a, b\n\t@long c;\n};\n",
    # an asm label names an object of file scope, never a member or parameter
    'struct s { int a @asm("x"); };\n',
    'struct s { int a __attribute__((aligned(4))) @asm("x") };\n',
    'typedef int (*F)(int x @asm("y"));\nstruct s { F f; };\n',
]


@pytest.mark.parametrize("text", DECLARATOR_ENDS)
def test_what_cannot_follow_a_declarator_is_said_in_gccs_words(text, tmp_path):
    clean, line, column = marked(text)
    with pytest.raises(LayoutError) as info:
        lc.layout(clean, "s", "x86_64")
    errors, stderr = gcc("x86_64", clean, tmp_path)
    first_line, first_column, first_message = errors[0]
    assert info.value.where == f"<input>:{line}:{column}", str(info.value)
    assert first_line == line, stderr
    assert info.value.message == first_message.replace("‘", "'").replace("’", "'"), stderr


# A parameter whose type no typedef names: GCC's "unknown type name", at
# the word (not a syntax error further on); alone, a word is a K&R name.
UNKNOWN_PARAMETER_TYPES = [
    "struct s { int (*f)(@u32 *p); };\n",
    "struct s { int (*f)(@u32 a[4]); };\n",
    "struct s { int (*f)(@u32 (*g)(int)); };\n",
    "struct s { int (*f)(const @u32 a); };\n",
    "struct s { void (*cb)(struct x *p, @u32 v); };\n",
    "typedef int (*F)(@u32 a, int b);\nstruct s { F f; };\n",
]


@pytest.mark.parametrize("text", UNKNOWN_PARAMETER_TYPES)
def test_an_unknown_parameter_type_is_named_where_gcc_names_it(text, tmp_path):
    assert_refused(text, "x86_64", "unknown type name 'u32'", "unknown type name", tmp_path)


def test_a_parameter_list_of_names_is_read():
    """Bare names, and a qualified name alone (an implicit int, which GCC
    12 only warns of), are parameters, not unknown types."""
    prog = lc.load("typedef int u32;\nstruct s { int (*f)(a, b); int (*g)(u32 *p, const u32 q, u32);\n"
                   "  int (*h)(const x, register y); };\n", abis="x86_64", cpp="none", rules=False)
    assert prog.layout("s", "x86_64").size == 24
