"""Every disagreement between the engine and GCC that the generator found.

Each test pins GCC's answer (read from the ABI's compiler when the test was
written) and, where the compiler is installed, asks it again.
"""

import os

import pytest

import layoutcheck as lc
from layoutcheck.abi import get_abi
from layoutcheck.oracle.gcc import ask_gcc, compare

from .conftest import need_compiler

pytestmark = [pytest.mark.oracle]


def _live(text, abi_name, struct):
    abi = get_abi(abi_name)
    need_compiler(abi)
    prog = lc.load(text, abis=[abi_name])
    lay = prog.layout(struct, abi_name)
    (answer,) = ask_gcc(abi, prog.oracle_source(), [lay])
    assert compare(lay, answer)[1] == []


# Generator seed 1: GCC rounds a straddling bitfield with the bit part of its
# position only.  On sh4 (BIGGEST_ALIGNMENT 4) a type aligned to 8 makes that
# rounding a no-op, so the bitfield stays at offset 4.
OVERALIGNED_BITFIELD = """
typedef unsigned short t8 __attribute__((aligned(8)));
struct over { int a; t8 b : 1; };
"""


def test_sh4_overaligned_bitfield_type_keeps_its_offset():
    sh4 = lc.layout(OVERALIGNED_BITFIELD, "over", "sh4")
    assert (sh4.member("b").offset, sh4.size, sh4.align) == (4, 8, 8)
    x86 = lc.layout(OVERALIGNED_BITFIELD, "over", "x86_64")
    assert (x86.member("b").offset, x86.size) == (8, 16)


@pytest.mark.parametrize("abi", ["sh4", "x86_64", "m68k"])
def test_sh4_overaligned_bitfield_live(abi):
    _live(OVERALIGNED_BITFIELD, abi, "over")


# Generator seed 5: in a packed struct every bitfield is packed, even one of
# type char, so it may straddle a byte boundary.
PACKED_CHAR_BITFIELD = """
struct __attribute__((packed)) pc { unsigned a : 7; unsigned char b : 6; };
struct plain { unsigned a : 7; unsigned char b : 6; };
"""


def test_packed_struct_char_bitfield_straddles():
    packed = lc.layout(PACKED_CHAR_BITFIELD, "pc", "x86_64").member("b")
    assert (packed.offset, packed.mask_hex) == (0, "801f")
    plain = lc.layout(PACKED_CHAR_BITFIELD, "plain", "x86_64").member("b")
    assert (plain.offset, plain.mask_hex) == (1, "3f")


@pytest.mark.parametrize("abi", ["x86_64", "ppc", "m68k"])
def test_packed_struct_char_bitfield_live(abi):
    _live(PACKED_CHAR_BITFIELD, abi, "pc")


# Generator seeds 27, 38, 142, 196: on i386 a struct holding only an _Atomic
# long long has DImode, and GCC caps it to 4-byte alignment as a member and
# in _Alignof, while the atomic member itself keeps 8.
ATOMIC_RECORD = """
struct a1 { _Atomic long long x; };
struct holder { char c; struct a1 a; };
struct b1 { char c; _Atomic long long x; };
"""


def test_i386_atomic_long_long_record_is_capped():
    prog = lc.load(ATOMIC_RECORD, abis=["i386"])
    a1 = prog.layout("a1", "i386")
    assert (a1.size, a1.align, a1.preferred_align) == (8, 4, 8)
    assert prog.layout("holder", "i386").member("a").offset == 4
    assert prog.layout("b1", "i386").member("x").offset == 8


@pytest.mark.parametrize("struct", ["a1", "holder", "b1"])
def test_i386_atomic_long_long_record_live(struct):
    _live(ATOMIC_RECORD, "i386", struct)


# Generator seed 1087: a 64-bit bitfield of a long long typedef aligned to 2
# on i386.  GCC gives the field the alignment of its DImode (8), then caps it
# to 4 with the i386 field rule: the cap follows the machine mode, and user
# alignment only exempts a member whose declaration inherits it, which a
# bitfield's does not.
LOWERED_TYPEDEF_BITFIELD = """
typedef long long ll2 __attribute__((aligned(2)));
union u { ll2 x : 64; };
struct s { int a; ll2 x : 64; };
"""


def test_i386_bitfield_of_lowered_long_long():
    prog = lc.load(LOWERED_TYPEDEF_BITFIELD, abis=["i386", "x86_64"])
    assert (prog.layout("u", "i386").size, prog.layout("u", "i386").align) == (8, 4)
    s = prog.layout("s", "i386")
    assert (s.member("x").offset, s.size, s.align) == (4, 12, 4)
    # x86_64 has no cap: the union keeps DImode's 8, the struct's bitfield
    # fits its 2-byte units right after a
    assert prog.layout("u", "x86_64").align == 8
    assert (prog.layout("s", "x86_64").member("x").offset, prog.layout("s", "x86_64").align) == (4, 4)


@pytest.mark.parametrize("abi", ["i386", "x86_64"])
@pytest.mark.parametrize("struct", ["u", "s"])
def test_i386_bitfield_of_lowered_long_long_live(abi, struct):
    _live(LOWERED_TYPEDEF_BITFIELD, abi, struct)


# Generator seed 3262: the i386 cap applies only to records GCC gives a
# scalar mode; a flexible array member (or any BLKmode member) keeps a
# record BLKmode, and its 8-byte alignment stands.
ATOMIC_WITH_FLEX = """
struct af { _Atomic long long a[0]; char c; int flex[]; };
struct an { _Atomic long long a[0]; char c; int n; };
"""


def test_i386_blkmode_record_keeps_its_alignment():
    prog = lc.load(ATOMIC_WITH_FLEX, abis=["i386"])
    assert (prog.layout("af", "i386").size, prog.layout("af", "i386").align) == (8, 8)
    assert (prog.layout("an", "i386").size, prog.layout("an", "i386").align) == (8, 4)


@pytest.mark.parametrize("struct", ["af", "an"])
def test_i386_blkmode_record_live(struct):
    _live(ATOMIC_WITH_FLEX, "i386", struct)


def test_package_function_is_not_shadowed_by_a_module():
    import layoutcheck.layouts  # noqa: F401  (importing submodules must not hide the API)

    assert callable(lc.layout) and callable(lc.load)


# An adversarial review: arithmetic on a bit-field has the type of its
# width, not its declared type (a 20-bit unsigned long long field promotes
# to int), and typeof and __alignof__ of a bit-field are errors.
BITFIELD_ARITHMETIC = """
struct T { unsigned long long c:20; unsigned long long d:32; long long e:32;
           unsigned long long g:64; _Bool b:1; unsigned u:32; enum { A, B } n:3; };
extern struct T t;
struct r {
    char s_c[sizeof(t.c + 0)];
    char s_d[sizeof(t.d + 0)];
    char s_e[sizeof(t.e + 0)];
    char s_g[sizeof(t.g + 0)];
    char s_b[sizeof(t.b + 0)];
    char s_u[sizeof(t.u + 0)];
    char s_n[sizeof(t.n + 0)];
    char s_neg[sizeof(-t.c)];
    char s_cond[sizeof(1 ? t.c : 0)];
    char s_shift[sizeof(t.c << 1)];
    char s_dl[sizeof(t.d + 0L)];
    char sign_d[(__typeof__(t.d + 0))-1 < 0 ? 1 : 2];
    char sign_e[(__typeof__(t.e + 0))-1 < 0 ? 1 : 2];
    __typeof__(t.c + 0) tc;
};
"""


@pytest.mark.parametrize("abi", ["x86_64", "i386", "ppc", "aarch64", "m68k"])
def test_arithmetic_on_a_bitfield_has_the_type_of_its_width(abi):
    lay = lc.layout(BITFIELD_ARITHMETIC, "r", abi)
    sizes = {m.path: m.size for m in lay}
    assert (sizes["s_c"], sizes["s_d"], sizes["s_g"], sizes["s_neg"], sizes["sign_d"],
            sizes["sign_e"], sizes["tc"]) == (4, 4, 8, 4, 2, 1, 4)
    _live(BITFIELD_ARITHMETIC, abi, "r")


@pytest.mark.parametrize("text, message", [
    ("struct T { unsigned long long f:40; }; extern struct T t;\n"
     "struct r { char a[sizeof(t.f + 0)]; };\n", "40-bit bit-field 'f'"),
    ("struct T { unsigned long long c:20; }; extern struct T t;\n"
     "struct r { __typeof__(t.c) x; };\n", "'typeof' applied to a bit-field"),
    ("struct T { unsigned long long c:20; }; extern struct T t;\n"
     "struct r { char a[__alignof__(t.c)]; };\n", "__alignof__ applied to a bit-field"),
])
def test_what_gcc_types_otherwise_or_refuses_on_a_bitfield_is_an_error(text, message):
    with pytest.raises(lc.LayoutError, match=message):
        lc.layout(text, "r", "x86_64")


# An adversarial review: floating constants folded as GCC folds them, in
# their own types' precision (a float is a float, (_Bool)0.5 is 1).
FLOATING = """
struct r {
  char b[1 + (_Bool)0.5];
  char f1[0.1f == 0.1 ? 1 : 2];
  char f2[(int)((float)16777217 - 16777215)];
  char f4[1.0f + 1e-8f == 1.0f ? 1 : 2];
  char f5[(double)(float)0.1 == 0.1 ? 1 : 2];
  char f6[(int)(1 ? 1 : 2.0) + (int)((1 ? 1 : 2.0) / 2 * 4)];
  char f7[(int)(0x1.8p3 / 3)];
  char f9[(int)1e-320 + 1];
  char f10[(int)(1e-40f * 1e30f) + 1];
  char f11[(int)-3.7 + 5];
  char f12[0.5L == 0.5 ? 3 : 4];
  char f13[(int)(0.1f * 3.0f * 10) + 1];
};
"""


@pytest.mark.parametrize("abi", ["x86_64", "i386", "arm", "aarch64", "ppc64le", "m68k", "s390x"])
def test_floating_constants_fold_in_their_types(abi):
    lay = lc.layout(FLOATING, "r", abi)
    assert [m.size for m in lay] == [2, 2, 1, 1, 2, 3, 4, 1, 1, 2, 3, 4]
    _live(FLOATING, abi, "r")


@pytest.mark.parametrize("text, abi, message", [
    ("struct r { char a[0.1L == 0.1 ? 1 : 2]; };", "x86_64", "long double value that is no double"),
    ("struct r { char a[(unsigned char)257.5]; };", "x86_64", "does not fit in 'unsigned char'"),
    ("struct r { char a[1e308 * 10 > 1e308]; };", "x86_64", "floating overflow"),
])
def test_what_gcc_folds_otherwise_or_refuses_in_floating_constants_is_an_error(text, abi, message):
    with pytest.raises(lc.LayoutError, match=message):
        lc.layout(text, "r", abi)


def test_a_long_double_as_wide_as_double_folds_as_double():
    assert lc.layout("struct r { char a[0.1L == 0.1 ? 1 : 2]; };", "r", "arm").size == 1
    _live("struct r { char a[0.1L == 0.1 ? 1 : 2]; };", "arm", "r")


# Signed overflow: GCC folds it with a warning where a constant is read (a
# bit-field width, __builtin_constant_p), but an array bound so made is
# variable-length, refused at file scope (even with -fwrapv).
OVERFLOW_FOLDED = """
struct s { char a[__builtin_constant_p(0x7fffffff + 1) + 1]; };
struct u { char a[sizeof(int[2]) + (0 && (0x7fffffff + 1))]; };
struct v { char a[1 ? 3 : 0x7fffffff + 1]; };
struct w { int a : (0x7fffffff + 1 < 0 ? 1 : 2); int b : 3; };
struct x { char a[((-2147483647 - 1) % -1) + 1]; };
struct y { char a[(-2147483647 - 1) / -1 ? 1 : 2]; };
"""


@pytest.mark.parametrize("struct, size", [("s", 2), ("u", 8), ("v", 3), ("w", 4), ("x", 1), ("y", 1)])
def test_a_signed_overflow_gcc_folds_is_folded(struct, size):
    assert lc.layout(OVERFLOW_FOLDED, struct, "x86_64").size == size
    _live(OVERFLOW_FOLDED, "x86_64", struct)


@pytest.mark.parametrize("bound", ["(0x7fffffff + 1) < 0 ? 1 : 2", "(-2147483647 - 1) / -1 < 0 ? 1 : 2",
                                   "-(-2147483647 - 1) < 0 ? 1 : 2", "(2147483647 * 2) < 0 ? 1 : 2",
                                   "(0x7fffffffffffffffL + 1) < 0 ? 1 : 2"])
def test_a_signed_overflow_in_an_array_size_is_an_error(bound):
    with pytest.raises(lc.LayoutError, match="integer overflow in an array size"):
        lc.layout(f"struct r {{ char a[{bound}]; }};", "r", "x86_64")


# Found on real kernel trees (linux/netfs.h, linux/sctp.h): an enum with a
# mode attribute, and __builtin_bswap16/32/64 in constant expressions.
ENUM_MODE_AND_BSWAP = """
enum e1 { A1, B1 } __attribute__((__mode__(byte)));
enum e2 { A2 = -1, B2 } __attribute__((mode(HI)));
enum e3 { A3, B3 = 200 } __attribute__((mode(QI)));
enum e4 { A4 } __attribute__((mode(word)));
enum e5 { A5 = 5 } __attribute__((mode(DI)));
enum { S16 = __builtin_bswap16(1), S32 = __builtin_bswap32(0x01020304) };
struct s {
    enum e1 a; enum e2 b; enum e3 c; enum e4 d; enum e5 e;
    char f[sizeof(A1) + (B3 > 0) + ((enum e3)-1 > 0) + ((enum e2)-1 < 0)];
    enum e1 g : 3;
    char h[(S16 >> 8) + (S32 & 0xff) + sizeof(__builtin_bswap16(1)) + sizeof(__builtin_bswap64(1))];
    char i[__builtin_types_compatible_p(__typeof__(__builtin_bswap64(1)), unsigned long) + 1];
    char j[(int)(__builtin_bswap64(1) >> 56) + (__builtin_bswap16(-1) > 0)];
};
"""


@pytest.mark.parametrize("abi", ["x86_64", "i386", "x32", "arm", "s390x", "m68k", "mips"])
def test_an_enum_mode_and_bswap_constants_as_gcc(abi):
    lay = lc.layout(ENUM_MODE_AND_BSWAP, "s", abi)
    assert lay.member("a").size == 1 and lay.member("c").size == 1 and lay.member("b").size == 2
    _live(ENUM_MODE_AND_BSWAP, abi, "s")


def test_an_enum_too_wide_for_its_mode_is_an_error():
    with pytest.raises(lc.LayoutError, match="specified mode too small"):
        lc.layout("enum e { A = 300 } __attribute__((mode(QI)));\nstruct s { enum e a; };", "s",
                  "x86_64")


# Where GCC keeps an overflow (the bound is variable-length, refused) and
# where it folds it away (the truth of an arithmetic ?: condition, '!'):
# pinned from GCC 12 and asked again where it is installed.
OVERFLOW_BOUNDS = [
    ("(0x7fffffff + 1) ? 1 : 2", True), ("(-2147483647 - 1) / -1 ? 1 : 2", True),
    ("(2147483647 * 2) ? 1 : 2", True), ("-(-2147483647 - 1) ? 1 : 2", True),
    ("!(0x7fffffff + 1) ? 1 : 2", True), ("(0x7fffffff + 1 ? 1 : 2) + 0", True),
    ("(-2147483647 - 1) / -1 < 0 ? 1 : 2", False), ("(-2147483647 - 1) / -1 + 1", False),
    ("(0x7fffffff + 1) == 0 ? 1 : 2", False), ("((0x7fffffff + 1) && 1) + 1", False),
    ("(1 ? (0x7fffffff + 1) : 0) ? 1 : 2", False), ("((0x7fffffff + 1), 1)", False),
]


@pytest.mark.parametrize("bound, constant", OVERFLOW_BOUNDS)
def test_an_overflow_in_an_array_size_as_gcc_keeps_or_folds_it(bound, constant, tmp_path):
    import subprocess

    from .conftest import need_c_compiler

    text = f"struct s {{ char a[{bound}]; }};\n"
    size = None
    if constant:
        size = lc.layout(text, "s", "x86_64").size
    else:
        with pytest.raises(lc.LayoutError, match="integer overflow in an array size|comma"):
            lc.layout(text, "s", "x86_64")
    need_c_compiler()
    src = tmp_path / "o.c"
    src.write_text(text + (f"_Static_assert(sizeof(struct s) == {size}, \"size\");\n" if size else ""))
    assert (subprocess.run(["gcc", "-fsyntax-only", str(src)], capture_output=True).returncode == 0) \
        == constant


# From a review: __alignof__ of a member is the member's own alignment
# (GCC's DECL_ALIGN_UNIT of the field), after aligned, packed, #pragma pack
# and the ABI's field rules (i386 aligns a double member to 4), not its
# type's.  Before, 218 of these 792 items differed from GCC.
ALIGNOF_MEMBER = """
struct d1 { char c; double d; long long l; };
struct s1 { char c; char d __attribute__((aligned(8))); _Alignas(double) char e;
            int f __attribute__((packed)); };
#pragma pack(2)
struct p { char c; int d; double e; };
#pragma pack()
union u { char c; long long l; double d __attribute__((aligned(16))); };
struct an { char c; union { short s; long long w; }; struct { char x; double y; } in; };
struct t {
  char a[__alignof__(((struct d1 *)0)->d)];
  char b[__alignof__(((struct d1 *)0)->l)];
  char c[__alignof__(((struct s1 *)0)->d)];
  char d[__alignof__(((struct s1 *)0)->e)];
  char e[__alignof__(((struct s1 *)0)->f)];
  char f[__alignof__(((struct p *)0)->d)];
  char g[__alignof__(((struct p *)0)->e)];
  char h[__alignof__(((union u *)0)->d)];
  char i[__alignof__(((union u *)0)->l)];
  char j[__alignof__(((struct an *)0)->w)];
  char k[__alignof__(((struct an *)0)->in.y)];
  char l[__alignof__(((struct an *)0)->in)];
  char n[__alignof__(((struct d1 *)0)->c)];
};
"""


def test_alignof_a_member_is_the_members_own_alignment_on_every_abi():
    from layoutcheck.oracle.verify import verify_program

    from .conftest import need_all_compilers

    need_all_compilers()
    prog = lc.load(ALIGNOF_MEMBER, abis=["all"])
    i386 = prog.layout("t", "i386")
    assert [i386.member(m).size for m in "abcdefghijkln"] == [4, 4, 8, 4, 1, 2, 2, 16, 4, 4, 4, 4, 1]
    x86 = prog.layout("t", "x86_64")
    assert [x86.member(m).size for m in "abcdefghijkln"] == [8, 8, 8, 8, 1, 2, 2, 16, 8, 8, 8, 8, 1]
    report = verify_program(prog)
    assert not report.mismatches


# _Alignof of an expression (a GNU extension; -Wpedantic warns) is GCC's
# c_alignof_expr, as __alignof__ of it is: a member's own alignment, else
# the type's (i386's double: 8, where _Alignof(double) is 4).  It used to
# be refused ("_Alignof needs a type name").
ALIGNOF_EXPRESSION = """
struct p { char c; int x __attribute__((aligned(16))); double d; long long ll; } __attribute__((packed));
struct q { char c; double d; long long ll; int arr[3]; };
struct t {
  char a[_Alignof(((struct p *)0)->x)];
  char b[_Alignof(((struct p *)0)->d)];
  char c[_Alignof(((struct q *)0)->d)];
  char d[_Alignof(((struct q *)0)->ll)];
  char e[_Alignof(*(double *)0)];
  char f[_Alignof(*(long long *)0)];
  char g[_Alignof(((struct q *)0)->arr[1])];
  char h[_Alignof 1.0];
  char i[_Alignof((long long)1)];
  char j[_Alignof(double)];
};
"""


def test_alignof_of_an_expression_as_gcc_reads_it_on_every_abi():
    from layoutcheck.oracle.verify import verify_program

    from .conftest import need_all_compilers

    need_all_compilers()
    prog = lc.load(ALIGNOF_EXPRESSION, abis=["all"])
    i386 = prog.layout("t", "i386")
    assert [i386.member(m).size for m in "abcdefghij"] == [16, 1, 4, 4, 8, 8, 4, 8, 8, 4]
    x86 = prog.layout("t", "x86_64")
    assert [x86.member(m).size for m in "abcdefghij"] == [16, 1, 8, 8, 8, 8, 4, 8, 8, 8]
    report = verify_program(prog)
    assert not report.mismatches


# GCC's sizeof of void (and of an expression of type void) is 1, as of a
# function, and _Alignof(void) is 1 (pedantic warnings); it used to be
# refused.  __alignof__ of a function type is FUNCTION_BOUNDARY (1 on x86,
# 2 on arm in Thumb mode and on m68k and sh4, 4 on aarch64, 8 on s390x):
# it used to be 1 everywhere, 4 of 6 items unlike GCC on 17 ABIs; it is
# refused now.
SIZEOF_VOID = """
typedef int F(void);
extern int main(void);
typedef void V;
struct s { char c; char f[sizeof(F)]; char g[sizeof(void)]; char h[sizeof(const V)];
  char i[_Alignof(void)]; char j[__alignof__(V)]; char k[sizeof(typeof(main))];
  char l[sizeof((void)0)]; char m[sizeof(main)]; };
"""


def test_sizeof_void_and_function_types_as_gcc_reads_them():
    from layoutcheck.oracle.verify import verify_program

    from .conftest import need_all_compilers

    need_all_compilers()
    prog = lc.load(SIZEOF_VOID, abis=["all"])
    assert [m.size for m in prog.layout("s", "s390x")] == [1] * 9
    report = verify_program(prog)
    assert not report.mismatches and report.total_items == 18 * 12  # 11 items and the member list


@pytest.mark.parametrize("spelling", ["__alignof__(F)", "_Alignof(F)", "__alignof__(typeof(main))",
                                      "__alignof__(*(F *)0)"])
def test_the_alignment_of_a_function_type_is_refused(spelling):
    text = f"typedef int F(void);\nextern int main(void);\nstruct s {{ char c; char d[{spelling}]; }};\n"
    for abi in ("x86_64", "arm", "s390x"):
        with pytest.raises(lc.LayoutError, match="alignment of a function type") as info:
            lc.layout(text, "s", abi)
        assert info.value.where == "<input>:3:27"


# Character constants as GCC 12 reads them: an octal or hex escape past a
# char's 8 bits is masked to them (GCC warns "out of range"; they were laid
# out unmasked: '\777' as 511, and a string's "\x100" stopped layoutcheck
# with an internal error); a multi-character constant is an int, each byte
# shifted in from the right, read as signed (it was refused).
CHAR_CONSTANTS = r"""
struct c {
  char a[('\777' & 0xffff) + 1];
  char b[('\x100' & 0xffff) + 1];
  char d[('\x1ff' & 0xffff) + 1];
  char e[('ab' & 0xffff) + 1];
  char f[('abcd' > 0) + 1];
  char g[('\xff\xff\xff\xff' < 0) + 1];
  char h[('\x80\x00\x00\x00' < 0) + 3];
  char i[sizeof('ab') + sizeof("\x100\777")];
  char j[('bcde' & 0xff) + 1];
  char k[(('\xff\x01' >> 8) & 0xffff) + 1];
  char l[('\xff' < 0) + 1];
};
"""


def test_character_constants_as_gcc_reads_them_on_every_abi():
    from layoutcheck.oracle.verify import verify_program

    from .conftest import need_all_compilers

    need_all_compilers()
    prog = lc.load(CHAR_CONSTANTS, abis=["all"])
    for abi, signed in (("x86_64", True), ("arm", False)):  # '\xff' is -1 where char is signed
        ff = 0xffff + 1 if signed else 0xff + 1
        sizes = [m.size for m in prog.layout("c", abi)]
        assert sizes == [ff, 1, ff, 0x6162 + 1, 2, 2, 4, 4 + 3, 0x65 + 1, 0xff + 1, 1 + signed]
    report = verify_program(prog)
    assert not report.mismatches and report.total_items == 18 * 14  # 13 items and the member list
    with pytest.raises(lc.LayoutError, match="no following hex digits"):
        lc.layout('struct z { char a[sizeof("\\x")]; };', "z", "x86_64")


# From a review: an 'aligned' typedef of a struct, union or enum declared
# but not yet defined is set again by GCC when the type is completed: the
# larger of the two alignments for a struct or union, the enum's own for
# an enum.  layoutcheck kept the typedef's (struct U was 5 bytes where GCC
# makes 8, on all 18 ABIs).  aligned(0) is dropped (with a warning), and
# _Alignas(0) has no effect; both were refused.
ALIGNED_BEFORE_COMPLETION = open(os.path.join(os.path.dirname(__file__), "data",
                                              "aligned-before-completion.h")).read()


def test_an_aligned_typedef_made_before_its_type_is_complete_on_every_abi():
    from layoutcheck.oracle.verify import verify_program

    from .conftest import need_all_compilers

    need_all_compilers()
    prog = lc.load(ALIGNED_BEFORE_COMPLETION, abis=["all"])
    u = prog.layout("U", "x86_64")
    assert (u.size, u.align, u.member("x").offset) == (8, 4, 4)
    w = prog.layout("W", "x86_64")
    assert (w.size, w.member("x").offset, w.member("a").size) == (12, 4, 4)
    q = prog.layout("Q", "x86_64")
    assert [m.offset for m in q] == [0, 8, 12, 16] and q.align == 8
    report = verify_program(prog)
    assert not report.mismatches and report.total_items == 18 * (62 + 13)  # and 13 member lists


# From a review: an __attribute__ among the specifiers of an anonymous
# struct or union member (no declarator) is dropped by GCC; _Alignas there,
# and attributes after its '}', stay.  The engine applied it: aligned(16)
# made 'e' 16 bytes in where GCC puts it at 4.
ANONYMOUS_MEMBER_ATTRIBUTES = open(os.path.join(os.path.dirname(__file__), "data",
                                                "anonymous-member-attributes.h")).read()


def test_attributes_of_an_anonymous_member_as_gcc_reads_them_on_every_abi():
    from layoutcheck.oracle.verify import verify_program

    from .conftest import need_all_compilers

    need_all_compilers()
    prog = lc.load(ANONYMOUS_MEMBER_ATTRIBUTES, abis=["all"])
    x86 = {name: prog.layout(name, "x86_64") for name in ("o1", "o4", "o6", "o7")}
    assert x86["o1"].member("e").offset == 4 and x86["o1"].align == 4
    assert x86["o4"].member("e").offset == 8
    assert x86["o6"].member("e").offset == 8 and x86["o7"].member("e").offset == 16
    report = verify_program(prog)
    assert not report.mismatches and report.total_items == 18 * 54


def test_the_gcc_oracle_reads_the_header_in_the_same_c_standard():
    """The preprocessor road reads a header in GCC's default standard
    (gnu17); the GCC oracle compiled it with -std=gnu11, so a header asking
    __STDC_VERSION__ disagreed with itself on every ABI (from a review)."""
    from layoutcheck.oracle.verify import verify_program

    from .conftest import need_all_compilers

    need_all_compilers()
    prog = lc.load("#define V __STDC_VERSION__\n#if V >= 201710L\nstruct sv { char a[17]; };\n"
                   "#else\nstruct sv { char a[11]; };\n#endif\n", abis=["all"])
    assert {lay.size for lay in prog.layouts(["sv"])} == {17}
    assert not verify_program(prog).mismatches


# From a review: a decimal constant too large for long long is signed, as
# GCC 12 types it (narrowest_signed_type goes on to __int128 where the ABI
# has it; elsewhere long long takes it wrapped, with no overflow marked), not
# unsigned long long.  Before, 82 of these 432 items differed from GCC.
LARGE_DECIMALS = """
struct i12 { char x[sizeof(9223372036854775808)]; };
struct i13 { char x[sizeof(18446744073709551615)]; };
struct j1 { int a : (-9223372036854775808 < 0) + 1; };
struct j6 { int a : (18446744073709551615 > 0) + 1; };
struct k1 { char x[sizeof(0x8000000000000000)]; };
struct k2 { char x[sizeof(9223372036854775807)]; };
struct a1 { char x[9223372036854775808 ? 1 : 2]; };
struct a2 { char x[(9223372036854775808 < 0) + 1]; };
"""


def test_a_decimal_too_large_for_long_long_is_typed_as_gcc_types_it():
    from layoutcheck.oracle.verify import verify_program

    from .conftest import need_all_compilers

    need_all_compilers()
    prog = lc.load(LARGE_DECIMALS, abis=["all"])
    assert prog.layout("i12", "x86_64").size == 16 and prog.layout("i12", "i386").size == 8
    assert prog.layout("a2", "x86_64").size == 1 and prog.layout("a2", "i386").size == 2
    assert not verify_program(prog).mismatches
    # negating the wrapped value overflows: GCC makes the array a VLA
    with pytest.raises(lc.LayoutError, match="integer overflow in an array size"):
        lc.layout("struct j0 { char x[(-9223372036854775808 < 0) + 1]; };", "j0", "i386")


# From a review: an enumerator's overflow is its own (GCC warns; an array
# sized by the enumerator or its enum is no VLA), and a left shift that
# overflows (or shifts a negative value) is an overflow as + - * are.
ENUM_AND_SHIFT_OVERFLOWS = """
enum e { U = 2147483647 + 1 };
struct d { char z[sizeof(enum e)]; char y[sizeof(U)]; char w[U ? 1 : 2]; };
enum f { F = 1 << 31, G = -1 << 3 };
struct s3 { char x[sizeof(enum f)]; int a : (-1 << 3) + 10; char y[sizeof(1 << 31)]; };
struct s5 { char x[(1u << 31) > 0 ? 1 : 2]; char z[(-1 >> 1) + 2]; };
"""


def test_enumerator_and_shift_overflows_as_gcc_reads_them():
    from layoutcheck.oracle.verify import verify_program

    from .conftest import need_all_compilers

    need_all_compilers()
    assert not verify_program(lc.load(ENUM_AND_SHIFT_OVERFLOWS, abis=["all"])).mismatches


@pytest.mark.parametrize("text, message", [
    ("struct s { char x[(1, 2, 3)]; };", "comma expression"),
    ("struct s { int a : (1, 2); };", "comma expression"),
    ("struct s { char x[(-1 << 3) + 10]; };", "integer overflow in an array size"),
    ("struct s { char x[1 << 31 < 0 ? 1 : 2]; };", "integer overflow in an array size"),
    ("struct s { char x[((unsigned char)255 << 24) < 0 ? 1 : 2]; };",
     "integer overflow in an array size"),
])
def test_what_gcc_refuses_in_a_constant_is_refused(text, message):
    """Each is an error to GCC 12 on x86_64 (variably modified, or a width
    that is no integer constant): no layout is made of it (from a review)."""
    with pytest.raises(lc.LayoutError, match=message):
        lc.layout(text, "s", "x86_64")


# From a review: a mode attribute on a defined enum type (not on the enum's
# own definition) makes an integer of the mode as signed as the enum, which
# its values decide on each ABI; it was read as signed, so (t)-1 > 0 was
# false in an array size (x was 2 bytes where GCC makes 1) and a decoded
# 0xff was -1 where the program reads 255.
MODE_ON_AN_ENUM_TYPE = """
enum e { A = 1 };
enum n { N = -1 };
enum w { W = sizeof(long) - 5 };
typedef enum e __attribute__((mode(QI))) t;
typedef enum n __attribute__((mode(QI))) tn;
typedef enum w __attribute__((mode(HI))) tw;
typedef t __attribute__((mode(HI))) t2;
struct s {
    char x[(t)-1 > 0 ? 1 : 2];
    enum e __attribute__((mode(HI))) b;
    char y[(tn)-1 > 0 ? 1 : 2];
    char z[(tw)-1 > 0 ? 1 : 3];
    char q[(t2)-1 > 0 ? 1 : 5];
    enum e __attribute__((mode(HI))) bf : 9;
    enum n __attribute__((mode(HI))) bn : 9;
    t a;
    tn c;
};
"""


def test_a_mode_on_an_enum_type_keeps_the_enums_signedness_on_every_abi():
    from layoutcheck import image
    from layoutcheck.oracle.gcc import ask_gcc_image
    from layoutcheck.oracle.verify import verify_program

    from .conftest import need_all_compilers

    need_all_compilers()
    prog = lc.load(MODE_ON_AN_ENUM_TYPE, abis=["all"])
    lay = prog.layout("s", "x86_64")
    assert [lay.member(m).size for m in ("x", "y", "z", "q")] == [1, 2, 1, 1]
    assert lay.member("b").type == "enum e __attribute__((mode(HI)))"
    report = verify_program(prog)
    assert not report.mismatches and report.total_items == 18 * 12
    for abi in ("x86_64", "ppc", "s390x", "m68k"):
        lay = prog.layout("s", abi)
        back = image.parse(lay, b"\xff" * lay.size)
        assert (back["a"], back["bf"], back["b"], back["c"], back["bn"]) == (255, 511, 65535, -1, -1)
        values = {"a": 200, "bf": 300, "c": -100, "bn": -200}
        built = image.build(lay, values)
        assert built == ask_gcc_image(lay.engine.abi, prog.oracle_source(), lay,
                                      image.c_initializer(lay, values))


def test_a_mode_on_an_enum_not_defined_yet_is_refused():
    with pytest.raises(lc.LayoutError, match=r"<input>:2:31: mode\(QI\) on enum 'e' before its definition"):
        lc.layout("enum e;\ntypedef enum e __attribute__((mode(QI))) t;\nenum e { A };\n"
                  "struct s { t a; };", "s", "x86_64")


# From a review: a struct named by a typedef that gives it another
# alignment was shown with the struct's alignment (pa6: 4 where
# _Alignof(pa6) is 16; pa7: 4 where it is 1); and verify --struct of a
# typedef of an untagged struct asked GCC about 'struct <anonymous>'.
TYPEDEF_ALIGNMENTS = """typedef struct { char c; int i; } pa6 __attribute__((aligned(16)));
typedef struct tps7 { char c; int i; } pa7 __attribute__((aligned(1)));
typedef struct tps8 { char c; int i; } pa8 __attribute__((aligned(4)));
typedef struct { char c; short s; } T;
typedef const struct tps7 cq;
"""


def test_a_typedef_that_changes_the_alignment_is_refused_and_one_that_keeps_it_is_verified():
    from layoutcheck.oracle.verify import verify_program

    from .conftest import need_all_compilers

    need_all_compilers()
    prog = lc.load(TYPEDEF_ALIGNMENTS, abis=["all"])
    for name, where, abi in (("pa6", "<input>:1:35", "x86_64"), ("pa7", "<input>:2:40", "arm"),
                             ("pa8", "<input>:3:40", "m68k")):
        with pytest.raises(lc.LayoutError, match=f"^{where}: typedef {name} gives struct .* the alignment"):
            prog.layout(name, abi)
    assert prog.layout("pa8", "x86_64").align == 4  # aligned(4) keeps x86_64's 4
    assert prog.layout("tps7", "x86_64").align == prog.layout("cq", "x86_64").align == 4
    report = verify_program(prog, structs=["T", "cq", "tps7"], with_cffi=True)
    assert not report.mismatches and report.total_items == 18 * 14 + 12  # and cffi on the host


def test_a_bit_field_of_a_mode_on_an_enum_is_held_to_the_enums_precision():
    """GCC refuses 'enum w __attribute__((mode(DI))) bf:40' (the width
    exceeds the enum's 32 bits, whatever the mode); it was laid out."""
    from layoutcheck.oracle.verify import verify_program

    from .conftest import need_all_compilers

    for text in ("enum w { W = 1 };\nstruct s { char c; enum w __attribute__((mode(DI))) bf:40; };",
                 "enum __attribute__((packed)) p { P = 1 };\n"
                 "struct s { char c; enum p __attribute__((mode(HI))) bf:12; };"):
        with pytest.raises(lc.LayoutError, match=r"<input>:2:53: width of 'bf' exceeds its type"):
            lc.layout(text, "s", "x86_64")
    need_all_compilers()
    prog = lc.load("enum w { W = 1 };\nenum big { B = 0x100000000ULL };\n"
                   "struct s { char c; enum w __attribute__((mode(DI))) bf:32; "
                   "enum big __attribute__((mode(DI))) b40:40; };", abis=["x86_64", "aarch64", "s390x"])
    report = verify_program(prog)
    assert not report.mismatches and report.total_items == 3 * 6


# Expressions GCC types in sizeof that used to be refused as not understood:
# a pointer declared with typeof dereferenced, or followed by '->'; the
# index written first ('1[p]' is 'p[1]'); calls through a pointer to a
# function, through '(*fp)', and a function designator dereferenced again.
TYPED_THROUGH = """
int *p;
extern __typeof__(p) q;
struct r { int a; long b; };
extern __typeof__(struct r *) rp;
typedef short (*fpt)(void);
fpt g;
enum e { E1 = 1 };
enum e (*fp)(void);
long (*lp)(void);
int f(void);
struct s { char c;
  char a[sizeof(*q)]; char b[sizeof(rp->b)]; char d[sizeof(1[p])]; char e[sizeof(2[rp])];
  char h[sizeof(0[rp].b)]; char i[sizeof(fp())]; char j[sizeof(g())]; char k[sizeof((*lp)())];
  char l[sizeof((**lp)())]; char m[sizeof((***f)())]; char n[sizeof(((long long (*)(void))0)())];
  char o[sizeof(*f)]; };
"""


def test_what_gcc_types_through_typeof_pointers_and_calls_is_typed():
    from layoutcheck.oracle.verify import verify_program

    from .conftest import need_all_compilers

    need_all_compilers()
    prog = lc.load(TYPED_THROUGH, abis=["all"])
    x86 = prog.layout("s", "x86_64")
    assert [m.size for m in x86] == [1, 4, 8, 4, 16, 8, 4, 2, 8, 8, 4, 8, 1]
    i386 = prog.layout("s", "i386")
    assert [m.size for m in i386] == [1, 4, 4, 4, 8, 4, 4, 2, 4, 4, 4, 8, 1]
    report = verify_program(prog)
    # each ABI: s's 13 members, size, alignment and member list; r's 2 and 3
    assert not report.mismatches and report.total_items == 18 * 21


@pytest.mark.parametrize("text, message", [
    ("int *p;\nstruct s { char x[sizeof(p())]; };\n", "called object 'p' is not a function"),
    ("int (**fpp)(void);\nstruct s { char x[sizeof(fpp())]; };\n", "called object 'fpp' is not a function"),
    ("int i;\nstruct s { char x[sizeof(1[i])]; };\n", "subscript of a non-array"),
    ("int i;\nstruct s { char x[sizeof((*i)())]; };\n", "dereference of a non-pointer"),
    ("struct inc *ip;\nstruct s { char x[sizeof(1[ip])]; };\n", "invalid use of undefined type 'struct inc'"),
    ("struct inc;\nstruct inc (*h)(void);\nstruct s { char x[sizeof((*h)())]; };\n",
     "sizeof of incomplete type 'struct inc'"),
    ("int (*fp)(void);\nstruct s { char x[(*fp)()]; };\n", "the value of a call is not a constant"),
])
def test_what_gcc_refuses_through_pointers_and_calls_is_an_error(text, message):
    with pytest.raises(lc.LayoutError) as info:
        lc.layout(text, "s", "x86_64")
    assert message in info.value.message
