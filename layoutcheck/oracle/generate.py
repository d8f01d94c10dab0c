"""Random C structs that exercise every layout rule the engine models.

``generate(seed, count)`` returns C text declaring ``count`` tagged structs
and unions (plus the enums and typedefs they use) that every ABI's GCC
accepts.  The same seed always gives the same text, so a failure found in CI
can be replayed and pinned as a regression test.

What it mixes: nested and anonymous structs and unions; bitfields of every
integer type, _Bool and enums, of every width including ``:0`` and unnamed
ones; arrays (also zero-length and flexible); pointers; long double;
``packed`` and ``aligned`` on members, types and typedefs, in each position
GCC accepts them (before the type, between type and declarator, after the
declarator, after ``*``, after ``struct``, after the closing brace);
``_Alignas``; ``#pragma pack``; ``mode``; ``_Atomic``; packed enums and
enums wider than int.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

# (spelling, bits on the narrowest ABI, bits on the widest, is integer)
_INTS = [
    ("char", 8), ("signed char", 8), ("unsigned char", 8),
    ("short", 16), ("unsigned short", 16),
    ("int", 32), ("unsigned int", 32), ("unsigned", 32),
    ("long", 32), ("unsigned long", 32),
    ("long long", 64), ("unsigned long long", 64),
]
_FLOATS = ["float", "double", "long double"]
_ALIGNS = [1, 2, 4, 8, 16]


@dataclass
class _TypeInfo:
    spelling: str
    bits: Optional[int] = None  # bitfield-able width limit (narrowest ABI)
    arrayable: bool = True  # size is a multiple of alignment on every ABI
    is_record: bool = False


@dataclass
class _Ctx:
    rnd: random.Random
    out: List[str] = field(default_factory=list)
    types: List[_TypeInfo] = field(default_factory=list)
    bf_types: List[_TypeInfo] = field(default_factory=list)
    records: List[str] = field(default_factory=list)
    counter: int = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"


def _attr_aligned(rnd: random.Random) -> str:
    n = rnd.choice(_ALIGNS)
    return rnd.choice([f"__attribute__((aligned({n})))", f"__attribute__((__aligned__({n})))"])


def _setup(ctx: _Ctx) -> None:
    rnd = ctx.rnd
    for sp, bits in _INTS:
        ctx.types.append(_TypeInfo(sp, bits))
        ctx.bf_types.append(_TypeInfo(sp, bits))
    ctx.types.append(_TypeInfo("_Bool", 1))
    ctx.bf_types.append(_TypeInfo("_Bool", 1))
    for sp in _FLOATS:
        ctx.types.append(_TypeInfo(sp))
    for sp in ("void *", "char *", "void (*)(int)"):
        ctx.types.append(_TypeInfo(sp))
    # enums: plain, negative, wider than int, packed
    for kind in range(4):
        name = ctx.name("e")
        if kind == 0:
            body = f"{name}_a, {name}_b, {name}_c = {rnd.randint(2, 1000)}"
            attr = ""
            bits = 32
        elif kind == 1:
            body = f"{name}_a = -{rnd.randint(1, 300)}, {name}_b = {rnd.randint(0, 300)}"
            attr = ""
            bits = 32
        elif kind == 2:
            body = f"{name}_a = 0x{rnd.randint(1 << 32, 1 << 40):x}ULL"
            attr = ""
            bits = None  # width differs (8 bytes); keep it out of bitfields
        else:
            hi = rnd.choice([100, 200, 40000, 70000])
            body = f"{name}_a, {name}_b = {hi}"
            attr = " __attribute__((packed))"
            bits = 8 if hi <= 255 else (16 if hi <= 65535 else 32)
        if attr and rnd.random() < 0.5:
            ctx.out.append(f"enum{attr} {name} {{ {body} }};")
        else:
            ctx.out.append(f"enum {name} {{ {body} }}{attr};")
        ti = _TypeInfo(f"enum {name}", bits)
        ctx.types.append(ti)
        if bits is not None:
            ctx.bf_types.append(ti)
    # typedefs with alignment changed up or down
    for _ in range(4):
        base, bits = rnd.choice(_INTS[3:])
        n = rnd.choice(_ALIGNS)
        name = ctx.name("t")
        place = rnd.randrange(3)
        attr = f"__attribute__((aligned({n})))"
        if place == 0:
            ctx.out.append(f"typedef {base} {name} {attr};")
        elif place == 1:
            ctx.out.append(f"typedef {base} {attr} {name};")
        else:
            ctx.out.append(f"typedef {attr} {base} {name};")
        size = bits // 8
        ctx.types.append(_TypeInfo(name, bits, arrayable=(size % n == 0)))
        ctx.bf_types.append(_TypeInfo(name, bits))
    # mode-attribute integers
    for mode, bits in (("QI", 8), ("HI", 16), ("SI", 32), ("DI", 64)):
        name = ctx.name("m")
        ctx.out.append(f"typedef int {name} __attribute__((mode({mode})));")
        ctx.types.append(_TypeInfo(name, bits))
        ctx.bf_types.append(_TypeInfo(name, bits))
    # pointer with alignment changed at the '*'
    name = ctx.name("p")
    n = rnd.choice(_ALIGNS)
    ctx.out.append(f"typedef char * __attribute__((aligned({n}))) {name};")
    ctx.types.append(_TypeInfo(name, arrayable=False))
    ctx.types.append(_TypeInfo("_Atomic long long"))
    ctx.types.append(_TypeInfo("_Atomic int"))


def _declarator(spelling: str, name: str) -> str:
    if "(*)" in spelling:
        return spelling.replace("(*)", f"(*{name})")
    return f"{spelling} {name}"


def _member(ctx: _Ctx, depth: int, in_union: bool) -> str:
    rnd = ctx.rnd
    r = rnd.random()
    name = ctx.name("f")
    if r < 0.30:
        t = rnd.choice(ctx.bf_types)
        limit = t.bits
        if rnd.random() < 0.12:
            return f"{t.spelling} : 0;" if t.spelling != "_Bool" else "int : 0;"
        width = rnd.randint(1, limit)
        if rnd.random() < 0.15:
            return f"{t.spelling} : {width};"
        attr = ""
        if rnd.random() < 0.15:
            attr = " __attribute__((packed))"
        elif rnd.random() < 0.1:
            attr = " " + _attr_aligned(rnd)
        return f"{t.spelling} {name} : {width}{attr};"
    if r < 0.42 and depth < 3:
        return _record_text(ctx, depth + 1, anonymous=True) + ";"
    if r < 0.50 and depth < 3:
        inner = _record_text(ctx, depth + 1, anonymous=False, inline_tag=rnd.random() < 0.3)
        return f"{inner} {name};"
    recent = [_TypeInfo(f"{'union' if s.startswith('u') else 'struct'} {s}", is_record=True)
              for s in ctx.records[-6:]]
    t = rnd.choice(ctx.types + recent)
    decl = _declarator(t.spelling, name)
    if t.arrayable and "(*)" not in t.spelling and rnd.random() < 0.2:
        decl += f"[{rnd.choice([0, 1, 2, 3, 5])}]"
    attrs = rnd.random()
    if attrs < 0.12:
        return f"{decl} {_attr_aligned(rnd)};"
    if attrs < 0.2:
        return f"{_attr_aligned(rnd)} {decl};"
    if attrs < 0.26 and "(*)" not in t.spelling and "[" not in decl:
        return f"{t.spelling} {_attr_aligned(rnd)} {name};"
    if attrs < 0.34:
        return f"{decl} __attribute__((packed));"
    if attrs < 0.38:
        return f"_Alignas(16) {decl};"
    if attrs < 0.42 and "(*)" not in t.spelling and "[" not in decl:
        return f"{t.spelling} * {_attr_aligned(rnd)} {name};"
    if attrs < 0.44:
        return f"{decl} __attribute__((aligned));"  # the target's biggest alignment
    if attrs < 0.46:
        return f"_Alignas(long long) char {name};"
    return f"{decl};"


# (cumulative probability, after 'struct', after '}'): attributes of a type
_NESTED_RECORD_ATTRS = ((0.1, "packed", ""), (0.2, "", "packed"), (0.28, "", "aligned"),
                        (0.32, "packed", "aligned"))
_TOP_RECORD_ATTRS = ((0.12, "packed", ""), (0.24, "", "packed"), (0.32, "", "aligned"),
                     (0.36, "aligned", "packed"))


def _record_attrs(rnd: random.Random, table) -> Tuple[str, str]:
    def text(which: str) -> str:
        if which == "packed":
            return " __attribute__((packed))"
        if which == "aligned":
            return " " + _attr_aligned(rnd)
        return ""

    r = rnd.random()
    for limit, pre, post in table:
        if r < limit:
            pre_text = text(pre)
            return pre_text, text(post)
    return "", ""


def _record_text(ctx: _Ctx, depth: int, anonymous: bool, inline_tag: bool = False) -> str:
    rnd = ctx.rnd
    kind = "union" if rnd.random() < 0.3 else "struct"
    n = rnd.randint(1, 5 if depth else 9)
    members = [_member(ctx, depth, kind == "union") for _ in range(n)]
    if not any(":" not in m or m.count(":") == 0 for m in members):
        members.append(f"char {ctx.name('f')};")
    pre, post = _record_attrs(rnd, _NESTED_RECORD_ATTRS)
    tag = ""
    if inline_tag:
        tag = " " + ctx.name("u" if kind == "union" else "s")
    body = " ".join(members)
    return f"{kind}{pre}{tag} {{ {body} }}{post}"


def _top_record(ctx: _Ctx) -> None:
    rnd = ctx.rnd
    kind = "union" if rnd.random() < 0.2 else "struct"
    tag = ctx.name("u" if kind == "union" else "s")
    n = rnd.randint(1, 10)
    members = [_member(ctx, 0, kind == "union") for _ in range(n)]
    if kind == "struct" and rnd.random() < 0.1:
        members.append(f"char {ctx.name('f')};")
        members.append(f"int {ctx.name('fl')}[];")
    if all(m.split(":")[0].strip().endswith(("char", "int", "long", "short")) and ":" in m and "0;" in m
           for m in members):
        members.append(f"int {ctx.name('f')};")
    pre, post = _record_attrs(rnd, _TOP_RECORD_ATTRS)
    pack = None
    if rnd.random() < 0.15:
        pack = rnd.choice([1, 2, 4, 8])
        ctx.out.append(f"#pragma pack(push, {pack})")
    ctx.out.append(f"{kind}{pre} {tag} {{")
    inner_pack = None
    if pack is None and len(members) > 1 and rnd.random() < 0.05:
        # pushed between members: GCC reads the pack at the closing brace
        inner_pack = rnd.choice([1, 2, 4])
        at = rnd.randrange(1, len(members))
        members = members[:at] + [f"#pragma pack(push, {inner_pack})"] + members[at:]
    for m in members:
        ctx.out.append(m if m.startswith("#") else f"\t{m}")
    ctx.out.append(f"}}{post};")
    if inner_pack is not None:
        ctx.out.append("#pragma pack(pop)")
    if pack is not None:
        ctx.out.append("#pragma pack(pop)")
    ctx.records.append(tag)
    if rnd.random() < 0.1:
        # a typedef that raises or lowers the record's alignment
        td = ctx.name("r")
        ctx.out.append(f"typedef {kind} {tag} {td} {_attr_aligned(rnd)};")
        ctx.types.append(_TypeInfo(td, arrayable=False, is_record=True))


def generate(seed: int, count: int) -> str:
    """C text with ``count`` tagged top-level structs/unions."""
    ctx = _Ctx(random.Random(seed))
    ctx.out.append(f"/* layoutcheck generated structs, seed {seed}, count {count} */")
    _setup(ctx)
    for _ in range(count):
        _top_record(ctx)
    # a flexible array member in a non-last position is invalid; the
    # generator only ever puts one last.
    return "\n".join(ctx.out) + "\n"
