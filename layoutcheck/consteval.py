"""Integer constant expressions, evaluated the way GCC folds them for an ABI.

Values carry their C type (width and signedness follow the ABI: ``1L << 40``
is fine on LP64 and wraps on ILP32), and pointer constants carry an address
so that the classic ``((size_t)&((T *)0)->m)`` offsetof works.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import TYPE_CHECKING, Optional, Tuple, Union

from . import expr as E
from .errors import LayoutError, where_of
from .model import (
    VOID,
    Aligned,
    Array,
    Call,
    CType,
    Enum,
    Function,
    ObjectRef,
    Pointer,
    Qualified,
    Record,
    Scalar,
    Typedef,
    TypeofExpr,
    TypesCompatible,
    Void,
    same_type,
    unqualified,
    is_va_list,
)
from .plain import Frozen

if TYPE_CHECKING:  # pragma: no cover
    from .engine import LayoutEngine

_RANK = {"_Bool": 0, "char": 1, "short": 2, "int": 3, "long": 4, "long long": 5, "__int128": 6}


def _err(msg: str, node) -> LayoutError:
    return LayoutError(msg, where_of(getattr(node, "coord", None)))


class NotEvaluated(LayoutError):
    """A value the compiler knows only from what the program does (the
    value of a variable, a call), or one GCC decides by a rule layoutcheck
    does not model.  Not a constant here, and never a guess: a static
    assert that needs one is reported as not evaluated."""


def _not_evaluated(msg: str, node) -> NotEvaluated:
    return NotEvaluated(msg, where_of(getattr(node, "coord", None)))


# __builtin_clz, __builtin_ctzl, __builtin_popcountll, ...: the operation and
# the integer kind of the argument.
BIT_BUILTIN = re.compile(r"__builtin_(clz|ctz|clrsb|ffs|popcount|parity)(l|ll)?$")
_BIT_BUILTIN_KIND = {None: "int", "l": "long", "ll": "long long"}
_ARITHMETIC = {"+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^"}

# The real floating types the usual arithmetic conversions rank.
_REAL_RANK = {"float": 0, "double": 1, "long double": 2}
_STANDARD_REALS = {"float", "double", "long double"}

# IEEE binary formats GCC folds float and double in: (precision, emin, emax).
_BINARY32 = (24, -126, 127)
_BINARY64 = (53, -1022, 1023)


def _higher_real(*kinds) -> str:
    """The real type the usual arithmetic conversions give operands of
    these kinds (an integer's kind, or None, counts for nothing)."""
    return max((k for k in kinds if isinstance(k, str)), key=_REAL_RANK.__getitem__)


def _round_binary(x: Fraction, fmt: Tuple[int, int, int]) -> Optional[Fraction]:
    """``x`` rounded to nearest (ties to even) in a binary format, with its
    subnormals; None when it overflows."""
    if x == 0:
        return x
    precision, emin, emax = fmt
    a = abs(x)
    e = a.numerator.bit_length() - a.denominator.bit_length()  # 2**(e-1) < a < 2**(e+1)
    if a < Fraction(2) ** e:
        e -= 1  # now 2**e <= a < 2**(e+1)
    quantum = Fraction(2) ** (max(e, emin) - precision + 1)
    n, rest = divmod(a, quantum)
    if rest * 2 > quantum or (rest * 2 == quantum and n % 2 == 1):
        n += 1
    r = n * quantum
    if r >= Fraction(2) ** (emax + 1):
        return None
    return r if x > 0 else -r

# c_common_type_for_size and c_common_type_for_mode: the standard integer
# type GCC picks for a width, in this order (plain char is never picked).
_TYPE_FOR_SIZE_ORDER = ("int", "char", "short", "long", "long long", "__int128")


class IntType(Frozen):
    kind: str  # a key of _RANK
    bits: int
    signed: bool

    _fields = ("kind", "bits", "signed")

    def __init__(self, kind: str, bits: int, signed: bool) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "bits", bits)
        object.__setattr__(self, "signed", signed)

    @property
    def rank(self) -> int:
        return _RANK[self.kind]

    def wrap(self, v: int) -> int:
        mask = (1 << self.bits) - 1
        v &= mask
        if self.signed and v >> (self.bits - 1):
            v -= 1 << self.bits
        return v

    def fits(self, v: int) -> bool:
        if self.signed:
            return -(1 << (self.bits - 1)) <= v < (1 << (self.bits - 1))
        return 0 <= v < (1 << self.bits)


class PtrVal(Frozen):
    address: int
    target: CType

    _fields = ("address", "target")

    def __init__(self, address: int, target: CType) -> None:
        object.__setattr__(self, "address", address)
        object.__setattr__(self, "target", target)


Value = Union[Tuple[int, IntType], PtrVal, Tuple[Fraction, str]]  # a real: exact, its kind


def _kind_and_tag(core) -> str:
    """"struct foo", "enum e", "union <anonymous>"."""
    return f"{core.kind if isinstance(core, Record) else 'enum'} {core.tag or '<anonymous>'}"


def _defined_after(core, seen: int) -> Optional[str]:
    """``_kind_and_tag`` of ``core`` when it is a struct, union or enum
    whose definition is completed after ``seen`` definitions, else None."""
    if isinstance(core, (Record, Enum)) and core.defined_at is not None and core.defined_at > seen:
        return _kind_and_tag(core)
    return None


class Evaluator:
    """Evaluates expressions for the ABI of one LayoutEngine."""

    def __init__(self, engine: "LayoutEngine"):
        self.engine = engine
        self.abi = engine._abi  # reads are the engine's facts (engine.FactView)
        self._types = {}
        self._overflowed = False  # a signed overflow since array_bound began

    # ------------------------------------------------------------- types
    def int_type(self, kind: str, signed: bool) -> IntType:
        key = (kind, signed)
        size = 1 if kind == "_Bool" else self.abi.scalar(kind).size  # a fact, read each time
        t = self._types.get(key)
        if t is None:
            t = IntType(kind, size * 8, signed)
            self._types[key] = t
        return t

    @property
    def int_t(self) -> IntType:
        return self.int_type("int", True)

    def size_t(self) -> IntType:
        name = self.abi.size_type
        kind = "long" if "long" in name else "int"
        return self.int_type(kind, False)

    def ctype_int(self, ctype: CType, node=None) -> Optional[IntType]:
        """The IntType of an integer C type, None for non-integers."""
        t = unqualified(ctype)
        if isinstance(t, TypeofExpr):
            t = unqualified(self.type_of(t.expr))
        if isinstance(t, Scalar) and t.is_integer:
            kind = self.engine.scalar_kind(t)
            signed = self._signedness(t)
            if signed is None:
                signed = self.abi.char_signed
            if kind == "_Bool":
                return self.int_type("_Bool", False)
            return self.int_type(kind, signed)
        if isinstance(t, Enum):
            kind, signed = self.engine.enum_underlying(t)
            return self.int_type(kind, signed)
        return None

    def scalar_for(self, it: IntType) -> Scalar:
        spelling = it.kind if it.signed else f"unsigned {it.kind}"
        if it.kind == "_Bool":
            spelling = "_Bool"
        return Scalar(it.kind, it.signed, spelling)

    # ------------------------------------------------------------ values
    def integer(self, node) -> int:
        """Evaluate to a Python int (pointer constants give their address)."""
        v = self.value(node)
        if isinstance(v, PtrVal):
            return v.address
        if isinstance(v[1], str):
            raise _err("floating constant where an integer is needed", node)
        return v[0]

    def value(self, node) -> Value:
        method = getattr(self, "_v_" + type(node).__name__, None)
        if method is None:
            raise _err(f"unsupported constant expression ({type(node).__name__})", node)
        return method(node)

    def _v_IntLit(self, n: E.IntLit):
        v = n.value
        if n.unsigned:
            cands = [("int", False), ("long", False), ("long long", False)]
        elif n.decimal:
            cands = [("int", True), ("long", True), ("long long", True)]
        else:
            cands = [("int", True), ("int", False), ("long", True), ("long", False),
                     ("long long", True), ("long long", False)]
        order = {"int": 0, "long": 1, "long long": 2}
        cands = [c for c in cands if order[c[0]] >= n.longs]
        for kind, signed in cands:
            t = self.int_type(kind, signed)
            if t.fits(v):
                return (v, t)
        if n.decimal and not n.unsigned and v < 1 << 128:
            # GCC's narrowest_signed_type goes on past long long to the
            # ABI's __int128; where there is none, or it is too narrow too,
            # the widest signed literal type takes the value wrapped (GCC
            # warns "so large that it is unsigned", but the type is signed,
            # and no overflow is marked: an array sized by it is no VLA)
            wide = self.int_type("__int128", True) if self.abi.has_scalar("__int128") \
                else self.int_type("long long", True)
            return (v if wide.fits(v) else wide.wrap(v), wide)
        t = self.int_type("long long", False)
        if t.fits(v):
            return (v, t)  # a hex or octal constant: unsigned long long
        raise _err("integer constant is too large", n)

    def _v_CharLit(self, n: E.CharLit):
        v = n.value
        if n.multi:
            return (v, self.int_t)  # an int already (GCC: "multi-character character constant")
        if self.abi.char_signed and v > 127:
            v -= 256
        return (v, self.int_t)

    def _v_FloatLit(self, n: E.FloatLit):
        exact = n.exact if n.exact is not None else Fraction(n.value)
        return (self._real(exact, n.kind, n), n.kind)

    def _real(self, x: Fraction, kind: str, node) -> Fraction:
        """``x`` as a value of a real type, as GCC folds it: float and double
        rounded to IEEE single and double; a long double as wide as double
        is double; a wider one (x87, binary128, IBM double-double) only
        where ``x`` is exactly a double, as no rounding to it is modelled."""
        if kind == "float":
            r = _round_binary(x, _BINARY32)
        elif kind == "double" or self.abi.scalar("long double").size == self.abi.scalar("double").size:
            r = _round_binary(x, _BINARY64)
        else:
            if _round_binary(x, _BINARY64) != x:
                raise _not_evaluated(f"a long double value that is no double ({float(x)!r}) "
                                     f"is not modelled for {self.abi.name}", node)
            r = x
        if r is None:
            raise _err(f"floating overflow in a constant expression ({kind})", node)
        return r

    def _v_StrLit(self, n: E.StrLit):
        raise _err("string literal where a constant is needed", n)

    def _v_EnumConst(self, n: E.EnumConst):
        return self.engine.enumerator_constant(n.enumerator, n)

    def defined_later(self, ctype, n) -> Optional[str]:
        """GCC judges a type complete where the expression (or ``typeof``)
        ``n`` stands, not at the end of the unit: "struct foo" when
        ``ctype`` is, or is an array of, a struct, union or enum defined
        after that point (incomplete there), else None."""
        if n.seen is None:
            return None
        return _defined_after(self._element_core(ctype), n.seen)

    def _element_core(self, ctype) -> CType:
        """The type itself (``_core``), through arrays to their elements."""
        core = self._core(ctype)
        while isinstance(core, Array):
            core = self._core(core.elem)
        return core

    def _complete_where_written(self, ctype, n, what: str) -> None:
        later = self.defined_later(ctype, n)
        if later is not None:
            raise _err(f"invalid application of '{what}' to incomplete type '{later}'"
                       f" (it is defined after this point)", n)

    def _member_of_complete(self, rtype, n) -> None:
        """A member named of a struct or union defined after the access
        ``n``, or pointer arithmetic on one."""
        later = self.defined_later(rtype, n)
        if later is not None:
            raise _err(f"invalid use of undefined type '{later}' (it is defined after this point)", n)

    def _typed_complete(self, target, n) -> None:
        """Where only the type of ``n`` is asked for (``sizeof(p + 1)``):
        what it reads through a pointer, or an operand's enum type, must be
        complete, there or at all.  A type that only the value would have
        worked out (a ``typeof`` of what is not modelled) is not asked
        for: the pointer's size needs none of it."""
        try:
            core = self._element_core(target)
        except LayoutError:
            return
        if isinstance(core, (Record, Enum)) and not core.complete:
            raise _err(f"invalid use of undefined type '{_kind_and_tag(core)}'", n)
        later = _defined_after(core, n.seen) if n.seen is not None else None
        if later is not None:
            raise _err(f"invalid use of undefined type '{later}' (it is defined after this point)", n)

    def _v_SizeofType(self, n: E.SizeofType):
        self._complete_where_written(n.type, n, "sizeof")
        return (self.engine.sizeof(n.type, n), self.size_t())

    def _v_SizeofExpr(self, n: E.SizeofExpr):
        if isinstance(n.operand, E.StrLit):
            return ((len(n.operand.data) + 1) * n.operand.width, self.size_t())
        if self._is_bitfield_ref(n.operand):
            raise _err("sizeof applied to a bit-field", n)
        operand = self.type_of(n.operand)
        self._complete_where_written(operand, n, "sizeof")
        return (self.engine.sizeof(operand, n), self.size_t())

    def _v_AlignofType(self, n: E.AlignofType):
        self._complete_where_written(n.type, n, "__alignof__" if n.gnu else "_Alignof")
        return (self.engine.alignof(n.type, gnu=n.gnu, node=n), self.size_t())

    def _v_AlignofExpr(self, n: E.AlignofExpr):
        if self._is_bitfield_ref(n.operand):
            raise _err(f"{'__alignof__' if n.gnu else '_Alignof'} applied to a bit-field", n)
        if isinstance(n.operand, ObjectRef):
            # GCC answers with the variable's own alignment, which its
            # attributes and the target's rules for data raise.
            raise _not_evaluated(f"the alignment of '{n.operand.name}' is the compiler's "
                                 f"choice for that variable", n)
        if isinstance(n.operand, E.MemberRef):
            # c_alignof_expr: a member's own alignment (DECL_ALIGN_UNIT),
            # which its attributes, packing and the ABI's field rules set,
            # not its type's
            return (self._placed_member(n.operand).align_bits // 8, self.size_t())
        # c_alignof: the type's own alignment (__alignof__'s), also when
        # it is spelt _Alignof
        operand = self.type_of(n.operand)
        self._complete_where_written(operand, n, "__alignof__" if n.gnu else "_Alignof")
        return (self.engine.alignof(operand, gnu=True, node=n), self.size_t())

    def _v_Offsetof(self, n: E.Offsetof):
        self._complete_where_written(n.type, n, "offsetof")
        return (self.engine.offsetof(n.type, n.steps, n, self), self.size_t())

    def _v_ObjectRef(self, n: ObjectRef):
        what = "function" if n.type and isinstance(unqualified(n.type), Function) else "variable"
        raise _not_evaluated(f"the value of {what} '{n.name}' is not a constant", n)

    def _v_TypesCompatible(self, n: TypesCompatible):
        return (1 if self.types_compatible(n.first, n.second, n) else 0, self.int_t)

    def _v_Call(self, n: Call):
        name = n.function.name if isinstance(n.function, ObjectRef) else None
        raise _not_evaluated(f"the value of a call to '{name}' is not a constant" if name
                             else "the value of a call is not a constant", n)

    def _v_Builtin(self, n: E.Builtin):
        if n.name == "__builtin_constant_p":
            # GCC folds it to 0 where the operand's value is the program's
            # (fold_builtin_constant_p at file scope), to 1 for a string
            # literal; an operand layoutcheck cannot read stays an error.
            if isinstance(n.args[0], E.StrLit):
                return (1, self.int_t)
            overflowed = self._overflowed  # GCC answers 1 for INT_MAX + 1, and no bound is made of it
            try:
                self.value(n.args[0])
                return (1, self.int_t)
            except NotEvaluated:
                return (0, self.int_t)
            finally:
                self._overflowed = overflowed
        if n.name == "__builtin_expect":
            long_t = self.int_type("long", True)
            return (long_t.wrap(self._int(n.args[0])[0]), long_t)
        if n.name == "__builtin_choose_expr":
            return self.value(n.args[1] if self._truth(n.args[0]) else n.args[2])
        if n.name.startswith("__builtin_bswap"):
            t = self._bswap_type(n.name)
            x = self._int(n.args[0])[0] & ((1 << t.bits) - 1)  # the argument as that type
            return (int.from_bytes(x.to_bytes(t.bits // 8, "little"), "big"), t)
        bits = BIT_BUILTIN.match(n.name)
        if bits is not None:
            return (self._bit_builtin(bits.group(1), bits.group(2), n), self.int_t)
        raise _err(f"unsupported builtin {n.name}", n)

    def _bswap_type(self, name: str) -> IntType:
        """GCC's uint16_t, uint32_t or uint64_t (unsigned long where long
        is 64 bits, else unsigned long long): what __builtin_bswapN takes
        and gives."""
        width = int(name[len("__builtin_bswap"):])
        if width == 16:
            return self.int_type("short", False)
        if width == 32:
            return self.int_type("int", False)
        return self.int_type("long" if self.int_type("long", False).bits == 64 else "long long", False)

    def _bit_builtin(self, op: str, suffix: Optional[str], n: E.Builtin) -> int:
        """__builtin_clz and its family, folded as GCC folds them."""
        signed = op in ("clrsb", "ffs")
        t = self.int_type(_BIT_BUILTIN_KIND[suffix], signed)
        x = t.wrap(self._int(n.args[0])[0])
        u = x & ((1 << t.bits) - 1)
        if op in ("clz", "ctz") and u == 0:
            # The target decides (CLZ_DEFINED_VALUE_AT_ZERO).
            raise _not_evaluated(f"{n.name}(0) is the target's choice", n)
        if op == "clz":
            return t.bits - u.bit_length()
        if op == "ctz":
            return (u & -u).bit_length() - 1
        if op == "ffs":
            return (u & -u).bit_length()
        if op == "popcount":
            return bin(u).count("1")
        if op == "parity":
            return bin(u).count("1") & 1
        # clrsb: leading bits equal to the sign bit, the sign bit excluded
        return t.bits - 1 - (u ^ ((1 << t.bits) - 1) if x < 0 else u).bit_length()

    def _v_Cast(self, n: E.Cast):
        target = unqualified(n.type)
        if isinstance(target, TypeofExpr):
            target = unqualified(self.type_of(target.expr))
        v = self.value(n.operand)
        if isinstance(target, Pointer):
            if isinstance(v, PtrVal):
                return PtrVal(v.address, target.target)
            if isinstance(v[1], str):
                raise _err("cast of a floating value to a pointer", n)
            return PtrVal(v[0] & ((1 << (self.abi.pointer_size * 8)) - 1), target.target)
        if target is VOID:
            return (0, self.int_t)
        it = self.ctype_int(target)
        if it is None:
            if isinstance(target, Scalar) and target.is_float:
                if target.kind not in _REAL_RANK or target.spelling != target.kind:
                    raise _not_evaluated(f"a constant of type '{target.spelling}' is not modelled", n)
                num = v.address if isinstance(v, PtrVal) else v[0]
                return (self._real(Fraction(num), target.kind, n), target.kind)
            raise _err("cast to a non-scalar type in a constant expression", n)
        if isinstance(v, PtrVal):
            num = v.address
        elif isinstance(v[1], str):
            if it.kind == "_Bool":
                return (1 if v[0] != 0 else 0, it)
            num = int(v[0])  # toward zero
            if it.wrap(num) != num:
                raise _err(f"the floating value {float(v[0])!r} does not fit in "
                           f"'{self.scalar_for(it).spelling}' (GCC's conversion overflows)", n)
        else:
            num = v[0]
        if it.kind == "_Bool":
            return (1 if num else 0, it)
        return (it.wrap(num), it)

    def promote(self, t: IntType) -> IntType:
        """The integer promotions."""
        if t.rank < _RANK["int"]:
            return self.int_t
        return t

    def common_type(self, a: IntType, b: IntType) -> IntType:
        """The usual arithmetic conversions."""
        a, b = self.promote(a), self.promote(b)
        if a.signed == b.signed:
            return a if a.rank >= b.rank else b
        u, s = (a, b) if not a.signed else (b, a)
        if u.rank >= s.rank:
            return u
        if s.bits > u.bits:
            return s
        return self.int_type(s.kind, False)

    def _int(self, node) -> Tuple[int, IntType]:
        v = self.value(node)
        if isinstance(v, PtrVal):
            return (v.address, self.int_type("long", False))
        if isinstance(v[1], str):
            raise _err("floating value in an integer constant expression", node)
        return v

    def _v_Unary(self, n: E.Unary):
        op = n.op
        if op == "&":
            addr, ctype = self.lvalue(n.operand)
            return PtrVal(addr, ctype)
        if op == "*":
            raise _err("dereference in a constant expression", n)
        if op == "!":
            v = self.value(n.operand)
            truth = v.address if isinstance(v, PtrVal) else v[0]
            return (0 if truth else 1, self.int_t)
        v = self.value(n.operand)
        if not isinstance(v, PtrVal) and isinstance(v[1], str):
            if op == "-":
                return (-v[0], v[1])
            if op == "+":
                return v
            raise _err(f"operator {op} on a floating value", n)
        val, t = self._int(n.operand)
        t = self.promote(t)
        if op == "-":
            return (self._signed_result(-t.wrap(val), t, n), t)
        if op == "+":
            return (t.wrap(val), t)
        if op == "~":
            return (t.wrap(~val), t)
        raise _err(f"operator {op}", n)

    def _v_Binary(self, n: E.Binary):
        op = n.op
        if op == "&&":
            return (1 if self._truth(n.left) and self._truth(n.right) else 0, self.int_t)
        if op == "||":
            return (1 if self._truth(n.left) or self._truth(n.right) else 0, self.int_t)
        if op == ",":
            # C's constant expressions hold no comma: GCC makes an array so
            # sized a VLA and refuses a bit-field width or an enumerator
            raise _err("a comma expression is not an integer constant", n)
        lv, rv = self.value(n.left), self.value(n.right)
        if isinstance(lv, PtrVal) or isinstance(rv, PtrVal):
            return self._pointer_arith(op, lv, rv, n)
        if isinstance(lv[1], str) or isinstance(rv[1], str):
            return self._float_arith(op, lv[0], rv[0], lv[1], rv[1], n)
        a, at = lv
        b, bt = rv
        if op in ("<<", ">>"):
            t = self.promote(at)
            if b < 0 or b >= t.bits:
                raise _err(f"shift count {b} out of range for a {t.bits}-bit type", n)
            if op == "<<":
                # a negative value shifted, or a signed result too wide: an
                # overflow to GCC (an array so sized is a VLA), as for + - *
                if t.signed and a < 0:
                    self._overflowed = True
                return (self._signed_result(a << b, t, n), t)
            return (t.wrap(a >> b), t)
        t = self.common_type(at, bt)
        a, b = t.wrap(a), t.wrap(b)
        if op == "+":
            return (self._signed_result(a + b, t, n), t)
        if op == "-":
            return (self._signed_result(a - b, t, n), t)
        if op == "*":
            return (self._signed_result(a * b, t, n), t)
        if op in ("/", "%"):
            if b == 0:
                raise _err("division by zero in a constant expression", n)
            q = abs(a) // abs(b)
            if (a < 0) != (b < 0):
                q = -q
            if op == "/":
                return (self._signed_result(q, t, n), t)
            return (t.wrap(a - q * b), t)  # INT_MIN % -1 is 0 to GCC
        if op == "&":
            return (t.wrap(a & b), t)
        if op == "|":
            return (t.wrap(a | b), t)
        if op == "^":
            return (t.wrap(a ^ b), t)
        cmp = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b, "==": a == b, "!=": a != b}
        if op in cmp:
            return (1 if cmp[op] else 0, self.int_t)
        raise _err(f"operator {op} in a constant expression", n)

    def _signed_result(self, v: int, t: IntType, n) -> int:
        """An arithmetic result in ``t``, wrapped.  A signed one that
        overflows is marked: GCC folds it with a warning where a constant is
        read (a bit-field width, an enumerator, a static assertion), but an
        array bound so made is variable-length (``array_bound``)."""
        if t.signed and not t.fits(v):
            self._overflowed = True
        return t.wrap(v)

    def array_bound(self, node) -> int:
        """``integer(node)`` for an array's size: a signed overflow in it is
        an error, as GCC refuses a variable-length array at file scope (even
        with -fwrapv)."""
        saved, self._overflowed = self._overflowed, False
        try:
            value = self.integer(node)
            if self._overflowed:
                raise _err("integer overflow in an array size is not modelled (GCC folds some "
                           "such sizes and makes others variable-length, which it refuses here)",
                           node)
            return value
        finally:
            self._overflowed = saved

    def _float_arith(self, op, a, b, at, bt, n):
        """A binary operator on reals (one operand may be an integer): both
        converted to the higher ranked real type, the exact result rounded
        to it; comparisons exact."""
        kind = _higher_real(at, bt)
        a, b = self._real(Fraction(a), kind, n), self._real(Fraction(b), kind, n)
        if op == "+":
            return (self._real(a + b, kind, n), kind)
        if op == "-":
            return (self._real(a - b, kind, n), kind)
        if op == "*":
            return (self._real(a * b, kind, n), kind)
        if op == "/":
            if b == 0:
                raise _err("division by zero", n)
            return (self._real(a / b, kind, n), kind)
        cmp = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b, "==": a == b, "!=": a != b}
        if op in cmp:
            return (1 if cmp[op] else 0, self.int_t)
        raise _err(f"operator {op} on floating values", n)

    def _step(self, target, n) -> int:
        """The size pointer arithmetic steps by, where ``n`` stands."""
        self._member_of_complete(target, n)
        return self.engine.sizeof(target, n)

    def _pointer_arith(self, op, lv, rv, n):
        if op in ("+", "-") and isinstance(lv, PtrVal) and not isinstance(rv, PtrVal):
            step = self._step(lv.target, n) if not isinstance(unqualified(lv.target), (type(VOID),)) else 1
            delta = rv[0] * step
            return PtrVal(lv.address + delta if op == "+" else lv.address - delta, lv.target)
        if op == "+" and isinstance(rv, PtrVal) and not isinstance(lv, PtrVal):
            step = self._step(rv.target, n)
            return PtrVal(rv.address + lv[0] * step, rv.target)
        if op == "-" and isinstance(lv, PtrVal) and isinstance(rv, PtrVal):
            step = self._step(lv.target, n) or 1
            return ((lv.address - rv.address) // step, self.ptrdiff_t())
        a = lv.address if isinstance(lv, PtrVal) else lv[0]
        b = rv.address if isinstance(rv, PtrVal) else rv[0]
        cmp = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b, "==": a == b, "!=": a != b}
        if op in cmp:
            return (1 if cmp[op] else 0, self.int_t)
        raise _err(f"operator {op} on pointer constants", n)

    def _truth(self, node) -> bool:
        v = self.value(node)
        return bool(v.address if isinstance(v, PtrVal) else v[0])

    def _v_Cond(self, n: E.Cond):
        overflowed = self._overflowed
        chosen = self._truth(n.cond)
        if isinstance(n.cond, E.Unary) or (isinstance(n.cond, E.Binary) and n.cond.op in _ARITHMETIC):
            # GCC's truth conversion of an arithmetic condition folds its
            # overflow away ('INT_MAX + 1 ? 1 : 2', '!(INT_MAX + 1) ? ...'
            # are constants to it; 'INT_MAX + 1 < 0 ? 1 : 2' is not)
            self._overflowed = overflowed
        if chosen:
            then = self.value(n.then)
            other_t = self.type_of(n.other)
        else:
            then = self.value(n.other)
            other_t = self.type_of(n.then)
        if isinstance(then, PtrVal):
            return then
        other_real = self._real_kind(self._rvalue(other_t), n)
        if isinstance(then[1], str) or other_real is not None:
            # the usual arithmetic conversions, to the higher ranked real
            kind = _higher_real(then[1], other_real)
            return (self._real(Fraction(then[0]), kind, n), kind)
        ot = self.ctype_int(other_t)
        if ot is None:
            return then
        t = self.common_type(then[1], ot)
        return (t.wrap(then[0]), t)

    def _v_MemberRef(self, n: E.MemberRef):
        raise _err("member access is not a constant", n)

    def _v_Index(self, n: E.Index):
        raise _err("array access is not a constant", n)

    # ----------------------------------------------------------- lvalues
    def lvalue(self, node) -> Tuple[int, CType]:
        """Address and type of an lvalue built from a null pointer constant."""
        if isinstance(node, E.MemberRef):
            if node.arrow:
                base = self.value(node.base)
                if not isinstance(base, PtrVal):
                    raise _err("'->' on a non-pointer", node)
                addr, rtype = base.address, base.target
            else:
                addr, rtype = self.lvalue(node.base)
            self._member_of_complete(rtype, node)
            off_bits, mtype, is_bf = self.engine.member_offset(rtype, node.name, node)
            if is_bf:
                raise _err("address of a bit-field", node)
            return addr + off_bits // 8, mtype
        if isinstance(node, E.Index):
            base_node, index_node, base_t = self._subscripted(node)
            idx = self._int(index_node)[0]
            if isinstance(base_t, Array):
                addr, _ = self.lvalue(base_node)
                elem = base_t.elem
            else:
                base = self.value(base_node)
                if not isinstance(base, PtrVal):
                    raise _err("subscript of a non-pointer", node)
                addr, elem = base.address, base.target
            return addr + idx * self._step(elem, node), elem
        if isinstance(node, E.Unary) and node.op == "*":
            base = self.value(node.operand)
            if not isinstance(base, PtrVal):
                raise _err("dereference of a non-pointer", node)
            return base.address, base.target
        if isinstance(node, ObjectRef):
            raise _not_evaluated(f"the address of '{node.name}' is known only once the "
                                 f"program is linked", node)
        raise _err("not an lvalue in a constant expression", node)

    def _is_bitfield_ref(self, node) -> bool:
        if isinstance(node, E.MemberRef):
            rtype = self._record_of(node)
            if rtype is not None:
                return self.engine.member_offset(rtype, node.name, node)[2]
        return False

    def _placed_member(self, node: E.MemberRef):
        """The placed field (engine.PlacedField) a member access names."""
        rtype = self._record_of(node)
        if rtype is None:
            raise _err("'->' on a non-pointer", node)
        return self.engine.member_field(rtype, node.name, node)[1]

    def _record_of(self, node: E.MemberRef):
        base_t = self._core(self.type_of(node.base))
        if node.arrow:
            if not isinstance(base_t, Pointer):
                return None
            base_t = base_t.target
        self._member_of_complete(base_t, node)
        return base_t

    # ------------------------------------------------------------- typing
    def type_of(self, node) -> CType:
        """The C type of an expression (not evaluated)."""
        if isinstance(node, E.EnumConst):
            return self.scalar_for(self.engine.enumerator_type(node.enumerator))
        if isinstance(node, (E.IntLit, E.CharLit, E.SizeofType, E.SizeofExpr,
                             E.AlignofType, E.AlignofExpr, E.Offsetof)):
            v = self.value(node)
            return self.scalar_for(v[1])
        if isinstance(node, E.FloatLit):
            return Scalar(node.kind, True, node.kind)
        if isinstance(node, E.StrLit):
            from .expr import IntLit
            return Array(Scalar("char", None, "char"), IntLit(len(node.data) + 1, False, 0, True))
        if isinstance(node, E.Cast):
            # build_c_cast: the main variant (no qualifiers, no alignment
            # variant, no typedef name)
            self._operands_typed(node.operand)
            return self._main_variant(node.type)
        if isinstance(node, E.MemberRef):
            rtype = self._record_of(node)
            if rtype is None:
                raise _err("'->' on a non-pointer", node)
            return self.engine.member_offset(rtype, node.name, node)[1]
        if isinstance(node, E.Index):
            base_t = self._subscripted(node)[2]
            if isinstance(base_t, (Array,)):
                return base_t.elem
            if isinstance(base_t, Pointer):
                self._typed_complete(base_t.target, node)
                return base_t.target
            raise _err("subscript of a non-array", node)
        if isinstance(node, E.Unary):
            if node.op == "&":
                return Pointer(self.type_of(node.operand))
            if node.op == "*":
                t = self._core(self.type_of(node.operand))
                if isinstance(t, Pointer):
                    return t.target
                if isinstance(t, Array):
                    return t.elem
                if isinstance(t, Function):  # a function designator is its address: '**fp'
                    return t
                raise _err("dereference of a non-pointer", node)
            if node.op == "!":
                self._operands_typed(node.operand)
                return self.scalar_for(self.int_t)
            t = self._operand_type(node.operand)
            it = self.ctype_int(t)
            return self.scalar_for(self.promote(it)) if it is not None else t
        if isinstance(node, E.Binary):
            return self._binary_type(node)
        if isinstance(node, E.Cond):
            return self._cond_type(node)
        if isinstance(node, E.Builtin):
            if node.name == "__builtin_expect":
                return self.scalar_for(self.int_type("long", True))
            if node.name == "__builtin_choose_expr":
                chosen = node.args[1] if self._truth(node.args[0]) else node.args[2]
                return self.type_of(chosen)
            if node.name.startswith("__builtin_bswap"):
                return self.scalar_for(self._bswap_type(node.name))
            return self.scalar_for(self.int_t)
        if isinstance(node, TypesCompatible):
            return self.scalar_for(self.int_t)
        if isinstance(node, ObjectRef):
            if node.type is None:
                raise _not_evaluated(node.unknown, node)
            return node.type
        if isinstance(node, Call):
            function = self._core(self.type_of(node.function))
            if isinstance(function, Pointer):  # a call through a pointer: 'fp()'
                function = self._core(function.target)
            if isinstance(function, Function):
                return function.ret
            raise _err("called object is not a function", node)
        raise _err(f"cannot type expression ({type(node).__name__})", node)

    def _operand_type(self, node) -> CType:
        """The type of an operand's value (``_rvalue``).  A bit-field's is
        GCC's type of its width: narrower than int, int (the promotions of
        any bit-field, ``unsigned long long x:20`` included); as wide as
        int, int or unsigned int by its declared type's sign; as wide as
        its declared type, that type.  A width between (``long long
        x:40``) is an integer type of its own, not modelled."""
        if not isinstance(node, E.MemberRef):
            t = self.type_of(node)
            if isinstance(node, ObjectRef):
                self._value_complete(node, t)
            return self._rvalue(t)
        placed = self._placed_member(node)
        if not placed.is_bitfield:
            return self._rvalue(placed.member.type)
        declared = self.ctype_int(placed.member.type)
        width = placed.bit_size
        if declared is None or declared.kind == "_Bool":
            return self._rvalue(placed.member.type)
        if width < self.int_t.bits:
            return self.scalar_for(self.int_t)
        if width == self.int_t.bits:
            return self.scalar_for(self.int_type("int", declared.signed))
        if width == declared.bits:
            return self.scalar_for(declared)
        raise _not_evaluated(f"the type of the {width}-bit bit-field '{node.name}' in an "
                             f"expression (an integer type of that width) is not modelled", node)

    def _subscripted(self, node: E.Index) -> Tuple[object, object, CType]:
        """The array or pointer operand of ``a[i]``, the index operand, and
        the first one's type (typedefs, qualifiers and typeof looked
        through): C lets either operand be the pointer ('1[p]' is 'p[1]')."""
        base_t = self._core(self.type_of(node.base))
        if isinstance(base_t, (Array, Pointer)):
            return node.base, node.index, base_t
        index_t = self._core(self.type_of(node.index))
        if isinstance(index_t, (Array, Pointer)) and self.ctype_int(base_t) is not None:
            return node.index, node.base, index_t
        return node.base, node.index, base_t

    def _operands_typed(self, *operands) -> None:
        """Operands whose types GCC checks where the result's type does not
        depend on them (a cast's, a comparison's, a condition, '!''s, the
        left of ','), also where nothing is computed: pointer arithmetic on
        an incomplete type, the value of a variable of one.  A type that is
        not modelled is not checked."""
        for operand in operands:
            try:
                self._operand_type(operand)
            except NotEvaluated:
                pass

    def _value_complete(self, node: ObjectRef, t: CType) -> None:
        """GCC's "'x' has an incomplete type": the value of a variable whose
        struct, union or enum type is incomplete where it is read."""
        core = self._core(t)
        if isinstance(core, (Record, Enum)) and (
                not core.complete or node.seen is not None and _defined_after(core, node.seen)):
            raise _err(f"'{node.name}' has an incomplete type '{_kind_and_tag(core)}'", node)

    def _core(self, t: CType) -> CType:
        """The type itself: typedefs, qualifiers and typeof looked through."""
        t = unqualified(t)
        while isinstance(t, TypeofExpr):
            t = unqualified(self.type_of(t.expr))
        return t

    def _rvalue(self, t: CType) -> CType:
        """The type of an operand's value (convert_lvalue_to_rvalue):
        arrays and functions become pointers, and qualifiers go (an
        alignment variant stays)."""
        core = self._core(t)
        if isinstance(core, Array):
            return Pointer(core.elem)
        if isinstance(core, Function):
            return Pointer(t)
        quals, _ = self._peel_quals(t)
        if not quals:
            return t
        aligns = []  # outermost first
        while True:
            if isinstance(t, Typedef):
                t = t.target
            elif isinstance(t, Qualified):
                t = t.base
            elif isinstance(t, Aligned):
                aligns.append(t)
                t = t.base
            elif isinstance(t, TypeofExpr):
                t = self.type_of(t.expr)
            else:
                break
        for variant in reversed(aligns):
            t = Aligned(t, variant.align, variant.coord, variant.before_completion, variant.earlier)
        return t

    def ptrdiff_t(self) -> IntType:
        return self.int_type("long" if "long" in self.abi.ptrdiff_type else "int", True)

    def _binary_type(self, node: E.Binary) -> CType:
        op = node.op
        if op in ("&&", "||", "<", ">", "<=", ">=", "==", "!="):
            self._operands_typed(node.left, node.right)
            return self.scalar_for(self.int_t)
        if op == ",":
            self._operands_typed(node.left)
            if self._is_bitfield_ref(node.right):
                raise _not_evaluated("the type of a bit-field after ',' (a type of its "
                                     "width) is not modelled", node)
            return self._rvalue(self.type_of(node.right))
        lt = self._operand_type(node.left)
        rt = self._operand_type(node.right)
        lc, rc = self._core(lt), self._core(rt)
        lp, rp = isinstance(lc, Pointer), isinstance(rc, Pointer)
        # an operand whose type is incomplete where the expression stands (an
        # enum defined later), and pointer arithmetic on one, are GCC errors
        # also where nothing is computed (sizeof(p + 1))
        for core in (lc, rc):
            self._typed_complete(core.target if isinstance(core, Pointer) and op in ("+", "-")
                                 else core, node)
        if op in ("+", "-") and (lp or rp):
            if lp and rp:
                if op == "-":
                    return self.scalar_for(self.ptrdiff_t())
            elif lp and self.ctype_int(rt) is not None:
                return lt
            elif rp and op == "+" and self.ctype_int(lt) is not None:
                return rt
            raise _err(f"invalid operands to binary {op}", node)
        if op in ("<<", ">>"):
            li = self.ctype_int(lt)
            if li is None or self.ctype_int(rt) is None:
                raise _err(f"invalid operands to binary {op}", node)
            return self.scalar_for(self.promote(li))
        return self._arithmetic_type(lt, rt, node)

    def _arithmetic_type(self, lt: CType, rt: CType, node) -> CType:
        """The usual arithmetic conversions."""
        if _has_alignment_variant(lt) or _has_alignment_variant(rt):
            # GCC's c_common_type returns an operand's own type, alignment
            # variant and all, in some cases and the plain type in others.
            raise _not_evaluated("the type of arithmetic on a type with an aligned "
                                 "attribute is not modelled", node)
        li, ri = self.ctype_int(lt), self.ctype_int(rt)
        if li is not None and ri is not None:
            return self.scalar_for(self.common_type(li, ri))
        lf, rf = self._real_kind(lt, node), self._real_kind(rt, node)
        if (lf or li) and (rf or ri):
            kinds = [k for k in (lf, rf) if k]
            kind = max(kinds, key=_REAL_RANK.__getitem__)
            return Scalar(kind, True, kind)
        raise _err(f"invalid operands to binary {getattr(node, 'op', '?:')}", node)

    def _real_kind(self, t: CType, node) -> Optional[str]:
        """float, double or long double; None for other types."""
        core = self._core(t)
        if not (isinstance(core, Scalar) and core.is_float):
            return None
        if core.kind not in _REAL_RANK or core.spelling != core.kind:
            raise _not_evaluated(f"arithmetic on '{core.spelling}' is not modelled", node)
        return core.kind

    def _cond_type(self, node: E.Cond) -> CType:
        """The type of ``c ? a : b`` (C11 6.5.15)."""
        self._operands_typed(node.cond)
        then = self._operand_type(node.then)
        other = self._operand_type(node.other)
        tc, oc = self._core(then), self._core(other)
        if isinstance(tc, (Scalar, Enum)) and isinstance(oc, (Scalar, Enum)):
            return self._arithmetic_type(then, other, node)
        if isinstance(tc, Pointer) and self._null_pointer_constant(node.other):
            return then
        if isinstance(oc, Pointer) and self._null_pointer_constant(node.then):
            return other
        if tc is oc:  # one struct, union or void
            return then
        if isinstance(tc, Pointer) and isinstance(oc, Pointer) and same_type(tc, oc):
            return then
        raise _not_evaluated("the type of this conditional expression is not modelled", node)

    def _null_pointer_constant(self, node) -> bool:
        """An integer constant 0, or one cast to void *."""
        if isinstance(node, E.Cast):
            target = self._core(node.type)
            if not (isinstance(target, Pointer) and self._core(target.target) is VOID):
                return False
            node = node.operand
        if self.ctype_int(self.type_of(node)) is None:
            return False
        try:
            return self.integer(node) == 0
        except LayoutError:
            return False

    # ------------------------------------------------------ compatibility
    def types_compatible(self, a: CType, b: CType, node) -> bool:
        """``__builtin_types_compatible_p``: GCC's comptypes on the main
        variants (top-level qualifiers dropped, down through arrays)."""
        return self._comptypes(self._main_variant(a), self._main_variant(b), node)

    def _resolve(self, t: CType) -> CType:
        """Typedef names, alignment variants and typeof are transparent to
        type identity (GCC's TYPE_MAIN_VARIANT ignores them)."""
        while True:
            if isinstance(t, (Typedef,)):
                t = t.target
            elif isinstance(t, Aligned):
                t = t.base
            elif isinstance(t, TypeofExpr):
                t = self.type_of(t.expr)
            else:
                return t

    def _peel_quals(self, t: CType) -> Tuple[frozenset, CType]:
        quals: set = set()
        t = self._resolve(t)
        while isinstance(t, Qualified):
            quals.update(t.quals)
            t = self._resolve(t.base)
        return frozenset(quals), t

    def _main_variant(self, t: CType) -> CType:
        """The type without qualifiers; an array's qualifiers are its
        elements', so they go too."""
        _, core = self._peel_quals(t)
        if isinstance(core, Array):
            return Array(self._main_variant(core.elem), core.dim, core.coord)
        return core

    def _comptypes(self, a: CType, b: CType, node) -> bool:
        qa, ca = self._peel_quals(a)
        qb, cb = self._peel_quals(b)
        # An enum is compatible with the integer type of its size (not
        # with another enum, nor with plain char).
        if isinstance(ca, Enum) and not isinstance(cb, Enum):
            ca = self._int_for_enum(ca, node)
        elif isinstance(cb, Enum) and not isinstance(ca, Enum):
            cb = self._int_for_enum(cb, node)
        if qa != qb:
            return False
        if ca is cb:
            return True
        for x, y in ((ca, cb), (cb, ca)):
            if is_va_list(x) and isinstance(y, Pointer) and self._byte_pointer(y):
                # char * on i386 and ppc64, void * on mips, a struct or an
                # array of one elsewhere.
                raise _not_evaluated(f"whether __builtin_va_list is '{_describe(y)}' is not "
                                     f"modelled", node)
        if isinstance(ca, Scalar) and isinstance(cb, Scalar):
            return self._same_arithmetic(ca, cb, node)
        if type(ca) is not type(cb):
            return False
        if isinstance(ca, Pointer):
            return self._comptypes(ca.target, cb.target, node)
        if isinstance(ca, Array):
            if not self._comptypes(ca.elem, cb.elem, node):
                return False
            if ca.dim is None or cb.dim is None:
                return True
            return self.integer(ca.dim) == self.integer(cb.dim)
        if isinstance(ca, Function):
            return self._functions_compatible(ca, cb, node)
        if isinstance(ca, (Record, Enum, Void)):
            return False  # one type is one object in a translation unit
        raise _not_evaluated(f"compatibility of '{_describe(ca)}' and '{_describe(cb)}' "
                             f"is not modelled", node)

    def _byte_pointer(self, p: Pointer) -> bool:
        """A pointer to unqualified char, signed or unsigned, or void."""
        quals, target = self._peel_quals(p.target)
        return not quals and (target is VOID or isinstance(target, Scalar)
                              and target.kind == "char" and not target.from_mode)

    def _integer_kind(self, s: Scalar) -> str:
        """The standard integer type a scalar is: a mode attribute's type is
        the first one of that width (c_common_type_for_mode)."""
        if not s.from_mode:
            return s.kind
        bits = self.int_type(self.engine.scalar_kind(s), True).bits
        for kind in _TYPE_FOR_SIZE_ORDER:
            if self.abi.has_scalar(kind) and self.abi.scalar(kind).size * 8 == bits:
                return kind
        return s.kind

    def _int_for_enum(self, e: Enum, node) -> Scalar:
        """c_common_type_for_size of an enum's underlying type."""
        kind, signed = self.engine.enum_underlying(e)
        bits = self.int_type(kind, signed).bits
        for candidate in _TYPE_FOR_SIZE_ORDER:
            if self.abi.has_scalar(candidate) and self.abi.scalar(candidate).size * 8 == bits:
                return Scalar(candidate, signed, candidate)
        raise _not_evaluated(f"no integer type of {bits} bits for '{_describe(e)}'", node)

    def _same_arithmetic(self, a: Scalar, b: Scalar, node) -> bool:
        if is_va_list(a) or is_va_list(b):
            return is_va_list(a) and is_va_list(b)
        if a.is_integer or b.is_integer:
            if not (a.is_integer and b.is_integer):
                return False
            if a.signed_as is not None or b.signed_as is not None:
                # each mode attribute on an enum makes a type of its own
                raise _not_evaluated(f"compatibility of '{a.spelling}' and '{b.spelling}' "
                                     f"is not modelled", node)
            return ((self._integer_kind(a), self._signedness(a))
                    == (self._integer_kind(b), self._signedness(b)))
        if a.kind != b.kind:
            return False
        if a.spelling == b.spelling:
            return True
        # _Float64 is not double (nor _Float32 float); whether __float128
        # is _Float128 depends on the target and the GCC version.
        if {a.spelling, b.spelling} & _STANDARD_REALS and not all(
                x in _STANDARD_REALS for x in (a.spelling, b.spelling)):
            return False
        raise _not_evaluated(f"whether '{a.spelling}' and '{b.spelling}' are one type "
                             f"is not modelled", node)

    def _signedness(self, s: Scalar) -> Optional[bool]:
        """True, False, or None for plain char; a mode attribute on plain
        char picks signed or unsigned char as the ABI's char is."""
        if s.signed_as is not None:
            return self.engine.enum_underlying(s.signed_as)[1]
        if s.signed is None and s.from_mode:
            return self.abi.char_signed
        return s.signed

    def _functions_compatible(self, a: Function, b: Function, node) -> bool:
        """function_types_compatible_p, for prototypes."""
        qa, ra = self._peel_quals(a.ret)
        qb, rb = self._peel_quals(b.ret)
        if qa != qb:
            raise _not_evaluated("function return types that differ in qualifiers", node)
        if not self._comptypes(ra, rb, node):
            return False
        if a.params is None or b.params is None:
            # An unprototyped f() matches a prototype whose parameters
            # the default argument promotions leave alone, without '...'.
            proto = b if a.params is None else a
            if proto.params is None:
                return True
            return not proto.variadic and not any(
                self._promotes(self._parameter(p)) for p in proto.params)
        if a.variadic != b.variadic or len(a.params) != len(b.params):
            return False
        for pa, pb in zip(a.params, b.params, strict=True):
            pa, pb = self._parameter(pa), self._parameter(pb)
            if not self._comptypes(pa, pb, node):
                if isinstance(pa, Record) and pa.kind == "union" \
                        or isinstance(pb, Record) and pb.kind == "union":
                    raise _not_evaluated("a union parameter (it may be a transparent union)",
                                         node)
                return False
        return True

    def _promotes(self, t: CType) -> bool:
        """The default argument promotions change ``t`` (float, and the
        integer types narrower than int)."""
        core = self._core(t)
        if isinstance(core, Scalar) and core.is_float:
            return core.kind == "float" and core.spelling == "float"
        it = self.ctype_int(core)
        return it is not None and it.rank < _RANK["int"]

    def _parameter(self, t: CType) -> CType:
        """A parameter as the function type has it: unqualified (but
        _Atomic), arrays and functions as pointers."""
        quals, core = self._peel_quals(t)
        if isinstance(core, Array):
            return Pointer(core.elem)
        if isinstance(core, Function):
            return Pointer(core)
        if "_Atomic" in quals:
            return Qualified(core, ("_Atomic",))
        return core


def _has_alignment_variant(t: CType) -> bool:
    """Whether ``t`` is, through typedef names and qualifiers, a type made
    by an aligned attribute."""
    while isinstance(t, (Typedef, Qualified, Aligned)):
        if isinstance(t, Aligned):
            return True
        t = t.target if isinstance(t, Typedef) else t.base
    return False


def _describe(t: CType) -> str:
    from .typenames import type_name

    return type_name(t)
