"""A project's settings: which headers, ABIs, configs and rules, once.

A project is configured in ``layoutcheck.toml`` (a ``[project]`` table) or
in ``pyproject.toml`` (a ``[tool.layoutcheck]`` table), found from the
working directory upwards, as rules files are found (``rules.spec``): the
search reads the repository top (the directory holding ``.git``) and the
home directory, and goes no higher; a file or directory another user may
write is refused and reported, never read.  ``LAYOUTCHECK_PROJECT`` names
the file instead (``off`` for none)::

    [project]
    headers = ["include/linux/*.h"]   # globs, from the file's directory
    structs = ["page"]                # show/diff only these (default all)
    abis = ["all"]                    # as --abi
    configs = ["default"]             # as --config (default: the rules' matrix)
    rules = "layout/rules.toml"       # as --rules (default: found per header)
    kernel = "/usr/src/linux-headers-6.1.0-50-amd64"   # read as --kernel; never built
    defines = { CONFIG_MEMCG = "1" }  # as -D
    undefs = ["CONFIG_SLUB"]          # as -U
    include_dirs = ["include"]        # as -I, from the file's directory
    abi_include_dirs = { i386 = ["/usr/i686-linux-gnu/include"] }   # as --abi-include
    baseline = "HEAD"                 # the revision the hook compares with
    fail_on = "rules"                 # "changes" or "rules": what makes diff and
                                      # the hook fail (default: diff "changes",
                                      # the hook "rules")

Every command and the library read it through ``options.Options.make``.
What the command line (or a library call) gives wins: ``--abi``,
``--rules``, ``--kernel``, ``--config``, ``--struct`` replace the
project's; ``-D``, ``-U``, ``-I`` and ``--abi-include`` come after the project's, as they
would on a compiler's command line.  Paths in the file are relative to
its directory.  Every key is checked when the file is read; an unknown
one is an error that names the file and suggests the key meant.
"""

from __future__ import annotations

import glob
import os
from typing import Any, Dict, List, Optional, Tuple

from .errors import LayoutError
from .plain import FRESH, PlainEq

KEYS = ("headers", "structs", "abis", "configs", "rules", "kernel", "defines", "undefs",
        "include_dirs", "abi_include_dirs", "baseline", "fail_on", "cpp")
FAIL_ON = ("changes", "rules")
ENV = "LAYOUTCHECK_PROJECT"


class Project(PlainEq):
    """The settings of one project file (paths made absolute)."""

    path: str  # the file read
    table: str  # "[project]" or "[tool.layoutcheck]"
    headers: List[str]  # globs, absolute
    structs: List[str]
    abis: List[str]
    configs: List[str]
    rules: Optional[str] = None
    kernel: Optional[str] = None
    defines: Dict[str, str]
    undefs: List[str]
    include_dirs: List[str]
    baseline: str = "HEAD"
    fail_on: Optional[str] = None  # diff: "changes" unless set; the hook: "rules"
    cpp: Optional[str] = None
    # -I folders for some ABIs only, absolute: (ABI name, folders)
    abi_include_dirs: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()

    _fields = ("path", "table", "headers", "structs", "abis", "configs", "rules", "kernel", "defines", "undefs",
               "include_dirs", "baseline", "fail_on", "cpp", "abi_include_dirs")

    def __init__(self, path: str, table: str, headers: List[str] = FRESH, structs: List[str] = FRESH,
                 abis: List[str] = FRESH, configs: List[str] = FRESH, rules: Optional[str] = None,
                 kernel: Optional[str] = None, defines: Dict[str, str] = FRESH, undefs: List[str] = FRESH,
                 include_dirs: List[str] = FRESH, baseline: str = "HEAD", fail_on: Optional[str] = None,
                 cpp: Optional[str] = None,
                 abi_include_dirs: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()) -> None:
        self.path = path
        self.table = table
        self.headers = [] if headers is FRESH else headers
        self.structs = [] if structs is FRESH else structs
        self.abis = [] if abis is FRESH else abis
        self.configs = [] if configs is FRESH else configs
        self.rules = rules
        self.kernel = kernel
        self.defines = {} if defines is FRESH else defines
        self.undefs = [] if undefs is FRESH else undefs
        self.include_dirs = [] if include_dirs is FRESH else include_dirs
        self.baseline = baseline
        self.fail_on = fail_on
        self.cpp = cpp
        self.abi_include_dirs = abi_include_dirs

    @property
    def fail_on_diff(self) -> str:
        return self.fail_on or "changes"

    @property
    def fail_on_hook(self) -> str:
        return self.fail_on or "rules"

    @property
    def root(self) -> str:
        return os.path.dirname(self.path)

    def header_paths(self) -> List[str]:
        """The headers the globs name, sorted, each once (relative to the
        working directory when they are under it)."""
        found: Dict[str, None] = {}
        for pattern in self.headers:
            matches = sorted(bounded_glob(pattern, f"{self.path}: headers"))
            if not matches and not glob.has_magic(pattern):
                raise LayoutError(f"{self.path}: headers: no file {pattern}")
            for m in matches:
                if os.path.isfile(m):
                    found.setdefault(_nice(m), None)
        return list(found)

    def owns(self, path: str) -> bool:
        """Whether ``path`` is one of the project's headers."""
        full = os.path.abspath(path)
        return any(os.path.abspath(p) == full for p in self.header_paths())

    def describe(self) -> str:
        return f"{_nice(self.path)} {self.table}"


# Paths one `headers` glob may match.
MAX_GLOB_PATHS = 100_000


def bounded_glob(pattern: str, origin: str) -> List[str]:
    """The paths ``pattern`` matches (``**`` for any depth), at most
    MAX_GLOB_PATHS: glob follows symlinked directories, and a link to '.'
    makes '**' grow without end, so the paths are counted, not trusted."""
    matches = []
    for m in glob.iglob(pattern, recursive=True):
        matches.append(m)
        if len(matches) > MAX_GLOB_PATHS:
            raise LayoutError(f"{origin}: {pattern} matches more than {MAX_GLOB_PATHS} paths "
                              f"(a symbolic link to a directory above?)")
    return matches


def _nice(path: str) -> str:
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else path


def _suggest(word: str, known) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _strings(value: Any, key: str, where: str) -> List[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise LayoutError(f"{where}: {key} must be a string or a list of strings")
    return list(value)


def _path(value: Any, key: str, where: str, base: str) -> str:
    if not isinstance(value, str) or not value or "\0" in value:
        raise LayoutError(f"{where}: {key} must be a path")
    return os.path.normpath(os.path.join(base, os.path.expanduser(value)))


def parse_project(data: Dict[str, Any], path: str, table: str) -> Project:
    """A Project from the table's contents (``data``), read from ``path``."""
    from .safety import check_include_path, check_macro, check_macro_name

    where = f"{path} {table}"
    base = os.path.dirname(os.path.abspath(path))
    unknown = [k for k in data if k not in KEYS]
    if unknown:
        k = unknown[0]
        raise LayoutError(f"{where}: unknown key {k!r}{_suggest(k, KEYS)}; the keys are "
                          f"{', '.join(KEYS)}")
    proj = Project(os.path.abspath(path), table)
    if "headers" in data:
        # the file's directory is a place, not a pattern ([ or * in its name)
        proj.headers = [os.path.join(glob.escape(base), g) for g in _strings(data["headers"], "headers", where)]
    if "structs" in data:
        proj.structs = _strings(data["structs"], "structs", where)
    if "abis" in data:
        from .options import abi_list

        proj.abis = _strings(data["abis"], "abis", where)
        try:
            abi_list(proj.abis)
        except LayoutError as exc:
            raise LayoutError(f"{where}: abis: {exc}") from None
    if "configs" in data:
        proj.configs = _strings(data["configs"], "configs", where)
        for item in proj.configs:  # a matrix name, default, or NAME[=VALUE],...
            for macro in item.replace("+", ",").split(","):
                if macro.strip() and macro.strip() != "default":
                    name, eq, value = macro.strip().partition("=")
                    check_macro(name, value if eq else "1", f"{where}: configs")
    if "rules" in data:
        proj.rules = _path(data["rules"], "rules", where, base)
    if "kernel" in data:
        proj.kernel = _path(data["kernel"], "kernel", where, base)
    if "defines" in data:
        defines = data["defines"]
        if not isinstance(defines, dict):
            raise LayoutError(f"{where}: defines must be a table of NAME = value")
        for name, value in defines.items():
            if value is False:
                raise LayoutError(f"{where}: defines.{name} = false: a macro left undefined is "
                                  f"listed in undefs")
            if value is True:
                value = "1"
            if isinstance(value, int):
                value = str(value)
            if not isinstance(value, str):
                raise LayoutError(f"{where}: defines.{name} must be a string, a number or true")
            checked, val = check_macro(name, value, f"{where}: defines")
            proj.defines[checked] = val
    if "undefs" in data:
        proj.undefs = [check_macro_name(u, f"{where}: undefs")
                       for u in _strings(data["undefs"], "undefs", where)]
    if "include_dirs" in data:
        proj.include_dirs = [check_include_path(_path(d, "include_dirs", where, base),
                                                f"{where}: include_dirs")
                             for d in _strings(data["include_dirs"], "include_dirs", where)]
    if "abi_include_dirs" in data:
        from .cfront.preprocess import check_abi_include_dirs

        table = data["abi_include_dirs"]
        if not isinstance(table, dict):
            raise LayoutError(f"{where}: abi_include_dirs must be a table of ABI = [folders]")
        proj.abi_include_dirs = check_abi_include_dirs(
            {name: [check_include_path(_path(d, f"abi_include_dirs.{name}", where, base),
                                       f"{where}: abi_include_dirs")
                    for d in _strings(dirs, f"abi_include_dirs.{name}", where)]
             for name, dirs in table.items()}, f"{where}: abi_include_dirs")
    if "baseline" in data:
        from .safety import check_git_rev

        if not isinstance(data["baseline"], str):
            raise LayoutError(f"{where}: baseline must be a git revision such as HEAD")
        proj.baseline = check_git_rev(data["baseline"], f"{where}: baseline")
    if "fail_on" in data:
        if data["fail_on"] not in FAIL_ON:
            raise LayoutError(f"{where}: fail_on must be one of {', '.join(FAIL_ON)}"
                              f"{_suggest(str(data['fail_on']), FAIL_ON)}")
        proj.fail_on = data["fail_on"]
    if "cpp" in data:
        from .cfront.preprocess import MODES

        if data["cpp"] not in MODES:
            raise LayoutError(f"{where}: cpp must be one of {', '.join(MODES)}")
        proj.cpp = data["cpp"]
    return proj


def _read_table(path: str) -> Optional[Tuple[Dict[str, Any], str]]:
    """The project table of ``path`` (a layoutcheck.toml or a
    pyproject.toml), or None when it has none."""

    from .safety import MAX_TOML_BYTES, load_toml, read_regular

    raw = read_regular(path, "project file", MAX_TOML_BYTES + 1)
    data = load_toml(raw, path)
    if os.path.basename(path) == "pyproject.toml":
        tool = data.get("tool")
        table = tool.get("layoutcheck") if isinstance(tool, dict) else None
        name = "[tool.layoutcheck]"
    else:
        table = data.get("project")
        name = "[project]"
    if table is None:
        return None
    if not isinstance(table, dict):
        raise LayoutError(f"{path}: {name} must be a table")
    return table, name


class Found(PlainEq):
    """The project found (or not) and the files refused on the way."""

    project: Optional[Project]
    refused: List[Tuple[str, str]]

    _fields = ("project", "refused")

    def __init__(self, project: Optional[Project], refused: List[Tuple[str, str]] = FRESH) -> None:
        self.project = project
        self.refused = [] if refused is FRESH else refused


def find_project(start: Optional[str] = None) -> Found:
    """The project whose settings apply in ``start`` (default: the working
    directory)."""
    from .rules.spec import _home, untrusted

    explicit = os.environ.get(ENV)
    if explicit is not None:
        if explicit.strip().lower() in ("off", "none", "0", ""):
            return Found(None)
        table = _read_table(explicit)
        if table is None:
            raise LayoutError(f"{ENV}={explicit}: the file has no [project] "
                              f"(or, in a pyproject.toml, [tool.layoutcheck]) table")
        return Found(parse_project(table[0], explicit, table[1]))
    found = Found(None)
    d = os.path.abspath(start or os.getcwd())
    home = _home()
    while True:
        bad_dir = untrusted(d)
        for name in ("layoutcheck.toml", "pyproject.toml"):
            cand = os.path.join(d, name)
            if not os.path.isfile(cand):
                continue
            why = f"its directory {d} is {bad_dir}" if bad_dir else untrusted(cand)
            if why is not None:
                found.refused.append((cand, why if bad_dir else f"the file is {why}"))
                continue
            table = _read_table(cand)
            if table is not None:
                found.project = parse_project(table[0], cand, table[1])
                return found
        if bad_dir is not None or os.path.exists(os.path.join(d, ".git")):
            return found
        if home is not None and os.path.realpath(d) == home:
            return found
        parent = os.path.dirname(d)
        if parent == d:
            return found
        d = parent
