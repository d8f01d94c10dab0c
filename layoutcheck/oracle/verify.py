"""Hold the engine to the compilers: lay out, ask GCC (and cffi), compare.

``verify_program`` has every ABI's GCC compile the Program's original
header (with the options it was read with, but each compiler's own
preprocessing, so a text wrongly shared between ABIs shows up as a
mismatch) and compares size, alignment and each member's offset,
size and bit mask.  The host ABI is also asked through cffi when
``with_cffi`` is set.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from ..abi import ABI, get_abi
from ..api import Program
from ..errors import LayoutError
from .gcc import Mismatch, ask_clang, ask_gcc, compare, compiler_available


@dataclass
class VerifyReport:
    items: Dict[str, int] = field(default_factory=dict)  # per ABI
    structs: Dict[str, int] = field(default_factory=dict)  # per ABI
    mismatches: List[Mismatch] = field(default_factory=list)
    missing: List[ABI] = field(default_factory=list)
    cffi_items: int = 0
    cffi_structs: int = 0
    # some header collided with Python.h: its module was built apart, and
    # asked through compiled helpers only (no ffi.offsetof)
    cffi_isolated: bool = False
    # clang's differences from GCC (GCC is the oracle); per ABI, None when
    # clang had no opinion (not installed, or no such target)
    clang: Dict[str, Optional[int]] = field(default_factory=dict)
    clang_differences: List[Mismatch] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)  # e.g. a rules file not read

    def to_json(self, abis: Sequence[ABI], with_cffi: bool = True) -> dict:
        """The report as plain data (``verify --format json``)."""
        def row(m: Mismatch) -> dict:
            return {"abi": m.abi, "struct": m.struct, "what": m.what,
                    "layoutcheck": str(m.engine), "oracle": str(m.oracle)}

        return {
            "abis": {a.name: {"structs": self.structs.get(a.name, 0),
                              "items": self.items.get(a.name, 0),
                              "clang_differences": self.clang.get(a.name)} for a in abis},
            "cffi": {"structs": self.cffi_structs, "items": self.cffi_items,
                     "isolated": self.cffi_isolated} if with_cffi else None,
            "items": self.total_items,
            "mismatches": [row(m) for m in self.mismatches],
            "clang_differences": [row(m) for m in self.clang_differences],
        }

    @property
    def total_items(self) -> int:
        return sum(self.items.values()) + self.cffi_items

    @property
    def total_structs(self) -> int:
        return sum(self.structs.values())

    def merge(self, other: "VerifyReport") -> None:
        for k, v in other.items.items():
            self.items[k] = self.items.get(k, 0) + v
        for k, v in other.structs.items():
            self.structs[k] = self.structs.get(k, 0) + v
        self.mismatches.extend(other.mismatches)
        for abi in other.missing:
            if abi not in self.missing:
                self.missing.append(abi)
        self.cffi_items += other.cffi_items
        self.cffi_structs += other.cffi_structs
        self.cffi_isolated = self.cffi_isolated or other.cffi_isolated
        for k, v in other.clang.items():
            if v is None:
                self.clang.setdefault(k, None)
            else:
                self.clang[k] = (self.clang.get(k) or 0) + v
        self.clang_differences.extend(other.clang_differences)
        self.notes.extend(other.notes)


def default_jobs() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def verify_program(prog: Program, structs: Optional[Sequence[str]] = None,
                   with_cffi: bool = False, jobs: Optional[int] = None,
                   with_clang: bool = False) -> VerifyReport:
    """Compare every layout of ``prog`` with its ABI's GCC (compiles run in
    ``jobs`` threads; the layouts themselves are computed first)."""
    report = VerifyReport()
    src = prog.oracle_source()
    work = []
    for group in prog.groups:
        for abi in group.abis:
            if not compiler_available(abi):
                if abi not in report.missing:
                    report.missing.append(abi)
                continue
            layouts = prog.layouts(structs, [abi])
            if layouts:
                work.append((abi, group.text, layouts))
    with ThreadPoolExecutor(max_workers=jobs or default_jobs()) as pool:
        futures = [pool.submit(ask_gcc, abi, src, layouts) for abi, _text, layouts in work]
        clang_futures = [pool.submit(ask_clang, abi, src, layouts) if with_clang else None
                         for abi, _text, layouts in work]
        for (abi, _text, layouts), fut, cfut in zip(work, futures, clang_futures, strict=True):
            for lay, orc in zip(layouts, fut.result(), strict=True):
                n, bad = compare(lay, orc)
                report.items[abi.name] = report.items.get(abi.name, 0) + n
                report.structs[abi.name] = report.structs.get(abi.name, 0) + 1
                report.mismatches.extend(bad)
            answers = cfut.result() if cfut is not None else None
            if answers is None:
                report.clang.setdefault(abi.name, None)
                continue
            count = report.clang.get(abi.name) or 0
            for lay, orc in zip(layouts, answers, strict=True):
                _, bad = compare(lay, orc)
                count += len(bad)
                report.clang_differences.extend(bad)
            report.clang[abi.name] = count
    if with_cffi:
        from .cffi_host import verify_host

        host = get_abi("host")
        if any(a.name == host.name for a in prog.abis):
            cffi = verify_host(prog, structs)
            report.cffi_items += cffi.items
            report.cffi_structs += cffi.structs
            report.cffi_isolated = report.cffi_isolated or cffi.isolated
            report.mismatches.extend(cffi.mismatches)
    return report


def verify(paths, structs: Optional[Sequence[str]] = None, options=None,
           with_cffi: bool = True, with_clang: bool = False,
           jobs: Optional[int] = None) -> VerifyReport:
    """Every header of ``paths`` (a path or a list), read under ``options``
    (``options.Options``, default: all ABIs, the header's rules file),
    compared with each ABI's GCC, the host's cffi module and clang."""
    from ..options import Options, open_program, refused_rules_note

    options = options or Options.make()
    paths = [paths] if isinstance(paths, str) else list(paths)
    if options.kernel is not None:
        if options.kernel_from_project:
            # A cloned repository's project file is the repository's word,
            # and building runs the tree's Makefiles: only the caller's own
            # --kernel (kernel=) says to build it.
            where = options.project.describe() if options.project is not None else "the project file"
            raise LayoutError(
                f"verify builds the kernel tree {options.kernel} with its own Makefiles (make -C), "
                f"and that tree was named by {where}, not by you: give --kernel {options.kernel} "
                f"to build it")
        return verify_in_kernel_tree(paths, structs, options)
    report = VerifyReport()
    for path in paths:
        prog = open_program(path, options, is_path=True)
        note = refused_rules_note(prog.ruleset)
        if note:
            report.notes.append(f"{path}: {note}")
        report.merge(verify_program(prog, structs, with_cffi=with_cffi, jobs=jobs,
                                    with_clang=with_clang))
    return report


def verify_in_kernel_tree(paths: Sequence[str], structs: Optional[Sequence[str]],
                          options) -> VerifyReport:
    """The headers as the kernel builds them: the engine's layouts (read as
    kbuild reads the headers) against one external module of the tree with
    all of them, DWARF and questions (``oracle/kbuild.py``): every struct
    both list, each member's offset and bits."""
    from ..kernel import include_name, open_tree
    from ..options import open_kernel_unit
    from .kbuild import verify_kernel

    tree = open_tree(options.kernel)
    names = [include_name(tree, path) for path in paths]
    prog = open_kernel_unit(paths, options)
    layouts = {(lay.kind, lay.name): lay for lay in prog.layouts(structs)}
    return verify_kernel(options.kernel, names, list(layouts.values()), structs=structs)
