"""Constant expressions as the front end resolved them.

Type names inside ``sizeof``/casts/``offsetof`` are already model types and
identifiers are already enumerators, so an expression can be evaluated for
any ABI without the symbol table it was written under.  Evaluation lives in
``layoutcheck.consteval``.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from .plain import Plain


class Expr(Plain):
    __slots__ = ()
    coord: Any


class IntLit(Expr):
    value: int
    unsigned: bool  # a u/U suffix
    longs: int  # 0, 1 (l) or 2 (ll)
    decimal: bool  # decimal literals never become unsigned by themselves
    coord: Any = None

    _fields = ("value", "unsigned", "longs", "decimal", "coord")

    def __init__(self, value: int, unsigned: bool, longs: int, decimal: bool, coord: Any = None) -> None:
        self.value = value
        self.unsigned = unsigned
        self.longs = longs
        self.decimal = decimal
        self.coord = coord


class CharLit(Expr):
    """A character constant: ``value`` is its char's byte, or for a
    multi-character one (``multi``) its int value, as GCC computes it."""
    value: int
    coord: Any = None
    multi: bool = False

    _fields = ("value", "coord", "multi")

    def __init__(self, value: int, coord: Any = None, multi: bool = False) -> None:
        self.value = value
        self.coord = coord
        self.multi = multi


class FloatLit(Expr):
    value: float
    kind: str  # "float", "double" or "long double"
    coord: Any = None
    exact: Any = None  # fractions.Fraction: the value the literal writes, before rounding

    _fields = ("value", "kind", "coord", "exact")

    def __init__(self, value: float, kind: str, coord: Any = None, exact: Any = None) -> None:
        self.value = value
        self.kind = kind
        self.coord = coord
        self.exact = exact


class StrLit(Expr):
    data: bytes  # without the terminating NUL
    width: int  # bytes per character
    coord: Any = None

    _fields = ("data", "width", "coord")

    def __init__(self, data: bytes, width: int, coord: Any = None) -> None:
        self.data = data
        self.width = width
        self.coord = coord


class EnumConst(Expr):
    enumerator: Any
    coord: Any = None

    _fields = ("enumerator", "coord")

    def __init__(self, enumerator: Any, coord: Any = None) -> None:
        self.enumerator = enumerator
        self.coord = coord


class Unary(Expr):
    op: str  # - + ~ ! & *
    operand: Expr
    coord: Any = None

    _fields = ("op", "operand", "coord")

    def __init__(self, op: str, operand: Expr, coord: Any = None) -> None:
        self.op = op
        self.operand = operand
        self.coord = coord


class Binary(Expr):
    op: str
    left: Expr
    right: Expr
    coord: Any = None
    seen: Optional[int] = None  # definitions completed when it was written (pointer arithmetic)

    _fields = ("op", "left", "right", "coord", "seen")

    def __init__(self, op: str, left: Expr, right: Expr, coord: Any = None,
                 seen: Optional[int] = None) -> None:
        self.op = op
        self.left = left
        self.right = right
        self.coord = coord
        self.seen = seen


class Cond(Expr):
    cond: Expr
    then: Expr
    other: Expr
    coord: Any = None

    _fields = ("cond", "then", "other", "coord")

    def __init__(self, cond: Expr, then: Expr, other: Expr, coord: Any = None) -> None:
        self.cond = cond
        self.then = then
        self.other = other
        self.coord = coord


class Cast(Expr):
    type: Any
    operand: Expr
    coord: Any = None

    _fields = ("type", "operand", "coord")

    def __init__(self, type: Any, operand: Expr, coord: Any = None) -> None:
        self.type = type
        self.operand = operand
        self.coord = coord


class SizeofType(Expr):
    type: Any
    coord: Any = None
    seen: Optional[int] = None  # definitions completed when it was written

    _fields = ("type", "coord", "seen")

    def __init__(self, type: Any, coord: Any = None, seen: Optional[int] = None) -> None:
        self.type = type
        self.coord = coord
        self.seen = seen


class SizeofExpr(Expr):
    operand: Expr
    coord: Any = None
    seen: Optional[int] = None  # definitions completed when it was written

    _fields = ("operand", "coord", "seen")

    def __init__(self, operand: Expr, coord: Any = None, seen: Optional[int] = None) -> None:
        self.operand = operand
        self.coord = coord
        self.seen = seen


class AlignofType(Expr):
    type: Any
    gnu: bool  # __alignof__ (preferred alignment) rather than _Alignof
    coord: Any = None
    seen: Optional[int] = None  # definitions completed when it was written

    _fields = ("type", "gnu", "coord", "seen")

    def __init__(self, type: Any, gnu: bool, coord: Any = None, seen: Optional[int] = None) -> None:
        self.type = type
        self.gnu = gnu
        self.coord = coord
        self.seen = seen


class AlignofExpr(Expr):
    operand: Expr
    gnu: bool
    coord: Any = None
    seen: Optional[int] = None  # definitions completed when it was written

    _fields = ("operand", "gnu", "coord", "seen")

    def __init__(self, operand: Expr, gnu: bool, coord: Any = None, seen: Optional[int] = None) -> None:
        self.operand = operand
        self.gnu = gnu
        self.coord = coord
        self.seen = seen


class Offsetof(Expr):
    type: Any
    # each step: ("member", name) or ("index", Expr)
    steps: List[Tuple[str, Any]]
    coord: Any = None
    seen: Optional[int] = None  # definitions completed when it was written

    _fields = ("type", "steps", "coord", "seen")

    def __init__(self, type: Any, steps: List[Tuple[str, Any]], coord: Any = None,
                 seen: Optional[int] = None) -> None:
        self.type = type
        self.steps = steps
        self.coord = coord
        self.seen = seen


class MemberRef(Expr):
    base: Expr
    name: str
    arrow: bool
    coord: Any = None
    seen: Optional[int] = None  # definitions completed when it was written

    _fields = ("base", "name", "arrow", "coord", "seen")

    def __init__(self, base: Expr, name: str, arrow: bool, coord: Any = None,
                 seen: Optional[int] = None) -> None:
        self.base = base
        self.name = name
        self.arrow = arrow
        self.coord = coord
        self.seen = seen


class Index(Expr):
    base: Expr
    index: Expr
    coord: Any = None
    seen: Optional[int] = None  # definitions completed when it was written

    _fields = ("base", "index", "coord", "seen")

    def __init__(self, base: Expr, index: Expr, coord: Any = None, seen: Optional[int] = None) -> None:
        self.base = base
        self.index = index
        self.coord = coord
        self.seen = seen


class Builtin(Expr):
    """A GCC builtin call the evaluator knows (__builtin_constant_p, ...)."""

    name: str
    args: List[Any]
    coord: Any = None

    _fields = ("name", "args", "coord")

    def __init__(self, name: str, args: List[Any], coord: Any = None) -> None:
        self.name = name
        self.args = args
        self.coord = coord
