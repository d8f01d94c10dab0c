"""Read the bytes of data symbols out of a relocatable ELF object.

The oracles compile declarations with a real compiler (compile-only, no C
library, nothing run) and put every fact they need into initialised data:
arrays of ``unsigned long long`` for sizes and offsets, and byte images of
objects whose bitfields were set to all-ones.  This module turns such an
object file back into ``{symbol: bytes}`` so that the answer is the
compiler's own, read in memory order, whatever the target's endianness.
"""

from __future__ import annotations

import io
from typing import Dict, Iterable, Optional

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection


class ObjectFile:
    """The data symbols of one ELF object, with the target's byte order."""

    def __init__(self, data: bytes):
        self._elf = ELFFile(io.BytesIO(data))
        self.little_endian = self._elf.little_endian
        self.elfclass = self._elf.elfclass
        self._symbols: Dict[str, bytes] = {}
        self._read()

    @classmethod
    def from_path(cls, path: str) -> "ObjectFile":
        with open(path, "rb") as handle:
            return cls(handle.read())

    def _read(self) -> None:
        elf = self._elf
        section_data: Dict[int, Optional[bytes]] = {}
        for table in elf.iter_sections():
            if not isinstance(table, SymbolTableSection):
                continue
            for sym in table.iter_symbols():
                if sym["st_info"]["type"] != "STT_OBJECT":
                    continue
                shndx = sym["st_shndx"]
                if not isinstance(shndx, int):
                    continue  # SHN_COMMON / SHN_UNDEF / SHN_ABS
                if shndx not in section_data:
                    section = elf.get_section(shndx)
                    if section["sh_type"] == "SHT_NOBITS":
                        section_data[shndx] = None
                    else:
                        section_data[shndx] = section.data()
                blob = section_data[shndx]
                start = sym["st_value"]
                size = sym["st_size"]
                if blob is None:
                    self._symbols[sym.name] = bytes(size)
                else:
                    self._symbols[sym.name] = blob[start:start + size]

    def symbol(self, name: str) -> bytes:
        return self._symbols[name]

    def names(self) -> Iterable[str]:
        return self._symbols.keys()

    def u64_array(self, name: str) -> list:
        """Decode an ``unsigned long long[]`` symbol in the target's order."""
        blob = self._symbols[name]
        order = "little" if self.little_endian else "big"
        return [int.from_bytes(blob[i:i + 8], order) for i in range(0, len(blob), 8)]
