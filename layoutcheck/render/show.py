"""`show`: text for people, JSON for scripts.

The text keeps the look pahole made familiar: the declaration, and after
each member ``/* offset size */``; holes, tail padding and cacheline
boundaries as comments.  Unlike pahole, an anonymous struct or union is
printed once, with absolute offsets, and bitfields show the exact bits they
own as a hex mask over the bytes they touch (the same mask as the JSON).

What is a hole is the layout's to say (``Layout.holes``,
``Layout.record_gaps``): bytes a struct inside a union leaves unused but
another alternative covers are marked as unused by that variant, and are
not holes of the whole struct.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Dict, Iterable, Iterator, List, Optional

from ..layouts import HOLE, VARIANT, Gap, Layout, member_mask

if TYPE_CHECKING:
    from ..engine import PlacedField, PlacedRecord

INDENT = "    "
COMMENT_COL = 56


def _pad(text: str, col: int = COMMENT_COL) -> str:
    return text + " " * max(1, col - len(text))


_GAP_WORDS = {HOLE: "hole", VARIANT: "unused by this variant"}


def _gap_line(depth: int, gap: Gap) -> str:
    """pahole's ``/* XXX 2 bytes hole */``, or, for bytes another union
    alternative covers, ``/* XXX 2 bytes unused by this variant */``."""
    nbits = gap.bit_size
    words = _GAP_WORDS[gap.kind]
    if nbits % 8 == 0:
        n = nbits // 8
        return f"{INDENT * depth}/* XXX {n} byte{'s' if n != 1 else ''} {words} */"
    return f"{INDENT * depth}/* XXX {nbits} bit{'s' if nbits != 1 else ''} {words} */"


class TextRenderer:
    def __init__(self, cacheline: int = 64):
        self.cacheline = cacheline

    def render(self, lay: Layout, label: Optional[str] = None) -> str:
        """The layout as text; its first line's comment names the ABI
        (``label``: what to name instead, such as a group of ABIs)."""
        self.lines: List[str] = []
        self.lay = lay
        self.big = lay.engine.abi.big_endian
        self.engine = lay.engine
        self.next_cacheline = self.cacheline
        self.members = 0
        head = f"{lay.kind} {lay.name} {{"
        info = f"/* {label or lay.abi}" + (f" {_defs_text(lay)}" if lay.defines else "") + " */"
        self.lines.append(_pad(head) + info)
        self._record(lay.tree, 0, 1)
        self.lines.append("")
        self.lines.extend(self._summary(lay))
        self.lines.append("};")
        return "\n".join(self.lines)

    def _summary(self, lay: Layout) -> List[str]:
        summary = f"size: {lay.size}, align: {lay.align}, "
        if self.cacheline:
            cachelines = -(-lay.size // self.cacheline) if lay.size else 0
            summary += f"cachelines: {cachelines}, "
        holes = lay.holes
        hole_note = f"holes: {len(holes)}"
        if holes:
            hole_note += f" ({_bits_text(lay.hole_bits)})"
        return [f"{INDENT}/* {summary}members: {self.members} */",
                f"{INDENT}/* sum members: {_bits_text(lay.used_bits)}, "
                f"{hole_note}, tail padding: {_bits_text(lay.tail_padding_bits)} */"]

    def _cacheline_marks(self, byte_offset: int, depth: int) -> None:
        if self.cacheline and byte_offset >= self.next_cacheline + 16 * self.cacheline:
            # many boundaries inside one member: said once, not one line each
            first = self.next_cacheline // self.cacheline
            last = byte_offset // self.cacheline
            self.lines.append(f"{INDENT * depth}/* --- cacheline boundaries {first} to {last} "
                              f"({first * self.cacheline} to {last * self.cacheline} bytes) --- */")
            self.next_cacheline = (last + 1) * self.cacheline
            return
        while self.cacheline and byte_offset >= self.next_cacheline:
            n = self.next_cacheline // self.cacheline
            self.lines.append(f"{INDENT * depth}/* --- cacheline {n} boundary "
                              f"({self.next_cacheline} bytes) --- */")
            self.next_cacheline += self.cacheline

    def _record(self, placed: PlacedRecord, base_bits: int, depth: int) -> None:
        gaps = self.lay.record_gaps(placed, base_bits)
        for index, f in enumerate(placed.fields):
            for gap in gaps.before.get(index, ()):
                if gap.kind in _GAP_WORDS:
                    self.lines.append(_gap_line(depth, gap))
            start = base_bits + f.bit_offset
            self._cacheline_marks(start // 8, depth)
            if f.is_anonymous_record:
                self._anonymous(f, start, depth)
            else:
                self._member(f, start, depth)
        # After the last member of an anonymous struct or union only a real
        # hole is marked: what other alternatives cover, or tail padding,
        # is not.
        for gap in gaps.after:
            if gap.kind == HOLE:
                self.lines.append(_gap_line(depth, gap))

    def _anonymous(self, f: PlacedField, start: int, depth: int) -> None:
        ind = INDENT * depth
        inner = f.type_info.record
        self.lines.append(_pad(f"{ind}{inner.kind} {{")
                          + f"/* {start // 8:5d} {f.type_info.size_bytes:5d} */")
        self._record(inner, start, depth + 1)
        self.lines.append(f"{ind}}};")

    def _member(self, f: PlacedField, start: int, depth: int) -> None:
        name = f.member.name
        from ..typenames import declaration

        decl = declaration(f.member.type, name or "", self.engine)
        if f.is_bitfield:
            decl += f":{f.bit_size};"
            off, size, mask = member_mask(start, f.bit_size, self.big)
            comment = f"/* {off:5d} {size:5d} */"
            if f.bit_size:
                comment = f"/* {off:5d} {size:5d}  mask {mask.hex()} */"
            if name is None:
                decl = "/* unnamed */ " + decl
        else:
            decl += ";"
            size = f.type_info.size_bytes or 0
            comment = f"/* {start // 8:5d} {size:5d} */"
        self.lines.append(_pad(INDENT * depth + decl) + comment)
        if name is not None:
            self.members += 1


def _bits_text(nbits: int) -> str:
    if nbits % 8 == 0:
        return f"{nbits // 8}"
    return f"{nbits // 8}+{nbits % 8} bits"


def define_option(name: str, value: str) -> str:
    """A macro as cc's -D spells it: -DNAME for 1, -DNAME= for an empty one."""
    return f"-D{name}" + ("" if value == "1" else f"={value}")


def _defs_text(lay) -> str:
    return " ".join(define_option(k, v) for k, v in sorted(lay.defines.items()))


def render_text(layouts: Iterable[Layout], cacheline: int = 64) -> str:
    """Each struct once per group of ABIs that lay it out alike (the same
    text, macros and file), its first line naming the group."""
    from ..abi import get_abi
    from .groups import abi_group_label

    r = TextRenderer(cacheline)
    groups: Dict[tuple, List[str]] = {}
    bodies: Dict[tuple, str] = {}
    order: List[str] = []
    for lay in layouts:
        text = r.render(lay, label="@")
        head, _, body = text.partition("\n")
        key = (lay.source, head, body)
        if key not in groups:
            groups[key] = []
            bodies[key] = text
        groups[key].append(lay.abi)
        if lay.abi not in order:
            order.append(lay.abi)
    abis = [get_abi(name) for name in order]
    out = []
    for key, names in groups.items():
        label = names[0] if len(names) == 1 else abi_group_label(names, abis)
        head, _, body = bodies[key].partition("\n")
        out.append(head.replace("/* @", f"/* {label}", 1) + "\n" + body)
    return "\n\n".join(out) + "\n"


def render_table(layouts: Iterable) -> str:
    """One table per struct: its members down, the groups of ABIs that
    place every member alike across, ``offset/size`` in each cell (and
    ``:mask`` for a bitfield); the groups named below it."""
    from ..abi import get_abi
    from .groups import abi_group_label

    by_struct: Dict[tuple, list] = {}
    run: List[str] = []  # every ABI of the run: a group is named against them all
    for lay in layouts:
        by_struct.setdefault((lay.source, lay.kind, lay.name), []).append(lay)
        if lay.abi not in run:
            run.append(lay.abi)
    abis = [get_abi(a) for a in run]
    out = []
    for (_source, kind, name), lays in by_struct.items():
        columns: Dict[tuple, List[str]] = {}
        shapes: Dict[tuple, object] = {}
        for lay in lays:
            shape = (lay.size, lay.align, tuple((m.path, m.offset, m.size, m.mask, m.is_bitfield)
                                                for m in lay.members))
            columns.setdefault(shape, []).append(lay.abi)
            shapes.setdefault(shape, lay)
        letters = [chr(ord("A") + i) if i < 26 else f"G{i}" for i in range(len(columns))]
        paths: List[str] = []
        cells: List[Dict[str, str]] = []
        for shape in columns:
            col = {}
            for path, off, size, mask, bitfield in shape[2]:
                if path not in paths:
                    paths.append(path)
                col[path] = f"{off}/{size}" + (f":{mask.hex()}" if bitfield else "")
            cells.append(col)
        rows = [["size/align"] + [f"{s[0]}/{s[1]}" for s in columns]]
        rows += [[p] + [c.get(p, "-") for c in cells] for p in paths]
        widths = [max(len(r[i]) for r in rows + [[f"{kind} {name}"] + letters]) for i in range(len(letters) + 1)]
        lines = [f"{kind} {name}".ljust(widths[0]) + " | "
                 + " | ".join(x.ljust(w) for x, w in zip(letters, widths[1:], strict=True))]
        lines.append("-+-".join("-" * w for w in widths))
        for r_ in rows:
            lines.append(" | ".join(x.ljust(w) for x, w in zip(r_, widths, strict=True)).rstrip())
        for letter, names in zip(letters, columns.values(), strict=True):
            lines.append(f"  {letter}: {abi_group_label(names, abis)}")
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def render_json(layouts: Iterable[Layout]) -> str:
    """One object, ``{"layouts": [...]}``, with one layout per line:
    ``grep``-able, and written by the json module's C encoder (an indented
    dump goes through its pure-Python encoder, several times slower)."""
    out = io.StringIO()
    write_json(layouts, out)
    return out.getvalue()


def json_lines(layouts: Iterable) -> Iterator[str]:
    """Each layout's JSON line (a ``StoredLayout`` is its line; a line
    already made passes through), its member list dropped once made."""
    for lay in layouts:
        if isinstance(lay, str):
            yield lay
            continue
        line = getattr(lay, "json_text", None)
        yield line or lay.json_line()
        lay.release()


def write_json(layouts: Iterable, out) -> None:
    """``render_json`` written to ``out`` a layout at a time, each
    layout's member list dropped once written: the whole output and every
    member list are never in memory at once.  ``layouts`` may also hold
    lines ``json_lines`` made."""
    first = True
    for line in json_lines(layouts):
        out.write(('{"layouts": [\n' if first else ",\n") + line)
        first = False
    out.write('{"layouts": []}\n' if first else "\n]}\n")
