"""One road from options to layouts: the library and every command agree."""

from __future__ import annotations

import json
import os

import pytest

import layoutcheck as lc
from layoutcheck.abi import get_abi

from .conftest import CDEFS, need_c_compiler, need_compiler

V420 = os.path.join(CDEFS, "page", "v4.20.h")


def test_diff_honours_defines(tmp_path, run_cli):
    a = tmp_path / "a.h"
    a.write_text("#ifdef FOO\nstruct s { long a; };\n#else\nstruct s { char a; };\n#endif\n")
    b = tmp_path / "b.h"
    b.write_text("struct s { char a; };\n")
    code, out, _ = run_cli("diff", a, b, "-DFOO", "--abi", "x86_64")
    assert code == 1
    assert "a: type long -> char, size 8 -> 1" in out
    code, out, _ = run_cli("diff", a, b, "--abi", "x86_64")
    assert code == 0 and "no layout change" in out


def test_library_and_cli_read_a_header_alike(run_cli):
    """`pages` is an int on 64-bit kernels (CONFIG_64BIT, from the rules
    file's abi_defines) whichever door the header comes in by."""
    lib = lc.load(V420, abis=["x86_64"]).layout("page", "x86_64").member("pages")
    code, out, _ = run_cli("show", V420, "--struct", "page", "--abi", "x86_64",
                           "--format", "json")
    assert code == 0
    (lay,) = json.loads(out)["layouts"]
    cli = next(m for m in lay["members"] if m["path"] == "pages")
    assert (lib.type, lib.size) == (cli["type"], cli["size"]) == ("int", 4)
    assert lc.layout(V420, "page", abi="x86_64").member("pages").size == 4
    # Without the rules file, the header reads as a 32-bit kernel's would.
    bare = lc.load(V420, abis=["x86_64"], rules=False).layout("page", "x86_64")
    assert bare.member("pages").size == 2


def test_abi_spellings_and_one_default():
    assert len(lc.load("struct s { int a; };", abis="all").abis) == 18
    assert len(lc.load("struct s { int a; };").abis) == 18  # the default: all
    assert [a.name for a in lc.load("struct s { int a; };", abis="x86_64,ppc").abis] == ["x86_64", "ppc"]
    assert lc.layout("struct s { long a; };", "s").abi == get_abi("host").name
    with pytest.raises(lc.LayoutError, match="one ABI"):
        lc.layout("struct s { long a; };", "s", abi="all")
    with pytest.raises(lc.LayoutError):
        lc.load("struct s { int a; };", abis="64-bit")


@pytest.mark.oracle
def test_verify_with_cffi_on_headers_that_collide_with_python_h(tmp_path, run_cli):
    need_c_compiler()
    need_compiler(get_abi("host"))
    header = tmp_path / "h.h"
    header.write_text("#include <stdint.h>\n#include <stddef.h>\n"
                      "struct stat { uint64_t dev; size_t n; };\n"
                      "struct q { uint8_t f : 3; int64_t v; };\n")
    code, out, err = run_cli("verify", header, "--abi", "host", "--no-clang")
    assert code == 0, out + err
    assert "0 mismatches" in out
    assert "apart from Python.h" in out


@pytest.mark.parametrize("value", ["0", "-5"])
def test_cacheline_option(value, run_cli):
    code, out, err = run_cli("show", V420, "--struct", "page", "--abi", "x86_64",
                             "--cacheline", value)
    if value == "0":
        assert code == 0 and "cacheline" not in out.split("/* size")[0]
    else:
        assert code == 2 and "--cacheline" in err


def test_verify_rejects_bad_jobs(run_cli):
    code, _out, err = run_cli("verify", V420, "--abi", "x86_64", "-j", "-1")
    assert code == 2 and "-j" in err
