"""`check`: what failed and why for people, the verdicts for scripts.

Text, per file: one line with the file's status and what was checked;
for each failing rule one ``FAIL`` sentence saying where it holds (ABIs
with the same verdicts are one group, named by their class when they are
one: "the 64-bit ABIs") with the measurement behind it, then the rule's
``why``; a verdict table (groups of ABIs with identical rows down, configs
across) when something failed; one line for rules that were not applied.
The run ends with one summary line per file and a total.  The config
legend is printed once when every file shares it.  ``--verbose`` adds
the table of every file, one row per ABI, and every not-applied rule with
its reason.

JSON: ``{"rules": how each file's rules were found, "summary": one entry
per file, "results": verdicts}`` (``--failures-only``: the failing ones).
"""

from __future__ import annotations

import json
import textwrap
from typing import Dict, List, Tuple

from .groups import abi_group_label, one_sentence, where_text
from .show import define_option

WRAP = 92


def _wrap(text: str, indent: str) -> List[str]:
    return textwrap.wrap(" ".join(text.split()), WRAP, initial_indent=indent,
                         subsequent_indent=indent + "  ", break_on_hyphens=False,
                         break_long_words=False) or [indent]


def _failures(f, cfg_names: List[str]) -> List[str]:
    lines: List[str] = []
    by_rule: Dict[str, Dict[str, List[Tuple[str, str]]]] = {}
    kinds: Dict[str, str] = {}
    for r in f.results:
        if r.failed:
            by_rule.setdefault(r.rule, {}).setdefault(r.text, []).append((r.abi, r.config))
            kinds[r.rule] = r.kind
    for rule_name, texts in by_rule.items():
        every = [cell for cells in texts.values() for cell in cells]
        head = f"FAIL {rule_name} ({kinds[rule_name]}) on {where_text(every, f.abis, cfg_names)}"
        if len(texts) == 1:
            (text,) = texts
            lines += _wrap(f"{head}: {text}", "  ")
        else:
            sentence = one_sentence(texts, f.abis, cfg_names)
            if sentence:
                lines += _wrap(f"{head}: {sentence}", "  ")
            else:
                lines += _wrap(head + ":", "  ")
                for text, cells in texts.items():
                    lines += _wrap(f"{where_text(cells, f.abis, cfg_names)}: {text}", "      ")
        rule = f.rule(rule_name)
        if rule is not None and rule.why:
            lines += _wrap(f"why: {rule.why}", "    ")
    return lines


def _table(f, cfg_names: List[str], grouped: bool) -> List[str]:
    fails: Dict[Tuple[str, str], int] = {}
    for r in f.results:
        if r.failed:
            fails[(r.abi, r.config)] = fails.get((r.abi, r.config), 0) + 1
    rows: Dict[Tuple[str, ...], List[str]] = {}
    for a in f.abis:
        cells = tuple(("ok" if not fails.get((a.name, c)) else f"{fails[(a.name, c)]}F") for c in cfg_names)
        rows.setdefault(cells if grouped else (a.name,) + cells, []).append(a.name)
    lines = ["  " + "".join(f"{('[' + str(i) + ']'):>5}" for i in range(1, len(cfg_names) + 1))]
    for cells, names in rows.items():
        cells = cells if grouped else cells[1:]
        label = abi_group_label(names, f.abis) if grouped else names[0]
        body = "".join(f"{c:>5}" for c in cells)
        lines += textwrap.wrap(label, WRAP + 8, initial_indent=f"  {body}   ",
                               subsequent_indent=" " * (5 + len(body)),
                               break_on_hyphens=False) or [f"  {body}"]
    return lines


def _not_applied(f, verbose: bool) -> List[str]:
    lines: List[str] = []
    groups: Dict[Tuple[str, str, str, str], List[Tuple[str, str]]] = {}
    for r in f.results:
        if r.not_applied:
            groups.setdefault((r.rule, r.kind, r.text, r.cause), []).append((r.abi, r.config))
    cfg_names = [c.name for c in f.configs]
    quiet: Dict[str, List[str]] = {}
    for (rule, kind, text, cause), cells in groups.items():
        if cause == "never-selected":  # a bug in the rules: always said
            lines += _wrap(f"NEVER APPLIES {rule} ({kind}): {text}", "  ")
        elif verbose:
            where = "anywhere" if cells == [("*", "*")] else "on " + where_text(cells, f.abis, cfg_names)
            lines += _wrap(f"NOT APPLIED {rule} ({kind}) {where}: {text}", "  ")
        elif rule not in quiet.setdefault(cause, []):
            quiet[cause].append(rule)
    why = {"optional-missing": "optional members missing", "not-selected": "not selected by --abi/--config",
           "not-in-tree-config": "not selected by the tree's .config", "not-evaluated": "not evaluated"}
    for cause, rules in quiet.items():
        lines += _wrap(f"not applied ({why.get(cause, cause)}): {', '.join(rules)}", "  ")
    return lines


def _head(f, shared_legend, strict: bool = False) -> List[str]:
    d = f.discovery
    if d is None or d.path is not None:
        source = f" from {_short(d.path)}" if d is not None else ""
        what = f"{f.n_rules} rules{source} + static asserts"
        if f.n_elsewhere:
            what = f"{f.n_rules} rules{source} ({f.n_elsewhere} more for other headers) + static asserts"
    elif d.refused:
        what = "no rules read (a rules file was refused, below); static asserts only"
    else:
        what = f"{d.describe()}; static asserts only"
    status = "FAIL" if f.status(strict) == "fail" else "ok"
    lines = [f"{f.path}: {status}: {what}; {len(f.configs)} configs x {len(f.abis)} ABIs"]
    if d is not None:
        for refused, why in d.refused:
            lines.append(f"  REFUSED rules file {refused}: {why}; its rules were not applied "
                         f"(fix the permissions, or pass --rules)")
    names = tuple(c.name for c in f.configs)
    if shared_legend and names[:len(shared_legend)] == shared_legend:
        if len(names) > len(shared_legend):  # the configs only this file adds
            lines += _legend(f.configs, start=len(shared_legend))
    elif len(f.configs) > 1:
        lines += _legend(f.configs)
    return lines


def _short(path: str) -> str:
    import os

    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else path


def _legend(configs, start: int = 0) -> List[str]:
    """``configs: [1] default   [2] ...``, an entry never split (from the
    ``start``-th, for a file that adds configs to the shared ones)."""
    lines, line = [], "  configs:" if not start else "  and:"
    for i, c in list(enumerate(configs, 1))[start:]:
        item = f"[{i}] {c.name}"
        if len(line) + 3 + len(item) > WRAP and line.strip() not in ("configs:", "and:"):
            lines.append(line)
            line = "   "
        line += "   " + item if not line.endswith(":") else " " + item
    lines.append(line)
    return lines


def render_hook_failures(f) -> List[str]:
    """What the pre-commit hook says about a file's verdicts: its failures
    (each with its why), rules that never apply, a refused rules file;
    nothing when all is well."""
    cfg_names = [c.name for c in f.configs]
    lines = _failures(f, cfg_names)
    lines += [line for line in _not_applied(f, False) if "NEVER APPLIES" in line]
    if f.discovery is not None:
        for refused, why in f.discovery.refused:
            lines.append(f"  REFUSED rules file {refused}: {why}")
    if any("config [" in line or "configs [" in line for line in lines):
        lines += _legend(f.configs)
    return lines


def render_file(f, shared_legend=(), verbose: bool = False, strict: bool = False) -> str:
    cfg_names = [c.name for c in f.configs]
    lines = _head(f, shared_legend, strict)
    lines += _failures(f, cfg_names)
    if f.failed or verbose:
        lines += _table(f, cfg_names, grouped=not verbose)
    lines += _not_applied(f, verbose)
    lines += [f"  note: {n}" for n in f.notes]
    counts = _counts(f.results)
    lines.append(f"  {len(f.results)} verdicts: {counts[0]} pass, {counts[1]} not applied, {counts[2]} fail")
    return "\n".join(lines)


def _counts(results) -> Tuple[int, int, int]:
    return (sum(1 for r in results if r.passed), sum(1 for r in results if r.not_applied),
            sum(1 for r in results if r.failed))


def summary_lines(report, strict: bool = False) -> List[str]:
    """One line per file and a total: what the end of ``check`` says."""
    width = max((len(f.path) for f in report.files), default=0)
    lines = ["summary:"]
    failed_files = 0
    failing: Dict[str, None] = {}
    for f in report.files:
        rules = list(dict.fromkeys(r.rule for r in f.results if r.failed))
        never = [r.rule for r in f.results if r.cause == "never-selected"]
        refused = f.discovery is not None and f.discovery.refused
        if rules:
            failed_files += 1
            failing.update(dict.fromkeys(rules))
            for n in range(len(rules), 0, -1):  # as many names as fit on the line
                state = "FAIL  " + ", ".join(rules[:n]) + (f" and {len(rules) - n} more" if n < len(rules) else "")
                if width + 4 + len(state) <= WRAP or n == 1:
                    break
        elif never or refused:
            failed_files += 1
            state = "FAIL  " + ("rules never apply: " + ", ".join(never) if never else "rules file refused")
        elif f.status(strict) == "fail":
            failed_files += 1
            missing = list(dict.fromkeys(r.rule for r in f.results if r.not_applied))
            state = "FAIL  not applied (--strict): " + ", ".join(missing[:3]) + \
                (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        else:
            p, n, _ = _counts(f.results)
            state = f"ok    {p} pass" + (f", {n} not applied" if n else "")
        lines.append(f"  {f.path:<{width}}  {state}")
    total = len(report.files)
    text = f"{total} header{'s' if total != 1 else ''}: {total - failed_files} ok, {failed_files} failed"
    if failing:
        text += f"; rules failing: {', '.join(failing)}"
    lines += textwrap.wrap(text, WRAP, subsequent_indent="  ", break_on_hyphens=False)
    return lines


def render_text(report, verbose: bool = False, strict: bool = False) -> str:
    # the config list most files share is said once, at the top; a file
    # that adds configs to it names only those
    from collections import Counter

    counts = Counter(tuple(c.name for c in f.configs) for f in report.files)
    shared: tuple = ()
    if len(report.files) > 1 and counts:
        common, n = counts.most_common(1)[0]
        if n > 1 and len(common) > 1:
            shared = common
    texts = []
    if report.defines or report.undefs:
        given = " ".join([define_option(k, v) for k, v in report.defines.items()]
                         + [f"-U{u}" for u in report.undefs])
        texts.append(f"(every config also read with {given})")
    if shared:
        first = next(f for f in report.files if tuple(c.name for c in f.configs) == shared)
        texts.append("\n".join(line[2:] for line in _legend(first.configs)))
    texts += [render_file(f, shared, verbose, strict) for f in report.files]
    texts.append("\n".join(summary_lines(report, strict)))
    return "\n\n".join(texts) + "\n"


def render_json(report, failures_only: bool = False, strict: bool = False) -> str:
    return json.dumps(report.to_json(failures_only, strict), indent=1) + "\n"
