"""Output for CI systems: GitHub workflow annotations and SARIF 2.1.0.

Both say, for ``check``, one finding per failing rule (and per static
assert, rules that can never apply, a refused rules file; a note for a
header nothing checked, a warning for a config that reads as another) and, for
``diff``, one per change, placed at the ``file:line:column`` of the member
it is about in the header as written (else of its struct, else the file);
a rule's finding also points at the rule in its rules file.

* ``--format github``: ``::error file=F,line=L,col=C,title=T::message``
  lines, which a GitHub Actions step turns into annotations on the pull
  request (values escaped as the workflow command syntax requires);
* ``--format sarif``: one SARIF 2.1.0 log (``runs[0].tool.driver.rules``
  lists each rule with its ``why``), for code scanning and other readers.
"""

from __future__ import annotations

import json
import os
from typing import Dict, List, Optional, Sequence, Tuple

from .. import __version__
from ..plain import FRESH, PlainEq

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


class Finding(PlainEq):
    """One thing to tell a CI system."""

    rule: str  # rule id: a rule name, "static-assert", "layout-change", ...
    level: str  # "error", "warning" or "note"
    message: str
    where: str = ""  # file:line[:column]
    title: str = ""
    rule_where: str = ""  # the rule in its rules file
    why: str = ""
    short: str = ""  # one line about the rule
    extra: Dict[str, object]

    _fields = ("rule", "level", "message", "where", "title", "rule_where", "why", "short", "extra")

    def __init__(self, rule: str, level: str, message: str, where: str = "", title: str = "", rule_where: str = "",
                 why: str = "", short: str = "", extra: Dict[str, object] = FRESH) -> None:
        self.rule = rule
        self.level = level
        self.message = message
        self.where = where
        self.title = title
        self.rule_where = rule_where
        self.why = why
        self.short = short
        self.extra = {} if extra is FRESH else extra


def _splitwhere_text(where: str) -> Tuple[str, Optional[int], Optional[int]]:
    """(file, line, column) of ``file:line:column`` (line, column optional)."""
    parts = where.rsplit(":", 2)
    nums: List[int] = []
    while len(parts) > 1 and parts[-1].isdigit():
        nums.insert(0, int(parts.pop()))
    path = ":".join(parts)
    line = nums[0] if nums else None
    col = nums[1] if len(nums) > 1 else None
    return path, line, col


def _relative(path: str) -> str:
    rel = os.path.relpath(path) if os.path.isabs(path) else path
    return path if rel.startswith("..") else rel


# ------------------------------------------------------------------ check
def check_findings(report, strict: bool = False) -> List[Finding]:
    from .groups import config_refs, one_sentence, where_text

    out: List[Finding] = []
    for f in report.files:
        cfg_names = [c.name for c in f.configs]
        if f.discovery is not None:
            for refused, why in f.discovery.refused:
                out.append(Finding("rules-file-refused", "error",
                                   f"rules file {refused} not read: {why}; its rules were not applied",
                                   where=f.path, title="layoutcheck: rules file refused"))
        if not f.results:  # not silence: "nothing checked" must not read as "all passed"
            out.append(Finding("nothing-checked", "note",
                               f"{f.path}: no rule and no _Static_assert applies to it: nothing "
                               f"was checked", where=f.path, title="layoutcheck: nothing checked"))
        for note in getattr(f, "notes", ()):
            out.append(Finding("config-reads-alike", "warning", f"{f.path}: {note}", where=f.path,
                               title="layoutcheck: a config checks nothing new"))
        by_rule: Dict[str, Dict[str, list]] = {}
        first: Dict[str, object] = {}
        for r in f.results:
            if r.failed:
                by_rule.setdefault(r.rule, {}).setdefault(r.text, []).append((r.abi, r.config))
                first.setdefault(r.rule, r)
            elif (r.cause == "never-selected" or (strict and r.not_applied)) and r.rule not in first:
                first[r.rule] = r
                rule = f.rule(r.rule)
                said = "can never apply" if r.cause == "never-selected" else "was not applied (--strict)"
                out.append(Finding(r.rule, "error", f"{r.rule} {said}: {r.text}",
                                   where=rule.where if rule is not None and rule.where else f.path,
                                   title=f"layoutcheck: {r.rule} not applied"))
        for name, texts in by_rule.items():
            res = first[name]
            every = [cell for cells in texts.values() for cell in cells]
            where_abis = where_text(every, f.abis, cfg_names)
            if len(texts) == 1:
                text = next(iter(texts))
            else:
                text = one_sentence(texts, f.abis, cfg_names) or "; ".join(
                    f"{where_text(cells, f.abis, cfg_names)}: {t}" for t, cells in texts.items())
            rule = f.rule(name)
            why = " ".join(rule.why.split()) if rule is not None and rule.why else ""
            kind = getattr(res, "kind", "")
            ident = "static-assert" if kind == "static-assert" else name
            out.append(Finding(
                ident, "error", f"{name} ({kind}) fails on {where_abis}: {text}"
                + (f" Why: {why}" if why else ""),
                where=getattr(res, "where", "") or f.path, title=f"layoutcheck: {name}",
                rule_where=rule.where if rule is not None else "", why=why,
                short=f"{kind} rule {name}" if kind != "static-assert" else "a _Static_assert of the header",
                extra={"abis": sorted({a for a, _ in every}),
                       "configs": config_refs(sorted({c for _, c in every}, key=cfg_names.index),
                                               cfg_names) or "every config"}))
    return out


# ------------------------------------------------------------------- diff
def diff_findings(results: Sequence) -> List[Finding]:
    from ..compare import merge_by_message

    out: List[Finding] = []
    for result in results:
        for g in merge_by_message(result.changes):
            c = g.change
            blocks = g.blocks(result.abis, result.configs)
            where_text = "; ".join(
                f"{' '.join(a)}" + ("" if len(cfgs) == len(result.configs) else f" ({', '.join(cfgs)})")
                for a, cfgs in blocks)
            regression = c.kind in ("rule", "static-assert") and c.after == "fail"
            rule = result.rule_info.get(c.member) if c.kind == "rule" else None
            why = " ".join(rule.why.split()) if rule is not None and rule.why else ""
            ident = c.member if c.kind == "rule" else ("static-assert" if c.kind == "static-assert"
                                                        else f"layout-{c.kind}")
            out.append(Finding(
                ident, "error" if regression else "warning",
                f"{c.struct}: {c.message} (on {where_text})" + (f" Why: {why}" if why else ""),
                where=result.location(c) or _new_path(result), title=f"layoutcheck diff: {c.struct}",
                rule_where=rule.where if rule is not None else "", why=why,
                short=(f"rule {c.member}" if c.kind == "rule" else f"a layout change ({c.kind})")))
    return out


def _new_path(result) -> str:
    new = result.new
    if ":" in new and not os.path.exists(new):
        new = new.split(":", 1)[1]
    return new


# ------------------------------------------------------------------ github
def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: Sequence[Finding]) -> str:
    lines = []
    for f in findings:
        path, line, col = _splitwhere_text(f.where)
        props = [f"file={_escape_property(_relative(path))}"] if path else []
        if line:
            props.append(f"line={line}")
        if col:
            props.append(f"col={col}")
        if f.title:
            props.append(f"title={_escape_property(f.title)}")
        level = "notice" if f.level == "note" else f.level  # GitHub's word for SARIF's note
        lines.append(f"::{level} {','.join(props)}::{_escape_data(f.message)}")
    return "\n".join(lines) + ("\n" if lines else "")


# ------------------------------------------------------------------- sarif
def _location(where: str) -> Optional[dict]:
    path, line, col = _splitwhere_text(where)
    if not path:
        return None
    from urllib.parse import quote

    uri = quote(_relative(path).replace(os.sep, "/"), safe="/")  # a URI reference: spaces, #, %
    loc: dict = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
    if line:
        region = {"startLine": line}
        if col:
            region["startColumn"] = col
        loc["physicalLocation"]["region"] = region
    return loc


def render_sarif(findings: Sequence[Finding], command: str) -> str:
    rules: List[dict] = []
    index: Dict[str, int] = {}
    results = []
    for f in findings:
        if f.rule not in index:
            index[f.rule] = len(rules)
            entry: dict = {"id": f.rule, "shortDescription": {"text": f.short or f.rule}}
            if f.why:
                entry["fullDescription"] = {"text": f.why}
                entry["help"] = {"text": f.why}
            rules.append(entry)
        res: dict = {"ruleId": f.rule, "ruleIndex": index[f.rule], "level": f.level,
                     "message": {"text": f.message}}
        loc = _location(f.where)
        if loc is not None:
            res["locations"] = [loc]
        related = _location(f.rule_where) if f.rule_where else None
        if related is not None:
            related["id"] = 0
            related["message"] = {"text": f"the rule {f.rule}"}
            res["relatedLocations"] = [related]
        if f.extra:
            res["properties"] = f.extra
        results.append(res)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "layoutcheck", "version": __version__, "rules": rules}},
            "automationDetails": {"id": f"layoutcheck/{command}/"},
            "results": results,
        }],
    }
    return json.dumps(log, indent=1) + "\n"
