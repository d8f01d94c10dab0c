"""``layoutcheck decode``: structs read back from a memory dump."""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..cli import add_source_options


def number(text: str) -> int:
    """An integer as C writes it: 4096, 0x1000, 0o10."""
    return int(text, 0)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", metavar="HEADER", help="the header declaring the struct")
    p.add_argument("dump", metavar="DUMP", help="a file of raw bytes (a memory dump)")
    p.add_argument("--struct", required=True, metavar="NAME", help="the struct the dump holds")
    p.add_argument("--offset", type=number, default=0, metavar="N",
                   help="where the first struct starts in the dump (bytes; 0x.. allowed)")
    p.add_argument("--count", type=int, default=None, metavar="N",
                   help="structs to decode (default: as many as the dump holds)")
    p.add_argument("--config", metavar="NAME",
                   help="config of the rules matrix the dump was made in (default: default)")
    add_source_options(p)
    p.add_argument("--rules", metavar="FILE",
                   help="rules file whose value rules (PageTail) to apply (default: the header's)")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text for people (default), json for scripts")
    p.epilog = (p.epilog or "") + """

Every member is shown with its value, as the ABI reads it: pointers in hex,
enums by name, bit-fields at their bits.  With a rules file, the rules that
read a value are applied to each struct: a tail-bit rule (PageTail) says
whether bit 0 of its word is set, and where the head page is.  Exit
status: 0 decoded, 2 the header or dump could not be read."""


def _shown(value, pointer: bool) -> str:
    if pointer and isinstance(value, int):
        return f"{value:#x}"
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v, pointer) for v in value) + "]"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1 << 16:
        return f"{value} ({value:#x})"
    return str(value)


def json_text(doc) -> str:
    """JSON with what JSON cannot hold spelled as strings: raw bytes in
    hex, and floats that are NaN or infinite ("nan", "inf")."""
    import math

    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return str(v)
        if isinstance(v, (bytes, bytearray)):
            return v.hex()
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(doc), indent=1, allow_nan=False, default=str) + "\n"


def run(args) -> int:
    from .. import image
    from ..cli import options_from, program_in_config
    from ..errors import LayoutError

    options = options_from(args)
    if len(options.abis) != 1:
        raise LayoutError("decode: give one ABI (--abi NAME): a dump holds one ABI's bytes")
    if args.offset < 0 or (args.count is not None and args.count < 0):
        raise LayoutError("--offset and --count must be 0 or more")
    prog, cfg = program_in_config(args.path, args, args.config)
    ruleset = prog.ruleset
    lay = prog.layout(args.struct, options.abis[0])
    from ..safety import read_regular

    if lay.size == 0:
        raise LayoutError(f"{lay.kind} {lay.name} has size 0: nothing to decode")
    # only the bytes asked for are read (a dump may be a whole memory image)
    want = None if args.count is None else args.offset + args.count * lay.size
    data = read_regular(args.dump, "dump", want)
    if lay.size == 0:
        raise LayoutError(f"{lay.kind} {lay.name} has size 0: nothing to decode")
    room = max(0, len(data) - args.offset) // lay.size
    count = room if args.count is None else args.count
    if room == 0:
        raise LayoutError(f"{args.dump}: {len(data)} bytes hold no whole {lay.kind} {lay.name} "
                          f"({lay.size} bytes) from offset {args.offset}")
    if count > room:
        raise LayoutError(f"{args.dump}: {len(data)} bytes hold {room} {lay.kind} {lay.name} of "
                          f"{lay.size} bytes from offset {args.offset}, not {count}")
    words = image.tail_words(ruleset)
    decoded = []
    for i in range(count):
        at = args.offset + i * lay.size
        chunk = data[at:at + lay.size]
        values = image.parse(lay, chunk)
        checks = []
        for rule, word in words:
            if lay.get(word) is None:
                continue
            value = image.word_value(lay, chunk, word)
            checks.append({"rule": rule, "word": word, "value": value, "tail": bool(value & 1),
                           "head": value - 1 if value & 1 else None})
        decoded.append({"index": i, "offset": at, "values": values, "checks": checks})
    if args.format == "json":
        doc = {"header": args.path, "struct": lay.name, "abi": lay.abi, "config": cfg.name,
               "size": lay.size, "structs": decoded}
        sys.stdout.write(json_text(doc))
        return 0
    out = [f"{lay.kind} {lay.name} on {lay.abi} ({cfg.name}), {lay.size} bytes each: {count} from "
           f"{os.path.basename(args.dump)} at offset {args.offset}"]
    width = max((len(p) for p in decoded[0]["values"]), default=0) if decoded else 0
    for d in decoded:
        out.append(f"[{d['index']}] at {d['offset']:#x}")
        for path, value in d["values"].items():
            out.append(f"  {path:<{width}}  {_shown(value, image.is_pointer(lay, path))}")
        for c in d["checks"]:
            if c["tail"]:
                out.append(f"  PageTail ({c['rule']}): set: bit 0 of {c['word']} is 1, a tail page; "
                           f"its head page is at {c['head']:#x}")
            else:
                out.append(f"  PageTail ({c['rule']}): clear: bit 0 of {c['word']} is 0")
    sys.stdout.write("\n".join(out) + "\n")
    return 0
