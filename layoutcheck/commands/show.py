"""``layoutcheck show``: the layout of structs and unions, per ABI."""

from __future__ import annotations

import argparse
import itertools
import sys

from ..errors import LayoutError
from ..options import refused_rules_note, side_by_side

from ..cli import add_source_options, make_program


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="C header or source file (default: the project's headers)")
    p.add_argument("--struct", action="append", metavar="NAME",
                   help="struct/union tag or typedef name to show (repeatable); "
                        "default: every tagged struct and union with a definition")
    add_source_options(p)
    p.add_argument("--rules", metavar="FILE",
                   help="rules file whose [matrix.abi_defines] to apply (default: the "
                        "header's, found as `check` finds it)")
    p.add_argument("--format", choices=["text", "json", "table", "svg", "html"], default="text",
                   help="text for people (default; ABIs that lay a struct out alike are shown "
                        "once, named together), table (members down, groups of ABIs across: "
                        "offset/size), json for scripts (one layout per ABI), svg or html "
                        "(word grids: machine words down, union variants across, holes "
                        "shaded, the PageTail bit marked; html is one self-contained page)")
    p.add_argument("--cacheline", type=int, default=64, metavar="BYTES",
                   help="cacheline size marked in text output (default 64, 0 for none)")


def _tail_word(paths, options):
    """The PageTail word of the first header's rules (a tail-bit rule), if any."""
    from ..image import tail_words
    from ..options import ruleset_for

    for path in paths[:1]:
        words = tail_words(ruleset_for(path, options))
        if words:
            return words[0][1]
    return None


def run(args) -> int:
    from .. import workers
    from ..render import render_text
    from ..render.show import json_lines, write_json

    if args.cacheline < 0:
        raise LayoutError(f"--cacheline must be 0 (none) or a size in bytes, not {args.cacheline}")
    # Every record as JSON: the lines a layout cache entry holds serve
    # (see Program.stored_layouts); anything else is laid out here.
    from ..cli import options_from

    options = options_from(args)
    paths = options.headers_or(args.paths, "show")
    structs = options.structs_or(args.struct)
    # The project's structs are shown where a header has them; --struct
    # names structs that must be there.
    required = bool(args.struct)
    whole = args.format == "json" and not structs
    layouts: list = []

    def say(path, note):
        if note:  # a rules file discovery refused
            print(f"layoutcheck: {path}: {note}", file=sys.stderr)

    def chosen(prog):
        if whole:
            return prog.stored_layouts()
        if structs and not required:
            unit = prog.unit(prog.abis[0])
            present = [s for s in structs if (r := unit.find_record(s)) is not None and r.complete]
            return prog.layouts(present) if present else []
        return prog.layouts(structs)

    if options.kernel is not None:  # one translation unit, as a module builds them
        from ..options import open_kernel_unit

        layouts.append(chosen(open_kernel_unit(paths, options)))
        paths = []
    elif whole and len(paths) > 1:
        # every record of many headers: all read (preprocessed), then laid
        # out; the later half of the headers read and laid out in a second
        # process (workers.py), in the order one process keeps
        def read(part):
            for prog in side_by_side(lambda p: make_program(p, args), part):
                yield refused_rules_note(prog.ruleset), prog

        layouts.append(workers.in_two_phased(
            read, lambda progs: (line for prog in progs for line in json_lines(prog.stored_layouts())),
            paths, say))
        paths = []
    elif whole and len(paths) == 1:
        # one header for many ABIs: read here; when what the preprocessor
        # made is big (a UAPI or kernel header, not a cdef), half of the
        # ABIs are laid out in a second process (workers.py)
        prog = make_program(paths[0], args)
        say(paths[0], refused_rules_note(prog.ruleset))
        if prog.text_size() >= workers.BIG_TEXT:
            layouts.append(workers.in_two_stream(
                lambda abis: json_lines(prog.stored_layouts(abis)), prog.abis, prog.read_ahead))
        else:
            layouts.append(prog.stored_layouts())
        paths = []
    for path, prog in zip(paths, side_by_side(lambda p: make_program(p, args), paths), strict=True):
        say(path, refused_rules_note(prog.ruleset))
        layouts.append(chosen(prog))
    if args.format == "json":
        write_json(itertools.chain.from_iterable(layouts), sys.stdout)
    else:
        flat = [lay for part in layouts for lay in part]
        if not flat:
            print("/* no struct or union with a definition */")
        elif args.format == "table":
            from ..render.show import render_table

            sys.stdout.write(render_table(flat))
        elif args.format in ("svg", "html"):
            from ..render import grid

            tail = _tail_word(paths, options)
            if args.format == "svg":
                sys.stdout.write(grid.render_svg(flat, tail_word=tail))
            else:
                sys.stdout.write(grid.render_html(flat, "layoutcheck show " + " ".join(paths),
                                                  tail_word=tail))
        else:
            sys.stdout.write(render_text(flat, args.cacheline))
    return 0
