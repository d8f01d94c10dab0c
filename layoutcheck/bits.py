"""The bit budget of a flags word: which bits of ``page->flags`` hold page
flags, which hold the section, node, zone and other fields, and how many
are free, per ABI and config.

The kernel packs ``page->flags`` from both ends: the page flags (``enum
pageflags``, ``__NR_PAGEFLAGS`` of them) from bit 0 up, the fields from
the top down in a fixed order (mm.h or mmzone.h: ``SECTIONS_PGOFF`` is the
word's width minus ``SECTIONS_WIDTH``, ``NODES_PGOFF`` is below it, ...).
``page-flags-layout.h`` decides each field's width per config; a field that
does not fit gets width 0 and lives elsewhere (``NODE_NOT_IN_PAGE_FLAGS``,
``LAST_CPUPID_NOT_IN_PAGE_FLAGS``: struct page grows by ``_last_cpupid``).

Nothing is modelled twice: the header's own macros are read.  A probe is
appended to the header's text, one enumerator per macro, guarded by
``#ifdef``, and the layout engine evaluates them for each ABI as GCC would
(``sizeof(unsigned long)*8`` included); the flag count is the
``__NR_PAGEFLAGS`` enumerator, and the word's width that of the struct
member.  What this module adds is the reading: which bits are whose, how
many are left, what a field that was left out would have needed.
"""

from __future__ import annotations

import os
from typing import Dict, List, Optional, Sequence, Tuple

from .errors import LayoutError
from .model import Enum
from .plain import FRESH, Frozen, PlainEq, replace

PROBE_PREFIX = "__layoutcheck_bits_"
PROBE_NAME = "<bits probe>"


class WordField(Frozen):
    """A field packed into the word from the top down."""

    name: str
    width: str  # the macro giving its width in this config (0: not in the word)
    offset: str  # the macro giving its lowest bit (computed from the order when absent)
    wanted: Optional[str] = None  # the macro giving the width it needs, when it may be left out
    elsewhere: str = ""  # where it goes when left out
    elastic: bool = False  # takes what is left, up to its full width

    _fields = ("name", "width", "offset", "wanted", "elsewhere", "elastic")

    def __init__(self, name: str, width: str, offset: str, wanted: Optional[str] = None, elsewhere: str = "",
                 elastic: bool = False) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "width", width)
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "wanted", wanted)
        object.__setattr__(self, "elsewhere", elsewhere)
        object.__setattr__(self, "elastic", elastic)


class WordModel(Frozen):
    """A flags word the kernel packs as above."""

    name: str  # "page.flags"
    struct: str
    member: str
    flag_enum: str  # enum tag
    flag_count: str  # its enumerator counting the flags
    fields: Tuple[WordField, ...]  # top down
    generated_count: Optional[str] = None  # a macro the build generates from flag_count
    kernel_headers: Tuple[str, ...] = ()  # what --kernel reads
    about: str = ""

    _fields = ("name", "struct", "member", "flag_enum", "flag_count", "fields", "generated_count", "kernel_headers",
               "about")

    def __init__(self, name: str, struct: str, member: str, flag_enum: str, flag_count: str,
                 fields: Tuple[WordField, ...], generated_count: Optional[str] = None,
                 kernel_headers: Tuple[str, ...] = (), about: str = "") -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "struct", struct)
        object.__setattr__(self, "member", member)
        object.__setattr__(self, "flag_enum", flag_enum)
        object.__setattr__(self, "flag_count", flag_count)
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "generated_count", generated_count)
        object.__setattr__(self, "kernel_headers", kernel_headers)
        object.__setattr__(self, "about", about)

    def macros(self) -> List[str]:
        out: List[str] = []
        for f in self.fields:
            # an elastic field's width is a min() of a statement expression
            # in the kernel, which only a function body may hold: its full
            # width is read, and what is left computed here
            out += ([] if f.elastic else [f.width, f.offset]) + ([f.wanted] if f.wanted else [])
        if self.generated_count:
            out.append(self.generated_count)
        return list(dict.fromkeys(out))


PAGE_FLAGS = WordModel(
    name="page.flags", struct="page", member="flags",
    flag_enum="pageflags", flag_count="__NR_PAGEFLAGS",
    fields=(
        WordField("SECTIONS", "SECTIONS_WIDTH", "SECTIONS_PGOFF", "SECTIONS_SHIFT",
                  "looked up through the page's pfn (SPARSEMEM_VMEMMAP or no SPARSEMEM)"),
        WordField("NODES", "NODES_WIDTH", "NODES_PGOFF", "NODES_SHIFT",
                  "section_to_node_table (NODE_NOT_IN_PAGE_FLAGS)"),
        WordField("ZONES", "ZONES_WIDTH", "ZONES_PGOFF", "ZONES_SHIFT"),
        WordField("LAST_CPUPID", "LAST_CPUPID_WIDTH", "LAST_CPUPID_PGOFF", "LAST_CPUPID_SHIFT",
                  "struct page's _last_cpupid (LAST_CPUPID_NOT_IN_PAGE_FLAGS)"),
        WordField("KASAN_TAG", "KASAN_TAG_WIDTH", "KASAN_TAG_PGOFF"),
        WordField("LRU_GEN", "LRU_GEN_WIDTH", "LRU_GEN_PGOFF"),
        WordField("LRU_REFS", "LRU_REFS_WIDTH", "LRU_REFS_PGOFF", "__LRU_REFS_WIDTH",
                  "nowhere: fewer reference tiers", elastic=True),
    ),
    generated_count="NR_PAGEFLAGS",
    kernel_headers=("linux/mm.h",),
    about="page->flags: page flags from bit 0 up; section, node, zone, last_cpupid, "
          "KASAN tag and MGLRU fields from the top down (page-flags-layout.h, mm.h)",
)

WORDS: Dict[str, WordModel] = {PAGE_FLAGS.name: PAGE_FLAGS}


def word_model(name: str) -> WordModel:
    found = WORDS.get(name)
    if found is None:
        raise LayoutError(f"--word {name}: not a word layoutcheck knows how to budget "
                          f"(known: {', '.join(WORDS)})")
    return found


def probe_text(model: WordModel) -> str:
    """C text that turns each of the model's macros, where defined, into
    an enumerator the layout engine evaluates."""
    lines = ["\n/* layoutcheck bits: the header's own arithmetic, evaluated */\n"]
    for macro in model.macros():
        lines.append(f"#ifdef {macro}\nenum {{ {PROBE_PREFIX}{macro} = ({macro}) }};\n#endif\n")
    for f in model.fields:
        if f.elastic and f.wanted:
            # without the full width to take from, the header's own width
            # and position are plain numbers: read them
            for macro in (f.width, f.offset):
                lines.append(f"#if defined({macro}) && !defined({f.wanted})\n"
                             f"enum {{ {PROBE_PREFIX}{macro} = ({macro}) }};\n#endif\n")
    return "".join(lines)


ORACLE_VALUES = "__lc_bits_values"
ORACLE_ELASTIC = "__lc_bits_elastic"
UNDEFINED = (1 << 64) - 1
NOT_CONSTANT = (1 << 64) - 2


def oracle_questions(model: WordModel, elastic: bool = False) -> str:
    """C text asking a compiler what the probe asks the engine: each of
    ``model.macros()`` (all ones where it is not defined), the flag count
    and the word's width in bits, as ``ORACLE_VALUES``; with ``elastic``,
    also each elastic field's width and lowest bit, in a function (the
    kernel's min() is a statement expression) as a static array whose
    symbol starts with ``ORACLE_ELASTIC``."""
    items = []
    optional = {f.wanted for f in model.fields if f.wanted}
    for macro in model.macros():
        value = f"(unsigned long long)({macro})"
        if macro in optional:  # GCC's documented use in a static initializer
            value = f"(__builtin_constant_p({macro}) ? {value} : {NOT_CONSTANT}ULL)"
        items.append(f"#ifdef {macro}\n {value},\n#else\n {UNDEFINED}ULL,\n#endif\n")
    items.append(f" (unsigned long long){model.flag_count},\n")
    items.append(f" sizeof(((struct {model.struct} *)0)->{model.member}) * 8\n")
    out = f"const unsigned long long {ORACLE_VALUES}[] = {{\n{''.join(items)}}};\n"
    if elastic:
        # kbuild's own way to read what is constant only once optimised
        # (kernel/bounds.c, asm-offsets.c): an "i" operand printed into the
        # assembler text, read back by elastic_reading()
        parts = []
        for f in model.fields:
            if f.elastic:
                for macro in (f.width, f.offset):
                    parts.append(f"#ifdef {macro}\n\tasm volatile(\"\\n.ascii \\\"{ORACLE_ELASTIC} "
                                 f"{macro} %0\\\"\" : : \"i\" ({macro}));\n#endif\n")
        out += (f"void {ORACLE_ELASTIC}_fn(void);\nvoid {ORACLE_ELASTIC}_fn(void)\n{{\n"
                f"{''.join(parts)}}}\n")
    return out


def elastic_reading(assembly: str) -> Dict[str, int]:
    """The values ``oracle_questions(elastic=True)`` printed into the
    assembler text (an immediate, with the target's prefix: $2, #2, 2)."""
    import re

    out = {}
    for m in re.finditer(ORACLE_ELASTIC + r" (\w+) [$#]?(-?\d+)", assembly):
        out[m.group(1)] = int(m.group(2))
    return out


def oracle_reading(model: WordModel, values: Sequence[int]) -> Tuple[Dict[str, int], int, int]:
    """``ORACLE_VALUES`` read back: the defined macros' values
    (``NOT_CONSTANT`` where the compiler found no constant), the flag count
    and the word's bits."""
    names = model.macros()
    if len(values) != len(names) + 2:
        raise LayoutError(f"{ORACLE_VALUES}: {len(values)} values for {len(names) + 2} questions")
    macros = {n: v for n, v in zip(names, values[:len(names)], strict=True) if v != UNDEFINED}
    return macros, values[len(names)], values[len(names) + 1]


# ------------------------------------------------------------------ results
class FieldPlace(PlainEq):
    name: str
    width: int
    lowest_bit: int
    wanted: Optional[int] = None  # the width it needs, where the header says
    elsewhere: str = ""
    elastic: bool = False
    wanted_unknown: str = ""  # why the width it needs is no constant

    _fields = ("name", "width", "lowest_bit", "wanted", "elsewhere", "elastic", "wanted_unknown")

    def __init__(self, name: str, width: int, lowest_bit: int, wanted: Optional[int] = None, elsewhere: str = "",
                 elastic: bool = False, wanted_unknown: str = "") -> None:
        self.name = name
        self.width = width
        self.lowest_bit = lowest_bit
        self.wanted = wanted
        self.elsewhere = elsewhere
        self.elastic = elastic
        self.wanted_unknown = wanted_unknown

    @property
    def left_out(self) -> bool:
        return self.width == 0 and bool(self.wanted)

    def to_json(self) -> dict:
        out = {"name": self.name, "width": self.width,
               "bits": [self.lowest_bit, self.lowest_bit + self.width - 1] if self.width else None}
        if self.wanted is not None:
            out["wanted"] = self.wanted
        elif self.wanted_unknown:
            out["wanted"] = None
            out["wanted_unknown"] = self.wanted_unknown
        if self.left_out:
            out["kept_in"] = self.elsewhere or "elsewhere"
        return out


class Budget(PlainEq):
    """One ABI, one config."""

    abi: str
    config: str
    word_bits: int
    flags: List[Tuple[int, str, List[str]]]  # (bit, name, aliases)
    fields: List[FieldPlace]
    generated_count: Optional[int] = None
    problems: List[str]
    refused: str = ""  # the header's #error for this ABI and config, if any

    _fields = ("abi", "config", "word_bits", "flags", "fields", "generated_count", "problems", "refused")

    def __init__(self, abi: str, config: str, word_bits: int, flags: List[Tuple[int, str, List[str]]],
                 fields: List[FieldPlace], generated_count: Optional[int] = None, problems: List[str] = FRESH,
                 refused: str = "") -> None:
        self.abi = abi
        self.config = config
        self.word_bits = word_bits
        self.flags = flags
        self.fields = fields
        self.generated_count = generated_count
        self.problems = [] if problems is FRESH else problems
        self.refused = refused

    @property
    def flag_count(self) -> int:
        return len(self.flags)

    @property
    def used(self) -> int:
        return self.flag_count + sum(f.width for f in self.fields)

    @property
    def free(self) -> int:
        return self.word_bits - self.used

    def summary_key(self) -> tuple:
        """What two ABIs must share to be shown as one."""
        return (self.word_bits, tuple((b, n, tuple(a)) for b, n, a in self.flags),
                tuple((f.name, f.width, f.lowest_bit, f.wanted, f.wanted_unknown) for f in self.fields),
                self.generated_count, tuple(self.problems))

    def fits(self, more: int = 1) -> bool:
        return not self.problems and self.free >= more

    def to_json(self) -> dict:
        return {
            "abi": self.abi, "config": self.config, "word_bits": self.word_bits,
            "flags": {"count": self.flag_count, "bits": [0, self.flag_count - 1] if self.flags else None,
                      "names": [n for _, n, _ in self.flags],
                      **({"generated_count": self.generated_count}
                         if self.generated_count is not None else {})},
            "fields": [f.to_json() for f in self.fields],
            "used": self.used, "free": self.free, "one_more_flag_fits": self.fits(1),
            "problems": list(self.problems),
            **({"refused": self.refused} if self.refused else {}),
        }

    @classmethod
    def refusal(cls, abi: str, config: str, message: str) -> "Budget":
        """The header's arithmetic stopped with #error: the kernel would
        not build in this config."""
        return cls(abi, config, 0, [], [], None,
                   [f"the header refuses this config: {message}"], message)


def _probe_values(prog, abi, model: WordModel) -> Tuple[Dict[str, int], Dict[str, str]]:
    """The macros' values, and why each that is no constant is not (only
    a width a field would want may be one: x86_64's MAX_PHYSMEM_BITS, in
    SECTIONS_SHIFT, depends on 5-level paging at run time)."""
    from .consteval import NotEvaluated

    optional = {f.wanted for f in model.fields if f.wanted}
    tu = prog.unit(abi)
    eng = prog.engine(abi)
    out: Dict[str, int] = {}
    unknown: Dict[str, str] = {}
    for name, e in tu.enumerators.items():
        if name.startswith(PROBE_PREFIX):
            macro = name[len(PROBE_PREFIX):]
            try:
                out[macro] = eng.enumerator_value(e)
            except NotEvaluated as exc:
                if macro not in optional:
                    raise LayoutError(f"{macro} is not an integer constant: {exc}") from None
                unknown[macro] = str(exc).split(": ", 1)[-1]
    return out, unknown


def _flags_of(prog, abi, model: WordModel) -> List[Tuple[int, str, List[str]]]:
    tu = prog.unit(abi)
    enum = tu.tags.get(f"enum {model.flag_enum}")
    if not isinstance(enum, Enum) or not enum.complete:
        raise LayoutError(f"{prog.source}: no enum {model.flag_enum} with a definition: "
                          f"{model.name}'s flags are counted from it")
    eng = prog.engine(abi)
    assert enum.enumerators is not None
    values = [(e.name, eng.enumerator_value(e)) for e in enum.enumerators]
    count = dict(values).get(model.flag_count)
    if count is None:
        raise LayoutError(f"{prog.source}: enum {model.flag_enum} has no {model.flag_count}")
    if count < 0:
        raise LayoutError(f"{prog.source}: enum {model.flag_enum}: {model.flag_count} is {count}")
    names: Dict[int, str] = {}
    aliases: Dict[int, List[str]] = {}
    for name, value in values:
        if name == model.flag_count:
            continue
        if not 0 <= value < count:
            if value < 0 or value not in names:
                raise LayoutError(f"{prog.source}: enum {model.flag_enum}: {name} is {value}, "
                                  f"outside the {count} flags {model.flag_count} counts: a flag "
                                  f"the budget would not see")
            continue
        if value in names:
            aliases.setdefault(value, []).append(name)
        else:
            names[value] = name
    missing = [b for b in range(count) if b not in names]
    if missing:
        raise LayoutError(f"{prog.source}: enum {model.flag_enum}: no flag is bit {missing[0]} "
                          f"though {model.flag_count} is {count}")
    return [(b, names[b], aliases.get(b, [])) for b in range(count)]


def _word_bits(prog, abi, model: WordModel) -> int:
    lay = prog.layout(model.struct, abi)
    member = lay.get(model.member)
    if member is None:
        raise LayoutError(f"{prog.source}: struct {model.struct} has no member {model.member}")
    if member.bit_size is not None:
        return member.bit_size
    return member.size * 8


def budget(prog, abi, config: str, model: WordModel = PAGE_FLAGS) -> Budget:
    """The budget of ``model``'s word in ``prog`` (a Program whose text ends
    with ``probe_text(model)``) for ``abi``."""
    values, unknown = _probe_values(prog, abi, model)
    flags = _flags_of(prog, abi, model)
    word_bits = _word_bits(prog, abi, model)
    out = Budget(abi if isinstance(abi, str) else abi.name, config, word_bits, flags,
                 [], values.get(model.generated_count) if model.generated_count else None)
    top = word_bits
    for wf in model.fields:
        if wf.elastic and wf.wanted not in values and wf.width in values:
            width = values[wf.width]  # the header's own, where it has no full width
            lowest = values.get(wf.offset, top - width)
        elif wf.elastic:
            if wf.wanted not in values:
                continue  # a field this kernel does not have
            # min(full width, what the flags and the other fields leave)
            others = sum(f.width for f in out.fields) + sum(
                values.get(g.width, 0) for g in model.fields[model.fields.index(wf) + 1:])
            width = max(0, min(values[wf.wanted], word_bits - out.flag_count - others))
            lowest = top - width
        elif wf.width not in values:
            continue  # a field this kernel does not have
        else:
            width = values[wf.width]
            lowest = values.get(wf.offset, top - width)
        place = FieldPlace(wf.name, width, lowest, values.get(wf.wanted) if wf.wanted else None,
                           wf.elsewhere, wf.elastic,
                           unknown.get(wf.wanted, "") if wf.wanted else "")
        out.fields.append(place)
        if width < 0 or width > word_bits:
            out.problems.append(f"{wf.name} is {width} bits wide")
        elif width:
            if lowest != top - width:
                out.problems.append(f"{wf.name} starts at bit {lowest}, not right below the "
                                    f"field above it (bit {top - width})")
            if lowest < out.flag_count:
                out.problems.append(f"{wf.name} (bits {lowest}-{lowest + width - 1}) overlaps the "
                                    f"page flags (bits 0-{out.flag_count - 1})")
        top = min(top, lowest) if width else top
    if out.free < 0:
        out.problems.append(f"{out.used} bits used in a {word_bits}-bit word")
    if out.generated_count is not None and out.generated_count != out.flag_count:
        out.problems.append(f"{model.generated_count} is {out.generated_count} but enum "
                            f"{model.flag_enum} has {out.flag_count} flags (the header's "
                            f"arithmetic used the former)")
    return out


# ------------------------------------------------------------------ reading
def budget_source(header: str, model: WordModel, kernel: bool) -> str:
    """The text a budget is read from: the header, then the probe."""
    from .kernel import check_header_name
    from .safety import check_include_path

    if kernel:
        inc = f"#include <{check_header_name(header)}>\n"
    else:
        # named as given where it is under the working directory (the
        # text is read from there), so that messages name it so
        rel = os.path.relpath(header)
        name = rel if not rel.startswith("..") and not os.path.isabs(header) else os.path.abspath(header)
        inc = f'#include "{check_include_path(name, "bits")}"\n'
    return inc + probe_text(model)


def budgets(headers: Sequence[str], options, model: WordModel = PAGE_FLAGS,
            configs: Optional[Sequence[str]] = None) -> List[Tuple[str, List[Budget]]]:
    """Per header, the budgets for each config and ABI (config outer)."""
    from .options import open_program, ruleset_for, select_configs

    out: List[Tuple[str, List[Budget]]] = []
    if options.kernel is not None:
        from .kernel import check_header_name, include_name, open_tree

        tree = open_tree(options.kernel)
        names = list(headers) or list(model.kernel_headers)
        text = "".join(f"#include <{check_header_name(include_name(tree, n))}>\n"
                       for n in names) + probe_text(model)
        prog = open_program(text, options, filename=PROBE_NAME, is_path=False)
        prog.source = " ".join(names)
        out.append((" ".join(names), [budget(prog, a, "the tree's .config", model) for a in prog.abis]))
        return out
    for header in headers:
        if not os.path.isfile(header):
            raise LayoutError(f"{header}: no such file")
        ruleset = ruleset_for(header, options)
        chosen = select_configs(ruleset, configs, header)
        results: List[Budget] = []
        text = budget_source(header, model, False)
        for cfg in chosen:
            for prog, abi, refused in _programs(text, options, cfg, ruleset):
                if prog is not None:
                    prog.source = header  # messages name the header, not the probe
                results.append(Budget.refusal(abi, cfg.name, refused) if refused
                               else budget(prog, abi, cfg.name, model))
        out.append((header, results))
    return out


def _is_hash_error(exc: LayoutError) -> bool:
    return "#error" in str(exc)


def _programs(text: str, options, cfg, ruleset):
    """(program, ABI, "") for each ABI, or (None, ABI, message) where the
    header's ``#error`` refuses the config: a verdict on that ABI, not a
    failure to read the header."""
    from .options import open_program

    def one(opts):
        return open_program(text, opts, config=cfg, ruleset=ruleset, filename=PROBE_NAME,
                            is_path=False)

    try:
        prog = one(options)
        return [(prog, a.name, "") for a in prog.abis]
    except LayoutError as exc:
        if not _is_hash_error(exc):
            raise
    out = []
    for name in options.abis:
        try:
            prog = one(replace(options, abis=(name,)))
            out.append((prog, name, ""))
        except LayoutError as exc:
            if not _is_hash_error(exc):
                raise
            out.append((None, name, str(exc)))
    return out


def describe_range(lo: int, width: int) -> str:
    return f"bit {lo}" if width == 1 else f"bits {lo + width - 1}-{lo}"


__all__ = ["WordModel", "WordField", "PAGE_FLAGS", "WORDS", "word_model", "probe_text",
           "Budget", "FieldPlace", "budget", "budgets", "budget_source", "describe_range"]
