"""Configured kernel trees (``--kernel DIR``): read headers as kbuild does.

A kernel header means what kbuild's compiler command line makes it mean:
the tree's search path, three forced includes (``compiler-version.h``,
``kconfig.h``, ``compiler_types.h``), ``__KERNEL__``, the tree's
``autoconf.h`` (through ``kconfig.h``), and the macros that the
architecture's flags imply (``-march=armv7-a``, ``-mabi=64``, ``-m32``...).
``KernelTree`` works all of that out from the tree alone, without running
a compiler or make:

* the tree: an in-tree build (the source tree with its ``.config``), an
  ``O=`` build directory, or a Debian ``linux-headers-<version>-<flavour>``
  directory, whose one-line ``Makefile`` includes the source tree
  (``linux-headers-<version>-common``) by an absolute path; when that path
  does not exist (the trees were unpacked elsewhere), the directory of the
  same name beside DIR is used;
* the architecture and the layoutcheck ABI, from ``.config``;
* kbuild's include path and forced includes, from the top ``Makefile``'s
  ``LINUXINCLUDE``/``USERINCLUDE`` and ``scripts/Makefile.lib``'s
  ``c_flags``; ``-D__KERNEL__``, ``-std=`` and the other flags of the top
  Makefile's ``KBUILD_CPPFLAGS``/``KBUILD_CFLAGS`` that change
  preprocessing;
* the architecture's flags, from ``data/kernel_arches.json``: a table of
  what each arch Makefile adds under which config symbols (data, read
  off the Makefiles and checked against kbuild's own command lines by
  ``tests/test_kernel_tree.py``), evaluated against ``.config``.

Everything comes out as plain data for the preprocessor: ``abi``,
``include_dirs``, ``forced_includes``, ``defines``, ``undefs`` and
``extra_flags``.  Every macro passes ``safety.check_macro``; every other
flag must have the shape of a target or code-generation option
(``-m...``, ``-f...``, ``-O``, ``-g``, ``-std=``) and every path lies in
the tree.
"""

from __future__ import annotations

import json
import os
import re
import threading
from functools import lru_cache
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from .abi import DATA_DIR, get_abi
from .errors import LayoutError
from .plain import PlainEq
from .safety import check_include_path, check_macro, check_macro_name

TABLE_PATH = os.path.join(DATA_DIR, "kernel_arches.json")

# The shapes a flag from the table or a Makefile may have, besides -D, -U
# and -I: target, code-generation, optimisation and language options.
_FLAG = re.compile(r"-(?:m[A-Za-z0-9][\w.,+=-]*|f[A-Za-z0-9][\w.,+=-]*|O[0-3sgz]?|g|std=[\w+]+|E[LB])\Z")
_TEMPLATE = re.compile(r"\{([A-Za-z_]\w*)(?:\|subst:([^:}]*):([^}]*))?\}")
_WORD_VALUE = re.compile(r"[\w.+-]*\Z")  # what a .config value may put into a flag
_CONFIG_LINES = re.compile(r"^[ \t]*(CONFIG_\w+)=(.*?)[ \t\r]*$", re.M)
_MAKE_COMMENT = re.compile(r"(?<!\\)#.*")


def _fail(tree: str, message: str) -> LayoutError:
    return LayoutError(f"--kernel {tree}: {message}")


# --- .config --------------------------------------------------------------

def read_config(path: str) -> Dict[str, str]:
    """A .config as {CONFIG_NAME: value}: 'y', 'm', a number or a string
    (quotes kept); symbols that are not set are absent."""
    text = _read(path)
    if text is None:
        raise _fail(os.path.dirname(path), f"cannot read {path}")
    return {m.group(1): m.group(2) for m in _CONFIG_LINES.finditer(text)}


def _config_value(config: Mapping[str, str], name: str) -> str:
    value = config.get(name, "")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value


# --- Makefiles ------------------------------------------------------------

def _logical_lines(text: str) -> List[str]:
    """Makefile lines with continuations joined and comments removed
    (recipe lines, which start with a tab, keep theirs)."""
    out: List[str] = []
    pending: List[str] = []
    for raw in text.splitlines():
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        pending.append(raw)
        line = " ".join(pending)
        pending = []
        if "#" in line and not line.startswith("\t"):
            line = _MAKE_COMMENT.sub("", line)
        out.append(line)
    return out


def _assignment(lines: Sequence[str], var: str) -> Optional[str]:
    """The right-hand side of the first ``VAR :=`` or ``VAR =`` line."""
    pattern = re.compile(rf"\s*{re.escape(var)}\s*:?=(.*)\Z")
    for line in lines:
        m = pattern.match(line)
        if m:
            return m.group(1)
    return None


def _list_words(lines: Sequence[str], var: str, config: Mapping[str, str], srctree: str) -> List[str]:
    """The words of a kbuild list variable: ``VAR-y += ...`` and
    ``VAR-$(CONFIG_X) += ...`` when CONFIG_X is y (``:=`` and ``=`` start
    the list afresh).  Words make cannot be asked about here (``$(call
    ...)``) are left out."""
    pattern = re.compile(rf"\s*{re.escape(var)}-(y|\$\((CONFIG_\w+)\))\s*(\+=|:=|=)(.*)\Z")
    words: List[str] = []
    for line in lines:
        m = pattern.match(line)
        if m is None or (m.group(2) and config.get(m.group(2)) != "y"):
            continue
        if m.group(3) != "+=":
            words = []
        for word in m.group(4).replace("$(srctree)", srctree).split():
            if "$(" not in word:
                words.append(word)
    return words


# While a tree is read (in this thread): every file it looked at, with its
# type and content (see _kept_tree).
_READING = threading.local()


def _looked() -> Optional[List[list]]:
    return getattr(_READING, "looked", None)


def _kind(path: str) -> Optional[int]:
    """The file type of ``path`` (None: absent)."""
    try:
        return os.stat(path).st_mode >> 12
    except OSError:
        return None


def _isfile(path: str) -> bool:
    looked = _looked()
    if looked is not None:
        looked.append([path, _kind(path), None])
    return os.path.isfile(path)


def _read(path: str) -> Optional[str]:
    looked = _looked()
    try:
        if not os.path.isfile(path):  # no FIFO or device: a reading never waits
            raise OSError
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        if looked is not None:
            looked.append([path, _kind(path), None])
        return None
    if looked is not None:
        import hashlib

        looked.append([path, _kind(path), hashlib.sha256(data).hexdigest()])
    return data.decode("utf-8", "replace")


def _is_source_makefile(text: str) -> bool:
    """The kernel's own top Makefile (not a build directory's stub)."""
    return re.search(r"^VERSION\s*=\s*\d+", text, re.M) is not None and \
        re.search(r"^PATCHLEVEL\s*=", text, re.M) is not None


def find_source_dir(build_dir: str, makefile: str) -> str:
    """The source tree a build directory's Makefile includes: the path it
    names, else (unpacked elsewhere) the directory of that name beside the
    build directory, else the ``source`` link an O= build leaves."""
    m = re.search(r"^\s*include\s+(\S+)", makefile, re.M)
    candidates: List[str] = []
    if m:
        named = os.path.dirname(os.path.join(build_dir, m.group(1)))
        candidates.append(named)
        for beside in (build_dir, os.path.realpath(build_dir)):
            candidates.append(os.path.join(os.path.dirname(beside), os.path.basename(named)))
    candidates.append(os.path.join(build_dir, "source"))
    for cand in candidates:
        text = _read(os.path.join(cand, "Makefile"))
        if text is not None and _is_source_makefile(text):
            return os.path.realpath(cand)  # as kbuild's abs_srctree
    looked = ", ".join(candidates)
    raise LayoutError(f"--kernel {build_dir}: cannot find the kernel source tree its Makefile "
                      f"includes (looked in {looked})")


# --- the table ------------------------------------------------------------

@lru_cache(maxsize=1)
def arch_table() -> dict:
    with open(TABLE_PATH) as fh:
        return json.load(fh)


class _Evaluator:
    """Conditions, values and templates of the table, for one .config."""

    def __init__(self, config: Mapping[str, str], tree: str):
        self.config = config
        self.tree = tree
        self.values: Dict[str, str] = {}

    def holds(self, cond) -> bool:
        terms = [cond] if isinstance(cond, str) else list(cond or [])
        return all(self._term(t) for t in terms)

    def _term(self, term: str) -> bool:
        if term.startswith("!"):
            return not self._term(term[1:])
        if ">=" in term:
            name, _, number = term.partition(">=")
            try:
                return int(self.lookup(name).split()[0], 0) >= int(number, 0)
            except (ValueError, IndexError):
                return False
        if term.startswith("CONFIG_"):
            return term in self.config and self.config[term] != "n"
        return self.lookup(term) != ""

    def lookup(self, name: str) -> str:
        if name.startswith("CONFIG_"):
            value = _config_value(self.config, name)
            if not _WORD_VALUE.match(value):
                raise _fail(self.tree, f".config gives {name} the value {value!r}, which cannot go "
                                       f"into a compiler flag")
            return value
        return self.values.get(name, "")

    def render(self, template: str) -> str:
        def one(m: "re.Match[str]") -> str:
            value = self.lookup(m.group(1))
            if m.group(2) is not None:
                value = value.replace(m.group(2), m.group(3))
            return value
        return _TEMPLATE.sub(one, template)

    def assign(self, name: str, rules: Iterable[dict]) -> None:
        for rule in rules:
            if self.holds(rule.get("if")):
                self.values[name] = " ".join(self.render(rule["set"]).split())

    def flags(self, rules: Iterable[dict]) -> List[str]:
        out: List[str] = []
        for rule in rules:
            if not self.holds(rule.get("if")):
                continue
            for template in rule["flags"]:
                rendered = self.render(template)
                if _TEMPLATE.fullmatch(template):  # a list or value: one flag per word
                    out.extend(rendered.split())
                else:
                    out.append(rendered)
        return out


# --- the tree -------------------------------------------------------------

class KernelTree(PlainEq):
    """A configured kernel tree and how kbuild reads its headers.

    ``KernelTree(dir)`` reads the tree (no compiler, no make); the fields
    are what a preprocessor needs, in kbuild's order."""

    path: str
    build_dir: str  # objtree: .config, include/generated (a real path)
    source_dir: str  # srctree: include/, arch/
    config: Dict[str, str]
    srcarch: str
    arch: str  # make ARCH=
    abi: str  # the layoutcheck ABI
    include_dirs: List[Tuple[str, str]]  # (option, directory)
    forced_includes: List[str]
    defines: Dict[str, str]  # name -> value ('' is defined empty)
    undefs: List[str]
    extra_flags: List[str]  # flags that change preprocessing
    module_flags: List[str]  # what kbuild adds for a module
    nostdinc: bool
    compiler_include: bool  # -isystem $(CC -print-file-name=include)

    _fields = ("path", "build_dir", "source_dir", "config", "srcarch", "arch", "abi", "include_dirs", "forced_includes",
               "defines", "undefs", "extra_flags", "module_flags", "nostdinc", "compiler_include")
    _hidden = ("config",)
    _noinit = _fields[1:]  # set by __post_init__

    def __init__(self, path: str) -> None:
        self.path = path
        self.__post_init__()

    def __post_init__(self) -> None:
        given = os.fspath(self.path)
        if not os.path.isdir(given):
            raise _fail(given, "not a directory")
        # Both directories are real paths, as kbuild's (make -C resolves
        # links); the source tree is looked for beside DIR as given, too.
        self.build_dir = os.path.realpath(given)
        makefile = _read(os.path.join(self.build_dir, "Makefile"))
        if makefile is None:
            raise _fail(given, "no Makefile: not a kernel tree or build directory")
        self.source_dir = (self.build_dir if _is_source_makefile(makefile)
                           else find_source_dir(os.path.abspath(given), makefile))
        config_path = os.path.join(self.build_dir, ".config")
        if not _isfile(config_path):
            raise _fail(given, "no .config: configure the tree first (make defconfig, or "
                               "make O=DIR ... for a build directory)")
        if not _isfile(os.path.join(self.build_dir, "include", "generated", "autoconf.h")):
            raise _fail(given, "no include/generated/autoconf.h: run make prepare (or "
                               "modules_prepare) in the tree first")
        self.config = read_config(config_path)
        table = arch_table()
        ev = _Evaluator(self.config, given)
        entry = next((a for a in table["arches"] if ev.holds(a["if"])), None)
        if entry is None:
            raise _fail(given, "its .config names no architecture layoutcheck knows ("
                               + ", ".join(a["srcarch"] for a in table["arches"]) + ")")
        self.srcarch = entry["srcarch"]
        choice = next((a for a in entry["abis"] if ev.holds(a.get("if"))), None)
        if choice is None:
            raise _fail(given, f"no layoutcheck ABI matches this {self.srcarch} kernel's .config "
                               f"(layoutcheck has " + ", ".join(a["abi"] for a in entry["abis"]) + ")")
        self.abi = get_abi(choice["abi"]).name
        self.arch = choice["arch"]
        self._read_kbuild(table["kbuild"], entry, ev, given)

    # What kbuild passes, in its order: NOSTDINC_FLAGS, LINUXINCLUDE (with
    # USERINCLUDE's forced includes), c_flags' -include, KBUILD_CPPFLAGS,
    # KBUILD_CFLAGS (top Makefile, then the arch Makefile, then the top
    # Makefile's config-dependent flags).
    def _read_kbuild(self, kbuild: dict, entry: dict, ev: _Evaluator, given: str) -> None:
        top_text = _read(os.path.join(self.source_dir, "Makefile")) or ""
        top = _logical_lines(top_text)
        found = re.search(r"-f(?:ms|plan9)-extensions\b", top_text)
        if found:
            # a member naming a struct ('struct s;', a typedef of one) is an
            # anonymous member there, where plain GCC drops it: not modelled
            raise _fail(given, f"kbuild builds it with {found.group()}, which layoutcheck "
                               f"does not model")
        nostdinc = " ".join(line for line in top if re.match(r"\s*NOSTDINC_FLAGS\s*[+:]?=", line))
        self.nostdinc = "-nostdinc" in nostdinc
        self.compiler_include = "print-file-name=include" in nostdinc
        self.include_dirs, self.forced_includes = self._linux_include(top, given)
        self.forced_includes += self._c_flags_includes(kbuild, given)

        for item in entry.get("lists", []):
            words: List[str] = []
            for pattern in item["files"]:
                for path in self._expand_files(pattern, ev):
                    text = _read(os.path.join(self.source_dir, path))
                    if text is not None:
                        words += _list_words(_logical_lines(text), item["var"], self.config,
                                             self.source_dir)
            ev.values[item["name"]] = " ".join(words)
        for name, rules in list(kbuild.get("values", {}).items()) + list(entry.get("values", {}).items()):
            ev.assign(name, rules)

        top_prefixes = tuple(kbuild["makefile_flags"])
        cppflags = self._makefile_flags(top, "KBUILD_CPPFLAGS", top_prefixes)
        cppflags += ev.flags(entry.get("cppflags", []))
        if re.search(r"-fmacro-prefix-map=\$\(srctree\)/=", top_text):
            # __FILE__ as kbuild spells it: relative to the source tree, and
            # "./..." for the build directory kbuild runs in.
            cppflags.append(f"-fmacro-prefix-map={self.source_dir}/=")
            if self.build_dir != self.source_dir:
                cppflags.append(f"-fmacro-prefix-map={self.build_dir}/=./")
        cflags = self._makefile_flags(top, "KBUILD_CFLAGS", top_prefixes)
        cflags += ev.flags(entry.get("cflags", [])) + ev.flags(kbuild.get("cflags", []))
        self.module_flags = ev.flags(kbuild.get("module", [])) + ev.flags(entry.get("module", []))
        for flag in self.module_flags:
            self._check_flag(flag, given)

        self.defines, self.undefs, self.extra_flags = {}, [], []
        for flag in cppflags + cflags:
            self._take(flag, given)

    def _expand_files(self, pattern: str, ev: _Evaluator) -> List[str]:
        m = _TEMPLATE.search(pattern)
        if m is None:
            return [pattern]
        return [pattern.replace(m.group(0), word) for word in ev.lookup(m.group(1)).split()]

    def _expand(self, text: str, lines: Sequence[str], given: str, depth: int = 0) -> str:
        """The make variables LINUXINCLUDE and its kin use."""
        out_of_tree = "1" if self.source_dir != self.build_dir else ""
        for var, value in (("building_out_of_srctree", out_of_tree), ("KBUILD_SRC", out_of_tree),
                           ("srctree", self.source_dir), ("objtree", self.build_dir),
                           ("SRCARCH", self.srcarch), ("hdr-arch", self.srcarch)):
            text = text.replace(f"$({var})", value)
        text = re.sub(r"\$\(if\s*([^,()]*),([^()]*)\)", lambda m: m.group(2) if m.group(1).strip() else "", text)
        if "$(USERINCLUDE)" in text and depth == 0:
            inner = _assignment(lines, "USERINCLUDE") or ""
            text = text.replace("$(USERINCLUDE)", self._expand(inner, lines, given, 1))
        if "$(" in text:
            raise _fail(given, f"cannot read kbuild's include path from {self.source_dir}/Makefile "
                               f"(it has {text[text.index('$('):][:40]!r})")
        return text

    def _linux_include(self, top: Sequence[str], given: str) -> Tuple[List[Tuple[str, str]], List[str]]:
        value = _assignment(top, "LINUXINCLUDE")
        if value is None:
            raise _fail(given, f"{self.source_dir}/Makefile has no LINUXINCLUDE")
        words = self._expand(value, top, given).split()
        dirs: List[Tuple[str, str]] = []
        forced: List[str] = []
        i = 0
        while i < len(words):
            word = words[i]
            if word in ("-I", "-isystem", "-include") and i + 1 < len(words):
                arg, i = words[i + 1], i + 2
            elif word.startswith("-I"):
                word, arg, i = "-I", word[2:], i + 1
            else:
                raise _fail(given, f"unexpected {word!r} in LINUXINCLUDE")
            path = self._inside(os.path.normpath(os.path.join(self.build_dir, arg)), given)
            if word == "-include":
                forced.append(path)
            else:
                dirs.append((word, path))
        return dirs, forced

    def _c_flags_includes(self, kbuild: dict, given: str) -> List[str]:
        """scripts/Makefile.lib's forced includes (compiler_types.h)."""
        for base in (self.source_dir, self.build_dir):
            text = _read(os.path.join(base, "scripts", "Makefile.lib"))
            if text is None:
                continue
            for line in _logical_lines(text):
                if re.match(r"\s*c_flags\s*:?=", line):
                    names = re.findall(r"-include\s+\$\(srctree\)/(\S+)", line)
                    return [self._inside(os.path.join(self.source_dir, n), given) for n in names]
        # The scripts link is dangling (linux-kbuild not installed): the
        # include every kbuild since 4.19 forces.
        return [os.path.join(self.source_dir, n) for n in kbuild["forced_includes_fallback"]
                if _isfile(os.path.join(self.source_dir, n))]

    def _makefile_flags(self, top: Sequence[str], var: str, prefixes: Tuple[str, ...]) -> List[str]:
        """The preprocessing flags of the top Makefile's ``VAR :=``."""
        value = _assignment(top, var) or ""
        return [w for w in value.split() if "$(" not in w and w.startswith(prefixes)]

    def _inside(self, path: str, given: str) -> str:
        full = os.path.abspath(path)
        for root in (self.source_dir, self.build_dir):
            if full == root or full.startswith(root.rstrip("/") + "/"):
                return full
        raise _fail(given, f"kbuild's flags name {path}, outside the tree")

    def _check_flag(self, flag: str, given: str) -> None:
        if flag in ("-fms-extensions", "-fplan9-extensions"):
            raise _fail(given, f"kbuild builds it with {flag}, which layoutcheck does not model")
        if flag.startswith("-D"):
            name, eq, value = flag[2:].partition("=")
            check_macro(name, value if eq else "1", f"--kernel {given}")
        elif flag.startswith("-U"):
            check_macro_name(flag[2:], f"--kernel {given}")
        elif not _FLAG.match(flag):
            raise _fail(given, f"refusing the flag {flag!r} (from layoutcheck's kernel table)")

    def _take(self, flag: str, given: str) -> None:
        """Sort one kbuild flag into defines, undefs, include dirs or flags."""
        if flag.startswith("-D"):
            name, eq, value = flag[2:].partition("=")
            name, value = check_macro(name, value if eq else "1", f"--kernel {given}")
            self.defines.pop(name, None)  # a later -D wins, and keeps its place
            self.defines[name] = value
            if name in self.undefs:
                self.undefs.remove(name)
        elif flag.startswith("-U"):
            name = check_macro_name(flag[2:], f"--kernel {given}")
            self.defines.pop(name, None)
            self.undefs.append(name)
        elif flag.startswith("-I"):
            path = flag[2:].replace("$(srctree)", self.source_dir)
            entry = ("-I", self._inside(path, given))
            if entry not in self.include_dirs:
                self.include_dirs.append(entry)
        elif flag in (f"-fmacro-prefix-map={self.source_dir}/=",
                      f"-fmacro-prefix-map={self.build_dir}/=./"):
            self.extra_flags.append(flag)  # built above from the tree's own paths
        else:  # (another -fmacro-prefix-map, a path in it, is refused here)
            self._check_flag(flag, given)
            self.extra_flags.append(flag)

    # --- what callers ask ---------------------------------------------------

    def resolve(self, name: str) -> str:
        """The file a header name means: a path that exists as given, a path
        inside the source or build tree (``include/linux/mm_types.h``), or a
        name as it is included (``linux/mm_types.h``), looked up along
        kbuild's include path."""
        name = os.fspath(name)
        if os.path.isfile(name):
            return name
        if not os.path.isabs(name):
            for base in (self.source_dir, self.build_dir):
                cand = os.path.join(base, name)
                if os.path.isfile(cand):
                    return cand
            for _option, d in self.include_dirs:
                cand = os.path.join(d, name)
                if os.path.isfile(cand):
                    return cand
        raise LayoutError(f"no header {name} in the kernel tree {self.path} (looked as a path, in "
                          f"{self.source_dir}, {self.build_dir} and along its include path)")

    @property
    def cross_compile(self) -> str:
        """kbuild's CROSS_COMPILE for this tree with the ABI's Debian GCC."""
        cc = get_abi(self.abi).oracle[0]
        return cc[:-len("gcc")] if cc.endswith("-gcc") else ""

    def make_args(self) -> List[str]:
        """Arguments that make kbuild build in this tree (``make ARGS M=DIR``):
        its directory, the source Makefile when the tree's own names a path
        that does not exist, ARCH and CROSS_COMPILE."""
        args = ["-C", self.build_dir]
        if self.source_dir != self.build_dir:
            args += ["-f", os.path.join(self.source_dir, "Makefile")]
        return args + [f"ARCH={self.arch}", f"CROSS_COMPILE={self.cross_compile}"]

    def command_flags(self, module: bool = False) -> List[str]:
        """The preprocessing part of kbuild's command line, in its order
        (for people and tests; the preprocessor gets the fields)."""
        flags = ["-nostdinc"] if self.nostdinc else []
        for option, d in self.include_dirs:
            flags += [option, d]
        for f in self.forced_includes:
            flags += ["-include", f]
        flags += [f"-D{n}={v}" for n, v in self.defines.items()]
        flags += [f"-U{n}" for n in self.undefs]
        flags += self.extra_flags
        return flags + (self.module_flags if module else [])


_TREE_FIELDS = ("path", "build_dir", "source_dir", "config", "srcarch", "arch", "abi",
                "include_dirs", "forced_includes", "defines", "undefs", "extra_flags",
                "module_flags", "nostdinc", "compiler_include")


@lru_cache(maxsize=16)
def _open(path: str, stamp: Tuple[float, int]) -> KernelTree:
    from . import cache

    if cache.cache_dir() is None:
        return KernelTree(path)
    kept = _kept_tree(path)
    if kept is not None:
        return kept
    looked: List[list] = []
    _READING.looked = looked
    try:
        tree = KernelTree(path)
    finally:
        _READING.looked = None
    _keep_tree(path, tree, looked)
    return tree


def _tree_key(path: str) -> str:
    from . import cache

    return cache.key_of("kernel-tree", cache.code_version(), path)


def _keep_tree(path: str, tree: KernelTree, looked: List[list]) -> None:
    """Keep what reading ``tree`` found, with every file it looked at: its
    type, and a digest of the content of those it read."""
    from . import cache

    fields = {name: getattr(tree, name) for name in _TREE_FIELDS}
    entry = {"looked": looked, "realpath": os.path.realpath(path), "fields": fields}
    cache.write_checked("kernel-trees", _tree_key(path), [json.dumps(entry)])


def _kept_tree(path: str) -> Optional[KernelTree]:
    """The tree as an earlier reading found it, if every file that reading
    looked at is as it was; its flags are checked again as a reading
    checks them."""
    from . import cache

    lines = cache.read_checked("kernel-trees", _tree_key(path))
    if not lines:
        return None
    try:
        entry = json.loads(lines[0])
        if os.path.realpath(path) != entry["realpath"]:
            return None
        for looked, kind, digest in entry["looked"]:
            if _kind(looked) != kind:
                return None
            if digest is not None:
                import hashlib

                with open(looked, "rb") as fh:
                    if hashlib.sha256(fh.read()).hexdigest() != digest:
                        return None
        fields = entry["fields"]
        tree = KernelTree.__new__(KernelTree)
        for name in _TREE_FIELDS:
            setattr(tree, name, fields[name])
        if tree.source_dir != tree.build_dir:
            # the source tree as the build directory names it now (a link
            # retargeted to an identical Makefile is another tree)
            makefile = _read(os.path.join(tree.build_dir, "Makefile")) or ""
            if find_source_dir(os.path.abspath(path), makefile) != tree.source_dir:
                return None
        tree.include_dirs = [(option, d) for option, d in tree.include_dirs]
        maps = (f"-fmacro-prefix-map={tree.source_dir}/=", f"-fmacro-prefix-map={tree.build_dir}/=./")
        for flag in tree.extra_flags + tree.module_flags:
            if flag.startswith("-fmacro-prefix-map="):
                if flag not in maps:
                    return None
            else:
                tree._check_flag(flag, path)
        for name, value in tree.defines.items():
            check_macro(name, value, f"--kernel {path}")
        for name in tree.undefs:
            check_macro_name(name, f"--kernel {path}")
        for option, d in tree.include_dirs:
            if option not in ("-I", "-isystem"):
                return None
            tree._inside(d, path)
        for f in tree.forced_includes:
            tree._inside(f, path)
        get_abi(tree.abi)
        return tree
    except (LayoutError, OSError, ValueError, KeyError, TypeError):
        return None


def open_tree(path) -> KernelTree:
    """A KernelTree, read once per tree and .config."""
    path = os.fspath(path)
    if "\0" in path:
        raise LayoutError(f"--kernel {path!r}: not a path")
    try:
        st = os.stat(os.path.join(path, ".config"))
        stamp = (st.st_mtime, st.st_size)
    except OSError:
        stamp = (0.0, 0)
    return _open(os.path.abspath(path), stamp)


def include_name(tree, name: str) -> str:
    """How a header of the tree is #included (``linux/mm_types.h``), from
    that name, a path inside the tree or an absolute path."""
    path = os.path.abspath(tree.resolve(name))
    for base in (tree.source_dir, tree.build_dir):
        for sub in ("include", os.path.join("arch", tree.srcarch, "include")):
            root = os.path.join(os.path.abspath(base), sub) + os.sep
            if path.startswith(root):
                return path[len(root):]
    raise LayoutError(f"{name} is not under the kernel tree's include directories")


# A header as the kernel includes it: <linux/mm_types.h>.  Components start
# with a letter, digit or underscore (so no "..", no leading "-" or "/").
_HEADER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*\Z")


def check_header_name(name: object) -> str:
    """``name`` if it is a plain relative include name (``linux/fs.h``)."""
    if not isinstance(name, str) or len(name) > 255 or not _HEADER_NAME.match(name):
        raise LayoutError(f"kernel header: {name!r} is not a plain include name such as "
                          f"linux/mm_types.h (letters, digits, '_', '.', '+', '-' and '/'; "
                          f"no '..', quotes, or leading '-' or '/')")
    return check_include_path(name, "kernel header")
