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
through its ``Session``.
"""

from __future__ import annotations

import os
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

from .abi import ABI, get_abi, resolve_abis
from .cfront.builder import Builder
from .cfront.parser import parse_c
from .cfront.preprocess import PPConfig, Preprocessed, preprocess_for_abis
from .engine import LayoutEngine
from .errors import LayoutError
from .layouts import Layout
from .model import Record, TranslationUnit

SourceLike = Union[str, os.PathLike]


def _is_path(source: SourceLike) -> bool:
    if isinstance(source, os.PathLike):
        return True
    return "\n" not in source and ";" not in source and "{" not in source


class Session:
    """Caches parsed text and per-ABI engines across loads."""

    def __init__(self) -> None:
        self._units: Dict[str, TranslationUnit] = {}
        self._engines: Dict[Tuple[str, int], LayoutEngine] = {}

    def unit(self, pp: Preprocessed) -> TranslationUnit:
        tu = self._units.get(pp.text)
        if tu is None:
            tu = Builder().build(parse_c(pp.text, pp.filename))
            self._units[pp.text] = tu
        return tu

    def engine(self, abi: ABI, tu: TranslationUnit) -> LayoutEngine:
        # Types are model objects owned by one unit; one engine per unit and
        # ABI keeps memo tables small and lets a unit be dropped.
        key = (abi.name, id(tu))
        eng = self._engines.get(key)
        if eng is None:
            eng = LayoutEngine(abi)
            self._engines[key] = eng
        return eng


_DEFAULT_SESSION = Session()


class Program:
    """One source under one preprocessing configuration, for some ABIs."""

    def __init__(self, source: SourceLike, abis: Optional[Sequence[str]] = None,
                 defines: Optional[Dict[str, str]] = None, undefs: Iterable[str] = (),
                 include_dirs: Iterable[str] = (), cpp: str = "auto",
                 abi_defines: Optional[Dict[str, Dict[str, str]]] = None,
                 session: Optional[Session] = None, filename: Optional[str] = None,
                 pp_abi: Optional[str] = None):
        self.session = session or _DEFAULT_SESSION
        self.abis: List[ABI] = resolve_abis(list(abis) if abis else None)
        self.defines = {k: ("" if v is None else str(v)) for k, v in (defines or {}).items()}
        self.config = PPConfig.make(self.defines, undefs, include_dirs, cpp)
        is_path = _is_path(source)
        self.source = os.fspath(source) if is_path else (filename or "<input>")
        self.abi_defines = abi_defines or {}
        self._groups = preprocess_for_abis(
            os.fspath(source) if is_path else source, self.abis, self.config,
            is_path=is_path, filename=filename, abi_defines=self.abi_defines,
            pp_abi=get_abi(pp_abi) if pp_abi else None)
        self._by_abi: Dict[str, Preprocessed] = {}
        for group in self._groups:
            for abi in group.abis:
                self._by_abi[abi.name] = group

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
        return self.session.unit(group)

    def engine(self, abi: Union[str, ABI]) -> LayoutEngine:
        abi_obj = get_abi(abi) if isinstance(abi, str) else abi
        return self.session.engine(abi_obj, self.unit(abi_obj))

    def records(self, abi: Union[str, ABI, None] = None) -> List[Record]:
        """Tagged structs and unions with a complete definition."""
        return self.unit(abi or self.abis[0]).tagged_records()

    def defines_for(self, abi: Union[str, ABI]) -> Dict[str, str]:
        name = abi if isinstance(abi, str) else abi.name
        out = dict(self.defines)
        out.update(self.abi_defines.get(name, {}))
        return out

    def layout(self, struct: str, abi: Union[str, ABI] = None) -> Layout:
        abi = abi or self.abis[0]
        tu = self.unit(abi)
        rec = tu.find_record(struct)
        if rec is None:
            raise LayoutError(f"no struct or union named {struct!r} in {self.source}")
        if not rec.complete:
            raise LayoutError(f"{rec.kind} {rec.tag} has no definition in {self.source}")
        eng = self.engine(abi)
        return Layout(rec, eng, self.defines_for(eng.abi), self.source)

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


def load(source: SourceLike, abis: Optional[Sequence[str]] = None, **kw) -> Program:
    """Preprocess and parse ``source`` (a path, or C text) for ``abis``."""
    return Program(source, abis, **kw)


def layout(source: SourceLike, struct: str, abi: str = "x86_64",
           defines: Optional[Dict[str, str]] = None, **kw) -> Layout:
    """Lay out one struct or union of ``source`` for one ABI.

    ``source`` is a file path or C text (text is recognised by a newline,
    ``;`` or ``{``).  ``defines`` are -D macros; keyword arguments go to
    ``Program`` (``undefs``, ``include_dirs``, ``cpp``).
    """
    return Program(source, [abi], defines=defines, **kw).layout(struct, abi)
