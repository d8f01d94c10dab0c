"""Rules as data: what a layout must keep, and the configs to check it in.

A rules file is TOML.  For a header ``dir/name.h`` the rules are found
without flags, first match wins:

1. ``dir/name.rules.toml`` (rules for that header alone);
2. ``layoutcheck.toml`` in ``dir`` or the nearest parent directory that has
   one, stopping at the top of the repository (the directory holding
   ``.git``).

``--rules FILE`` overrides the search.  A header without rules is still
checked: its own ``_Static_assert``s are evaluated on every ABI.

The format (all keys optional except each rule's ``kind``)::

    struct = "page"                 # default struct for every rule

    [matrix]                        # the configs to check each header in
    vary = ["CONFIG_MEMCG", "CONFIG_HAVE_ALIGNED_STRUCT_PAGE"]   # on/off
    extra = [["CONFIG_MEMCG", "WANT_PAGE_VIRTUAL"]]             # more configs
    [matrix.abi_defines]            # macros that follow the ABI
    CONFIG_64BIT = "64bit"          # defined on 64-bit ABIs only

    [[rule]]
    name = "freelist-double-word"   # defaults to kind and members
    kind = "offset"                 # offset size align alias disjoint tail-bit
    member = "freelist"
    multiple_of = "2*word"          # word = sizeof(unsigned long) on the ABI
    abis = "all"                    # all 64bit 32bit little big, or a list
    when = { CONFIG_MEMCG = true }  # configs the rule applies in
    optional = ["freelist"]         # members allowed to be missing

A member is named by its offsetof path (``lru.next``).  A rule naming a
member the struct lacks fails unless the rule lists it in ``optional``:
a renamed or deleted field must never skip its rule silently.
"""

from __future__ import annotations

import itertools
import os
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from ..abi import ABI
from ..errors import LayoutError

KINDS = ("offset", "size", "align", "alias", "disjoint", "tail-bit")

_RULE_KEYS = {
    "name", "kind", "struct", "member", "members", "against", "union_of", "struct_of",
    "expect", "min", "max", "multiple_of", "within", "word", "bit0_clear", "optional",
    "abis", "when", "why",
}


@dataclass(frozen=True)
class Config:
    """One kernel configuration: the -D macros the header is read with."""

    name: str
    defines: Dict[str, str]

    def enabled(self, macro: str) -> bool:
        return macro in self.defines


@dataclass
class Rule:
    kind: str
    name: str
    struct: Optional[str]
    params: Dict[str, Any]
    optional: List[str] = field(default_factory=list)
    abis: Any = "all"
    when: Dict[str, bool] = field(default_factory=dict)
    why: Optional[str] = None
    source: str = ""

    def applies(self, abi: ABI, config: Config) -> bool:
        if not abi_matches(self.abis, abi):
            return False
        for macro, want in self.when.items():
            if config.enabled(macro) != bool(want):
                return False
        return True


@dataclass
class RuleSet:
    path: Optional[str]
    struct: Optional[str] = None
    rules: List[Rule] = field(default_factory=list)
    configs: List[Config] = field(default_factory=list)
    abi_defines: Dict[str, str] = field(default_factory=dict)  # macro -> ABI class

    def defines_for_abis(self, abis: Sequence[ABI]) -> Dict[str, Dict[str, str]]:
        out: Dict[str, Dict[str, str]] = {}
        for abi in abis:
            extra = {m: "1" for m, cls in self.abi_defines.items() if abi_matches(cls, abi)}
            if extra:
                out[abi.name] = extra
        return out

    def program(self, path: str, config: Config, abis: Sequence[str], **kw):
        from ..abi import resolve_abis
        from ..api import Program

        resolved = resolve_abis(list(abis))
        return Program(path, [a.name for a in resolved], defines=config.defines,
                       abi_defines=self.defines_for_abis(resolved), **kw)

    def bound_configs(self) -> List["BoundConfig"]:
        return [BoundConfig(self, c) for c in self.configs]


@dataclass
class BoundConfig:
    """A config with the rule set that declared it (knows ABI-derived macros)."""

    ruleset: RuleSet
    config: Config

    @property
    def name(self) -> str:
        return self.config.name

    def program(self, path: str, abis: Sequence[str], **kw):
        return self.ruleset.program(path, self.config, abis, **kw)


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


_WORD = re.compile(r"^\s*(\d+)?\s*\*?\s*words?\s*$")


def size_value(spec: Any, word: int, where: str) -> int:
    """An int, or "word", "2*word", "5 words": word = sizeof(unsigned long)."""
    if isinstance(spec, bool):
        raise LayoutError(f"{where}: expected a size, got {spec!r}")
    if isinstance(spec, int):
        return spec
    if isinstance(spec, str):
        m = _WORD.match(spec)
        if m:
            return int(m.group(1) or 1) * word
        if spec.strip().isdigit():
            return int(spec)
    raise LayoutError(f"{where}: cannot read size {spec!r} (use a number or 'N*word')")


def _listify(value: Any) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def parse_rules(text: str, path: Optional[str] = None) -> RuleSet:
    where = path or "<rules>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"bad rules file: {exc}", where) from None
    unknown = set(data) - {"struct", "matrix", "rule"}
    if unknown:
        raise LayoutError(f"unknown top-level keys {sorted(unknown)}", where)
    rs = RuleSet(path, data.get("struct"))
    matrix = data.get("matrix", {})
    vary = _listify(matrix.get("vary"))
    configs: List[Config] = []
    for bits in itertools.product((False, True), repeat=len(vary)):
        configs.append(make_config([m for m, on in zip(vary, bits) if on]))
    for extra in matrix.get("extra", []):
        cfg = make_config(_listify(extra))
        if cfg not in configs:
            configs.append(cfg)
    rs.configs = configs or [Config("default", {})]
    for macro, cls in (matrix.get("abi_defines") or {}).items():
        rs.abi_defines[macro] = cls
    seen = set()
    for i, raw in enumerate(data.get("rule", [])):
        label = f"{where}: rule {i + 1}"
        if "kind" not in raw:
            raise LayoutError(f"{label}: missing 'kind'")
        kind = raw["kind"]
        if kind not in KINDS:
            raise LayoutError(f"{label}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        bad = set(raw) - _RULE_KEYS
        if bad:
            raise LayoutError(f"{label}: unknown keys {sorted(bad)}")
        members = _listify(raw.get("member")) + _listify(raw.get("members"))
        name = raw.get("name") or f"{kind}:{','.join(members or [raw.get('union_of', '') or 'struct'])}"
        if name in seen:
            raise LayoutError(f"{label}: duplicate rule name {name!r}")
        seen.add(name)
        params = {k: v for k, v in raw.items()
                  if k not in ("name", "kind", "struct", "optional", "abis", "when", "why")}
        rule = Rule(kind, name, raw.get("struct", rs.struct), params, _listify(raw.get("optional")),
                    raw.get("abis", "all"), dict(raw.get("when", {})), raw.get("why"), label)
        _validate(rule, label)
        rs.rules.append(rule)
    return rs


def _validate(rule: Rule, label: str) -> None:
    p = rule.params
    need = {
        "offset": lambda: ((p.get("member") or p.get("union_of")) and
                           any(k in p for k in ("expect", "multiple_of", "min", "max"))) or
        ("within" in p and (p.get("union_of") or p.get("struct_of")) and
         (p.get("members") or p.get("member")) and len(p["within"]) == 2),
        "size": lambda: any(k in p for k in ("expect", "min", "max")),
        "align": lambda: any(k in p for k in ("expect", "min", "max")),
        "alias": lambda: len(_listify(p.get("members"))) >= 2,
        "disjoint": lambda: _listify(p.get("members")) and _listify(p.get("against")),
        "tail-bit": lambda: bool(p.get("word")),
    }[rule.kind]
    if not need():
        hints = {
            "offset": "member (or union_of) and one of expect/multiple_of/min/max, "
                      "or members, union_of and within = [first_word, end_word]",
            "size": "expect, min or max", "align": "expect, min or max",
            "alias": "members = [A, B, ...]", "disjoint": "members = [...] and against = [...]",
            "tail-bit": "word = the member whose word holds PageTail (compound_head)",
        }
        raise LayoutError(f"{label}: a {rule.kind} rule needs {hints[rule.kind]}")


def load_rules(path: str) -> RuleSet:
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode()
    except OSError as exc:
        raise LayoutError(f"cannot read rules file: {exc.strerror}", path) from None
    return parse_rules(text, path)


def find_rules_file(header: str) -> Optional[str]:
    header = os.path.abspath(header)
    stem, _ = os.path.splitext(header)
    own = stem + ".rules.toml"
    if os.path.exists(own):
        return own
    d = os.path.dirname(header)
    while True:
        cand = os.path.join(d, "layoutcheck.toml")
        if os.path.exists(cand):
            return cand
        if os.path.isdir(os.path.join(d, ".git")):
            return None
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def load_rules_for(header: str) -> RuleSet:
    """The rules that apply to ``header`` by the discovery convention."""
    found = find_rules_file(header)
    if found is None:
        return RuleSet(None, configs=[Config("default", {})])
    return load_rules(found)
