"""``layoutcheck diff``: two versions of a header, every ABI and config at once.

OLD and NEW are files or git revisions (``REV:path``); ``--git REV PATH``
compares PATH at REV with the work tree.  Changes common to many ABI/config
pairs are said once, with where they hold.  Text shows the words of each
changed struct side by side (old | new), markdown is ready to paste into a
review, JSON is ``{"changes": [...]}``.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import LayoutError


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..cli import add_source_options

    p.add_argument("old", metavar="OLD", help="old header: a path, or REV:path in git")
    p.add_argument("new", metavar="NEW", nargs="?",
                   help="new header: a path or REV:path (with --git: omit, or the path)")
    p.add_argument("--git", metavar="REV",
                   help="compare OLD as it was at REV with OLD in the work tree")
    p.add_argument("--struct", action="append", metavar="NAME",
                   help="struct/union to compare (repeatable); default: every one")
    p.add_argument("--rules", metavar="FILE",
                   help="rules file: its config matrix and rules (default: found for NEW)")
    p.add_argument("--config", action="append", metavar="CONFIG",
                   help="only this config (a matrix name or a macro list); repeatable")
    add_source_options(p)
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text")


def run(args) -> int:
    from ..cli import options_from
    from ..compare import diff_headers
    from ..render import diff as render

    if args.git:
        if args.new is not None and args.new != args.old:
            raise LayoutError("with --git REV give one path (compared at REV and in the work tree)")
        result = diff_headers(args.old, None, options_from(args), args.struct, args.config,
                              git=args.git)
    else:
        if args.new is None:
            raise LayoutError("diff needs OLD and NEW (or --git REV PATH)")
        result = diff_headers(args.old, args.new, options_from(args), args.struct, args.config)
    for note in result.notes:
        print(f"layoutcheck: {note}", file=sys.stderr)
    out = {"json": render.render_json, "markdown": render.render_markdown,
           "text": render.render_text}[args.format](result)
    sys.stdout.write(out)
    return 1 if result.changed else 0
