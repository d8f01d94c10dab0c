"""The GCC oracle: ask the real compiler of an ABI where every member is.

The original header (never layoutcheck's preprocessed text) is compiled,
compile-only and with no C library, by the ABI's GCC from CONTRACT.md,
with the flags layoutcheck preprocessed it with for that ABI (search path,
freestanding, -D/-U/-I; ``preprocess.compile_flags``) but the compiler's
own predefined macros, followed by generated data:

* per struct, an array of ``unsigned long long``: sizeof, _Alignof, then for
  each member ``offsetof`` and ``sizeof``;
* per bitfield, a byte image: a union of the struct with a byte array,
  initialised with that bitfield set to all ones.  The image's non-zero bits
  are the bitfield's bits in memory, endianness included.

The object file is read back with pyelftools (``objfile``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from ..abi import ABI
from ..cfront.preprocess import PPConfig, compile_flags
from ..errors import LayoutError, first_error_line
from ..layouts import Layout
from ..safety import check_include_path
from ..model import Scalar, is_va_list, unqualified
from .objfile import ObjectFile


class OracleMissing(Exception):
    """The oracle compiler for an ABI is not installed."""

    def __init__(self, abi: ABI):
        self.abi = abi
        super().__init__(
            f"{abi.name}: oracle compiler '{abi.oracle[0]}' not found; "
            f"install it with: apt-get install --no-install-recommends {abi.package}")


@dataclass
class OracleMember:
    path: str
    offset: int
    size: int
    mask: bytes


@dataclass
class OracleLayout:
    kind: str
    name: str
    size: int
    align: int
    members: Dict[str, OracleMember] = field(default_factory=dict)
    # every member path GCC's debug information lists for the struct (a
    # tagged one), or None where it was not read: a member the engine
    # dropped (a lost declarator, in padding) would leave every question
    # about the others answered alike
    dwarf_paths: Optional[List[str]] = None


@dataclass
class OracleSource:
    """What the oracle compiles: the header as the user gave it (a path,
    or C text) and the options it was read with."""

    path: Optional[str] = None
    text: Optional[str] = None
    config: PPConfig = field(default_factory=PPConfig)
    abi_defines: Dict[str, Dict[str, str]] = field(default_factory=dict)

    def flags(self, abi: ABI) -> List[str]:
        return compile_flags(abi, self.config, self.abi_defines.get(abi.name, {}))


def compiler_available(abi: ABI) -> bool:
    return shutil.which(abi.oracle[0]) is not None


def _c_name(lay: Layout) -> str:
    return getattr(lay, "typedef_name", None) or f"{lay.kind} {lay.name}"


def _bitfield_value(lay: Layout, m) -> str:
    mtype = unqualified(m.field.member.type)
    if isinstance(mtype, Scalar) and mtype.kind == "_Bool":
        return "1"
    return "-1"


def build_source(prelude: str, layouts: Sequence[Layout]) -> Tuple[str, Dict[str, tuple]]:
    """The oracle translation unit (``prelude``, normally an ``#include`` of
    the header, then the questions) and a map symbol -> what it answers.

    The questions name members as the engine saw them, after macro
    expansion; the header's macros are still defined after its #include
    (glibc defines ``__elision`` as ``__elision_data.__elision``), so every
    identifier the questions use is #undef'd before them."""
    questions, answers = _questions(layouts)
    text = "".join(questions)
    names = sorted(set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)) - {"defined"})
    undefs = "".join(f"#undef {n}\n" for n in names)
    return prelude + "\n/* layoutcheck oracle questions */\n" + undefs + text, answers


def _questions(layouts: Sequence[Layout]) -> Tuple[List[str], Dict[str, tuple]]:
    out: List[str] = []
    answers: Dict[str, tuple] = {}
    for i, lay in enumerate(layouts):
        cname = _c_name(lay)
        out.append(f"typedef {cname} __lc_T{i};\n")
        items = [f"sizeof(__lc_T{i})", f"_Alignof(__lc_T{i})"]
        plain = []
        for m in lay.members:
            if m.is_bitfield:
                continue
            items.append(f"__builtin_offsetof(__lc_T{i}, {m.path})")
            if m.flexible:
                items.append("0")
            else:
                items.append(f"sizeof(((__lc_T{i} *)0)->{m.path})")
            plain.append(m.path)
        out.append(f"const unsigned long long __lc_i{i}[] = {{ {', '.join(items)} }};\n")
        answers[f"__lc_i{i}"] = ("info", i, plain)
        for j, m in enumerate(lay.members):
            if not m.is_bitfield:
                continue
            value = _bitfield_value(lay, m)
            sym = f"__lc_b{i}_{j}"
            out.append(
                f"const union {{ __lc_T{i} s; unsigned char b[sizeof(__lc_T{i})]; }} "
                f"{sym} = {{ .s.{m.path} = {value} }};\n")
            answers[sym] = ("bits", i, m.path)
    return out, answers


def _image_to_member(path: str, image: bytes) -> OracleMember:
    nz = [i for i, b in enumerate(image) if b]
    if not nz:
        return OracleMember(path, 0, 0, b"")
    first, last = nz[0], nz[-1]
    return OracleMember(path, first, last - first + 1, bytes(image[first:last + 1]))


def _compile_and_read(cmd: List[str], label: str, abi: ABI, src: OracleSource,
                      layouts: Sequence[Layout], workdir: Optional[str]) -> List[OracleLayout]:
    source_answers: Dict[str, tuple] = {}

    def questions(prelude: str) -> str:
        source, answers = build_source(prelude, layouts)
        source_answers.update(answers)
        return source

    debug = cmd == list(abi.oracle)  # the ABI's GCC: its DWARF lists the members too
    records: Dict = {}
    of = _compile_object(cmd, label, abi, src, questions, workdir, records if debug else None)
    results = _answers(of, layouts, source_answers)
    if debug:
        for lay, res in zip(layouts, results, strict=True):
            found = records.get((lay.kind, lay.record.tag)) if lay.record.tag else None
            if found is not None:
                res.dwarf_paths = list(found["members"])
    return results


def ask_gcc_values(abi: ABI, src: OracleSource, questions_c: str,
                   workdir: Optional[str] = None) -> ObjectFile:
    """Compile the header of ``src`` followed by ``questions_c`` (which may
    use the header's macros: nothing is #undef'd) with the ABI's GCC, and
    return the object, whose ``u64_array`` reads the answers."""
    if not compiler_available(abi):
        raise OracleMissing(abi)
    return _compile_object(list(abi.oracle), abi.name, abi, src,
                           lambda prelude: prelude + "\n" + questions_c, workdir)


def ask_gcc_image(abi: ABI, src: OracleSource, lay: Layout, initializer: str,
                  workdir: Optional[str] = None) -> bytes:
    """The bytes GCC writes for ``const <struct> x = <initializer>;`` on
    ``abi``."""
    of = ask_gcc_values(abi, src, f"const {_c_name(lay)} __lc_image = {initializer};\n", workdir)
    return of.symbol("__lc_image")


def _compile_object(cmd: List[str], label: str, abi: ABI, src: OracleSource, make_source,
                    workdir: Optional[str], records: Optional[Dict] = None) -> ObjectFile:
    """The object GCC makes of the header and ``make_source``'s questions;
    with ``records``, compiled with debug information too, whose structs
    (``dwarf.dwarf_records``) are put there."""
    from ..cfront.preprocess import _run_tool

    own = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="layoutcheck-")
    try:
        flags = src.flags(abi)
        if src.path is not None:
            header = os.path.abspath(src.path)
        else:
            header = os.path.join(workdir, f"input-{label}.h")
            with open(header, "w") as fh:
                fh.write(src.text or "")
            # C text is read as if from standard input in the working
            # directory: its "..." includes are found there.
            flags += ["-iquote", os.getcwd()]
        check_include_path(header, "oracle")
        source = make_source(f'#include "{header}"\n')
        csrc = os.path.join(workdir, f"oracle-{label}.c")
        obj = os.path.join(workdir, f"oracle-{label}.o")
        with open(csrc, "w") as fh:
            fh.write(source)
        # (no -std: the header is read in GCC's own default, gnu17, as the
        # preprocessor road reads it; __STDC_VERSION__ must agree)
        debug = ["-g", "-fno-eliminate-unused-debug-types"] if records is not None else []
        proc = _run_tool(cmd + flags + debug + ["-c", "-w", "-O0", "-fno-common", "-x", "c",
                                                "-o", obj, csrc],
                         text=True, errors="replace")
        if proc.returncode != 0:
            raise LayoutError(f"{label}: the oracle compiler rejected the input: "
                              f"{first_error_line(proc.stderr)}")
        if records is not None:
            from .dwarf import dwarf_records

            records.update(dwarf_records(obj))
        return ObjectFile.from_path(obj)
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


def _answers(of: ObjectFile, layouts: Sequence[Layout], answers: Dict[str, tuple]) -> List[OracleLayout]:
    results = [OracleLayout(lay.kind, lay.name, 0, 0) for lay in layouts]
    for sym, what in answers.items():
        if what[0] == "info":
            _, i, plain = what
            vals = of.u64_array(sym)
            res = results[i]
            res.size, res.align = vals[0], vals[1]
            for k, path in enumerate(plain):
                off, size = vals[2 + 2 * k], vals[3 + 2 * k]
                res.members[path] = OracleMember(path, off, size, b"\xff" * size)
        else:
            _, i, path = what
            results[i].members[path] = _image_to_member(path, of.symbol(sym))
    return results


def ask_gcc(abi: ABI, src: OracleSource, layouts: Sequence[Layout],
            workdir: Optional[str] = None) -> List[OracleLayout]:
    """Compile the header of ``src`` plus questions about ``layouts`` with
    the ABI's GCC."""
    if not compiler_available(abi):
        raise OracleMissing(abi)
    return _compile_and_read(list(abi.oracle), abi.name, abi, src, layouts, workdir)


def clang_command() -> Optional[str]:
    for name in ("clang", "clang-16", "clang-15", "clang-14"):
        if shutil.which(name):
            return name
    return None


def ask_clang(abi: ABI, src: OracleSource, layouts: Sequence[Layout],
              workdir: Optional[str] = None) -> Optional[List[OracleLayout]]:
    """The same questions to clang, a second opinion (None if unavailable)."""
    clang = clang_command()
    if clang is None or not abi.clang_target:
        return None
    try:
        return _compile_and_read([clang, f"--target={abi.clang_target}"],
                                 f"clang-{abi.name}", abi, src, layouts, workdir)
    except LayoutError:
        return None


@dataclass
class Mismatch:
    abi: str
    struct: str
    what: str  # "size", "align", or a member path
    engine: object
    oracle: object

    def __str__(self) -> str:
        return f"{self.abi}: {self.struct}: {self.what}: layoutcheck {self.engine} != gcc {self.oracle}"


def compare(lay: Layout, orc: OracleLayout) -> Tuple[int, List[Mismatch]]:
    """Items compared and mismatches between an engine layout and GCC's."""
    name = f"{lay.kind} {lay.name}"
    out: List[Mismatch] = []
    items = 2
    if lay.size != orc.size:
        out.append(Mismatch(lay.abi, name, "size", lay.size, orc.size))
    if lay.align != orc.align:
        out.append(Mismatch(lay.abi, name, "align", lay.align, orc.align))
    if orc.dwarf_paths is not None:
        items += 1  # the member list
        mine = {m.path for m in lay.members}
        # va_list is one opaque member to the engine; GCC describes the
        # struct it is on aarch64, arm, sh4 and alpha, members and all
        opaque = tuple(m.path + "." for m in lay.members
                       if is_va_list(unqualified(m.field.member.type)))
        for path in orc.dwarf_paths:
            if path not in mine and not (opaque and path.startswith(opaque)):
                out.append(Mismatch(lay.abi, name, path, "missing", "present"))
    for m in lay.members:
        o = orc.members.get(m.path)
        items += 1
        if o is None:
            out.append(Mismatch(lay.abi, name, m.path, "present", "missing"))
            continue
        mine = (m.offset, m.size, m.mask.hex())
        theirs = (o.offset, o.size, o.mask.hex())
        if m.size == 0 and o.size == 0:
            mine, theirs = (m.offset, 0, ""), (o.offset if not m.is_bitfield else m.offset, 0, "")
        if mine != theirs:
            out.append(Mismatch(lay.abi, name, m.path,
                                f"offset {mine[0]} size {mine[1]} mask {mine[2]}",
                                f"offset {theirs[0]} size {theirs[1]} mask {theirs[2]}"))
    return items, out
