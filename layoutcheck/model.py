"""C types as declared: the ABI-independent model the front end builds.

Nothing here knows a size.  Array dimensions, bitfield widths, enumerator
values and alignment attributes are kept as expressions (``layoutcheck.expr``)
and evaluated by the layout engine for one ABI at a time, so a header is
parsed once and laid out for every ABI from the same model.

Attributes are kept with GCC's meaning, not their spelling:

* ``Member.aligns`` are declaration alignments (``aligned`` on the member,
  ``_Alignas``): the largest wins and none can lower the type's alignment.
* ``Record.aligns``/``Enum.aligns`` are type attributes given in place
  (after ``struct`` or after the closing brace): the last one wins and the
  record's computed alignment still counts.
* ``Aligned`` is a type variant (a typedef's ``aligned``, or one after a
  ``*`` in a declarator): it replaces the alignment, up or down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple

# Integer kinds in rank order; each is a key of ABI.scalars (signed and
# unsigned variants share a layout).
INTEGER_KINDS = ("_Bool", "char", "short", "int", "long", "long long", "__int128")
FLOAT_KINDS = ("float", "double", "long double", "_Float128")
COMPLEX_KINDS = ("_Complex float", "_Complex double", "_Complex long double")


class CType:
    """Base of all types.  Instances are compared by identity."""

    __slots__ = ()

    def strip_typedefs(self) -> "CType":
        return self


class Void(CType):
    __slots__ = ()


VOID = Void()


class Scalar(CType):
    """An arithmetic type.  ``kind`` selects the ABI's layout facts."""

    __slots__ = ("kind", "signed", "spelling")

    def __init__(self, kind: str, signed: bool, spelling: str):
        self.kind = kind
        self.signed = signed
        self.spelling = spelling

    @property
    def is_integer(self) -> bool:
        return self.kind in INTEGER_KINDS or self.kind.startswith("mode:")

    @property
    def is_float(self) -> bool:
        return self.kind in FLOAT_KINDS or self.kind in COMPLEX_KINDS

    def __repr__(self) -> str:
        return f"Scalar({self.spelling!r})"


class Pointer(CType):
    __slots__ = ("target",)

    def __init__(self, target: CType):
        self.target = target


class Array(CType):
    """``dim`` is an expression, or None for an array of unknown size."""

    __slots__ = ("elem", "dim", "coord")

    def __init__(self, elem: CType, dim, coord=None):
        self.elem = elem
        self.dim = dim
        self.coord = coord


class Function(CType):
    __slots__ = ("ret",)

    def __init__(self, ret: CType):
        self.ret = ret


class Qualified(CType):
    """const/volatile/restrict/_Atomic on a type (only _Atomic moves bits)."""

    __slots__ = ("base", "quals")

    def __init__(self, base: CType, quals: Tuple[str, ...]):
        self.base = base
        self.quals = quals

    def strip_typedefs(self) -> CType:
        return self.base.strip_typedefs()

    @property
    def atomic(self) -> bool:
        return "_Atomic" in self.quals


class Typedef(CType):
    __slots__ = ("name", "target", "coord")

    def __init__(self, name: str, target: CType, coord=None):
        self.name = name
        self.target = target
        self.coord = coord

    def strip_typedefs(self) -> CType:
        return self.target.strip_typedefs()

    def __repr__(self) -> str:
        return f"Typedef({self.name!r})"


class Aligned(CType):
    """A variant of ``base`` whose alignment is set by an attribute."""

    __slots__ = ("base", "align", "coord")

    def __init__(self, base: CType, align, coord=None):
        self.base = base
        self.align = align  # expression, or MAX_ALIGN for bare `aligned`
        self.coord = coord

    def strip_typedefs(self) -> CType:
        return self.base.strip_typedefs()


class TypeofExpr(CType):
    """``typeof(expression)``: resolved per ABI (literal types vary)."""

    __slots__ = ("expr", "coord")

    def __init__(self, expr, coord=None):
        self.expr = expr
        self.coord = coord


class _MaxAlign:
    """Stands for the argument of a bare ``__attribute__((aligned))``."""

    def __repr__(self) -> str:
        return "MAX_ALIGN"


MAX_ALIGN = _MaxAlign()


@dataclass(eq=False)
class Member:
    name: Optional[str]
    type: CType
    coord: Any = None
    bitwidth: Any = None  # expression, None when not a bitfield
    aligns: List[Any] = field(default_factory=list)
    packed: bool = False

    @property
    def is_bitfield(self) -> bool:
        return self.bitwidth is not None


class Record(CType):
    """A struct or union; ``members`` is None while it is incomplete."""

    __slots__ = ("kind", "tag", "members", "packed", "aligns", "pack", "coord",
                 "def_coord")

    def __init__(self, kind: str, tag: Optional[str], coord=None):
        self.kind = kind
        self.tag = tag
        self.members: Optional[List[Member]] = None
        self.packed = False
        self.aligns: List[Any] = []
        self.pack: Optional[int] = None  # #pragma pack value at '}' (bytes)
        self.coord = coord
        self.def_coord = None

    @property
    def complete(self) -> bool:
        return self.members is not None

    def __repr__(self) -> str:
        return f"Record({self.kind} {self.tag or '<anonymous>'})"


@dataclass(eq=False)
class Enumerator:
    name: str
    expr: Any  # expression or None (previous + 1)
    enum: "Enum"
    index: int
    coord: Any = None


class Enum(CType):
    __slots__ = ("tag", "enumerators", "packed", "aligns", "coord")

    def __init__(self, tag: Optional[str], coord=None):
        self.tag = tag
        self.enumerators: Optional[List[Enumerator]] = None
        self.packed = False
        self.aligns: List[Any] = []
        self.coord = coord

    @property
    def complete(self) -> bool:
        return self.enumerators is not None

    def __repr__(self) -> str:
        return f"Enum({self.tag or '<anonymous>'})"


@dataclass(eq=False)
class StaticAssert:
    expr: Any
    message: Optional[str]
    coord: Any = None


@dataclass(eq=False)
class TranslationUnit:
    """What one preprocessed text declares, in source order."""

    records: List[Record] = field(default_factory=list)  # complete, tagged or not
    enums: List[Enum] = field(default_factory=list)
    typedefs: dict = field(default_factory=dict)  # name -> Typedef
    tags: dict = field(default_factory=dict)  # "struct x"/"union x"/"enum x" -> type
    static_asserts: List[StaticAssert] = field(default_factory=list)
    enumerators: dict = field(default_factory=dict)  # name -> Enumerator

    def tagged_records(self) -> List[Record]:
        """Complete structs/unions with a tag, in definition order."""
        return [r for r in self.records if r.tag is not None and r.complete]

    def find_record(self, name: str) -> Optional[Record]:
        """Look a struct/union up by 'struct x', 'union x', 'x' or a typedef."""
        for key in (name, f"struct {name}", f"union {name}"):
            found = self.tags.get(key)
            if isinstance(found, Record):
                return found
        td = self.typedefs.get(name)
        if td is not None:
            base = td.strip_typedefs()
            if isinstance(base, Record):
                return base
        return None


def unqualified(t: CType) -> CType:
    """Strip typedefs, qualifiers and alignment variants: the C type itself."""
    while True:
        if isinstance(t, (Typedef,)):
            t = t.target
        elif isinstance(t, (Qualified, Aligned)):
            t = t.base
        else:
            return t
