"""Evaluate rules against layouts: one verdict per rule, ABI and config.

Every verdict is a ``Result`` with a sentence that names the members, their
offsets and the ABI, so a failure can be read without the tool.

A verdict is ``pass``, ``fail`` or ``not-applied``.  ``pass`` means the
rule compared something and it held.  A rule left with nothing to compare
(its optional members are missing) is ``not-applied``, and so is a rule
whose ``abis``/``when`` select no ABI and config of the run: it gets one
verdict for the whole file (ABI and config ``*``) instead of none.  The
``cause`` of a not-applied verdict says which:

* ``optional-missing``: members the rule lists in ``optional`` are missing
  (a struct from another era);
* ``not-selected``: the run was narrowed (``--abi``, ``--config``) to ABIs
  and configs the rule does not select;
* ``not-in-tree-config``: with ``--kernel``, the rule's ``when`` (on
  .config symbols only) does not hold in this tree's .config, another
  tree's may (a kernel tree is read in its own config, never the matrix);
* ``never-selected``: no ABI and no config of the rules' matrix is selected
  by the rule: it can never apply, a bug in the rules file;
* ``not-evaluated``: one of the header's own ``_Static_assert``s needs a
  value only the running program has (a variable's, a call's) or a rule of
  GCC layoutcheck does not model; its location is in the message.  It is
  never a pass.

What each kind checks is its class in ``kinds``; ``RuleChecker`` runs it
and holds the lookups every kind shares (members, targets, bounds).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple, cast

from ..abi import ABI, all_abis
from ..consteval import NotEvaluated
from ..errors import LayoutError, where_of
from ..layouts import Layout, MemberLayout
from ..plain import FRESH, PlainEq
from .kinds import REGISTRY, Fail, NotApplied
from .spec import Config, Rule, RuleSet, abi_matches
from .values import size_value

PASS, FAIL, NOT_APPLIED = "pass", "fail", "not-applied"


class Result(PlainEq):
    file: str
    abi: str
    config: str
    rule: str
    kind: str
    status: str  # "pass", "fail" or "not-applied"
    members: List[str]
    message: str = ""
    text: str = ""  # the message without ABI and config, for grouping
    # for not-applied: optional-missing, not-selected, never-selected, not-evaluated
    cause: str = ""
    # for a failure: file:line:column of the first member it names (or of
    # the struct), in the header as written
    where: str = ""

    _fields = ("file", "abi", "config", "rule", "kind", "status", "members", "message", "text", "cause", "where")

    def __init__(self, file: str, abi: str, config: str, rule: str, kind: str, status: str, members: List[str] = FRESH,
                 message: str = "", text: str = "", cause: str = "", where: str = "") -> None:
        self.file = file
        self.abi = abi
        self.config = config
        self.rule = rule
        self.kind = kind
        self.status = status
        self.members = [] if members is FRESH else members
        self.message = message
        self.text = text
        self.cause = cause
        self.where = where

    def to_json(self) -> dict:
        out = {"file": self.file, "abi": self.abi, "config": self.config, "rule": self.rule,
               "kind": self.kind, "status": self.status, "members": self.members,
               "message": self.message}
        if self.status == NOT_APPLIED:
            out["cause"] = self.cause
        if self.where:
            out["where"] = self.where
        return out

    @property
    def passed(self) -> bool:
        """The rule was applied and held (not-applied is not a pass)."""
        return self.status == PASS

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    @property
    def not_applied(self) -> bool:
        return self.status == NOT_APPLIED


def _names_in(path: str, seen: Optional[set] = None) -> set:
    """Every identifier of a header and of the "..." headers it includes."""
    import re

    seen = set() if seen is None else seen
    path = os.path.abspath(path)
    if path in seen:
        return set()
    seen.add(path)
    try:
        with open(path, errors="replace") as fh:
            text = fh.read()
    except OSError:
        return set()
    names = set(re.findall(r"[A-Za-z_]\w*", text))
    for inc in re.findall(r'#\s*include\s*"([^"]+)"', text):
        names |= _names_in(os.path.join(os.path.dirname(path), inc), seen)
    return names


# Baseline headers of no-growth rules, read once per config and process
# while reading them again gives the same texts: key -> (Program, the
# digests of its texts).
_BASELINES: Dict[tuple, Tuple[object, Tuple[str, ...]]] = {}


def _baseline_program(key: tuple, read):
    """The Program of a baseline header (``read()`` preprocesses it), the
    one kept from an earlier check (its texts parsed and laid out) when
    the header now preprocesses to the same texts.  Preprocessing again
    is what notices every change (an edited include, a header added that
    an #include or __has_include now finds first); the preprocessor cache
    makes it cheap when nothing changed."""
    prog = read()
    digests = tuple(g.text_digest() for g in prog.groups)
    kept = _BASELINES.get(key)
    if kept is not None and kept[1] == digests:
        return kept[0]
    _BASELINES[key] = (prog, digests)
    return prog


class RuleChecker:
    """Checks one rule set against the layouts of one file, ABI and config."""

    def __init__(self, file: str, abi: ABI, config: Config, run_abis: Sequence[ABI] = (),
                 seen: Optional[Dict[object, object]] = None, program_kw: Optional[dict] = None):
        self.file = file
        # how the header was read (-I, --cpp, -U): a baseline is read so too
        self.program_kw = {k: v for k, v in (program_kw or {}).items()
                           if k in ("undefs", "include_dirs", "cpp", "pp_abi", "abi_include_dirs")}
        self.abi = abi
        self.config = config
        self.run_abis = [a.name for a in run_abis] or [abi.name]  # read a baseline for them all
        self.word = abi.scalar("long").size
        # what baseline_file and baseline_layout found, shared by the
        # checkers of one config
        self._seen: Dict[object, object] = {} if seen is None else seen

    def baseline_file(self, path: str) -> Tuple[bool, bool]:
        """(``path`` is a file, it is the file checked): looked at once per
        config, not once per ABI."""
        found = self._seen.get(path)
        if found is None:
            exists = os.path.isfile(path)
            found = (exists, exists and os.path.isfile(self.file) and os.path.samefile(path, self.file))
            self._seen[path] = found
        return cast(Tuple[bool, bool], found)

    # ------------------------------------------- lookups shared by kinds
    def baseline_layout(self, path: str, struct: str, rule: Rule) -> Optional[Layout]:
        """``struct`` of the header ``path`` read in this checker's config
        for its ABI, with the rule's abi_defines (no-growth rules)."""
        key = (os.path.abspath(path), self.config.name, tuple(sorted(self.config.defines.items())),
               tuple(sorted(rule.abi_defines.items())), tuple(self.run_abis),
               repr(sorted(self.program_kw.items())))
        prog = self._seen.get(key)  # checked fresh once per config
        if prog is None:
            def read():
                from .spec import Config, RuleSet

                ruleset = RuleSet(rule.path, struct)
                ruleset.abi_defines = dict(rule.abi_defines)
                # a kernel tree's config sets its macros in autoconf.h: the
                # baseline is read with those it names given as -D
                named = _names_in(path)
                defines = {m: "1" for m in self.config.already_set if m in named}
                defines.update(self.config.defines)
                return ruleset.program(path, Config(self.config.name, defines), self.run_abis,
                                       **self.program_kw)

            prog = self._seen[key] = _baseline_program(key, read)
        rec = prog.unit(self.abi).find_record(struct)
        return prog.layout(struct, self.abi) if rec is not None and rec.complete else None

    def member(self, lay: Layout, path: str, rule: Rule) -> Optional[MemberLayout]:
        """The member at ``path``; None if missing and optional, else Fail."""
        m = lay.get(path)
        if m is None and path not in rule.optional:
            from ..layouts import did_you_mean

            whole = path.split("[", 1)[0]
            if "[" in path and lay.get(whole) is not None:  # members, not array elements
                raise Fail(f"{lay.kind} {lay.name} has no member '{path}': a rule names "
                           f"members, not the elements of an array (name the array, "
                           f"'{whole}')", [path])
            raise Fail(f"{lay.kind} {lay.name} has no member '{path}'"
                       f"{did_you_mean(path, [x.path for x in lay.members])}; "
                       f"the rule cannot be checked (list it in 'optional' if that is expected)",
                       [path])
        return m

    def present(self, lay: Layout, names: Sequence[str], rule: Rule,
                what: str) -> List[Tuple[str, MemberLayout]]:
        """The named members that exist; not-applied when none does."""
        found = [(n, self.member(lay, n, rule)) for n in names]
        present = [(n, m) for n, m in found if m is not None]
        if not present:
            raise NotApplied(self.missing_text(lay, names, what), list(names))
        return present

    @staticmethod
    def missing_text(lay: Layout, names: Sequence[str], what: str = "") -> str:
        """The not-applied text for optional members all missing (with a
        near name the struct has: an optional member misspelt is never
        found, and its rule never applies)."""
        # only a near spelling (a letter or two off): an optional member
        # absent in this era is the usual case, and gets no guess
        paths = tuple(m.path for m in lay.members)
        near = dict.fromkeys(c for n in names for c in _near_member(n, paths))
        hint = f" (did you mean {', '.join(repr(c) for c in near)}?)" if near else ""
        if len(names) == 1:
            text = f"{lay.kind} {lay.name} has no member '{names[0]}' (optional){hint}"
        else:
            text = f"{lay.kind} {lay.name} has none of {', '.join(names)} (all optional){hint}"
        return text + (f": {what}" if what else ": nothing to check")

    def target(self, lay: Layout, rule: Rule) -> Tuple[str, int, int]:
        """(label, offset, size) of what an offset/size/align rule is about."""
        p = rule.params
        if p.get("union_of") or p.get("struct_of"):
            kind = "union" if p.get("union_of") else "struct"
            anchor = p.get("union_of") or p.get("struct_of")
            if self.member(lay, anchor, rule) is None:
                raise NotApplied(self.missing_text(lay, [anchor], f"no {kind} to measure"),
                                 [anchor])
            span = lay.enclosing(anchor, kind)
            if span is None:
                raise Fail(f"no {kind} holds '{anchor}' in {lay.kind} {lay.name}", [anchor])
            return f"the {kind} holding {anchor}", span[0], span[1]
        if p.get("member"):
            m = self.member(lay, p["member"], rule)
            if m is None:
                raise NotApplied(self.missing_text(lay, [p["member"]]), [p["member"]])
            return p["member"], m.offset, m.size
        return f"{lay.kind} {lay.name}", 0, lay.size

    def resolve(self, rule: Rule, key: str) -> int:
        """The rule's size ``key`` on this ABI's word."""
        return size_value(rule.params[key], self.word, f"{rule.source} ({rule.name})")

    def bounds(self, rule: Rule, label: str, value: int, what: str, members) -> None:
        """Fail unless ``value`` (the ``what`` of ``label``) keeps the rule's
        expect, min, max and multiple_of."""
        p = rule.params
        if "expect" in p and value != self.resolve(rule, "expect"):
            raise Fail(f"{label}: {what} is {value}, the rule expects "
                       f"{self.resolve(rule, 'expect')} ({p['expect']})", members)
        if "min" in p and value < self.resolve(rule, "min"):
            raise Fail(f"{label}: {what} is {value}, below the minimum "
                       f"{self.resolve(rule, 'min')}", members)
        if "max" in p and value > self.resolve(rule, "max"):
            raise Fail(f"{label}: {what} is {value}, above the maximum "
                       f"{self.resolve(rule, 'max')}", members)
        if "multiple_of" in p and value % self.resolve(rule, "multiple_of"):
            unit = self.resolve(rule, "multiple_of")
            if what == "offset":
                raise Fail(f"{label} is at offset {value}, not a multiple of "
                           f"{unit} ({p['multiple_of']})", members)
            raise Fail(f"{label}: {what} is {value}, not a multiple of {unit} "
                       f"({p['multiple_of']})", members)

    # ------------------------------------------------------------ check
    def check(self, lay: Layout, rule: Rule) -> Result:
        """The verdict of ``rule`` (its kind's check) on ``lay``."""
        try:
            members = REGISTRY[rule.kind].check(self, lay, rule)
            return Result(self.file, self.abi.name, self.config.name, rule.name, rule.kind,
                          PASS, members, "")
        except Fail as f:
            return Result(self.file, self.abi.name, self.config.name, rule.name, rule.kind,
                          FAIL, f.members, f"on {self.abi.name} ({self.config.name}): {f.message}",
                          f.message, where=member_where(lay, f.members))
        except NotApplied as n:
            return Result(self.file, self.abi.name, self.config.name, rule.name, rule.kind,
                          NOT_APPLIED, n.members,
                          f"on {self.abi.name} ({self.config.name}): not applied: {n.message}",
                          n.message, "optional-missing")


@lru_cache(maxsize=4096)
def _near_member(name: str, paths: Tuple[str, ...]) -> List[str]:
    """A member path a letter or two from ``name`` (asked once per struct
    shape: every ABI and config of a check asks again)."""
    import difflib

    return difflib.get_close_matches(name, paths, n=1, cutoff=0.85)


def member_where(lay, paths: Sequence[str]) -> str:
    """``file:line:column`` where the first of ``paths`` that ``lay`` has
    is declared, else where the struct is defined ('' if unknown)."""
    for path in paths:
        m = lay.get(path) if hasattr(lay, "get") else None
        coord = getattr(getattr(getattr(m, "field", None), "member", None), "coord", None)
        if coord is not None:
            return where_of(coord) or ""
    coord = getattr(getattr(lay, "record", None), "coord", None)
    return (where_of(coord) or "") if coord is not None else ""


def check_static_asserts(file: str, prog, abi: ABI, config: Config) -> List[Result]:
    """Evaluate the header's _Static_assert declarations on one ABI."""
    results = []
    unit = prog.unit(abi)
    eng = prog.engine(abi)
    for sa in unit.static_asserts:
        label = f"static-assert at {where_of(sa.coord)}"
        cause = ""
        try:
            value = eng.ev.integer(sa.expr)
            status = PASS if value != 0 else FAIL
            text = "" if value else (f"_Static_assert fails: {sa.message or 'no message'} "
                                     f"({where_of(sa.coord)})")
        except NotEvaluated as exc:
            status, cause = NOT_APPLIED, "not-evaluated"
            text = f"_Static_assert ({where_of(sa.coord)}) not evaluated: {exc}"
        except LayoutError as exc:
            # GCC rejects the header (division by zero, a non-constant
            # operand it must fold): bad input, not a failed check
            raise LayoutError(f"_Static_assert cannot be evaluated on {abi.name}: {exc}",
                              where_of(sa.coord)) from None
        message = f"on {abi.name} ({config.name}): {text}" if text else ""
        results.append(Result(file, abi.name, config.name, label, "static-assert",
                              status, [], message, text, cause, where_of(sa.coord) or ""))
    return results


def check_program(path: str, prog, ruleset: RuleSet, abis: Sequence[ABI],
                  config: Config, program_kw: Optional[dict] = None) -> List[Result]:
    """Verdicts for one config, from a Program already read in that config
    (with ``program_kw``, the reading options a baseline is read with too)."""
    from ..api import TypedefAlignment

    results: List[Result] = []
    seen: Dict[object, object] = {}
    for abi in abis:
        checker = RuleChecker(path, abi, config, abis, seen, program_kw)
        results.extend(check_static_asserts(path, prog, abi, config))
        cache: Dict[str, Layout] = {}
        for rule in ruleset.rules:
            if not rule.applies(abi, config):
                continue
            struct = rule.struct
            if struct is None:
                raise LayoutError(f"{rule.source}: no struct named (set 'struct')")
            lay = cache.get(struct)
            if lay is None:
                rec = prog.unit(abi).find_record(struct)
                if rec is None or not rec.complete:
                    # a verdict, as for a member the struct lacks: the
                    # header may define it only in some configs or ABIs
                    results.append(_no_struct(path, prog, abi, config, rule, rec))
                    continue
                try:
                    lay = prog.layout(struct, abi)
                except TypedefAlignment as exc:  # the rule is about another alignment
                    results.append(Result(path, abi.name, config.name, rule.name, rule.kind, FAIL,
                                          [], f"on {abi.name} ({config.name}): {exc}", str(exc),
                                          where=rule.where))
                    continue
                cache[struct] = lay
            results.append(checker.check(lay, rule))
    return results


def _no_struct(path: str, prog, abi: ABI, config: Config, rule: Rule, rec) -> Result:
    """The failing verdict of a rule whose struct the header does not
    define in this config on this ABI."""
    if rec is None:
        what = f"no struct or union named {rule.struct!r}{prog.unit(abi).missing_record_hint(rule.struct)}"
    else:
        what = f"{rec.kind} {rec.tag} has no definition"
    text = (f"{what} in {path} in this config on this ABI; a struct defined only in some "
            f"configs or ABIs is selected with the rule's 'when' or 'abis', and the headers a "
            f"rule is for with its 'headers' (or it goes in their NAME.rules.toml)")
    return Result(path, abi.name, config.name, rule.name, rule.kind, FAIL, [],
                  f"on {abi.name} ({config.name}): {text}", text, where=rule.where)


def check_file(path: str, ruleset: RuleSet, abis: Sequence[ABI], configs: Sequence[Config],
               notes: Optional[List[str]] = None, read: Optional[Set[str]] = None,
               **program_kw) -> List[Result]:
    """All verdicts for one header: every config x ABI x rule, then one
    not-applied verdict for each rule that selects none of them.  To
    ``notes``: each config whose texts are another config's on every ABI
    (what it sets changes nothing: a misspelt macro, one this header does
    not depend on, or a value it reads as the other's).  To ``read``: the
    files any config and ABI read (as their line markers name them)."""
    from ..workers import in_two

    names = [a.name for a in abis]

    def verdicts(part: List[Config]) -> List[Tuple[List[Result], tuple, Tuple[str, ...]]]:
        return [(check_program(path, prog, ruleset, abis, config, program_kw),
                 tuple(sorted((a.name, g.text_digest()) for g in prog.groups for a in g.abis)),
                 tuple({f for g in prog.groups for f in g.files_read()}) if read is not None else ())
                for config, prog in zip(part, _programs(path, ruleset, names, part, program_kw),
                                        strict=True)]

    # the configs of a matrix, half of them in a second process (workers)
    per_config = in_two(verdicts, configs)
    results = [r for rs, _texts, _files in per_config for r in rs]
    if read is not None:
        read.update(f for _rs, _texts, files in per_config for f in files)
    results.extend(unselected_rules(path, ruleset, abis, configs,
                                    tree=program_kw.get("kernel") is not None))
    if notes is not None:
        first: Dict[tuple, Config] = {}
        for config, (_rs, texts, _files) in zip(configs, per_config, strict=True):
            same = first.setdefault(texts, config)
            if same is not config:
                unread = sorted(set(config.defines.items()) ^ set(same.defines.items()))
                if not unread:
                    continue  # the user's -D or -U made them one config
                macros = ", ".join(dict.fromkeys(k for k, _v in unread))
                # (the header may read the macro and make nothing of the
                # difference: CONFIG_X=0 against none, for '#if CONFIG_X')
                notes.append(f"config {config.name} reads as {same.name} on every ABI: "
                             f"{macros} changes nothing in this header (misspelt, or a value "
                             f"it reads as the other config's)")
    return results


def _programs(path: str, ruleset: RuleSet, abis: Sequence[str], configs: Sequence[Config],
              program_kw: dict) -> Iterator:
    """``path`` read in each config, in order, the configs' preprocessor
    runs overlapping (``options.side_by_side``)."""
    from ..options import side_by_side

    return iter(side_by_side(lambda config: ruleset.program(path, config, abis, **program_kw),
                             list(configs)))


def _selector_text(rule: Rule) -> str:
    parts = []
    if rule.abis != "all":
        parts.append(f"abis = {rule.abis!r}")
    if rule.when:
        parts.append("when = {" + ", ".join(f"{k} = {str(v).lower()}"
                                             for k, v in rule.when.items()) + "}")
    return " and ".join(parts) or "its selectors"


def _never_why(rule: Rule, abis: Sequence[ABI], configs: Sequence[Config]) -> str:
    """Why a rule selects no ABI x config at all: a macro no config sets (or
    every config sets), an ABI-class macro the rule's ``abis`` exclude, or
    else the combination."""
    reasons = []
    selected = [a for a in abis if abi_ok(rule, a)]
    for macro, want in rule.when.items():
        anywhere = {rule.macro_set(macro, a, c) for a in abis for c in configs}
        if anywhere == {not want}:
            reasons.append(f"no config sets {macro}" if want else f"every config sets {macro}")
            continue
        there = {rule.macro_set(macro, a, c) for a in selected for c in configs}
        if there == {not want} and macro in rule.abi_defines:
            reasons.append(f"{macro} follows the ABI ([matrix.abi_defines] {macro} = "
                           f"{rule.abi_defines[macro]!r}) and is {'never' if want else 'always'} "
                           f"defined on the ABIs abis = {rule.abis!r} selects")
    if not selected:
        reasons.append(f"abis = {rule.abis!r} selects none of {', '.join(a.name for a in abis)}")
    if reasons:
        return "; ".join(reasons)
    return "they never hold together"


def abi_ok(rule: Rule, abi: ABI) -> bool:
    return abi_matches(rule.abis, abi)


def unselected_rules(path: str, ruleset: RuleSet, abis: Sequence[ABI],
                     configs: Sequence[Config], tree: bool = False) -> List[Result]:
    """A not-applied verdict (ABI and config ``*``) for each rule whose
    ``abis``/``when`` select none of the ABIs and configs checked, so that
    it cannot vanish from the report.  The cause is ``never-selected`` when
    it selects nothing in the rules' whole matrix (every ABI, every config of
    the matrix and of this run) either, else ``not-selected``.  In a kernel
    tree (``tree``) the run's one config is the tree's .config, and the
    matrix is not read: a rule whose ``when`` names only .config symbols
    and whose ``abis`` select some ABI is ``not-in-tree-config`` (another
    tree may select it), any other ``never-selected`` (``when`` sees no
    other macro there)."""
    out: List[Result] = []
    every_abi = all_abis()
    matrix = ruleset.configs_for(path)
    every_config = matrix + [c for c in configs if c not in matrix]
    for rule in ruleset.rules:
        if any(rule.applies(a, c) for a in abis for c in configs):
            continue
        selectors = _selector_text(rule)
        verb = "select" if " and " in selectors else "selects"
        if tree:
            cause, text = _unselected_in_tree(rule, abis, every_abi, selectors, verb)
        else:
            cells = [(a, c) for a in every_abi for c in every_config if rule.applies(a, c)]
            if cells:
                a, c = cells[0]
                cause = "not-selected"
                text = (f"{selectors} {verb} none of the {len(abis)} ABIs x {len(configs)} configs "
                        f"checked (it applies on {len({x.name for x, _ in cells})} ABIs in "
                        f"{len({y.name for _, y in cells})} configs of the matrix, e.g. {a.name} "
                        f"in {c.name})")
            else:
                cause = "never-selected"
                text = (f"{selectors} {verb} no ABI and config of the matrix "
                        f"({len(every_abi)} ABIs x {len(every_config)} configs): "
                        f"{_never_why(rule, every_abi, every_config)}; the rule can never apply")
        members = REGISTRY[rule.kind].subjects(rule.params)
        out.append(Result(path, "*", "*", rule.name, rule.kind, NOT_APPLIED, members,
                          f"not applied: {text}", text, cause))
    # a rule whose 'headers' name no header that reads these rules (a
    # misspelt or stale pattern, a header with rules of its own): it is
    # never checked on the header it meant
    folder = os.path.dirname(ruleset.path) if ruleset.path else "."
    where = f"relative to {folder or '.'}" + (", nor in the kernel tree" if ruleset.tree else "")
    dead = [(rule, f"headers = {pattern!r} names no file ({where})")
            for rule, pattern in ruleset.unmatched_headers()]
    dead += [(rule, f"headers = {pattern!r} names only headers that read other rules ({header} "
                    f"reads {other or 'none'})")
             for rule, pattern, header, other in ruleset.unread_headers()]
    for rule, why in dead:
        text = f"{why}; the rule can never apply there"
        out.append(Result(path, "*", "*", rule.name, rule.kind, NOT_APPLIED,
                          REGISTRY[rule.kind].subjects(rule.params), f"not applied: {text}", text,
                          "never-selected", where=rule.where))
    return out


def _unselected_in_tree(rule: Rule, abis: Sequence[ABI], every_abi: Sequence[ABI],
                        selectors: str, verb: str) -> Tuple[str, str]:
    """(cause, text) of a rule a kernel tree's .config does not select."""
    # a macro no .config sets: wanted undefined it always holds here,
    # wanted defined never
    others = [m for m, want in rule.when.items() if want and not m.startswith("CONFIG_")]
    if not any(abi_ok(rule, a) for a in every_abi):
        return "never-selected", f"abis = {rule.abis!r} selects no ABI; the rule can never apply"
    if others:
        return "never-selected", (
            f"{selectors} {verb} nothing in a kernel tree: its 'when' names "
            f"{', '.join(others)}, not a .config symbol, and in a kernel tree "
            f"'when' sees the tree's .config (and -D/-U); the rule can never apply")
    return "not-in-tree-config", (f"{selectors} {verb} none of the {len(abis)} ABIs in this "
                                  f"tree's .config (another tree's .config may)")


class FileVerdicts(PlainEq):
    """Every verdict for one header, and how its rules were found."""

    path: str
    discovery: object  # spec.Discovery, or None
    abis: List[ABI]
    configs: List[Config]
    n_rules: int
    results: List[Result]
    rules: List[Rule]
    notes: List[str]  # configs that read alike (check_file)
    n_elsewhere: int = 0  # rules of the same file whose 'headers' name other headers
    read: List[str]  # the files read, as line markers name them (check_file)

    _fields = ("path", "discovery", "abis", "configs", "n_rules", "results", "rules", "notes", "n_elsewhere",
               "read")

    def __init__(self, path: str, discovery: object, abis: List[ABI], configs: List[Config], n_rules: int,
                 results: List[Result], rules: List[Rule] = FRESH, notes: List[str] = FRESH,
                 n_elsewhere: int = 0, read: List[str] = FRESH) -> None:
        self.path = path
        self.discovery = discovery
        self.abis = abis
        self.configs = configs
        self.n_rules = n_rules
        self.results = results
        self.rules = [] if rules is FRESH else rules
        self.notes = [] if notes is FRESH else notes
        self.n_elsewhere = n_elsewhere
        self.read = [] if read is FRESH else read

    @property
    def failed(self) -> bool:
        return any(r.failed for r in self.results)

    def status(self, strict: bool = False) -> str:
        """"fail" when this file makes ``check`` exit 1: a failing rule or
        assert, a rule that can never apply, a refused rules file, or
        (strict) any rule not applied; else "ok"."""
        for r in self.results:
            if r.failed or (r.not_applied and (strict or r.cause == "never-selected")):
                return "fail"
        if self.discovery is not None and self.discovery.refused:
            return "fail"
        return "ok"

    def rule(self, name: str) -> Optional[Rule]:
        return next((r for r in self.rules if r.name == name), None)


class CheckReport(PlainEq):
    """``layoutcheck.check``: the verdicts of every header, ABI and config."""

    files: List[FileVerdicts]
    defines: Dict[str, str]  # -D given for every config
    undefs: List[str]  # -U given for every config

    _fields = ("files", "defines", "undefs")

    def __init__(self, files: List[FileVerdicts], defines: Dict[str, str] = FRESH, undefs: List[str] = FRESH) -> None:
        self.files = files
        self.defines = {} if defines is FRESH else defines
        self.undefs = [] if undefs is FRESH else undefs

    @property
    def results(self) -> List[Result]:
        return [r for f in self.files for r in f.results]

    def exit_status(self, strict: bool = False) -> int:
        """1 on a failure, a rule that can never apply, a refused rules
        file, or (strict) any not-applied verdict; else 0."""
        return 1 if any(f.status(strict) == "fail" for f in self.files) else 0

    def to_json(self, failures_only: bool = False, strict: bool = False) -> dict:
        """``{"rules": how each file's rules were found, "summary": one
        entry per file, "results": verdicts}``; a failure carries its
        rule's ``why``.  ``failures_only``: only the verdicts that fail or
        that say a rule can never apply."""
        rules, summary, results = [], [], []
        for f in self.files:
            entry = f.discovery.to_json() if f.discovery is not None else {"rules": None}
            entry["file"] = f.path
            entry["for_other_headers"] = f.n_elsewhere  # rules whose 'headers' name others
            rules.append(entry)
            counts = {PASS: 0, NOT_APPLIED: 0, FAIL: 0}
            for r in f.results:
                counts[r.status] += 1
            summary.append({"file": f.path, "status": f.status(strict), "notes": list(f.notes),
                            "failed_rules": sorted({r.rule for r in f.results if r.failed}),
                            "pass": counts[PASS], "not_applied": counts[NOT_APPLIED],
                            "fail": counts[FAIL]})
            for r in f.results:
                if failures_only and not (r.failed or r.cause == "never-selected"
                                          or (strict and r.not_applied)):
                    continue
                out = r.to_json()
                rule = f.rule(r.rule)
                if r.failed and rule is not None and rule.why:
                    out["why"] = " ".join(rule.why.split())
                results.append(out)
        return {"rules": rules, "summary": summary, "results": results}


def tree_config(tree) -> Config:
    """A kernel tree's own config: what its autoconf.h defines (CONFIG_X
    for y, CONFIG_X_MODULE for m, and every valued symbol), so that a
    rule's ``when`` sees it; nothing is passed as -D."""
    set_macros = set()
    for name, value in tree.config.items():
        if value == "m":
            set_macros.add(f"{name}_MODULE")
        elif value != "n":
            set_macros.add(name)
    return Config("tree .config", {}, frozenset(set_macros))


def check_headers(paths: Sequence[str], options=None,
                  configs: Optional[Sequence[str]] = None) -> CheckReport:
    """Every rule of each header's rules (``options.rules``, else found by
    discovery), in every config of its matrix (or ``configs``), on every
    ABI of ``options``, plus the header's own ``_Static_assert``s."""
    from ..options import Options, ruleset_for, select_configs

    from ..kernel import open_tree

    options = options or Options.make()
    abis = options.abi_objects()
    report = CheckReport([], dict(options.defines), list(options.undefs))
    tree = open_tree(options.kernel) if options.kernel is not None else None
    for name in [paths] if isinstance(paths, str) else list(paths):
        # In a kernel tree a header is named as it is included.
        path = tree.resolve(name) if tree is not None else name
        ruleset = ruleset_for(path, options)
        if ruleset.discovery is not None:
            ruleset.discovery.header = path
        # A kernel tree is checked in its own .config: a rules matrix's -D
        # CONFIG_* would be overridden by the tree's autoconf.h.
        if tree is not None and configs:
            raise LayoutError("--config: a kernel tree is read in its own .config (drop --config; "
                              "-D and -U still apply)")
        cfgs = ([tree_config(tree)] if tree is not None
                else select_configs(ruleset, configs, path))
        # each config as it is read: the user's -D and -U are the header's,
        # and so the rules' 'when' sees them too
        cfgs = [c.as_read(dict(options.defines), options.undefs) for c in cfgs]
        notes: List[str] = []
        read: Set[str] = set()
        results = check_file(path, ruleset, abis, cfgs, notes, read, defines=dict(options.defines),
                             undefs=options.undefs, include_dirs=options.include_dirs,
                             cpp=options.cpp, pp_abi=options.pp_abi, kernel=options.kernel,
                             abi_include_dirs=dict(options.abi_include_dirs))
        if tree is None:
            notes += ruleset.unmatched_extra_for()
        report.files.append(FileVerdicts(path, ruleset.discovery, abis, cfgs,
                                         len(ruleset.rules), results, list(ruleset.rules), notes,
                                         len(ruleset.elsewhere), sorted(read)))
    return report
