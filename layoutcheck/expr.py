"""Constant expressions as the front end resolved them.

Type names inside ``sizeof``/casts/``offsetof`` are already model types and
identifiers are already enumerators, so an expression can be evaluated for
any ABI without the symbol table it was written under.  Evaluation lives in
``layoutcheck.consteval``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Tuple


class Expr:
    __slots__ = ()
    coord: Any


@dataclass(eq=False)
class IntLit(Expr):
    value: int
    unsigned: bool  # a u/U suffix
    longs: int  # 0, 1 (l) or 2 (ll)
    decimal: bool  # decimal literals never become unsigned by themselves
    coord: Any = None


@dataclass(eq=False)
class CharLit(Expr):
    """A character constant: ``value`` is its char's byte, or for a
    multi-character one (``multi``) its int value, as GCC computes it."""
    value: int
    coord: Any = None
    multi: bool = False


@dataclass(eq=False)
class FloatLit(Expr):
    value: float
    kind: str  # "float", "double" or "long double"
    coord: Any = None
    exact: Any = None  # fractions.Fraction: the value the literal writes, before rounding


@dataclass(eq=False)
class StrLit(Expr):
    data: bytes  # without the terminating NUL
    width: int  # bytes per character
    coord: Any = None


@dataclass(eq=False)
class EnumConst(Expr):
    enumerator: Any
    coord: Any = None


@dataclass(eq=False)
class Unary(Expr):
    op: str  # - + ~ ! & *
    operand: Expr
    coord: Any = None


@dataclass(eq=False)
class Binary(Expr):
    op: str
    left: Expr
    right: Expr
    coord: Any = None


@dataclass(eq=False)
class Cond(Expr):
    cond: Expr
    then: Expr
    other: Expr
    coord: Any = None


@dataclass(eq=False)
class Cast(Expr):
    type: Any
    operand: Expr
    coord: Any = None


@dataclass(eq=False)
class SizeofType(Expr):
    type: Any
    coord: Any = None
    seen: Optional[int] = None  # definitions completed when it was written


@dataclass(eq=False)
class SizeofExpr(Expr):
    operand: Expr
    coord: Any = None


@dataclass(eq=False)
class AlignofType(Expr):
    type: Any
    gnu: bool  # __alignof__ (preferred alignment) rather than _Alignof
    coord: Any = None
    seen: Optional[int] = None  # definitions completed when it was written


@dataclass(eq=False)
class AlignofExpr(Expr):
    operand: Expr
    gnu: bool
    coord: Any = None


@dataclass(eq=False)
class Offsetof(Expr):
    type: Any
    # each step: ("member", name) or ("index", Expr)
    steps: List[Tuple[str, Any]]
    coord: Any = None
    seen: Optional[int] = None  # definitions completed when it was written


@dataclass(eq=False)
class MemberRef(Expr):
    base: Expr
    name: str
    arrow: bool
    coord: Any = None


@dataclass(eq=False)
class Index(Expr):
    base: Expr
    index: Expr
    coord: Any = None


@dataclass(eq=False)
class Builtin(Expr):
    """A GCC builtin call the evaluator knows (__builtin_constant_p, ...)."""

    name: str
    args: List[Any]
    coord: Any = None
