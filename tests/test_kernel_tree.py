"""--kernel: a configured kernel tree read as its kbuild reads headers.

Without a compiler: how a tree is found (in-tree, O= and Debian's split
with the source tree's absolute path missing), which arch and ABI its
.config is, the data table's make semantics, header names, and what is
refused.  With the eight Debian 6.1 trees (tools/fetch_kernel_trees.py
puts them under /var/cache/layoutcheck/kernels, or
$LAYOUTCHECK_KERNEL_TREES): each one's ABI, and, building a module in the
tree with kbuild, that the macros layoutcheck's preprocessing defines equal
those of kbuild's command line (all of them: predefined, -D, autoconf.h,
the forced includes) and that ``linux/mm_types.h`` preprocesses to kbuild's
own ``-E`` text.  A tree that is missing is skipped, except where oracles
are required (CI), where it fails.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess

import pytest

from layoutcheck.abi import get_abi
from layoutcheck.cfront.preprocess import PPConfig, compile_flags
from layoutcheck.errors import LayoutError
from layoutcheck.kernel import KernelTree, _Evaluator, arch_table, open_tree
from layoutcheck.options import Options, open_program

from .conftest import need_compiler, oracles_required

TREES_ENV = "LAYOUTCHECK_KERNEL_TREES"
DEFAULT_TREES = "/var/cache/layoutcheck/kernels"

# Debian flavour -> the ABI its tree is built for.
DEBIAN_TREES = {
    "amd64": "x86_64", "arm64": "aarch64", "686-pae": "i386", "armmp": "arm",
    "powerpc64le": "ppc64le", "s390x": "s390x", "mips64r2el": "mips64el", "4kc-malta": "mipsel",
}

# The parts of a 6.1 top Makefile that KernelTree reads.
TOP_MAKEFILE = """\
VERSION = 6
PATCHLEVEL = 1
SUBLEVEL = 0
# Use USERINCLUDE when you must reference the UAPI directories only.
USERINCLUDE    := \\
\t\t-I$(srctree)/arch/$(SRCARCH)/include/uapi \\
\t\t-I$(objtree)/arch/$(SRCARCH)/include/generated/uapi \\
\t\t-I$(srctree)/include/uapi \\
\t\t-I$(objtree)/include/generated/uapi \\
                -include $(srctree)/include/linux/compiler-version.h \\
                -include $(srctree)/include/linux/kconfig.h
LINUXINCLUDE    := \\
\t\t-I$(srctree)/arch/$(SRCARCH)/include \\
\t\t-I$(objtree)/arch/$(SRCARCH)/include/generated \\
\t\t$(if $(building_out_of_srctree),-I$(srctree)/include) \\
\t\t-I$(objtree)/include \\
\t\t$(USERINCLUDE)
KBUILD_CFLAGS   := -Wall -Wundef -fno-strict-aliasing -fshort-wchar -fno-PIE \\
\t\t   -std=gnu11
KBUILD_CPPFLAGS := -D__KERNEL__
NOSTDINC_FLAGS += -nostdinc
KBUILD_CPPFLAGS += $(call cc-option,-fmacro-prefix-map=$(srctree)/=)
"""
MAKEFILE_LIB = "c_flags = -Wp,-MMD,$(depfile) $(NOSTDINC_FLAGS) $(LINUXINCLUDE) \\\n" \
               "\t\t -include $(srctree)/include/linux/compiler_types.h $(_c_flags)\n"


def _write(path, text: str = "") -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)


def _source_tree(root) -> str:
    src = os.path.join(root, "src")
    _write(os.path.join(src, "Makefile"), TOP_MAKEFILE)
    _write(os.path.join(src, "scripts", "Makefile.lib"), MAKEFILE_LIB)
    for name in ("compiler-version.h", "kconfig.h", "compiler_types.h", "mm_types.h"):
        _write(os.path.join(src, "include", "linux", name))
    _write(os.path.join(src, "arch", "x86", "include", "asm", "page.h"))
    return src


def _configure(build, config: str = "CONFIG_X86=y\nCONFIG_X86_64=y\nCONFIG_64BIT=y\n") -> None:
    _write(os.path.join(build, ".config"), config)
    _write(os.path.join(build, "include", "generated", "autoconf.h"), "#define CONFIG_X86 1\n")


def _split_tree(root, makefile_names: str) -> str:
    """A Debian-style build directory whose Makefile includes the source."""
    build = os.path.join(root, "linux-headers-9.9.9-1-amd64")
    _write(os.path.join(build, "Makefile"), f"include {makefile_names}\n")
    _configure(build)
    return build


# --- finding the tree -----------------------------------------------------

def test_debian_split_tree_follows_its_makefile_include(tmp_path):
    src = _source_tree(tmp_path)
    tree = KernelTree(_split_tree(tmp_path, f"{src}/Makefile"))
    assert tree.source_dir == src
    assert tree.build_dir == str(tmp_path / "linux-headers-9.9.9-1-amd64")
    # Source and build directories both, in kbuild's order.
    assert [d for _, d in tree.include_dirs] == [
        f"{src}/arch/x86/include", f"{tree.build_dir}/arch/x86/include/generated",
        f"{src}/include", f"{tree.build_dir}/include",
        f"{src}/arch/x86/include/uapi", f"{tree.build_dir}/arch/x86/include/generated/uapi",
        f"{src}/include/uapi", f"{tree.build_dir}/include/generated/uapi"]
    assert tree.forced_includes == [f"{src}/include/linux/{n}" for n in
                                    ("compiler-version.h", "kconfig.h", "compiler_types.h")]
    assert tree.defines["__KERNEL__"] == "1"
    assert tree.extra_flags[:2] == [f"-fmacro-prefix-map={src}/=", f"-fmacro-prefix-map={tree.build_dir}/=./"]
    assert {"-std=gnu11", "-fshort-wchar", "-fno-PIE", "-m64", "-mcmodel=kernel"} <= set(tree.extra_flags)
    assert tree.nostdinc and not tree.compiler_include


def test_a_missing_absolute_source_path_is_looked_for_beside_the_tree(tmp_path):
    common = tmp_path / "linux-headers-9.9.9-1-common"
    os.makedirs(common)
    _source_tree(tmp_path)
    os.rename(tmp_path / "src", common)
    build = _split_tree(tmp_path, "/nonexistent/usr/src/linux-headers-9.9.9-1-common/Makefile")
    assert KernelTree(build).source_dir == str(common)
    # ... also when the tree is reached through a symlink beside it.
    os.symlink(os.path.basename(build), tmp_path / "amd64")
    assert KernelTree(str(tmp_path / "amd64")).source_dir == str(common)


def test_a_source_tree_that_cannot_be_found_is_an_error(tmp_path):
    build = _split_tree(tmp_path, "/nonexistent/linux-headers-9.9.9-1-common/Makefile")
    with pytest.raises(LayoutError, match="cannot find the kernel source tree"):
        KernelTree(build)


def test_in_tree_build(tmp_path):
    src = _source_tree(tmp_path)
    _configure(src)
    tree = KernelTree(src)
    assert tree.source_dir == tree.build_dir == src
    dirs = [d for _, d in tree.include_dirs]
    assert dirs.count(f"{src}/include") == 1  # not building out of the source tree
    assert f"-fmacro-prefix-map={src}/=" in tree.extra_flags
    assert not any(f.endswith("=./") for f in tree.extra_flags)


def test_o_build_directory_with_a_source_link(tmp_path):
    src = _source_tree(tmp_path)
    build = tmp_path / "build"
    _write(str(build / "Makefile"), "# Automatically generated by ../src/Makefile: don't edit\n"
                                    "include ../src/Makefile\n")
    _configure(str(build))
    assert KernelTree(str(build)).source_dir == src
    os.remove(build / "Makefile")
    _write(str(build / "Makefile"), "include $(srctree)/Makefile\n")  # unreadable: use `source`
    os.symlink(src, build / "source")
    assert KernelTree(str(build)).source_dir == src


@pytest.mark.parametrize("missing, message", [(".config", "no .config"),
                                              ("include/generated/autoconf.h", "make prepare")])
def test_an_unconfigured_tree_is_refused(tmp_path, missing, message):
    src = _source_tree(tmp_path)
    _configure(src)
    os.remove(os.path.join(src, missing))
    with pytest.raises(LayoutError, match=message):
        KernelTree(src)


def test_kbuild_flags_naming_paths_outside_the_tree_are_refused(tmp_path):
    src = _source_tree(tmp_path)
    _configure(src)
    text = TOP_MAKEFILE.replace("-I$(objtree)/include \\", "-I/etc \\")
    _write(os.path.join(src, "Makefile"), text)
    with pytest.raises(LayoutError, match="outside the tree"):
        KernelTree(src)


def test_only_the_trees_own_macro_prefix_maps_reach_gcc(tmp_path):
    # kbuild's -fmacro-prefix-map is built from the tree's own directories;
    # any other (a path GCC would be given unchecked) is refused like every
    # flag outside the table's forms.
    src = _source_tree(tmp_path)
    _configure(src)
    tree = KernelTree(src)
    own = f"-fmacro-prefix-map={src}/="
    assert own in tree.extra_flags
    with pytest.raises(LayoutError, match="refusing the flag"):
        tree._take("-fmacro-prefix-map=/etc/=", src)
    assert tree.extra_flags.count(own) == 1


def test_a_tree_built_with_ms_extensions_is_refused(tmp_path):
    # there 'struct s;' (or a typedef of one) inside a struct is an
    # anonymous member of it, where plain GCC drops the declaration
    src = _source_tree(tmp_path)
    _configure(src)
    _write(os.path.join(src, "Makefile"), TOP_MAKEFILE + "KBUILD_CFLAGS += -fms-extensions\n")
    with pytest.raises(LayoutError, match="-fms-extensions, which layoutcheck does not model"):
        KernelTree(src)


# --- arch and ABI from .config --------------------------------------------

ARCH_CONFIGS = [
    ("CONFIG_X86 CONFIG_X86_64 CONFIG_64BIT", "x86", "x86_64"),
    ("CONFIG_X86 CONFIG_X86_32 CONFIG_M686", "x86", "i386"),
    ("CONFIG_ARM64 CONFIG_64BIT CONFIG_CPU_LITTLE_ENDIAN", "arm64", "aarch64"),
    ("CONFIG_ARM CONFIG_AEABI CONFIG_CPU_32v7 CONFIG_CPU_LITTLE_ENDIAN", "arm", "arm"),
    ("CONFIG_PPC CONFIG_PPC64 CONFIG_CPU_LITTLE_ENDIAN CONFIG_PPC64_ELF_ABI_V2", "powerpc", "ppc64le"),
    ("CONFIG_PPC CONFIG_PPC64 CONFIG_CPU_BIG_ENDIAN", "powerpc", "ppc64"),
    ("CONFIG_PPC CONFIG_PPC32 CONFIG_CPU_BIG_ENDIAN", "powerpc", "ppc"),
    ("CONFIG_S390 CONFIG_64BIT CONFIG_MARCH_Z10", "s390", "s390x"),
    ("CONFIG_MIPS CONFIG_64BIT CONFIG_CPU_LITTLE_ENDIAN CONFIG_CPU_MIPS64_R2", "mips", "mips64el"),
    ("CONFIG_MIPS CONFIG_32BIT CONFIG_CPU_LITTLE_ENDIAN CONFIG_CPU_MIPS32_R2", "mips", "mipsel"),
    ("CONFIG_MIPS CONFIG_32BIT CONFIG_CPU_BIG_ENDIAN CONFIG_CPU_MIPS32_R2", "mips", "mips"),
    ("CONFIG_RISCV CONFIG_ARCH_RV64I CONFIG_64BIT CONFIG_FPU CONFIG_RISCV_ISA_C", "riscv", "riscv64"),
    ("CONFIG_SPARC CONFIG_64BIT", "sparc", "sparc64"),
    ("CONFIG_M68K CONFIG_MMU CONFIG_M68040", "m68k", "m68k"),
    ("CONFIG_PARISC CONFIG_PA8X00", "parisc", "hppa"),
    ("CONFIG_SUPERH CONFIG_CPU_SH4 CONFIG_CPU_LITTLE_ENDIAN", "sh", "sh4"),
    ("CONFIG_ALPHA CONFIG_64BIT CONFIG_ALPHA_GENERIC", "alpha", "alpha"),
]


def _tree_with_config(tmp_path, symbols: str, extra: str = "") -> str:
    src = _source_tree(tmp_path)
    _configure(src, "".join(f"{s}=y\n" for s in symbols.split()) + extra)
    return src


@pytest.mark.parametrize("symbols, srcarch, abi", ARCH_CONFIGS)
def test_arch_and_abi_come_from_the_config(tmp_path, symbols, srcarch, abi):
    tree = KernelTree(_tree_with_config(tmp_path, symbols, 'CONFIG_PAGE_OFFSET=0xff60000000000000\n'))
    assert (tree.srcarch, tree.abi) == (srcarch, abi)
    assert get_abi(tree.abi).name == abi
    assert tree.make_args()[-2:] == [f"ARCH={tree.arch}", f"CROSS_COMPILE={tree.cross_compile}"]


@pytest.mark.parametrize("symbols", [
    "CONFIG_ARM CONFIG_AEABI CONFIG_CPU_BIG_ENDIAN",  # no big-endian arm ABI
    "CONFIG_MIPS CONFIG_64BIT CONFIG_CPU_BIG_ENDIAN",  # no mips64 (big-endian) ABI
    "CONFIG_PARISC CONFIG_64BIT",  # no 64-bit hppa ABI
    "CONFIG_IA64 CONFIG_64BIT",  # no such arch
])
def test_a_kernel_no_abi_matches_is_refused(tmp_path, symbols):
    with pytest.raises(LayoutError, match="no layoutcheck ABI matches|no architecture layoutcheck knows"):
        KernelTree(_tree_with_config(tmp_path, symbols))


def test_arm_flags_follow_the_cpu_architecture(tmp_path):
    tree = KernelTree(_tree_with_config(
        tmp_path, "CONFIG_ARM CONFIG_AEABI CONFIG_CPU_32v6K CONFIG_CPU_32v7 CONFIG_CPU_LITTLE_ENDIAN"))
    assert tree.defines["__LINUX_ARM_ARCH__"] == "7"
    assert "-march=armv7-a" in tree.extra_flags and "-marm" in tree.extra_flags
    assert tree.undefs == ["arm"]


def test_mips_flags_come_from_the_platform_files(tmp_path):
    src = _tree_with_config(tmp_path, "CONFIG_MIPS CONFIG_32BIT CONFIG_CPU_LITTLE_ENDIAN "
                                      "CONFIG_CPU_MIPS32_R2 CONFIG_MIPS_MALTA")
    _write(os.path.join(src, "arch", "mips", "Kbuild.platforms"),
           "platform-$(CONFIG_MIPS_MALTA)\t\t+= mti-malta/\nplatform-$(CONFIG_SGI_IP22) += sgi-ip22/\n")
    _write(os.path.join(src, "arch", "mips", "mti-malta", "Platform"),
           "cflags-$(CONFIG_MIPS_MALTA)\t+= -I$(srctree)/arch/mips/include/asm/mach-malta\n"
           "load-$(CONFIG_MIPS_MALTA)\t+= 0xffffffff80100000\n")
    tree = KernelTree(src)
    assert tree.abi == "mipsel"
    assert tree.defines["VMLINUX_LOAD_ADDRESS"] == "0xffffffff80100000"
    assert tree.defines["LINKER_LOAD_ADDRESS"] == "0x80100000"  # 32-bit: the low half
    assert "KBUILD_64BIT_SYM32" not in tree.defines
    assert [d for _, d in tree.include_dirs][-2:] == [f"{src}/arch/mips/include/asm/mach-malta",
                                                     f"{src}/arch/mips/include/asm/mach-generic"]
    assert {"-mabi=32", "-march=mips32r2", "-EL", "-msoft-float"} <= set(tree.extra_flags)


def test_a_config_value_that_is_not_a_plain_word_never_reaches_a_flag(tmp_path):
    src = _tree_with_config(tmp_path, "CONFIG_PPC CONFIG_PPC64 CONFIG_CPU_LITTLE_ENDIAN CONFIG_TARGET_CPU_BOOL",
                            'CONFIG_TARGET_CPU="power8 -fplugin=/tmp/x.so"\n')
    with pytest.raises(LayoutError, match="CONFIG_TARGET_CPU"):
        KernelTree(src)


@pytest.mark.oracle
@pytest.mark.parametrize("symbols, srcarch, abi", ARCH_CONFIGS)
def test_each_arch_gcc_takes_the_flags_of_its_table_entry(tmp_path, symbols, srcarch, abi):
    """The arches without a Debian tree to build in: at least their GCC
    accepts what the table says kbuild passes, and the target stays the
    ABI's (the same pointer size and byte order)."""
    need_compiler(get_abi(abi))
    tree = KernelTree(_tree_with_config(tmp_path, symbols, "CONFIG_PAGE_OFFSET=0xff60000000000000\n"
                                                           "CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE=y\n"))
    target = get_abi(tree.abi)
    flags = compile_flags(target, PPConfig.make(kernel=tree), {}) + tree.module_flags
    macros = _macros(list(target.oracle) + ["-E", "-dM", "-x", "c"] + flags + [os.devnull])
    assert macros["__SIZEOF_POINTER__"] == str(target.pointer_size)
    order = "__ORDER_BIG_ENDIAN__" if target.big_endian else "__ORDER_LITTLE_ENDIAN__"
    assert macros["__BYTE_ORDER__"] == order
    assert macros["__KERNEL__"] == "1" and "__OPTIMIZE__" in macros


def test_table_values_follow_make():
    ev = _Evaluator({"CONFIG_A": "y", "CONFIG_B": "m", "CONFIG_S": '"power9"'}, "t")
    ev.assign("v", [{"set": "one"}, {"if": "CONFIG_A", "set": "{v} two"}, {"if": "CONFIG_C", "set": "no"}])
    assert ev.values["v"] == "one two"
    ev.assign("w", [{"if": ["CONFIG_A", "!CONFIG_B"], "set": "x"}, {"if": "CONFIG_B", "set": "{CONFIG_S}"}])
    assert ev.values["w"] == "power9"
    ev.values["load"] = "0xffffffff80100000"
    assert ev.holds("load>=0xffffffff80000000") and not ev.holds("load>=0xffffffff90000000")
    assert ev.render("{load|subst:0xffffffff:0x}") == "0x80100000"
    assert ev.flags([{"flags": ["{v}", "-D{w}=1"]}]) == ["one", "two", "-Dpower9=1"]


def test_every_table_entry_names_a_known_abi_and_plain_flags():
    flag = re.compile(r"-(?:[DU]\w+(?:=.*)?|I\$\(srctree\)/[\w/.-]+|[mf][\w.,+={}|:-]+|O\w?|g|E[LB])\Z|\{\w+\}\Z")
    table = arch_table()
    rules = list(table["kbuild"]["cflags"]) + list(table["kbuild"]["module"])
    for entry in table["arches"]:
        for choice in entry["abis"]:
            get_abi(choice["abi"])
        for key in ("cppflags", "cflags", "module"):
            rules += entry.get(key, [])
    for rule in rules:
        for f in rule["flags"]:
            assert flag.match(f), f


# --- header names ---------------------------------------------------------

def test_header_names(tmp_path):
    src = _source_tree(tmp_path)
    build = _split_tree(tmp_path, f"{src}/Makefile")
    tree = KernelTree(build)
    mm = os.path.join(src, "include", "linux", "mm_types.h")
    assert tree.resolve("linux/mm_types.h") == mm
    assert tree.resolve("include/linux/mm_types.h") == mm
    assert tree.resolve("asm/page.h") == os.path.join(src, "arch", "x86", "include", "asm", "page.h")
    assert tree.resolve("generated/autoconf.h") == os.path.join(build, "include", "generated", "autoconf.h")
    assert tree.resolve(mm) == mm
    with pytest.raises(LayoutError, match="no header linux/nope.h"):
        tree.resolve("linux/nope.h")


def test_kernel_abi_is_the_default_and_no_other_is_accepted(tmp_path, run_cli):
    src = _tree_with_config(tmp_path, "CONFIG_X86 CONFIG_X86_64 CONFIG_64BIT")
    assert Options.make(kernel=src).abis == ("x86_64",)
    assert Options.make(abis="x86_64", kernel=src).kernel == src
    for abis in ("all", "arm", ["x86_64", "i386"]):
        with pytest.raises(LayoutError, match="built for x86_64"):
            Options.make(abis=abis, kernel=src)
    code, _, err = run_cli("show", "--kernel", src, "linux/mm_types.h", "--abi", "arm")
    assert code == 2 and "built for x86_64" in err
    code, _, err = run_cli("show", "--kernel", src, "linux/mm_types.h", "--cpp", "python")
    assert code == 2 and "--kernel needs a real preprocessor" in err


# --- the eight Debian trees -----------------------------------------------

def trees_dir() -> str:
    return os.environ.get(TREES_ENV) or DEFAULT_TREES


def debian_tree(flavour: str) -> str:
    """DEST/<flavour> as tools/fetch_kernel_trees.py leaves it; skipped when
    missing, failed when oracles are required."""
    path = os.path.join(trees_dir(), flavour)
    if not os.path.isfile(os.path.join(path, ".config")):
        message = (f"no {flavour} kernel tree in {trees_dir()} "
                   f"(python tools/fetch_kernel_trees.py fetches the eight Debian trees)")
        if oracles_required():
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.mark.parametrize("flavour", DEBIAN_TREES)
def test_each_debian_tree_is_its_abi(flavour):
    tree = KernelTree(debian_tree(flavour))
    assert tree.abi == DEBIAN_TREES[flavour]
    common = os.path.basename(tree.source_dir)
    assert re.fullmatch(r"linux-headers-6\.1\.0-\d+-common", common)
    assert os.path.basename(os.path.realpath(tree.build_dir)) == common.replace("-common", f"-{flavour}")
    assert tree.resolve("linux/mm_types.h") == tree.resolve("include/linux/mm_types.h") == \
        os.path.join(tree.source_dir, "include", "linux", "mm_types.h")
    assert tree.resolve("asm/page.h").startswith(os.path.join(tree.source_dir, "arch", tree.srcarch))
    assert tree.forced_includes[-1].endswith("include/linux/compiler_types.h")


def _kbuild_module(tree: KernelTree, tmp_path) -> str:
    """Build an empty object and mm_types.h's -E text with kbuild in
    ``tree`` (V=1, so the commands are kept); returns the module dir."""
    need_compiler(get_abi(tree.abi))
    if shutil.which("make") is None:
        if oracles_required():
            pytest.fail("make is not installed")
        pytest.skip("make is not installed")
    if not os.path.isfile(os.path.join(tree.source_dir, "scripts", "Makefile.lib")):
        message = "linux-kbuild-6.1 is not installed (tools/fetch_kernel_trees.py installs it)"
        if oracles_required():
            pytest.fail(message)
        pytest.skip(message)
    mod = tmp_path / "mod"
    mod.mkdir()
    (mod / "Makefile").write_text("obj-m := empty.o mm.o\n")
    (mod / "empty.c").write_text("")
    # The text of a header as the kernel proper reads it: a module's own
    # macros are dropped before the header is included.
    (mod / "mm.c").write_text("#undef MODULE\n#undef KBUILD_MODNAME\n#undef KBUILD_BASENAME\n"
                              "#undef __KBUILD_MODNAME\n#include <linux/mm_types.h>\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(tmp_path)}
    proc = subprocess.run(["make", *tree.make_args(), f"M={mod}", "V=1", "empty.o", "mm.i"],
                          env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return str(mod)


def _kbuild_command(mod: str) -> list:
    """empty.o's compiler command, as kbuild saved it."""
    with open(os.path.join(mod, ".empty.o.cmd")) as fh:
        first = fh.readline()
    command = first.split(":=", 1)[1].split(" ; ")[0]
    return shlex.split(command)


def _macros(argv, cwd=None) -> dict:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = {}
    for line in proc.stdout.splitlines():
        if line.startswith("#define "):
            name, _, body = line[8:].partition(" ")
            out[name] = body
    return out


@pytest.mark.oracle
@pytest.mark.parametrize("flavour", DEBIAN_TREES)
def test_macros_equal_kbuilds(flavour, tmp_path):
    """Every macro defined after the forced includes (the compiler's own,
    kbuild's -D, autoconf.h's, compiler_types.h's) is the same, with the
    same body, under layoutcheck's flags (plus the module flags kbuild adds
    for a module) as under kbuild's command line for a module's object."""
    tree = KernelTree(debian_tree(flavour))
    mod = _kbuild_module(tree, tmp_path)
    argv = _kbuild_command(mod)
    kbuild, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "-o":
            i += 2
            continue
        if arg != "-c" and not arg.startswith(("-Wp,", "-DKBUILD_BASENAME=", "-DKBUILD_MODNAME=",
                                               "-D__KBUILD_MODNAME=")):
            kbuild.append(arg)
        i += 1
    source = kbuild.pop()
    assert source.endswith("empty.c")
    theirs = _macros(kbuild + ["-E", "-dM", source], cwd=tree.build_dir)
    abi = get_abi(tree.abi)
    flags = compile_flags(abi, PPConfig.make(kernel=tree), {}) + tree.module_flags
    ours = _macros(list(abi.oracle) + ["-E", "-dM", "-x", "c"] + flags + [source])
    assert len(theirs) > 4000
    differ = {n: (theirs.get(n), ours.get(n)) for n in set(theirs) | set(ours) if theirs.get(n) != ours.get(n)}
    assert differ == {}


def _tokens(text: str) -> list:
    """A preprocessed text without line markers or layout."""
    return " ".join(line for line in text.splitlines() if not re.match(r"#\s*\d+\s+\"", line)).split()


@pytest.mark.oracle
@pytest.mark.parametrize("flavour", DEBIAN_TREES)
def test_mm_types_preprocesses_as_kbuild_does(flavour, tmp_path):
    tree = KernelTree(debian_tree(flavour))
    mod = _kbuild_module(tree, tmp_path)
    with open(os.path.join(mod, "mm.i")) as fh:
        theirs = _tokens(fh.read())
    prog = open_program("linux/mm_types.h", Options.make(kernel=tree.path, rules=False), is_path=True)
    (group,) = prog.groups
    assert [a.name for a in group.abis] == [tree.abi]
    assert prog.source == os.path.join(tree.source_dir, "include", "linux", "mm_types.h")
    ours = _tokens(group.text)
    assert len(theirs) > 50000
    assert ours == theirs


def test_open_tree_reads_a_tree_once():
    tree = open_tree(debian_tree("amd64"))
    assert open_tree(tree.path) is tree


def test_a_header_named_as_included_reads_the_rules_for_its_file(tmp_path, run_cli):
    """In a kernel tree a header may be named as it is included: a rule
    for its file ('headers') is chosen for the file the name means, in
    every command (alias here, as check does)."""
    src = _tree_with_config(tmp_path, "CONFIG_X86 CONFIG_X86_64 CONFIG_64BIT")
    with open(os.path.join(src, "include", "linux", "mm_types.h"), "w") as fh:
        fh.write("struct page { unsigned long flags; unsigned long compound_head; void *mapping; };\n")
    rules = os.path.join(src, "layoutcheck.toml")
    with open(rules, "w") as fh:
        fh.write('struct = "page"\n[[rule]]\nname = "tail"\nkind = "tail-bit"\n'
                 'word = "compound_head"\nheaders = ["include/linux/mm_types.h"]\n')
    for name in ("linux/mm_types.h", os.path.join(src, "include", "linux", "mm_types.h")):
        code, out, err = run_cli("alias", "--kernel", src, name, "--struct", "page",
                                 "--set", "compound_head=1", "--rules", rules)
        assert code == 1 and "sets PageTail" in out, (name, out, err)


@pytest.mark.parametrize("pattern", ["linux/mm_types.h", "include/linux/mm_*.h", "**/mm_types.h"])
def test_rules_outside_a_tree_name_its_headers(tmp_path, run_cli, pattern):
    """A rules file outside the tree names the tree's header as it is
    included or by its path in the tree; the rule applies to it and to no
    other header of the tree."""
    src = _tree_with_config(tmp_path, "CONFIG_X86 CONFIG_X86_64 CONFIG_64BIT")
    with open(os.path.join(src, "include", "linux", "mm_types.h"), "w") as fh:
        fh.write("struct page { unsigned long flags; unsigned long compound_head; void *mapping; };\n")
    with open(os.path.join(src, "include", "linux", "fs.h"), "w") as fh:
        fh.write("struct page { char c; };\n")
    rules = tmp_path / "elsewhere" / "page.toml"
    rules.parent.mkdir()
    rules.write_text('struct = "page"\n[[rule]]\nname = "size"\nkind = "size"\nexpect = 23\n'
                     f'headers = ["{pattern}"]\n')
    code, out, err = run_cli("check", "--kernel", src, "linux/mm_types.h", "--rules", str(rules))
    assert code == 1 and "size is 24, the rule expects 23" in out, (out, err)
    assert "names no file" not in out, out
    code, out, err = run_cli("check", "--kernel", src, "linux/fs.h", "--rules", str(rules),
                             "--format", "json")
    assert code == 0, (out, err)
    assert [e["for_other_headers"] for e in json.loads(out)["rules"]] == [1], out


def test_a_pattern_naming_nothing_in_the_tree_never_applies(tmp_path, run_cli):
    src = _tree_with_config(tmp_path, "CONFIG_X86 CONFIG_X86_64 CONFIG_64BIT")
    with open(os.path.join(src, "include", "linux", "mm_types.h"), "w") as fh:
        fh.write("struct page { unsigned long flags; };\n")
    rules = tmp_path / "page.toml"
    rules.write_text('struct = "page"\n[[rule]]\nname = "size"\nkind = "size"\nexpect = 8\n'
                     'headers = ["linux/mm_type.h"]\n')
    code, out, err = run_cli("check", "--kernel", src, "linux/mm_types.h", "--rules", str(rules))
    assert code == 1, (out, err)
    assert "headers = 'linux/mm_type.h' names no file" in out and "nor in the kernel tree" in out, out


def test_an_include_name_names_the_file_include_finds(tmp_path, run_cli):
    """'linux/types.h' names the file '#include <linux/types.h>' reads (the
    first along the include path), not include/uapi/linux/types.h."""
    src = _tree_with_config(tmp_path, "CONFIG_X86 CONFIG_X86_64 CONFIG_64BIT")
    for sub in ("include", os.path.join("include", "uapi")):
        os.makedirs(os.path.join(src, sub, "linux"), exist_ok=True)
        with open(os.path.join(src, sub, "linux", "types.h"), "w") as fh:
            fh.write("struct pair { int a, b; };\n")
    rules = tmp_path / "pair.toml"
    rules.write_text('struct = "pair"\n[[rule]]\nname = "size"\nkind = "size"\nexpect = 9\n'
                     'headers = ["linux/types.h"]\n')
    code, out, err = run_cli("check", "--kernel", src, "linux/types.h", "--rules", str(rules))
    assert code == 1 and "size is 8, the rule expects 9" in out, (out, err)
    code, out, err = run_cli("check", "--kernel", src, "uapi/linux/types.h", "--rules", str(rules),
                             "--format", "json")
    assert code == 0 and [e["for_other_headers"] for e in json.loads(out)["rules"]] == [1], (out, err)


def test_a_pattern_naming_files_beside_its_rules_names_no_tree_header(tmp_path, run_cli):
    """A pattern that names files beside the rules file means those: a
    '**/*.h' written for the rules' own headers does not take in the tree."""
    src = _tree_with_config(tmp_path, "CONFIG_X86 CONFIG_X86_64 CONFIG_64BIT")
    with open(os.path.join(src, "include", "linux", "mm_types.h"), "w") as fh:
        fh.write("struct mine { char c; };\n")
    own = tmp_path / "own"
    own.mkdir()
    (own / "mine.h").write_text("struct mine { int i; };\n")
    rules = own / "layoutcheck.toml"
    rules.write_text('struct = "mine"\n[[rule]]\nname = "size"\nkind = "size"\nexpect = 4\n'
                     'headers = ["**/*.h"]\n')
    code, out, err = run_cli("check", "--kernel", src, "linux/mm_types.h", "--rules", str(rules),
                             "--format", "json")
    assert code == 0 and [e["for_other_headers"] for e in json.loads(out)["rules"]] == [1], (out, err)
