"""Word grids: a struct drawn as the thread draws it, machine words down,
union variants across, for ``show`` and ``diff`` (``--format svg|html``).

Each group of ABIs that lay a struct out alike gets one grid.  Rows are
machine words (the ABI's pointer size); each column block ("lane") is one
way of reading those words: members that share bits go to different lanes
(the union variants), members that do not share bits stay in one.  A
member is a box over the bits it owns, labelled with its name; bits no
member owns are shaded holes; bit 0 of the PageTail word (the rules'
``tail-bit`` word) is marked; members named by a failing rule, and in a
diff members that moved or changed size, are highlighted.  The HTML is
one self-contained file (inline SVG and style, no script, nothing
fetched), and every name that comes from a header is escaped.
"""

from __future__ import annotations

import re
from html import escape as _html_escape
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str, quote: bool = True) -> str:
    """HTML/XML-escaped, with the characters XML 1.0 forbids (control
    characters from a path) shown as U+FFFD."""
    return _html_escape(_NOT_XML.sub("\ufffd", text), quote=quote)


_x = escape

CELL = 34  # pixels per byte
ROW = 30  # pixels per word
GAP = 18  # between lanes
LEFT = 60  # word offsets
TOP = 44  # title


def _leaves(lay) -> List:
    """Members drawn as boxes: those that are not a struct or union
    themselves (their members are drawn)."""
    out = []
    for m in lay.members:
        rec = getattr(getattr(m, "field", None), "type_info", None)
        is_record = rec is not None and rec.record is not None and not _is_array(m)
        if not is_record and m.size:
            out.append(m)
    return out


def _is_array(m) -> bool:
    from ..model import Array, unqualified

    member = getattr(getattr(m, "field", None), "member", None)
    return member is not None and isinstance(unqualified(member.type), Array)


def lanes(lay) -> List[List]:
    """Members in lanes: within a lane no two share a bit."""
    out: List[Tuple[Set[int], List]] = []
    for m in _leaves(lay):
        bits = m.memory_bits()
        for used, members in out:
            if not used & bits:
                used |= bits
                members.append(m)
                break
        else:
            out.append((set(bits), [m]))
    return [members for _, members in out]


def _word_bytes(lay) -> int:
    from ..abi import get_abi

    return get_abi(lay.abi).pointer_size


def _tail_bit(lay, tail_word: Optional[str]) -> Optional[int]:
    """The memory bit of PageTail (bit 0 of the word's value)."""
    if not tail_word:
        return None
    m = lay.get(tail_word)
    if m is None:
        return None
    from ..abi import get_abi

    byte = m.offset + (m.size - 1 if get_abi(lay.abi).big_endian else 0)
    return byte * 8


def svg_grid(lay, label: str, *, tail_word: Optional[str] = None, flagged: Sequence[str] = (),
             changed: Sequence[str] = (), x0: int = 0, y0: int = 0) -> Tuple[str, int, int]:
    """One struct's grid as SVG elements: (markup, width, height)."""
    word = _word_bytes(lay)
    rows = max(1, -(-lay.size // word))
    lane_list = lanes(lay) or [[]]
    block = word * CELL
    title = f"{lay.kind} {lay.name}: {label} ({lay.size} bytes)"
    width = max(LEFT + len(lane_list) * (block + GAP), int(len(title) * 8.2) + 10)
    height = TOP + rows * ROW + 24
    flagged_set, changed_set = set(flagged), set(changed)
    owned: Set[int] = set()
    for lane in lane_list:
        for m in lane:
            owned |= m.memory_bits()
    out = [f'<g class="grid" transform="translate({x0},{y0})">',
           f'<text class="title" x="0" y="16">{escape(title)}</text>']
    for k in range(len(lane_list)):
        out.append(f'<text class="lane" x="{LEFT + k * (block + GAP)}" y="{TOP - 8}">'
                   f'{"view " + str(k + 1) if len(lane_list) > 1 else "members"}</text>')
    for r in range(rows):
        y = TOP + r * ROW
        out.append(f'<text class="off" x="0" y="{y + ROW * 0.65:.0f}">{r * word:#x}</text>')
        for k in range(len(lane_list)):
            bx = LEFT + k * (block + GAP)
            out.append(f'<rect class="word" x="{bx}" y="{y}" width="{block}" height="{ROW}"/>')
    # holes: bits no member owns, shaded in the first lane
    for bit in range(lay.size * 8):
        if bit not in owned:
            r, col = divmod(bit, word * 8)
            out.append(f'<rect class="hole" x="{LEFT + col * CELL / 8:.2f}" y="{TOP + r * ROW}" '
                       f'width="{CELL / 8:.2f}" height="{ROW}"/>')
    for k, lane in enumerate(lane_list):
        bx = LEFT + k * (block + GAP)
        for m in lane:
            bits = sorted(m.memory_bits())
            cls = "member" + (" flagged" if m.path in flagged_set else "") + \
                (" changed" if m.path in changed_set else "")
            out.append(f'<g class="{cls}" data-member="{escape(m.path, quote=True)}">')
            tip = f"{m.path}: {m.type}, offset {m.offset}, {m.bit_size} bits"
            # one rectangle per word row the member's bits cross
            by_row: Dict[int, List[int]] = {}
            for b in bits:
                by_row.setdefault(b // (word * 8), []).append(b % (word * 8))
            first = True
            runs = []
            for r, cols in sorted(by_row.items()):
                cols.sort()
                start = prev = cols[0]
                for c in cols[1:] + [None]:
                    if c is not None and c == prev + 1:
                        prev = c
                        continue
                    runs.append((r, start, prev + 1))
                    if c is not None:
                        start = prev = c
            for r, lo, hi in runs:
                x, w = bx + lo * CELL / 8, (hi - lo) * CELL / 8
                y = TOP + r * ROW
                out.append(f'<rect x="{x:.2f}" y="{y + 2}" width="{max(w, 1):.2f}" height="{ROW - 4}">'
                           f'<title>{_x(tip)}</title></rect>')
                if first:
                    name = m.path if len(m.path) * 7 <= w - 6 else m.path.rsplit(".", 1)[-1]
                    out.append(f'<text x="{x + 3:.2f}" y="{y + ROW * 0.65:.0f}" '
                               f'textLength="{max(w - 6, 4):.0f}" lengthAdjust="spacingAndGlyphs">'
                               f'{escape(name)}</text>' if len(name) * 7 > w - 6 else
                               f'<text x="{x + 3:.2f}" y="{y + ROW * 0.65:.0f}">{escape(name)}</text>')
                    first = False
            out.append("</g>")
    tail = _tail_bit(lay, tail_word)
    if tail is not None:
        r, col = divmod(tail, word * 8)
        for k in range(len(lane_list)):
            x = LEFT + k * (block + GAP) + col * CELL / 8
            out.append(f'<rect class="tailbit" data-tail="{escape(tail_word or "", quote=True)}" '
                       f'x="{x:.2f}" y="{TOP + r * ROW}" width="{CELL / 8:.2f}" height="{ROW}">'
                       f'<title>bit 0 of {escape(tail_word or "")}: PageTail</title></rect>')
    out.append("</g>")
    return "\n".join(out), width, height


STYLE = """
body { font-family: sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; } h2 { font-size: 15px; margin-top: 28px; }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 8px; border: 1px solid #888; }
svg text { font-family: monospace; font-size: 11px; }
svg .title { font-size: 13px; font-weight: bold; font-family: sans-serif; }
svg .lane, svg .off { fill: #555; }
svg .word { fill: #fff; stroke: #bbb; }
svg .hole { fill: #d8d8d8; }
svg .member rect { fill: #cfe3ff; stroke: #3a6db5; }
svg .member.flagged rect { fill: #ffc9c9; stroke: #c0392b; stroke-width: 2; }
svg .member.changed rect { fill: #fff1b8; stroke: #b58a00; stroke-width: 2; }
svg .member.flagged.changed rect { fill: #ffc9c9; }
svg .tailbit { fill: #c0392b; }
"""

LEGEND = ('<p class="legend"><span style="background:#cfe3ff">member</span>'
          '<span style="background:#d8d8d8">hole</span>'
          '<span style="background:#ffc9c9">named by a failing rule</span>'
          '<span style="background:#fff1b8">moved or resized</span>'
          '<span style="background:#c0392b;color:#fff">bit 0 of the PageTail word</span></p>')


def group_key(lay) -> tuple:
    """What two ABIs' layouts share when their grids are the same."""
    from ..abi import get_abi

    return (lay.kind, lay.name, lay.size, _word_bytes(lay), get_abi(lay.abi).big_endian,
            getattr(lay, "source", None),
            tuple((m.path, m.bit_offset, m.bit_size, bytes(m.mask)) for m in lay.members))


def group_layouts(layouts: Iterable) -> List[Tuple[List, object]]:
    """[(ABI names, layout)] with ABIs that lay a struct out alike together."""
    groups: Dict[tuple, Tuple[List[str], object]] = {}
    for lay in layouts:
        key = group_key(lay)
        if key not in groups:
            groups[key] = ([], lay)
        groups[key][0].append(lay.abi)
    return list(groups.values())


def _label(names: List[str], all_names: List[str]) -> str:
    from ..abi import get_abi
    from .groups import abi_group_label

    return abi_group_label(names, [get_abi(n) for n in all_names])


def render_svg(layouts: Iterable, tail_word: Optional[str] = None,
               flagged: Optional[Dict[Tuple[str, str], Sequence[str]]] = None) -> str:
    """One SVG document: a grid per struct and group of ABIs, stacked."""
    layouts = list(layouts)
    all_names = list(dict.fromkeys(lay.abi for lay in layouts))
    parts, y, width = [], 0, 0
    several = len({getattr(lay, "source", None) for lay in layouts}) > 1
    for names, lay in group_layouts(layouts):
        marked = (flagged or {}).get((lay.name, names[0]), ())
        label = _label(names, all_names) + (f" in {lay.source}" if several else "")
        body, w, h = svg_grid(lay, label, tail_word=tail_word, flagged=marked, y0=y)
        parts.append(body)
        y += h + 16
        width = max(width, w)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" '
            f'viewBox="0 0 {width} {y}"><style>{STYLE}</style>\n' + "\n".join(parts) + "\n</svg>\n")


def render_html(layouts: Iterable, title: str, tail_word: Optional[str] = None,
                flagged: Optional[Dict[Tuple[str, str], Sequence[str]]] = None) -> str:
    layouts = list(layouts)
    all_names = list(dict.fromkeys(lay.abi for lay in layouts))
    sections = []
    several = len({getattr(lay, "source", None) for lay in layouts}) > 1
    for names, lay in group_layouts(layouts):
        marked = (flagged or {}).get((lay.name, names[0]), ())
        label = _label(names, all_names) + (f" in {lay.source}" if several else "")
        body, w, h = svg_grid(lay, label, tail_word=tail_word, flagged=marked)
        sections.append(f'<section data-struct="{escape(lay.name, quote=True)}" '
                        f'data-abis="{escape(" ".join(names), quote=True)}">\n'
                        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}">{body}</svg>'
                        f'\n</section>')
    return _page(title, sections)


def render_diff_html(pairs: Sequence[Tuple[List[str], object, object, Sequence[str], Sequence[str]]],
                     title: str, tail_word: Optional[str] = None) -> str:
    """``pairs``: (ABI names, old layout, new layout, members moved or
    resized, members of rules failing on the new side), old and new side
    by side."""
    all_names = list(dict.fromkeys(n for names, *_ in pairs for n in names))
    sections = []
    for names, old, new, changed, flagged in pairs:
        label = _label(names, all_names)
        left, lw, lh = svg_grid(old, "old: " + label, tail_word=tail_word, changed=changed)
        right, rw, rh = svg_grid(new, "new: " + label, tail_word=tail_word, changed=changed,
                                 flagged=flagged, x0=lw + 30)
        sections.append(f'<section data-struct="{escape(new.name, quote=True)}" '
                        f'data-abis="{escape(" ".join(names), quote=True)}">\n'
                        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + 30 + rw}" '
                        f'height="{max(lh, rh)}">{left}\n{right}</svg>\n</section>')
    return _page(title, sections)


def render_diff_svg(pairs, title: str, tail_word: Optional[str] = None) -> str:
    """The pairs of ``render_diff_html`` as one SVG document, stacked."""
    all_names = list(dict.fromkeys(n for names, *_ in pairs for n in names))
    parts, y, width = [f'<text class="title" x="0" y="16">{escape(title)}</text>'], 30, 0
    for names, old, new, changed, flagged in pairs:
        label = _label(names, all_names)
        left, lw, lh = svg_grid(old, "old: " + label, tail_word=tail_word, changed=changed, y0=y)
        right, rw, rh = svg_grid(new, "new: " + label, tail_word=tail_word, changed=changed,
                                 flagged=flagged, x0=lw + 30, y0=y)
        parts += [left, right]
        y += max(lh, rh) + 16
        width = max(width, lw + 30 + rw)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" '
            f'viewBox="0 0 {width} {y}"><style>{STYLE}</style>\n' + "\n".join(parts) + "\n</svg>\n")


def _page(title: str, sections: List[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
            f"<h1>{escape(title)}</h1>\n{LEGEND}\n" + "\n".join(sections) + "\n</body></html>\n")
