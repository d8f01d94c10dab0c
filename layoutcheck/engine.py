"""The layout engine: GCC's struct layout rules, driven by an ABI record.

One ``LayoutEngine`` per ABI lays out model types and memoises the results.
The algorithm follows GCC's stor-layout (``layout_decl``,
``update_alignment_for_field``, ``place_field``, ``finalize_record_size``)
for the non-MS bitfield rules every Linux ABI uses; where targets differ the
ABI record says how (``pcc_bitfield_type_matters``, ``align_anon_bitfield``,
``empty_field_boundary``, ``structure_size_boundary``, and the per-type
``field_align`` that stands for i386's ADJUST_FIELD_ALIGN).

All positions inside the engine are in bits, as in GCC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .abi import ABI
from .consteval import Evaluator, IntType
from .errors import LayoutError, where_of
from .model import (
    MAX_ALIGN,
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


def _err(msg: str, node) -> LayoutError:
    return LayoutError(msg, where_of(getattr(node, "coord", None)))


# The largest alignment GCC accepts in ``aligned`` or ``_Alignas``, in bytes.
# check_user_alignment limits the log2 to HOST_BITS_PER_INT - 4 (an int of
# the compiler's host counts the alignment in bits), so it is the same
# 2^28 for every target: "requested alignment '536870912' exceeds maximum
# 268435456".
MAX_USER_ALIGN = 1 << 28


def _round_up(x: int, align: int) -> int:
    return -(-x // align) * align


def _least_bit(x: int) -> int:
    return x & -x


@dataclass
class TypeLayout:
    """Size and alignment of a type on one ABI (bytes)."""

    size: Optional[int]  # None for incomplete types (and flexible arrays)
    align: int  # GCC TYPE_ALIGN: what a variable or array element gets
    c_align: int  # C11 _Alignof
    user_align: bool = False  # TYPE_USER_ALIGN: exempt from field caps
    field_cap: Optional[int] = None  # i386-style cap on field alignment
    int_mode: bool = False  # an integer-class type (bitfield mode rules)
    record: Optional["RecordLayout"] = None
    blk: bool = False  # GCC would give the type BLKmode (no scalar mode)


@dataclass
class FieldLayout:
    member: Member
    bit_offset: int  # from the start of the enclosing record
    bit_size: int  # bitfield width, or the type's size in bits (0 if none)
    is_bitfield: bool
    type_layout: TypeLayout

    @property
    def name(self) -> Optional[str]:
        return self.member.name


@dataclass
class RecordLayout:
    record: Record
    size: int
    align: int
    fields: List[FieldLayout] = field(default_factory=list)
    data_bits: int = 0  # end of the last field, before tail padding
    user_align: bool = False  # TYPE_USER_ALIGN: some alignment came from the user

    @property
    def kind(self) -> str:
        return self.record.kind


class LayoutEngine:
    """Lays out model types for one ABI."""

    def __init__(self, abi: ABI):
        self.abi = abi
        self.ev = Evaluator(self)
        self._types: Dict[int, TypeLayout] = {}
        self._keep: List[CType] = []  # keep ids stable
        self._in_progress: set = set()
        self._enum_values: Dict[int, Tuple[int, IntType]] = {}
        self._enum_under: Dict[int, Tuple[str, bool]] = {}
        self._defining: List[int] = []  # ids of enums whose values are being computed

    # ------------------------------------------------------------ scalars
    def scalar_kind(self, s: Scalar) -> str:
        kind = s.kind
        if kind == "mode:word":
            word = 8 if self.abi.name == "x32" else self.abi.pointer_size
            return "long" if self.abi.scalar("long").size == word else "long long"
        if kind == "mode:pointer":
            return "long"
        return kind

    # ------------------------------------------------------------- public
    def layout(self, t: CType) -> TypeLayout:
        key = id(t)
        found = self._types.get(key)
        if found is not None:
            return found
        if key in self._in_progress:
            raise _err("type contains itself", getattr(t, "coord", None))
        self._in_progress.add(key)
        try:
            result = self._compute(t)
        finally:
            self._in_progress.discard(key)
        self._types[key] = result
        self._keep.append(t)
        return result

    def sizeof(self, t: CType, node=None) -> int:
        tl = self.layout(t)
        if tl.size is None:
            base = unqualified(t)
            if isinstance(base, Function):
                return 1  # GCC extension
            raise _err(f"sizeof of incomplete type '{_describe(t)}'", node)
        return tl.size

    def alignof(self, t: CType, gnu: bool, node=None) -> int:
        tl = self.layout(t)
        return tl.align if gnu else tl.c_align

    @property
    def max_object_size(self) -> int:
        """GCC's limit on the size of a type in bytes: the largest value of
        the signed sizetype (size_t's width), 2^31 - 1 or 2^63 - 1.  The
        element count of an array has the same limit."""
        return (1 << (self.ev.size_t().bits - 1)) - 1

    def record_layout(self, rec: Record) -> RecordLayout:
        tl = self.layout(rec)
        if tl.record is None:
            raise _err(f"'{rec.kind} {rec.tag}' is incomplete", rec.coord)
        return tl.record

    # ---------------------------------------------------------- by kind
    def _compute(self, t: CType) -> TypeLayout:
        if isinstance(t, Scalar):
            kind = self.scalar_kind(t)
            info = self.abi.scalar(kind)
            cap = info.field_align if info.field_align < info.pref_align else None
            return TypeLayout(info.size, info.pref_align, info.align, False, cap,
                              int_mode=t.is_integer)
        if isinstance(t, Pointer):
            info = self.abi.scalar("pointer")
            return TypeLayout(info.size, info.pref_align, info.align, int_mode=True)
        if isinstance(t, Typedef):
            return self.layout(t.target)
        if isinstance(t, Qualified):
            base = self.layout(t.base)
            if not t.atomic:
                return base
            return self._atomic(t, base)
        if isinstance(t, Aligned):
            base = self.layout(t.base)
            align = self._align_value(t.align)
            # The variant keeps its machine mode, so i386's mode-based field
            # cap still applies where GCC ignores user alignment (bitfields).
            return TypeLayout(base.size, align, align, True, base.field_cap, base.int_mode,
                              base.record)
        if isinstance(t, Array):
            return self._array(t)
        if isinstance(t, Record):
            if not t.complete:
                return TypeLayout(None, 1, 1)
            rl = self._record(t)
            cap = None
            c_align = rl.align
            gcap = self._general_field_cap()
            blk = self._record_blk(rl)
            if gcap and not blk and rl.align > gcap:
                # i386: a record GCC gives an integer mode (DImode here) is
                # capped like long long when it is a field, unless its
                # alignment came from the user.
                cap = gcap
                if not rl.user_align:
                    c_align = gcap
            return TypeLayout(rl.size, rl.align, c_align, rl.user_align, cap, False, rl, blk)
        if isinstance(t, Enum):
            if not t.complete:
                return TypeLayout(None, 1, 1)
            if t.aligns:
                raise _err("aligned on an enum type is not supported", t.coord)
            kind, _signed = self.enum_underlying(t)
            info = self.abi.scalar(kind)
            cap = info.field_align if info.field_align < info.pref_align else None
            return TypeLayout(info.size, info.pref_align, info.align, False, cap, int_mode=True)
        if isinstance(t, TypeofExpr):
            return self.layout(self.ev.type_of(t.expr))
        if isinstance(t, (Void, Function)):
            return TypeLayout(None, 1, 1)
        raise _err(f"cannot lay out {t!r}", getattr(t, "coord", None))

    def _atomic(self, t: Qualified, base: TypeLayout) -> TypeLayout:
        inner = unqualified(t.base)
        if not isinstance(inner, (Scalar, Pointer, Enum)):
            raise _err("_Atomic on a non-scalar type is not supported", getattr(inner, "coord", None))
        size = base.size
        align = base.align
        if size in (1, 2, 4, 8, 16):
            align = max(align, min(size, self.abi.biggest_alignment))
        # Not TYPE_USER_ALIGN in GCC (a struct holding it stays cappable),
        # but exempt from the i386 field cap itself (GCC 11 and later).
        return TypeLayout(size, align, align, False, None, base.int_mode)

    def _align_value(self, spec: AlignSpec) -> int:
        if spec.expr is MAX_ALIGN:
            return self.abi.biggest_alignment
        value = self.ev.integer(spec.expr)
        where = where_of(spec.coord or getattr(spec.expr, "coord", None))
        if value <= 0 or value & (value - 1):
            raise LayoutError(f"requested alignment {value} is not a positive power of 2", where)
        if value > MAX_USER_ALIGN:
            raise LayoutError(f"requested alignment {value} exceeds maximum {MAX_USER_ALIGN}",
                              where)
        return value

    def _array(self, t: Array) -> TypeLayout:
        elem = self.layout(t.elem)
        if elem.size is None:
            raise _err(f"array of incomplete type '{_describe(t.elem)}'", t)
        if t.dim is None:
            size = None
        else:
            n = self.ev.integer(t.dim)
            if n < 0:
                raise _err(f"array size {n} is negative", t.dim)
            limit = self.max_object_size
            if n > limit:
                raise _err(f"size of array is too large: {n} elements, more than {limit} "
                           f"on {self.abi.name}", t)
            if elem.size and elem.size % elem.align and n:
                raise _err("alignment of array elements is greater than element size", t)
            size = elem.size * n
            if size > limit:
                raise _err(f"size {size} of array exceeds maximum object size {limit} "
                           f"on {self.abi.name}", t)
        # mode_for_array: one element keeps the element's mode, otherwise an
        # integer mode of the total size if there is one (at most 8 bytes).
        if size is None:
            blk = True
        elif self.ev.integer(t.dim) == 1:
            blk = elem.blk
        else:
            blk = size not in (1, 2, 4, 8)
        return TypeLayout(size, elem.align, elem.c_align, elem.user_align, elem.field_cap,
                          False, None, blk)

    @staticmethod
    def _record_blk(rl: "RecordLayout") -> bool:
        """compute_record_mode, as far as it matters here: a record is
        BLKmode if a member has no size (flexible array) or is BLKmode
        itself (zero-sized members excepted), or if no integer mode fits."""
        if rl.size not in (1, 2, 4, 8):
            return True
        for f in rl.fields:
            tl = f.type_layout
            if tl.size is None and not f.is_bitfield:
                return True
            if tl.blk and tl.size:
                return True
        return False

    def _general_field_cap(self) -> Optional[int]:
        """i386's ADJUST_FIELD_ALIGN limit for integer-mode types, if any."""
        info = self.abi.scalar("long long")
        return info.field_align if info.field_align < info.pref_align else None

    # ------------------------------------------------------------- enums
    def _enumerator(self, e: Enumerator) -> Tuple[int, IntType]:
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
            return found
        if key in self._in_progress:
            raise _err(f"enumerator '{e.name}' depends on itself", e)
        ev = self.ev
        self._in_progress.add(key)
        self._defining.append(id(e.enum))
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
        finally:
            self._in_progress.discard(key)
            self._defining.pop()
        if ev.int_t.fits(value):
            vtype = ev.int_t
        self._enum_values[key] = (value, vtype)
        return value, vtype

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
        key = id(en)
        found = self._enum_under.get(key)
        if found is not None:
            return found
        if not en.complete or key in self._defining:
            raise _err(f"enum '{en.tag}' is incomplete", en)
        values = [self._enumerator(e)[0] for e in en.enumerators] or [0]
        lo, hi = min(values), max(values)
        unsigned = lo >= 0

        def prec(v: int) -> int:
            if unsigned:
                return max(v.bit_length(), 1)
            return (v if v >= 0 else ~v).bit_length() + 1

        precision = max(prec(lo), prec(hi))
        int_bits = self.abi.scalar("int").size * 8
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
        self._enum_under[key] = result
        return result

    def _type_for_size(self, bits: int) -> Optional[str]:
        """c_common_type_for_size: a standard integer type of exactly
        ``bits`` (__int128 included where the ABI has it), else the
        smallest of 8, 16, 32 or 64 bits that holds them, else None: 65 to
        127 bits have no type even where __int128 exists."""
        sizes = [(kind, self.abi.scalar(kind).size * 8)
                 for kind in ("int", "char", "short", "long", "long long", "__int128")
                 if self.abi.has_scalar(kind)]
        for kind, kbits in sizes:
            if kbits == bits:
                return kind
        for kind, kbits in sorted(sizes, key=lambda item: item[1]):
            if bits <= kbits <= 64:
                return kind
        return None

    # ----------------------------------------------------------- records
    def _record(self, rec: Record) -> RecordLayout:
        abi = self.abi
        is_union = rec.kind == "union"
        pack_bits = rec.pack * 8 if rec.pack else 0
        user_align_bits = 0
        for spec in rec.aligns:  # the last one given wins
            user_align_bits = self._align_value(spec) * 8
        record_align = max(8, user_align_bits)
        record_user = bool(rec.aligns)
        if not rec.packed:
            ssb = abi.structure_size_boundary * 8
            if pack_bits:
                ssb = min(ssb, pack_bits)
            record_align = max(record_align, ssb)
        biggest = abi.biggest_alignment * 8
        # GCC keeps the position as a byte offset plus a bit position below
        # offset_align; a few roundings act on the bit part alone, which
        # shows when a type's alignment exceeds BIGGEST_ALIGNMENT (sh4).
        offset_align = max(8, user_align_bits, biggest)
        offset = 0  # bytes
        bitpos = 0  # bits

        def normalize(off: int, bp: int, oa: int):
            if bp >= oa:
                off += (bp // oa) * (oa // 8)
                bp %= oa
            return off, bp

        union_size = 0  # bytes
        fields: List[FieldLayout] = []
        members = rec.members or []
        for index, m in enumerate(members):
            tl = self.layout(m.type)
            base = unqualified(m.type)
            if isinstance(base, (Function, Void)):
                raise _err(f"member '{m.name}' has {'function' if isinstance(base, Function) else 'void'} type", m)
            width = None
            if m.bitwidth is not None:
                width = self.ev.integer(m.bitwidth)
                it = self.ev.ctype_int(m.type)
                if it is None:
                    raise _err(f"bit-field '{m.name}' has a non-integer type", m)
                if width < 0:
                    raise _err(f"negative width in bit-field '{m.name}'", m)
                if width > tl.size * 8 or (it.kind == "_Bool" and width > 1):
                    raise _err(f"width of '{m.name}' exceeds its type", m)
                if width == 0 and m.name is not None:
                    raise _err(f"zero width for bit-field '{m.name}'", m)
            if tl.size is None:
                flexible = isinstance(base, Array) and base.dim is None
                if not flexible:
                    raise _err(f"member '{m.name}' has incomplete type '{_describe(m.type)}'", m)
                if is_union:
                    raise _err(f"flexible array member '{m.name}' in a union", m)
                if index != len(members) - 1:
                    raise _err(f"flexible array member '{m.name}' not at end of struct", m)
            type_align = tl.align * 8
            type_user = tl.user_align
            type_size_bits = (tl.size or 0) * 8

            def adjust(computed: int) -> int:
                # ADJUST_FIELD_ALIGN (i386: long long, double in structs).
                if tl.field_cap is not None:
                    return min(computed, tl.field_cap * 8)
                return computed

            # ---- layout_decl
            # finish_struct: in a packed struct every bitfield is packed,
            # and every field whose type is aligned beyond a byte.
            decl_packed = m.packed or (rec.packed and (m.bitwidth is not None or type_align > 8))
            decl_user = bool(m.aligns)
            decl_align = 1
            for spec in m.aligns:
                decl_align = max(decl_align, self._align_value(spec) * 8)
            old_user = decl_user
            packed_p = decl_packed
            zero_bitfield = False
            still_bitfield = width is not None
            if is_union:
                known_align = 0
            elif bitpos:
                known_align = _least_bit(bitpos)
            elif offset == 0:
                known_align = 0
            else:
                known_align = 8 * _least_bit(offset)
            if width is not None:
                if width == 0:
                    zero_bitfield = True
                    packed_p = False
                    if abi.pcc_bitfield_type_matters:
                        if type_align > decl_align:
                            decl_align = type_align
                            decl_user = type_user
                    else:
                        efb = abi.empty_field_boundary * 8
                        if efb > decl_align:
                            decl_align = efb
                            decl_user = False
                # A width that is an integer mode's, already aligned for it:
                # GCC makes the field an ordinary integer (DECL_BIT_FIELD off)
                # with that mode's alignment.  TImode exists with __int128.
                if tl.int_mode and (width in (8, 16, 32, 64)
                                    or (width == 128 and abi.has_scalar("__int128"))):
                    xalign = min(width, biggest)
                    if not (xalign > 8 and decl_packed) and (known_align == 0 or known_align >= xalign):
                        decl_align = max(xalign, decl_align)
                        still_bitfield = False
            elif packed_p and decl_user:
                pass
            else:
                if type_align > decl_align:
                    decl_align = type_align
                    decl_user = type_user
            if packed_p and not old_user:
                decl_align = min(decl_align, 8)
            if not packed_p and not decl_user:
                decl_align = adjust(decl_align)
            mfa = 0 if zero_bitfield else pack_bits
            if mfa:
                decl_align = min(decl_align, mfa)
            desired = decl_align

            # ---- update_alignment_for_field
            if width is not None and type_size_bits and abi.pcc_bitfield_type_matters:
                if m.name is not None or abi.align_anon_bitfield:
                    ta = type_align if type_user else adjust(type_align)
                    if width == 0:
                        pass
                    elif pack_bits:
                        ta = min(ta, pack_bits)
                    elif decl_packed:
                        ta = min(ta, 8)
                    record_align = max(record_align, desired, ta)
                    record_user |= type_user
            else:
                record_align = max(record_align, desired)
            record_user |= decl_user

            if is_union:
                size_unit = (width + 7) // 8 if width is not None else (tl.size or 0)
                union_size = max(union_size, size_unit)
                fields.append(FieldLayout(m, 0, width if width is not None else type_size_bits,
                                          width is not None, tl))
                continue

            # ---- place_field
            if known_align == 0:
                known_align = max(biggest, record_align)
            if known_align < desired:
                if desired < offset_align:
                    bitpos = _round_up(bitpos, desired)
                else:
                    offset += -(-bitpos // 8)
                    bitpos = 0
                    offset = _round_up(offset, desired // 8)
            if (abi.pcc_bitfield_type_matters and still_bitfield
                    and (not decl_packed or type_align <= 8)
                    and pack_bits == 0 and width):
                ta = type_align if type_user else adjust(type_align)
                start = (offset * 8 + bitpos) % ta
                if (start + width + ta - 1) // ta > type_size_bits // ta:
                    if not decl_packed:
                        bitpos = _round_up(bitpos, ta)
            offset, bitpos = normalize(offset, bitpos, offset_align)
            pos = offset * 8 + bitpos
            fields.append(FieldLayout(m, pos, width if width is not None else type_size_bits,
                                      width is not None, tl))
            if width is not None:
                bitpos += width
            elif tl.size is not None:
                bitpos += type_size_bits
            offset, bitpos = normalize(offset, bitpos, offset_align)

        # ---- finalize_record_size
        align_bits = max(user_align_bits, record_align)
        if is_union:
            data_bits = union_size * 8
        else:
            data_bits = offset * 8 + bitpos
        size_bytes = _round_up(_round_up(data_bits, 8) // 8, align_bits // 8)
        if size_bytes > self.max_object_size:
            raise _err(f"type '{rec.kind} {rec.tag or '<anonymous>'}' is too large: "
                       f"{size_bytes} bytes, more than {self.max_object_size} on {abi.name}",
                       rec)
        return RecordLayout(rec, size_bytes, align_bits // 8, fields, data_bits, record_user)

    # ------------------------------------------------------- member paths
    def member_offset(self, rtype: CType, name: str, node) -> Tuple[int, CType, bool]:
        """Bit offset, type and bitfield-ness of ``name`` in a struct/union.

        Searches anonymous members the way C does.
        """
        rec = unqualified(rtype)
        if isinstance(rec, TypeofExpr):
            rec = unqualified(self.ev.type_of(rec.expr))
        if not isinstance(rec, Record):
            raise _err(f"request for member '{name}' in something not a struct or union", node)
        rl = self.record_layout(rec)
        found = _find_member(rl, name)
        if found is None:
            raise _err(f"'{_describe(rec)}' has no member named '{name}'", node)
        return found

    def offsetof(self, t: CType, steps, node, ev: Evaluator) -> int:
        cur = t
        bits = 0
        for kind, arg in steps:
            if kind == "member":
                off, mtype, is_bf = self.member_offset(cur, arg, node)
                if is_bf:
                    raise _err(f"offsetof of bit-field '{arg}'", node)
                bits += off
                cur = mtype
            else:
                arr = unqualified(cur)
                if not isinstance(arr, Array):
                    raise _err("offsetof subscript on a non-array", node)
                bits += ev.integer(arg) * self.sizeof(arr.elem, node) * 8
                cur = arr.elem
        return bits // 8


def _find_member(rl: RecordLayout, name: str):
    for f in rl.fields:
        if f.member.name == name:
            return f.bit_offset, f.member.type, f.is_bitfield
        if f.member.name is None and f.type_layout.record is not None:
            inner = _find_member(f.type_layout.record, name)
            if inner is not None:
                return f.bit_offset + inner[0], inner[1], inner[2]
    return None


def _describe(t: CType) -> str:
    from .typenames import type_name

    try:
        return type_name(t)
    except Exception:  # pragma: no cover - only for messages
        return repr(t)
