"""``layoutcheck alias``: what a store to one member does to the others."""

from __future__ import annotations

import argparse
import sys
from typing import Dict, List

from ..cli import add_source_options


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", metavar="HEADER", help="the header declaring the struct")
    p.add_argument("--struct", required=True, metavar="NAME")
    p.add_argument("--set", dest="writes", action="append", required=True, metavar="MEMBER=VALUE",
                   help="store VALUE (an integer, 0x.., or an enumerator) through MEMBER "
                        "(repeatable, applied in order)")
    p.add_argument("--config", metavar="NAME",
                   help="config of the rules matrix (default: default)")
    add_source_options(p)
    p.add_argument("--rules", metavar="FILE",
                   help="rules file whose value rules (PageTail) to apply (default: the header's)")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text for people (default; ABIs with the same answer together), json")
    p.epilog = (p.epilog or "") + """

Starting from a zeroed struct, each store is made through its member; every
member of the other union variants whose value changes is listed with its
new value, per group of ABIs that answer alike.  A store that sets bit 0 of
a tail-bit rule's word (PageTail) is named.  Exit status: 0 no value rule
broken, 1 a store sets PageTail, 2 the input could not be read."""


def run(args) -> int:
    from .. import image
    from ..cli import program_in_config
    from ..errors import LayoutError
    from ..render.groups import abi_group_label

    writes = []
    for item in args.writes:
        path, eq, value = item.partition("=")
        if not eq or not path.strip() or not value.strip():
            raise LayoutError(f"--set {item!r}: give MEMBER=VALUE")
        writes.append((path.strip(), value.strip()))
    prog, cfg = program_in_config(args.path, args, args.config)
    ruleset = prog.ruleset
    words = image.tail_words(ruleset)
    results = []
    for abi in prog.abis:
        lay = prog.layout(args.struct, abi)
        before = bytes(lay.size)
        after = image.write_through(lay, writes, before)
        changed = image.changed_members(lay, before, after, [w[0] for w in writes])
        tails = []
        for rule, word in words:
            if lay.get(word) is not None and image.word_value(lay, after, word) & 1:
                tails.append({"rule": rule, "word": word})
        results.append({"abi": abi.name, "changed": [
            {"member": p, "was": old, "now": new, "pointer": image.is_pointer(lay, p)}
            for p, old, new in changed], "page_tail": tails})
    bad = any(r["page_tail"] for r in results)
    if args.format == "json":
        doc = {"header": args.path, "struct": args.struct, "config": cfg.name,
               "writes": [f"{p}={v}" for p, v in writes], "abis": results}
        from .decode import json_text

        sys.stdout.write(json_text(doc))
        return 1 if bad else 0
    groups: Dict[str, List[str]] = {}
    for r in results:
        lines = []
        width = max((len(c["member"]) for c in r["changed"]), default=0)
        for c in r["changed"]:
            now = f"{c['now']:#x}" if c["pointer"] and isinstance(c["now"], int) else str(c["now"])
            lines.append(f"    {c['member']:<{width}}  now {now}")
        if not r["changed"]:
            lines.append("    no other member changes")
        for t in r["page_tail"]:
            lines.append(f"    sets PageTail: bit 0 of {t['word']} is now 1 (breaks {t['rule']}: the "
                         f"page now reads as a tail page)")
        groups.setdefault("\n".join(lines), []).append(r["abi"])
    abis = prog.abis
    kind = prog.layout(args.struct, prog.abis[0]).kind
    out = [f"{kind} {args.struct} in {args.path} ({cfg.name}): "
           f"{', '.join(f'{p}={v}' for p, v in writes)}"]
    for text, names in groups.items():
        out.append(f"  {abi_group_label(names, abis)}:")
        out.append(text)
    sys.stdout.write("\n".join(out) + "\n")
    return 1 if bad else 0
