"""``layoutcheck hook``: the pre-commit hook (``.pre-commit-hooks.yaml``).

pre-commit runs it with the headers being committed.  With a project file
(``layoutcheck.toml`` ``[project]``, see ``project.py``) the project's
headers are checked whenever one of the committed files is a header (an
included header can move a struct of another), and a committed header
outside that list that has a NAME.rules.toml of its own, read with it;
without one, the headers given.  For each header:

* the rules and the header's own ``_Static_assert``s (as ``check``): a
  failure refuses the commit (a committed rules file brings in the headers
  it is the rules of; a committed NAME.rules.toml with no NAME.h beside it
  refuses it too: its rules would apply to nothing);
* the layout diff against the baseline revision (the project's
  ``baseline``, ``--baseline``, default HEAD), when the header is there:
  what moved, on which groups of ABIs, which rule broke and why.  A header
  whose layouts did not change is not mentioned.  Layout changes alone
  refuse the commit only with ``fail_on = "changes"`` (``--fail-on``).

A header, rules or project file the check read that is changed and not
staged, or not in the index (and not ignored), refuses the commit: the
hook reads the working tree, and the commit is the index (pre-commit
stashes unstaged changes before it runs).

Exit status: 0 to let the commit through, 1 to refuse it, 2 when a header
cannot be read.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from typing import List, Optional

from ..errors import LayoutError

HEADER_SUFFIXES = (".h", ".hh", ".hpp", ".hxx")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..cli import add_source_options

    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files being committed (pre-commit passes them); headers among them "
                        "are checked (with a project file: the project's headers)")
    p.add_argument("--baseline", metavar="REV",
                   help="revision to compare with (default: the project's baseline, else HEAD)")
    p.add_argument("--fail-on", choices=["rules", "changes"], default=None,
                   help="refuse the commit on a failing rule or static assert (rules, the "
                        "default), or on any layout change too (changes)")
    p.add_argument("--rules", metavar="FILE", help="rules file (default: found per header)")
    add_source_options(p)


def _is_settings(path: str) -> bool:
    """A rules or project file: changing it changes verdicts."""
    name = os.path.basename(path)
    return name in ("layoutcheck.toml", "pyproject.toml") or name.endswith(".rules.toml")


# Headers looked at below a committed layoutcheck.toml at most: beyond, a
# project file says which headers the hook checks.
MAX_GOVERNED_SCAN = 5000


def _headers_below(folder: str) -> List[str]:
    """The headers in ``folder`` and its subfolders (not hidden ones)."""
    found: List[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(root, f) for f in sorted(files) if f.endswith(HEADER_SUFFIXES)]
        if len(found) > MAX_GOVERNED_SCAN:
            raise LayoutError(f"{folder}: more than {MAX_GOVERNED_SCAN} headers below a committed "
                              f"rules file; give the hook a project file ([project] headers)")
    return found


def _governed(settings: List[str]) -> List[str]:
    """The headers whose rules a committed rules file is, found as the
    rules search finds them: ``name.rules.toml`` is its ``name.h`` (or
    .hh ...); a ``layoutcheck.toml`` or ``pyproject.toml`` is the rules of
    each header at or below it that has no nearer rules."""
    out: List[str] = []
    for path in settings:
        folder = os.path.dirname(path) or "."
        name = os.path.basename(path)
        if name.endswith(".rules.toml"):
            stem = name[:-len(".rules.toml")]
            candidates = [os.path.join(folder, stem + s) for s in HEADER_SUFFIXES]
        else:
            candidates = _headers_below(folder)
        for header in candidates:
            if not os.path.isfile(header):
                continue
            rules_file = _rules_file(header)
            if rules_file is not None and os.path.exists(path) \
                    and os.path.samefile(rules_file, path):
                out.append(header)
    return out


def _orphan_rules(settings: List[str]) -> List[str]:
    """The committed NAME.rules.toml files with no NAME.h (or .hh ...)
    beside them: rules that would apply to nothing, silently."""
    out = []
    for path in settings:
        name = os.path.basename(path)
        if name.endswith(".rules.toml") and os.path.isfile(path):
            stem = os.path.join(os.path.dirname(path), name[:-len(".rules.toml")])
            if not any(os.path.isfile(stem + suffix) for suffix in HEADER_SUFFIXES):
                out.append(path)
    return out


def _rules_file(header: str) -> Optional[str]:
    """The rules file the rules search finds for ``header`` (read, or
    refused), or None."""
    from ..rules.spec import discover_rules

    found = discover_rules(header)
    return found.path or next((p for p, _why in found.refused), None)


def _own_rules(header: str) -> bool:
    """Whether ``header`` has rules of its own: a NAME.rules.toml beside
    it (a layoutcheck.toml is the rules of every header below it)."""
    rules_file = _rules_file(header)
    return rules_file is not None and os.path.basename(rules_file).endswith(".rules.toml")


def run(args) -> int:
    from ..cli import options_from
    from ..compare import diff_headers
    from ..gitrev import in_revision
    from ..render.check import render_hook_failures
    from ..render.diff import summary_lines
    from ..rules.checks import check_headers

    options = options_from(args)
    project = options.project
    given = [p for p in args.paths if p.endswith(HEADER_SUFFIXES)]
    settings = [p for p in args.paths if _is_settings(p)]
    own: List[str] = []  # headers outside the project's list, read with their own rules
    if project is not None and project.headers:
        # every header of the project: an included header, or the rules,
        # can move or judge another's structs
        headers = options.headers_or([], "hook") if (given or settings or not args.paths) else []
        # a header outside the project's list with rules of its own (its
        # NAME.rules.toml), committed or brought in by its committed rules
        # file, is checked too, by those rules: they are never passed over
        seen = {os.path.realpath(h) for h in headers}
        for h in given + _governed(settings):
            if os.path.realpath(h) not in seen and _own_rules(h):
                seen.add(os.path.realpath(h))
                own.append(h)
    else:
        # a committed rules file re-judges the headers it governs
        headers = list(dict.fromkeys(given + _governed(settings)))
    orphans = _orphan_rules(settings)
    for path in orphans:
        stem = os.path.basename(path)[:-len(".rules.toml")]
        print(f"layoutcheck: {path}: FAIL: no {stem}.h beside it (nor {stem}.hh, .hpp, .hxx): "
              f"its rules apply to no header (rename it with its header, or delete it)")
    if not headers and not own:
        if orphans:
            print("layoutcheck: commit refused", file=sys.stderr)
            return 1
        return 0
    mode = args.fail_on or (project.fail_on_hook if project is not None else "rules")
    baseline = args.baseline or (project.baseline if project is not None else "HEAD")
    structs, configs = options.structs_or(None), options.configs_or(None)
    report = check_headers(headers, options, configs)
    read_with = [(f, options) for f in report.files]  # each file, and the options it was read with
    if own:
        from ..plain import replace

        own_options = replace(options, rules=None)  # each header's rules found beside it
        more = check_headers(own, own_options, configs).files
        report.files += more
        read_with += [(f, own_options) for f in more]
    # git runs a hook on the working tree, and the commit is the index: a
    # header, rules or project file read here that is changed and not
    # staged, or not in the index, was judged in place of what is committed
    # (pre-commit stashes unstaged changes before it runs a hook)
    used = [f for v, _o in read_with for f in v.read] + headers + own
    used += [v.discovery.path for v, _o in read_with
             if v.discovery is not None and v.discovery.path is not None]
    if project is not None:
        used.append(project.path)
    from ..gitrev import unstaged

    left_out = unstaged((headers + own)[0], used)
    if left_out:
        shown = ", ".join(left_out[:5]) + (f" and {len(left_out) - 5} more" if len(left_out) > 5 else "")
        print(f"layoutcheck: {shown}: read by the check, and changed and not staged, or not "
              f"added: the hook reads the working tree, so it would judge these, not the commit; "
              f"stage them (git add) or set them aside (git stash --keep-index --include-untracked)",
              file=sys.stderr)
        print("layoutcheck: commit refused", file=sys.stderr)
        return 1
    status = 1 if orphans else report.exit_status()
    for f, file_options in read_with:
        lines = render_hook_failures(f)
        changes: List[str] = []
        notes: List[str] = []
        if in_revision(f.path, baseline):
            try:
                result = diff_headers(f.path, None, file_options, structs, configs, git=baseline,
                                      structs_required=False)
            except LayoutError as exc:  # the old side may not read with today's options
                notes.append(f"  not compared with {baseline}: {exc}")
            else:
                changes = summary_lines(result, failures_said=True)
                if result.changed and mode == "changes":
                    status = 1
        if not lines and not changes and not notes:
            continue  # quiet: nothing failed, nothing moved
        verdict = "FAIL" if f.status() == "fail" else "ok"
        print(f"layoutcheck: {f.path}: {verdict}"
              + (f"; its layouts changed since {baseline}" if changes else ""))
        for line in lines + notes:
            print(line)
        if changes:
            print(f"  since {baseline}:")
            for line in changes:
                for part in textwrap.wrap(line, 92, initial_indent="    ", subsequent_indent="      ",
                                          break_on_hyphens=False):
                    print(part)
    if status:
        print("layoutcheck: commit refused (layoutcheck check shows every verdict; "
              "layoutcheck diff --git REV PATH every change)", file=sys.stderr)
    return status
