"""The layout engine: GCC's struct layout rules, driven by an ABI record.

One ``LayoutEngine`` per ABI lays out model types and memoises the results.
The algorithm follows GCC's stor-layout.c for the non-MS bitfield rules
every Linux ABI uses, function by function:

* ``layout_type``: the size and alignment of any type (``TypeInfo``);
* ``start_record_layout``: a ``RecordLayoutInfo`` for one struct or union;
* ``place_field`` (``place_union_field`` in a union), which calls
  ``update_alignment_for_field``, which calls ``layout_decl`` for the
  field's own alignment (packed, aligned, the integer mode a bit-field
  may get);
* ``finish_record_layout``: ``finalize_record_size``, then
  ``compute_record_mode`` and what the mode decides (``_finalize_type``).

Where targets differ the ABI record says how (``pcc_bitfield_type_matters``,
``align_anon_bitfield``, ``empty_field_boundary_bytes``,
``structure_size_boundary_bytes``, and the per-type ``field_align_bytes``
that stands for i386's ADJUST_FIELD_ALIGN).

Alignment has one vocabulary here, as in ``abi.ScalarInfo``:

* ``preferred_align``: GCC's TYPE_ALIGN, ``__alignof__``: what a variable
  or an array element gets;
* ``abi_align``: C11 ``_Alignof`` (GCC's min_align_of_type): what the type
  gets as a struct member, lower than the preferred one where the ABI caps
  field alignment (i386 ``long long`` and ``double``);
* ``field_align``: ADJUST_FIELD_ALIGN, that cap itself.

Every name carries its unit (``*_bits``, ``*_bytes``).  Positions inside a
record are in bits, as in GCC; the sizes and alignments of types are in
bytes.
"""

from __future__ import annotations

import threading
from typing import Dict, List, Optional, Tuple

from .abi import ABI, ScalarInfo
from .consteval import Evaluator, IntType
from .errors import LayoutError, where_of
from .model import (
    MAX_ALIGN,
    GATED_SPELLINGS,
    Aligned,
    AlignSpec,
    Array,
    CType,
    Enum,
    Enumerator,
    Function,
    Member,
    Pointer,
    Qualified,
    Record,
    Scalar,
    Typedef,
    TypeofExpr,
    Void,
    unqualified,
)
from .plain import FRESH, PlainEq
from .typenames import type_name as spelt


def _err(msg: str, node) -> LayoutError:
    return LayoutError(msg, where_of(getattr(node, "coord", None)))


# The largest alignment GCC accepts in ``aligned`` or ``_Alignas``, in bytes.
# check_user_alignment limits the log2 to HOST_BITS_PER_INT - 4 (an int of
# the compiler's host counts the alignment in bits), so it is the same
# 2^28 for every target: "requested alignment '536870912' exceeds maximum
# 268435456".
MAX_USER_ALIGN = 1 << 28

BITS_PER_UNIT = 8

# The smallest max_object_size of any ABI (a 32-bit size_t): a size at or
# below it is within every ABI's limit.
LEAST_OBJECT_LIMIT = (1 << 31) - 1

# GCC's named address spaces, and the ABIs whose GCC has them.
_ADDRESS_SPACES = ("__seg_gs", "__seg_fs")
_X86_ABIS = ("x86_64", "i386", "x32")


def _round_up(x: int, align: int) -> int:
    return -(-x // align) * align


def _least_bit(x: int) -> int:
    return x & -x


# ---------------------------------------------------------------- results
class TypeInfo(PlainEq):
    """What GCC's layout_type records on a type for one ABI (bytes).

    ``preferred_align_bytes`` is TYPE_ALIGN (``__alignof__``) and
    ``abi_align_bytes`` is C11 ``_Alignof``; see the module docstring.
    """

    size_bytes: Optional[int]  # TYPE_SIZE_UNIT; None for incomplete types (and flexible arrays)
    preferred_align_bytes: int  # TYPE_ALIGN: what a variable or array element gets
    abi_align_bytes: int  # C11 _Alignof: what a struct member gets
    user_align: bool = False  # TYPE_USER_ALIGN: exempt from field alignment caps
    # ADJUST_FIELD_ALIGN (i386): the alignment a field of this type is capped
    # to, when that is below preferred_align_bytes; else None.
    field_align_cap_bytes: Optional[int] = None
    int_mode: bool = False  # TYPE_MODE is an integer mode (bit-field mode rules)
    record: Optional["PlacedRecord"] = None  # where the fields of a struct/union went
    blk_mode: bool = False  # TYPE_MODE is BLKmode: GCC gives the type no scalar mode

    _fields = ("size_bytes", "preferred_align_bytes", "abi_align_bytes", "user_align", "field_align_cap_bytes",
               "int_mode", "record", "blk_mode")

    def __init__(self, size_bytes: Optional[int], preferred_align_bytes: int, abi_align_bytes: int,
                 user_align: bool = False, field_align_cap_bytes: Optional[int] = None, int_mode: bool = False,
                 record: Optional["PlacedRecord"] = None, blk_mode: bool = False) -> None:
        self.size_bytes = size_bytes
        self.preferred_align_bytes = preferred_align_bytes
        self.abi_align_bytes = abi_align_bytes
        self.user_align = user_align
        self.field_align_cap_bytes = field_align_cap_bytes
        self.int_mode = int_mode
        self.record = record
        self.blk_mode = blk_mode

    @property
    def size_bits(self) -> int:
        """TYPE_SIZE: the size in bits, 0 when there is none."""
        return (self.size_bytes or 0) * BITS_PER_UNIT

    @property
    def preferred_align_bits(self) -> int:
        return self.preferred_align_bytes * BITS_PER_UNIT


class PlacedField(PlainEq):
    """One member of a struct or union where ``place_field`` put it."""

    member: Member
    bit_offset: int  # DECL_FIELD_OFFSET + DECL_FIELD_BIT_OFFSET, from the record's start
    bit_size: int  # DECL_SIZE: bit-field width, or the type's size in bits (0 if none)
    is_bitfield: bool  # declared with a width (GCC's DECL_BIT_FIELD_TYPE)
    type_info: TypeInfo
    # DECL_ALIGN once layout_decl is done: its type's, raised by aligned,
    # lowered by packed, #pragma pack and the ABI's field rules
    # (__alignof__ of the member answers it)
    align_bits: int = 0

    _fields = ("member", "bit_offset", "bit_size", "is_bitfield", "type_info", "align_bits")

    def __init__(self, member: Member, bit_offset: int, bit_size: int, is_bitfield: bool, type_info: TypeInfo,
                 align_bits: int = 0) -> None:
        self.member = member
        self.bit_offset = bit_offset
        self.bit_size = bit_size
        self.is_bitfield = is_bitfield
        self.type_info = type_info
        self.align_bits = align_bits

    @property
    def name(self) -> Optional[str]:
        return self.member.name

    @property
    def is_anonymous_record(self) -> bool:
        """An anonymous struct or union: its members belong to the
        enclosing record (C11 6.7.2.1p13)."""
        return self.member.name is None and self.type_info.record is not None \
            and not self.is_bitfield


class PlacedRecord(PlainEq):
    """A struct or union laid out: its fields placed, its size and alignment."""

    record: Record
    size_bytes: int  # TYPE_SIZE_UNIT, tail padding included
    preferred_align_bytes: int  # TYPE_ALIGN
    fields: List[PlacedField]
    data_bits: int = 0  # the unpadded size: end of the last field, before tail padding
    user_align: bool = False  # TYPE_USER_ALIGN: some alignment came from the user

    _fields = ("record", "size_bytes", "preferred_align_bytes", "fields", "data_bits", "user_align")

    def __init__(self, record: Record, size_bytes: int, preferred_align_bytes: int, fields: List[PlacedField] = FRESH,
                 data_bits: int = 0, user_align: bool = False) -> None:
        self.record = record
        self.size_bytes = size_bytes
        self.preferred_align_bytes = preferred_align_bytes
        self.fields = [] if fields is FRESH else fields
        self.data_bits = data_bits
        self.user_align = user_align

    @property
    def kind(self) -> str:
        return self.record.kind


# ------------------------------------------------------ work in progress
class FieldDecl(PlainEq):
    """GCC's FIELD_DECL for one member while its record is laid out: what
    the front end declared and what ``layout_decl`` makes of it."""

    member: Member
    type_info: TypeInfo
    bit_width: Optional[int]  # the declared width of a bit-field, else None
    packed: bool  # DECL_PACKED
    align_bits: int  # DECL_ALIGN
    user_align: bool  # DECL_USER_ALIGN
    # DECL_BIT_FIELD: still a bit-field once layout_decl is done (an
    # ordinary integer when its width is an integer mode's, aligned for it).
    bit_field: bool

    _fields = ("member", "type_info", "bit_width", "packed", "align_bits", "user_align", "bit_field")

    def __init__(self, member: Member, type_info: TypeInfo, bit_width: Optional[int], packed: bool, align_bits: int,
                 user_align: bool, bit_field: bool) -> None:
        self.member = member
        self.type_info = type_info
        self.bit_width = bit_width
        self.packed = packed
        self.align_bits = align_bits
        self.user_align = user_align
        self.bit_field = bit_field

    @property
    def is_bitfield(self) -> bool:
        """DECL_BIT_FIELD_TYPE: declared with a width."""
        return self.bit_width is not None

    @property
    def size_bits(self) -> int:
        """DECL_SIZE: the width of a bit-field, else the type's size."""
        return self.bit_width if self.bit_width is not None else self.type_info.size_bits

    @property
    def size_unit_bytes(self) -> int:
        """DECL_SIZE_UNIT: the bytes the field takes."""
        return -(-self.size_bits // BITS_PER_UNIT)

    def do_type_align(self) -> None:
        """do_type_align: at least the type's alignment, and its
        TYPE_USER_ALIGN with it when that raised DECL_ALIGN."""
        type_align_bits = self.type_info.preferred_align_bits
        if type_align_bits > self.align_bits:
            self.align_bits = type_align_bits
            self.user_align = self.type_info.user_align


class RecordLayoutInfo(PlainEq):
    """GCC's record_layout_info: one struct or union while its fields are placed.

    GCC keeps the next position as a byte offset plus a bit position below
    ``offset_align_bits``; a few roundings act on the bit part alone, which
    shows when a type's alignment exceeds BIGGEST_ALIGNMENT (sh4).  In a
    union ``offset_bytes`` is the size so far and ``bitpos`` stays 0.
    """

    record: Record
    is_union: bool
    pack_bits: int  # maximum_field_alignment: #pragma pack in bits, 0 for none
    user_align_bits: int  # the record's own aligned attribute, 0 for none
    record_align_bits: int  # rli->record_align: the alignment the fields need
    offset_align_bits: int  # rli->offset_align: the alignment offset_bytes keeps
    user_align: bool  # TYPE_USER_ALIGN of the record
    offset_bytes: int = 0  # rli->offset
    bitpos: int = 0  # rli->bitpos: bits past offset_bytes
    fields: List[PlacedField]

    _fields = ("record", "is_union", "pack_bits", "user_align_bits", "record_align_bits", "offset_align_bits",
               "user_align", "offset_bytes", "bitpos", "fields")

    def __init__(self, record: Record, is_union: bool, pack_bits: int, user_align_bits: int, record_align_bits: int,
                 offset_align_bits: int, user_align: bool, offset_bytes: int = 0, bitpos: int = 0,
                 fields: List[PlacedField] = FRESH) -> None:
        self.record = record
        self.is_union = is_union
        self.pack_bits = pack_bits
        self.user_align_bits = user_align_bits
        self.record_align_bits = record_align_bits
        self.offset_align_bits = offset_align_bits
        self.user_align = user_align
        self.offset_bytes = offset_bytes
        self.bitpos = bitpos
        self.fields = [] if fields is FRESH else fields

    @property
    def size_so_far_bits(self) -> int:
        """rli_size_so_far: the next free bit."""
        return self.offset_bytes * BITS_PER_UNIT + self.bitpos

    def normalize(self) -> None:
        """normalize_rli: move whole units of offset_align_bits from the
        bit position into the byte offset."""
        if self.bitpos >= self.offset_align_bits:
            units = self.bitpos // self.offset_align_bits
            self.offset_bytes += units * (self.offset_align_bits // BITS_PER_UNIT)
            self.bitpos %= self.offset_align_bits

    def known_align_bits(self) -> int:
        """place_field's "known alignment so far" of the next position: the
        lowest bit set in it, 0 at the very start."""
        if self.bitpos:
            return _least_bit(self.bitpos)
        if self.offset_bytes == 0:
            return 0
        return BITS_PER_UNIT * _least_bit(self.offset_bytes)

    def align_position(self, desired_align_bits: int) -> None:
        """Skip to the next multiple of ``desired_align_bits`` (place_field)."""
        if desired_align_bits < self.offset_align_bits:
            # Still within offset_align: just align the bit position.
            self.bitpos = _round_up(self.bitpos, desired_align_bits)
        else:
            # First move the partial bits into the offset, then align it.
            self.offset_bytes += -(-self.bitpos // BITS_PER_UNIT)
            self.bitpos = 0
            self.offset_bytes = _round_up(self.offset_bytes,
                                          desired_align_bits // BITS_PER_UNIT)


def _excess_unit_span(position_bits: int, size_bits: int, align_bits: int,
                      type_size_bits: int) -> bool:
    """excess_unit_span: a bit-field at ``position_bits`` would span more
    ``align_bits`` units than its type has."""
    start_bits = position_bits % align_bits
    return (start_bits + size_bits + align_bits - 1) // align_bits > type_size_bits // align_bits


class FactView:
    """The engine's view of its ABI: each fact read while a memoised result
    is computed (an attribute, or a scalar kind's ``ScalarInfo``) is written
    into the innermost open frame, so that the result can stand for every
    ABI on which those facts are the same."""

    __slots__ = ("_real", "_frames")

    def __init__(self, real: ABI, frames: List[dict]):
        self._real = real
        self._frames = frames

    def __getattr__(self, name: str):
        value = getattr(self._real, name)
        if self._frames:
            self._frames[-1][("a", name)] = value
        return value

    def scalar(self, kind: str) -> ScalarInfo:
        info = self._real.scalars.get(kind)
        if self._frames:
            self._frames[-1][("s", kind)] = info
        if info is None:
            raise LayoutError(f"type '{kind}' does not exist on ABI {self._real.name}")
        return info

    def has_scalar(self, kind: str) -> bool:
        info = self._real.scalars.get(kind)
        if self._frames:
            self._frames[-1][("s", kind)] = info
        return info is not None

    @property
    def pointer_size(self) -> int:
        return self.scalar("pointer").size


def facts_hold(abi: ABI, facts: dict) -> bool:
    """Are ``facts`` (a frame of ``FactView``) what ``abi`` says?"""
    for (kind, name), value in facts.items():
        now = getattr(abi, name) if kind == "a" else abi.scalars.get(name)
        if now != value:
            return False
    return True


class LayoutEngine:
    """Lays out model types for one ABI.

    Engines of one translation unit may share a ``pool``: a struct or union
    laid out by one is taken by another whose ABI agrees on every fact the
    layout read (the scalar kinds it met, the bit-field rules it applied,
    ...), so that the 18 ABIs lay out a record a handful of times, once per
    distinct answer."""

    def __init__(self, abi: ABI, pool: Optional[Dict[object, list]] = None):
        self.abi = abi
        self._frames: List[dict] = []  # facts read by the computations under way, innermost last
        # Without a pool nothing is shared, and nothing need be written down.
        self._pool = pool  # id(record) or a key -> [(facts, result)]
        self._abi = abi if pool is None else FactView(abi, self._frames)
        self._facts: Dict[object, dict] = {}  # memo key -> the facts its result read
        self.shared = 0  # records taken from the pool (tools/bench.py, the tests)
        self.ev = Evaluator(self)
        self._types: Dict[int, TypeInfo] = {}
        self._keep: List[object] = []  # keep ids stable (types, enums, enumerators)
        # type -> its C spelling for this ABI (type_name); only without a
        # pool: a spelling can read facts (an array's size), which a
        # shared result must have written down each time
        self._type_names: Optional[Dict[int, Tuple[CType, str]]] = {} if pool is None else None
        self._in_progress: set = set()
        self._enum_values: Dict[int, Tuple[int, IntType]] = {}
        self._enum_under: Dict[int, Tuple[str, bool]] = {}
        self._defining: List[int] = []  # ids of enums whose values are being computed
        # One computation at a time (an engine may be asked from several
        # threads, as verify's oracles do): the facts being written down,
        # and the types under way, are the engine's, not a thread's.
        self._lock = threading.RLock()

    def type_name(self, t: CType) -> str:
        """``typenames.type_name(t, self)``: a member list names the same
        few types thousands of times."""
        names = self._type_names
        if names is None:
            return spelt(t, self)
        with self._lock:  # what is kept was made by one computation at a time
            found = names.get(id(t))
            if found is not None and found[0] is t:
                return found[1]
            name = spelt(t, self)
            names[id(t)] = (t, name)  # the type held: its id is not reused
            return name

    @property
    def biggest_align_bits(self) -> int:
        """BIGGEST_ALIGNMENT."""
        return self._abi.biggest_alignment_bytes * BITS_PER_UNIT

    # ------------------------------------------------------------ scalars
    def scalar_kind(self, s: Scalar) -> str:
        kind = s.kind
        if kind == "mode:word":
            word = 8 if self._abi.name == "x32" else self._abi.pointer_size
            return "long" if self._abi.scalar("long").size == word else "long long"
        if kind == "mode:pointer":
            return "long"
        return kind

    # ------------------------------------------------------------- public
    def layout(self, t: CType) -> TypeInfo:
        """layout_type: the size and alignments of ``t`` (memoised)."""
        key = id(t)
        found = self._memo(key)
        if found is not None:
            return found
        with self._lock:
            found = self._memo(key)  # made by another thread meanwhile
            if found is not None:
                return found
            # (asked under the lock: another thread's type under way is not
            # this one containing itself)
            if key in self._in_progress:
                raise _err("type contains itself", getattr(t, "coord", None))
            # A record laid out inside an enum's definition (in a sizeof in
            # an enumerator) may read that enum's constants with their
            # definition-time types: that state is this engine's, no fact.
            pool = self._pool if isinstance(t, Record) and not self._defining else None
            if pool is not None:
                hit = self._from_pool(pool, key)
                if hit is not None:
                    self._store(key, t, hit[1], hit[0])
                    return hit[1]
            self._in_progress.add(key)
            frame = self._open()
            try:
                result = self._compute(t)
            finally:
                # first, and with no call of ours: a stack run out here
                # would leave the type "containing itself" for good
                self._in_progress.discard(key)
                self._close(frame)
            self._store(key, t, result, frame)
            if pool is not None:
                pool.setdefault(key, []).append((frame, result))
            return result

    @property
    def sharing(self) -> bool:
        """Whether this engine shares results with others (a pool)."""
        return self._pool is not None

    def pooled(self, key: tuple, compute):
        """``compute()``, or what it returned for another engine of the pool
        whose ABI agreed on every fact it read: for work derived from a
        layout (a member list), shared as the layouts are."""
        pool = self._pool
        if pool is None:
            return compute()
        with self._lock:
            hit = self._from_pool(pool, key)
            if hit is not None:
                return hit[1]
            frame = self._open()
            try:
                result = compute()
            finally:
                self._close(frame)
            if not self._defining:
                pool.setdefault(key, []).append((frame, result))
            return result

    # The facts behind each memoised result (see FactView).
    def _memo(self, key: int) -> Optional[TypeInfo]:
        """The memoised layout of a type, its facts read again by the caller."""
        found = self._types.get(key)
        if found is not None and self._frames:
            self._frames[-1].update(self._facts[key])
        return found

    def _from_pool(self, pool: Dict[object, list], key: object) -> Optional[tuple]:
        """(facts, result) another engine of the pool left under ``key`` for
        an ABI agreeing on every one of those facts, the caller reading them."""
        for facts, result in pool.get(key, ()):
            if facts_hold(self.abi, facts):
                self.shared += 1
                if self._frames:
                    self._frames[-1].update(facts)
                return facts, result
        return None

    def _open(self) -> Optional[dict]:
        if self._pool is None:
            return None
        frame: dict = {}
        self._frames.append(frame)
        return frame

    def _close(self, frame: Optional[dict]) -> None:
        """End ``frame``; what it read, its caller read too (also when it
        failed: a caller that goes on after an error depended on it)."""
        if frame is None:
            return
        self._frames.pop()
        if self._frames:
            self._frames[-1].update(frame)

    def _store(self, key: int, t: CType, result: TypeInfo, facts: Optional[dict]) -> None:
        self._types[key] = result
        self._keep.append(t)
        if facts is not None:
            self._facts[key] = facts

    def sizeof(self, t: CType, node=None) -> int:
        info = self.layout(t)
        if info.size_bytes is None:
            if isinstance(self._plain(t), (Function, Void)):
                return 1  # GCC extension (c_sizeof_or_alignof_type: size_one_node)
            raise _err(f"sizeof of incomplete type '{_describe(t)}'", node)
        return info.size_bytes

    def alignof(self, t: CType, gnu: bool, node=None) -> int:
        """``__alignof__`` (``gnu``) or C11 ``_Alignof``, in bytes."""
        plain = self._plain(t)
        if isinstance(plain, Function):
            # GCC answers FUNCTION_BOUNDARY, which the target's flags set
            # (arm: 2 bytes in Thumb mode, 4 with -marm), and no record has
            raise _err("the alignment of a function type (the target's function boundary) "
                       "is not modelled", node)
        if isinstance(plain, Void):
            return 1  # whatever alignment a typedef of it asks for (size_one_node)
        info = self.layout(t)
        if info.size_bytes is None:
            raise _err(f"invalid application of '{'__alignof__' if gnu else '_Alignof'}' to "
                       f"incomplete type '{_describe(t)}'", node)
        return info.preferred_align_bytes if gnu else info.abi_align_bytes

    def _plain(self, t: CType) -> CType:
        """``t`` without typedefs, qualifiers, alignment and typeof."""
        t = unqualified(t)
        while isinstance(t, TypeofExpr):
            t = unqualified(self.ev.type_of(t.expr))
        return t

    @property
    def max_object_size(self) -> int:
        """GCC's limit on the size of a type in bytes: the largest value of
        the signed sizetype (size_t's width), 2^31 - 1 or 2^63 - 1.  The
        element count of an array has the same limit."""
        return (1 << (self.ev.size_t().bits - 1)) - 1

    def placed_record(self, rec: Record) -> PlacedRecord:
        """``rec`` laid out, with every field placed."""
        info = self.layout(rec)
        if info.record is None:
            raise _err(f"'{rec.kind} {rec.tag}' is incomplete", rec.coord)
        return info.record

    # ---------------------------------------------------------- by kind
    def _compute(self, t: CType) -> TypeInfo:
        """layout_type, by the kind of type."""
        if isinstance(t, Scalar):
            if t.spelling in GATED_SPELLINGS and not self._abi.has_scalar(t.spelling):
                raise LayoutError(f"type '{t.spelling}' does not exist on ABI {self.abi.name}")
            return self._scalar_type_info(self._abi.scalar(self.scalar_kind(t)), t.is_integer)
        if isinstance(t, Pointer):
            self._check_pointee(t.target)
            info = self._abi.scalar("pointer")
            return TypeInfo(info.size, info.preferred_align_bytes, info.abi_align_bytes,
                            int_mode=True)
        if isinstance(t, Typedef):
            return self.layout(t.target)
        if isinstance(t, Qualified):
            base = self.layout(t.base)
            return self._atomic(t, base) if t.atomic else base
        if isinstance(t, Aligned):
            return self._aligned(t)
        if isinstance(t, Array):
            return self._array(t)
        if isinstance(t, Record):
            return self._record_type(t)
        if isinstance(t, Enum):
            return self._enum_type(t)
        if isinstance(t, TypeofExpr):
            if self.ev._is_bitfield_ref(t.expr):
                raise _err("'typeof' applied to a bit-field", getattr(t.expr, "coord", None) or t.coord)
            return self.layout(self.ev.type_of(t.expr))
        if isinstance(t, (Void, Function)):
            return TypeInfo(None, 1, 1)
        raise _err(f"cannot lay out {t!r}", getattr(t, "coord", None))

    def _check_pointee(self, t: CType) -> None:
        """What GCC refuses in a pointed-to type although the pointer has
        its own layout: a scalar type the ABI lacks (__float128 on aarch64,
        __int128 on 32-bit ABIs), an array whose elements are aligned past
        their size; through pointers, arrays, function types and typedefs,
        not into structs and unions.  (An array of an incomplete type, of
        void or of functions the builder refuses where it is declared.)"""
        while True:
            if isinstance(t, (Typedef, Qualified, Aligned, Pointer)):
                t = t.target if isinstance(t, (Typedef, Pointer)) else t.base
            elif isinstance(t, Scalar):
                self.layout(t)
                return
            elif isinstance(t, Array):
                self._typeof_elements_complete(t)
                core = unqualified(t.elem)
                elem = self.layout(t.elem) if isinstance(core, (Scalar, Record, Enum)) else None
                if elem is not None and elem.size_bytes and elem.size_bytes % elem.preferred_align_bytes:
                    raise _err("alignment of array elements is greater than element size", t)
                t = t.elem
            elif isinstance(t, Function):
                for part in [t.ret] + list(t.params or ()):
                    self._check_pointee(part)
                return
            else:
                return

    @staticmethod
    def _scalar_type_info(info: ScalarInfo, int_mode: bool) -> TypeInfo:
        """A scalar kind as the ABI record gives it; the field alignment is
        a cap only where it is below the preferred alignment (i386)."""
        cap_bytes = info.field_align_bytes \
            if info.field_align_bytes < info.preferred_align_bytes else None
        return TypeInfo(info.size, info.preferred_align_bytes, info.abi_align_bytes, False,
                        cap_bytes, int_mode=int_mode)

    def _aligned(self, t: Aligned) -> TypeInfo:
        """A type variant with attribute aligned: both alignments replaced.
        A variant made while its struct or union was incomplete gets, when
        it is completed, the larger of its own alignment and the type's
        (finalize_type_size); one of an enum, the enum's (finish_enum)."""
        base = self.layout(t.base)
        align_bytes = self._align_value(t.align)
        for spec in reversed(t.earlier):  # a later aligned(0) is dropped: the one before holds
            if align_bytes:
                break
            align_bytes = self._align_value(spec)
        if not align_bytes:
            return base
        if t.before_completion and base.size_bytes is not None:
            core = unqualified(t.base)
            if isinstance(core, Enum):
                return base
            # the struct's own alignment (TYPE_ALIGN of the main variant),
            # not another early variant's between them
            align_bytes = max(align_bytes, self.layout(core).preferred_align_bytes)
        # The variant keeps its machine mode, so i386's mode-based field
        # cap still applies where GCC ignores user alignment (bitfields).
        return TypeInfo(base.size_bytes, align_bytes, align_bytes, True,
                        base.field_align_cap_bytes, base.int_mode, base.record)

    def _enum_type(self, t: Enum) -> TypeInfo:
        """An enum has the layout of its underlying integer type."""
        if not t.complete:
            return TypeInfo(None, 1, 1)
        if t.aligns:
            raise _err("aligned on an enum type is not supported", t.coord)
        kind, _signed = self.enum_underlying(t)
        return self._scalar_type_info(self._abi.scalar(kind), int_mode=True)

    def _atomic(self, t: Qualified, base: TypeInfo) -> TypeInfo:
        inner = unqualified(t.base)
        if not isinstance(inner, (Scalar, Pointer, Enum)):
            raise _err("_Atomic on a non-scalar type is not supported", getattr(inner, "coord", None))
        size_bytes = base.size_bytes
        align_bytes = base.preferred_align_bytes
        if size_bytes in (1, 2, 4, 8, 16):
            align_bytes = max(align_bytes, min(size_bytes, self._abi.biggest_alignment_bytes))
        # Not TYPE_USER_ALIGN in GCC (a struct holding it stays cappable),
        # but exempt from the i386 field cap itself (GCC 11 and later).
        return TypeInfo(size_bytes, align_bytes, align_bytes, False, None, base.int_mode)

    def _align_value(self, spec: AlignSpec) -> int:
        """The alignment an ``aligned``/``_Alignas`` request asks for, in
        bytes (check_user_alignment); 0 for none."""
        if spec.expr is MAX_ALIGN:
            return self._abi.biggest_alignment_bytes
        value = self.ev.integer(spec.expr)
        where = where_of(spec.coord or getattr(spec.expr, "coord", None))
        if value == 0:
            return 0  # no request: _Alignas(0) has no effect, aligned(0) is warned of and dropped
        if value < 0 or value & (value - 1):
            raise LayoutError(f"requested alignment {value} is not a positive power of 2", where)
        if value > MAX_USER_ALIGN:
            raise LayoutError(f"requested alignment {value} exceeds maximum {MAX_USER_ALIGN}",
                              where)
        return value

    def _typeof_elements_complete(self, t: Array) -> None:
        """An array whose element names a typeof (``Array.seen``): what it
        stands for must be complete where the array is declared (the
        builder judges every other element), also behind a pointer."""
        if t.seen is not None:
            later = self.ev.defined_later(t.elem, t)
            if later is not None:
                raise _err(f"array type has incomplete element type '{later}' "
                           f"(it is defined after this point)", t)

    def _array(self, t: Array) -> TypeInfo:
        self._typeof_elements_complete(t)
        elem = self.layout(t.elem)
        if elem.size_bytes is None:
            raise _err(f"array of incomplete type '{_describe(t.elem)}'", t)
        if elem.size_bytes and elem.size_bytes % elem.preferred_align_bytes:
            # also of an array of no element or of unknown size
            raise _err("alignment of array elements is greater than element size", t)
        if t.dim is None:
            size_bytes = None
        else:
            count = self.ev.array_bound(t.dim)
            if count < 0:
                raise _err(f"array size {count} is negative", t.dim)
            # (the ABI's limit is read only past the least one: a layout
            # that never comes near it does not depend on size_t)
            if count > LEAST_OBJECT_LIMIT and count > self.max_object_size:
                raise _err(f"size of array is too large: {count} elements, more than "
                           f"{self.max_object_size} on {self._abi.name}", t)
            size_bytes = elem.size_bytes * count
            if size_bytes > LEAST_OBJECT_LIMIT and size_bytes > self.max_object_size:
                raise _err(f"size {size_bytes} of array exceeds maximum object size "
                           f"{self.max_object_size} on {self._abi.name}", t)
        # mode_for_array: one element keeps the element's mode, otherwise an
        # integer mode of the total size if there is one (at most 8 bytes).
        if size_bytes is None:
            blk_mode = True
        elif self.ev.integer(t.dim) == 1:
            blk_mode = elem.blk_mode
        else:
            blk_mode = size_bytes not in (1, 2, 4, 8)
        return TypeInfo(size_bytes, elem.preferred_align_bytes, elem.abi_align_bytes,
                        elem.user_align, elem.field_align_cap_bytes, False, None, blk_mode)

    # ------------------------------------------------------------- enums
    def _enumerator(self, e: Enumerator) -> Tuple[int, IntType]:
        found = self._enum_values.get(id(e))
        if found is not None:
            if self._frames:
                self._frames[-1].update(self._facts[("e", id(e))])
            return found
        with self._lock:  # see __init__
            return self._enumerator_locked(e)

    def _enumerator_locked(self, e: Enumerator) -> Tuple[int, IntType]:
        """Value and type GCC's build_enumerator gives ``e``: the type its
        constant has while the enum is being defined.

        An explicit value keeps the type of its expression (promoted), and
        becomes int when it fits.  An implicit one is the previous value + 1,
        computed in the previous value's type: GCC refuses it when that
        overflows ("overflow in enumeration values"), so INT_MAX or
        UINT_MAX followed by an implicit value is an error.
        """
        key = id(e)
        found = self._enum_values.get(key)
        if found is not None:
            if self._frames:
                self._frames[-1].update(self._facts[("e", key)])
            return found
        if key in self._in_progress:
            raise _err(f"enumerator '{e.name}' depends on itself", e)
        ev = self.ev
        self._in_progress.add(key)
        self._defining.append(id(e.enum))
        frame = self._open()
        # an overflow in an enumerator's value is the enumerator's (GCC
        # warns, and its constant makes no array that names it a VLA)
        overflowed = ev._overflowed
        try:
            if e.expr is not None:
                v = ev.value(e.expr)
                if isinstance(v, tuple) and isinstance(v[1], IntType):
                    value, vtype = v[0], ev.promote(v[1])
                else:
                    raise _err(f"enumerator value for '{e.name}' is not an integer constant", e)
            elif e.index == 0:
                value, vtype = 0, ev.int_t
            else:
                assert e.enum.enumerators is not None  # e is one of them
                earlier = e.enum.enumerators[:e.index]
                if id(earlier[-1]) not in self._enum_values:
                    for other in earlier[:-1]:  # in order: no deep recursion
                        self._enumerator(other)
                previous, ptype = self._enumerator(earlier[-1])
                vtype = ev.common_type(ptype, ev.int_t)
                value = previous + 1
                if not vtype.fits(value):
                    raise _err(f"overflow in enumeration values: '{e.name}' would be "
                               f"{previous} + 1, which does not fit in "
                               f"{'' if vtype.signed else 'unsigned '}{vtype.kind}", e)
            if ev.int_t.fits(value):
                vtype = ev.int_t
        finally:
            self._in_progress.discard(key)  # first: see layout()
            ev._overflowed = overflowed
            self._defining.pop()
            self._close(frame)
        self._enum_values[key] = (value, vtype)
        self._keep.append(e)  # keyed by id: the enumerator held, its id not reused
        if frame is not None:
            self._facts[("e", key)] = frame
        return value, vtype

    def enumerator_value(self, e: Enumerator) -> int:
        """The value of ``e`` (an error naming it where it is no integer
        constant)."""
        return self._enumerator(e)[0]

    def enumerator_type(self, e: Enumerator) -> IntType:
        """The type of ``e`` where an expression names it.

        Inside its own enum's definition it has the type build_enumerator
        gave it.  Once the enum is complete, GCC's finish_enum converts every
        enumerator that is not an int to the enum type.
        """
        _, vtype = self._enumerator(e)
        if id(e.enum) in self._defining or vtype == self.ev.int_t:
            return vtype
        kind, signed = self.enum_underlying(e.enum)
        return self.ev.int_type(kind, signed)

    def enumerator_constant(self, e: Enumerator, node=None) -> Tuple[int, IntType]:
        """Value and type of ``e`` where an expression names it.

        The value fits the type, except in an enum too wide for any type
        (``enum_underlying``): there GCC's conversion to long long overflows
        (0xffffffffffffffff becomes -1, flagged as an overflow), and what GCC
        makes of the flagged constant depends on the use (an array of that
        size is "variably modified", a bit-field width takes -1).  Such a use
        is refused.
        """
        value, _ = self._enumerator(e)
        etype = self.enumerator_type(e)
        if not etype.fits(value):
            raise _err(f"enumerator '{e.name}' ({value}) overflows its enum's type "
                       f"{'' if etype.signed else 'unsigned '}{etype.kind}; GCC does not "
                       "treat it as an integer constant everywhere", node)
        return value, etype

    def enum_underlying(self, en: Enum) -> Tuple[str, bool]:
        """GCC's choice of integer type for a complete enum (finish_enum)."""
        with self._lock:  # see __init__
            return self._enum_underlying_locked(en)

    def _enum_underlying_locked(self, en: Enum) -> Tuple[str, bool]:
        key = id(en)
        found = self._enum_under.get(key)
        if found is not None:
            if self._frames:
                self._frames[-1].update(self._facts[("u", key)])
            return found
        if not en.complete or key in self._defining:
            raise _err(f"enum '{en.tag}' is incomplete", en)
        frame = self._open()
        try:
            result = self._enum_underlying(en)
        finally:
            self._close(frame)
        self._enum_under[key] = result
        self._keep.append(en)  # keyed by id: the enum held
        if frame is not None:
            self._facts[("u", key)] = frame
        return result

    def _enum_underlying(self, en: Enum) -> Tuple[str, bool]:
        assert en.enumerators is not None  # complete
        values = [self._enumerator(e)[0] for e in en.enumerators] or [0]
        lo, hi = min(values), max(values)
        unsigned = lo >= 0

        def prec(v: int) -> int:
            if unsigned:
                return max(v.bit_length(), 1)
            return (v if v >= 0 else ~v).bit_length() + 1

        precision = max(prec(lo), prec(hi))
        int_bits = self._abi.scalar("int").size * 8
        if en.mode is not None:
            # finish_enum: the mode's precision, if the values fit in it
            mode_kind = self.scalar_kind(Scalar(en.mode, True, en.mode))
            if not self._abi.has_scalar(mode_kind):
                raise _err(f"mode {en.mode} has no integer type on {self._abi.name}", en)
            bits = self._abi.scalar(mode_kind).size * 8
            if precision > bits:
                raise _err("specified mode too small for enumerated values", en)
            return (self._type_for_size(bits) or mode_kind, not unsigned)
        if en.packed or precision > int_bits:
            kind = self._type_for_size(precision)
            if kind is None:
                # GCC only warns ("enumeration values exceed range of
                # largest integer") and makes the enum a signed long long:
                # -1 with 0xffffffffffffffff is 8 bytes, 0xff..ff is -1.
                result = ("long long", True)
            else:
                result = (kind, not unsigned)
        else:
            result = ("int", not unsigned)
        return result

    def _type_for_size(self, bits: int) -> Optional[str]:
        """c_common_type_for_size: a standard integer type of exactly
        ``bits`` (__int128 included where the ABI has it), else the
        smallest of 8, 16, 32 or 64 bits that holds them, else None: 65 to
        127 bits have no type even where __int128 exists."""
        sizes = [(kind, self._abi.scalar(kind).size * 8)
                 for kind in ("int", "char", "short", "long", "long long", "__int128")
                 if self._abi.has_scalar(kind)]
        for kind, kbits in sizes:
            if kbits == bits:
                return kind
        for kind, kbits in sorted(sizes, key=lambda item: item[1]):
            if bits <= kbits <= 64:
                return kind
        return None

    # ----------------------------------------------------------- records
    def _record_type(self, rec: Record) -> TypeInfo:
        """layout_type for a struct or union: lay out its fields, then
        finalize_type from its mode."""
        if not rec.complete:
            return TypeInfo(None, 1, 1)
        rli = self._start_record_layout(rec)
        members = rec.members or []
        for index, member in enumerate(members):
            decl = self._field_decl(rli, member, is_last=index == len(members) - 1)
            self._place_field(rli, decl)
        # finish_record_layout
        return self._finalize_type(self._finalize_record_size(rli))

    def _start_record_layout(self, rec: Record) -> RecordLayoutInfo:
        """start_record_layout: the record's own alignment before any field."""
        pack_bits = rec.pack * BITS_PER_UNIT if rec.pack else 0
        user_align_bits = 0
        for spec in rec.aligns:  # the last one given wins (aligned(0) is dropped)
            user_align_bits = self._align_value(spec) * BITS_PER_UNIT or user_align_bits
        record_align_bits = max(BITS_PER_UNIT, user_align_bits)
        offset_align_bits = max(record_align_bits, self.biggest_align_bits)
        if not rec.packed:
            # STRUCTURE_SIZE_BOUNDARY, lowered by #pragma pack.
            boundary_bits = self._abi.structure_size_boundary_bytes * BITS_PER_UNIT
            if pack_bits:
                boundary_bits = min(boundary_bits, pack_bits)
            record_align_bits = max(record_align_bits, boundary_bits)
        return RecordLayoutInfo(
            record=rec, is_union=rec.kind == "union", pack_bits=pack_bits,
            user_align_bits=user_align_bits, record_align_bits=record_align_bits,
            offset_align_bits=offset_align_bits, user_align=bool(user_align_bits))

    # ------------------------------------------------------ declarations
    def _field_decl(self, rli: RecordLayoutInfo, member: Member, is_last: bool) -> FieldDecl:
        """The FIELD_DECL the C front end makes of ``member`` (grokfield and
        finish_struct in c-decl.c): its checks, DECL_PACKED and the
        alignment the declaration asks for."""
        if member.seen is not None:
            # a typeof in the member's type (also through typedefs): what it
            # stands for must be complete where the member is declared (the
            # builder judges every other member)
            later = self.ev.defined_later(member.type, member)
            if later is not None:
                raise _err(f"member '{member.name or '<anonymous>'}' has incomplete type "
                           f"'{later}' (it is defined after this point)", member)
        try:
            type_info = self.layout(member.type)
        except LayoutError as exc:
            if exc.where is not None:
                raise
            # The type has no position of its own (a scalar, a pointer):
            # the member that uses it is where the error is.
            raise LayoutError(exc.message, where_of(member.coord)) from None
        self._check_address_spaces(member)
        base = unqualified(member.type)
        if isinstance(base, (Function, Void)):
            what = "function" if isinstance(base, Function) else "void"
            raise _err(f"member '{member.name}' has {what} type", member)
        bit_width = self._bit_width(member, type_info)
        if type_info.size_bytes is None:
            self._check_flexible_array(rli, member, base, is_last)
        # finish_struct: in a packed struct every bitfield is packed, and
        # every field whose type is aligned beyond a byte.
        packed = member.packed or (rli.record.packed and (
            bit_width is not None or type_info.preferred_align_bits > BITS_PER_UNIT))
        align_bits = 1
        user_align = False
        alignas = None  # the largest _Alignas, and where it is written
        for spec in member.aligns:  # the largest one wins
            value = self._align_value(spec)
            if not value:
                continue
            user_align = True
            if spec.alignas and (alignas is None or value > alignas[0]):
                alignas = (value, spec)
            align_bits = max(align_bits, value * BITS_PER_UNIT)
        if alignas is not None and alignas[0] < self._min_align_of_type(member.type, type_info):
            raise _err(f"'_Alignas' specifiers cannot reduce alignment of "
                       f"'{member.name or '<anonymous>'}'", alignas[1])
        return FieldDecl(member, type_info, bit_width, packed, align_bits,
                         user_align=user_align, bit_field=bit_width is not None)

    def _check_address_spaces(self, member: Member) -> None:
        """Named address spaces (``int __seg_gs *p``) are x86's: GCC for
        another target does not know the keyword."""
        t = member.type
        while True:
            if isinstance(t, Qualified):
                for q in t.quals:
                    # the ABI's name is read only here: no other layout
                    # depends on it
                    if q in _ADDRESS_SPACES and self._abi.name not in _X86_ABIS:
                        raise _err(f"'{q}' is an x86 address space, unknown to GCC for "
                                   f"{self._abi.name}", member)
                t = t.base
            elif isinstance(t, (Typedef, Aligned)):
                t = t.target if isinstance(t, Typedef) else t.base
            elif isinstance(t, Pointer):
                t = t.target
            elif isinstance(t, Array):
                t = t.elem
            else:
                return

    def _bit_width(self, member: Member, type_info: TypeInfo) -> Optional[int]:
        """check_bitfield_type_and_width: the width of a bit-field member,
        None for an ordinary member."""
        if member.bitwidth is None:
            return None
        width_bits = self.ev.integer(member.bitwidth)
        int_type = self.ev.ctype_int(member.type)
        if int_type is None:
            raise _err(f"bit-field '{member.name or '<anonymous>'}' has a non-integer type", member)
        t = member.type
        while isinstance(t, (Typedef, Qualified, Aligned, TypeofExpr)):
            if isinstance(t, Qualified) and t.atomic:
                raise _err(f"bit-field '{member.name or '<anonymous>'}' has atomic type", member)
            if isinstance(t, TypeofExpr):
                t = self.ev.type_of(t.expr)
            else:
                t = t.target if isinstance(t, Typedef) else t.base
        if width_bits < 0:
            raise _err(f"negative width in bit-field '{member.name or '<anonymous>'}'", member)
        if width_bits > type_info.size_bits or (int_type.kind == "_Bool" and width_bits > 1):
            raise _err(f"width of '{member.name or '<anonymous>'}' exceeds its type", member)
        core = unqualified(t)
        if isinstance(core, Scalar) and core.signed_as is not None:
            # a mode on an enum type: GCC holds the width to the enum's own
            # precision (its underlying type's), whatever the mode
            kind, signed = self.enum_underlying(core.signed_as)
            if width_bits > self.ev.int_type(kind, signed).bits:
                raise _err(f"width of '{member.name or '<anonymous>'}' exceeds its type", member)
        if width_bits == 0 and member.name is not None:
            raise _err(f"zero width for bit-field '{member.name}'", member)
        return width_bits

    @staticmethod
    def _check_flexible_array(rli: RecordLayoutInfo, member: Member, base: CType,
                              is_last: bool) -> None:
        """finish_struct: a member of unknown size must be a flexible array
        member, last in a struct."""
        if not (isinstance(base, Array) and base.dim is None):
            raise _err(f"member '{member.name}' has incomplete type '{_describe(member.type)}'",
                       member)
        t = member.type
        while isinstance(t, (Typedef, Qualified, Aligned)):
            if isinstance(t, Aligned):
                # GCC lays the member out without it (a member's own
                # 'aligned' stays), for no rule found written down
                raise _err(f"'aligned' on a typedef of an array of unknown size, as the type of "
                           f"flexible array member '{member.name}', is not supported", member)
            t = t.target if isinstance(t, Typedef) else t.base
        if rli.is_union:
            raise _err(f"flexible array member '{member.name}' in a union", member)
        if not is_last:
            raise _err(f"flexible array member '{member.name}' not at end of struct", member)
        members = rli.record.members or []
        if not any(m.name is not None or (m.bitwidth is None and isinstance(unqualified(m.type), Record))
                   for m in members[:-1]):
            raise _err(f"flexible array member '{member.name}' in a struct with no named members",
                       member)

    def _min_align_of_type(self, t: CType, type_info: TypeInfo) -> int:
        """min_align_of_type, in bytes: the type's alignment, lowered by
        the ABI's field rule (i386's 4 for double and long long) unless a
        user asked for it.  The rule is asked with no field, so an _Atomic
        one is lowered too (a field of it is not: _atomic)."""
        align = type_info.preferred_align_bytes
        if type_info.user_align:
            return align
        cap = type_info.field_align_cap_bytes
        if cap is None:
            core = unqualified(t)
            if core is not t and isinstance(core, (Scalar, Enum)):
                cap = self.layout(core).field_align_cap_bytes
        return align if cap is None else min(align, cap)

    def _adjust_field_align(self, type_info: TypeInfo, align_bits: int) -> int:
        """ADJUST_FIELD_ALIGN: i386 caps the alignment of long long, double
        (and records with their modes) in structs."""
        if type_info.field_align_cap_bytes is not None:
            return min(align_bits, type_info.field_align_cap_bytes * BITS_PER_UNIT)
        return align_bits

    def _field_type_align_bits(self, type_info: TypeInfo) -> int:
        """TYPE_ALIGN of a field's type as bit-field rules use it: through
        ADJUST_FIELD_ALIGN unless the alignment came from the user."""
        if type_info.user_align:
            return type_info.preferred_align_bits
        return self._adjust_field_align(type_info, type_info.preferred_align_bits)

    def _layout_decl(self, rli: RecordLayoutInfo, decl: FieldDecl, known_align_bits: int) -> None:
        """layout_decl for a FIELD_DECL: DECL_ALIGN and DECL_USER_ALIGN from
        the type, the packed and aligned attributes and #pragma pack."""
        old_user_align = decl.user_align
        packed = decl.packed  # packed_p: a zero-width bit-field is never packed
        if decl.is_bitfield:
            if decl.bit_width == 0:
                packed = False
                self._align_zero_width_bitfield(decl)
            self._bitfield_integer_mode(decl, known_align_bits)
        elif packed and decl.user_align:
            # Packing supersedes the user alignment inherited from the type,
            # but not an alignment written on the member itself.
            pass
        else:
            decl.do_type_align()
        if packed and not old_user_align:
            decl.align_bits = min(decl.align_bits, BITS_PER_UNIT)
        if not packed and not decl.user_align:
            decl.align_bits = self._adjust_field_align(decl.type_info, decl.align_bits)
        # maximum_field_alignment (#pragma pack), which zero-width
        # bit-fields ignore.
        max_field_align_bits = 0 if decl.bit_width == 0 else rli.pack_bits
        if max_field_align_bits:
            decl.align_bits = min(decl.align_bits, max_field_align_bits)

    def _align_zero_width_bitfield(self, decl: FieldDecl) -> None:
        """layout_decl: ``T :0`` aligns the next field to T where bit-field
        types matter, else to EMPTY_FIELD_BOUNDARY."""
        if self._abi.pcc_bitfield_type_matters:
            decl.do_type_align()
            return
        empty_field_boundary_bits = self._abi.empty_field_boundary_bytes * BITS_PER_UNIT
        if empty_field_boundary_bits > decl.align_bits:
            decl.align_bits = empty_field_boundary_bits
            decl.user_align = False

    def _bitfield_integer_mode(self, decl: FieldDecl, known_align_bits: int) -> None:
        """layout_decl: a bit-field whose width is an integer mode's and
        whose position is already aligned for it becomes an ordinary
        integer (DECL_BIT_FIELD off) with that mode's alignment.  TImode
        exists where __int128 does."""
        width_bits = decl.bit_width
        if not decl.type_info.int_mode:
            return
        if not (width_bits in (8, 16, 32, 64)
                or (width_bits == 128 and self._abi.has_scalar("__int128"))):
            return
        mode_align_bits = min(width_bits, self.biggest_align_bits)
        if mode_align_bits > BITS_PER_UNIT and decl.packed:
            return
        if known_align_bits == 0 or known_align_bits >= mode_align_bits:
            decl.align_bits = max(mode_align_bits, decl.align_bits)
            decl.bit_field = False

    def _update_alignment_for_field(self, rli: RecordLayoutInfo, decl: FieldDecl,
                                    known_align_bits: int) -> int:
        """update_alignment_for_field: lay the field out and raise the
        record's alignment to what it needs; returns DECL_ALIGN."""
        self._layout_decl(rli, decl, known_align_bits)
        desired_align_bits = decl.align_bits
        user_align = decl.user_align
        type_info = decl.type_info
        abi = self._abi
        if decl.is_bitfield and type_info.size_bits and abi.pcc_bitfield_type_matters:
            # Named bit-fields give the record the alignment of their type;
            # some targets let unnamed ones do it too.
            if decl.member.name is not None or abi.align_anon_bitfield:
                type_align_bits = self._field_type_align_bits(type_info)
                if decl.bit_width == 0:
                    pass  # not influenced by #pragma pack or packed
                elif rli.pack_bits:
                    type_align_bits = min(type_align_bits, rli.pack_bits)
                elif decl.packed:
                    type_align_bits = min(type_align_bits, BITS_PER_UNIT)
                rli.record_align_bits = max(rli.record_align_bits, desired_align_bits,
                                            type_align_bits)
                user_align |= type_info.user_align
        else:
            rli.record_align_bits = max(rli.record_align_bits, desired_align_bits)
        rli.user_align |= user_align
        return desired_align_bits

    # --------------------------------------------------------- placement
    def _place_field(self, rli: RecordLayoutInfo, decl: FieldDecl) -> None:
        """place_field: put the field at the next position its alignment
        allows, and advance past it."""
        if rli.is_union:
            self._place_union_field(rli, decl)
            return
        known_align_bits = rli.known_align_bits()
        desired_align_bits = self._update_alignment_for_field(rli, decl, known_align_bits)
        if known_align_bits == 0:
            known_align_bits = max(self.biggest_align_bits, rli.record_align_bits)
        # Does the field have the alignment it needs from what precedes it?
        if known_align_bits < desired_align_bits:
            rli.align_position(desired_align_bits)
        if self._bitfield_type_matters_here(rli, decl):
            # A bit-field may not span more units of its type's alignment
            # than its type itself: advance to the next unit if it would.
            type_align_bits = self._field_type_align_bits(decl.type_info)
            assert decl.bit_width is not None  # only bit-fields get here
            if _excess_unit_span(rli.size_so_far_bits, decl.bit_width, type_align_bits,
                                 decl.type_info.size_bits) and not decl.packed:
                rli.bitpos = _round_up(rli.bitpos, type_align_bits)
        rli.normalize()
        rli.fields.append(PlacedField(decl.member, rli.size_so_far_bits, decl.size_bits,
                                      decl.is_bitfield, decl.type_info, decl.align_bits))
        rli.bitpos += decl.size_bits
        rli.normalize()

    def _bitfield_type_matters_here(self, rli: RecordLayoutInfo, decl: FieldDecl) -> bool:
        """place_field's test for PCC_BITFIELD_TYPE_MATTERS compatibility: a
        non-empty bit-field, not packed (or of a byte-aligned type), with no
        #pragma pack."""
        return (self._abi.pcc_bitfield_type_matters and decl.bit_field
                and (not decl.packed or decl.type_info.preferred_align_bits <= BITS_PER_UNIT)
                and rli.pack_bits == 0 and bool(decl.bit_width))

    def _place_union_field(self, rli: RecordLayoutInfo, decl: FieldDecl) -> None:
        """place_union_field: every field at offset 0; the union is as large
        as its largest field, in whole bytes."""
        self._update_alignment_for_field(rli, decl, known_align_bits=0)
        rli.fields.append(PlacedField(decl.member, 0, decl.size_bits, decl.is_bitfield,
                                      decl.type_info, decl.align_bits))
        rli.offset_bytes = max(rli.offset_bytes, decl.size_unit_bytes)

    # -------------------------------------------------------- completion
    def _finalize_record_size(self, rli: RecordLayoutInfo) -> PlacedRecord:
        """finalize_record_size: the record's alignment, and its size
        rounded up to it (tail padding).  GCC refuses a record larger than
        any object can be."""
        rec = rli.record
        data_bits = rli.size_so_far_bits
        align_bits = max(rli.user_align_bits, rli.record_align_bits)
        size_bytes = _round_up(-(-data_bits // BITS_PER_UNIT), align_bits // BITS_PER_UNIT)
        if size_bytes > LEAST_OBJECT_LIMIT and size_bytes > self.max_object_size:
            raise _err(f"type '{rec.kind} {rec.tag or '<anonymous>'}' is too large: "
                       f"{size_bytes} bytes, more than {self.max_object_size} on {self._abi.name}",
                       rec)
        return PlacedRecord(rec, size_bytes, align_bits // BITS_PER_UNIT, rli.fields, data_bits,
                            rli.user_align)

    def _finalize_type(self, placed: PlacedRecord) -> TypeInfo:
        """The rest of finish_record_layout, as far as it shows: the
        record's mode (compute_record_mode), and the field alignment i386
        derives from that mode (ADJUST_FIELD_ALIGN), which C11 _Alignof
        reports (min_align_of_type)."""
        blk_mode = self._record_blk_mode(placed)
        cap_bytes = None
        abi_align_bytes = placed.preferred_align_bytes
        mode_cap_bytes = self._int_mode_field_align_cap_bytes()
        if mode_cap_bytes and not blk_mode and placed.preferred_align_bytes > mode_cap_bytes:
            # i386: a record GCC gives an integer mode (DImode here) is
            # capped like long long when it is a field, unless its
            # alignment came from the user.
            cap_bytes = mode_cap_bytes
            if not placed.user_align:
                abi_align_bytes = mode_cap_bytes
        return TypeInfo(placed.size_bytes, placed.preferred_align_bytes, abi_align_bytes,
                        placed.user_align, cap_bytes, False, placed, blk_mode)

    @staticmethod
    def _record_blk_mode(placed: PlacedRecord) -> bool:
        """compute_record_mode, as far as it matters here: a record is
        BLKmode if a member has no size (flexible array) or is BLKmode
        itself (zero-sized members excepted), or if no integer mode fits."""
        if placed.size_bytes not in (1, 2, 4, 8):
            return True
        for placed_field in placed.fields:
            info = placed_field.type_info
            if info.size_bytes is None and not placed_field.is_bitfield:
                return True
            if info.blk_mode and info.size_bytes:
                return True
        return False

    def _int_mode_field_align_cap_bytes(self) -> Optional[int]:
        """i386's ADJUST_FIELD_ALIGN limit for integer-mode types, if any."""
        info = self._abi.scalar("long long")
        if info.field_align_bytes < info.preferred_align_bytes:
            return info.field_align_bytes
        return None

    # ------------------------------------------------------- member paths
    def member_offset(self, rtype: CType, name: str, node) -> Tuple[int, CType, bool]:
        """Bit offset, type and bitfield-ness of ``name`` in a struct/union.

        Searches anonymous members the way C does.
        """
        bit_offset, placed_field = self.member_field(rtype, name, node)
        return bit_offset, placed_field.member.type, placed_field.is_bitfield

    def member_field(self, rtype: CType, name: str, node) -> Tuple[int, PlacedField]:
        """Bit offset and placed field of ``name`` in a struct or union."""
        rec = unqualified(rtype)
        if isinstance(rec, TypeofExpr):
            rec = unqualified(self.ev.type_of(rec.expr))
        if not isinstance(rec, Record):
            raise _err(f"request for member '{name}' in something not a struct or union", node)
        found = _find_member(self.placed_record(rec), name)
        if found is None:
            raise _err(f"'{_describe(rec)}' has no member named '{name}'", node)
        return found

    def offsetof(self, t: CType, steps, node, ev: Evaluator) -> int:
        cur = t
        offset_bits = 0
        for kind, arg in steps:
            if kind == "member":
                member_bits, mtype, is_bitfield = self.member_offset(cur, arg, node)
                if is_bitfield:
                    raise _err(f"offsetof of bit-field '{arg}'", node)
                offset_bits += member_bits
                cur = mtype
            else:
                arr = unqualified(cur)
                if not isinstance(arr, Array):
                    raise _err("offsetof subscript on a non-array", node)
                offset_bits += ev.integer(arg) * self.sizeof(arr.elem, node) * BITS_PER_UNIT
                cur = arr.elem
        return offset_bits // BITS_PER_UNIT


def _find_member(placed: PlacedRecord, name: str) -> Optional[Tuple[int, PlacedField]]:
    for placed_field in placed.fields:
        if placed_field.member.name == name:
            return placed_field.bit_offset, placed_field
        inner = placed_field.type_info.record
        if placed_field.member.name is None and inner is not None:
            found = _find_member(inner, name)
            if found is not None:
                return placed_field.bit_offset + found[0], found[1]
    return None


def _describe(t: CType) -> str:
    try:
        return spelt(t)
    except Exception:  # pragma: no cover - only for messages
        return repr(t)
