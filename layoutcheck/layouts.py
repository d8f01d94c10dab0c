"""Layouts as users see them: absolute offsets, paths and bit masks.

``Layout`` wraps the engine's record tree for one struct on one ABI.  Its
members are every named member at every depth, with the ``offsetof`` path
(anonymous structs/unions add no component; arrays are not expanded), the
byte range its storage touches, and ``mask``: which bits of those bytes it
owns, bit 0 being the least significant bit of a byte in memory.  That is
exactly the JSON of docs/CONTRACT.md.

A ``Layout`` also knows what its members leave unused, as pahole does:
``holes`` (bits no member at any depth covers, before the end of the last
member), ``tail_padding_bits``, and the gaps a struct inside a union leaves
that another alternative of the union covers (``variant_gaps``), which are
not holes of the layout.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Tuple

from .errors import LayoutError, where_of
from .plain import FRESH, Frozen, PlainEq

if TYPE_CHECKING:  # a StoredLayout needs neither
    from .engine import LayoutEngine, PlacedField, PlacedRecord
    from .model import Record


def did_you_mean(word: str, known) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known``, or ''."""
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1)
    if not close:  # a member named by its last component: lru.next for next
        close = [k for k in known if k.rsplit(".", 1)[-1] == word][:1]
    return f" (did you mean {close[0]!r}?)" if close else ""


class MemberLayout(PlainEq):
    """One member of a laid-out struct, positions absolute from its start."""

    path: str
    type: str
    bit_offset: int  # allocation order: GCC's bit position
    bit_size: int
    is_bitfield: bool
    offset: int  # first byte touched
    size: int  # bytes from offset to the last byte touched
    mask: bytes  # per byte from offset: the bits this member owns
    depth: int = 0  # nesting depth in the declaration (for text output)
    flexible: bool = False
    field: Optional[PlacedField] = None

    _fields = ("path", "type", "bit_offset", "bit_size", "is_bitfield", "offset", "size", "mask", "depth", "flexible",
               "field")
    _hidden = ("field",)

    def __init__(self, path: str, type: str, bit_offset: int, bit_size: int, is_bitfield: bool, offset: int, size: int,
                 mask: bytes, depth: int = 0, flexible: bool = False, field: Optional[PlacedField] = None) -> None:
        self.path = path
        self.type = type
        self.bit_offset = bit_offset
        self.bit_size = bit_size
        self.is_bitfield = is_bitfield
        self.offset = offset
        self.size = size
        self.mask = mask
        self.depth = depth
        self.flexible = flexible
        self.field = field

    @property
    def mask_hex(self) -> str:
        return self.mask.hex()

    @property
    def end(self) -> int:
        return self.offset + self.size

    def memory_bits(self) -> set:
        """Absolute memory bit numbers (byte * 8 + bit) this member owns."""
        out = set()
        for i, b in enumerate(self.mask):
            base = (self.offset + i) * 8
            for bit in range(8):
                if b >> bit & 1:
                    out.add(base + bit)
        return out

    def overlaps(self, other: "MemberLayout") -> bool:
        if self.end <= other.offset or other.end <= self.offset:
            return False
        lo = max(self.offset, other.offset)
        hi = min(self.end, other.end)
        for byte in range(lo, hi):
            if self.mask[byte - self.offset] & other.mask[byte - other.offset]:
                return True
        return False

    def to_json(self) -> dict:
        out = {"path": self.path, "type": self.type, "offset": self.offset,
               "size": self.size, "mask": self.mask_hex}
        if self.is_bitfield:
            out["bit_size"] = self.bit_size
        return out


def members_json(members: List[MemberLayout]) -> str:
    """``json.dumps([m.to_json() for m in members])``, written directly
    (no dict per member): the same characters."""
    from json.encoder import encode_basestring_ascii as quoted  # what json.dumps uses

    parts = []
    for m in members:
        text = (f'{{"path": {quoted(m.path)}, "type": {quoted(m.type)}, "offset": {m.offset}, '
                f'"size": {m.size}, "mask": "{m.mask.hex()}"')
        if m.is_bitfield:
            text += f', "bit_size": {m.bit_size}'
        parts.append(text + "}")
    return "[" + ", ".join(parts) + "]"


# The largest member a layout lists: its mask has one byte per byte (the
# JSON contract's "mask"), so a terabyte array would need a terabyte.
MAX_MEMBER_BYTES = 64 << 20


def member_mask(bit_offset: int, bit_size: int, big_endian: bool):
    """(offset, size, mask bytes) for an allocation-order bit range."""
    if bit_size <= 0:
        return bit_offset // 8, 0, b""
    first = bit_offset // 8
    last = (bit_offset + bit_size - 1) // 8
    mask = bytearray(last - first + 1)
    for p in range(bit_offset, bit_offset + bit_size):
        bit = p % 8
        if big_endian:
            bit = 7 - bit
        mask[p // 8 - first] |= 1 << bit
    return first, len(mask), bytes(mask)


# ------------------------------------------------------------------- gaps
# What a gap is, from the whole layout's point of view.
HOLE = "hole"  # no member at any depth covers these bits
VARIANT = "variant"  # one union alternative leaves them unused, another covers them
TAIL = "tail"  # after the end of the last member: tail padding


class Gap(Frozen):
    """Bits the members of a layout leave unused, as pahole counts them:
    absolute from the start of the layout, in allocation order (GCC's bit
    positions, as ``MemberLayout.bit_offset``)."""

    bit_offset: int
    bit_size: int
    kind: str  # HOLE, VARIANT or TAIL

    _fields = ("bit_offset", "bit_size", "kind")

    def __init__(self, bit_offset: int, bit_size: int, kind: str) -> None:
        object.__setattr__(self, "bit_offset", bit_offset)
        object.__setattr__(self, "bit_size", bit_size)
        object.__setattr__(self, "kind", kind)

    @property
    def end_bits(self) -> int:
        return self.bit_offset + self.bit_size


class RecordGaps(PlainEq):
    """What one struct or union of a layout (the layout's own record, or an
    anonymous one at any depth) leaves unused between and after its
    fields, each gap cut into runs of one kind."""

    before: Dict[int, List[Gap]]  # field index -> gap before it
    after: List[Gap]  # after the last field (anonymous records)

    _fields = ("before", "after")

    def __init__(self, before: Dict[int, List[Gap]] = FRESH, after: List[Gap] = FRESH) -> None:
        self.before = {} if before is FRESH else before
        self.after = [] if after is FRESH else after


class _Coverage:
    """The bits the members of a layout cover.

    A member is every field at any depth but anonymous structs and unions,
    whose members stand for them: a named struct member covers all of its
    storage, its own padding included (pahole shows that padding with the
    struct's type).  Unnamed bit-fields cover their bits.
    """

    def __init__(self, ranges: List[Tuple[int, int]]):
        merged: List[List[int]] = []
        for start, end in sorted(r for r in ranges if r[1] > r[0]):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.ranges = [(start, end) for start, end in merged]
        self.starts = [start for start, _ in self.ranges]
        # The end of the last member's storage (a flexible array or a
        # zero-width bit-field ends where it starts).
        self.end_bits = max((end for _, end in ranges), default=0)
        self.holes = [gap for gap in self.runs(0, self.end_bits) if gap.kind == HOLE]

    def runs(self, start_bits: int, end_bits: int) -> List[Gap]:
        """[start_bits, end_bits) cut into runs: covered by a member
        (VARIANT: the caller asks about bits its own struct leaves unused),
        covered by none before the end of the last member (HOLE), and
        after it (TAIL)."""
        out: List[Gap] = []
        pos = start_bits
        first = max(bisect.bisect_right(self.starts, start_bits) - 1, 0)
        for cov_start, cov_end in self.ranges[first:]:
            if cov_start >= end_bits:
                break
            if cov_end <= pos:
                continue
            if cov_start > pos:
                out.extend(self._uncovered(pos, cov_start))
                pos = cov_start
            covered_end = min(cov_end, end_bits)
            out.append(Gap(pos, covered_end - pos, VARIANT))
            pos = covered_end
        if pos < end_bits:
            out.extend(self._uncovered(pos, end_bits))
        return out

    def _uncovered(self, start_bits: int, end_bits: int) -> List[Gap]:
        split = min(max(start_bits, self.end_bits), end_bits)
        out = []
        if split > start_bits:
            out.append(Gap(start_bits, split - start_bits, HOLE))
        if end_bits > split:
            out.append(Gap(split, end_bits - split, TAIL))
        return out


def _member_ranges(placed: PlacedRecord, base_bits: int, out: List[Tuple[int, int]]) -> None:
    """The bit range of every member of ``placed`` (see ``_Coverage``)."""
    for f in placed.fields:
        start = base_bits + f.bit_offset
        if f.is_anonymous_record:
            _member_ranges(f.type_info.record, start, out)
        else:
            out.append((start, start + f.bit_size))


class _MemberLookup:
    """Members by offsetof path, for a layout with ``members``, ``kind``,
    ``name``, ``abi`` and a ``_by_path`` index (None until asked)."""

    __slots__ = ()
    members: List[MemberLayout]
    kind: str
    name: str
    abi: str
    _by_path: Optional[Dict[str, MemberLayout]]

    def __iter__(self) -> Iterator[MemberLayout]:
        return iter(self.members)

    def member(self, path: str) -> MemberLayout:
        found = self.get(path)
        if found is None:
            raise KeyError(f"{self.kind} {self.name} has no member {path!r} on {self.abi}"
                           f"{did_you_mean(path, [m.path for m in self.members])}")
        return found

    def get(self, path: str) -> Optional[MemberLayout]:
        if self._by_path is None:
            self._by_path = {}
            for m in self.members:
                self._by_path.setdefault(m.path, m)
        return self._by_path.get(path)


class Layout(_MemberLookup):
    """One struct or union laid out for one ABI."""

    def __init__(self, record: Record, engine: LayoutEngine, defines: Optional[Dict[str, str]] = None,
                 source: Optional[str] = None):
        self.record = record
        self.engine = engine
        self.tree: PlacedRecord = engine.placed_record(record)
        self.defines = dict(defines or {})
        self.source = source
        # the typedef the record was asked for by (Program.layout), which
        # names it in C where it has no tag
        self.typedef_name: Optional[str] = None
        self._members: Optional[List[MemberLayout]] = None
        self._by_path: Optional[Dict[str, MemberLayout]] = None
        self._coverage: Optional[_Coverage] = None

    @property
    def abi(self) -> str:
        return self.engine.abi.name

    @property
    def kind(self) -> str:
        return self.record.kind

    @property
    def name(self) -> str:
        return self.record.tag or "<anonymous>"

    @property
    def size(self) -> int:
        return self.tree.size_bytes

    @property
    def align(self) -> int:
        """C11 _Alignof: what the struct gets as a member of another
        (i386 caps a few 8-byte-aligned records to 4 there; GCC's
        __alignof__, the ``preferred_align``, does not)."""
        return self.engine.layout(self.record).abi_align_bytes

    @property
    def preferred_align(self) -> int:
        """GCC's __alignof__ (TYPE_ALIGN): what a variable of the type gets."""
        return self.tree.preferred_align_bytes

    @property
    def members(self) -> List[MemberLayout]:
        if self._members is None:
            # the same list for every ABI whose engine shares this tree and
            # agrees on what the list read (byte order, array sizes in
            # type names): see LayoutEngine.pooled
            self._members = self._members_read()
        return self._members

    def _flattened(self) -> List[MemberLayout]:
        """The member list, made into a list of its own (nothing another
        thread reads sees it half made)."""
        from .model import Array, unqualified

        out: List[MemberLayout] = []
        self._flatten(out, self.tree, 0, "", 0, Array, unqualified)  # imported once a list
        return out

    def release(self) -> None:
        """Drop the member list built so far (it is built again when asked):
        for a caller done with a layout it still holds, such as a writer
        going through thousands."""
        self._members = None
        self._coverage = None

    def __len__(self) -> int:
        return len(self.members)


    def _flatten(self, out: List[MemberLayout], placed: PlacedRecord, base_bits: int, prefix: str,
                 depth: int, array_type, unqualified) -> None:
        type_name = self.engine.type_name
        big = self.engine._abi.big_endian  # a fact of the list (LayoutEngine.pooled)
        for f in placed.fields:
            absolute = base_bits + f.bit_offset
            inner = f.type_info.record
            if f.member.name is None:
                if f.is_anonymous_record:
                    self._flatten(out, inner, absolute, prefix, depth + 1, array_type, unqualified)
                continue
            path = prefix + f.member.name
            flexible = f.type_info.size_bytes is None
            if f.is_bitfield:
                offset, size, mask = member_mask(absolute, f.bit_size, big)
            else:
                offset = absolute // 8
                size = f.type_info.size_bytes or 0
                if size > MAX_MEMBER_BYTES:
                    raise LayoutError(f"member '{path}' of {self.kind} {self.name} is {size} bytes on "
                                      f"{self.engine.abi.name}: layoutcheck shows members of up to "
                                      f"{MAX_MEMBER_BYTES} bytes (each byte's bits are listed)",
                                      where_of(getattr(f.member, "coord", None)))
                mask = b"\xff" * size
            out.append(MemberLayout(
                path=path, type=type_name(f.member.type), bit_offset=absolute,
                bit_size=f.bit_size, is_bitfield=f.is_bitfield, offset=offset, size=size,
                mask=mask, depth=depth, flexible=flexible, field=f))
            if inner is not None and not isinstance(unqualified(f.member.type), array_type):
                self._flatten(out, inner, absolute, path + ".", depth + 1, array_type, unqualified)

    def enclosing(self, path: str, kind: str = "union") -> Optional[Tuple[int, int]]:
        """(offset, size) of the innermost struct/union of ``kind`` holding
        member ``path`` (named or anonymous), or None.  This is how rules
        name an anonymous union: "the union that holds compound_head"."""
        parts = path.split(".")

        def walk(placed: PlacedRecord, base_bits: int, remaining, found):
            here = (base_bits // 8, placed.size_bytes) if placed.kind == kind else found
            name = remaining[0]
            for f in placed.fields:
                inner = f.type_info.record
                start = base_bits + f.bit_offset
                if f.member.name == name:
                    if len(remaining) == 1:
                        return here
                    if inner is not None:
                        return walk(inner, start, remaining[1:], here)
                    return None
                if f.is_anonymous_record:
                    got = walk(inner, start, remaining, here)
                    if got is not None:
                        return got
            return None

        top = (0, self.tree.size_bytes) if self.tree.kind == kind else None
        return walk(self.tree, 0, parts, top)

    # ---------------------------------------------------------- padding
    def _covered(self) -> _Coverage:
        if self._coverage is None:
            ranges: List[Tuple[int, int]] = []
            _member_ranges(self.tree, 0, ranges)
            self._coverage = _Coverage(ranges)
        return self._coverage

    @property
    def holes(self) -> List[Gap]:
        """Bit ranges no member at any depth covers, before the end of the
        last member's storage.  Bits one union alternative leaves unused but
        another covers are not holes (see ``variant_gaps``)."""
        return list(self._covered().holes)

    @property
    def hole_bits(self) -> int:
        return sum(gap.bit_size for gap in self.holes)

    @property
    def tail_padding_bits(self) -> int:
        """Bits after the end of the last member's storage."""
        return self.size * 8 - self._covered().end_bits

    @property
    def used_bits(self) -> int:
        """Bits some member covers (pahole's "sum members", union
        alternatives counted once)."""
        return self.size * 8 - self.tail_padding_bits - self.hole_bits

    def record_gaps(self, placed: PlacedRecord, base_bits: int) -> RecordGaps:
        """The gaps of one struct or union of this layout (the layout's own
        record, or an anonymous one in it at absolute ``base_bits``),
        each cut into runs of one kind: in a struct, between consecutive
        fields; in an anonymous struct or union, also after its last
        field (the layout's own tail is ``tail_padding_bits``)."""
        gaps = RecordGaps()
        coverage = self._covered()
        prev_end = base_bits
        if placed.kind == "struct":
            for index, f in enumerate(placed.fields):
                start = base_bits + f.bit_offset
                if start > prev_end:
                    gaps.before[index] = coverage.runs(prev_end, start)
                prev_end = start + f.bit_size
        else:  # union alternatives all start at 0
            prev_end += max((f.bit_size for f in placed.fields), default=0)
        end = base_bits + placed.size_bytes * 8
        if placed is not self.tree and end > prev_end:
            gaps.after = coverage.runs(prev_end, end)
        return gaps

    def _all_record_gaps(self) -> List[Gap]:
        """The gaps of every struct and union of this layout, in
        declaration order."""
        out: List[Gap] = []

        def walk(placed: PlacedRecord, base_bits: int) -> None:
            gaps = self.record_gaps(placed, base_bits)
            for index, f in enumerate(placed.fields):
                out.extend(gaps.before.get(index, ()))
                if f.is_anonymous_record:
                    walk(f.type_info.record, base_bits + f.bit_offset)
            out.extend(gaps.after)

        walk(self.tree, 0)
        return out

    @property
    def variant_gaps(self) -> List[Gap]:
        """Bits a struct or union inside a union leaves unused (between its
        members or after them) that another alternative of the union
        covers: gaps of one variant, not of the layout."""
        return [gap for gap in self._all_record_gaps() if gap.kind == VARIANT]

    def _head_json(self) -> dict:
        """Every key of ``to_json`` before ``members``, in order."""
        return {"abi": self.abi, "kind": self.kind, "name": self.name, "size": self.size,
                "align": self.align, "defines": dict(self.defines)}

    def to_json(self) -> dict:
        out = self._head_json()
        out["members"] = [m.to_json() for m in self.members]
        return out

    def json_line(self) -> str:
        """``json.dumps(self.to_json())``, the member list's part made once
        for every ABI that shares the list (``LayoutEngine.pooled``)."""
        import json

        head = json.dumps(self._head_json())
        members = self.engine.pooled(("members-json", id(self.tree)),
                                     lambda: members_json(self._members_read()))
        return head[:-1] + ', "members": ' + members + "}"

    def _members_read(self) -> List[MemberLayout]:
        """``members``, the facts the list read written down again in the
        computation under way (a list made before, outside it, would leave
        the JSON made of it standing for every ABI: a big-endian ABI given
        a little-endian one's masks)."""
        if self._members is not None and not self.engine.sharing:
            return self._members
        return self.engine.pooled(("members", id(self.tree)), self._flattened)

    def __repr__(self) -> str:
        return f"<Layout {self.kind} {self.name} on {self.abi}: size {self.size}, align {self.align}>"


class StoredLayout(_MemberLookup):
    """A layout as its JSON line keeps it (docs/CONTRACT.md): what a layout
    cache entry holds.  It answers what the JSON says (``abi``, ``kind``,
    ``name``, ``size``, ``align``, ``defines``, ``members`` with their
    offsets, sizes, masks and bit positions) and writes itself back
    byte for byte; what needs the engine's tree (holes, enclosing unions,
    rules) needs a ``Layout``."""

    __slots__ = ("json_text", "source", "_data", "_members", "_by_path")

    def __init__(self, json_text: str, source: Optional[str] = None):
        self.json_text = json_text
        self.source = source
        self._data: Optional[dict] = None
        self._members: Optional[List[MemberLayout]] = None
        self._by_path: Optional[Dict[str, MemberLayout]] = None

    @property
    def data(self) -> dict:
        if self._data is None:
            import json

            self._data = json.loads(self.json_text)
        return self._data

    abi = property(lambda self: self.data["abi"])
    kind = property(lambda self: self.data["kind"])
    name = property(lambda self: self.data["name"])
    size = property(lambda self: self.data["size"])
    align = property(lambda self: self.data["align"])
    defines = property(lambda self: dict(self.data["defines"]))

    @property
    def members(self) -> List[MemberLayout]:
        if self._members is None:
            from .abi import get_abi

            big = get_abi(self.abi).big_endian
            self._members = []
            for m in self.data["members"]:
                mask = bytes.fromhex(m["mask"])
                bit_size = m.get("bit_size")
                bit_offset = m["offset"] * 8
                if bit_size is not None and mask:
                    first = mask[0]
                    low = (first & -first).bit_length() - 1
                    bit_offset += 7 - (first.bit_length() - 1) if big else low
                self._members.append(MemberLayout(
                    m["path"], m["type"], bit_offset,
                    bit_size if bit_size is not None else m["size"] * 8, bit_size is not None,
                    m["offset"], m["size"], mask))
        return self._members

    def __len__(self) -> int:
        return len(self.data["members"])


    def release(self) -> None:
        self._data = self._members = self._by_path = None

    def to_json(self) -> dict:
        import json

        return json.loads(self.json_text)

    def __repr__(self) -> str:
        return f"<StoredLayout {self.kind} {self.name} on {self.abi}: size {self.size}, align {self.align}>"
