"""One road from options to programs, for the library and every command.

A layout depends on the header, the ABI, the -D/-U/-I options, the kernel
config of the rules matrix, and the macros that follow the ABI
(``[matrix.abi_defines]``, such as ``CONFIG_64BIT``).  ``Options`` holds
them all, checked; ``open_program`` is the only place they are turned into
a ``Program``.  ``show``, ``check``, ``diff``, ``verify``, ``load()`` and
``layout()`` all come through here, so the same options give the same
layouts whichever door they enter by.

The default ABIs are ``all`` everywhere (a layout question is a question
about every ABI); ``layout()``, which returns a single layout, uses the
host's; with a kernel tree (``kernel``, ``--kernel``) the tree's ABI, and
no other.  A header's rules file (found as ``check`` finds it) supplies its
``abi_defines`` to every door; ``rules=False`` reads the header without.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from .abi import ABI, resolve_abis
from .errors import LayoutError
from .kernel import open_tree
from .plain import Frozen
from .safety import check_macro, check_macro_name

if TYPE_CHECKING:
    from .project import Project

DEFAULT_ABIS = ("all",)

AbiSpec = Union[None, str, Sequence[Union[str, ABI]]]


def abi_list(abis: AbiSpec) -> List[ABI]:
    """ABIs from any spelling: None (the default, all), 'all', 'host',
    'x86_64,ppc', or a list of names or ABI objects."""
    if abis is None:
        return resolve_abis(list(DEFAULT_ABIS))
    if isinstance(abis, ABI):
        return [abis]
    if isinstance(abis, str):
        return resolve_abis([abis])
    if not isinstance(abis, (list, tuple, set, frozenset)):
        raise LayoutError(f"abis must be a name ('all', 'x86_64') or a list of names, "
                          f"not {type(abis).__name__}")
    names: List[str] = []
    for item in abis:
        if isinstance(item, ABI):
            names.append(item.name)
        elif isinstance(item, str):
            names.append(item)
        else:
            raise LayoutError(f"an ABI is a name such as 'x86_64', not {type(item).__name__}")
    if not names:
        raise LayoutError("no ABI given (use 'all', 'host' or names such as 'x86_64')")
    return resolve_abis(names)


class Options(Frozen):
    """How to read headers: the same for every header and config."""

    abis: Tuple[str, ...] = DEFAULT_ABIS
    defines: Tuple[Tuple[str, str], ...] = ()
    undefs: Tuple[str, ...] = ()
    include_dirs: Tuple[str, ...] = ()
    cpp: str = "auto"
    pp_abi: Optional[str] = None
    # None: the header's rules file by discovery; a path: that file;
    # False: no rules file (no abi_defines).
    rules: Union[None, str, bool] = None
    # A configured kernel tree (--kernel): headers are read as its kbuild
    # reads them, for its ABI (see kernel.py).
    kernel: Optional[str] = None
    # The tree came from the project file, not from the caller (--kernel,
    # kernel=): it may be read, never built (verify runs its Makefiles).
    kernel_from_project: bool = False
    # The project file whose settings these include (project.py), and what
    # else it says: the configs and structs to look at, the baseline.
    project: Optional["Project"] = None
    notes: Tuple[str, ...] = ()  # for stderr: project files refused
    # -I folders for some ABIs only (PPConfig.abi_include_dirs)
    abi_include_dirs: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()

    _fields = ("abis", "defines", "undefs", "include_dirs", "cpp", "pp_abi", "rules", "kernel", "kernel_from_project",
               "project", "notes", "abi_include_dirs")
    _uncompared = ("kernel_from_project", "project")

    def __init__(self, abis: Tuple[str, ...] = DEFAULT_ABIS, defines: Tuple[Tuple[str, str], ...] = (),
                 undefs: Tuple[str, ...] = (), include_dirs: Tuple[str, ...] = (), cpp: str = "auto",
                 pp_abi: Optional[str] = None, rules: Union[None, str, bool] = None, kernel: Optional[str] = None,
                 kernel_from_project: bool = False, project: Optional["Project"] = None,
                 notes: Tuple[str, ...] = (),
                 abi_include_dirs: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()) -> None:
        object.__setattr__(self, "abis", abis)
        object.__setattr__(self, "defines", defines)
        object.__setattr__(self, "undefs", undefs)
        object.__setattr__(self, "include_dirs", include_dirs)
        object.__setattr__(self, "cpp", cpp)
        object.__setattr__(self, "pp_abi", pp_abi)
        object.__setattr__(self, "rules", rules)
        object.__setattr__(self, "kernel", kernel)
        object.__setattr__(self, "kernel_from_project", kernel_from_project)
        object.__setattr__(self, "project", project)
        object.__setattr__(self, "notes", notes)
        object.__setattr__(self, "abi_include_dirs", abi_include_dirs)

    @staticmethod
    def make(abis: AbiSpec = None, defines: Optional[Mapping[str, object]] = None,
             undefs: Iterable[str] = (), include_dirs: Iterable[str] = (), cpp: Optional[str] = None,
             pp_abi: Optional[str] = None, rules: Union[None, str, bool] = None,
             kernel: Union[None, str, os.PathLike] = None,
             project: Union[None, bool, str, os.PathLike, "Project"] = None,
             abi_include_dirs: Optional[Mapping[str, Iterable[str]]] = None) -> "Options":
        """Checked options.  ``project``: None finds the project file from
        the working directory (project.py), False reads none, a path reads
        that file; what is given here wins over the project's settings
        (``abi_include_dirs``, -I folders for some ABIs only, come after
        the project's for the same ABI)."""
        from .cfront.preprocess import check_abi_include_dirs

        abi_dirs: Dict[str, List[str]] = {
            name: list(dirs) for name, dirs in check_abi_include_dirs(abi_include_dirs)}
        if defines is not None and not isinstance(defines, Mapping):
            raise LayoutError("defines must be a mapping of macro name to value")
        if isinstance(undefs, str):
            undefs = [undefs]
        if isinstance(include_dirs, (str, os.PathLike)):
            include_dirs = [include_dirs]
        undefs = _names_list(undefs, "undefs", str)
        include_dirs = _names_list(include_dirs, "include_dirs", (str, os.PathLike))
        both = sorted(set(defines or {}) & set(undefs))
        if both:
            # cc applies -D and -U in their order; a mapping and a list have
            # none between them: the pair is refused, not guessed
            raise LayoutError(f"defines and undefs both name {both[0]} (-D {both[0]} and -U "
                              f"{both[0]} together): give one of them (cc would apply them in "
                              f"their order)")
        proj, notes = _project(project)
        from_project = False
        if proj is not None:
            given_defines = dict(defines or {})
            given_undefs = list(undefs)
            # a -D on the command line beats the project's -U of the same
            # macro, and a -U its -D: they come after the project's
            defines = {k: v for k, v in proj.defines.items() if k not in given_undefs}
            defines.update(given_defines)
            undefs = [u for u in proj.undefs if u not in given_defines] + given_undefs
            include_dirs = list(proj.include_dirs) + list(include_dirs)
            for name, dirs in proj.abi_include_dirs:
                abi_dirs[name] = list(dirs) + abi_dirs.get(name, [])
            if kernel is None and proj.kernel is not None:
                kernel = proj.kernel
                from_project = True
            if abis is None and proj.abis and kernel is None:  # a tree has one ABI
                abis = list(proj.abis)
            if rules is None and proj.rules is not None:
                rules = proj.rules
            if cpp is None and proj.cpp:
                cpp = proj.cpp
        if cpp is None:
            cpp = "auto"
        checked = tuple(check_macro(k, v, "defines") for k, v in (defines or {}).items())
        if kernel is not None and not isinstance(kernel, (str, os.PathLike)):
            raise LayoutError("kernel must be the path of a configured kernel tree")
        tree = open_tree(kernel) if kernel is not None else None
        if tree is not None and abis is None:
            abis = tree.abi  # a kernel tree is built for one ABI
        names = tuple(a.name for a in abi_list(abis))
        if pp_abi is not None:
            abi_list(pp_abi)  # a known ABI
        if tree is not None:
            for name in names + ((abi_list(pp_abi)[0].name,) if pp_abi else ()):
                if name != tree.abi:
                    raise LayoutError(f"--kernel {kernel}: the tree is built for {tree.abi}, so it cannot be read "
                                      f"for {name} (drop --abi, or give --abi {tree.abi})")
        if rules is not None and not isinstance(rules, (str, bool, os.PathLike)):
            raise LayoutError("rules must be a path, True/None (find it) or False (none)")
        for what, value in (("rules", rules), ("kernel", kernel)):
            if isinstance(value, (str, os.PathLike)) and "\0" in os.fspath(value):
                raise LayoutError(f"{what}: {os.fspath(value)!r} is not a path")
        return Options(names, checked, tuple(check_macro_name(u, "undefine") for u in undefs),
                       tuple(os.fspath(d) for d in include_dirs), cpp, pp_abi,
                       os.fspath(rules) if isinstance(rules, os.PathLike) else rules,
                       os.fspath(kernel) if kernel is not None else None, from_project, proj,
                       notes, check_abi_include_dirs(abi_dirs))

    def abi_objects(self) -> List[ABI]:
        return abi_list(list(self.abis))

    def configs_or(self, given: Optional[Sequence[str]]) -> Optional[List[str]]:
        """The configs asked for: ``given`` (--config), else the project's."""
        if isinstance(given, str):
            given = [given]  # one config, not its letters
        if given:
            return _names_list(given, "configs", str)
        return list(self.project.configs) if self.project is not None and self.project.configs else None

    def structs_or(self, given: Optional[Sequence[str]]) -> Optional[List[str]]:
        if isinstance(given, str):
            given = [given]
        if given:
            return _names_list(given, "structs", str)
        return list(self.project.structs) if self.project is not None and self.project.structs else None

    def headers_or(self, given: Sequence[str], command: str) -> List[str]:
        """The headers to read: ``given``, else the project's; neither is an
        error saying how to give them."""
        if given:
            return list(given)
        if self.project is not None and self.project.headers:
            found = self.project.header_paths()
            if not found:
                raise LayoutError(f"{self.project.describe()}: headers match no file")
            return found
        raise LayoutError(f"{command}: no header given, and no project file (layoutcheck.toml "
                          f"[project] or pyproject.toml [tool.layoutcheck]) names headers")


def _names_list(items, what: str, kinds) -> list:
    """``items`` as a list, each of ``kinds`` (a LayoutError otherwise)."""
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise LayoutError(f"{what} must be a list, not {type(items).__name__}")
    for item in items:
        if not isinstance(item, kinds):
            raise LayoutError(f"{what}: {item!r} is not a name")
    return list(items)


def _project(project) -> Tuple[Optional["Project"], Tuple[str, ...]]:
    from .project import Project, find_project, parse_project  # noqa: F401

    if project is False:
        return None, ()
    if not (project is None or project is True or isinstance(project, (str, os.PathLike))):
        raise LayoutError(f"project must be a path, None (find it) or False (none), "
                          f"not {type(project).__name__}")
    if isinstance(project, Project):
        return project, ()
    if project is None or project is True:
        found = find_project()
        notes = tuple(f"not reading {p} for a project table: {why}" for p, why in found.refused)
        return found.project, notes
    from .project import _read_table

    path = os.fspath(project)
    table = _read_table(path)
    if table is None:
        raise LayoutError(f"{path}: no [project] (or [tool.layoutcheck]) table")
    return parse_project(table[0], path, table[1]), ()


def ruleset_for(source: Optional[str], options: Options):
    """The rule set whose matrix and abi_defines apply to ``source``, with
    the rules that are for it (a rule whose ``headers`` name other files
    is set apart: ``RuleSet.for_header``)."""
    from .rules.spec import Config, RuleSet, load_rules, load_rules_for

    names = None
    if options.kernel is not None:
        tree = open_tree(options.kernel)
        # a rule's 'headers' may name the tree's headers as they are
        # included (linux/mm_types.h) or by their paths in it
        names = kernel_names(tree)
        if source is not None:
            # a header named as it is included: its file in the tree, as
            # the Program reads it
            source = tree.resolve(source)
    if isinstance(options.rules, str):
        return load_rules(options.rules).for_header(source, names)
    if options.rules is False or source is None:
        return RuleSet(None, configs=[Config("default", {})])
    return load_rules_for(source).for_header(source, names)


def kernel_names(tree):
    """How a rule's ``headers`` name ``tree``'s headers (``KernelNames``):
    by paths from its source and build folders, or as included along its
    search path."""
    from .rules.spec import KernelNames

    # GCC looks for <name> along the -I folders, then the -isystem ones
    path = [d for option, d in tree.include_dirs if option == "-I"] \
        + [d for option, d in tree.include_dirs if option == "-isystem"]
    return KernelNames(tuple(dict.fromkeys([tree.source_dir, tree.build_dir])), tuple(path))


def open_program(source, options: Options, config=None, ruleset=None,
                 session=None, filename: Optional[str] = None, is_path: Optional[bool] = None):
    """The Program for ``source`` (a path or C text) under ``options``, in
    one config of the rules matrix (``config``, default none): its defines
    under the user's -D, and the rules' abi_defines for each ABI."""
    from .api import Program, looks_like_path

    path_like = looks_like_path(source) if is_path is None else is_path
    tree = open_tree(options.kernel) if options.kernel is not None else None
    if tree is not None and path_like:
        source = tree.resolve(os.fspath(source))  # linux/mm_types.h, include/linux/...
    if ruleset is None:
        ruleset = ruleset_for(os.fspath(source) if path_like else None, options)
    abis = options.abi_objects()
    defines: Dict[str, str] = dict(config.defines) if config is not None else {}
    defines.update(dict(options.defines))
    # In a kernel tree the ABI's macros (CONFIG_64BIT ...) come from its
    # autoconf.h, not from a rules file.
    abi_defines = ruleset.defines_for_abis(abis) if tree is None else {}
    prog = Program(source, [a.name for a in abis], defines=defines, undefs=options.undefs,
                   include_dirs=options.include_dirs, cpp=options.cpp,
                   abi_defines=abi_defines, session=session,
                   filename=filename, pp_abi=options.pp_abi, is_path=path_like, kernel=tree,
                   abi_include_dirs=dict(options.abi_include_dirs))
    prog.ruleset = ruleset
    return prog


def refused_rules_note(ruleset) -> Optional[str]:
    """A sentence for stderr when discovery refused a rules file (its
    abi_defines and matrix were not applied), else None."""
    found = getattr(ruleset, "discovery", None)
    if found is None or not found.refused:
        return None
    return "; ".join(f"not reading its rules {p}: {why}" for p, why in found.refused)


def select_configs(ruleset, wanted: Optional[Sequence[str]], header: Optional[str] = None) -> list:
    """The configs to read ``header`` in: the rules matrix (with what
    ``[matrix.extra_for]`` adds for it), or the ``wanted`` ones (a matrix
    config's name, ``default``, or a comma-separated macro list)."""
    from .rules import make_config

    matrix = ruleset.configs_for(header)
    if not wanted:
        return matrix
    import difflib

    by_name = {c.name: c for c in matrix}
    known = sorted({m for c in matrix for m in c.defines})
    out = []
    for item in wanted:
        cfg = by_name.get(item)
        if cfg is None:
            close = difflib.get_close_matches(item, list(by_name), n=1)
            if "+" in item:  # a matrix name's spelling, not a macro list
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise LayoutError(f"--config {item}: no config of that name in the matrix{hint}; "
                                  f"the configs are: {', '.join(by_name)}")
            macros = [m for m in item.split(",") if m.strip()] if item != "default" else []
            for macro in macros:
                name = macro.split("=", 1)[0].strip()
                near = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
                if known and name not in known and near:
                    raise LayoutError(f"--config {item}: {name} is no macro of the matrix (did you "
                                      f"mean {near[0]!r}?); the configs are: {', '.join(by_name)}")
            cfg = make_config(macros)
        if cfg not in out:
            out.append(cfg)
    return out


def open_kernel_unit(names: Sequence[str], options: Options, session=None):
    """Headers of a kernel tree (``options.kernel``) read together as one
    translation unit, the way an external module that includes them is
    built: one preprocessing and one parse, each struct once."""
    from .kernel import check_header_name, include_name, open_tree

    tree = open_tree(options.kernel)
    text = "".join(f"#include <{check_header_name(include_name(tree, n))}>\n" for n in names)
    return open_program(text, options, session=session, filename="<kernel headers>",
                        is_path=False)


def side_by_side(fn, items: Sequence) -> Iterable:
    """``fn(item)`` for each item, in order, the calls overlapping in a
    thread pool (one thread per core): for work that mostly waits on a
    preprocessor process.  The first error, in item order, is raised where
    the caller's loop reaches it."""
    if len(items) < 2 or (os.cpu_count() or 1) < 2:
        for item in items:
            yield fn(item)
        return
    from .workers import threaded

    yield from threaded(fn, items)
