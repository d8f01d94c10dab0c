"""Layouts as users see them: absolute offsets, paths and bit masks.

``Layout`` wraps the engine's record tree for one struct on one ABI.  Its
members are every named member at every depth, with the ``offsetof`` path
(anonymous structs/unions add no component; arrays are not expanded), the
byte range its storage touches, and ``mask``: which bits of those bytes it
owns, bit 0 being the least significant bit of a byte in memory.  That is
exactly the JSON of docs/CONTRACT.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

from .engine import FieldLayout, LayoutEngine, RecordLayout
from .model import Array, Record, unqualified
from .typenames import type_name


@dataclass
class MemberLayout:
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
    field: Optional[FieldLayout] = field(default=None, repr=False)

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


class Layout:
    """One struct or union laid out for one ABI."""

    def __init__(self, record: Record, engine: LayoutEngine, defines: Optional[Dict[str, str]] = None,
                 source: Optional[str] = None):
        self.record = record
        self.engine = engine
        self.tree: RecordLayout = engine.record_layout(record)
        self.defines = dict(defines or {})
        self.source = source
        self._members: Optional[List[MemberLayout]] = None

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
        return self.tree.size

    @property
    def align(self) -> int:
        """C11 _Alignof: what the struct gets as a member of another
        (i386 caps a few 8-byte-aligned records to 4 there; GCC's
        __alignof__, the ``preferred_align``, does not)."""
        return self.engine.layout(self.record).c_align

    @property
    def preferred_align(self) -> int:
        return self.tree.align

    @property
    def members(self) -> List[MemberLayout]:
        if self._members is None:
            self._members = []
            self._flatten(self.tree, 0, "", 0)
        return self._members

    def __iter__(self) -> Iterator[MemberLayout]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def member(self, path: str) -> MemberLayout:
        for m in self.members:
            if m.path == path:
                return m
        raise KeyError(f"{self.kind} {self.name} has no member {path!r} on {self.abi}")

    def get(self, path: str) -> Optional[MemberLayout]:
        for m in self.members:
            if m.path == path:
                return m
        return None

    def _flatten(self, rl: RecordLayout, base_bits: int, prefix: str, depth: int) -> None:
        big = self.engine.abi.big_endian
        for f in rl.fields:
            absolute = base_bits + f.bit_offset
            inner = f.type_layout.record
            if f.member.name is None:
                if inner is not None and not f.is_bitfield:
                    self._flatten(inner, absolute, prefix, depth + 1)
                continue
            path = prefix + f.member.name
            flexible = f.type_layout.size is None
            if f.is_bitfield:
                offset, size, mask = member_mask(absolute, f.bit_size, big)
            else:
                offset = absolute // 8
                size = f.type_layout.size or 0
                mask = b"\xff" * size
            self._members.append(MemberLayout(
                path=path, type=type_name(f.member.type, self.engine), bit_offset=absolute,
                bit_size=f.bit_size, is_bitfield=f.is_bitfield, offset=offset, size=size,
                mask=mask, depth=depth, flexible=flexible, field=f))
            if inner is not None and not isinstance(unqualified(f.member.type), Array):
                self._flatten(inner, absolute, path + ".", depth + 1)

    def enclosing(self, path: str, kind: str = "union") -> Optional[Tuple[int, int]]:
        """(offset, size) of the innermost struct/union of ``kind`` holding
        member ``path`` (named or anonymous), or None.  This is how rules
        name an anonymous union: "the union that holds compound_head"."""
        parts = path.split(".")

        def walk(rl: RecordLayout, base_bits: int, remaining, found):
            here = (base_bits // 8, rl.size) if rl.kind == kind else found
            name = remaining[0]
            for f in rl.fields:
                inner = f.type_layout.record
                start = base_bits + f.bit_offset
                if f.member.name == name:
                    if len(remaining) == 1:
                        return here
                    if inner is not None:
                        return walk(inner, start, remaining[1:], here)
                    return None
                if f.member.name is None and inner is not None and not f.is_bitfield:
                    got = walk(inner, start, remaining, here)
                    if got is not None:
                        return got
            return None

        top = (0, self.tree.size) if self.tree.kind == kind else None
        return walk(self.tree, 0, parts, top)

    def to_json(self) -> dict:
        return {
            "abi": self.abi,
            "kind": self.kind,
            "name": self.name,
            "size": self.size,
            "align": self.align,
            "defines": dict(self.defines),
            "members": [m.to_json() for m in self.members],
        }

    def __repr__(self) -> str:
        return f"<Layout {self.kind} {self.name} on {self.abi}: size {self.size}, align {self.align}>"
