"""Struct and union layouts as GCC's debug information states them.

``dwarf_records(path)`` reads the DWARF of a relocatable ELF object (one
compiled with ``-g``) and returns every tagged struct and union with a
complete definition at file scope, in the form of layoutcheck's JSON
contract (docs/CONTRACT.md):

* a member's path is what ``offsetof`` takes: anonymous structs and unions
  add no component, members of struct- and union-typed members are listed
  too, array elements are not expanded;
* ``offset`` is the first byte the member touches, ``size`` the bytes from
  there to the last byte it touches, and ``mask`` one byte per byte from
  ``offset``: bit b set when the member owns bit b (0 = least significant)
  of that byte in memory.  Flexible and zero-length arrays: size 0, mask
  empty.

Bitfields come in two DWARF forms, and GCC uses both in one object: in
structs, DWARF 4's ``DW_AT_data_bit_offset`` (bits from the start of the
containing struct, counted in the target's bit order: from the least
significant bit of a byte on little-endian targets, from the most
significant on big-endian ones, which is GCC's own bit position); in unions,
and everywhere with ``-gdwarf-4`` or older, DWARF 2's ``DW_AT_bit_offset``
(bits from the most significant end of a ``DW_AT_byte_size`` storage unit
at ``DW_AT_data_member_location`` to the most significant bit of the
field; the unit may start before the struct, at a negative offset).  Both
are turned into GCC's bit position and then into a mask by
``layouts.member_mask``, the function the engine's layouts use.  A union
member is at bit 0 whatever its DWARF 2 attributes say: GCC omits the
location of union members, which loses the negative storage-unit offset of
a packed or over-wide bitfield but never its position.

Alignment is not in DWARF (``DW_AT_alignment`` only records alignment a
program asked for); the kbuild oracle asks ``_Alignof`` in the same object.

The object is relocatable: the offsets into ``.debug_str`` and the other
debug sections are only known once its relocations are applied.  pyelftools
knows the relocations of some targets only, so this module applies the few
that debug sections use (absolute 32- and 64-bit data relocations, listed
per machine in ``_DATA_RELOCATIONS``) itself, to a copy of the file.
"""

from __future__ import annotations

import io
import os
from typing import Dict, List, Optional, Tuple

from elftools.dwarf.dwarf_expr import DWARFExprParser
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection

from ..errors import LayoutError
from ..layouts import member_mask

# (kind, tag) -> {"size": bytes, "members": {path: (offset, size, mask)},
#                 "bit_sizes": {path of a bitfield: its width},
#                 "file": declaring file or None, "line": line or None}
RecordKey = Tuple[str, str]
MemberFacts = Tuple[int, int, bytes]

_RECORD_TAGS = {"DW_TAG_structure_type": "struct", "DW_TAG_union_type": "union"}

# Type DIEs that only name or qualify another type: the layout is the
# other type's.
_TRANSPARENT_TAGS = frozenset({
    "DW_TAG_typedef", "DW_TAG_const_type", "DW_TAG_volatile_type",
    "DW_TAG_restrict_type", "DW_TAG_atomic_type", "DW_TAG_immutable_type",
})

# DIEs whose children are at file scope for C (a struct's nested tagged
# types are file-scope tags in C); types under a function are local.
_SCOPE_TAGS = frozenset({"DW_TAG_compile_unit", "DW_TAG_partial_unit",
                         "DW_TAG_structure_type", "DW_TAG_union_type"})

# The data relocations found in DWARF sections, per ELF machine: relocation
# type -> width in bytes.  Every one computes S + A (symbol value plus
# addend; in a relocatable object a section symbol's value is 0, so an
# offset into .debug_str is its addend).  Others (PC-relative ones, RISC-V's
# ADD/SUB pairs) appear only in line and frame tables and in code
# addresses, which this module does not read; a relocation of another type
# that points at a string section is refused rather than ignored.
_DATA_RELOCATIONS: Dict[str, Dict[int, int]] = {
    "EM_386": {1: 4},                                  # R_386_32
    "EM_X86_64": {1: 8, 10: 4, 11: 4},                 # R_X86_64_64, _32, _32S
    "EM_ARM": {2: 4},                                  # R_ARM_ABS32
    "EM_AARCH64": {257: 8, 258: 4},                    # R_AARCH64_ABS64, _ABS32
    "EM_PPC": {1: 4},                                  # R_PPC_ADDR32
    "EM_PPC64": {1: 4, 38: 8},                         # R_PPC64_ADDR32, _ADDR64
    "EM_S390": {4: 4, 22: 8},                          # R_390_32, R_390_64
    "EM_MIPS": {2: 4, 18: 8},                          # R_MIPS_32, R_MIPS_64
    "EM_RISCV": {1: 4, 2: 8},                          # R_RISCV_32, R_RISCV_64
    "EM_SPARCV9": {3: 4, 23: 4, 32: 8, 54: 8},         # R_SPARC_32, _UA32, _64, _UA64
    "EM_SPARC": {3: 4, 23: 4},
    "EM_SPARC32PLUS": {3: 4, 23: 4},
    "EM_68K": {1: 4},                                  # R_68K_32
    "EM_PARISC": {1: 4},                               # R_PARISC_DIR32
    "EM_SH": {1: 4},                                   # R_SH_DIR32
    "EM_ALPHA": {1: 4, 2: 8},                          # R_ALPHA_REFLONG, _REFQUAD
}
# Machines whose RELA relocations also keep an addend in place (binutils'
# partial_inplace): SH's objects carry r_addend 0 and the offset in the
# section's bytes.
_INPLACE_ADDEND = frozenset({"EM_SH"})
# pyelftools names the machines it knows; Linux's alpha number it does not.
_MACHINE_NUMBERS = {0x9026: "EM_ALPHA"}

_STRING_SECTIONS = (".debug_str", ".debug_line_str")
SHF_COMPRESSED = 0x800


def _relocated_image(data: bytes) -> bytes:
    """The object file with the relocations of its debug sections applied."""
    elf = ELFFile(io.BytesIO(data))
    machine = elf["e_machine"]
    machine = _MACHINE_NUMBERS.get(machine, machine) if isinstance(machine, int) else machine
    table = _DATA_RELOCATIONS.get(machine)
    order = "little" if elf.little_endian else "big"
    out = bytearray(data)
    for rsec in elf.iter_sections():
        if not isinstance(rsec, RelocationSection):
            continue
        target = elf.get_section(rsec["sh_info"])
        if not target.name.startswith(".debug_"):
            continue
        if target["sh_flags"] & SHF_COMPRESSED:
            raise LayoutError(f"{target.name} is compressed; compile without -gz")
        if table is None:
            raise LayoutError(f"cannot read the debug information of an {machine} object "
                              f"(its relocations are unknown to layoutcheck)")
        symtab = elf.get_section(rsec["sh_link"])
        base = target["sh_offset"]
        symbols: Dict[int, object] = {}  # a few section symbols, thousands of relocations
        for reloc in rsec.iter_relocations():
            rtype = reloc["r_info_type"]
            if rtype == 0:  # R_*_NONE
                continue
            index = reloc["r_info_sym"]
            sym = symbols.get(index)
            if sym is None:
                sym = symbols[index] = symtab.get_symbol(index)
            width = table.get(rtype)
            if width is None or reloc.entry.get("r_type2", 0) or reloc.entry.get("r_type3", 0):
                if sym["st_info"]["type"] == "STT_SECTION" and \
                        elf.get_section(sym["st_shndx"]).name in _STRING_SECTIONS:
                    raise LayoutError(f"{machine}: relocation type {rtype} in {target.name} "
                                      f"is not one layoutcheck can apply")
                continue
            where = base + reloc["r_offset"]
            addend = reloc["r_addend"] if reloc.is_RELA() else 0
            if not reloc.is_RELA() or machine in _INPLACE_ADDEND:
                # REL: the addend is the field's current content
                addend += int.from_bytes(out[where:where + width], order)
            value = (sym["st_value"] + addend) % (1 << (8 * width))
            out[where:where + width] = value.to_bytes(width, order)
    return bytes(out)


class _Reader:
    """One object's DWARF, with per-type results cached by DIE offset."""

    def __init__(self, elf: ELFFile):
        self.big_endian = not elf.little_endian
        self.dwarf = elf.get_dwarf_info(relocate_dwarf_sections=False)
        self._sizes: Dict[int, Optional[int]] = {}
        # record DIE offset -> [(relative path, bit position, bit size,
        # is bitfield, byte size or None for a flexible array)]
        self._flat: Dict[int, List[tuple]] = {}
        self._expr = DWARFExprParser(self.dwarf.structs)

    # ------------------------------------------------------------ types
    def type_of(self, die):
        """The DIE's DW_AT_type, or None (void)."""
        if "DW_AT_type" not in die.attributes:
            return None
        return die.get_DIE_from_attribute("DW_AT_type")

    def strip(self, die):
        """The type behind typedefs and qualifiers."""
        while die is not None and die.tag in _TRANSPARENT_TAGS:
            die = self.type_of(die)
        return die

    def byte_size(self, die) -> Optional[int]:
        """sizeof the type, or None for an array of unknown bound (a
        flexible array member)."""
        key = die.offset
        if key not in self._sizes:
            self._sizes[key] = self._compute_size(die)
        return self._sizes[key]

    def _compute_size(self, die) -> Optional[int]:
        if die.tag in _TRANSPARENT_TAGS:
            inner = self.type_of(die)
            if inner is None:
                raise LayoutError(f"DWARF: {die.tag} of void at <{die.offset:#x}>")
            return self.byte_size(inner)
        if "DW_AT_byte_size" in die.attributes:
            return die.attributes["DW_AT_byte_size"].value
        if die.tag == "DW_TAG_array_type":
            elem = self.byte_size(self.type_of(die))
            count = 1
            for sub in die.iter_children():
                if sub.tag != "DW_TAG_subrange_type":
                    continue
                n = self._subrange_count(sub)
                if n is None:
                    return None
                count *= n
            return None if elem is None else elem * count
        if die.tag == "DW_TAG_pointer_type":
            return die.cu["address_size"]
        raise LayoutError(f"DWARF: no size for {die.tag} at <{die.offset:#x}>")

    @staticmethod
    def _subrange_count(sub) -> Optional[int]:
        attrs = sub.attributes
        if "DW_AT_count" in attrs:
            value = attrs["DW_AT_count"].value
            return value if isinstance(value, int) else None
        if "DW_AT_upper_bound" in attrs:
            upper = attrs["DW_AT_upper_bound"].value
            if not isinstance(upper, int):
                return None  # a variable bound
            lower = attrs["DW_AT_lower_bound"].value if "DW_AT_lower_bound" in attrs else 0
            return max(upper - lower + 1, 0)
        return None  # no bound: flexible array

    # ---------------------------------------------------------- members
    def _location(self, member) -> int:
        """DW_AT_data_member_location in bytes (0 when absent: unions)."""
        attr = member.attributes.get("DW_AT_data_member_location")
        if attr is None:
            return 0
        if isinstance(attr.value, int):
            value = attr.value
        else:
            # DWARF 2 spelled it as an expression: DW_OP_plus_uconst N.
            ops = self._expr.parse_expr(attr.value)
            if len(ops) != 1 or ops[0].op_name not in ("DW_OP_plus_uconst", "DW_OP_constu"):
                raise LayoutError(f"DWARF: member location {ops} at <{member.offset:#x}> "
                                  f"is not a constant")
            value = ops[0].args[0]
        # The DWARF 2 "containing object" of a bitfield can start before
        # the struct (a packed `long f:8` at offset 0 has one at -7); GCC
        # writes that offset as a 64-bit two's complement number.
        return value - (1 << 64) if value >= 1 << 63 else value

    def _bit_position(self, member, bit_size: int, in_union: bool) -> int:
        """A bitfield's first bit, in GCC's allocation order, from the
        start of the struct or union that declares it."""
        attrs = member.attributes
        if "DW_AT_data_bit_offset" in attrs:
            return attrs["DW_AT_data_bit_offset"].value
        if in_union:
            # Every member of a union starts at its bit 0.  GCC gives union
            # bitfields the DWARF 2 form but no DW_AT_data_member_location,
            # and for some (packed, over-wide types) the storage unit its
            # DW_AT_bit_offset counts from starts before the union: that
            # offset is lost, the position is not.
            return 0
        # DWARF 2: a storage unit of DW_AT_byte_size bytes (default: the
        # declared type's size) at the member location; DW_AT_bit_offset
        # counts from its most significant bit to the field's.
        unit_bytes = (attrs["DW_AT_byte_size"].value if "DW_AT_byte_size" in attrs
                      else self.byte_size(self.type_of(member)))
        from_msb = attrs["DW_AT_bit_offset"].value if "DW_AT_bit_offset" in attrs else 0
        start = self._location(member) * 8
        if self.big_endian:
            return start + from_msb
        return start + unit_bytes * 8 - from_msb - bit_size

    def flat_members(self, record) -> List[tuple]:
        """Every named member of ``record`` at every depth, positions in
        bits from the record's start (cached: records nest a lot)."""
        key = record.offset
        if key in self._flat:
            return self._flat[key]
        out: List[tuple] = []
        in_union = record.tag == "DW_TAG_union_type"
        for member in record.iter_children():
            if member.tag != "DW_TAG_member":
                continue
            name_attr = member.attributes.get("DW_AT_name")
            name = name_attr.value.decode("utf-8", "replace") if name_attr else None
            mtype = self.type_of(member)
            inner = self.strip(mtype)
            if "DW_AT_bit_size" in member.attributes:
                bits = member.attributes["DW_AT_bit_size"].value
                if name is not None:  # GCC omits unnamed bitfields anyway
                    position = self._bit_position(member, bits, in_union)
                    out.append((name, position, bits, True, None))
                continue
            start = self._location(member) * 8
            is_record = inner is not None and inner.tag in _RECORD_TAGS
            if name is None:
                # An anonymous struct or union: its members are the
                # parent's, with no path component of their own.
                if is_record:
                    for path, pos, bits, is_bf, size in self.flat_members(inner):
                        out.append((path, start + pos, bits, is_bf, size))
                continue
            size = self.byte_size(mtype)
            out.append((name, start, (size or 0) * 8, False, size))
            if is_record:
                for path, pos, bits, is_bf, sub in self.flat_members(inner):
                    out.append((f"{name}.{path}", start + pos, bits, is_bf, sub))
        self._flat[key] = out
        return out

    def record_facts(self, record) -> dict:
        members: Dict[str, MemberFacts] = {}
        bit_sizes: Dict[str, int] = {}
        for path, pos, bits, is_bitfield, size in self.flat_members(record):
            if is_bitfield:
                members[path] = member_mask(pos, bits, self.big_endian)
                bit_sizes[path] = bits
            else:
                members[path] = (pos // 8, size or 0, b"\xff" * (size or 0))
        return {"size": record.attributes["DW_AT_byte_size"].value, "members": members,
                "bit_sizes": bit_sizes}

    # ------------------------------------------------------------ files
    def file_names(self, cu) -> List[Optional[str]]:
        """DW_AT_decl_file index -> path, for one compilation unit."""
        lp = self.dwarf.line_program_for_CU(cu)
        if lp is None:
            return []
        version = lp.header["version"]
        dirs = [d.decode("utf-8", "replace") if isinstance(d, bytes) else d
                for d in lp.header["include_directory"]]
        top = cu.get_top_DIE().attributes.get("DW_AT_comp_dir")
        comp_dir = top.value.decode("utf-8", "replace") if top is not None else ""
        names: List[Optional[str]] = [] if version >= 5 else [None]  # v<5 counts from 1
        for entry in lp.header["file_entry"]:
            name = entry.name.decode("utf-8", "replace")
            index = entry.dir_index if version >= 5 else entry.dir_index - 1
            if not os.path.isabs(name) and 0 <= index < len(dirs):
                name = os.path.join(dirs[index], name)
            names.append(os.path.normpath(os.path.join(comp_dir, name)))
        return names


def _file_scope_records(cu):
    """The struct and union DIEs of a CU that are not local to a function."""
    stack = [cu.get_top_DIE()]
    while stack:
        die = stack.pop()
        for child in die.iter_children():
            if child.tag in _RECORD_TAGS:
                yield child
            if child.tag in _SCOPE_TAGS:
                stack.append(child)


def dwarf_records(object_path: str) -> Dict[RecordKey, dict]:
    """Every tagged struct and union defined at file scope in the DWARF of
    ``object_path``: ``{(kind, tag): {"size", "members", "bit_sizes",
    "file", "line"}}``, members in declaration order as ``{path: (offset,
    size, mask)}``, and the width of each bitfield in ``bit_sizes``."""
    with open(object_path, "rb") as fh:
        data = fh.read()
    try:
        elf = ELFFile(io.BytesIO(_relocated_image(data)))
        if not elf.has_dwarf_info():
            raise LayoutError(f"{object_path}: no DWARF debug information (compile with -g)")
        reader = _Reader(elf)
        out: Dict[RecordKey, dict] = {}
        for cu in reader.dwarf.iter_CUs():
            files = None
            for die in _file_scope_records(cu):
                attrs = die.attributes
                if "DW_AT_name" not in attrs or "DW_AT_declaration" in attrs:
                    continue
                if "DW_AT_decl_line" in attrs and attrs["DW_AT_decl_line"].value == 0:
                    # a type GCC made up, with no line of source (x86_64's
                    # struct __va_list_tag): no program can name its tag
                    continue
                key = (_RECORD_TAGS[die.tag], attrs["DW_AT_name"].value.decode("utf-8", "replace"))
                if key in out:
                    continue  # the same type from another unit
                facts = reader.record_facts(die)
                if files is None:
                    files = reader.file_names(cu)
                index = attrs["DW_AT_decl_file"].value if "DW_AT_decl_file" in attrs else None
                facts["file"] = files[index] if index is not None and index < len(files) else None
                facts["line"] = attrs["DW_AT_decl_line"].value if "DW_AT_decl_line" in attrs else None
                out[key] = facts
        return out
    except LayoutError:
        raise
    except Exception as exc:  # pyelftools' own errors on a malformed object
        raise LayoutError(f"{object_path}: cannot read its DWARF: {exc}") from None
