"""``layoutcheck place``: every placement of a new member, judged by the
rules; what it calls valid passes ``check`` once emitted, and what it
rejects fails the rule it names there too."""

from __future__ import annotations

import os

import pytest

import layoutcheck as lc
from layoutcheck.errors import LayoutError
from layoutcheck.options import Options
from layoutcheck.place import emit, parse_member, place

from .conftest import CDEFS

PAGE = os.path.join(CDEFS, "page")
V420 = os.path.join(PAGE, "v4.20.h")
POLICY = ["no-growth-from-v4.20", "page-64-bytes"]


@pytest.fixture(scope="module")
def thread_count():
    return place(V420, "page", "atomic_t dma_pinned_count", Options.make(project=False))


@pytest.fixture(scope="module")
def final_field():
    return place(V420, "page", "atomic_t _dma_pinned_count", Options.make(project=False),
                 ignore=POLICY)


def test_no_placement_of_the_pin_count_keeps_every_rule(thread_count):
    """Hubbard, after the swaps: "HMM has done an efficient job of mopping
    up unused fields, and now we are completely out of space. ... it's time
    for a single, new field"."""
    assert not thread_count.valid()
    rejected = thread_count.rejected()
    assert len(rejected) >= 30
    no_growth = [j for j in rejected if j.max_growth == 0]
    assert no_growth and all(j.killed_by for j in rejected)
    kills = {j.killed_by[0] for j in no_growth}
    assert {"page-tail-bit", "dma-pin-state-off-hmm-page-fields"} <= kills
    # the cheapest are those that do not grow the struct
    assert rejected[0].max_growth == 0 and rejected[-1].max_growth > 0


def test_growing_placements_are_costed_by_abi(final_field):
    """The field Hubbard settled on, after _refcount, is valid once the
    growth policy is set aside; in the worst config (struct page aligned
    to two words) it costs two words: 16 bytes on x86_64, 8 on i386."""
    after_refcount = next(j for j in final_field.valid() if j.candidate.anchor == "_refcount")
    assert after_refcount.ok and after_refcount.max_growth == 16
    by_abi = after_refcount.to_json()["growth_bytes"]["by_abi"]
    assert by_abi["x86_64"] == 16 and by_abi["i386"] == 8
    assert "mem_cgroup" in after_refcount.displaced
    # sorted by cost: the ones that do not grow first
    costs = [j.cost() for j in final_field.valid()]
    assert costs == sorted(costs) and costs[0][0] == 0


def _check_failures(path, rules):
    report = lc.check(path, rules=rules)
    return {r.rule for r in report.results if r.status == "fail"}


def test_what_place_calls_valid_passes_check_when_emitted(final_field, tmp_path):
    rules = os.path.join(PAGE, "layoutcheck.toml")
    for j in final_field.valid():
        out = tmp_path / f"valid-{j.candidate.line}-{j.candidate.kind}.h"
        emit(final_field, j, str(out))
        failing = _check_failures(str(out), rules) - set(POLICY)
        assert not failing, (j.candidate.describe(), failing)


def test_what_place_rejects_fails_the_named_rule_in_check(thread_count, tmp_path):
    rules = os.path.join(PAGE, "layoutcheck.toml")
    ruled = [j for j in thread_count.rejected() if not j.killed_by[0].startswith("(")]
    assert len(ruled) >= 20
    for j in ruled[:12] + ruled[-3:]:
        out = tmp_path / f"rejected-{j.candidate.line}-{j.candidate.kind}.h"
        emit(thread_count, j, str(out))
        assert j.killed_by[0] in _check_failures(str(out), rules), j.candidate.describe()


def test_place_command_lists_and_emits(run_cli, tmp_path):
    out_h = tmp_path / "placed.h"
    code, out, err = run_cli("place", V420, "--member", "atomic_t _dma_pinned_count",
                             "--ignore-rule", "no-growth-from-v4.20", "--ignore-rule", "page-64-bytes",
                             "--config", "CONFIG_MEMCG", "--emit", out_h, "--show", "3")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("struct page in ") and "on 18 ABIs x 1 config" in lines[0]
    assert lines[1] == "not held to: no-growth-from-v4.20, page-64-bytes"
    # the thread's pin-count rule names dma_pinned_count, not this member: said
    assert lines[2] == ("applied to no placement (the members they name are absent): "
                        "pin-count-on-a-zone-device-pad")
    assert lines[3].startswith("valid (")
    assert "    1. overlaying _compound_pad_2 (line 73, as a union with it): no growth, moves nothing" in lines
    assert "wrote" in err and out_h.exists()
    text = out_h.read_text()
    assert "union { unsigned long _compound_pad_2; atomic_t _dma_pinned_count; };" in text
    assert '#include "' in text and "prelude.h" in text
    code, out, _ = run_cli("check", out_h, "--rules", os.path.join(PAGE, "layoutcheck.toml"),
                           "--config", "CONFIG_MEMCG")
    assert code == 0, out


def test_place_exits_1_when_nothing_fits(run_cli):
    code, out, _ = run_cli("place", V420, "--member", "atomic_t dma_pinned_count",
                           "--config", "CONFIG_MEMCG", "--show", "2")
    assert code == 1
    assert "valid: none. No placement keeps every rule on every ABI and config" in out
    assert "fails page-tail-bit on x86_64 in CONFIG_MEMCG" in out or "fails " in out


@pytest.mark.parametrize("text", ["int a; int b", "struct { int x; } y", "int x /* c */",
                                  "#define X", "static int x", "int"])
def test_a_member_that_is_not_one_plain_declaration_is_refused(text):
    with pytest.raises(LayoutError, match="--member"):
        parse_member(text)


def test_options_are_checked(run_cli):
    code, _, err = run_cli("place", V420, "--member", "int x", "--ignore-rule", "page-tail-bitt")
    assert code == 2 and "did you mean 'page-tail-bit'" in err
    code, _, err = run_cli("place", V420, "--member", "unsigned long flags")
    assert code == 2 and "already has a member flags" in err
    code, _, err = run_cli("place", V420, "--member", "int x", "--pick", "2")
    assert code == 2 and "--pick chooses what --emit writes" in err


def test_placements_inside_named_nested_structs(tmp_path, run_cli):
    header = tmp_path / "nn.h"
    header.write_text("struct inner { int q; };\nstruct s {\n\tlong a;\n\tstruct { int b; int c; } named;\n"
                      "\tunion { struct { int d; } nd; long e; } un;\n\tstruct inner in;\n};\n")
    code, out, err = run_cli("place", header, "--member", "int x", "--struct", "s", "--abi", "x86_64",
                             "--show", "0")
    assert code == 0, err
    assert "    1. after un.nd.d (line 5): no growth, moves nothing" in out
    assert "after named.c (line 4): grows +8 on x86_64" in out
    assert "in.q" not in out  # struct inner is every user's type: not patched


@pytest.mark.parametrize("member, message", [
    ("int MAGIC", "--member 'int MAGIC': <declaration>:"),
    ("int return", "'return' is a C keyword"),
    ("void x", "member 'x' has void type"),
    ("struct nosuch x", "incomplete type 'struct nosuch'"),
])
def test_a_bad_declaration_is_one_error(tmp_path, run_cli, member, message):
    header = tmp_path / "n.h"
    header.write_text("#define MAGIC 1\nstruct s { long a; char _pad[4]; };\n")
    code, _, err = run_cli("place", header, "--member", member, "--struct", "s", "--abi", "x86_64")
    assert code == 2 and message in err


def test_what_place_refuses_to_patch(tmp_path, run_cli):
    header = tmp_path / "ln.h"
    header.write_text("struct s {\n long a;\n#line 1\n long b;\n char _pad[8];\n};\n")
    code, _, err = run_cli("place", header, "--member", "int x", "--struct", "s")
    assert code == 2 and "#line directives renumber its lines" in err
    code, _, err = run_cli("place", os.path.join(CDEFS, "page-flags", "pg-dma-pinned.h"),
                           "--member", "int x", "--config", "default", "--abi", "x86_64")
    assert code == 2 and "no member of page is declared in this header's text" in err
    ok = tmp_path / "ok.h"
    ok.write_text("struct s {\r\n\tlong a;\r\n\tchar _pad[4];\r\n};\r\n")
    for argv, message in ((["--emit", ok], "that is the header itself"),
                          (["--emit", tmp_path / "x" / "y.h"], "No such file or directory"),
                          (["--emit", tmp_path], "Is a directory"),
                          (["--emit", tmp_path / "z.h", "--pick", "0"], "numbered 1 to")):
        code, _, err = run_cli("place", ok, "--member", "int x", "--struct", "s", "--abi", "x86_64",
                               *argv)
        assert code == 2 and message in err
    code, _, _ = run_cli("place", ok, "--member", "int x", "--struct", "s", "--abi", "x86_64",
                         "--emit", tmp_path / "z.h")
    assert code == 0
    written = (tmp_path / "z.h").read_bytes()  # line ends kept: a diff shows only the change
    assert written.count(b"\r\n") == written.count(b"\n") == 5 and b"int x;" in written


def test_a_placement_includes_what_its_header_includes(tmp_path):
    """Each placement is read as its header is: <only.h> along the search
    path (the ABI's own folder here), never from the header's folder,
    which GCC searches for "..." includes only; and no copy is left."""
    folder = tmp_path / "pl"
    (tmp_path / "o32").mkdir()
    folder.mkdir()
    (folder / "only.h").write_text("typedef long long T;\n")  # not what <only.h> means
    (tmp_path / "o32" / "only.h").write_text("typedef short T;\n")
    (folder / "h.h").write_text('#include <only.h>\n#include "near.h"\n'
                                "struct s {\n\tchar c;\n\tT t;\n\tN n;\n};\n")
    (folder / "near.h").write_text("typedef char N;\n")
    options = Options.make(abis="i386", abi_include_dirs={"i386": [str(tmp_path / "o32")]},
                           rules=False, project=False)
    base = lc.load(str(folder / "h.h"), abis="i386", rules=False,
                   abi_include_dirs={"i386": [str(tmp_path / "o32")]}).layout("s", "i386")
    assert base.size == 6
    report = place(str(folder / "h.h"), "s", "short x", options)
    growth = {j.candidate.anchor: j.max_growth for j in report.judged if j.candidate.kind == "after"}
    assert growth == {"c": 2, "t": 2, "n": 2}, growth
    assert sorted(os.listdir(folder)) == ["h.h", "near.h", "only.h"]


def _unwritable(monkeypatch, folder) -> None:
    """mkstemp in ``folder`` fails, as in a folder the user cannot write
    (chmod does not stop root, who runs CI)."""
    import layoutcheck.place as place_module

    real = place_module.tempfile.mkstemp

    def mkstemp(*args, **kw):
        if os.path.abspath(str(kw.get("dir"))) == os.path.abspath(str(folder)):
            raise PermissionError(13, "Permission denied")
        return real(*args, **kw)

    monkeypatch.setattr(place_module.tempfile, "mkstemp", mkstemp)


def test_a_folder_that_cannot_be_written_is_refused(tmp_path, monkeypatch):
    """No copy away from the header finds its includes as it does in every
    case ("../x.h" among them): where no copy can be written beside it,
    place says so, and leaves the folder as it was."""
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "h.h").write_text("struct s {\n\tchar c;\n\tint i;\n};\n")
    _unwritable(monkeypatch, folder)
    with pytest.raises(LayoutError) as err:
        place(str(folder / "h.h"), "s", "short x", Options.make(abis="x86_64", rules=False,
                                                                 project=False))
    assert "cannot be written" in str(err.value) and str(folder) in str(err.value)
    assert os.listdir(folder) == ["h.h"]


# Ways a header finds "near.h" beside it (and near.h finds more): each
# placement reads them as GCC reads the header.
SEARCHES = {
    "computed": '#define NEAR "near.h"\n/* x */ #include NEAR\n',
    "comment": '#/**/include "near.h"\n',
    "digraph": '%:include "near.h"\n',
    "has_include": '#if __has_include("near.h")\n#include "near.h"\n#endif\n',
    "next": '#include "next.h"\n',
    "parent": '#include "../common/near.h"\n',
}


@pytest.mark.parametrize("how", sorted(SEARCHES))
def test_placements_find_what_the_header_finds(tmp_path, how):
    folder = tmp_path / "pl"
    inc = tmp_path / "inc"
    for d in (folder, inc, tmp_path / "common", inc / "common"):
        d.mkdir()
    (folder / "near.h").write_text("typedef short T;\n")
    (tmp_path / "common" / "near.h").write_text("typedef short T;\n")
    for d in (inc, inc / "common"):
        (d / "near.h").write_text("typedef long long T;\n")
    # include_next from a file found beside the header goes on along -I
    (folder / "next.h").write_text("#ifndef NEXT_H\n#define NEXT_H\n#include_next \"next.h\"\n"
                                   "#ifndef T_DONE\ntypedef long long T;\n#endif\n#endif\n")
    (inc / "next.h").write_text("#define T_DONE\ntypedef short T;\n")
    (folder / "h.h").write_text(SEARCHES[how] + "struct s {\n\tchar c;\n\tT t;\n};\n")
    options = Options.make(abis="x86_64", include_dirs=[str(inc)], rules=False, project=False)
    base = lc.load(str(folder / "h.h"), abis="x86_64", rules=False,
                   include_dirs=[str(inc)]).layout("s", "x86_64")
    assert base.size == 4  # T is short, as GCC reads it
    report = place(str(folder / "h.h"), "s", "short x", options)
    growth = {j.candidate.anchor: j.max_growth for j in report.judged if j.candidate.kind == "after"}
    assert growth == {"c": 2, "t": 2}, growth
    assert sorted(os.listdir(folder)) == ["h.h", "near.h", "next.h"]
