"""Bytes of a laid-out struct: a ``construct`` definition for one ABI.

``definition(layout)`` turns a computed ``Layout`` into a construct
``Struct``/``Union`` tree that parses and builds the struct's real bytes on
that ABI: members at their offsets with ``Padding`` between, unions as
``Union`` padded to the union's size, integers and pointers in the ABI's
byte order, enums by name, and each run of bit-fields that share bytes as
one bit-level group whose fields sit at GCC's bit positions (on
little-endian ABIs the group's bytes are read as one little-endian
integer, bit 0 its least significant; on big-endian ones bit 0 is the
most significant bit of the first byte).

Anonymous struct and union members are subcons named ``_anon<i>``, since
a construct container needs a name for each level; ``parse`` and ``build``
speak C's member paths instead (``compound_head``, ``lru.next``): values
are a flat mapping from path to value, arrays as lists.

Types with no exact integer reading (``long double``, ``_Float128``, the
complex types) are kept as raw bytes.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import construct as C

from .errors import LayoutError
from .model import Array, Enum, Pointer, Scalar, unqualified
from .plain import PlainEq


class _Ctx(PlainEq):
    engine: Any
    little: bool

    _fields = ("engine", "little")

    def __init__(self, engine: Any, little: bool) -> None:
        self.engine = engine
        self.little = little


def _int(size: int, signed: bool, little: bool):
    if size == 1:
        return C.Int8sb if signed else C.Int8ub
    return C.BytesInteger(size, signed=signed, swapped=little)


def _float(kind: str, size: int, little: bool):
    if kind == "float" and size == 4:
        return C.Float32l if little else C.Float32b
    if kind == "double" and size == 8:
        return C.Float64l if little else C.Float64b
    return C.Bytes(size)  # long double, _Float128: raw


def _int_signed(t, engine) -> bool:
    """Whether an integer or enum type is signed on the engine's ABI, as
    its constant expressions read it (plain char as the ABI's, _Bool
    unsigned, an enum and a mode on an enum as the enum's values say)."""
    it = engine.ev.ctype_int(t)
    return it.signed if it is not None else False


def _leaf(t, size: int, ctx: _Ctx):
    """The subcon for one object of type ``t`` (``size`` bytes)."""
    base = unqualified(t)
    if isinstance(base, Scalar):
        if base.is_float:
            if base.kind.startswith("_Complex"):
                half = size // 2
                part = base.kind.replace("_Complex ", "")
                return C.Array(2, _float(part, half, ctx.little))
            return _float(base.kind, size, ctx.little)
        return _int(size, _int_signed(base, ctx.engine), ctx.little)
    if isinstance(base, Pointer):
        return _int(size, False, ctx.little)
    if isinstance(base, Enum):
        kind, signed = ctx.engine.enum_underlying(base)
        mapping = {}
        for e in base.enumerators or []:
            value = ctx.engine.enumerator_value(e)
            mapping.setdefault(e.name, value)
        return C.Enum(_int(size, signed, ctx.little), **mapping)
    if isinstance(base, Array):
        info = ctx.engine.layout(base.elem)
        count = size // info.size_bytes if info.size_bytes else 0
        return C.Array(count, _object(base.elem, info, ctx))
    return C.Bytes(size)


def _object(t, info, ctx: _Ctx):
    if info.record is not None and not isinstance(unqualified(t), Array):
        return _record(info.record, ctx)
    return _leaf(t, info.size_bytes or 0, ctx)


def _bit_group(fields: List[Tuple[int, Any]], first_byte: int, nbytes: int, ctx: _Ctx, names):
    """One run of bit-fields over bytes [first_byte, first_byte + nbytes)
    of the record (positions relative to the record's start)."""
    total = nbytes * 8
    items = []
    spans = []
    for pos, f in fields:
        rel = pos - first_byte * 8
        # big-endian: GCC's position is already MSB-first; little-endian:
        # the little-endian integer's bit rel, read from its top
        top = rel if not ctx.little else total - rel - f.bit_size
        spans.append((top, f))
    spans.sort(key=lambda s: s[0])
    at = 0
    for top, f in spans:
        if top > at:
            items.append(C.Padding(top - at))
        signed = _int_signed(f.member.type, ctx.engine)
        if f.member.name is None:
            items.append(C.Padding(f.bit_size))  # an unnamed bit-field holds nothing
        else:
            items.append(names(f) / C.BitsInteger(f.bit_size, signed=signed))
        at = top + f.bit_size
    if at < total:
        items.append(C.Padding(total - at))
    group = C.BitStruct(*items)
    return C.ByteSwapped(group) if ctx.little else group


def _struct_pieces(fields) -> list:
    """A struct's fields as its construct holds them: ("field", f), or
    ("bits", first byte, end byte, fields) for each run of bit-fields that
    share bytes (zero-width ones only align, and are left out)."""
    live = [f for f in fields if not (f.is_bitfield and not f.bit_size)]
    out: list = []
    i = 0
    while i < len(live):
        f = live[i]
        if not f.is_bitfield:
            out.append(("field", f))
            i += 1
            continue
        lo = f.bit_offset // 8
        hi = (f.bit_offset + f.bit_size + 7) // 8
        j = i + 1
        while j < len(live) and live[j].is_bitfield and live[j].bit_offset < hi * 8:
            hi = max(hi, (live[j].bit_offset + live[j].bit_size + 7) // 8)
            j += 1
        out.append(("bits", lo, hi, live[i:j]))
        i = j
    return out


def _record(placed, ctx: _Ctx):
    counter = [0]

    def name_of(f) -> str:
        if f.member.name:
            return f.member.name
        counter[0] += 1
        return f"_anon{counter[0]}"

    if placed.kind == "union":
        variants = []
        for f in placed.fields:
            if f.is_bitfield:
                if f.member.name is None or not f.bit_size:
                    continue  # unnamed: holds nothing
                size = (f.bit_offset + f.bit_size + 7) // 8
                variants.append(name_of(f) / _bit_group([(f.bit_offset, f)], 0, size, ctx,
                                                        lambda g: "value"))
            else:
                variants.append(name_of(f) / _object(f.member.type, f.type_info, ctx))
        if not variants:
            return C.Padding(placed.size_bytes)  # nothing in it holds a value
        return C.Padded(placed.size_bytes, C.Union(None, *variants))
    items = []
    at = 0  # bytes
    for piece in _struct_pieces(placed.fields):
        if piece[0] == "bits":
            _, lo, hi, run = piece
            if lo > at:
                items.append(C.Padding(lo - at))
            items.append(f"_bits{lo}" / _bit_group([(g.bit_offset, g) for g in run], lo, hi - lo,
                                                    ctx, name_of))
            at = hi
            continue
        f = piece[1]
        start = f.bit_offset // 8
        if start > at:
            items.append(C.Padding(start - at))
        size = f.type_info.size_bytes or 0
        items.append(name_of(f) / _object(f.member.type, f.type_info, ctx))
        at = start + size
    if placed.size_bytes > at:
        items.append(C.Padding(placed.size_bytes - at))
    return C.Struct(*items)


def definition(layout):
    """The construct for ``layout`` (a ``Layout``) on its ABI."""
    engine = layout.engine
    placed = engine.placed_record(layout.record)
    return _record(placed, _Ctx(engine, not engine.abi.big_endian))


# ---------------------------------------------------------------- paths
def _walk(placed, prefix: str, out: List[Tuple[str, Tuple[str, ...], Any]], keys: Tuple[str, ...]):
    """(C path, container keys, field) for every named member, nested."""
    counter = 0
    group = ({id(g): piece[1] for piece in _struct_pieces(placed.fields) if piece[0] == "bits"
              for g in piece[3]} if placed.kind == "struct" else {})
    for f in placed.fields:
        if f.is_bitfield and not f.bit_size:
            continue
        if f.member.name is None:
            if f.is_anonymous_record:
                counter += 1
                _walk(f.type_info.record, prefix, out, keys + (f"_anon{counter}",))
            continue
        path = prefix + f.member.name
        if f.is_bitfield and placed.kind == "struct":
            out.append((path, keys + (f"_bits{group[id(f)]}", f.member.name), f))
        elif f.is_bitfield:
            out.append((path, keys + (f.member.name, "value"), f))
        else:
            out.append((path, keys + (f.member.name,), f))
            inner = f.type_info.record
            if inner is not None and not isinstance(unqualified(f.member.type), Array):
                _walk(inner, path + ".", out, keys + (f.member.name,))
    return out


def _plain(value):
    if isinstance(value, C.EnumIntegerString):
        return str(value)
    if isinstance(value, C.ListContainer):
        return [_plain(v) for v in value]
    if isinstance(value, C.Container):
        return {k: _plain(v) for k, v in value.items() if not k.startswith("_io")}
    return value


def parse(layout, data: bytes) -> Dict[str, Any]:
    """Every member's value in ``data`` (the struct's bytes), by C path;
    an enum by its enumerator's name where it has one, a nested record as
    its members' own paths (``lru.next``)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise LayoutError(f"parse takes bytes, not {type(data).__name__}")
    if len(data) < layout.size:
        raise LayoutError(f"{layout.kind} {layout.name} is {layout.size} bytes on {layout.abi}; "
                          f"{len(data)} given")
    engine = layout.engine
    placed = engine.placed_record(layout.record)
    tree = definition(layout).parse(bytes(data[:layout.size]))
    return _read_tree(placed, tree, engine)


def _read_tree(placed, tree, engine) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for path, keys, f in _walk(placed, "", [], ()):
        node = tree
        for k in keys:
            node = node[k]
        if isinstance(node, C.Container):
            continue  # a nested record: its members have their own paths
        out[path] = _c_value_of(f, node, engine)
    return out


def _c_value_of(f, node, engine):
    """A parsed value as C reads it: enumerators by name (bit-fields of
    enum type too), arrays of records as lists of {member path: value}."""
    base = unqualified(f.member.type)
    if f.is_bitfield and isinstance(base, Enum):
        names = {}
        for e in base.enumerators or []:
            names.setdefault(engine.enumerator_value(e), e.name)
        return names.get(node, node)
    if isinstance(base, Array) and isinstance(node, list):
        return _array_value(base, node, engine)
    return _plain(node)


def _array_value(arr, node, engine):
    elem = unqualified(arr.elem)
    info = engine.layout(arr.elem)
    if info.record is not None and not isinstance(elem, Array):
        return [_read_tree(info.record, item, engine) for item in node]
    if isinstance(elem, Array):
        return [_array_value(elem, item, engine) for item in node]
    return [_plain(v) for v in node]


def build(layout, values: Dict[str, Any]) -> bytes:
    """The struct's bytes with ``values`` (C path -> value) set and every
    other byte zero.  In a union only the variant holding the given
    members is written; members of two variants of one union may not be
    given together (write one, then ``overlay`` the other)."""
    if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
        raise LayoutError("build takes a mapping of member path (a string) to value")
    placed = layout.engine.placed_record(layout.record)
    walked = {path: (k, f) for path, k, f in _walk(placed, "", [], ())}
    keys = {path: k for path, (k, _) in walked.items()}
    unknown = [p for p in values if p not in keys]
    if unknown:
        from .layouts import did_you_mean

        raise LayoutError(f"{layout.kind} {layout.name} has no member {unknown[0]!r}"
                          f"{did_you_mean(unknown[0], list(keys))}")
    for path in values:
        f = walked[path][1]
        if f.type_info.record is not None and not isinstance(unqualified(f.member.type), Array):
            inner = sorted(p for p in keys if p.startswith(path + "."))
            raise LayoutError(f"{path} is a {f.type_info.record.kind}: give its members "
                              f"({', '.join(inner[:4])})")
    defn = definition(layout)
    nested = _zero(defn)
    for path, value in values.items():
        node = nested
        path_keys = keys[path]
        for k in path_keys[:-1]:
            node = node.setdefault(k, C.Container())
        node[path_keys[-1]] = _c_to_construct(walked[path][1], value, layout.engine, path)
    _prune_unions(defn, nested)
    try:
        return defn.build(nested)
    except (C.ConstructError, TypeError, ValueError, KeyError) as exc:
        text = str(exc).splitlines()[-1] if str(exc) else type(exc).__name__
        raise LayoutError(f"{layout.kind} {layout.name}: a value does not fit its member: {text}") from None


def _c_to_construct(f, value, engine, path: str):
    """A value as C stores it, in the form the construct builds: a _Bool
    is 0 or 1, an enumerator's name is its value in a bit-field, an array
    of records is a list of {member path: value}."""
    base = unqualified(f.member.type)
    if isinstance(base, Scalar) and base.kind == "_Bool" and isinstance(value, (int, float)):
        return 1 if value else 0
    if f.is_bitfield and isinstance(base, Enum) and isinstance(value, str):
        for e in base.enumerators or []:
            if e.name == value:
                return engine.enumerator_value(e)
        raise LayoutError(f"{path}: {value!r} is no enumerator of enum {base.tag or '(anonymous)'}")
    if isinstance(base, Array) and isinstance(value, list):
        return _array_to_construct(base, value, engine, path)
    return value


def _array_to_construct(arr, value: list, engine, path: str):
    elem = unqualified(arr.elem)
    info = engine.layout(arr.elem)
    if info.record is not None and not isinstance(elem, Array):
        out = []
        walked = {p: (k, f) for p, k, f in _walk(info.record, "", [], ())}
        defn = _record(info.record, _Ctx(engine, not engine.abi.big_endian))
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise LayoutError(f"{path}[{i}]: give the element as {{member: value}}")
            node = _zero(defn)
            for p, v in item.items():
                if p not in walked:
                    raise LayoutError(f"{path}[{i}] has no member {p!r}")
                target = node
                for k in walked[p][0][:-1]:
                    target = target.setdefault(k, C.Container())
                target[walked[p][0][-1]] = _c_to_construct(walked[p][1], v, engine, f"{path}[{i}].{p}")
            _prune_unions(defn, node)
            out.append(node)
        return out
    if isinstance(elem, Array):
        return [_array_to_construct(elem, v, engine, path) if isinstance(v, list) else v for v in value]
    return value


def _zero(sub):
    sub = _unwrap(sub)
    if isinstance(sub, C.Struct):
        out = C.Container()
        for sc in sub.subcons:
            if sc.name and not isinstance(_unwrap(sc), C.Union):
                out[sc.name] = _zero(sc)
            elif sc.name:
                out[sc.name] = C.Container()
        return out
    if isinstance(sub, C.Union):
        return C.Container()
    if isinstance(sub, C.Array):
        return [_zero(sub.subcon) for _ in range(sub.count)]
    if isinstance(sub, C.Enum):
        return 0
    if isinstance(sub, (C.FormatField,)):
        return 0.0 if sub.fmtstr[-1] in "fd" else 0
    if isinstance(sub, C.Bytes):
        return bytes(sub.length)
    return 0


def _unwrap(sub):
    while isinstance(sub, (C.Renamed, C.Padded, C.Transformed, C.Restreamed)) or \
            type(sub).__name__ in ("ByteSwapped", "Bitwise"):
        sub = sub.subcon
    return sub


def _prune_unions(sub, value) -> None:
    """A union's container keeps the one variant given, filled with zeros
    where a variant's own members were not all given."""
    sub = _unwrap(sub)
    if isinstance(sub, C.Struct) and isinstance(value, dict):
        for sc in sub.subcons:
            if sc.name and sc.name in value:
                _prune_unions(sc, value[sc.name])
    elif isinstance(sub, C.Array) and isinstance(value, list):
        for item in value:
            _prune_unions(sub.subcon, item)
    elif isinstance(sub, C.Union) and isinstance(value, dict):
        given = [sc for sc in sub.subcons if sc.name in value]
        if len(given) > 1:
            names = ", ".join(sc.name for sc in given)
            raise LayoutError(f"values given for more than one variant of a union ({names}): "
                              f"build one, then overlay the other")
        for sc in given:
            filled = _zero(sc)
            if isinstance(filled, dict) and isinstance(value[sc.name], dict):
                _merge(filled, value[sc.name])
                value[sc.name] = filled
            _prune_unions(sc, value[sc.name])
        if not given and sub.subcons:
            first = sub.subcons[0]
            value[first.name] = _zero(first)
            _prune_unions(first, value[first.name])


def _merge(into: dict, given: dict) -> None:
    for k, v in given.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = v


def overlay(layout, data: bytes, values: Dict[str, Any]) -> bytes:
    """``data`` with the bits of the members in ``values`` replaced by
    those values (every other bit kept): a write through one union
    variant over bytes another variant also reads."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) < layout.size:
        raise LayoutError(f"overlay takes the {layout.size} bytes of {layout.kind} {layout.name}")
    out = bytearray(data[:layout.size])
    fresh = build(layout, values)
    for path in values:
        m = layout.get(path)
        if m is None:
            raise LayoutError(f"no member {path!r}")
        for i, mask in enumerate(m.mask):
            at = m.offset + i
            out[at] = (out[at] & ~mask & 0xFF) | (fresh[at] & mask)
    return bytes(out)


__all__ = ["definition", "parse", "build", "overlay"]


# ---------------------------------------------------------------- samples
def _int_range(size_bits: int, signed: bool) -> Tuple[int, int]:
    if signed:
        return -(1 << (size_bits - 1)), (1 << (size_bits - 1)) - 1
    return 0, (1 << size_bits) - 1


def sample_values(layout, seed: int) -> Dict[str, Any]:
    """Values for one variant of every union (the ``seed``-th, cycling) and
    every member of every struct: integers over their whole range,
    pointers, enumerators, bit-fields within their width, arrays of
    scalars.  Raw-byte types (``long double``) and arrays of records are
    left zero."""
    import random

    rnd = random.Random(seed)
    placed = layout.engine.placed_record(layout.record)
    out: Dict[str, Any] = {}
    _sample(placed, "", layout.engine, rnd, seed, out)
    return out


def _sample(placed, prefix: str, engine, rnd, seed: int, out: Dict[str, Any]) -> None:
    fields = [f for f in placed.fields
              if not (f.is_bitfield and (not f.bit_size or f.member.name is None))
              and (f.member.name is not None or f.is_anonymous_record)]
    if placed.kind == "union" and fields:
        fields = [fields[seed % len(fields)]]
    for f in fields:
        if f.member.name is None:
            _sample(f.type_info.record, prefix, engine, rnd, seed, out)
            continue
        path = prefix + f.member.name
        base = unqualified(f.member.type)
        if f.is_bitfield:
            lo, hi = _int_range(f.bit_size, _int_signed(base, engine))
            out[path] = rnd.randint(lo, hi)
            continue
        if f.type_info.record is not None and not isinstance(base, Array):
            _sample(f.type_info.record, path + ".", engine, rnd, seed, out)
            continue
        value = _sample_leaf(base, f.type_info.size_bytes or 0, engine, rnd)
        if value is not None:
            out[path] = value


def _sample_leaf(base, size: int, engine, rnd):
    if isinstance(base, Scalar):
        if base.kind == "_Bool":
            return rnd.randint(0, 1)
        if base.is_float:
            if base.kind in ("float", "double"):
                return rnd.randint(-64, 64) / 4
            return None
        lo, hi = _int_range(size * 8, _int_signed(base, engine))
        return rnd.randint(lo, hi)
    if isinstance(base, Pointer):
        return rnd.randint(0, (1 << (size * 8)) - 1) & ~7
    if isinstance(base, Enum):
        names = [(e.name, engine.enumerator_value(e)) for e in base.enumerators or []]
        return rnd.choice(names)[0] if names else None
    if isinstance(base, Array):
        elem = unqualified(base.elem)
        info = engine.layout(base.elem)
        if not info.size_bytes or info.record is not None or not size:
            return None
        count = size // info.size_bytes
        if count > 64:
            return None
        items = [_sample_leaf(elem, info.size_bytes, engine, rnd) for _ in range(count)]
        return None if any(v is None for v in items) else items
    return None


def c_initializer(layout, values: Dict[str, Any]) -> str:
    """A C designated initializer for ``values`` (what the GCC oracle
    compiles to check ``build``)."""
    ctype = f"{layout.kind} {layout.name}"
    items = []
    for path, value in values.items():
        m = layout.get(path)
        cast = "" if (m is not None and m.is_bitfield) else f"(__typeof__((({ctype} *)0)->{path}))"
        items.append(f".{path} = {_c_value(value, cast, ctype, path)}")
    return "{ " + ", ".join(items) + " }"


def _c_value(value, cast: str, ctype: str, path: str) -> str:
    if isinstance(value, list):
        inner = f"{path}[0]"
        elems = [_c_value(v, "" if isinstance(v, list) else f"(__typeof__((({ctype} *)0)->{inner}))",
                          ctype, inner) for v in value]
        return "{ " + ", ".join(elems) + " }"
    if isinstance(value, str):
        return value  # an enumerator
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        if not -(1 << 63) <= value < (1 << 64):  # __int128: two halves
            big = value & ((1 << 128) - 1)
            literal = (f"(((unsigned __int128){big >> 64:#x}ULL << 64) | "
                       f"(unsigned __int128){big & ((1 << 64) - 1):#x}ULL)")
            return f"{cast}{literal}" if cast else literal
        literal = f"{value}" if -(1 << 31) < value < (1 << 31) else f"{value:#x}ULL" if value >= 0 \
            else f"(-{-value:#x}LL)"
        if value == -(1 << 63):
            literal = "(-0x7fffffffffffffffLL - 1)"
        return f"{cast}{literal}" if cast else literal
    raise LayoutError(f"{path}: cannot write {value!r} in C")


__all__ += ["sample_values", "c_initializer"]


# ---------------------------------------------------------------- reading
def tail_words(ruleset) -> List[Tuple[str, str]]:
    """(rule name, word member) of each PageTail rule (``tail-bit``): the
    rules that read a value, bit 0 of that word."""
    if ruleset is None:
        return []
    return [(r.name, r.params["word"]) for r in ruleset.rules
            if r.kind == "tail-bit" and r.params.get("word")]


def word_value(layout, data: bytes, path: str) -> int:
    """The unsigned value of member ``path`` (a whole word) in ``data``."""
    m = layout.get(path)
    if m is None or m.is_bitfield:
        raise LayoutError(f"{layout.kind} {layout.name} has no word member {path!r}")
    order = "big" if layout.engine.abi.big_endian else "little"
    return int.from_bytes(data[m.offset:m.offset + m.size], order)


def is_pointer(layout, path: str) -> bool:
    m = layout.get(path)
    member = getattr(getattr(m, "field", None), "member", None)
    return member is not None and isinstance(unqualified(member.type), Pointer)


__all__ += ["tail_words", "word_value", "is_pointer"]


def _coerce(layout, path: str, text: str):
    """A --set value: an integer (0x.., -1), or an enumerator's name."""
    try:
        return int(text, 0)
    except ValueError:
        pass
    try:
        return float(text)  # 1e10, inf, nan
    except ValueError:
        return text  # an enumerator's name


def write_through(layout, writes: List[Tuple[str, str]], data: Optional[bytes] = None) -> bytes:
    """``data`` (zeros by default) after each write ``(path, value text)``
    in turn, each through its own member: what a store to that member does
    to the bytes every other member reads."""
    out = bytes(layout.size) if data is None else bytes(data)
    for path, text in writes:
        value = _coerce(layout, path, text)
        m = layout.get(path)
        if m is None:
            from .layouts import did_you_mean

            raise LayoutError(f"--set {path}={text}: {layout.kind} {layout.name} has no member "
                              f"{path!r}{did_you_mean(path, [x.path for x in layout.members])}")
        try:
            out = overlay(layout, out, {path: value})
        except (C.ConstructError, ValueError, TypeError, LayoutError) as exc:
            bits = m.bit_size if m.is_bitfield else m.size * 8
            why = str(exc).splitlines()[-1].split(": ", 1)[-1] if isinstance(exc, LayoutError) \
                else str(exc).splitlines()[-1]
            raise LayoutError(f"--set {path}={text}: does not fit {path} ({m.type}, {bits} bits) "
                              f"on {layout.abi}: {why}") from None
    return out


def changed_members(layout, before: bytes, after: bytes, written: List[str]) -> List[Tuple[str, Any, Any]]:
    """(path, old, new) of each member whose value the writes changed,
    besides the written members, their parts and what holds them."""
    old, new = parse(layout, before), parse(layout, after)
    out = []
    for path, value in new.items():
        if any(path == w or path.startswith(w + ".") or w.startswith(path + ".") for w in written):
            continue
        if old.get(path) != value:
            out.append((path, old.get(path), value))
    return out


__all__ += ["write_through", "changed_members"]
