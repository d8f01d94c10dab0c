"""The ``layoutcheck`` command line.

Subcommands are registered in ``COMMANDS``; each lives in its own module and
is imported only when run, so ``layoutcheck --help`` stays fast.
Exit status: 0 success, 1 a check or comparison failed, 2 the input could
not be read, parsed or laid out (the message names file:line:column).
"""

from __future__ import annotations

import argparse
import sys
from typing import Dict, List, Optional

EPILOG = """\
ABIs: x86_64 i386 x32 aarch64 arm ppc ppc64 ppc64le s390x mips mipsel
mips64el riscv64 sparc64 m68k hppa sh4 alpha, 'all' for every one,
'host' for the running Python's.

exit status: 0 success, 1 failure found (verify/check/diff),
2 the input could not be read, parsed or laid out."""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def add_source_options(p: argparse.ArgumentParser, abi_default: str = "host") -> None:
    """Options shared by every command that reads C: -D/-U/-I/--abi/--cpp."""
    p.add_argument("--abi", action="append", metavar="NAME",
                   help="ABI to lay out for (repeatable; 'all', 'host', or a "
                        f"comma-separated list); default: {abi_default}")
    p.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME[=VALUE]",
                   help="define a macro, as cc -D")
    p.add_argument("-U", dest="undefs", action="append", default=[], metavar="NAME",
                   help="undefine a macro, as cc -U")
    p.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR",
                   help="add an include directory, as cc -I")
    p.add_argument("--pp-abi", metavar="NAME",
                   help="preprocess once, as for this ABI, and lay the result out for "
                        "every --abi (for headers that include one machine's system "
                        "headers); default: preprocess for each ABI")
    p.add_argument("--cpp", choices=["auto", "system", "python", "none"], default="auto",
                   help="preprocessor: the system cpp, pure-Python pcpp, or none "
                        "(default auto: none when the text has no directives, "
                        "else system cpp when installed, else pcpp)")


def make_program(path: str, args, abi_names: List[str], defines: Dict[str, str]):
    """A Program for a command's options.  Macros that follow the ABI
    (CONFIG_64BIT for the kernel) come from the header's rules file, so
    `show cdefs/page/v4.20.h --abi all` reads each ABI as the kernel would."""
    from .abi import resolve_abis
    from .api import Program
    from .rules import load_rules, load_rules_for

    rules_path = getattr(args, "rules", None)
    ruleset = load_rules(rules_path) if rules_path else load_rules_for(path)
    abi_defines = ruleset.defines_for_abis(resolve_abis(abi_names))
    return Program(path, abi_names, defines=defines, undefs=args.undefs,
                   include_dirs=args.include_dirs, cpp=args.cpp, pp_abi=args.pp_abi,
                   abi_defines=abi_defines)


def parse_defines(items: List[str]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not name or not name.replace("_", "a").isalnum() or name[0].isdigit():
            raise SystemExit(f"layoutcheck: bad macro name in -D{item}")
        out[name] = value if eq else "1"
    return out


def abis_from(args) -> List[str]:
    return args.abi or ["host"]


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="layoutcheck",
        description="Lay out C structs bit-exactly for every Linux ABI, and check "
                    "the rules a layout must keep.",
        epilog=EPILOG, formatter_class=_Formatter)
    from . import __version__

    parser.add_argument("--version", action="version", version=f"layoutcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, helptext) in COMMANDS.items():
        p = sub.add_parser(name, help=helptext, description=helptext,
                           formatter_class=_Formatter, epilog=EPILOG)
        mod = __import__(f"layoutcheck.commands.{module}", fromlist=["add_arguments"])
        mod.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


COMMANDS = {
    "show": ("show", "print the layout of structs and unions (text or JSON)"),
    "verify": ("verify", "compare the layouts with GCC (and cffi, clang) for each ABI"),
    "check": ("check", "check the rules found for each header on every ABI and config"),
    "diff": ("diff", "what a change to a header does to its layouts, on every ABI and config"),
}


def main(argv: Optional[List[str]] = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    mod = __import__(f"layoutcheck.commands.{args._module}", fromlist=["run"])
    from .errors import LayoutError

    try:
        return mod.run(args)
    except LayoutError as exc:
        print(f"layoutcheck: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover - `| head`
        return 0
    except KeyboardInterrupt:  # pragma: no cover
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
