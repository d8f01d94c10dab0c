"""The kernel's own build as the oracle for kernel headers.

A configured kernel tree (Debian's ``linux-headers-<version>-<flavour>``)
knows exactly how the kernel compiles: its compiler, its ``-m`` and ``-f``
flags, its generated headers and its config.  ``build_module`` writes the
headers (and generated questions) as a one-file external module and has
the tree's own kbuild compile it::

    make -C TREE M=MODULE ARCH=... CROSS_COMPILE=... CC=... layoutcheck_q.o

(with ``-f COMMON/Makefile`` for Debian's split trees, whose source tree ``kernel.KernelTree`` finds),
adding ``-g`` and flags that change only the debug information, never a
layout: ``-fno-eliminate-unused-debug-types`` (every type of the
translation unit is described, used or not), ``-femit-struct-debug-detailed=any``
and ``-gno-split-dwarf -gz=none`` (undoing what a tree configured with
``DEBUG_INFO_REDUCED``, ``_SPLIT`` or ``_COMPRESSED`` would do).  Only the
object is built: no modpost, no ``.ko``.

``kernel_answers`` reads every tagged struct and union from the object's
DWARF (``dwarf.dwarf_records``) and their alignment, which DWARF does not
record, from ``_Alignof`` questions compiled the same way; ``verify_kernel``
compares the engine's layouts with that.

Nothing from the input reaches ``make`` unchecked: header names must be
plain relative include names, paths and make variables a plain character
set (kbuild pastes them unquoted into shell commands), and make runs with
no standard input, a time limit and a small environment of its own (the
caller's ``ARCH``, ``CROSS_COMPILE``, ``KCFLAGS``, ``MAKEFLAGS`` or Debian's
``DEB_*_ARCH`` never reach it).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ..abi import get_abi
from ..errors import LayoutError, first_error_line
from ..kernel import check_header_name, open_tree
from .dwarf import RecordKey, dwarf_records
from .gcc import Mismatch, OracleLayout, OracleMember, OracleMissing, compare
from .objfile import ObjectFile

BUILD_TIMEOUT = 300  # seconds for one module build
MODULE_NAME = "layoutcheck_q"

# What kbuild is asked to add: debug information, complete and in the
# object itself.  None of these changes a layout.
DEBUG_FLAGS = ("-g", "-gno-split-dwarf", "-gz=none", "-femit-struct-debug-detailed=any",
               "-fno-eliminate-unused-debug-types")

# Where the default trees live (tools/fetch_kernel_trees.py unpacks them):
# one directory per Debian flavour.
DEFAULT_TREES_DIR = "/var/cache/layoutcheck/kernels"
TREES_ENV = "LAYOUTCHECK_KERNEL_TREES"


# ----------------------------------------------------------------- targets
@dataclass(frozen=True)
class KernelTarget:
    """How to build for one kind of kernel tree.

    A tree is matched by its ``ARCH`` and ABI, as ``kernel.KernelTree``
    reads them (``mips`` is both mips64r2el and 4kc-malta).  ``triples`` are the
    GNU triples whose GCC builds it, in order of preference: the host's own
    (``CROSS_COMPILE`` empty) when it is one of them, else the first one
    installed as ``TRIPLE-gcc``."""

    arch: str  # the kernel's ARCH
    abi: str  # layoutcheck's ABI name (CONTRACT.md)
    triples: Tuple[str, ...]
    flavours: Tuple[str, ...]  # Debian's linux-headers flavours of this kind


KERNEL_TARGETS: Tuple[KernelTarget, ...] = (
    KernelTarget("x86", "x86_64", ("x86_64-linux-gnu",), ("amd64",)),
    # arch/x86/Makefile adds -m32 for a 32-bit config: the 64-bit GCC builds it
    KernelTarget("x86", "i386", ("x86_64-linux-gnu", "i686-linux-gnu"),
                 ("686-pae", "686")),
    KernelTarget("arm64", "aarch64", ("aarch64-linux-gnu",), ("arm64",)),
    KernelTarget("arm", "arm", ("arm-linux-gnueabihf",), ("armmp", "armmp-lpae")),
    KernelTarget("powerpc", "ppc64le",
                 ("powerpc64le-linux-gnu",), ("powerpc64le",)),
    KernelTarget("s390", "s390x", ("s390x-linux-gnu",), ("s390x",)),
    KernelTarget("mips", "mips64el",
                 ("mips64el-linux-gnuabi64",), ("mips64r2el",)),
    KernelTarget("mips", "mipsel",
                 ("mipsel-linux-gnu",), ("4kc-malta",)),
)

# Debian's flavours of the trees the acceptance checks use, in this order.
DEFAULT_FLAVOURS = ("amd64", "686-pae", "arm64", "armmp", "powerpc64le", "s390x",
                    "mips64r2el", "4kc-malta")


@dataclass(frozen=True)
class Toolchain:
    """The make variables one tree is built with."""

    target: KernelTarget
    arch: str
    cross_compile: str
    cc: str

    def make_vars(self) -> List[str]:
        return [f"ARCH={self.arch}", f"CROSS_COMPILE={self.cross_compile}", f"CC={self.cc}"]


# ------------------------------------------------------------- validation
# What kbuild can carry in a path or a variable: it pastes them, unquoted,
# into make rules and shell commands.
_MAKE_SAFE = re.compile(r"[A-Za-z0-9_./+@,-]+\Z")
_ARCH = re.compile(r"[a-z0-9_]+\Z")
_CROSS = re.compile(r"(?:[A-Za-z0-9_.+]+-)*\Z")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _make_path(path: str, what: str) -> str:
    """``path`` as an absolute path kbuild can use safely."""
    path = os.path.abspath(os.fspath(path))
    if not _MAKE_SAFE.match(path):
        raise LayoutError(f"{what} {path!r}: kbuild needs a path of letters, digits and "
                          f"'_./+@,-' only (no blanks, quotes, '$', ':' or the like)")
    return path


def check_tree(tree_dir: str) -> str:
    """The absolute path of a configured kernel tree (a directory with a
    Makefile and a .config), else LayoutError."""
    tree = _make_path(tree_dir, "kernel tree")
    for name in ("Makefile", ".config"):
        if not os.path.isfile(os.path.join(tree, name)):
            raise LayoutError(f"{tree}: not a configured kernel tree (no {name})")
    return tree


# ------------------------------------------------------------ tree facts
def kernel_target(tree_dir: str) -> KernelTarget:
    """The row of KERNEL_TARGETS for a tree's ARCH and ABI, as
    ``kernel.KernelTree`` reads them from the tree."""
    tree = open_tree(check_tree(tree_dir))
    for target in KERNEL_TARGETS:
        if (target.arch, target.abi) == (tree.arch, tree.abi):
            return target
    raise LayoutError(f"{tree_dir}: no kernel build known for ARCH={tree.arch} and ABI "
                      f"{tree.abi} (known: {', '.join(sorted({t.arch for t in KERNEL_TARGETS}))})")


def tree_abi(tree_dir: str) -> str:
    """The layoutcheck ABI a kernel tree is built for (``x86_64``, ...)."""
    return kernel_target(tree_dir).abi


@lru_cache(maxsize=None)
def _host_triple() -> Optional[str]:
    gcc = shutil.which("gcc")
    if gcc is None:
        return None
    try:
        proc = subprocess.run([gcc, "-dumpmachine"], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None


def _gcc_major(config: Dict[str, str]) -> Optional[int]:
    version = config.get("CONFIG_GCC_VERSION", "")
    return int(version) // 10000 if version.isdigit() and int(version) > 0 else None


def toolchain(tree_dir: str) -> Toolchain:
    """ARCH, CROSS_COMPILE and CC for a tree: the tree's ARCH, the host's
    GCC where it builds this target, else the target's cross GCC; the GCC
    of the version the tree was configured with (``gcc-12``) when installed,
    else plain ``gcc``.  OracleMissing when no GCC for it is installed."""
    tree = check_tree(tree_dir)
    target = kernel_target(tree)
    major = _gcc_major(open_tree(tree).config)
    prefixes = [""] if _host_triple() in target.triples else []
    prefixes += [f"{t}-" for t in target.triples]
    for prefix in prefixes:
        for cc in ([f"{prefix}gcc-{major}"] if major else []) + [f"{prefix}gcc"]:
            if shutil.which(cc):
                return Toolchain(target, target.arch, prefix, cc)
    raise OracleMissing(get_abi(target.abi))


# ------------------------------------------------------------------ build
def _undefs(questions_c: str) -> str:
    """#undef of every identifier the questions use: a kernel header's
    macros are still defined after its #include (the same guard as
    ``gcc.build_source``)."""
    names = sorted(set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", questions_c)) - {"defined"})
    return "".join(f"#undef {n}\n" for n in names)


def module_source(headers: Sequence[str], questions_c: str = "", keep_macros: bool = False) -> str:
    """The module's C file: the headers, then the questions.  The headers
    are read as built-in code reads them (``--kernel`` reads them so):
    kbuild defines MODULE for an external module, and a few headers
    declare types only when it is not defined (init.h's obs_kernel_param).
    The identifiers the questions use are #undef'd first (a header's macro
    named like a member), unless ``keep_macros``: questions about the
    headers' macros themselves."""
    lines = ["/* layoutcheck: kernel headers as an external module builds them */\n",
             "#undef MODULE\n"]
    lines += [f"#include <{check_header_name(h)}>\n" for h in headers]
    if questions_c:
        lines += ["\n/* layoutcheck oracle questions */\n",
                  "" if keep_macros else _undefs(questions_c), questions_c]
        if not questions_c.endswith("\n"):
            lines.append("\n")
    return "".join(lines)


def _clean_env(workdir: str) -> Dict[str, str]:
    """The environment make runs in: a search path and a locale, nothing
    that kbuild or Debian's tree Makefiles would read as configuration."""
    return {"PATH": os.environ.get("PATH") or "/usr/local/bin:/usr/bin:/bin",
            "HOME": workdir, "TMPDIR": workdir, "LC_ALL": "C", "LANG": "C"}


def _run_make(argv: List[str], env: Dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """make, with no standard input, in its own process group so that a
    timeout ends the compiler it started as well."""
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, text=True, errors="replace",
                                start_new_session=True)
    except OSError as exc:
        raise LayoutError(f"cannot run {argv[0]}: {exc.strerror}") from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise LayoutError(f"the kernel module build ran for more than {timeout:g} s") from None
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def build_module(tree_dir: str, headers: Sequence[str], questions_c: str = "",
                 arch: Optional[str] = None, cross_compile: Optional[str] = None,
                 workdir: Optional[str] = None, *, cc: Optional[str] = None,
                 timeout: float = BUILD_TIMEOUT, keep_macros: bool = False,
                 assembly: bool = False) -> str:
    """Compile ``headers`` and ``questions_c`` as an external module of the
    kernel tree ``tree_dir`` and return the path of the object (with
    ``assembly``, of the assembler text kbuild makes for it, as it makes
    bounds.s and asm-offsets.s: the way to read a value that is constant
    only once optimised).

    ``arch``, ``cross_compile`` and ``cc`` default to ``toolchain(tree_dir)``.
    The module is written to a new directory under ``workdir`` (a temporary
    directory when None: the caller then owns the object's directory, the
    one ``os.path.dirname`` of the result names)."""
    tree = check_tree(tree_dir)
    headers = [check_header_name(h) for h in headers]
    if not headers:
        raise LayoutError("build_module: no header to include")
    if arch is None or cross_compile is None or cc is None:
        chain = toolchain(tree)
        arch = chain.arch if arch is None else arch
        cross_compile = chain.cross_compile if cross_compile is None else cross_compile
        cc = chain.cc if cc is None else cc
    if not _ARCH.match(arch):
        raise LayoutError(f"ARCH {arch!r} is not a kernel architecture name")
    if not _CROSS.match(cross_compile):
        raise LayoutError(f"CROSS_COMPILE {cross_compile!r} is not a tool prefix such as "
                          f"aarch64-linux-gnu-")
    if not _MAKE_SAFE.match(cc) or cc.startswith("-"):
        raise LayoutError(f"CC {cc!r} is not a compiler name")
    make = shutil.which("make")
    if make is None:
        raise LayoutError("make is not installed (apt-get install make)")

    if workdir is None:
        workdir = tempfile.mkdtemp(prefix="layoutcheck-kbuild-")
    os.makedirs(workdir, exist_ok=True)
    moddir = _make_path(tempfile.mkdtemp(prefix="module-", dir=workdir), "module directory")
    with open(os.path.join(moddir, f"{MODULE_NAME}.c"), "w") as fh:
        fh.write(module_source(headers, questions_c, keep_macros))
    with open(os.path.join(moddir, "Kbuild"), "w") as fh:
        fh.write(f"obj-m := {MODULE_NAME}.o\nccflags-y := {' '.join(DEBUG_FLAGS)}\n")

    # Debian's split trees: make reads the source tree's Makefile, as
    # kbuild itself re-runs make (``make -C objtree -f srctree/Makefile``).
    kernel = open_tree(tree)
    srcmake = (_make_path(os.path.join(kernel.source_dir, "Makefile"),
                          "kernel source tree Makefile")
               if kernel.source_dir != kernel.build_dir else None)
    argv = [make, "-C", tree] + (["-f", srcmake] if srcmake else []) + [
        f"M={moddir}", f"ARCH={arch}", f"CROSS_COMPILE={cross_compile}", f"CC={cc}",
        f"{MODULE_NAME}.s" if assembly else f"{MODULE_NAME}.o"]
    proc = _run_make(argv, _clean_env(workdir), timeout)
    obj = os.path.join(moddir, f"{MODULE_NAME}.s" if assembly else f"{MODULE_NAME}.o")
    if proc.returncode != 0 or not os.path.isfile(obj):
        raise LayoutError(f"{tree}: the kernel build (ARCH={arch} CC={cc}) rejected the "
                          f"module: {first_error_line(proc.stderr, proc.stderr.strip()[-500:])}")
    return obj


# -------------------------------------------------------------- questions
def align_questions(keys: Iterable[RecordKey]) -> Tuple[str, Dict[str, RecordKey]]:
    """Per struct, ``{sizeof, _Alignof}`` as an ``unsigned long long``
    array; and the map symbol -> (kind, tag) it answers."""
    out: List[str] = []
    answers: Dict[str, RecordKey] = {}
    for i, (kind, tag) in enumerate(keys):
        if kind not in ("struct", "union") or not _IDENT.match(tag):
            raise LayoutError(f"cannot ask about {kind} {tag!r}")
        sym = f"__lc_k{i}"
        out.append(f"const unsigned long long {sym}[2] = "
                   f"{{ sizeof({kind} {tag}), _Alignof({kind} {tag}) }};\n")
        answers[sym] = (kind, tag)
    return "".join(out), answers


@dataclass
class KernelAnswers:
    """What GCC says, through the kernel's build, about the tagged structs
    and unions of some headers: ``records`` as ``dwarf.dwarf_records``
    gives them, each with its ``align`` (C11 ``_Alignof``) added."""

    tree: str
    abi: str
    toolchain: Toolchain
    records: Dict[RecordKey, dict] = field(default_factory=dict)
    build_seconds: float = 0.0  # both builds
    read_seconds: float = 0.0  # reading the DWARF

    @property
    def member_count(self) -> int:
        return sum(len(r["members"]) for r in self.records.values())

    def oracle_layout(self, key: RecordKey) -> OracleLayout:
        """One record in the form the question oracle answers in."""
        rec = self.records[key]
        lay = OracleLayout(key[0], key[1], rec["size"], rec["align"])
        for path, (offset, size, mask) in rec["members"].items():
            lay.members[path] = OracleMember(path, offset, size, mask)
        return lay


def kernel_answers(tree_dir: str, headers: Sequence[str], workdir: Optional[str] = None,
                   timeout: float = BUILD_TIMEOUT) -> KernelAnswers:
    """Build ``headers`` as a module of ``tree_dir`` and read every tagged
    struct and union GCC describes, with its alignment.

    Two builds: the first lists the types (DWARF), the second asks each
    one's ``_Alignof`` (and ``sizeof``, which must equal DWARF's: the two
    objects come from the same text and flags, so this ties each answer to
    its record)."""
    tree = check_tree(tree_dir)
    chain = toolchain(tree)
    own = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="layoutcheck-kbuild-")
    try:
        build = dict(arch=chain.arch, cross_compile=chain.cross_compile, workdir=workdir,
                     cc=chain.cc, timeout=timeout)
        start = time.monotonic()
        first = build_module(tree, headers, "", **build)
        built = time.monotonic()
        records = dwarf_records(first)
        read = time.monotonic() - built
        questions, answers = align_questions(records)
        second = build_module(tree, headers, questions, **build) if answers else None
        seconds = time.monotonic() - start - read
        if second is not None:
            objfile = ObjectFile.from_path(second)
            for sym, key in answers.items():
                size, align = objfile.u64_array(sym)
                if size != records[key]["size"]:
                    raise LayoutError(f"{key[0]} {key[1]}: sizeof is {size} but the DWARF "
                                      f"says {records[key]['size']} (a layoutcheck bug)")
                records[key]["align"] = align
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)
    return KernelAnswers(tree, chain.target.abi, chain, records, seconds, read)


# ----------------------------------------------------------------- verify
def _key_of(layout) -> Optional[RecordKey]:
    name = layout.name
    return None if not name or name.startswith("<") else (layout.kind, name)


def compare_kernel(answers: KernelAnswers, layouts: Sequence, report=None):
    """Compare the engine's ``layouts`` (those for the tree's ABI; others
    are ignored) with ``answers``: every struct and union both ways, size,
    alignment, and every member path both ways with offset, size and mask.
    Returns a ``verify.VerifyReport`` (``report``, if given, extended)."""
    from .verify import VerifyReport

    report = report if report is not None else VerifyReport()
    abi = answers.abi
    mine = {}
    for lay in layouts:
        key = _key_of(lay)
        if key is not None and lay.abi == abi:
            mine.setdefault(key, lay)
    items = structs = 0
    bad: List[Mismatch] = []
    for key in list(answers.records) + [k for k in mine if k not in answers.records]:
        name = f"{key[0]} {key[1]}"
        structs += 1
        rec = answers.records.get(key)
        lay = mine.get(key)
        if rec is None:  # laid out by the engine, unknown to GCC
            items += 1
            bad.append(Mismatch(abi, name, "presence", "defined", "absent"))
            continue
        if lay is None:  # described by GCC, missed by the engine
            items += 1
            where = f" at {rec['file']}:{rec['line']}" if rec.get("file") else ""
            bad.append(Mismatch(abi, name, "presence", "absent", f"defined{where}"))
            continue
        orc = answers.oracle_layout(key)
        n, found = compare(lay, orc)
        items += n
        bad.extend(found)
        listed = {m.path for m in lay.members}
        for path, member in orc.members.items():
            if path not in listed:
                items += 1
                bad.append(Mismatch(abi, name, path, "missing",
                                    f"offset {member.offset} size {member.size} "
                                    f"mask {member.mask.hex()}"))
    report.items[abi] = report.items.get(abi, 0) + items
    report.structs[abi] = report.structs.get(abi, 0) + structs
    report.mismatches.extend(bad)
    report.notes.append(
        f"{answers.tree}: {abi}: GCC's DWARF lists {len(answers.records)} structs and unions, "
        f"{answers.member_count} member paths (kernel build {answers.build_seconds:.1f} s, "
        f"DWARF read {answers.read_seconds:.1f} s)")
    return report


def verify_kernel(tree_dir: str, headers: Sequence[str], layouts: Sequence, *,
                  structs: Optional[Sequence[str]] = None,
                  workdir: Optional[str] = None, timeout: float = BUILD_TIMEOUT):
    """Hold the engine's ``layouts`` of ``headers`` for the tree's ABI to
    GCC as the kernel tree builds them (see ``compare_kernel``); with
    ``structs``, only the structs and unions of those names, on both sides.
    When the tree's compiler is not installed the report lists the ABI as
    missing."""
    from .verify import VerifyReport

    report = VerifyReport()
    try:
        answers = kernel_answers(tree_dir, headers, workdir=workdir, timeout=timeout)
    except OracleMissing as exc:
        report.missing.append(exc.abi)
        return report
    if structs:
        answers.records = {k: v for k, v in answers.records.items() if k[1] in structs}
    return compare_kernel(answers, layouts, report)


# ------------------------------------------------------------------ trees
def trees_dir() -> str:
    return os.environ.get(TREES_ENV) or DEFAULT_TREES_DIR


def _is_tree(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "Makefile")) and \
        os.path.isfile(os.path.join(path, ".config"))


def find_kernel_tree(flavour: str) -> Optional[str]:
    """A configured tree of a Debian flavour (``amd64``, ``arm64``, ...):
    ``$LAYOUTCHECK_KERNEL_TREES/<flavour>`` (default
    /var/cache/layoutcheck/kernels/<flavour>), or a linux-headers tree
    somewhere under it, or one installed natively in /usr/src; None if
    there is none."""
    if not re.match(r"[A-Za-z0-9][A-Za-z0-9_.+-]*\Z", flavour):
        raise LayoutError(f"{flavour!r} is not a kernel flavour name")
    base = os.path.join(trees_dir(), flavour)
    if _is_tree(base):
        return base
    candidates = []
    for root in (base, "/usr/src"):
        if not os.path.isdir(root):
            continue
        for dirpath, dirnames, _ in os.walk(root):
            for d in dirnames:
                if d.startswith("linux-headers-") and d.endswith(f"-{flavour}"):
                    path = os.path.join(dirpath, d)
                    if _is_tree(path):
                        candidates.append(path)
            if dirpath.count(os.sep) - root.count(os.sep) >= 3:
                dirnames[:] = []
        if candidates:
            return max(candidates, key=_version_key)
    return None


def _version_key(path: str) -> list:
    """linux-headers-6.1.0-57-amd64 after linux-headers-6.1.0-9-amd64."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", os.path.basename(path)) if part]
