"""Hold the engine to the compilers: lay out, ask GCC (and cffi), compare.

``verify_program`` runs the GCC oracle of every ABI over every preprocessed
group of a Program and compares size, alignment and each member's offset,
size and bit mask.  The host ABI is also asked through cffi when
``with_cffi`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from .abi import ABI, get_abi
from .api import Program
from .oracle.gcc import Mismatch, OracleMissing, ask_gcc, compare, compiler_available


@dataclass
class VerifyReport:
    items: Dict[str, int] = field(default_factory=dict)  # per ABI
    structs: Dict[str, int] = field(default_factory=dict)  # per ABI
    mismatches: List[Mismatch] = field(default_factory=list)
    missing: List[ABI] = field(default_factory=list)
    cffi_items: int = 0
    cffi_structs: int = 0
    notes: List[str] = field(default_factory=list)

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
        self.notes.extend(other.notes)


def verify_program(prog: Program, structs: Optional[Sequence[str]] = None,
                   with_cffi: bool = False) -> VerifyReport:
    report = VerifyReport()
    for group in prog.groups:
        for abi in group.abis:
            if not compiler_available(abi):
                if abi not in report.missing:
                    report.missing.append(abi)
                continue
            layouts = prog.layouts(structs, [abi])
            if not layouts:
                continue
            answers = ask_gcc(abi, group.text, layouts)
            for lay, orc in zip(layouts, answers):
                n, bad = compare(lay, orc)
                report.items[abi.name] = report.items.get(abi.name, 0) + n
                report.structs[abi.name] = report.structs.get(abi.name, 0) + 1
                report.mismatches.extend(bad)
    if with_cffi:
        from .oracle.cffi_host import verify_host

        host = get_abi("host")
        if any(a.name == host.name for a in prog.abis):
            n, structs_n, bad = verify_host(prog, structs)
            report.cffi_items += n
            report.cffi_structs += structs_n
            report.mismatches.extend(bad)
    return report
