"""`show`: text for people, JSON for scripts.

The text keeps the look pahole made familiar: the declaration, and after
each member ``/* offset size */``; holes, tail padding and cacheline
boundaries as comments.  Unlike pahole, an anonymous struct or union is
printed once, with absolute offsets, and bitfields show the exact bits they
own as a hex mask over the bytes they touch (the same mask as the JSON).
"""

from __future__ import annotations

import json
from typing import Iterable, List, Optional

from ..engine import RecordLayout
from ..layouts import Layout, member_mask
from ..typenames import type_name

INDENT = "    "
COMMENT_COL = 56


def _pad(text: str, col: int = COMMENT_COL) -> str:
    return text + " " * max(1, col - len(text))


def _decl_text(type_text: str, name: str) -> str:
    # "struct list_head *" + "x" -> "struct list_head *x"; arrays: "char x[16]"
    if "[" in type_text and "(" not in type_text:
        base, _, dims = type_text.partition("[")
        return f"{base.rstrip()} {name}[{dims}"
    if "(*)" in type_text:
        return type_text.replace("(*)", f"(*{name})", 1)
    if type_text.endswith("*"):
        return f"{type_text}{name}"
    return f"{type_text} {name}"


def _holes_line(depth: int, nbits: int) -> str:
    ind = INDENT * depth
    if nbits % 8 == 0:
        n = nbits // 8
        return f"{ind}/* XXX {n} byte{'s' if n != 1 else ''} hole */"
    return f"{ind}/* XXX {nbits} bit{'s' if nbits != 1 else ''} hole */"


class TextRenderer:
    def __init__(self, cacheline: int = 64):
        self.cacheline = cacheline

    def render(self, lay: Layout) -> str:
        self.lines: List[str] = []
        self.big = lay.engine.abi.big_endian
        self.engine = lay.engine
        self.next_cacheline = self.cacheline
        self.stats = {"members": 0, "holes": 0, "hole_bits": 0}
        head = f"{lay.kind} {lay.name} {{"
        defs = " ".join(f"-D{k}" + (f"={v}" if v not in ("", "1") else "") for k, v in sorted(lay.defines.items()))
        info = f"/* {lay.abi}" + (f" {defs}" if defs else "") + " */"
        self.lines.append(_pad(head) + info)
        self._record(lay.tree, 0, 1)
        tree = lay.tree
        tail = tree.size * 8 - tree.data_bits
        self.lines.append("")
        summary = f"size: {lay.size}, align: {lay.align}, "
        if self.cacheline:
            cachelines = -(-lay.size // self.cacheline) if lay.size else 0
            summary += f"cachelines: {cachelines}, "
        self.lines.append(f"{INDENT}/* {summary}members: {self.stats['members']} */")
        hole_note = f"holes: {self.stats['holes']}"
        if self.stats["holes"]:
            hole_note += f" ({_bits_text(self.stats['hole_bits'])})"
        used = tree.size * 8 - tail - self.stats["hole_bits"]
        self.lines.append(f"{INDENT}/* sum members: {_bits_text(used)}, "
                          f"{hole_note}, tail padding: {_bits_text(tail)} */")
        self.lines.append("};")
        return "\n".join(self.lines)

    def _cacheline_marks(self, byte_offset: int, depth: int) -> None:
        while self.cacheline and byte_offset >= self.next_cacheline:
            n = self.next_cacheline // self.cacheline
            self.lines.append(f"{INDENT * depth}/* --- cacheline {n} boundary "
                              f"({self.next_cacheline} bytes) --- */")
            self.next_cacheline += self.cacheline

    def _record(self, rl: RecordLayout, base_bits: int, depth: int) -> None:
        ind = INDENT * depth
        is_union = rl.kind == "union"
        prev_end: Optional[int] = 0 if not is_union else None
        for f in rl.fields:
            start = base_bits + f.bit_offset
            if prev_end is not None and start > base_bits + prev_end:
                gap = start - (base_bits + prev_end)
                self.lines.append(_holes_line(depth, gap))
                self.stats["holes"] += 1
                self.stats["hole_bits"] += gap
            self._cacheline_marks(start // 8, depth)
            tl = f.type_layout
            name = f.member.name
            inner = tl.record
            if name is None and inner is not None and not f.is_bitfield:
                kw = inner.kind
                self.lines.append(_pad(f"{ind}{kw} {{") + f"/* {start // 8:5d} {tl.size:5d} */")
                self._record(inner, start, depth + 1)
                self.lines.append(f"{ind}}};")
            else:
                ttext = type_name(f.member.type, self.engine)
                label = name if name is not None else ""
                if f.is_bitfield:
                    decl = (_decl_text(ttext, label) if label else ttext) + f":{f.bit_size};"
                    off, size, mask = member_mask(start, f.bit_size, self.big)
                    comment = f"/* {off:5d} {size:5d} */"
                    if f.bit_size:
                        comment = f"/* {off:5d} {size:5d}  mask {mask.hex()} */"
                    if name is None:
                        decl = "/* unnamed */ " + decl
                else:
                    decl = _decl_text(ttext, label) + ";"
                    size = tl.size or 0
                    comment = f"/* {start // 8:5d} {size:5d} */"
                self.lines.append(_pad(ind + decl) + comment)
                if name is not None:
                    self.stats["members"] += 1
            if prev_end is not None:
                prev_end = f.bit_offset + f.bit_size


def _bits_text(nbits: int) -> str:
    if nbits % 8 == 0:
        return f"{nbits // 8}"
    return f"{nbits // 8}+{nbits % 8} bits"


def render_text(layouts: Iterable[Layout], cacheline: int = 64) -> str:
    r = TextRenderer(cacheline)
    return "\n\n".join(r.render(lay) for lay in layouts) + "\n"


def render_json(layouts: Iterable[Layout]) -> str:
    return json.dumps({"layouts": [lay.to_json() for lay in layouts]}, indent=1) + "\n"
