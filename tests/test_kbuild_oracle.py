"""The kbuild oracle: GCC's DWARF read back as layouts, and kernel builds.

The DWARF reader (``oracle/dwarf.py``) is held to the question oracle
(``oracle/gcc.ask_gcc``: offsetof, sizeof and bitfield byte images) on the
same header compiled by the same GCC: generated structs on every ABI, in
each DWARF form GCC writes (DWARF 5's data_bit_offset, the DWARF 2 form
of unions and of ``-gdwarf-4``, and ``-gdwarf-2 -gstrict-dwarf``'s location
expressions), and a handful of bitfields whose DWARF 2 storage unit starts
before the struct or union.

The kbuild side builds real modules on a configured kernel tree
(tools/fetch_kernel_trees.py puts them under /var/cache/layoutcheck/kernels,
or $LAYOUTCHECK_KERNEL_TREES): on amd64 it must run where oracles are
required; the other flavours run when their tree is there.
"""

from __future__ import annotations

import subprocess

import pytest

import layoutcheck as lc
from layoutcheck.abi import all_abis, get_abi
from layoutcheck.errors import LayoutError
from layoutcheck.oracle.dwarf import dwarf_records
from layoutcheck.oracle.gcc import ask_gcc
from layoutcheck.oracle.generate import generate
from layoutcheck.oracle.kbuild import (
    DEFAULT_FLAVOURS, KERNEL_TARGETS, build_module, check_header_name, compare_kernel,
    find_kernel_tree, kernel_answers, module_source,
)
from layoutcheck.oracle.objfile import ObjectFile

from .conftest import need_compiler, oracles_required, record

# The DWARF forms GCC 12 writes: 5 (its default), 4, and strict 2.
DWARF_FLAGS = {"dwarf5": ["-g"], "dwarf4": ["-gdwarf-4"],
               "dwarf2": ["-gdwarf-2", "-gstrict-dwarf"]}

# Bitfields whose DWARF 2 "containing object" GCC puts before the struct
# (a negative DW_AT_data_member_location) or before the union (where the
# location is not written at all), packed and over-wide ones, in structs
# and unions nested both ways, a _Bool and an enum bitfield, zero-length
# and flexible arrays.
TRICKY = """
enum small { S_A, S_B = 3 };
typedef long long ll2 __attribute__((aligned(2)));
typedef unsigned int ui1 __attribute__((aligned(1)));
struct __attribute__((packed)) before { ll2 a : 8; int b : 3; char c; ui1 d : 7; ll2 e : 9; };
union __attribute__((packed)) pu {
    ll2 f : 8;
    unsigned int g : 7 __attribute__((aligned(1)));
    long long h : 33;
    ui1 i : 5;
    char c;
};
union plain_u { int u1 : 5; unsigned long long u2 : 45; short s; };
struct outer {
    char x;
    union { int a1 : 5; long long a2 : 33; struct { char y; short z : 4; }; };
    struct before n;
    union pu p[2];
    union pu q;
    _Bool flag : 1;
    enum small e : 2;
    unsigned char zero[0];
};
struct flex { int n; struct { short k : 3; } in; int f[]; };
"""


def _dwarf_of(abi, src, path: str, gflags, tmp_path) -> dict:
    """``path`` compiled by the ABI's GCC with the oracle's flags and
    ``gflags``, every type described, and its DWARF read back."""
    obj = str(tmp_path / f"dwarf-{abi.name}.o")
    cmd = list(abi.oracle) + src.flags(abi) + list(gflags) + [
        "-fno-eliminate-unused-debug-types", "-c", "-w", "-O0", "-x", "c", "-std=gnu11",
        "-o", obj, path]
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return dwarf_records(obj)


def _dwarf_vs_questions(abi_name: str, text: str, gflags, tmp_path, label: str):
    """(structs, members) compared; fails on any difference between the
    DWARF reader and the question oracle for the same header."""
    abi = get_abi(abi_name)
    need_compiler(abi)
    header = tmp_path / (label.replace(" ", "-") + ".h")
    header.write_text(text)
    prog = lc.load(str(header), abis=[abi_name])
    layouts = prog.layouts(None, [abi])
    src = prog.oracle_source()
    answers = ask_gcc(abi, src, layouts)
    records = _dwarf_of(abi, src, str(header), gflags, tmp_path)
    problems = []
    asked = {(o.kind, o.name) for o in answers}
    for key in sorted(asked ^ set(records)):
        problems.append(f"{key}: in DWARF {key in records}, asked {key in asked}")
    members = 0
    for lay, orc in zip(layouts, answers, strict=True):
        rec = records.get((orc.kind, orc.name))
        if rec is None:
            continue
        if rec["size"] != orc.size:
            problems.append(f"{orc.kind} {orc.name}: size DWARF {rec['size']} != {orc.size}")
        theirs = {p: (m.offset, m.size, m.mask) for p, m in orc.members.items()}
        for path in list(rec["members"]) + [p for p in theirs if p not in rec["members"]]:
            members += 1
            if rec["members"].get(path) != theirs.get(path):
                problems.append(f"{orc.kind} {orc.name}.{path}: DWARF {rec['members'].get(path)}"
                                f" != questions {theirs.get(path)}")
        widths = {m.path: m.bit_size for m in lay.members if m.is_bitfield}
        if rec["bit_sizes"] != widths:
            problems.append(f"{orc.kind} {orc.name}: bitfield widths {rec['bit_sizes']} "
                            f"!= {widths}")
    assert not problems, f"{abi_name} {label}:\n" + "\n".join(problems[:20])
    record(f"DWARF reader vs GCC questions ({label})", len(records), members)
    return len(records), members


@pytest.mark.oracle
@pytest.mark.parametrize("form", sorted(DWARF_FLAGS))
@pytest.mark.parametrize("abi_name", [a.name for a in all_abis()])
def test_dwarf_reader_equals_question_oracle_on_generated_structs(abi_name, form, tmp_path):
    seed = 3000 + sorted(DWARF_FLAGS).index(form)
    structs, members = _dwarf_vs_questions(abi_name, generate(seed, 30), DWARF_FLAGS[form],
                                           tmp_path, f"generated {form}")
    assert structs >= 30 and members >= 300


@pytest.mark.oracle
@pytest.mark.parametrize("form", sorted(DWARF_FLAGS))
@pytest.mark.parametrize("abi_name", ["x86_64", "i386", "aarch64", "arm", "ppc64", "ppc64le",
                                      "s390x", "mips", "mipsel", "mips64el", "sparc64", "sh4"])
def test_dwarf_reader_bitfields_before_their_struct_or_union(abi_name, form, tmp_path):
    structs, members = _dwarf_vs_questions(abi_name, TRICKY, DWARF_FLAGS[form], tmp_path,
                                           f"tricky bitfields {form}")
    assert structs == 5 and members >= 30


@pytest.mark.oracle
def test_dwarf_reader_numbers_big_endian_bits_from_the_top(tmp_path):
    """The masks themselves, not only agreement: bit 0 of a big-endian
    struct is the most significant bit of its first byte."""
    abi = get_abi("s390x")
    need_compiler(abi)
    src = tmp_path / "be.c"
    src.write_text("struct be { char c; int a : 3; unsigned b : 13; };\n"
                   "union ube { int a : 3; unsigned long long b : 45; };\n")
    obj = tmp_path / "be.o"
    subprocess.run(list(abi.oracle) + ["-g", "-fno-eliminate-unused-debug-types", "-c",
                                       "-o", str(obj), str(src)],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True)
    recs = dwarf_records(str(obj))
    be, ube = recs[("struct", "be")]["members"], recs[("union", "ube")]["members"]
    assert be["a"] == (1, 1, bytes([0xE0]))
    assert be["b"] == (1, 2, bytes([0x1F, 0xFF]))
    assert ube["a"] == (0, 1, bytes([0xE0]))
    assert ube["b"] == (0, 6, bytes([0xFF] * 5 + [0xF8]))
    assert recs[("struct", "be")]["bit_sizes"] == {"a": 3, "b": 13}
    assert recs[("struct", "be")]["file"] == str(src)


# ------------------------------------------------------------- validation
@pytest.mark.parametrize("name", ["linux/mm_types.h", "asm/page.h", "linux/netfilter/x_tables.h",
                                  "uapi/linux/if_ether.h", "linux/sched.h",
                                  "generated/autoconf.h", "linux/c++.h"])
def test_header_names_that_are_plain_include_names_are_accepted(name):
    assert check_header_name(name) == name


@pytest.mark.parametrize("name", [
    "../linux/fs.h", "linux/../../../etc/passwd", "/etc/passwd", "-include/x.h",
    "linux/-x.h", 'linux/fs.h"', "linux/fs.h>", "<linux/fs.h>", "linux fs.h", "linux/fs.h\n",
    "linux\\fs.h", "", "linux//fs.h", "./linux/fs.h", "linux/", "linux/$(shell id).h",
    "linux/fs.h;id", "x" * 300, None, 7])
def test_header_names_that_are_not_plain_include_names_are_refused(name):
    with pytest.raises(LayoutError):
        check_header_name(name)


def test_module_source_includes_the_headers_then_undefs_the_question_names():
    text = module_source(["linux/types.h"], "const unsigned long long q[] = { sizeof(struct page) };\n")
    assert text.index("#include <linux/types.h>") < text.index("#undef page")
    assert "#undef sizeof" in text and "#undef defined" not in text
    with pytest.raises(LayoutError):
        module_source(["../etc/passwd"])


def _fake_tree(root, name):
    tree = root / name
    tree.mkdir()
    (tree / "Makefile").write_text("all:\n")
    (tree / ".config").write_text("# Linux/x86 6.1.0 Kernel Configuration\nCONFIG_X86_64=y\n")
    return tree


@pytest.mark.parametrize("name", ["with space", "dollar$(x)", "colon:x", "semi;colon", "quote'x"])
def test_tree_paths_kbuild_cannot_carry_safely_are_refused(name, tmp_path):
    tree = _fake_tree(tmp_path, name)
    with pytest.raises(LayoutError, match="kbuild needs a path"):
        build_module(str(tree), ["linux/types.h"], "", "x86", "", str(tmp_path), cc="gcc")


def test_a_directory_that_is_not_a_configured_tree_is_refused(tmp_path):
    with pytest.raises(LayoutError, match="not a configured kernel tree"):
        build_module(str(tmp_path), ["linux/types.h"], "", "x86", "", str(tmp_path), cc="gcc")


@pytest.mark.parametrize("arch, cross, cc", [
    ("x86 V=1", "", "gcc"), ("x86", "--eval=x", "gcc"), ("x86", "aarch64-linux-gnu", "gcc"),
    ("x86", "", "-fplugin=x.so"), ("x86", "", "gcc;id"), ("$(shell id)", "", "gcc")])
def test_make_variables_that_are_not_plain_names_are_refused(arch, cross, cc, tmp_path):
    tree = _fake_tree(tmp_path, "tree")
    with pytest.raises(LayoutError):
        build_module(str(tree), ["linux/types.h"], "", arch, cross, str(tmp_path), cc=cc)


def test_the_target_table_names_an_abi_for_every_default_flavour():
    abis = {f: t.abi for t in KERNEL_TARGETS for f in t.flavours}
    assert [abis[f] for f in DEFAULT_FLAVOURS] == [
        "x86_64", "i386", "aarch64", "arm", "ppc64le", "s390x", "mips64el", "mipsel"]
    for t in KERNEL_TARGETS:
        get_abi(t.abi)


# -------------------------------------------------------- kernel builds
def _tree(flavour: str, required: bool) -> str:
    tree = find_kernel_tree(flavour)
    if tree is None:
        message = (f"no configured {flavour} kernel tree (tools/fetch_kernel_trees.py "
                   f"fetches it{', or apt-get install linux-headers-amd64' if flavour == 'amd64' else ''})")
        if required and oracles_required():
            pytest.fail(message)
        pytest.skip(message)
    return tree


def _abi_of_flavour(flavour: str) -> str:
    return next(t.abi for t in KERNEL_TARGETS if flavour in t.flavours)


@pytest.mark.oracle
@pytest.mark.parametrize("flavour", DEFAULT_FLAVOURS)
def test_kbuild_builds_a_tiny_module(flavour):
    tree = _tree(flavour, required=flavour == "amd64")
    abi = get_abi(_abi_of_flavour(flavour))
    answers = kernel_answers(tree, ["linux/types.h"])
    assert answers.abi == abi.name
    ptr = abi.pointer_size
    head = answers.records[("struct", "list_head")]
    assert (head["size"], head["align"]) == (2 * ptr, ptr)
    assert head["members"] == {"next": (0, ptr, b"\xff" * ptr), "prev": (ptr, ptr, b"\xff" * ptr)}
    assert head["file"].endswith("include/linux/types.h")
    assert ("struct", "hlist_node") in answers.records
    record(f"kbuild tiny module ({flavour})", len(answers.records), answers.member_count)


@pytest.mark.oracle
def test_kbuild_reports_the_compiler_error_for_a_missing_header(tmp_path):
    tree = _tree("amd64", required=True)
    with pytest.raises(LayoutError, match="no-such-header.h"):
        build_module(tree, ["linux/no-such-header.h"], "", workdir=str(tmp_path))


@pytest.mark.oracle
def test_compare_kernel_finds_presence_size_and_member_differences():
    """Engine layouts of a hand-written struct list_head against the
    kernel's: equal when written right, every difference named when not."""
    tree = _tree("amd64", required=True)
    answers = kernel_answers(tree, ["linux/types.h"])
    right = lc.load("struct list_head { struct list_head *next, *prev; };",
                    abis=["x86_64"], filename="right.h").layouts()
    report = compare_kernel(answers, right)
    assert report.structs["x86_64"] == len(answers.records)
    about_head = [m for m in report.mismatches if m.struct == "struct list_head"]
    assert about_head == []
    absent = {m.struct for m in report.mismatches if m.what == "presence"}
    assert absent == {f"{k} {t}" for k, t in answers.records if t != "list_head"}

    wrong = lc.load("struct list_head { void *next; int prev; long extra; };\n"
                    "struct not_in_kernel { int x; };", abis=["x86_64"],
                    filename="wrong.h").layouts()
    report = compare_kernel(answers, wrong)
    found = {(m.struct, m.what) for m in report.mismatches}
    assert ("struct list_head", "prev") in found
    assert ("struct list_head", "extra") in found
    assert ("struct not_in_kernel", "presence") in found
    # other ABIs' layouts are not this tree's business
    other = lc.load("struct list_head { int x; };", abis=["aarch64"], filename="o.h").layouts()
    assert not [m for m in compare_kernel(answers, other).mismatches
                if m.struct == "struct list_head" and m.what != "presence"]


def _member_questions(records):
    """offsetof/sizeof of every plain member and a byte image of every
    bitfield, for the records DWARF listed; and what each symbol answers."""
    out, answers = [], {}
    for i, ((kind, tag), rec) in enumerate(records.items()):
        name = f"{kind} {tag}"
        plain = [p for p in rec["members"] if p not in rec["bit_sizes"]]
        items = []
        for path in plain:
            items.append(f"__builtin_offsetof({name}, {path})")
            items.append("0" if rec["members"][path][1] == 0 else f"sizeof((({name} *)0)->{path})")
        if items:
            out.append(f"const unsigned long long __lc_m{i}[] = {{ {', '.join(items)} }};\n")
            answers[f"__lc_m{i}"] = ("plain", (kind, tag), plain)
        for j, path in enumerate(rec["bit_sizes"]):
            sym = f"__lc_b{i}_{j}"
            out.append(f"const union {{ {name} s; unsigned char b[sizeof({name})]; }} "
                       f"{sym} = {{ .s.{path} = -1 }};\n")
            answers[sym] = ("bits", (kind, tag), path)
    return "".join(out), answers


@pytest.mark.oracle
@pytest.mark.slow
def test_dwarf_reader_equals_questions_in_the_kernel_build(tmp_path):
    """On a real kernel build (kernel flags, kernel headers): the DWARF
    reader's every member equals offsetof/sizeof/bitfield images asked in
    the same kind of module."""
    tree = _tree("amd64", required=True)
    headers = ["linux/mm_types.h", "linux/skbuff.h"]
    records = dwarf_records(build_module(tree, headers, "", workdir=str(tmp_path)))
    questions, answers = _member_questions(records)
    image = ObjectFile.from_path(build_module(tree, headers, questions, workdir=str(tmp_path)))
    problems, compared = [], 0
    for sym, (what, key, arg) in answers.items():
        members = records[key]["members"]
        if what == "plain":
            values = image.u64_array(sym)
            for k, path in enumerate(arg):
                offset, size = values[2 * k], values[2 * k + 1]
                compared += 1
                if members[path] != (offset, size, b"\xff" * size):
                    problems.append(f"{key} {path}: DWARF {members[path]} != {offset}, {size}")
        else:
            data = image.symbol(sym)
            set_bytes = [i for i, b in enumerate(data) if b]
            got = (set_bytes[0], set_bytes[-1] - set_bytes[0] + 1,
                   bytes(data[set_bytes[0]:set_bytes[-1] + 1]))
            compared += 1
            if members[arg] != got:
                problems.append(f"{key} {arg}: DWARF {members[arg]} != image {got}")
    assert not problems, "\n".join(problems[:20])
    assert len(records) > 400 and compared > 6000
    record("DWARF reader vs questions (amd64 kernel build)", len(records), compared)


def test_trees_dir_comes_from_the_environment(tmp_path, monkeypatch):
    tree = _fake_tree(tmp_path, "arm64")
    monkeypatch.setenv("LAYOUTCHECK_KERNEL_TREES", str(tmp_path))
    assert find_kernel_tree("arm64") == str(tree)
    with pytest.raises(LayoutError):
        find_kernel_tree("../etc")
