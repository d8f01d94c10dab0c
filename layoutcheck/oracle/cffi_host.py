"""The cffi oracle: the host ABI's answers from a module cffi compiled.

The declarations are compiled through cffi in API mode: ``set_source``
gets the real declarations (the same preprocessed text the engine read),
``cdef`` declares each struct as ``struct tag { T member; ...; };``, naming
the members whose types cffi can spell (scalars, pointers as ``void *``),
so that cffi asks the compiler for the size, the alignment and those
members' offsets (``ffi.offsetof``); small C functions, compiled
into the same module, that report ``offsetof``/``sizeof`` of every member
and fill byte images with one bitfield set to all ones.  Everything read
back (``ffi.sizeof``, ``ffi.alignof``, the functions' output) comes from the
host compiler through the compiled module.

cffi can only load a module built for the running interpreter, so this
oracle speaks for the host ABI alone; the GCC oracle covers the others.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import tempfile
from typing import List, Optional, Sequence, Tuple

from ..abi import get_abi
from ..layouts import Layout
from ..model import Scalar, unqualified
from .gcc import Mismatch, OracleLayout, OracleMember, _image_to_member, compare


_CFFI_SCALARS = {"char", "short", "int", "long", "long long", "float", "double", "long double"}


def _cffi_field_type(member) -> Optional[str]:
    """A type cffi's cdef parser accepts for a member, or None to leave the
    member out of the cdef (it is still asked through the helpers)."""
    from ..model import Pointer

    t = unqualified(member.field.member.type)
    if isinstance(t, Pointer):
        return "void *"
    if isinstance(t, Scalar) and t.kind in _CFFI_SCALARS:
        if t.kind == "char":
            return {None: "char", True: "signed char", False: "unsigned char"}[t.signed]
        if t.is_float:
            return t.kind
        return t.kind if t.signed else f"unsigned {t.kind}"
    if isinstance(t, Scalar) and t.kind == "_Bool":
        return "_Bool"
    return None


def cffi_fields(lay: Layout) -> List[Tuple[str, str]]:
    """(type, name) of the members declared to cffi, so ffi.offsetof works."""
    out = []
    for m in lay.members:
        if "." in m.path or m.is_bitfield or m.flexible:
            continue
        t = _cffi_field_type(m)
        if t is not None:
            out.append((t, m.path))
    return out


def _build(text: str, layouts: Sequence[Layout], workdir: str):
    import cffi

    ffi = cffi.FFI()
    cdef: List[str] = []
    helpers: List[str] = []
    for i, lay in enumerate(layouts):
        cname = f"{lay.kind} {lay.name}"
        fields = "".join(f"{t} {name}; " for t, name in cffi_fields(lay))
        cdef.append(f"{cname} {{ {fields}...; }};")
        plain = [m for m in lay.members if not m.is_bitfield]
        body = [f"out[0] = sizeof({cname});", f"out[1] = _Alignof({cname});"]
        for k, m in enumerate(plain):
            body.append(f"out[{2 + 2 * k}] = __builtin_offsetof({cname}, {m.path});")
            size = "0" if m.flexible else f"sizeof((({cname} *)0)->{m.path})"
            body.append(f"out[{3 + 2 * k}] = {size};")
        helpers.append(f"void __lc_info{i}(unsigned long long *out) {{ {' '.join(body)} }}")
        cdef.append(f"void __lc_info{i}(unsigned long long *out);")
        for j, m in enumerate(lay.members):
            if not m.is_bitfield:
                continue
            mtype = unqualified(m.field.member.type)
            value = "1" if isinstance(mtype, Scalar) and mtype.kind == "_Bool" else "-1"
            helpers.append(
                f"void __lc_bits{i}_{j}(unsigned char *out) {{ {cname} s; "
                f"__builtin_memset(&s, 0, sizeof s); s.{m.path} = {value}; "
                f"__builtin_memcpy(out, &s, sizeof s); }}")
            cdef.append(f"void __lc_bits{i}_{j}(unsigned char *out);")
    ffi.cdef("\n".join(cdef))
    source = text + "\n/* layoutcheck cffi oracle */\n" + "\n".join(helpers) + "\n"
    digest = hashlib.sha1(source.encode()).hexdigest()[:16]
    modname = f"_layoutcheck_oracle_{digest}"
    ffi.set_source(modname, source, extra_compile_args=["-w", "-Wno-packed-bitfield-compat", "-std=gnu11"])
    so_path = ffi.compile(tmpdir=workdir, verbose=False)
    spec = importlib.util.spec_from_file_location(modname, so_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ask_cffi(text: str, layouts: Sequence[Layout]) -> List[OracleLayout]:
    """Build the module and read every answer back from it."""
    workdir = tempfile.mkdtemp(prefix="layoutcheck-cffi-")
    try:
        module = _build(text, layouts, workdir)
        ffi, lib = module.ffi, module.lib
        results = []
        for i, lay in enumerate(layouts):
            cname = f"{lay.kind} {lay.name}"
            res = OracleLayout(lay.kind, lay.name, ffi.sizeof(cname), ffi.alignof(cname))
            plain = [m for m in lay.members if not m.is_bitfield]
            out = ffi.new("unsigned long long[]", 2 + 2 * len(plain))
            getattr(lib, f"__lc_info{i}")(out)
            # Both routes to the size/alignment must agree.
            if (out[0], out[1]) != (res.size, res.align):
                res.size, res.align = -1, -1
            for k, m in enumerate(plain):
                off, size = out[2 + 2 * k], out[3 + 2 * k]
                res.members[m.path] = OracleMember(m.path, off, size, b"\xff" * size)
            # Members cffi knows by type: their offsets through ffi.offsetof,
            # which must agree with the compiled offsetof.
            for _t, name in cffi_fields(lay):
                via_ffi = ffi.offsetof(cname, name)
                if via_ffi != res.members[name].offset:
                    res.members[name].offset = -1
            res.ffi_offsets = len(cffi_fields(lay))
            for j, m in enumerate(lay.members):
                if not m.is_bitfield:
                    continue
                buf = ffi.new("unsigned char[]", max(lay.size, 1))
                getattr(lib, f"__lc_bits{i}_{j}")(buf)
                res.members[m.path] = _image_to_member(m.path, bytes(ffi.buffer(buf, lay.size)))
            results.append(res)
        return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def verify_host(prog, structs: Optional[Sequence[str]] = None) -> Tuple[int, int, List[Mismatch]]:
    """Compare the engine with the cffi-compiled module for the host ABI."""
    host = get_abi("host")
    group = next(g for g in prog.groups if any(a.name == host.name for a in g.abis))
    layouts = prog.layouts(structs, [host])
    if not layouts:
        return 0, 0, []
    answers = ask_cffi(group.text, layouts)
    items = 0
    bad: List[Mismatch] = []
    for lay, orc in zip(layouts, answers):
        n, mm = compare(lay, orc)
        items += n
        for m in mm:
            m.abi = f"{m.abi} (cffi)"
        bad.extend(mm)
    return items, len(layouts), bad
