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

exit status: 0 success, 1 a finding (verify, check, diff: a mismatch, a
failed rule, a change; bits: a budget that does not fit; place: no valid
placement; alias: a store that sets PageTail), 2 the input could not be
read, parsed or laid out (or layoutcheck failed: an internal error).

environment: LAYOUTCHECK_CACHE_DIR names the cache directory (default
$XDG_CACHE_HOME/layoutcheck, else ~/.cache/layoutcheck), or 'off'; see the
README's "The cache".
LAYOUTCHECK_JOBS=1 keeps check and show in one process (by default a
matrix of configs, or of headers or ABIs, is read on two cores)."""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


class _Parser(argparse.ArgumentParser):
    """Bad options are one line on stderr and exit status 2, as every
    other refused input is (argparse would print its usage first)."""

    def error(self, message: str):  # type: ignore[override]
        import re

        typo = re.match(r"argument COMMAND: invalid choice: '([^']*)'", message)
        if typo:
            import difflib

            close = difflib.get_close_matches(typo.group(1), list(COMMANDS), n=1)
            if close:
                message += f"; did you mean '{close[0]}'?"
        sys.stderr.write(f"layoutcheck: {self.prog.removeprefix('layoutcheck').strip() or 'options'}: "
                         f"{message} (see --help)\n")
        sys.exit(2)


def add_source_options(p: argparse.ArgumentParser) -> None:
    """Options shared by every command that reads C: -D/-U/-I/--abi/--kernel/--cpp."""
    p.add_argument("--abi", action="append", metavar="NAME",
                   help="ABI to lay out for (repeatable; 'all', 'host', or a "
                        "comma-separated list); default: all")
    p.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME[=VALUE]",
                   help="define a macro, as cc -D")
    p.add_argument("-U", dest="undefs", action="append", default=[], metavar="NAME",
                   help="undefine a macro, as cc -U")
    p.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR",
                   help="add an include directory, as cc -I")
    p.add_argument("--abi-include", dest="abi_includes", action="append", default=[],
                   metavar="ABI=DIR",
                   help="add an include directory for one ABI only, after the -I ones "
                        "(repeatable): Debian's cross headers for i386 and x32, which gcc "
                        "-m32 and -mx32 do not search (i386=/usr/i686-linux-gnu/include)")
    p.add_argument("--pp-abi", metavar="NAME",
                   help="preprocess once, as for this ABI, and lay the result out for "
                        "every --abi; refused unless the text provably comes out the "
                        "same for each (default: each ABI preprocessed as its GCC would, "
                        "sharing a text only where that is proved)")
    p.add_argument("--kernel", metavar="DIR",
                   help="read headers as this configured kernel tree's kbuild does (an "
                        "in-tree build, an O= build directory or a Debian linux-headers "
                        "directory): its include path, forced includes, .config and arch "
                        "flags, for its ABI (the default --abi); headers may be named as "
                        "included (linux/mm_types.h) or as paths in the tree")
    p.add_argument("--project", metavar="FILE",
                   help="project file to read settings from (a layoutcheck.toml with "
                        "[project], or a pyproject.toml with [tool.layoutcheck]), or 'off'; "
                        "default: the nearest one from the working directory up")
    p.add_argument("--cpp", choices=["auto", "system", "python", "none"], default=None,
                   help="preprocessor: system (each ABI's GCC, else the host cpp with "
                        "the ABI's macros), python (pcpp, no compiler needed) or none "
                        "(default auto: none when the text has no directives, else a "
                        "plain header is read in-process exactly as GCC would, else "
                        "system when a compiler is installed, else python)")


def options_from(args):
    """The command line's reading options, checked (see ``options``), with
    the project file's settings under them; made once per command (a
    refused project file is said once, on stderr)."""
    from .options import Options

    made = getattr(args, "_options", None)
    if made is None:
        project = getattr(args, "project", None)
        if project is not None and project.strip().lower() in ("off", "none"):
            project = False
        defines = parse_defines(args.defines)
        made = Options.make(args.abi, defines, args.undefs, args.include_dirs,
                            args.cpp, args.pp_abi, getattr(args, "rules", None),
                            getattr(args, "kernel", None), project,
                            abi_include_dirs=parse_abi_includes(args.abi_includes))
        for note in made.notes:
            print(f"layoutcheck: {note}", file=sys.stderr)
        args._options = made
    return made


def make_program(path: str, args, config=None):
    """The Program for one header under the command line's options (and a
    config of its rules matrix): the one road every command takes."""
    from .options import open_program

    return open_program(path, options_from(args), config=config, is_path=True)


def program_in_config(path: str, args, name: Optional[str]):
    """(Program, config) for one header in one config of its rules matrix
    (``name``, default: default); the Program's ``.ruleset`` is the
    header's rules."""
    from .options import open_program, ruleset_for, select_configs

    options = options_from(args)
    ruleset = ruleset_for(path, options)
    cfg = select_configs(ruleset, [name or "default"], path)[0]
    return open_program(path, options, config=cfg, ruleset=ruleset, is_path=True), cfg


def parse_defines(items: List[str]) -> Dict[str, str]:
    """-D NAME[=VALUE] items, each checked as every macro from any source is
    (a bad one is a LayoutError: exit 2)."""
    from .safety import check_macro

    out: Dict[str, str] = {}
    for item in items:
        name, eq, value = item.partition("=")
        checked, value = check_macro(name, value if eq else "1", f"-D{item}")
        out[checked] = value
    return out


def parse_abi_includes(items: List[str]) -> Dict[str, List[str]]:
    """--abi-include ABI=DIR items, as {ABI: [DIR, ...]} in their order
    (the ABI names and folders are checked by ``Options.make``)."""
    from .errors import LayoutError

    out: Dict[str, List[str]] = {}
    for item in items:
        name, eq, folder = item.partition("=")
        if not eq or not name or not folder:
            raise LayoutError(f"--abi-include {item}: give ABI=DIR, such as "
                              f"i386=/usr/i686-linux-gnu/include")
        out.setdefault(name, []).append(folder)
    return out


def _build_parser(argv: Optional[List[str]] = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the command it names gets its
    arguments (the others are listed for --help, not built)."""
    wanted = next((a for a in (argv or []) if not a.startswith("-")), None)
    if wanted not in COMMANDS:
        wanted = None
    parser = _Parser(
        prog="layoutcheck",
        description="Lay out C structs bit-exactly for every Linux ABI, and check "
                    "the rules a layout must keep.",
        epilog=EPILOG, formatter_class=_Formatter)
    from . import __version__

    parser.add_argument("--version", action="version", version=f"layoutcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, helptext) in COMMANDS.items():
        p = sub.add_parser(name, help=helptext, description=helptext,
                           formatter_class=_Formatter, epilog=EPILOG)
        if wanted is None or name == wanted:
            mod = __import__(f"layoutcheck.commands.{module}", fromlist=["add_arguments"])
            mod.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


COMMANDS = {
    "show": ("show", "print the layout of structs and unions (text or JSON)"),
    "verify": ("verify", "compare the layouts with GCC (and cffi, clang) for each ABI"),
    "check": ("check", "check the rules found for each header on every ABI and config"),
    "diff": ("diff", "what a change to a header does to its layouts, on every ABI and config"),
    "bits": ("bits", "the bit budget of page->flags: page flags, section/node/zone fields "
                     "and free bits, per ABI and config"),
    "place": ("place", "where a new member can go in a struct: every placement, judged by the "
                       "rules on every ABI and config"),
    "decode": ("decode", "read structs back from a memory dump: every member's value, and the "
                         "value rules (PageTail)"),
    "alias": ("alias", "what a store through one member does to the members of the other union "
                       "variants, per ABI (PageTail named)"),
    "hook": ("hook", "the pre-commit hook: rules, static asserts and the layout diff against "
                     "the baseline for the headers being committed"),
}


def main(argv: Optional[List[str]] = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = _build_parser(words)
    args, extra = parser.parse_known_args(argv)
    if extra:  # named after the command they were given to, or layoutcheck's own
        command = getattr(args, "command", None)
        at = words.index(command) if command in words else len(words)
        before = [w for w in extra if w in words[:at]]
        if before or not command:
            hint = f"; options of {command} go after it" if command else ""
            sys.stderr.write(f"layoutcheck: unrecognized arguments: {' '.join(before or extra)} "
                             f"(see layoutcheck --help{hint})\n")
        else:
            sys.stderr.write(f"layoutcheck: {command}: unrecognized arguments: {' '.join(extra)} "
                             f"(see layoutcheck {command} --help)\n")
        return 2
    if not getattr(args, "command", None):
        parser.print_help()
        print("layoutcheck: no command given (one of: " + ", ".join(COMMANDS) + ")", file=sys.stderr)
        return 2
    mod = __import__(f"layoutcheck.commands.{args._module}", fromlist=["run"])
    from .errors import LayoutError

    from . import workers

    limit = sys.getrecursionlimit()
    _deeper()
    try:
        return mod.run(args)
    except LayoutError as exc:
        # one line, whatever the input put in the message
        print(f"layoutcheck: {exc}".replace("\r", "\\r").replace("\n", "\\n"), file=sys.stderr)
        return 2
    except RecursionError:
        print(f"layoutcheck: the input is nested more deeply than layoutcheck can follow "
              f"(more than {RECURSION_LIMIT} Python frames)", file=sys.stderr)
        return 2
    except MemoryError:
        print("layoutcheck: out of memory (the input, or what it expands to, is too big)",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover - `| head`
        return 0
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    except Exception:  # a defect of layoutcheck's, never a finding (exit 1)
        import traceback

        traceback.print_exc()
        print("layoutcheck: internal error (the traceback above); nothing was judged",
              file=sys.stderr)
        return 2
    finally:
        workers.finish()  # what a child writes aside is there when the command returns
        sys.setrecursionlimit(limit)  # a caller's own limit, when main() is called in-process


# Nesting that GCC accepts (a struct or declarator some thousand levels
# deep) recurses a few frames per level in the parser and the engine: the
# interpreter's default limit of 1000 frames is raised for the command, with
# room on the C stack for the threads that read headers side by side.
RECURSION_LIMIT = 20000


def _deeper() -> None:
    import threading

    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)
    try:
        threading.stack_size(256 << 20)
    except (ValueError, RuntimeError):  # pragma: no cover - platform limits
        pass


def console_main() -> None:
    """The ``layoutcheck`` command: ``main``, then exit without tearing
    down the heap (a kernel tree's few million objects take 50 ms to free,
    for nothing: the process ends).  Output is flushed first."""
    import os

    from . import workers

    workers.enable()  # a matrix is read on two cores (workers.py)
    workers.keep_frozen()  # the process ends after the command: nothing need be collected
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # pragma: no cover - `| head`
        pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    console_main()
