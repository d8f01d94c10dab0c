"""ABI records: the facts and switches one layout engine consults.

An ABI is data, not a code path.  Each record holds what GCC says about a
target (sizes, alignments, endianness, which bitfield rules apply) and is
loaded from ``data/abis.json``, which ``tools/abi_probe.py`` regenerates
from the cross compilers.  Names are fixed by CONTRACT.md.
"""

from __future__ import annotations

import json
import os
import struct
import sys
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from .errors import LayoutError
from .plain import Frozen, FrozenPlain

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


class ScalarInfo(Frozen):
    """Layout of one scalar kind on one ABI (all values in bytes).

    Alignment has one vocabulary in layoutcheck: ``abi_align`` is C11
    ``_Alignof``, ``preferred_align`` is GCC's ``__alignof__`` (TYPE_ALIGN)
    and ``field_align`` is what ADJUST_FIELD_ALIGN leaves in a struct.
    """

    size: int  # sizeof
    abi_align_bytes: int  # C11 _Alignof, the alignment a struct member gets
    preferred_align_bytes: int  # GCC __alignof__, the type's own (preferred) alignment
    field_align_bytes: int  # offset of the type in struct { char c; T x; }

    _fields = ("size", "abi_align_bytes", "preferred_align_bytes", "field_align_bytes")

    def __init__(self, size: int, abi_align_bytes: int, preferred_align_bytes: int, field_align_bytes: int) -> None:
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "abi_align_bytes", abi_align_bytes)
        object.__setattr__(self, "preferred_align_bytes", preferred_align_bytes)
        object.__setattr__(self, "field_align_bytes", field_align_bytes)


# data/abis.json keeps the names tools/abi_probe.py writes; in Python each
# name says which alignment it is and its unit.
_SCALAR_KEYS = {"size": "size", "align": "abi_align_bytes",
                "pref_align": "preferred_align_bytes", "field_align": "field_align_bytes"}
_ABI_KEYS = {"biggest_alignment": "biggest_alignment_bytes",
             "empty_field_boundary": "empty_field_boundary_bytes",
             "structure_size_boundary": "structure_size_boundary_bytes"}


class ABI(FrozenPlain):
    """Everything the layout engine needs to know about one target."""

    name: str
    bits: int
    endian: str  # "little" or "big"
    oracle: Tuple[str, ...]
    package: str
    clang_target: Optional[str]
    multiarch: str
    char_signed: bool
    biggest_alignment_bytes: int  # BIGGEST_ALIGNMENT
    # GCC's PCC_BITFIELD_TYPE_MATTERS: bitfields may not straddle the
    # alignment units of their declared type, and named bitfields give the
    # struct the alignment of their type.
    pcc_bitfield_type_matters: bool
    # targetm.align_anon_bitfield: unnamed bitfields raise the struct's
    # alignment to their type's as well (AAPCS, AAPCS64).
    align_anon_bitfield: bool
    # EMPTY_FIELD_BOUNDARY: the alignment `T :0` forces on targets where
    # bitfield types do not matter (m68k).
    empty_field_boundary_bytes: int
    # STRUCTURE_SIZE_BOUNDARY: least alignment of any struct/union.
    structure_size_boundary_bytes: int
    size_type: str
    ptrdiff_type: str
    wchar_type: str
    scalars: Dict[str, ScalarInfo]

    _fields = ("name", "bits", "endian", "oracle", "package", "clang_target", "multiarch", "char_signed",
               "biggest_alignment_bytes", "pcc_bitfield_type_matters", "align_anon_bitfield",
               "empty_field_boundary_bytes", "structure_size_boundary_bytes", "size_type", "ptrdiff_type", "wchar_type",
               "scalars")
    _hidden = ("scalars",)

    def __init__(self, name: str, bits: int, endian: str, oracle: Tuple[str, ...], package: str,
                 clang_target: Optional[str], multiarch: str, char_signed: bool, biggest_alignment_bytes: int,
                 pcc_bitfield_type_matters: bool, align_anon_bitfield: bool, empty_field_boundary_bytes: int,
                 structure_size_boundary_bytes: int, size_type: str, ptrdiff_type: str, wchar_type: str,
                 scalars: Dict[str, ScalarInfo]) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "bits", bits)
        object.__setattr__(self, "endian", endian)
        object.__setattr__(self, "oracle", oracle)
        object.__setattr__(self, "package", package)
        object.__setattr__(self, "clang_target", clang_target)
        object.__setattr__(self, "multiarch", multiarch)
        object.__setattr__(self, "char_signed", char_signed)
        object.__setattr__(self, "biggest_alignment_bytes", biggest_alignment_bytes)
        object.__setattr__(self, "pcc_bitfield_type_matters", pcc_bitfield_type_matters)
        object.__setattr__(self, "align_anon_bitfield", align_anon_bitfield)
        object.__setattr__(self, "empty_field_boundary_bytes", empty_field_boundary_bytes)
        object.__setattr__(self, "structure_size_boundary_bytes", structure_size_boundary_bytes)
        object.__setattr__(self, "size_type", size_type)
        object.__setattr__(self, "ptrdiff_type", ptrdiff_type)
        object.__setattr__(self, "wchar_type", wchar_type)
        object.__setattr__(self, "scalars", scalars)

    @property
    def big_endian(self) -> bool:
        return self.endian == "big"

    @property
    def pointer_size(self) -> int:
        return self.scalars["pointer"].size

    def scalar(self, kind: str) -> ScalarInfo:
        try:
            return self.scalars[kind]
        except KeyError:
            raise LayoutError(f"type '{kind}' does not exist on ABI {self.name}") from None

    def has_scalar(self, kind: str) -> bool:
        return kind in self.scalars

    @property
    def macros_path(self) -> str:
        """A file of #define lines: GCC's predefined macros for this ABI."""
        return os.path.join(DATA_DIR, "macros", f"{self.name}.h")

    def __str__(self) -> str:
        return self.name


@lru_cache(maxsize=1)
def _load() -> Dict[str, ABI]:
    with open(os.path.join(DATA_DIR, "abis.json")) as fh:
        raw = json.load(fh)
    table = {}
    for name, rec in raw.items():
        scalars = {kind: ScalarInfo(**{_SCALAR_KEYS[k]: v for k, v in facts.items()})
                   for kind, facts in rec.pop("types").items()}
        rec = {_ABI_KEYS.get(k, k): v for k, v in rec.items()}
        rec["oracle"] = tuple(rec["oracle"])
        table[name] = ABI(name=name, scalars=scalars, **rec)
    return table


def all_abis() -> List[ABI]:
    """Every ABI of CONTRACT.md, in its order."""
    return list(_load().values())


def abi_names() -> List[str]:
    return list(_load().keys())


def _mips_host(bits: int, little: bool) -> str:
    if bits == 64:
        if not little:
            raise LayoutError("big-endian 64-bit mips is not one of the 18 ABIs (mips64el is "
                              "little-endian)")
        return "mips64el"
    return "mipsel" if little else "mips"


def _not_an_abi(what: str) -> str:
    raise LayoutError(f"the running Python is {what}: not one of the 18 ABIs")


def _sparc_host(bits: int, little: bool) -> str:
    if bits != 64:
        raise LayoutError("32-bit sparc is not one of the 18 ABIs (sparc64 is 64-bit)")
    return "sparc64"


def _x86_host(bits: int, little: bool) -> str:
    if bits == 64:
        return "x86_64"
    import platform

    return "x32" if platform.architecture()[0] == "32bit" and "x32" in sys.version else "i386"


# platform.machine() names (exact, or a prefix) and the ABI they run: a
# name, or a function of the pointer width and the byte order.  In order:
# the first match wins.
_HOST_MACHINES = (
    (("x86_64", "amd64"), (), _x86_host),
    (("i386", "i486", "i586", "i686"), (), "i386"),
    (("aarch64", "arm64"), (), lambda bits, little: "aarch64" if bits == 64 else "arm"),
    ((), ("arm",), "arm"),
    ((), ("ppc64", "powerpc64"), lambda bits, little: ("ppc64le" if little else "ppc64") if bits == 64
     else "ppc"),
    (("ppc", "powerpc"), (), "ppc"),
    (("s390x",), (), lambda bits, little: "s390x" if bits == 64 else _not_an_abi("31-bit s390")),
    ((), ("mips",), _mips_host),
    (("riscv64",), (), "riscv64"),
    ((), ("sparc",), _sparc_host),
    (("m68k",), (), "m68k"),
    ((), ("parisc",), "hppa"),
    ((), ("sh",), "sh4"),
    (("alpha",), (), "alpha"),
)


def host_abi_name() -> str:
    """The ABI of the running Python, as CONTRACT.md names it."""
    import platform

    machine = platform.machine().lower()
    bits = struct.calcsize("P") * 8
    little = sys.byteorder == "little"
    for names, prefixes, abi in _HOST_MACHINES:
        if machine in names or machine.startswith(prefixes):
            return abi(bits, little) if callable(abi) else abi
    raise LayoutError(f"unknown host machine {machine!r}")


# What people call the ABIs: Debian architectures and kernel flavours, GNU
# triplets' first parts, and other spellings in common use.
ALIASES = {
    "amd64": "x86_64", "x86-64": "x86_64", "x64": "x86_64",
    "i686": "i386", "i586": "i386", "i486": "i386", "ia32": "i386", "686-pae": "i386",
    "x86_64-x32": "x32", "amd64-x32": "x32",
    "arm64": "aarch64",
    "armhf": "arm", "armv7": "arm", "armv7l": "arm", "armmp": "arm",
    "powerpc": "ppc", "ppc32": "ppc",
    "powerpc64": "ppc64", "ppc64be": "ppc64",
    "powerpc64le": "ppc64le", "ppc64el": "ppc64le",
    "mipsbe": "mips", "mipsle": "mipsel", "i686-linux-gnu": "i386",
    "mips64le": "mips64el", "mips64r2el": "mips64el",
    "rv64": "riscv64", "rv64gc": "riscv64",
}
# Names people type for ABIs that are not among the 18: said plainly, never
# taken for a neighbour with another layout.
NOT_ABIS = {
    "mips64": "big-endian 64-bit mips", "mips64be": "big-endian 64-bit mips",
    "sparc": "32-bit sparc", "sparc32": "32-bit sparc", "riscv": "riscv (say riscv64)",
    "riscv32": "32-bit riscv", "s390": "31-bit s390", "armel": "armel (soft-float ARMv5)",
    "x86": "x86 (say i386 or x86_64)", "4kc-malta": "a Debian kernel flavour of both mips and mipsel",
    "hppa64": "64-bit hppa", "parisc64": "64-bit hppa", "ia64": "ia64", "arc": "arc",
    "loongarch64": "loongarch64", "csky": "csky", "microblaze": "microblaze", "openrisc": "openrisc",
}
# ABI classes (as in rules files' ``abis``).
CLASSES = ("64bit", "32bit", "little", "big")


def canonical_name(name: str) -> Optional[str]:
    """The ABI name ``name`` means (a name, an alias, a triplet), or None."""
    table = _load()
    if name in table:
        return name
    low = name.strip().lower()
    if low in table:
        return low
    if low in ALIASES:
        return ALIASES[low]
    for abi in table.values():  # x86_64-linux-gnu, aarch64-linux-gnu, ...
        if low == abi.multiarch:
            return abi.name
    return None


def get_abi(name: str) -> ABI:
    table = _load()
    if name == "host":
        name = host_abi_name()
    found = canonical_name(name) if isinstance(name, str) else None
    if found is None and isinstance(name, str) and name.strip().lower() in NOT_ABIS:
        raise LayoutError(f"{name!r} is {NOT_ABIS[name.strip().lower()]}: not one of the 18 ABIs "
                          f"({', '.join(table)}); no other ABI stands for it")
    if found is None:
        import difflib

        close = difflib.get_close_matches(str(name).lower(), list(table) + list(ALIASES), n=1)
        hint = ""
        if close:
            meant = ALIASES.get(close[0], close[0])
            hint = f" (did you mean {meant!r}?)"
        raise LayoutError(
            f"unknown ABI {name!r}{hint}; known: {', '.join(table)}, all, host, "
            f"{', '.join(CLASSES)}, and names such as amd64, arm64, armhf, powerpc64le"
        )
    return table[found]


def resolve_abis(names: Optional[Sequence[str]]) -> List[ABI]:
    """Expand a list of ABI names without repeats: names and aliases,
    'all', 'host', and the classes 64bit, 32bit, little and big."""
    if not names:
        return [get_abi("x86_64")]
    out: List[ABI] = []
    for name in names:
        for part in name.split(","):
            part = part.strip()
            if not part:
                continue
            key = part.lower()
            if key == "all":
                chosen = all_abis()
            elif key in ("64bit", "32bit"):
                chosen = [a for a in all_abis() if a.bits == int(key[:2])]
            elif key in ("little", "big"):
                chosen = [a for a in all_abis() if a.endian == key]
            else:
                chosen = [get_abi(part)]
            for abi in chosen:
                if abi not in out:
                    out.append(abi)
    return out
