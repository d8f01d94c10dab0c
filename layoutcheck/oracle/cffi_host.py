"""The cffi oracle: the host ABI's answers from a module cffi compiled.

The declarations are compiled through cffi in API mode: ``set_source``
gets the type declarations of the preprocessed text the engine read (its
typedefs, struct, union and enum definitions and ``#pragma pack``; never
its functions, objects or ``asm``: see ``declonly``),
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

The module is loaded into this process, so before loading it is checked
once more: no ``ifunc`` symbol, and no more constructors, destructors or
``.init_array``/``.fini_array`` entries than a module built from no
declarations at all.  A module that fails the check is never loaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from ..abi import get_abi
from ..errors import LayoutError, first_error_line
from ..layouts import Layout
from ..model import Scalar, unqualified
from .declonly import type_declarations
from .gcc import Mismatch, OracleLayout, OracleMember, _image_to_member, compare

_COMPILE_ARGS = ["-w", "-Wno-packed-bitfield-compat", "-std=gnu11"]

# Sections whose entries the dynamic loader runs when a module is loaded
# (or unloaded).
_RUN_SECTIONS = (".preinit_array", ".init_array", ".ctors", ".fini_array", ".dtors", ".init", ".fini")


def _run_on_load(so_path: str) -> Tuple[Dict[str, int], List[str]]:
    """The sizes of the sections the loader runs, and any ifunc symbols."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    with open(so_path, "rb") as fh:
        elf = ELFFile(fh)
        sizes = {}
        for name in _RUN_SECTIONS:
            sec = elf.get_section_by_name(name)
            sizes[name] = sec["sh_size"] if sec is not None else 0
        ifuncs = []
        for sec in elf.iter_sections():
            if isinstance(sec, SymbolTableSection):
                for sym in sec.iter_symbols():
                    if sym["st_info"]["type"] == "STT_LOOS":  # STT_GNU_IFUNC
                        ifuncs.append(sym.name)
    return sizes, ifuncs


@lru_cache(maxsize=1)
def _baseline_run_on_load() -> Dict[str, int]:
    """What a module with no declarations of the input runs on load."""
    import cffi

    workdir = tempfile.mkdtemp(prefix="layoutcheck-cffi-base-")
    try:
        ffi = cffi.FFI()
        ffi.cdef("int __lc_base(void);")
        ffi.set_source("_layoutcheck_oracle_baseline",
                       "int __lc_base(void) { return 0; }\n", extra_compile_args=_COMPILE_ARGS)
        return _run_on_load(ffi.compile(tmpdir=workdir, verbose=False))[0]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# Symbol types and sections that would mean the declarations define code
# or data (types alone define neither).
_DEFINING_SYMBOLS = ("STT_FUNC", "STT_OBJECT", "STT_COMMON", "STT_TLS", "STT_LOOS")
_DEFINING_SECTIONS = (".text", ".data", ".bss", ".rodata", ".tdata", ".tbss") + _RUN_SECTIONS


def check_declarations_define_nothing(declarations: str, workdir: str) -> None:
    """Refuse declarations that GCC itself reads as defining a function or
    an object.  ``declonly`` keeps only what its own tokenizer takes for
    type declarations; GCC's lexer (raw strings, digraphs, line splices)
    is the one that decides, so the kept text is compiled alone first, at
    -O0 with static and inline functions kept, and its object must hold no
    function, no object and no code or data section."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    from ..cfront.preprocess import _run_tool

    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise LayoutError("cffi oracle: no C compiler to check the declarations with")
    src = os.path.join(workdir, "declarations.c")
    obj = os.path.join(workdir, "declarations.o")
    with open(src, "w") as fh:
        fh.write(declarations)
    proc = _run_tool([cc, "-c", "-O0", "-w", "-std=gnu11", "-fkeep-static-functions",
                      "-fkeep-inline-functions", "-x", "c", "-o", obj, src],
                     text=True, errors="replace")
    if proc.returncode != 0:
        raise LayoutError(f"cffi oracle: the host compiler rejected the declarations: "
                          f"{first_error_line(proc.stderr)}")
    with open(obj, "rb") as fh:
        elf = ELFFile(fh)
        defined = []
        for sec in elf.iter_sections():
            if isinstance(sec, SymbolTableSection):
                defined += [f"{sym['st_info']['type']} {sym.name}" for sym in sec.iter_symbols()
                            if sym["st_info"]["type"] in _DEFINING_SYMBOLS]
            elif sec["sh_size"] and (sec.name.startswith(_DEFINING_SECTIONS)
                                     or sec["sh_flags"] & 0x4):  # SHF_EXECINSTR
                defined.append(f"section {sec.name}")
    if defined:
        raise LayoutError("cffi oracle: refusing the header: what it declares as types, GCC "
                          "reads as defining code or data (" + ", ".join(defined[:5]) + ")")


def check_loadable(so_path: str) -> None:
    """Refuse a module that would run anything beyond what every cffi
    module runs when loaded."""
    sizes, ifuncs = _run_on_load(so_path)
    if ifuncs:
        raise LayoutError(f"cffi oracle: refusing to load a module with ifunc symbols "
                          f"({', '.join(sorted(ifuncs)[:5])})")
    base = _baseline_run_on_load()
    grown = [f"{name} {base[name]} -> {sizes[name]} bytes" for name in _RUN_SECTIONS
             if sizes[name] > base[name]]
    if grown:
        raise LayoutError("cffi oracle: refusing to load a module that would run code on "
                          "load (" + "; ".join(grown) + ")")


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


def _build(text: str, layouts: Sequence[Layout], workdir: str, isolated: bool):
    """Compile and load the oracle module.

    Normally the declarations follow cffi's ``Python.h`` in one translation
    unit and ``cdef`` declares each struct, so that ``ffi.sizeof``,
    ``ffi.alignof`` and ``ffi.offsetof`` answer too.  A header that collides
    with what ``Python.h`` includes (its own ``struct stat``, say) is built
    ``isolated``: declarations and helpers in a translation unit of their
    own, linked into the module, asked through the helpers only."""
    import cffi

    ffi = cffi.FFI()
    cdef: List[str] = []
    helpers: List[str] = []
    for i, lay in enumerate(layouts):
        typedef_name = getattr(lay, "typedef_name", None)
        cname = typedef_name or f"{lay.kind} {lay.name}"
        if not isolated:
            fields = "".join(f"{t} {name}; " for t, name in cffi_fields(lay))
            cdef.append(f"typedef {lay.kind} {{ {fields}...; }} {typedef_name};" if typedef_name
                        else f"{cname} {{ {fields}...; }};")
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
    declarations = (type_declarations(text) + "\n/* layoutcheck cffi oracle */\n"
                    + "\n".join(helpers) + "\n")
    check_declarations_define_nothing(type_declarations(text), workdir)
    digest = hashlib.sha1(f"{isolated}\n{declarations}".encode()).hexdigest()[:16]
    modname = f"_layoutcheck_oracle_{digest}"
    if isolated:
        unit = os.path.join(workdir, f"{modname}_decls.c")
        with open(unit, "w") as fh:
            fh.write(declarations)
        ffi.set_source(modname, "\n".join(cdef) + "\n", sources=[unit],
                       extra_compile_args=_COMPILE_ARGS)
    else:
        ffi.set_source(modname, declarations, extra_compile_args=_COMPILE_ARGS)
    so_path = _compile_quietly(ffi, workdir)
    check_loadable(so_path)
    spec = importlib.util.spec_from_file_location(modname, so_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _compile_quietly(ffi, workdir: str) -> str:
    """``ffi.compile`` with the compiler's diagnostics captured: a failure
    is a LayoutError carrying the first error line."""
    import cffi

    saved = os.dup(2)
    log_path = os.path.join(workdir, "compile.log")
    try:
        with open(log_path, "w") as log:
            os.dup2(log.fileno(), 2)
            try:
                return ffi.compile(tmpdir=workdir, verbose=False)
            except (cffi.VerificationError, cffi.CDefError) as exc:
                failure = exc
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)
    with open(log_path, errors="replace") as log:
        first = first_error_line(log.read(), str(failure))
    raise LayoutError(f"cffi oracle: the host compiler rejected the declarations: {first}")


def ask_cffi(text: str, layouts: Sequence[Layout]) -> Tuple[List[OracleLayout], bool]:
    """Build the module and read every answer back from it; also whether
    it had to be built isolated from ``Python.h`` (no ``ffi.offsetof``)."""
    workdir = tempfile.mkdtemp(prefix="layoutcheck-cffi-")
    try:
        try:
            module, isolated = _build(text, layouts, workdir, isolated=False), False
        except LayoutError:
            module, isolated = _build(text, layouts, workdir, isolated=True), True
        ffi, lib = module.ffi, module.lib
        results = []
        for i, lay in enumerate(layouts):
            cname = getattr(lay, "typedef_name", None) or f"{lay.kind} {lay.name}"
            plain = [m for m in lay.members if not m.is_bitfield]
            out = ffi.new("unsigned long long[]", 2 + 2 * len(plain))
            getattr(lib, f"__lc_info{i}")(out)
            res = OracleLayout(lay.kind, lay.name, out[0], out[1])
            # Both routes to the size/alignment must agree.
            if not isolated and (ffi.sizeof(cname), ffi.alignof(cname)) != (res.size, res.align):
                res.size, res.align = -1, -1
            for k, m in enumerate(plain):
                off, size = out[2 + 2 * k], out[3 + 2 * k]
                res.members[m.path] = OracleMember(m.path, off, size, b"\xff" * size)
            # Members cffi knows by type: their offsets through ffi.offsetof,
            # which must agree with the compiled offsetof.
            if not isolated:
                for _t, name in cffi_fields(lay):
                    via_ffi = ffi.offsetof(cname, name)
                    if via_ffi != res.members[name].offset:
                        res.members[name].offset = -1
            for j, m in enumerate(lay.members):
                if not m.is_bitfield:
                    continue
                # The compiled sizeof, not the engine's: the helper writes
                # that many bytes.
                buf = ffi.new("unsigned char[]", max(int(out[0]), 1))
                getattr(lib, f"__lc_bits{i}_{j}")(buf)
                res.members[m.path] = _image_to_member(m.path, bytes(ffi.buffer(buf, int(out[0]))))
            results.append(res)
        return results, isolated
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class CffiReport:
    items: int = 0
    structs: int = 0
    mismatches: List[Mismatch] = field(default_factory=list)
    isolated: bool = False  # built apart from Python.h: no ffi.offsetof route


def verify_host(prog, structs: Optional[Sequence[str]] = None) -> CffiReport:
    """Compare the engine with the cffi-compiled module for the host ABI."""
    host = get_abi("host")
    group = next(g for g in prog.groups if any(a.name == host.name for a in g.abis))
    layouts = prog.layouts(structs, [host])
    if not layouts:
        return CffiReport()
    answers, isolated = ask_cffi(group.text, layouts)
    items = 0
    bad: List[Mismatch] = []
    for lay, orc in zip(layouts, answers, strict=True):
        n, mm = compare(lay, orc)
        items += n
        for m in mm:
            m.abi = f"{m.abi} (cffi)"
        bad.extend(mm)
    return CffiReport(items, len(layouts), bad, isolated)
