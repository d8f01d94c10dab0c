"""Integer constant expressions, evaluated the way GCC folds them for an ABI.

Values carry their C type (width and signedness follow the ABI: ``1L << 40``
is fine on LP64 and wraps on ILP32), and pointer constants carry an address
so that the classic ``((size_t)&((T *)0)->m)`` offsetof works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Tuple, Union

from . import expr as E
from .errors import LayoutError, where_of
from .model import (
    VOID,
    Array,
    CType,
    Enum,
    Pointer,
    Scalar,
    TypeofExpr,
    unqualified,
)

if TYPE_CHECKING:  # pragma: no cover
    from .engine import LayoutEngine

_RANK = {"_Bool": 0, "char": 1, "short": 2, "int": 3, "long": 4, "long long": 5, "__int128": 6}


def _err(msg: str, node) -> LayoutError:
    return LayoutError(msg, where_of(getattr(node, "coord", None)))


@dataclass(frozen=True)
class IntType:
    kind: str  # a key of _RANK
    bits: int
    signed: bool

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


@dataclass(frozen=True)
class PtrVal:
    address: int
    target: CType


Value = Union[Tuple[int, IntType], PtrVal, Tuple[float, str]]


class Evaluator:
    """Evaluates expressions for the ABI of one LayoutEngine."""

    def __init__(self, engine: "LayoutEngine"):
        self.engine = engine
        self.abi = engine.abi
        self._types = {}

    # ------------------------------------------------------------- types
    def int_type(self, kind: str, signed: bool) -> IntType:
        key = (kind, signed)
        t = self._types.get(key)
        if t is None:
            size = 1 if kind == "_Bool" else self.abi.scalar(kind).size
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
            signed = t.signed if t.signed is not None else self.abi.char_signed
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
        t = self.int_type("long long", False)
        if t.fits(v):
            return (v, t)  # GCC: "integer constant is so large that it is unsigned"
        raise _err("integer constant is too large", n)

    def _v_CharLit(self, n: E.CharLit):
        v = n.value
        if self.abi.char_signed and v > 127:
            v -= 256
        return (v, self.int_t)

    def _v_FloatLit(self, n: E.FloatLit):
        return (n.value, n.kind)

    def _v_StrLit(self, n: E.StrLit):
        raise _err("string literal where a constant is needed", n)

    def _v_EnumConst(self, n: E.EnumConst):
        return self.engine.enumerator_constant(n.enumerator, n)

    def _v_SizeofType(self, n: E.SizeofType):
        return (self.engine.sizeof(n.type, n), self.size_t())

    def _v_SizeofExpr(self, n: E.SizeofExpr):
        if isinstance(n.operand, E.StrLit):
            return ((len(n.operand.data) + 1) * n.operand.width, self.size_t())
        if self._is_bitfield_ref(n.operand):
            raise _err("sizeof applied to a bit-field", n)
        return (self.engine.sizeof(self.type_of(n.operand), n), self.size_t())

    def _v_AlignofType(self, n: E.AlignofType):
        return (self.engine.alignof(n.type, gnu=n.gnu, node=n), self.size_t())

    def _v_AlignofExpr(self, n: E.AlignofExpr):
        return (self.engine.alignof(self.type_of(n.operand), gnu=n.gnu, node=n), self.size_t())

    def _v_Offsetof(self, n: E.Offsetof):
        return (self.engine.offsetof(n.type, n.steps, n, self), self.size_t())

    def _v_Builtin(self, n: E.Builtin):
        if n.name == "__builtin_constant_p":
            try:
                self.value(n.args[0])
                return (1, self.int_t)
            except LayoutError:
                return (0, self.int_t)
        if n.name == "__builtin_expect":
            return self.value(n.args[0])
        raise _err(f"unsupported builtin {n.name}", n)

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
                num = v.address if isinstance(v, PtrVal) else v[0]
                return (float(num), target.kind)
            raise _err("cast to a non-scalar type in a constant expression", n)
        if isinstance(v, PtrVal):
            num = v.address
        elif isinstance(v[1], str):
            num = int(v[0])
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
            return (t.wrap(-val), t)
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
            self.value(n.left)
            return self.value(n.right)
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
                return (t.wrap(a << b), t)
            return (t.wrap(a >> b), t)
        t = self.common_type(at, bt)
        a, b = t.wrap(a), t.wrap(b)
        if op == "+":
            return (t.wrap(a + b), t)
        if op == "-":
            return (t.wrap(a - b), t)
        if op == "*":
            return (t.wrap(a * b), t)
        if op in ("/", "%"):
            if b == 0:
                raise _err("division by zero in a constant expression", n)
            q = abs(a) // abs(b)
            if (a < 0) != (b < 0):
                q = -q
            if op == "/":
                return (t.wrap(q), t)
            return (t.wrap(a - q * b), t)
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

    def _float_arith(self, op, a, b, at, bt, n):
        kind = at if isinstance(at, str) else bt
        if op == "+":
            return (a + b, kind)
        if op == "-":
            return (a - b, kind)
        if op == "*":
            return (a * b, kind)
        if op == "/":
            if b == 0:
                raise _err("division by zero", n)
            return (a / b, kind)
        cmp = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b, "==": a == b, "!=": a != b}
        if op in cmp:
            return (1 if cmp[op] else 0, self.int_t)
        raise _err(f"operator {op} on floating values", n)

    def _pointer_arith(self, op, lv, rv, n):
        if op in ("+", "-") and isinstance(lv, PtrVal) and not isinstance(rv, PtrVal):
            step = self.engine.sizeof(lv.target, n) if not isinstance(unqualified(lv.target), (type(VOID),)) else 1
            delta = rv[0] * step
            return PtrVal(lv.address + delta if op == "+" else lv.address - delta, lv.target)
        if op == "+" and isinstance(rv, PtrVal) and not isinstance(lv, PtrVal):
            step = self.engine.sizeof(rv.target, n)
            return PtrVal(rv.address + lv[0] * step, rv.target)
        if op == "-" and isinstance(lv, PtrVal) and isinstance(rv, PtrVal):
            step = self.engine.sizeof(lv.target, n) or 1
            return ((lv.address - rv.address) // step, self.int_type("long", True))
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
        if self._truth(n.cond):
            then = self.value(n.then)
            other_t = self.type_of(n.other)
        else:
            then = self.value(n.other)
            other_t = self.type_of(n.then)
        if isinstance(then, PtrVal) or isinstance(then[1], str):
            return then
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
            off_bits, mtype, is_bf = self.engine.member_offset(rtype, node.name, node)
            if is_bf:
                raise _err("address of a bit-field", node)
            return addr + off_bits // 8, mtype
        if isinstance(node, E.Index):
            base_t = unqualified(self.type_of(node.base))
            idx = self._int(node.index)[0]
            if isinstance(base_t, Array):
                addr, _ = self.lvalue(node.base)
                elem = base_t.elem
            else:
                base = self.value(node.base)
                if not isinstance(base, PtrVal):
                    raise _err("subscript of a non-pointer", node)
                addr, elem = base.address, base.target
            return addr + idx * self.engine.sizeof(elem, node), elem
        if isinstance(node, E.Unary) and node.op == "*":
            base = self.value(node.operand)
            if not isinstance(base, PtrVal):
                raise _err("dereference of a non-pointer", node)
            return base.address, base.target
        raise _err("not an lvalue in a constant expression", node)

    def _is_bitfield_ref(self, node) -> bool:
        if isinstance(node, E.MemberRef):
            rtype = self._record_of(node)
            if rtype is not None:
                return self.engine.member_offset(rtype, node.name, node)[2]
        return False

    def _record_of(self, node: E.MemberRef):
        base_t = unqualified(self.type_of(node.base))
        if node.arrow:
            if not isinstance(base_t, Pointer):
                return None
            return base_t.target
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
            return node.type
        if isinstance(node, E.MemberRef):
            rtype = self._record_of(node)
            if rtype is None:
                raise _err("'->' on a non-pointer", node)
            return self.engine.member_offset(rtype, node.name, node)[1]
        if isinstance(node, E.Index):
            base_t = unqualified(self.type_of(node.base))
            if isinstance(base_t, (Array,)):
                return base_t.elem
            if isinstance(base_t, Pointer):
                return base_t.target
            raise _err("subscript of a non-array", node)
        if isinstance(node, E.Unary):
            if node.op == "&":
                return Pointer(self.type_of(node.operand))
            if node.op == "*":
                t = unqualified(self.type_of(node.operand))
                if isinstance(t, Pointer):
                    return t.target
                if isinstance(t, Array):
                    return t.elem
                raise _err("dereference of a non-pointer", node)
            if node.op == "!":
                return self.scalar_for(self.int_t)
            t = self.type_of(node.operand)
            it = self.ctype_int(t)
            return self.scalar_for(self.promote(it)) if it is not None else t
        if isinstance(node, E.Binary):
            if node.op in ("&&", "||", "<", ">", "<=", ">=", "==", "!="):
                return self.scalar_for(self.int_t)
            if node.op == ",":
                return self.type_of(node.right)
            lt, rt = self.type_of(node.left), self.type_of(node.right)
            li, ri = self.ctype_int(lt), self.ctype_int(rt)
            if li is None or ri is None:
                return lt if li is None else rt
            if node.op in ("<<", ">>"):
                return self.scalar_for(self.promote(li))
            return self.scalar_for(self.common_type(li, ri))
        if isinstance(node, E.Cond):
            return self.type_of(node.then)
        if isinstance(node, E.Builtin):
            return self.scalar_for(self.int_t)
        raise _err(f"cannot type expression ({type(node).__name__})", node)
