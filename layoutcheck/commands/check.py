"""``layoutcheck check``: every rule, on every ABI, in every config.

Each header is read under each config of its rules' matrix and laid out
for each ABI; every rule gives a verdict: pass, fail or not-applied.  Text
output: per file, a header line naming the rules file used (or why there
is none), a verdict table (ABIs down, configs across, failing rules per
cell), one ``FAIL`` sentence per distinct failure naming the members,
their offsets and the ABIs it holds on, and one ``NOT APPLIED`` line per
rule that compared nothing somewhere.  JSON: ``{"rules": [how each file's
rules were found], "results": [verdicts]}``.

Exit status 1 when a rule fails, when a rule can never apply (its
``abis``/``when`` select nothing in the whole matrix: a bug in the rules),
or when a rules file was found but refused (see ``rules.spec``: it may be
meant for this header, and its rules were not applied).  A rule that is
not applied because its ``optional`` members are missing (a header from
another era), or because ``--abi``/``--config`` narrowed the run, is
reported but does not change the status: the rules author or the user
declared it.  ``--strict`` makes every not-applied verdict exit 1.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..cli import add_source_options

    p.add_argument("paths", nargs="*", metavar="PATH", help="C header to check (default: the project's headers)")
    p.add_argument("--rules", metavar="FILE",
                   help="rules file (TOML); default: NAME.rules.toml beside the header, else "
                        "the nearest layoutcheck.toml in its directory or a parent")
    p.add_argument("--config", action="append", metavar="CONFIG",
                   help="check only this config: a name from the rules' matrix, or a "
                        "comma-separated macro list (NAME or NAME=VALUE); repeatable")
    add_source_options(p)
    p.add_argument("--strict", action="store_true",
                   help="exit 1 on any not-applied verdict too (a rule whose optional "
                        "members are all missing, or that --abi/--config deselected)")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="text: every file's verdict table (one row per ABI) and every "
                        "not-applied rule with its reason")
    p.add_argument("--failures-only", action="store_true",
                   help="json: only the verdicts that fail (or say a rule can never apply)")
    p.add_argument("--format", choices=["text", "json", "github", "sarif"], default="text",
                   help="text for people (default), json for scripts, github (workflow "
                        "annotations at the member's file:line), sarif (SARIF 2.1.0)")


def run(args) -> int:
    from ..cli import options_from
    from ..render import check as render
    from ..rules.checks import check_headers

    options = options_from(args)
    report = check_headers(options.headers_or(args.paths, "check"), options,
                           options.configs_or(args.config))
    if args.format in ("github", "sarif"):
        from ..render import ci

        findings = ci.check_findings(report, args.strict)
        out = ci.render_github(findings) if args.format == "github" else ci.render_sarif(findings, "check")
    elif args.format == "json":
        out = render.render_json(report, args.failures_only, args.strict)
    else:
        out = render.render_text(report, args.verbose, args.strict)
    sys.stdout.write(out)
    return report.exit_status(getattr(args, "strict", False))
