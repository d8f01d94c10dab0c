#!/usr/bin/env python3
"""Regenerate layoutcheck/data/abis.json and data/macros/*.h from GCC.

Every number in the ABI records is read from the target's own GCC: a probe
file is compiled for each ABI (compile-only, no C library) and the answers
are read back from the object file's initialised data.  The table of names,
oracle commands and Debian packages is CONTRACT.md's.

    python tools/abi_probe.py            # rewrite the data files
    python tools/abi_probe.py --check    # exit 1 if the files are stale

The probe needs every cross compiler of CONTRACT.md; `.ci/run` installs them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from layoutcheck.oracle.objfile import ObjectFile  # noqa: E402

DATA = os.path.join(ROOT, "layoutcheck", "data")

# name, bits, endian, oracle command, Debian package, clang triple (None when
# clang 14 has no such target), Debian multiarch tuple.
CONTRACT = [
    ("x86_64", 64, "little", ["gcc"], "gcc", "x86_64-linux-gnu", "x86_64-linux-gnu"),
    ("i386", 32, "little", ["gcc", "-m32"], "gcc", "i386-linux-gnu", "i386-linux-gnu"),
    ("x32", 32, "little", ["gcc", "-mx32"], "gcc", "x86_64-linux-gnux32", "x86_64-linux-gnux32"),
    ("aarch64", 64, "little", ["aarch64-linux-gnu-gcc"], "gcc-aarch64-linux-gnu", "aarch64-linux-gnu", "aarch64-linux-gnu"),
    ("arm", 32, "little", ["arm-linux-gnueabihf-gcc"], "gcc-arm-linux-gnueabihf", "armv7a-linux-gnueabihf", "arm-linux-gnueabihf"),
    ("ppc", 32, "big", ["powerpc-linux-gnu-gcc"], "gcc-powerpc-linux-gnu", "powerpc-linux-gnu", "powerpc-linux-gnu"),
    ("ppc64", 64, "big", ["powerpc64-linux-gnu-gcc"], "gcc-powerpc64-linux-gnu", "powerpc64-linux-gnu", "powerpc64-linux-gnu"),
    ("ppc64le", 64, "little", ["powerpc64le-linux-gnu-gcc"], "gcc-powerpc64le-linux-gnu", "powerpc64le-linux-gnu", "powerpc64le-linux-gnu"),
    ("s390x", 64, "big", ["s390x-linux-gnu-gcc"], "gcc-s390x-linux-gnu", "s390x-linux-gnu", "s390x-linux-gnu"),
    ("mips", 32, "big", ["mips-linux-gnu-gcc"], "gcc-mips-linux-gnu", "mips-linux-gnu", "mips-linux-gnu"),
    ("mipsel", 32, "little", ["mipsel-linux-gnu-gcc"], "gcc-mipsel-linux-gnu", "mipsel-linux-gnu", "mipsel-linux-gnu"),
    ("mips64el", 64, "little", ["mips64el-linux-gnuabi64-gcc"], "gcc-mips64el-linux-gnuabi64", "mips64el-linux-gnuabi64", "mips64el-linux-gnuabi64"),
    ("riscv64", 64, "little", ["riscv64-linux-gnu-gcc"], "gcc-riscv64-linux-gnu", "riscv64-linux-gnu", "riscv64-linux-gnu"),
    ("sparc64", 64, "big", ["sparc64-linux-gnu-gcc"], "gcc-sparc64-linux-gnu", "sparcv9-linux-gnu", "sparc64-linux-gnu"),
    ("m68k", 32, "big", ["m68k-linux-gnu-gcc"], "gcc-m68k-linux-gnu", "m68k-linux-gnu", "m68k-linux-gnu"),
    ("hppa", 32, "big", ["hppa-linux-gnu-gcc"], "gcc-hppa-linux-gnu", None, "hppa-linux-gnu"),
    ("sh4", 32, "little", ["sh4-linux-gnu-gcc"], "gcc-sh4-linux-gnu", None, "sh4-linux-gnu"),
    ("alpha", 64, "little", ["alpha-linux-gnu-gcc"], "gcc-alpha-linux-gnu", None, "alpha-linux-gnu"),
]

# Layout kinds of the scalar types: (key, C spelling).  Signed and unsigned
# variants share a layout on every ABI, so one spelling stands for both.
SCALARS = [
    ("char", "char"),
    ("short", "short"),
    ("int", "int"),
    ("long", "long"),
    ("long long", "long long"),
    ("__int128", "__int128"),
    ("_Bool", "_Bool"),
    ("float", "float"),
    ("double", "double"),
    ("long double", "long double"),
    ("_Float128", "_Float128"),
    # Keywords for _Float128 that only some GCCs know (PowerPC's
    # __float128 is a macro for __ieee128): their entries say where a
    # header may spell the type so.
    ("__float128", "__float128"),
    ("__ieee128", "__ieee128"),
    ("pointer", "void *"),
    ("function pointer", "void (*)(void)"),
    ("_Complex float", "_Complex float"),
    ("_Complex double", "_Complex double"),
    ("_Complex long double", "_Complex long double"),
    ("enum", "enum lc_probe_e"),
    # The target's va_list, as the compiler predeclares it: a pointer on
    # i386, mips and riscv64, a struct on arm and aarch64, an array of one
    # struct on x86_64, ppc and s390x.  Laid out whole, like a scalar.
    ("__builtin_va_list", "__builtin_va_list"),
]

PROBE_STRUCTS = {
    # Does a named bitfield's type raise the struct's alignment?
    "named_bitfield": "struct { char c; int x:1; }",
    # Does an unnamed bitfield's type raise the struct's alignment?
    "unnamed_bitfield": "struct { char c; int :4; }",
    # Where does a zero-width bitfield put the next member?
    "zero_width": "struct { char c; int :0; char d; }",
    # The smallest struct: STRUCTURE_SIZE_BOUNDARY.
    "one_char": "struct { char c; }",
}


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def scalar_probe(oracle, spelling, workdir):
    """sizeof, _Alignof, __alignof__ and offset in a struct, or None."""
    decl_type = spelling
    if "(*)" in spelling:
        member = spelling.replace("(*)", "(*x)")
    else:
        member = f"{spelling} x"
    src = (
        "enum lc_probe_e { LC_PROBE_A };\n"
        f"struct lc_s {{ char c; {member}; }};\n"
        "const unsigned long long lc_v[4] = {\n"
        f"  sizeof({decl_type}), _Alignof({decl_type}), __alignof__({decl_type}),\n"
        "  __builtin_offsetof(struct lc_s, x) };\n"
    )
    path = os.path.join(workdir, "s.c")
    with open(path, "w") as fh:
        fh.write(src)
    obj = os.path.join(workdir, "s.o")
    proc = subprocess.run(oracle + ["-c", "-o", obj, path], capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    size, align, pref, field = ObjectFile.from_path(obj).u64_array("lc_v")
    return {"size": size, "align": align, "pref_align": pref, "field_align": field}


def struct_probes(oracle, workdir):
    lines = []
    for i, (name, spelling) in enumerate(PROBE_STRUCTS.items()):
        lines.append(f"typedef {spelling} lc_t{i};")
        extra = "__builtin_offsetof(lc_t%d, d)" % i if name == "zero_width" else "0"
        lines.append(
            f"const unsigned long long lc_p{i}[3] = {{ sizeof(lc_t{i}), _Alignof(lc_t{i}), {extra} }};"
        )
    path = os.path.join(workdir, "p.c")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    obj = os.path.join(workdir, "p.o")
    run(oracle + ["-c", "-o", obj, path])
    of = ObjectFile.from_path(obj)
    return {name: of.u64_array(f"lc_p{i}") for i, name in enumerate(PROBE_STRUCTS)}


def macros(oracle):
    out = run(oracle + ["-dM", "-E", "-x", "c", os.devnull]).stdout
    return sorted(line for line in out.splitlines() if line.startswith("#define "))


def macro_value(lines, name):
    prefix = f"#define {name} "
    for line in lines:
        if line.startswith(prefix):
            return line[len(prefix):]
        if line == f"#define {name}":
            return ""
    return None


def probe(entry, workdir):
    name, bits, endian, oracle, package, clang, multiarch = entry
    if shutil.which(oracle[0]) is None:
        raise SystemExit(f"{name}: {oracle[0]} not found (apt-get install {package})")
    types = {}
    for key, spelling in SCALARS:
        result = scalar_probe(oracle, spelling, workdir)
        if result is not None:
            types[key] = result
    probes = struct_probes(oracle, workdir)
    defs = macros(oracle)
    int_field_align = types["int"]["field_align"]
    named = probes["named_bitfield"]
    unnamed = probes["unnamed_bitfield"]
    zero = probes["zero_width"]
    one = probes["one_char"]
    record = {
        "bits": bits,
        "endian": endian,
        "oracle": oracle,
        "package": package,
        "clang_target": clang,
        "multiarch": multiarch,
        "char_signed": macro_value(defs, "__CHAR_UNSIGNED__") is None,
        "biggest_alignment": int(macro_value(defs, "__BIGGEST_ALIGNMENT__")),
        # PCC_BITFIELD_TYPE_MATTERS: a named int bitfield gives the struct
        # the alignment of int.
        "pcc_bitfield_type_matters": named[1] == int_field_align and int_field_align > 1,
        # targetm.align_anon_bitfield: unnamed bitfields do that too.
        "align_anon_bitfield": unnamed[1] == int_field_align and int_field_align > 1,
        # EMPTY_FIELD_BOUNDARY (bytes): where `int :0` moves the next member
        # on targets whose bitfield types do not matter.
        "empty_field_boundary": zero[2],
        # STRUCTURE_SIZE_BOUNDARY (bytes): the least alignment of any struct.
        "structure_size_boundary": one[1],
        "size_type": macro_value(defs, "__SIZE_TYPE__"),
        "ptrdiff_type": macro_value(defs, "__PTRDIFF_TYPE__"),
        "wchar_type": macro_value(defs, "__WCHAR_TYPE__"),
        "types": types,
    }
    return record, defs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args(argv)
    records = {}
    macro_files = {}
    with tempfile.TemporaryDirectory() as workdir:
        for entry in CONTRACT:
            record, defs = probe(entry, workdir)
            records[entry[0]] = record
            macro_files[entry[0]] = "\n".join(defs) + "\n"
    text = json.dumps(records, indent=1, sort_keys=False) + "\n"
    target = os.path.join(DATA, "abis.json")
    if args.check:
        stale = []
        with open(target) as fh:
            if fh.read() != text:
                stale.append(target)
        for name, body in macro_files.items():
            path = os.path.join(DATA, "macros", f"{name}.h")
            with open(path) as fh:
                if fh.read() != body:
                    stale.append(path)
        if stale:
            print("stale:", *stale, sep="\n  ")
            return 1
        print(f"up to date: {len(records)} ABIs")
        return 0
    os.makedirs(os.path.join(DATA, "macros"), exist_ok=True)
    with open(target, "w") as fh:
        fh.write(text)
    for name, body in macro_files.items():
        with open(os.path.join(DATA, "macros", f"{name}.h"), "w") as fh:
            fh.write(body)
    print(f"wrote {target} and {len(macro_files)} macro files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
