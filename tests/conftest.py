"""Shared test helpers.

Oracle tests need the cross compilers of CONTRACT.md.  On a developer
machine without them they are skipped; where LAYOUTCHECK_REQUIRE_ORACLES=1
(CI sets it) a missing compiler fails the test instead: an oracle test
skipped in CI would prove nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from layoutcheck.abi import ABI, all_abis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CDEFS = os.path.join(ROOT, "cdefs")
DATA = os.path.join(ROOT, "tests", "data")


# The tests never touch the user's cache: each run has a cache directory of
# its own, empty at the start (so a header is first read cold, then, when a
# later test reads it again, from the cache: oracle tests check both).
_SESSION_CACHE = tempfile.mkdtemp(prefix="layoutcheck-test-cache-")
os.environ["LAYOUTCHECK_CACHE_DIR"] = _SESSION_CACHE


def pytest_unconfigure(config):
    shutil.rmtree(_SESSION_CACHE, ignore_errors=True)


def oracles_required() -> bool:
    return os.environ.get("LAYOUTCHECK_REQUIRE_ORACLES") == "1"


def need_compiler(abi: ABI) -> None:
    if shutil.which(abi.oracle[0]) is None:
        message = f"{abi.oracle[0]} not installed (apt-get install {abi.package})"
        if oracles_required():
            pytest.fail(message)
        pytest.skip(message)


def need_all_compilers() -> None:
    for abi in all_abis():
        need_compiler(abi)


def need_c_compiler() -> None:
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        if oracles_required():
            pytest.fail("no C compiler for the cffi oracle")
        pytest.skip("no C compiler")


@pytest.fixture
def run_cli(capsys):
    """Run the command line in-process; returns (exit status, stdout, stderr)."""
    from layoutcheck.cli import main

    def _run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


# Oracle tests add what they compared here; the totals are printed at the
# end of the run (CI's log shows how much was proved, not only that it passed).
ORACLE_COUNTS: dict = {}


def record(label: str, structs: int, items: int) -> None:
    s, i = ORACLE_COUNTS.get(label, (0, 0))
    ORACLE_COUNTS[label] = (s + structs, i + items)


def pytest_terminal_summary(terminalreporter):
    if not ORACLE_COUNTS:
        return
    terminalreporter.section("layoutcheck: structs laid out and items compared")
    total = 0
    for label, (structs, items) in ORACLE_COUNTS.items():
        terminalreporter.write_line(f"{label}: {structs} struct layouts, {items} items")
        if " vs " in label:
            total += items
    terminalreporter.write_line(f"total items compared with a compiler: {total}")
