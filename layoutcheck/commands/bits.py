"""``layoutcheck bits``: the bit budget of ``page->flags``, per ABI and config."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Dict, List, Tuple

from ..cli import add_source_options


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="HEADER",
                   help="header declaring enum pageflags, struct page and the page-flags "
                        "layout macros (with --kernel: headers of the tree, default linux/mm.h)")
    p.add_argument("--word", default="page.flags", metavar="STRUCT.MEMBER",
                   help="the flags word to budget (default page.flags, the one known)")
    p.add_argument("--config", action="append", metavar="NAME",
                   help="config of the header's rules matrix, by name, or a comma-separated "
                        "macro list (repeatable); default: every config of the matrix")
    p.add_argument("--need", type=int, default=0, metavar="N",
                   help="fail (exit 1) where fewer than N bits are free, e.g. --need 1: "
                        "one more page flag must fit everywhere")
    add_source_options(p)
    p.add_argument("--rules", metavar="FILE",
                   help="rules file whose matrix and [matrix.abi_defines] apply (default: "
                        "the header's, found as `check` finds it)")
    p.add_argument("--verbose", action="store_true", help="name every page flag and its aliases")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text for people (default; ABIs with the same budget shown once), "
                        "json for scripts (one budget per ABI and config)")
    p.epilog = (p.epilog or "") + """

The word is read from the header itself: the flag count is enum pageflags'
__NR_PAGEFLAGS, each field's width and position the header's *_WIDTH and
*_PGOFF macros (page-flags-layout.h and mm.h or mmzone.h), evaluated for
each ABI as GCC would.  A field whose width is 0 while it wants more (its
*_SHIFT) is shown where the kernel keeps it instead.  Exit status: 0 every
budget fits (and has --need bits free), 1 one does not, 2 the header could
not be read."""


def _rows(b) -> List[Tuple[str, str, str, str]]:
    from ..bits import describe_range

    rows: List[Tuple[str, str, str, str]] = []
    top = b.word_bits
    for f in b.fields:
        if not f.width or f.width < 0 or f.lowest_bit < 0 or f.lowest_bit + f.width > b.word_bits:
            continue  # not drawn: the verdict names the problem
        if f.lowest_bit + f.width < top:
            gap = top - f.lowest_bit - f.width
            rows.append((describe_range(f.lowest_bit + f.width, gap), "(free)", str(gap), ""))
        note = ""
        if f.elastic and f.wanted is not None:
            note = f"takes what is left, up to {f.wanted}"
        elif f.wanted is not None and f.wanted != f.width:
            note = f"wants {f.wanted}"
        rows.append((describe_range(f.lowest_bit, f.width), f.name, str(f.width), note))
        top = f.lowest_bit
    if top > b.flag_count:
        rows.append((describe_range(b.flag_count, top - b.flag_count), "(free)",
                     str(top - b.flag_count), ""))
    if b.flags:
        first, last = b.flags[0][1], b.flags[-1][1]
        names = f"{first} .. {last}" if len(b.flags) > 1 else first
        rows.append((describe_range(0, b.flag_count), "page flags", str(b.flag_count), names))
    return rows


def _flag_lines(b) -> List[str]:
    out = []
    for bit, name, aliases in reversed(b.flags):
        also = f" (also {', '.join(aliases)})" if aliases else ""
        out.append(f"      bit {bit:2d}  {name}{also}")
    return out


def _verdict(b, need: int) -> str:
    if b.refused:
        return "does NOT fit: the header refuses this config (#error)"
    if b.problems:
        return "does NOT fit: " + "; ".join(b.problems)
    elastic = sum(f.width for f in b.fields if f.elastic)
    out = f"{b.free} bit{'s' if b.free != 1 else ''} free"
    if b.free >= 1:
        out += ": one more flag fits"
    elif elastic:
        names = ", ".join(f.name for f in b.fields if f.elastic and f.width)
        out += (f": one more flag fits only by taking a bit from {names} "
                f"({elastic} bit{'s' if elastic != 1 else ''} now)")
    else:
        out += ": one more flag does NOT fit"
    if need > b.free:
        out += f" (--need {need}: fails)"
    return out


def _left_out(b) -> List[str]:
    out = []
    for f in b.fields:
        if f.left_out:
            out.append(f"{f.name} ({f.wanted} bits) is not in the word: {f.elsewhere or 'kept elsewhere'}")
        elif f.width == 0 and f.wanted_unknown:
            out.append(f"{f.name} is not in the word; the width it would want is no constant "
                       f"({f.wanted_unknown})")
    return out


def render_text(results, model, abis, need: int, verbose: bool) -> str:
    from ..render.groups import abi_group_label

    lines: List[str] = []
    for header, budgets in results:
        lines.append(f"{model.name} in {header}")
        configs: List[str] = list(dict.fromkeys(b.config for b in budgets))
        for i, cfg in enumerate(configs, 1):
            lines.append(f"[{i}] {cfg}" if len(configs) > 1 else f"config: {cfg}")
            groups: Dict[tuple, list] = {}
            for b in budgets:
                if b.config == cfg:
                    groups.setdefault(b.summary_key(), []).append(b)
            for members in groups.values():
                b = members[0]
                label = abi_group_label([m.abi for m in members], abis)
                if b.refused:
                    lines.append(f"  {label}: refused: {b.refused}")
                    lines.append(f"    {_verdict(b, need)}")
                    continue
                lines.append(f"  {label}: {b.word_bits}-bit word, {b.used} bits used")
                rows = _rows(b)
                w0 = max(len(r[0]) for r in rows)
                w1 = max(len(r[1]) for r in rows)
                w2 = max(len(r[2]) for r in rows)
                for r in rows:
                    lines.append(f"    {r[0]:<{w0}}  {r[1]:<{w1}}  {r[2]:>{w2}}  {r[3]}".rstrip())
                if verbose:
                    lines += _flag_lines(b)
                for note in _left_out(b):
                    lines.append(f"    {note}")
                lines.append(f"    {_verdict(b, need)}")
    failing = [b for _, bs in results for b in bs if b.problems or b.free < need]
    total = sum(len(bs) for _, bs in results)
    if failing:
        lines.append(f"{len(failing)} of {total} ABI x config budgets fail")
    else:
        least = min((b.free for _, bs in results for b in bs), default=0)
        lines.append(f"all {total} ABI x config budgets fit; the fewest free bits: {least}")
    return "\n".join(lines) + "\n"


def run(args) -> int:
    from ..bits import budgets, word_model
    from ..cli import options_from
    from ..errors import LayoutError

    model = word_model(args.word)
    if args.need < 0:
        raise LayoutError(f"--need must be 0 or more bits, not {args.need}")
    options = options_from(args)
    if options.kernel is not None:
        if args.config:
            raise LayoutError("--config: a kernel tree is read in its own .config (drop --config)")
        paths = list(args.paths)
    else:
        paths = options.headers_or(args.paths, "bits")
    results = budgets(paths, options, model, options.configs_or(args.config))
    if args.format == "json":
        doc = {"word": model.name, "about": model.about, "need": args.need,
               "headers": [{"header": h, "budgets": [b.to_json() for b in bs]} for h, bs in results]}
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(results, model, options.abi_objects(), args.need, args.verbose))
    bad = any(b.problems or b.free < args.need for _, bs in results for b in bs)
    return 1 if bad else 0
