"""C types as declared: the ABI-independent model the front end builds.

Nothing here knows a size.  Array dimensions, bitfield widths, enumerator
values and alignment attributes are kept as expressions (``layoutcheck.expr``)
and evaluated by the layout engine for one ABI at a time, so a header is
parsed once and laid out for every ABI from the same model.

Attributes are kept with GCC's meaning, not their spelling.  Every alignment
request is an ``AlignSpec`` (the expression and where it is written):

* ``Member.aligns`` are declaration alignments (``aligned`` on the member,
  ``_Alignas``): the largest wins and none can lower the type's alignment.
* ``Record.aligns``/``Enum.aligns`` are type attributes given in place
  (after ``struct`` or after the closing brace): the last one wins and the
  record's computed alignment still counts.
* ``Aligned`` is a type variant (a typedef's ``aligned``, or one after a
  ``*`` in a declarator): it replaces the alignment, up or down.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from . import expr as E
from .plain import FRESH, Plain, field_names

# Integer kinds in rank order; each is a key of ABI.scalars (signed and
# unsigned variants share a layout).
INTEGER_KINDS = ("_Bool", "char", "short", "int", "long", "long long", "__int128")
FLOAT_KINDS = ("float", "double", "long double", "_Float128")
COMPLEX_KINDS = ("_Complex float", "_Complex double", "_Complex long double")
# Spellings of _Float128 that only some ABIs' GCCs know (x86's __float128;
# PowerPC's __ieee128, which its __float128 macro names): a key of
# ABI.scalars where the type may be spelled so.
GATED_SPELLINGS = ("__float128", "__ieee128")


class CType:
    """Base of all types.  Instances are compared by identity."""

    __slots__ = ()

    def strip_typedefs(self) -> "CType":
        return self


class Void(CType):
    __slots__ = ()


VOID = Void()


class Scalar(CType):
    """An arithmetic type.  ``kind`` selects the ABI's layout facts.

    ``from_mode`` marks a type made by ``__attribute__((mode(...)))``: GCC
    picks the first standard type of that mode, which is not always the C
    type ``kind`` names (DImode is ``long`` on LP64, ``long long`` on ILP32).
    """

    __slots__ = ("kind", "signed", "spelling", "from_mode", "signed_as")

    def __init__(self, kind: str, signed: Optional[bool], spelling: str, from_mode: bool = False,
                 signed_as: Optional["Enum"] = None):
        self.kind = kind
        self.signed = signed
        self.spelling = spelling
        self.from_mode = from_mode
        # a mode attribute on an enum type (``enum e __attribute__((mode(QI)))``):
        # an integer of the mode as signed as the enum, which its values
        # decide on each ABI (``signed`` is then None)
        self.signed_as = signed_as

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
    """``dim`` is an expression, or None for an array of unknown size.
    ``seen``: the definitions completed where it is declared, when its
    element names a typeof (see ``Member.seen``)."""

    __slots__ = ("elem", "dim", "coord", "seen")

    def __init__(self, elem: CType, dim, coord=None, seen: Optional[int] = None):
        self.elem = elem
        self.dim = dim
        self.coord = coord
        self.seen = seen


class Function(CType):
    """``params`` is None for an unprototyped ``f()``, else the parameter
    types as declared (``f(void)`` has none)."""

    __slots__ = ("ret", "params", "variadic")

    def __init__(self, ret: CType, params: Optional[List[CType]] = None, variadic: bool = False):
        self.ret = ret
        self.params = params
        self.variadic = variadic


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

    __slots__ = ("base", "align", "coord", "before_completion", "earlier")

    def __init__(self, base: CType, align: "AlignSpec", coord=None,
                 before_completion: bool = False, earlier: Tuple["AlignSpec", ...] = ()):
        self.base = base
        self.align = align  # the last 'aligned' written
        # the ones before it, in order: each stands if those after it ask
        # for 0 (which GCC drops)
        self.earlier = earlier
        self.coord = coord
        # made while its struct, union or enum was incomplete (a typedef of
        # one declared only): GCC sets the alignment again when it is
        # completed (finalize_type_size, finish_enum)
        self.before_completion = before_completion

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


class AlignSpec(Plain):
    """One alignment request: ``aligned(N)``, a bare ``aligned`` or ``_Alignas``.

    ``expr`` is an expression (``_Alignas(type)`` is an ``_Alignof``), or
    MAX_ALIGN for a bare ``aligned``.  ``coord`` is where the request is
    written (the attribute's name, or ``_Alignas``): a request GCC refuses
    is reported there.
    """

    expr: Any
    coord: Any = None
    alignas: bool = False  # _Alignas (which may not lower an alignment), not aligned

    _fields = ("expr", "coord", "alignas")

    def __init__(self, expr: Any, coord: Any = None, alignas: bool = False) -> None:
        self.expr = expr
        self.coord = coord
        self.alignas = alignas


class Member(Plain):
    name: Optional[str]
    type: CType
    coord: Any = None
    bitwidth: Any = None  # expression, None when not a bitfield
    aligns: List[AlignSpec]
    packed: bool = False
    # the definitions completed where it is declared, when its type names a
    # typeof (the builder judges the others): what that stands for must be
    # complete there
    seen: Optional[int] = None

    _fields = ("name", "type", "coord", "bitwidth", "aligns", "packed", "seen")
    _uncompared = ("seen",)

    def __init__(self, name: Optional[str], type: CType, coord: Any = None, bitwidth: Any = None,
                 aligns: List[AlignSpec] = FRESH, packed: bool = False, seen: Optional[int] = None) -> None:
        self.name = name
        self.type = type
        self.coord = coord
        self.bitwidth = bitwidth
        self.aligns = [] if aligns is FRESH else aligns
        self.packed = packed
        self.seen = seen

    @property
    def is_bitfield(self) -> bool:
        return self.bitwidth is not None


class Record(CType):
    """A struct or union; ``members`` is None while it is incomplete."""

    __slots__ = ("kind", "tag", "members", "packed", "aligns", "pack", "coord", "defined_at")

    def __init__(self, kind: str, tag: Optional[str], coord=None):
        self.kind = kind
        self.tag = tag
        self.members: Optional[List[Member]] = None
        # The how-many-th definition completed in its unit this one was:
        # an expression built before it (E.SizeofType.seen) sees it
        # incomplete, as GCC does.
        self.defined_at: Optional[int] = None
        self.packed = False
        self.aligns: List[AlignSpec] = []
        self.pack: Optional[int] = None  # #pragma pack value at '}' (bytes)
        self.coord = coord

    @property
    def complete(self) -> bool:
        return self.members is not None

    def __repr__(self) -> str:
        return f"Record({self.kind} {self.tag or '<anonymous>'})"


class Enumerator(Plain):
    name: str
    expr: Any  # expression or None (previous + 1)
    enum: "Enum"
    index: int
    coord: Any = None

    _fields = ("name", "expr", "enum", "index", "coord")

    def __init__(self, name: str, expr: Any, enum: "Enum", index: int, coord: Any = None) -> None:
        self.name = name
        self.expr = expr
        self.enum = enum
        self.index = index
        self.coord = coord


class Enum(CType):
    __slots__ = ("tag", "enumerators", "packed", "aligns", "coord", "defined_at", "mode")

    def __init__(self, tag: Optional[str], coord=None):
        self.tag = tag
        self.enumerators: Optional[List[Enumerator]] = None
        self.defined_at: Optional[int] = None  # see Record.defined_at
        self.packed = False
        self.aligns: List[AlignSpec] = []
        self.coord = coord
        # ``enum {...} __attribute__((mode(byte)))``: the integer kind of the
        # mode (builder._MODES), whose width the enum then has
        self.mode: Optional[str] = None

    @property
    def complete(self) -> bool:
        return self.enumerators is not None

    def __repr__(self) -> str:
        return f"Enum({self.tag or '<anonymous>'})"


# ---------------------------------------------------- typed expressions
# Expressions that need the model's types, so they live here rather than in
# ``expr``: the evaluator dispatches on the class name wherever it is.

class ObjectRef(E.Expr):
    """A variable or function named in an expression (``sizeof(x)``,
    ``typeof(f)``, ``&a[0]``).  Its type is the declared one; its value is
    the running program's, so it is never a constant.

    ``type`` is None where the type is GCC's to work out and is not
    modelled (``unknown`` says why): the composite of differing
    declarations, or an array completed by an initializer layoutcheck
    cannot count."""

    name: str
    type: Optional[CType]
    coord: Any = None
    unknown: str = ""
    seen: Optional[int] = None  # definitions completed when it was written (its value used)

    _fields = ("name", "type", "coord", "unknown", "seen")

    def __init__(self, name: str, type: Optional[CType], coord: Any = None, unknown: str = "",
                 seen: Optional[int] = None) -> None:
        self.name = name
        self.type = type
        self.coord = coord
        self.unknown = unknown
        self.seen = seen


class Call(E.Expr):
    """A call to a declared function, or through an expression of pointer
    to function type: never a constant, but it has a type (the untaken arm
    of ``__builtin_constant_p(n) ? ... : f(n)`` counts in the type of the
    whole, and ``sizeof(f())`` is its return type's size)."""

    function: Any  # an ObjectRef, or the expression called through
    args: List[Any]
    coord: Any = None

    _fields = ("function", "args", "coord")

    def __init__(self, function: Any, args: List[Any], coord: Any = None) -> None:
        self.function = function
        self.args = args
        self.coord = coord


class TypesCompatible(E.Expr):
    """``__builtin_types_compatible_p(first, second)``: 1 when the two
    types, top-level qualifiers aside, are compatible (GCC's comptypes)."""

    first: CType
    second: CType
    coord: Any = None

    _fields = ("first", "second", "coord")

    def __init__(self, first: CType, second: CType, coord: Any = None) -> None:
        self.first = first
        self.second = second
        self.coord = coord


class StaticAssert(Plain):
    expr: Any
    message: Optional[str]
    coord: Any = None

    _fields = ("expr", "message", "coord")

    def __init__(self, expr: Any, message: Optional[str], coord: Any = None) -> None:
        self.expr = expr
        self.message = message
        self.coord = coord


class TranslationUnit(Plain):
    """What one preprocessed text declares, in source order."""

    records: List[Record]  # complete, tagged or not
    enums: List[Enum]
    typedefs: dict  # name -> Typedef
    tags: dict  # "struct x"/"union x"/"enum x" -> type
    static_asserts: List[StaticAssert]
    enumerators: dict  # name -> Enumerator

    _fields = ("records", "enums", "typedefs", "tags", "static_asserts", "enumerators")

    def __init__(self, records: List[Record] = FRESH, enums: List[Enum] = FRESH, typedefs: dict = FRESH,
                 tags: dict = FRESH, static_asserts: List[StaticAssert] = FRESH,
                 enumerators: dict = FRESH) -> None:
        self.records = [] if records is FRESH else records
        self.enums = [] if enums is FRESH else enums
        self.typedefs = {} if typedefs is FRESH else typedefs
        self.tags = {} if tags is FRESH else tags
        self.static_asserts = [] if static_asserts is FRESH else static_asserts
        self.enumerators = {} if enumerators is FRESH else enumerators

    def tagged_records(self) -> List[Record]:
        """Complete structs/unions with a tag, in definition order."""
        return [r for r in self.records if r.tag is not None and r.complete]

    def missing_record_hint(self, name: str) -> str:
        """`` (did you mean 'x'?)`` for a struct or union name not found,
        with the closest tag the unit has, or ''."""
        import difflib

        names = [r.tag for r in self.tagged_records() if r.tag]
        close = difflib.get_close_matches(name, names, n=1)
        return f" (did you mean {close[0]!r}?)" if close else ""

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


def is_va_list(t: CType) -> bool:
    """Is ``t`` the target's va_list, laid out whole as one member (a
    struct on some ABIs, whose fields no layout lists)?"""
    return isinstance(t, Scalar) and t.kind == "__builtin_va_list"


def element_type(t: CType) -> CType:
    """``t`` unqualified, through every array dimension: the type an
    array of arrays holds (``t`` itself when it is no array)."""
    core = unqualified(t)
    while isinstance(core, Array):
        core = unqualified(core.elem)
    return core


def names_typeof(t: CType) -> bool:
    """Whether ``t`` is, through typedefs, qualifiers, alignment variants
    and array elements, a ``typeof`` (what it stands for is known only
    when it is laid out)."""
    while True:  # (classes compared: the builder asks this of every array)
        cls = t.__class__
        if cls is Typedef:
            t = t.target
        elif cls is Qualified or cls is Aligned:
            t = t.base
        elif cls is Array:
            t = t.elem
        else:
            return cls is TypeofExpr


def unqualified(t: CType) -> CType:
    """Strip typedefs, qualifiers and alignment variants: the C type itself."""
    while True:
        if isinstance(t, (Typedef,)):
            t = t.target
        elif isinstance(t, (Qualified, Aligned)):
            t = t.base
        else:
            return t


# ------------------------------------------------------------ type identity
# C11 lets a typedef be redefined only to the same type (6.7p3); GCC
# refuses anything else.  These answer "certainly the same type" without an
# ABI, so they are conservative: where sameness would need an ABI (array
# sizes written differently, a machine mode) they answer False.

def _peel(t: CType) -> Tuple[frozenset, List[AlignSpec], CType]:
    """Qualifiers, alignment requests (outermost first) and the type under
    them; typedef names are transparent."""
    quals: set = set()
    aligns: List[AlignSpec] = []
    while True:
        if isinstance(t, Typedef):
            t = t.target
        elif isinstance(t, Qualified):
            quals.update(t.quals)
            t = t.base
        elif isinstance(t, Aligned):
            aligns.append(t.align)
            t = t.base
        else:
            return frozenset(quals), aligns, t


def same_type(a: CType, b: CType, alignment: bool = True) -> bool:
    """True when ``a`` and ``b`` are certainly the same C type.

    With ``alignment`` False, alignment attributes are ignored (GCC merges
    typedef redefinitions that differ only there).
    """
    qa, aa, ca = _peel(a)
    qb, ab, cb = _peel(b)
    if qa != qb:
        return False
    if alignment and (len(aa) != len(ab)
                      or not all(_same_align(x, y) for x, y in zip(aa, ab, strict=True))):
        return False
    if ca is cb:
        return True
    if type(ca) is not type(cb):
        return False
    if isinstance(ca, Scalar):
        if (ca.kind, ca.signed, ca.from_mode) != (cb.kind, cb.signed, cb.from_mode) \
                or ca.signed_as is not cb.signed_as:
            return False
        # _Float32 is not float, _Float64 is not double
        return not ca.is_float or ca.spelling == cb.spelling
    if isinstance(ca, Pointer):
        return same_type(ca.target, cb.target, alignment)
    if isinstance(ca, Array):
        return same_type(ca.elem, cb.elem, alignment) and _same_dim(ca.dim, cb.dim)
    if isinstance(ca, Function):
        if not same_type(ca.ret, cb.ret, alignment) or ca.variadic != cb.variadic:
            return False
        if ca.params is None or cb.params is None:
            return ca.params is None and cb.params is None
        return (len(ca.params) == len(cb.params)
                and all(same_type(_adjusted_param(x), _adjusted_param(y), alignment)
                        for x, y in zip(ca.params, cb.params, strict=True)))
    if isinstance(ca, TypeofExpr):
        return same_expr(ca.expr, cb.expr)
    return False  # records, enums and void are the same only as one object


def _adjusted_param(t: CType) -> CType:
    """A parameter's type as the function type has it: top-level
    qualifiers dropped, arrays and functions become pointers."""
    quals, aligns, core = _peel(t)
    if aligns:
        return t
    if isinstance(core, Array):
        return Pointer(core.elem)
    if isinstance(core, Function):
        return Pointer(core)
    return core


def _same_align(x: AlignSpec, y: AlignSpec) -> bool:
    if x.expr is MAX_ALIGN or y.expr is MAX_ALIGN:
        return x.expr is y.expr
    return same_expr(x.expr, y.expr)


def _same_dim(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if same_expr(a, b):
        return True
    va, vb = _small_constant(a), _small_constant(b)
    return va is not None and va == vb


def _small_constant(e) -> Optional[int]:
    """The value of literal arithmetic that stays within 0..INT_MAX, where
    every ABI computes the same; None for anything else."""
    if isinstance(e, E.IntLit):
        value = e.value
    elif isinstance(e, E.Binary) and e.op in ("+", "-", "*", "/", "<<"):
        left, right = _small_constant(e.left), _small_constant(e.right)
        if left is None or right is None:
            return None
        if e.op == "+":
            value = left + right
        elif e.op == "-":
            value = left - right
        elif e.op == "*":
            value = left * right
        elif e.op == "/":
            if right == 0:
                return None
            value = left // right
        else:
            if right > 31:
                return None
            value = left << right
    else:
        return None
    return value if 0 <= value < 1 << 31 else None


def same_expr(a, b) -> bool:
    """Two expressions written alike: same operators, literals, enumerators
    and (same) types; positions do not matter."""
    if a is b:
        return True
    if type(a) is not type(b) or not isinstance(a, E.Expr):
        return False
    for name in field_names(a):
        # (where it is written, and how many definitions it follows: the
        # same expression at two places of a unit has one value, or an
        # error where the first stands)
        if name not in ("coord", "seen") and not _same_operand(getattr(a, name), getattr(b, name)):
            return False
    return True


def _same_operand(x, y) -> bool:
    if isinstance(x, CType) and isinstance(y, CType):
        return same_type(x, y)
    if isinstance(x, E.Expr):
        return same_expr(x, y)
    if isinstance(x, Enumerator):
        return x is y
    if isinstance(x, (list, tuple)):
        return (isinstance(y, (list, tuple)) and len(x) == len(y)
                and all(_same_operand(p, q) for p, q in zip(x, y, strict=True)))
    return type(x) is type(y) and x == y
