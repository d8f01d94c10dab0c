"""Rules as data: what a layout must keep, and the configs to check it in.

A rules file is TOML.  For a header ``dir/name.h`` the rules are found
without flags, first match wins:

1. ``dir/name.rules.toml`` (rules for that header alone);
2. ``layoutcheck.toml`` in ``dir`` or the nearest parent directory that has
   one.

The upward search reads the repository top (the directory holding
``.git``) and the user's home directory, and goes no higher.  It never
reads rules from, and stops at, a directory the current user does not own
or that its group or others may write (``/tmp``): anyone could plant a
``layoutcheck.toml`` there.  A rules file found in such a place, or one
that is itself group/other-writable or owned by someone else, is refused
and reported, never read.  ``--rules FILE`` overrides the search.  A header
without rules is still checked: its own ``_Static_assert``s are evaluated
on every ABI.

The format (all keys optional except each rule's ``kind``)::

    struct = "page"                 # default struct for every rule

    [matrix]                        # the configs to check each header in
    vary = ["CONFIG_MEMCG", "CONFIG_HAVE_ALIGNED_STRUCT_PAGE"]   # on/off
    extra = [["CONFIG_MEMCG", "WANT_PAGE_VIRTUAL"]]             # more configs
    [matrix.abi_defines]            # macros that follow the ABI
    CONFIG_64BIT = "64bit"          # defined on 64-bit ABIs only

    [[rule]]
    name = "freelist-double-word"   # defaults to kind and members
    kind = "offset"                 # see the kinds below
    member = "freelist"
    multiple_of = "2*word"          # word = sizeof(unsigned long) on the ABI
    abis = "all"                    # all 64bit 32bit little big, an ABI name, or a list
    when = { CONFIG_MEMCG = true }  # configs the rule applies in (true/false only)
    optional = ["freelist"]         # members allowed to be missing
    headers = ["mm_types.h"]        # globs (relative to this file): the headers the
                                    # rule is for (default: all that read this file)
    why = "..."                     # the reason, for people

Each kind (``offset``, ``size``, ``align``, ``tail-bit`` ...) is one class
in ``kinds``, registered by being defined: its docstring says what the
kind checks and with which keys, and the class holds the keys it reads,
what it requires, its validation and its check.  Sizes are a number or
``"N*word"``; ``expect``, ``min``, ``max`` and ``multiple_of`` combine.
This module reads the keys every rule has and asks the rule's kind
(``kinds.REGISTRY``) about the rest, so adding a kind is adding one class
there (see ``kinds``), nothing here.

A member is named by its offsetof path (``lru.next``).  A rule naming a
member the struct lacks fails unless the rule lists it in ``optional``:
a renamed or deleted field must never skip its rule silently.  When the
optional members are missing and the rule is left with nothing to compare
(a single member, one side of a ``disjoint``, fewer than two of an
``alias``), its verdict is ``not-applied``, never ``pass``.  A rule whose
``abis`` and ``when`` select no ABI x config of the matrix is reported as
``not-applied`` too (see ``checks.unselected_rules``), as is a rule whose
``headers`` has a pattern that names no file.  ``when`` may test
the matrix's macros, those given with ``-D``, ``abi_defines`` macros and
the ABI's predefined ones (outside a kernel tree).

Every key is validated when the file is read: unknown keys, keys that
mean nothing to the rule's kind, unknown ABI selectors, non-boolean
``when`` values, sizes that are negative or not sizes, ``multiple_of = 0``
and ``min > max`` are a ``LayoutError`` naming the file and the rule.
"""

from __future__ import annotations

import itertools
import os
import re
import stat
from functools import lru_cache
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from ..abi import ABI, abi_names
from ..errors import LayoutError
from ..plain import FRESH, Frozen, PlainEq
from .values import listify, name_list, size_value  # noqa: F401 (size_value: spec's API)


def __getattr__(name: str):
    # KINDS: the kinds defined in ``kinds`` (the registry,
    # ``kinds.REGISTRY``, is the live list).  ``kinds`` (and the C model it
    # reads) is imported when a rule is read, not with this module.
    if name == "KINDS":
        from . import kinds

        return kinds.kind_names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# ABI selectors other than ABI names (``abis`` and ``[matrix.abi_defines]``).
ABI_CLASSES = ("all", "64bit", "32bit", "little", "big")

# The keys of every rule, whatever its kind; the others are its kind's
# parameters.  A parameter its kind does not read would be ignored by the
# check, so a rule carrying one is an error, not a silent pass.
_COMMON_KEYS = {"name", "kind", "struct", "optional", "abis", "when", "why", "headers"}

_MACRO = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Config(Frozen):
    """One kernel configuration: the -D macros the header is read with, and
    (for a configured kernel tree, whose autoconf.h defines them) the
    macros set without a -D."""

    name: str
    defines: Dict[str, str]
    already_set: FrozenSet[str] = frozenset()
    # the user's -U: undefined whatever the matrix, the ABI or the tree says
    undefined: FrozenSet[str] = frozenset()

    _fields = ("name", "defines", "already_set", "undefined")

    def __init__(self, name: str, defines: Dict[str, str], already_set: FrozenSet[str] = frozenset(),
                 undefined: FrozenSet[str] = frozenset()) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "defines", defines)
        object.__setattr__(self, "already_set", already_set)
        object.__setattr__(self, "undefined", undefined)

    def enabled(self, macro: str) -> bool:
        if macro in self.undefined:
            return False
        return macro in self.defines or macro in self.already_set

    @property
    def from_tree(self) -> bool:
        """A configured kernel tree's .config (read with the tree's own
        flags, whose predefined macros are not the ABI's recorded ones)."""
        return bool(self.already_set)

    def as_read(self, defines: Mapping[str, str], undefs: Sequence[str]) -> "Config":
        """This config as the header is read with the user's -D (which beat
        the matrix's) and -U (which beat everything): what a rule's
        ``when`` is judged on."""
        if not defines and not undefs:
            return self
        gone = frozenset(undefs)
        merged = {k: v for k, v in {**self.defines, **dict(defines)}.items() if k not in gone}
        return Config(self.name, merged, self.already_set - gone, self.undefined | gone)


@lru_cache(maxsize=None)
def _predefined(abi_name: str) -> FrozenSet[str]:
    """The names of the ABI's predefined macros."""
    from ..cfront.preprocess import abi_macros

    return frozenset(abi_macros(abi_name))


class Rule(PlainEq):
    kind: str
    name: str
    struct: Optional[str]
    params: Dict[str, Any]
    optional: List[str]
    abis: Any = "all"
    when: Dict[str, bool]
    why: Optional[str] = None
    source: str = ""
    # The rule set's [matrix.abi_defines]: a `when` on CONFIG_64BIT follows
    # the ABI as the preprocessor sees it.
    abi_defines: Dict[str, Any]
    path: Optional[str] = None  # the rules file, and the line of its [[rule]]
    line: Optional[int] = None
    # globs, relative to the rules file's folder: the headers the rule is
    # for (none: every header that reads the rules file)
    headers: List[str]

    _fields = ("kind", "name", "struct", "params", "optional", "abis", "when", "why", "source", "abi_defines", "path",
               "line", "headers")

    def __init__(self, kind: str, name: str, struct: Optional[str], params: Dict[str, Any], optional: List[str] = FRESH,
                 abis: Any = "all", when: Dict[str, bool] = FRESH, why: Optional[str] = None, source: str = "",
                 abi_defines: Dict[str, Any] = FRESH, path: Optional[str] = None, line: Optional[int] = None,
                 headers: List[str] = FRESH) -> None:
        self.kind = kind
        self.name = name
        self.struct = struct
        self.params = params
        self.optional = [] if optional is FRESH else optional
        self.abis = abis
        self.when = {} if when is FRESH else when
        self.why = why
        self.source = source
        self.abi_defines = {} if abi_defines is FRESH else abi_defines
        self.path = path
        self.line = line
        self.headers = [] if headers is FRESH else headers

    @property
    def where(self) -> str:
        """``file:line`` of the rule (or the file alone)."""
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path

    def macro_set(self, macro: str, abi: ABI, config: Config) -> bool:
        """Is ``macro`` defined when this config is read for this ABI?"""
        if macro in config.undefined:
            return False
        if config.enabled(macro):
            return True
        cls = self.abi_defines.get(macro)
        if cls is not None and abi_matches(cls, abi):
            return True
        # what GCC predefines for the ABI (__LP64__, __BYTE_ORDER__, ...),
        # as the header is read with them, outside a kernel tree (an
        # abi_defines entry adds a -D on its ABIs, and takes nothing away)
        return not config.from_tree and macro in _predefined(abi.name)

    def applies(self, abi: ABI, config: Config) -> bool:
        if not abi_matches(self.abis, abi):
            return False
        for macro, want in self.when.items():
            if self.macro_set(macro, abi, config) != want:
                return False
        return True


class Discovery(PlainEq):
    """How a header's rules file was found, or why none was read."""

    header: str
    path: Optional[str] = None  # the rules file read, or None
    how: str = "none"  # "--rules", "beside the header", "parent directory", "none"
    stop: str = ""  # why the upward search ended
    refused: List[Tuple[str, str]]  # (path, why not read)

    _fields = ("header", "path", "how", "stop", "refused")

    def __init__(self, header: str, path: Optional[str] = None, how: str = "none", stop: str = "",
                 refused: List[Tuple[str, str]] = FRESH) -> None:
        self.header = header
        self.path = path
        self.how = how
        self.stop = stop
        self.refused = [] if refused is FRESH else refused

    def describe(self) -> str:
        """One phrase for a report: which rules, or why none."""
        if self.path is not None:
            return f"rules from {self.path}" + (" (--rules)" if self.how == "--rules" else "")
        if self.refused:
            return "no rules (refused: " + "; ".join(f"{p}: {why}" for p, why in self.refused) + ")"
        return f"no rules file (search stopped at {self.stop})" if self.stop else "no rules file"

    def to_json(self) -> dict:
        return {"file": self.header, "rules": self.path, "how": self.how, "stop": self.stop,
                "refused": [{"path": p, "reason": why} for p, why in self.refused]}


class KernelNames(Frozen):
    """How a rule's ``headers`` name a kernel tree's headers: by their
    paths in the tree (``roots``: its source and build folders,
    ``include/linux/mm_types.h``), or as they are included
    (``linux/mm_types.h``): the file found first along its include path
    (``include``), as ``#include <linux/mm_types.h>`` finds it."""

    roots: Tuple[str, ...]
    include: Tuple[str, ...]

    _fields = ("roots", "include")

    def __init__(self, roots: Tuple[str, ...], include: Tuple[str, ...]) -> None:
        object.__setattr__(self, "roots", roots)
        object.__setattr__(self, "include", include)

    def named(self, pattern: str, label: str) -> FrozenSet[str]:
        """The files of the tree ``pattern`` names, by real path."""
        if ".." in pattern.replace("\\", "/").split("/"):
            return frozenset()
        out = {os.path.realpath(m) for root in self.roots for m in _files_under(root, pattern, label)}
        seen: set = set()  # include names found in an earlier folder of the path
        for folder in self.include:
            for m in _files_under(folder, pattern, label):
                name = os.path.relpath(m, folder)
                if name not in seen:
                    seen.add(name)
                    out.add(os.path.realpath(m))
        return frozenset(out)


def _files_under(folder: str, pattern: str, label: str) -> List[str]:
    """The files ``pattern`` (a glob, ``**`` for any depth) names in
    ``folder``; ``label`` names the pattern in the error past the bound."""
    import glob

    from ..project import bounded_glob

    return [m for m in bounded_glob(os.path.join(glob.escape(folder), pattern), label)
            if os.path.isfile(m)]


class RuleSet(PlainEq):
    path: Optional[str]
    struct: Optional[str] = None
    rules: List[Rule]
    configs: List[Config]
    abi_defines: Dict[str, str]  # macro -> ABI class
    discovery: Optional[Discovery] = None
    # [matrix.extra_for]: (header pattern, configs checked for those headers only)
    extra_for: List[Tuple[str, List[Config]]]
    # the file's rules whose 'headers' name other headers (for_header)
    elsewhere: List[Rule]

    _fields = ("path", "struct", "rules", "configs", "abi_defines", "discovery", "extra_for", "elsewhere")

    def __init__(self, path: Optional[str], struct: Optional[str] = None, rules: List[Rule] = FRESH,
                 configs: List[Config] = FRESH, abi_defines: Dict[str, str] = FRESH,
                 discovery: Optional[Discovery] = None, extra_for: List[Tuple[str, List[Config]]] = FRESH,
                 elsewhere: List[Rule] = FRESH) -> None:
        self.path = path
        self.struct = struct
        self.rules = [] if rules is FRESH else rules
        self.configs = [] if configs is FRESH else configs
        self.abi_defines = {} if abi_defines is FRESH else abi_defines
        self.discovery = discovery
        self.extra_for = [] if extra_for is FRESH else extra_for
        self.elsewhere = [] if elsewhere is FRESH else elsewhere
        # the files each 'headers' pattern names (_header_files), shared
        # with the sets for_header makes of this one
        self._named: Dict[Tuple[str, Optional[KernelNames]], FrozenSet[str]] = {}
        # the kernel tree whose headers a pattern may name (for_header)
        self._tree: Optional[KernelNames] = None

    def for_header(self, header: Optional[str], tree: Optional["KernelNames"] = None) -> "RuleSet":
        """These rules as ``header`` reads them: a rule whose ``headers``
        name other files is set apart (``elsewhere``).  A header not named
        by a path (C text) has only the rules that name no headers.
        ``tree``: a kernel tree whose headers a pattern that names no file
        beside the rules file names (by their paths in the tree or as
        they are included: ``KernelNames``)."""
        if not any(r.headers for r in self.rules) and tree == self._tree:
            return self
        target = os.path.realpath(header) if header is not None else None
        mine: List[Rule] = []
        out = RuleSet(self.path, self.struct, mine, self.configs, self.abi_defines,
                      self.discovery, self.extra_for, list(self.elsewhere))
        out._named = self._named
        out._tree = tree
        for rule in self.rules:
            if not rule.headers or target is not None and any(
                    target in out._header_files(p) for p in rule.headers):
                mine.append(rule)
            else:
                out.elsewhere.append(rule)
        return out

    @property
    def tree(self) -> Optional["KernelNames"]:
        """The kernel tree whose headers a pattern may name (``for_header``)."""
        return self._tree

    def unmatched_headers(self) -> List[Tuple[Rule, str]]:
        """(rule, pattern) for each pattern of a rule's ``headers`` that
        names no file: the rule would never be checked there."""
        return [(rule, p) for rule in self.rules + self.elsewhere for p in rule.headers
                if not self._header_files(p)]

    def unread_headers(self) -> List[Tuple[Rule, str, str, Optional[str]]]:
        """(rule, pattern, a file it names, the rules file that file reads)
        for each pattern of a rule's ``headers`` whose every file finds
        other rules (its own NAME.rules.toml, a nearer layoutcheck.toml):
        no header that reads this file is one the rule is for.  For rules
        found by the search; a file given (``--rules``) is the rules of
        every header it is given for."""
        if self.discovery is None or self.discovery.how == "--rules" or not self.path:
            return []
        out = []
        for rule in self.rules + self.elsewhere:
            for pattern in rule.headers:
                files = sorted(self._header_files(pattern))
                readers = [(f, discover_rules(f).path) for f in files]
                if readers and not any(r is not None and os.path.exists(r)
                                       and os.path.samefile(r, self.path) for _f, r in readers):
                    out.append((rule, pattern, *readers[0]))
        return out

    def _header_files(self, pattern: str) -> FrozenSet[str]:
        """The files ``pattern`` names (a glob relative to the rules file's
        folder, ``**`` for any depth, as a project's ``headers``), by real
        path; where it names none there, those it names in ``for_header``'s
        kernel tree."""
        found = self._named.get((pattern, self._tree))
        if found is None:
            base = os.path.dirname(os.path.abspath(self.path)) if self.path else os.getcwd()
            found = frozenset(os.path.realpath(m)
                              for m in _files_under(base, pattern, f"{self.path}: headers"))
            if not found and self._tree is not None:
                found = self._tree.named(pattern, f"{self.path}: headers")
            self._named[(pattern, self._tree)] = found
        return found

    def configs_for(self, header: Optional[str]) -> List[Config]:
        """The matrix, plus the configs ``[matrix.extra_for]`` adds for
        ``header``."""
        import fnmatch

        out = list(self.configs)
        if header is None or not self.extra_for:
            return out
        base = os.path.dirname(os.path.abspath(self.path)) if self.path else os.getcwd()
        rel = os.path.relpath(os.path.abspath(header), base)
        for pattern, configs in self.extra_for:
            if fnmatch.fnmatchcase(rel, pattern):
                out += [c for c in configs if c not in out]
        return out

    def unmatched_extra_for(self) -> List[str]:
        """A note for each ``[matrix.extra_for]`` pattern that matches no
        file below the rules file's folder: a misspelt pattern adds its
        configs to no header, and nothing else would say so.  (Not said
        below a folder of more than 20,000 files.)"""
        import fnmatch

        if not self.extra_for or not self.path:
            return []
        base = os.path.dirname(os.path.abspath(self.path))
        names: List[str] = []
        for root, dirs, files in os.walk(base):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            names += [os.path.relpath(os.path.join(root, f), base) for f in files]
            if len(names) > 20000:
                return []
        return [f"[matrix.extra_for] pattern {pattern!r} matches no file below {base}: "
                f"its configs are checked for no header"
                for pattern, _configs in self.extra_for
                if not any(fnmatch.fnmatchcase(n, pattern) for n in names)]

    def defines_for_abis(self, abis: Sequence[ABI]) -> Dict[str, Dict[str, str]]:
        out: Dict[str, Dict[str, str]] = {}
        for abi in abis:
            extra = {m: "1" for m, cls in self.abi_defines.items() if abi_matches(cls, abi)}
            if extra:
                out[abi.name] = extra
        return out

    def program(self, path: str, config: Config, abis: Sequence[str], defines=None,
                undefs=(), include_dirs=(), cpp: str = "auto", pp_abi=None, session=None,
                kernel=None, abi_include_dirs=None):
        """``path`` read in ``config`` with these rules' abi_defines, by the
        one road every command takes (``options.open_program``)."""
        from ..options import Options, open_program

        opts = Options.make(list(abis), defines, undefs, include_dirs, cpp, pp_abi,
                            rules=self.path or False, kernel=kernel, project=False,
                            abi_include_dirs=abi_include_dirs)
        return open_program(path, opts, config=config, ruleset=self, session=session,
                            is_path=True)


def abi_matches(selector: Any, abi: ABI) -> bool:
    if selector in (None, "all"):
        return True
    if isinstance(selector, (list, tuple)):
        return any(abi_matches(s, abi) for s in selector)
    if selector == "64bit":
        return abi.bits == 64
    if selector == "32bit":
        return abi.bits == 32
    if selector in ("little", "big"):
        return abi.endian == selector
    return selector == abi.name


def check_abi_selector(selector: Any, what: str) -> None:
    """A LayoutError unless ``selector`` names ABIs: a class, an ABI name,
    or a non-empty list of them.  ``what`` says where it was written."""
    known = list(ABI_CLASSES) + abi_names()
    items = selector if isinstance(selector, list) else [selector]
    if isinstance(selector, list) and not selector:
        raise LayoutError(f"{what}: an empty list selects no ABI")
    for item in items:
        if not isinstance(item, str):
            raise LayoutError(f"{what}: ABI selector {item!r} is not a string")
        if item not in known:
            import difflib

            close = difflib.get_close_matches(item, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise LayoutError(f"{what}: unknown ABI selector {item!r}{hint}; use one of "
                              f"{', '.join(ABI_CLASSES)} or an ABI name ({', '.join(abi_names())})")


def config_name(defines: Dict[str, str]) -> str:
    if not defines:
        return "default"
    return "+".join(k if v in ("1", "") else f"{k}={v}" for k, v in defines.items())


def make_config(macros: Sequence[str]) -> Config:
    defines: Dict[str, str] = {}
    for item in macros:
        name, eq, value = item.partition("=")
        defines[name.strip()] = value.strip() if eq else "1"
    return Config(config_name(defines), defines)


def _macro_configs(extras: Any, what: str, where: str) -> List[Config]:
    if not isinstance(extras, list):
        raise LayoutError(f"{what} must be a list of macro lists", where)
    out = []
    for extra in extras:
        items = extra if isinstance(extra, list) else [extra]
        if not isinstance(extra, (list, str)) or not all(isinstance(x, str) for x in items):
            raise LayoutError(f"{what}: {extra!r} is not a list of macros", where)
        for macro in items:
            if not _MACRO.match(macro.split("=", 1)[0]):
                raise LayoutError(f"{what}: {macro!r} is not a macro name", where)
        out.append(make_config(listify(extra)))
    return out


def _parse_extra_for(matrix: Any, where: str) -> List[Tuple[str, List[Config]]]:
    """``[matrix.extra_for]``: configs checked only for the headers a
    pattern names (relative to the rules file; ``*`` and ``?`` allowed)."""
    table = matrix.get("extra_for", {}) if isinstance(matrix, dict) else {}
    if not isinstance(table, dict):
        raise LayoutError('[matrix.extra_for] must be a table of "header" = [[MACRO, ...], ...]', where)
    return [(pattern, _macro_configs(extras, f"matrix.extra_for.{pattern}", where))
            for pattern, extras in table.items()]


def _parse_matrix(matrix: Any, where: str) -> Tuple[List[Config], Dict[str, Any]]:
    if not isinstance(matrix, dict):
        raise LayoutError("[matrix] must be a table", where)
    unknown = set(matrix) - {"vary", "extra", "abi_defines", "extra_for"}
    if unknown:
        raise LayoutError(f"unknown [matrix] keys {sorted(unknown)} (use vary, extra, extra_for, "
                          f"abi_defines)", where)
    vary = name_list(matrix["vary"], "matrix.vary", where, "macros") if "vary" in matrix else []
    for macro in vary:
        if not _MACRO.match(macro):
            raise LayoutError(f"matrix.vary: {macro!r} is not a macro name", where)
    if len(vary) > MAX_VARY:
        raise LayoutError(f"matrix.vary names {len(vary)} macros: {2 ** len(vary)} configs; at most "
                          f"{MAX_VARY} ({2 ** MAX_VARY} configs) may be varied (list the "
                          f"combinations wanted in matrix.extra)", where)
    configs: List[Config] = []
    for bits in itertools.product((False, True), repeat=len(vary)):
        configs.append(make_config([m for m, on in zip(vary, bits, strict=True) if on]))
    extras = matrix.get("extra", [])
    if not isinstance(extras, list):
        raise LayoutError("matrix.extra must be a list of macro lists", where)
    for cfg in _macro_configs(extras, "matrix.extra", where):
        if cfg not in configs:
            configs.append(cfg)
    abi_defines: Dict[str, Any] = {}
    table = matrix.get("abi_defines") or {}
    if not isinstance(table, dict):
        raise LayoutError("[matrix.abi_defines] must be a table of MACRO = ABI selector", where)
    for macro, cls in table.items():
        check_abi_selector(cls, f"{where}: [matrix.abi_defines] {macro}")
        abi_defines[macro] = cls
    return configs or [Config("default", {})], abi_defines


# matrix.vary: every subset of these macros is a config.
MAX_VARY = 10

_RULE_TABLE = re.compile(r"\s*\[\[\s*rule\s*\]\]")


def parse_rules(text: str, path: Optional[str] = None) -> RuleSet:
    import tomllib  # here: most commands read no rules file

    from ..safety import toml_loads

    where = path or "<rules>"
    try:
        data = toml_loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"bad rules file: {exc}", where) from None
    except ValueError as exc:  # an integer of more digits than int() takes
        raise LayoutError(f"bad rules file: {exc}", where) from None
    except RecursionError:
        raise LayoutError("bad rules file: arrays or tables nested too deeply", where) from None
    unknown = set(data) - {"struct", "matrix", "rule", "project"}  # [project]: project.py
    if unknown:
        raise LayoutError(f"unknown top-level keys {sorted(unknown)}", where)
    default_struct = data.get("struct")
    if default_struct is not None and (not isinstance(default_struct, str) or not default_struct):
        raise LayoutError(f"'struct' must be a struct name, got {default_struct!r}", where)
    rs = RuleSet(path, default_struct)
    rs.configs, rs.abi_defines = _parse_matrix(data.get("matrix", {}), where)
    rs.extra_for = _parse_extra_for(data.get("matrix", {}), where)
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise LayoutError("rules are written [[rule]] (an array of tables)", where)
    seen = set()
    # where each [[rule]] starts (tomllib gives no positions)
    starts = [n for n, line in enumerate(text.splitlines(), 1) if _RULE_TABLE.match(line)]
    for i, raw in enumerate(raw_rules):
        label = f"{where}: rule {i + 1}"
        if not isinstance(raw, dict):
            raise LayoutError(f"{label}: a rule is a table ([[rule]]), got {raw!r}")
        if isinstance(raw.get("name"), str):
            label += f" ({raw['name']})"
        if "kind" not in raw:
            raise LayoutError(f"{label}: missing 'kind'")
        from . import kinds

        kind = kinds.kind_of(raw["kind"])
        if kind is None:
            raise LayoutError(f"{label}: unknown kind {raw['kind']!r}; use one of "
                              f"{', '.join(kinds.kind_names())}")
        params = {k: v for k, v in raw.items() if k not in _COMMON_KEYS}
        bad = set(params) - kinds.all_keys()
        if bad:
            raise LayoutError(f"{label}: unknown keys {sorted(bad)}")
        kind.check_params(params, label)
        name = raw.get("name") or kind.default_name(params)
        if not isinstance(name, str):
            raise LayoutError(f"{label}: 'name' must be a string")
        if name in seen:
            raise LayoutError(f"{label}: duplicate rule name {name!r}")
        seen.add(name)
        label = f"{where}: rule {i + 1} ({name})"
        rule = Rule(kind.name, name, raw.get("struct", rs.struct), params,
                    name_list(raw["optional"], "optional", label) if "optional" in raw else [],
                    raw.get("abis", "all"), _parse_when(raw.get("when", {}), label),
                    raw.get("why"), label, dict(rs.abi_defines))
        rule.path = path
        rule.line = starts[i] if len(starts) == len(raw_rules) else None
        if "headers" in raw:
            rule.headers = _header_patterns(raw["headers"], label)
        _validate(rule, label)
        rs.rules.append(rule)
    return rs


def _header_patterns(value: Any, label: str) -> List[str]:
    """A rule's ``headers``: globs relative to the rules file's folder."""
    patterns = name_list(value, "headers", label, "header paths or globs")
    for p in patterns:
        if os.path.isabs(p) or "\0" in p or "\n" in p:
            raise LayoutError(f"{label}: headers: {p!r} is not a path relative to the rules "
                              f"file's folder")
    return patterns


def _parse_when(when: Any, label: str) -> Dict[str, bool]:
    if not isinstance(when, dict):
        raise LayoutError(f"{label}: 'when' must be a table such as {{ CONFIG_X = true }}")
    out: Dict[str, bool] = {}
    for macro, want in when.items():
        if not _MACRO.match(macro):
            raise LayoutError(f"{label}: when: {macro!r} is not a macro name")
        if not isinstance(want, bool):
            raise LayoutError(f"{label}: when.{macro} = {want!r} is not a boolean; write "
                              f"{macro} = true or {macro} = false, without quotes (a string "
                              f"such as \"false\" is not false)")
        out[macro] = want
    return out


def _validate(rule: Rule, label: str) -> None:
    """A LayoutError unless the rule can be checked: its kind's parameters
    (``kinds``), then the keys every rule has."""
    from . import kinds

    kind = kinds.REGISTRY[rule.kind]
    kind.validate(rule, label)
    named = {n for key in kind.member_keys for n in listify(rule.params.get(key))}
    stray = [m for m in rule.optional if m not in named]
    if stray:
        raise LayoutError(f"{label}: optional names {stray}, which the rule does not use "
                          f"(it names {', '.join(sorted(named)) or 'no member'})")
    if rule.abis != "all":
        check_abi_selector(rule.abis, f"{label}: abis")
    if rule.why is not None and not isinstance(rule.why, str):
        raise LayoutError(f"{label}: 'why' must be a string")
    if not isinstance(rule.struct, str) or not rule.struct:
        raise LayoutError(f"{label}: no struct named (set 'struct' at the top or in the rule)")


def load_rules(path: str) -> RuleSet:
    rs = parse_rules(_read(path), path)
    rs.discovery = Discovery("", path, "--rules")  # the caller knows the header
    return rs


# ---------------------------------------------------------------- discovery
def untrusted(path: str) -> Optional[str]:
    """Why rules must not be read from ``path`` (a directory or a file),
    or None.  Trusted: owned by the current user (``os.getuid()``) or by
    root, writable by no one else: not by others (a root-owned ``/tmp`` is
    refused even when running as root), and not by a group unless it is the
    user's own private group (Debian's default umask 002 gives every file
    of a user's checkout group write to that group)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"cannot be examined ({exc.strerror})"
    uid = os.getuid()
    if st.st_uid not in (uid, 0):
        return f"owned by uid {st.st_uid}, not by the current user (uid {uid}) or root"
    if st.st_mode & stat.S_IWOTH:
        return f"writable by others (mode {stat.S_IMODE(st.st_mode):04o})"
    if st.st_mode & stat.S_IWGRP and not _private_group(st.st_gid, uid):
        return f"writable by its group {st.st_gid} (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def _private_group(gid: int, uid: int) -> bool:
    """Whether ``gid`` is the user's own group: the user's primary group,
    named after the user, with no other members."""
    import grp
    import pwd

    try:
        user = pwd.getpwuid(uid)
        group = grp.getgrgid(gid)
    except KeyError:
        return False
    return (user.pw_gid == gid and group.gr_name == user.pw_name
            and all(m == user.pw_name for m in group.gr_mem))


def _home() -> Optional[str]:
    home = os.path.expanduser("~")
    return os.path.realpath(home) if home and home != "~" else None


def discover_rules(header: str) -> Discovery:
    """Find the rules for ``header`` (see the module docstring)."""
    header = os.path.abspath(header)
    found = Discovery(header)
    stem, _ = os.path.splitext(header)
    own = stem + ".rules.toml"
    home = _home()
    d = os.path.dirname(header)
    while True:
        candidates = ([own] if d == os.path.dirname(header) else []) + \
            [os.path.join(d, "layoutcheck.toml")]
        bad_dir = untrusted(d)
        if bad_dir is not None:
            # Not even looked at: name what would have been read.
            for cand in candidates:
                if os.path.isfile(cand):
                    found.refused.append((cand, f"its directory {d} is {bad_dir}"))
            found.stop = f"{d} ({bad_dir})"
            return found
        for cand in candidates:
            if os.path.isfile(cand):
                bad_file = untrusted(cand)
                if bad_file is not None:
                    found.refused.append((cand, f"the file is {bad_file}"))
                    found.stop = f"{cand} (refused)"
                    return found
                if _project_only(cand):
                    continue  # a project file without rules: look further up
                found.path = cand
                found.how = "beside the header" if cand == own else "parent directory"
                return found
        if os.path.exists(os.path.join(d, ".git")):
            found.stop = f"{d} (repository top)"
            return found
        if home is not None and os.path.realpath(d) == home:
            found.stop = f"{d} (home directory)"
            return found
        parent = os.path.dirname(d)
        if parent == d:
            found.stop = f"{d} (file system root)"
            return found
        d = parent


def _project_only(path: str) -> bool:
    """A layoutcheck.toml that holds a [project] table and no rules."""
    from ..safety import toml_loads

    try:
        with open(path, "rb") as fh:
            data = toml_loads(fh.read().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return False  # read (and reported) as a rules file
    return "project" in data and not set(data) - {"project"}


def find_rules_file(header: str) -> Optional[str]:
    """The rules file ``header``'s rules come from, or None."""
    return discover_rules(header).path


def load_rules_for(header: str) -> RuleSet:
    """The rules that apply to ``header`` by the discovery convention.
    ``.discovery`` says where they came from, or why there are none."""
    found = discover_rules(header)
    if found.path is None:
        rs = RuleSet(None, configs=[Config("default", {})])
    else:
        rs = parse_rules(_read(found.path), found.path)
    rs.discovery = found
    return rs


def _read(path: str) -> str:
    from ..safety import MAX_TOML_BYTES, load_toml, read_regular

    data = read_regular(path, "rules file", MAX_TOML_BYTES + 1)
    load_toml(data, path)  # every way the file can be bad, said once
    return data.decode("utf-8")
