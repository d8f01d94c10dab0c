"""``layoutcheck diff``: two versions of a header, every ABI and config at once.

OLD and NEW are files or git revisions (``REV:path``); ``--git REV PATH``
compares PATH at REV with the work tree.  Changes common to many ABI/config
pairs are said once, with where they hold.  Text shows the words of each
changed struct side by side (old | new), markdown is ready to paste into a
review, JSON is ``{"changes": [...]}``.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import LayoutError


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..cli import add_source_options

    p.add_argument("old", metavar="OLD", nargs="?",
                   help="old header: a path, or REV:path in git (default: each of the "
                        "project's headers at its baseline, against the work tree)")
    p.add_argument("new", metavar="NEW", nargs="?",
                   help="new header: a path or REV:path (with --git: omit, or the path)")
    p.add_argument("--git", metavar="REV",
                   help="compare OLD as it was at REV with OLD in the work tree")
    p.add_argument("--struct", action="append", metavar="NAME",
                   help="struct/union to compare (repeatable); default: every one")
    p.add_argument("--rules", metavar="FILE",
                   help="rules file: its config matrix and rules (default: found for NEW)")
    p.add_argument("--config", action="append", metavar="CONFIG",
                   help="only this config (a matrix name or a macro list); repeatable")
    p.add_argument("--fail-on", choices=["changes", "rules"], default=None,
                   help="exit 1 on any layout change (changes, the default), or only when a "
                        "rule or static assert goes from pass to fail (rules)")
    add_source_options(p)
    p.add_argument("--format", choices=["text", "json", "markdown", "github", "sarif", "html", "svg"],
                   default="text",
                   help="text (default), markdown for a review, json for scripts (with no OLD: "
                        "{\"diffs\": [one per header]}), github (workflow annotations), "
                        "sarif (SARIF 2.1.0), html or svg (old and new word grids side by side, "
                        "in the first config, for each struct that changed or fails a rule)")


def fail_on(options, given) -> str:
    if given:
        return given
    return options.project.fail_on_diff if options.project is not None else "changes"


def run(args) -> int:
    from ..cli import options_from
    from ..compare import diff_headers
    from ..gitrev import in_revision

    options = options_from(args)
    structs, configs = options.structs_or(args.struct), options.configs_or(args.config)
    if args.old is None:
        # each of the project's headers at its baseline, against the work tree
        baseline = args.git or (options.project.baseline if options.project is not None else None)
        pairs = [(path, None, baseline) for path in options.headers_or([], "diff")]
    elif args.git:
        if args.new is not None and args.new != args.old:
            raise LayoutError("with --git REV give one path (compared at REV and in the work tree)")
        pairs = [(args.old, None, args.git)]
    else:
        if args.new is None:
            raise LayoutError("diff needs OLD and NEW (or --git REV PATH)")
        pairs = [(args.old, args.new, None)]
    mode = fail_on(options, args.fail_on)
    status = 0
    results = []
    for old, new, rev in pairs:
        if rev is not None and args.old is None and not in_revision(old, rev):
            print(f"layoutcheck: {old}: not in {rev} (new since the baseline): not compared",
                  file=sys.stderr)
            continue
        result = diff_headers(old, new, options, structs, configs, git=rev,
                              structs_required=bool(args.struct))
        for note in result.notes:
            print(f"layoutcheck: {note}", file=sys.stderr)
        results.append(result)
        if result.regressed if mode == "rules" else result.changed:
            status = 1
        if mode == "rules" and result.rules_refused:
            # no rule was judged: as check, a refused rules file fails
            print(f"layoutcheck: {result.new}: its rules file was refused, so no rule was judged",
                  file=sys.stderr)
            status = 1
    if args.format in ("html", "svg"):
        if len(pairs) != 1 or pairs[0][1] is None or pairs[0][2] is not None:
            raise LayoutError(f"--format {args.format}: give OLD and NEW as paths")
        sys.stdout.write(_picture(pairs[0][0], pairs[0][1], options, structs, configs, args.format))
        return status
    sys.stdout.write(render_all(results, args.format, several=args.old is None))
    return status


def _picture(old: str, new: str, options, structs, configs, fmt: str) -> str:
    """Old and new side by side as word grids, in the first config, per
    group of ABIs that answer alike; moved or resized members and members
    of rules failing on the new side highlighted."""
    from ..image import tail_words
    from ..rules.checks import check_headers
    from ..options import open_program, ruleset_for, select_configs
    from ..render import grid

    ruleset = ruleset_for(new, options)
    cfg = select_configs(ruleset, configs, new)[0]
    progs = [open_program(p, options, config=cfg, ruleset=ruleset_for(p, options), is_path=True)
             for p in (old, new)]
    names = structs or [r.tag for r in progs[1].records() if r.tag]
    failing = {}
    report = check_headers([new], options, [cfg.name])
    for r in report.results:
        if r.status == "fail":
            failing.setdefault(r.abi, set()).update(r.members)
    pairs = {}
    for name in names:
        for abi in progs[1].abis:
            try:
                a, b = progs[0].layout(name, abi), progs[1].layout(name, abi)
            except LayoutError:
                continue
            old_at = {m.path: (m.bit_offset, m.bit_size) for m in a.members}
            new_at = {m.path: (m.bit_offset, m.bit_size) for m in b.members}
            changed = sorted(p for p in set(old_at) | set(new_at) if old_at.get(p) != new_at.get(p))
            flagged = sorted(f for f in failing.get(abi.name, ()) if b.get(f) is not None)
            if not changed and not flagged:
                continue  # drawn only where something changed or fails
            key = tuple(grid.group_key(x) for x in (a, b)) + (tuple(flagged),)
            if key not in pairs:
                pairs[key] = ([], a, b, changed, flagged)
            pairs[key][0].append(abi.name)
    words = tail_words(ruleset)
    render = grid.render_diff_html if fmt == "html" else grid.render_diff_svg
    return render(list(pairs.values()), f"layoutcheck diff {old} {new} ({cfg.name})",
                  tail_word=words[0][1] if words else None)


def render_all(results, fmt: str, several: bool) -> str:
    from ..render import diff as render

    if fmt in ("github", "sarif"):
        from ..render import ci

        findings = ci.diff_findings(results)
        return ci.render_github(findings) if fmt == "github" else ci.render_sarif(findings, "diff")
    if fmt == "json" and several:
        import json

        return json.dumps({"diffs": [r.to_json() for r in results]}, indent=1) + "\n"
    one = {"json": render.render_json, "markdown": render.render_markdown, "text": render.render_text}[fmt]
    return "".join(one(r) for r in results)
