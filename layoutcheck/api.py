"""The library API: load C declarations once, lay them out for any ABI.

    import layoutcheck
    page = layoutcheck.layout("cdefs/page/v4.20.h", "page", abi="x86_64",
                              defines={"CONFIG_MEMCG": "1"})
    page.size, page.align, page.member("lru.next").offset

    prog = layoutcheck.load("include/uapi/linux/bpf.h", abis=["all"])
    for lay in prog.layouts():
        ...

A ``Program`` preprocesses and parses a source once per group of ABIs that
preprocess alike (usually once in all), and shares one layout engine per ABI
through its ``Session``; the engines of a text read for several ABIs lay out
each record once per distinct answer (``LayoutEngine``'s pool).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from .abi import ABI, get_abi
from .cfront.preprocess import PPConfig, Preprocessed, check_abi_defines, preprocess_for_abis
from .errors import LayoutError
from .layouts import Layout, StoredLayout

if TYPE_CHECKING:  # the parser and engine are imported when a text is read
    from .engine import LayoutEngine
    from .model import Record, TranslationUnit

SourceLike = Union[str, os.PathLike]


def looks_like_path(source: SourceLike) -> bool:
    """A path, or C text (recognised by a newline, ``;`` or ``{``)?"""
    if isinstance(source, os.PathLike):
        return True
    if not isinstance(source, str):
        raise LayoutError(f"source must be a path or C text, not {type(source).__name__}")
    return "\n" not in source and ";" not in source and "{" not in source


class Session:
    """Caches parsed text and per-ABI engines across loads."""

    def __init__(self) -> None:
        self._units: Dict[str, TranslationUnit] = {}
        self._engines: Dict[Tuple[str, int], LayoutEngine] = {}
        self._pools: Dict[int, Dict[object, list]] = {}  # id(unit) -> its engines' shared records

    def unit(self, pp: Preprocessed) -> TranslationUnit:
        tu = self._units.get(pp.text_digest())
        if tu is None:
            from .cfront.builder import Builder
            from .cfront.parser import gc_paused

            with gc_paused():
                ast = pp.parsed()
            # two threads asking at once both read the text; the first unit
            # stored is the one both go on with (an engine is made for it only)
            tu = self._units.setdefault(pp.text_digest(), Builder().build(ast))
        return tu

    def has_unit(self, pp: Preprocessed) -> bool:
        return pp.text_digest() in self._units

    def drop(self, pp: Preprocessed) -> None:
        """Forget the parsed text of ``pp`` and its engines (read again if
        asked for): for callers going through many texts once."""
        tu = self._units.pop(pp.text_digest(), None)
        if tu is not None:
            for key in [k for k in self._engines if k[1] == id(tu)]:
                del self._engines[key]
            self._pools.pop(id(tu), None)


    def engine(self, abi: ABI, tu: TranslationUnit, shared: bool = False) -> LayoutEngine:
        # Types are model objects owned by one unit; one engine per unit and
        # ABI keeps memo tables small and lets a unit be dropped.  With
        # ``shared`` (a unit read for several ABIs) the unit's engines
        # share the records they lay out (LayoutEngine's pool); an engine
        # alone on its unit keeps no record of what it read.
        key = (abi.name, id(tu))
        eng = self._engines.get(key)
        if eng is None:
            from .engine import LayoutEngine

            eng = LayoutEngine(abi, self._pools.setdefault(id(tu), {}) if shared else None)
            self._engines[key] = eng
        return eng


_DEFAULT_SESSION = Session()


class Program:
    """One source under one preprocessing configuration, for some ABIs.

    Build it with ``load()`` (or ``options.open_program``), which also
    applies the header's rules file; this constructor takes every input
    explicitly."""

    def __init__(self, source: SourceLike, abis=None,
                 defines: Optional[Dict[str, str]] = None, undefs: Iterable[str] = (),
                 include_dirs: Iterable[str] = (), cpp: str = "auto",
                 abi_defines: Optional[Dict[str, Dict[str, str]]] = None,
                 session: Optional[Session] = None, filename: Optional[str] = None,
                 pp_abi: Optional[str] = None, is_path: Optional[bool] = None, kernel=None,
                 abi_include_dirs: Optional[Mapping[str, Iterable[str]]] = None):
        from .options import abi_list

        self.session = session or _DEFAULT_SESSION
        self.abis: List[ABI] = abi_list(abis)
        # kernel: a kernel.KernelTree whose kbuild reading applies.
        self.config = PPConfig.make(defines, undefs, include_dirs, cpp, kernel=kernel,
                                    abi_include_dirs=abi_include_dirs)
        self.defines = dict(self.config.defines)
        if is_path is None:
            is_path = looks_like_path(source)
        self.source = os.fspath(source) if is_path else (filename or "<input>")
        self._text = None if is_path else str(source)
        self.abi_defines = check_abi_defines(abi_defines, "abi_defines")
        self._groups = preprocess_for_abis(
            os.fspath(source), self.abis, self.config,
            is_path=is_path, filename=filename, abi_defines=self.abi_defines,
            pp_abi=get_abi(pp_abi) if pp_abi else None)
        self.ruleset = None  # set by options.open_program: where abi_defines came from
        self._by_abi: Dict[str, Preprocessed] = {}
        for group in self._groups:
            for abi in group.abis:
                self._by_abi[abi.name] = group
            # texts of one header for several ABIs share most declarations:
            # each is parsed once (parser._Reuse); a lone text is not worth
            # keeping its declarations for
            group.reuse = len(self._groups) > 1

    def oracle_source(self):
        """The header and options, for an oracle that compiles them itself."""
        from .oracle.gcc import OracleSource

        if self._text is not None:
            return OracleSource(text=self._text, config=self.config, abi_defines=self.abi_defines)
        return OracleSource(path=self.source, config=self.config, abi_defines=self.abi_defines)

    def text_size(self) -> int:
        """Characters of preprocessed text of this program's ABIs, the same
        whether the texts were made now or are kept in the cache (where
        ``show`` splits the work: the split decides the layout cache's
        entries, which a warm run must find)."""
        return sum(g.size() for g in self._groups)

    @property
    def groups(self) -> List[Preprocessed]:
        """The distinct preprocessed texts and the ABIs each serves."""
        return list(self._groups)

    def unit(self, abi: Union[str, ABI]) -> TranslationUnit:
        name = abi if isinstance(abi, str) else abi.name
        if name == "host":
            name = get_abi("host").name
        try:
            group = self._by_abi[name]
        except KeyError:
            raise LayoutError(f"ABI {name} was not loaded (loaded: {', '.join(self._by_abi)})") from None
        try:
            return self.session.unit(group)
        except LayoutError as exc:
            if len(group.abis) == len(self._by_abi) or "(reading for " in exc.message:
                raise
            # a text some of the ABIs read: which (the file may be theirs all)
            raise LayoutError(f"{exc.message} (reading for {', '.join(a.name for a in group.abis)})",
                              exc.where) from None

    def engine(self, abi: Union[str, ABI]) -> LayoutEngine:
        abi_obj = get_abi(abi) if isinstance(abi, str) else abi
        tu = self.unit(abi_obj)
        return self.session.engine(abi_obj, tu, len(self._by_abi[abi_obj.name].abis) > 1)

    def read_ahead(self, abis: Sequence[ABI]) -> None:
        """Parse and build the text of the first of ``abis`` now, unless the
        layout cache holds what ``stored_layouts(abis)`` would make of it
        (then it is never parsed): a process forked afterwards
        (``workers``) finds the declarations its own texts share with this
        one parsed (``parser._Reuse``) instead of parsing them again, and
        cache entries written aside meanwhile have the other core.  The
        UAPI row of ``tools/bench.py``: 2.28 s -> 2.18 s, medians of 8
        cold runs alternating."""
        from . import cache

        if not abis:
            return
        group = self._by_abi[abis[0].name]
        if self.session.has_unit(group):
            return
        if cache.cache_dir(create=False) is not None:
            batch = [a for a in abis if self._by_abi[a.name] is group]
            if cache.has_blob("layouts", _LayoutEntry.key_for(self, group, batch)):
                return
        self.unit(abis[0])

    def records(self, abi: Union[str, ABI, None] = None) -> List[Record]:
        """Tagged structs and unions with a complete definition."""
        return self.unit(abi or self.abis[0]).tagged_records()

    def defines_for(self, abi: Union[str, ABI]) -> Dict[str, str]:
        name = abi if isinstance(abi, str) else abi.name
        out = dict(self.defines)
        out.update(self.abi_defines.get(name, {}))
        return out

    def layout(self, struct: str, abi: Union[str, ABI, None] = None) -> Layout:
        if not isinstance(struct, str):
            raise LayoutError(f"a struct is named by a string ('page'), not {type(struct).__name__}")
        if abi is not None and not isinstance(abi, (str, ABI)):
            raise LayoutError(f"an ABI is a name such as 'x86_64', not {type(abi).__name__}")
        abi = abi or self.abis[0]
        tu = self.unit(abi)
        rec = tu.find_record(struct)
        if rec is None:
            raise LayoutError(f"no struct or union named {struct!r} in {self.source}"
                              f"{tu.missing_record_hint(struct)}")
        if not rec.complete:
            raise LayoutError(f"{rec.kind} {rec.tag} has no definition in {self.source}")
        eng = self.engine(abi)
        lay = Layout(rec, eng, self.defines_for(eng.abi), self.source)
        if _typedef_of(tu, eng, struct, rec):
            lay.typedef_name = struct
        return lay

    def layouts(self, structs: Optional[Sequence[str]] = None,
                abis: Optional[Sequence[Union[str, ABI]]] = None) -> List[Layout]:
        """Layouts for each ABI (outer) and struct (inner, source order)."""
        out = []
        for abi in (abis or self.abis):
            abi_obj = get_abi(abi) if isinstance(abi, str) else abi
            if structs:
                for s in structs:
                    out.append(self.layout(s, abi_obj))
            else:
                eng = self.engine(abi_obj)
                for rec in self.records(abi_obj):
                    out.append(Layout(rec, eng, self.defines_for(abi_obj), self.source))
        return out

    def stored_layouts(self, abis: Optional[Sequence[Union[str, ABI]]] = None) \
            -> Iterator[Union[StoredLayout, Layout]]:
        """``layouts()`` of every record, as their JSON lines
        (``StoredLayout``), taken from the layout cache when the same text
        was laid out before for the same ABIs and macros (see ``cache``),
        else laid out and kept there: one entry per text for the ABIs
        asked for that it serves.  Without a cache directory, the ``Layout``
        objects themselves.  A generator: one ABI at a time; a text parsed
        here is forgotten once its last ABI is written, so that going
        through many texts holds one at a time."""
        from . import cache

        caching = cache.cache_dir() is not None
        wanted = [get_abi(a) if isinstance(a, str) else a for a in (abis or self.abis)]
        for abi_obj in wanted:
            if abi_obj.name not in self._by_abi:
                raise LayoutError(f"ABI {abi_obj.name} was not loaded (loaded: {', '.join(self._by_abi)})")
        batches: Dict[int, List[ABI]] = {}  # group -> the ABIs asked for that it serves, in order
        for abi_obj in wanted:
            batches.setdefault(id(self._by_abi[abi_obj.name]), []).append(abi_obj)
        entries: Dict[int, _LayoutEntry] = {}
        parsed_before = {id(g) for g in self._groups if self.session.has_unit(g)}
        for abi_obj in wanted:
            group = self._by_abi[abi_obj.name]
            batch = batches[id(group)]
            if caching:
                entry = entries.get(id(group))
                if entry is None:
                    entry = entries[id(group)] = _LayoutEntry(self, group, batch)
                lines = entry.lines_of(abi_obj)
                for line in lines:
                    yield StoredLayout(line, self.source)
            else:
                yield from self.layouts(abis=[abi_obj])
            batch.pop(0)
            if not batch and id(group) not in parsed_before:
                self.session.drop(group)


class TypedefAlignment(LayoutError):
    """A struct or union asked for by a typedef that gives it another
    alignment (``Program.layout``)."""


def _typedef_of(tu, engine, name: str, rec) -> bool:
    """Whether ``rec`` is asked for by a typedef ``name`` (not by its tag);
    refused when the typedef gives it another alignment (``typedef struct {...} T
    __attribute__((aligned(16)))``): a layout is the record's own, and
    _Alignof(T) is not its alignment."""
    if any(tu.tags.get(key) is rec for key in (name, f"struct {name}", f"union {name}")):
        return False
    td = tu.typedefs.get(name)
    if td is None:
        return False
    named, own = engine.layout(td), engine.layout(rec)
    if (named.abi_align_bytes, named.preferred_align_bytes) != (own.abi_align_bytes,
                                                               own.preferred_align_bytes):
        raise TypedefAlignment(
            f"typedef {name} gives {rec.kind} {rec.tag or '<anonymous>'} the alignment "
            f"{named.abi_align_bytes} where the {rec.kind} has {own.abi_align_bytes} on "
            f"{engine.abi.name}: a layout is that of the {rec.kind} itself; name it "
            + ("by its tag, or by a typedef that keeps its alignment" if rec.tag
               else "by a typedef that keeps its alignment"), td.coord)
    return True


class _LayoutEntry:
    """One layout cache entry: the JSON lines of every record of one text
    for a list of ABIs (each with its macros), read whole, or laid out
    one ABI at a time and written once the last is."""

    def __init__(self, prog: Program, group: Preprocessed, abis: List[ABI]):
        from . import cache

        self.prog = prog
        self.group = group
        self.abis = list(abis)
        self.key = self.key_for(prog, group, self.abis)
        self.stored = self._read(cache.read_checked("layouts", self.key))
        self.made: List[List[str]] = []  # laid out here, until the entry is written
        self.given = 0  # ABIs whose lines were given out

    @staticmethod
    def key_for(prog: Program, group: Preprocessed, abis: List[ABI]) -> str:
        """The entry's name: the text, and each ABI with its macros."""
        from . import cache

        return cache.key_of("layouts", cache.code_version(), group.text_digest(),
                            [[a.name, sorted(prog.defines_for(a).items())] for a in abis])

    def _read(self, lines: Optional[List[str]]) -> Optional[List[List[str]]]:
        """The entry's lines per ABI, or None (absent, or not of this form)."""
        if not lines:
            return None
        try:
            counts = json.loads(lines[0])
        except ValueError:
            return None
        if not (isinstance(counts, list) and len(counts) == len(self.abis)
                and all(isinstance(n, int) and n >= 0 for n in counts)
                and sum(counts) == len(lines) - 1):
            return None
        out, at = [], 1
        for n in counts:
            out.append(lines[at:at + n])
            at += n
        return out

    def _lay_out(self, abi: ABI) -> List[str]:
        """The JSON lines of every record for ``abi``: all laid out, then
        written, as ``Program.layouts`` does.  For a big text (a kernel
        tree's headers) the later half of the records is laid out and
        written by a forked child, where a command allows it and no child
        is working already (workers.py): one ABI's text, or a part of a
        matrix the ABIs were not split over."""
        from . import workers

        prog = self.prog
        engine = prog.engine(abi)
        defines = prog.defines_for(abi)

        def read(records):
            for rec in records:
                yield None, Layout(rec, engine, defines, prog.source)

        def write(layouts):
            for lay in layouts:
                yield lay.json_line()
                lay.release()

        records = prog.records(abi)
        if self.group.size() < workers.BIG_TEXT:
            return list(write([lay for _, lay in read(records)]))
        return list(workers.in_two_phased(read, write, records, lambda rec, note: None))

    def lines_of(self, abi: ABI) -> List[str]:
        """The lines of ``abi``, the entry's next ABI."""
        from . import cache

        n = self.given
        self.given += 1
        if self.stored is not None:
            lines, self.stored[n] = self.stored[n], []  # given out: not kept twice
            return lines
        lines = self._lay_out(abi)
        self.made.append(lines)
        if self.given == len(self.abis):
            cache.write_checked("layouts", self.key,
                                [json.dumps([len(x) for x in self.made])] + [x for per in self.made for x in per])
        return lines


def load(source: SourceLike, abis=None, defines: Optional[Dict[str, object]] = None,
         undefs: Iterable[str] = (), include_dirs: Iterable[str] = (), cpp: Optional[str] = None,
         pp_abi: Optional[str] = None, rules=None, session: Optional[Session] = None,
         filename: Optional[str] = None, kernel=None,
         abi_include_dirs: Optional[Mapping[str, Iterable[str]]] = None) -> Program:
    """Preprocess and parse ``source`` (a path, or C text) for ``abis``
    (default: all; 'all', 'host', 'x86_64,ppc' or a list), exactly as the
    commands do: the header's rules file supplies its ``abi_defines``
    (``rules`` names another file, or False for none).  ``kernel`` names a
    configured kernel tree: ``source`` is then read as its kbuild reads
    headers (``linux/mm_types.h`` is found in the tree), for its ABI.
    ``abi_include_dirs`` (``{"i386": ["/usr/i686-linux-gnu/include"]}``)
    adds -I folders for some ABIs only, after ``include_dirs``."""
    from .options import Options, open_program, refused_rules_note

    opts = Options.make(abis, defines, undefs, include_dirs, cpp, pp_abi, rules, kernel,
                        abi_include_dirs=abi_include_dirs)
    prog = open_program(source, opts, session=session, filename=filename)
    note = refused_rules_note(prog.ruleset)
    if note:  # what show says on stderr: the rules' abi_defines are not in these layouts
        import warnings

        from .errors import RulesRefusedWarning

        warnings.warn(note, RulesRefusedWarning, stacklevel=_caller_level())
    return prog


def _caller_level() -> int:
    """The ``stacklevel`` that names the caller of this module's public
    function (load(), or layout() through it) as the warning's place."""
    import sys

    frame: Optional[Any] = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame, level = frame.f_back, level + 1
    return level


def layout(source: SourceLike, struct: str, abi: str = "host",
           defines: Optional[Dict[str, object]] = None, **kw) -> Layout:
    """Lay out one struct or union of ``source`` for one ABI (default: the
    host's).

    ``source`` is a file path or C text (text is recognised by a newline,
    ``;`` or ``{``).  ``defines`` are -D macros; other keyword arguments are
    ``load()``'s (``undefs``, ``include_dirs``, ``cpp``, ``rules``).
    """
    if not isinstance(struct, str):
        raise LayoutError(f"struct must be a name, not {type(struct).__name__}")
    abis = abi_list_single(abi)
    return load(source, abis, defines=defines, **kw).layout(struct, abis[0])


def abi_list_single(abi) -> List[ABI]:
    from .options import abi_list

    found = abi_list(abi)
    if len(found) != 1:
        raise LayoutError(f"layout() lays out for one ABI; {abi!r} names {len(found)} "
                          f"(use load() for several)")
    return found


def _options(abis, defines, undefs, include_dirs, cpp, pp_abi, rules, kernel=None,
             abi_include_dirs=None):
    from .options import Options

    return Options.make(abis, defines, undefs, include_dirs, cpp, pp_abi, rules, kernel,
                        abi_include_dirs=abi_include_dirs)


def diff(old: str, new: Optional[str] = None, *, abis=None,
         defines: Optional[Dict[str, object]] = None, undefs: Iterable[str] = (),
         include_dirs: Iterable[str] = (), cpp: Optional[str] = None, pp_abi: Optional[str] = None,
         rules=None, structs: Optional[Sequence[str]] = None,
         configs: Optional[Sequence[str]] = None, git: Optional[str] = None, kernel=None,
         abi_include_dirs: Optional[Mapping[str, Iterable[str]]] = None):
    """What changing ``old`` into ``new`` (paths or ``REV:path``; with
    ``git=REV``, ``old`` at REV against the work tree) does on every ABI and
    config: a ``compare.DiffResult`` (``.changes``, ``.to_json()``)."""
    from .compare import diff_headers

    for name, value in (("old", old), ("new", new), ("git", git)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise LayoutError(f"diff: {name} must be a path or REV:path, not {type(value).__name__}")
    opts = _options(abis, defines, undefs, include_dirs, cpp, pp_abi, rules, kernel,
                    abi_include_dirs)
    return diff_headers(old, new, opts, opts.structs_or(structs), opts.configs_or(configs), git=git,
                        structs_required=bool(structs))


def verify(paths, *, abis=None, defines: Optional[Dict[str, object]] = None,
           undefs: Iterable[str] = (), include_dirs: Iterable[str] = (), cpp: Optional[str] = None,
           pp_abi: Optional[str] = None, rules=None, structs: Optional[Sequence[str]] = None,
           cffi: bool = True, clang: bool = False, jobs: Optional[int] = None, kernel=None,
           abi_include_dirs: Optional[Mapping[str, Iterable[str]]] = None):
    """Every layout of ``paths`` compared with each ABI's GCC (and the
    host's cffi module, and clang): an ``oracle.verify.VerifyReport``
    (``.mismatches``, ``.to_json(abis)``)."""
    from .oracle.verify import verify as run_verify

    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise LayoutError(f"verify: jobs must be a whole number of at least 1, not {jobs!r}")
    opts = _options(abis, defines, undefs, include_dirs, cpp, pp_abi, rules, kernel,
                    abi_include_dirs)
    return run_verify(_paths(paths, opts, "verify"), opts.structs_or(structs), opts, with_cffi=cffi,
                      with_clang=clang, jobs=jobs)


def check(paths, *, abis=None, defines: Optional[Dict[str, object]] = None,
          undefs: Iterable[str] = (), include_dirs: Iterable[str] = (), cpp: Optional[str] = None,
          pp_abi: Optional[str] = None, rules=None, configs: Optional[Sequence[str]] = None,
          kernel=None, abi_include_dirs: Optional[Mapping[str, Iterable[str]]] = None):
    """Every rule of each header's rules file (found as the command finds
    it, or ``rules``) on every ABI and config, plus the header's own
    ``_Static_assert``s: a ``rules.checks.CheckReport`` (``.results``,
    ``.exit_status()``, ``.to_json()``)."""
    from .rules.checks import check_headers

    opts = _options(abis, defines, undefs, include_dirs, cpp, pp_abi, rules, kernel,
                    abi_include_dirs)
    return check_headers(_paths(paths, opts, "check"), opts, opts.configs_or(configs))


def bit_budgets(paths=None, *, word: str = "page.flags", abis=None,
         defines: Optional[Dict[str, object]] = None, undefs: Iterable[str] = (),
         include_dirs: Iterable[str] = (), cpp: Optional[str] = None, rules=None,
         configs: Optional[Sequence[str]] = None, kernel=None,
         abi_include_dirs: Optional[Mapping[str, Iterable[str]]] = None):
    """The bit budget of a flags word (``page.flags``) in each header, on
    every ABI and config: a list of (header, [``bits.Budget``]) with each
    field's bits, the free bits and ``.fits(n)``.  With ``kernel``, the
    tree's headers (``paths``, default linux/mm.h) for its ABI."""
    from .bits import budgets, word_model

    model = word_model(word)
    opts = _options(abis, defines, undefs, include_dirs, cpp, None, rules, kernel,
                    abi_include_dirs)
    if opts.kernel is not None:
        names = [os.fspath(paths)] if isinstance(paths, (str, os.PathLike)) else list(paths or [])
        return budgets(names, opts, model)
    return budgets(_paths(paths, opts, "bits"), opts, model, opts.configs_or(configs))


def _paths(paths, opts, command: str) -> List[str]:
    """The headers to read: ``paths`` (a path or a list), else the
    project's; none at all is an error, not an empty pass."""
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    if paths is not None and not isinstance(paths, (list, tuple)):
        raise LayoutError(f"{command}: give a path or a list of paths, not {type(paths).__name__}")
    for p in paths or []:
        if not isinstance(p, (str, os.PathLike)):
            raise LayoutError(f"{command}: {p!r} is not a path")
    return opts.headers_or([os.fspath(p) for p in (paths or [])], command)
