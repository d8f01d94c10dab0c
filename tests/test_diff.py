"""`layoutcheck diff`: proposals against v4.20 on every ABI and config."""

import json
import os
import subprocess

import pytest


from layoutcheck.abi import all_abis

from .conftest import CDEFS

PAGE = os.path.join(CDEFS, "page")
V420 = os.path.join(PAGE, "v4.20.h")
BITS64 = [a.name for a in all_abis() if a.bits == 64]
BITS32 = [a.name for a in all_abis() if a.bits == 32]


def page(name):
    return os.path.join(PAGE, name)


def diff_json(run_cli, *argv):
    code, out, err = run_cli("diff", *argv, "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)["changes"]


def test_gup_as_mapping_changes_nothing(run_cli):
    code, out, _ = run_cli("diff", V420, page("gup-as-mapping.h"))
    assert code == 0
    assert "no layout change on any ABI or config" in out
    assert "18 ABIs, 10 configs" in out


def test_dma_pinned_count_sizes(run_cli):
    code, changes = diff_json(run_cli, V420, page("dma-pinned-count.h"))
    assert code == 1
    sizes = [c for c in changes if c["kind"] == "size"]

    def where(before, after):
        out = set()
        for c in sizes:
            if (c["before"], c["after"]) == (before, after):
                out |= {(a, cfg) for a in c["abis"] for cfg in c["configs"]}
        return out

    memcg64 = where(64, 72)
    assert {a for a, _ in memcg64} == set(BITS64)
    assert {cfg for _, cfg in memcg64} == {"CONFIG_MEMCG", "CONFIG_MEMCG+ALLOC_SPLIT_PTLOCKS"}
    aligned64 = where(64, 80)
    assert {a for a, _ in aligned64} == set(BITS64)
    assert all("CONFIG_HAVE_ALIGNED_STRUCT_PAGE" in cfg for _, cfg in aligned64)
    memcg32 = where(36, 40)
    assert {a for a, _ in memcg32} == set(BITS32)
    assert {cfg for _, cfg in memcg32} == {"CONFIG_MEMCG", "CONFIG_MEMCG+ALLOC_SPLIT_PTLOCKS"}
    added = [c for c in changes if c["kind"] == "added"]
    assert {c["member"] for c in added} == {"_dma_pinned_count"}
    for c in changes:
        assert set(c) == {"struct", "abis", "configs", "kind", "member", "before", "after", "message"}


def test_zd_swap_moves_hmm_data_to_mapping(run_cli):
    code, changes = diff_json(run_cli, V420, page("zd-swap.h"))
    assert code == 1
    moves = [c for c in changes if c["kind"] == "overlap" and c["member"] == "hmm_data"]
    assert moves
    covered = set()
    for c in moves:
        assert c["before"][0] == "lru.prev" and c["after"][0] == "mapping"
        assert c["message"] == "hmm_data: was over lru.prev, now over mapping"
        covered |= set(c["abis"])
    assert covered == {a.name for a in all_abis()}
    rules = {c["member"] for c in changes if c["kind"] == "rule"}
    assert {"hmm-data-on-lru-prev", "zone-device-off-mapping-index-private"} <= rules
    assert "page-tail-bit" not in rules  # the flags keep bit 0 clear
    assert all(c["before"] in ("pass", "not-applied") for c in changes if c["kind"] == "rule")
    # v4.20 has no pin count, so that rule was not applied before; here the
    # count lands on the pad _zd_pad_1 moved up to free
    assert any(c["before"] == "not-applied" and c["after"] == "pass"
               and c["member"] == "pin-count-on-a-zone-device-pad"
               for c in changes if c["kind"] == "rule")


def test_text_shows_words_side_by_side(run_cli):
    code, out, _ = run_cli("diff", V420, page("zd-swap.h"), "--abi", "x86_64", "--config",
                           "CONFIG_MEMCG")
    assert code == 1
    assert "hmm_data: was over lru.prev, now over mapping  [x86_64]" in out
    assert "word by word (* = changed): old | new" in out
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(" *   24"))
    block = [lines[start]] + [ln for ln in lines[start + 1:start + 4] if ln.startswith(" " * 9)]
    left = " ".join(ln.split("|")[0] for ln in block)
    right = " ".join(ln.split("|")[1] for ln in block)
    assert "_zd_pad_1" in left and "hmm_data" not in left
    assert "hmm_data" in right and "_zd_pad_1" not in right


def test_markdown(run_cli):
    code, out, _ = run_cli("diff", V420, page("lru-dma-pinned.h"), "--abi", "x86_64,ppc",
                           "--format", "markdown")
    assert code == 1
    assert out.startswith("### layoutcheck diff")
    assert "| struct | change | where |" in out
    # measured on x86_64 and ppc, said once
    assert "| `struct page` | dma_pinned_flags added at offset 8/4 size 8/4 over lru.next " \
           "(values for: x86_64 / ppc) | both ABIs (x86_64 ppc), every config |" in out


def _git(cwd, *argv):
    subprocess.run(["git", *argv], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def _committed(repo, files: dict):
    """A new repository at ``repo`` whose first commit holds ``files``."""
    repo.mkdir()
    _git(repo, "init", "-q")
    for name, text in files.items():
        (repo / name).write_text(text)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    return repo


def test_git_revisions(run_cli, tmp_path):
    repo = tmp_path / "repo"
    (repo / "mm").mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / "mm" / "include").mkdir()
    (repo / "mm" / "include" / "prelude.h").write_text(open(page("include/prelude.h")).read())
    (repo / "mm" / "page.h").write_text(open(V420).read())
    (repo / "mm" / "layoutcheck.toml").write_text(open(os.path.join(PAGE, "layoutcheck.toml")).read())
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "v4.20")
    (repo / "mm" / "page.h").write_text(open(page("dma-pinned-count.h")).read())
    _git(repo, "commit", "-q", "-am", "add a field")
    (repo / "mm" / "page.h").write_text(open(page("zd-swap.h")).read())  # uncommitted
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        code, changes = diff_json(run_cli, "--git", "HEAD~1", "mm/page.h", "--abi", "x86_64",
                                  "--config", "CONFIG_MEMCG")
        assert code == 1
        kinds = {(c["kind"], c["member"]) for c in changes}
        assert ("overlap", "hmm_data") in kinds  # work tree (zd-swap) vs HEAD~1 (v4.20)
        code, changes = diff_json(run_cli, "HEAD~1:mm/page.h", "HEAD:mm/page.h", "--abi", "x86_64",
                                  "--config", "CONFIG_MEMCG")
        assert code == 1
        assert [(c["before"], c["after"]) for c in changes if c["kind"] == "size"] == [(64, 72)]
        code, out, err = run_cli("diff", "--git", "HEAD", "mm/page.h", "--abi", "x86_64")
        assert code == 1
        code, out, err = run_cli("diff", "HEAD~5:mm/page.h", "mm/page.h")
        assert code == 2
    finally:
        os.chdir(cwd)


def test_diff_errors(run_cli, tmp_path):
    code, _, err = run_cli("diff", V420)
    assert code == 2 and "OLD and NEW" in err
    code, _, err = run_cli("diff", V420, str(tmp_path / "nope.h"))
    assert code == 2 and "no such file" in err


def _rules(tmp_path, text: str) -> None:
    """A project's rules file beside the pair (the .git marks where the
    project ends)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "layoutcheck.toml").write_text(text)


def _pair(tmp_path, old: str, new: str):
    a, b = tmp_path / "old.h", tmp_path / "new.h"
    a.write_text(old)
    b.write_text(new)
    return a, b


def test_a_member_that_moves_and_changes_type_says_both(tmp_path, run_cli):
    a, b = _pair(tmp_path, "struct s { char c; int x; };\n", "struct s { int y; long x; };\n")
    code, out, _ = run_cli("diff", a, b, "--abi", "x86_64")
    assert code == 1
    assert "x moved: offset 4 -> 8; type int -> long, size 4 -> 8" in out


def test_a_bitfield_width_change_shows_its_bits(tmp_path, run_cli):
    a, b = _pair(tmp_path, "struct s { unsigned mode:3; unsigned f:6; };\n",
                 "struct s { unsigned mode:4; unsigned f:6; };\n")
    code, out, _ = run_cli("diff", a, b, "--abi", "x86_64,ppc")
    assert code == 1
    assert "mode: width 3 -> 4 bits, bits 07 -> 0f" in out  # little endian
    assert "mode: width 3 -> 4 bits, bits e0 -> f0" in out  # big endian
    assert "f moved: offset 0 bits f801 -> offset 0 bits f003" in out


def test_static_assert_regressions_are_reported(tmp_path, run_cli):
    a, b = _pair(tmp_path,
                 "struct s { long a; };\n_Static_assert(sizeof(struct s) == sizeof(long), \"one word\");\n",
                 "struct s { long a; int b; };\n_Static_assert(sizeof(struct s) == sizeof(long), \"one word\");\n")
    code, out, _ = run_cli("diff", a, b, "--abi", "x86_64,i386")
    assert code == 1
    assert "static assert 'one word': pass -> fail" in out
    assert "static asserts: 1, 1 changed" in out


def test_a_fixed_rule_says_it_passes_now(tmp_path, run_cli):
    _rules(tmp_path,
           'struct = "s"\n[[rule]]\nname = "s-8-bytes"\nkind = "size"\nexpect = 8\n'
           'why = "It must fit one word. More text."\n')
    a, b = _pair(tmp_path, "struct s { long a; int b; };\n", "struct s { long a; };\n")
    code, out, _ = run_cli("diff", a, b, "--abi", "x86_64")
    assert code == 1
    line = next(ln for ln in out.splitlines() if "rule s-8-bytes" in ln)
    assert "fail -> pass (before: " in line and "why" not in line
    assert "rules: 1 judged on both sides, 1 changed verdict" in out
    code, out, _ = run_cli("diff", b, a, "--abi", "x86_64")
    line = next(ln for ln in out.splitlines() if "rule s-8-bytes" in ln)
    assert "pass -> fail" in line and "why: It must fit one word." in line


def test_no_change_still_says_what_was_judged(tmp_path, run_cli):
    a, b = _pair(tmp_path, "struct s { long a; };\n", "struct s { long a; };\n")
    code, out, _ = run_cli("diff", a, b, "--abi", "x86_64")
    assert code == 0
    assert "no layout change on any ABI or config" in out
    assert "rules: 0 judged on both sides, none changed" in out


def test_the_library_diff_returns_plain_data(tmp_path):
    import json

    import layoutcheck as lc

    a, b = _pair(tmp_path, "struct s { char c; };\n", "struct s { int c; };\n")
    result = lc.diff(str(a), str(b), abis="x86_64")
    data = json.loads(json.dumps(result.to_json()))
    assert data["abis"] == ["x86_64"] and data["changes"]
    assert {c["kind"] for c in data["changes"]} >= {"size", "bits"}


def test_a_revision_is_read_as_git_holds_it(run_cli, tmp_path, monkeypatch):
    """The old side of --git is the blob git stores: a .gitattributes
    filter (whose smudge command the repository's config names) is not
    run, $Format:...$ (export-subst) is not expanded, and names git would
    quote (non-ASCII) are read."""
    repo = tmp_path / "repo"
    (repo / "inc").mkdir(parents=True)
    _git(repo, "init", "-q")
    marker = tmp_path / "smudged"
    _git(repo, "config", "filter.evil.smudge", f"sh -c 'touch {marker}; cat'")
    _git(repo, "config", "filter.evil.clean", "cat")
    (repo / ".gitattributes").write_text("*.h filter=evil\ns.h export-subst\n")
    (repo / "s.h").write_text("// $Format:%n#pragma pack(1)$\nstruct s { char c; int i; };\n")
    (repo / "inc" / "\u00e4.h").write_text("typedef long T;\n")
    (repo / "inc" / "h.h").write_text('#include "\u00e4.h"\nstruct t { T a; };\n')
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    monkeypatch.chdir(repo)
    code, out, err = run_cli("diff", "--git", "HEAD", "s.h", "--abi", "x86_64")
    assert code == 0, (out, err)
    code, out, err = run_cli("diff", "--git", "HEAD", "inc/h.h", "--abi", "x86_64")
    assert code == 0, (out, err)
    code, out, err = run_cli("diff", "HEAD:s.h", "s.h", "--abi", "x86_64")
    assert code == 0, (out, err)
    assert not marker.exists(), "a filter of the repository's config ran"
    code, out, err = run_cli("diff", "--git", "HEAD~9", "s.h", "--abi", "x86_64")
    assert code == 2 and "'HEAD~9' is no revision" in err, err


def test_revisions_are_told_apart_by_commit_and_read_once(run_cli, tmp_path, monkeypatch):
    """Two revisions whose names spell alike once '/' and '~' are folded
    (a/b and a_b) are two commits; one commit read for two headers is
    written once."""
    from layoutcheck.gitrev import Materializer

    repo = _committed(tmp_path / "repo", {"x.h": "struct s { char c; int i; };\n",
                                          "y.h": "struct t { char c; short i; };\n"})
    _git(repo, "branch", "a/b")
    (repo / "x.h").write_text("struct s { char c; long i; };\n")
    _git(repo, "commit", "-q", "-am", "two")
    _git(repo, "branch", "a_b")
    monkeypatch.chdir(repo)
    code, out, err = run_cli("diff", "a/b:x.h", "a_b:x.h", "--abi", "x86_64")
    assert code == 1 and "size 8 -> 16" in out, (out, err)
    with Materializer() as mat:
        first, _ = mat.resolve("HEAD:x.h")
        second, _ = mat.resolve("HEAD:y.h")
        assert os.path.dirname(first) == os.path.dirname(second)
        assert open(second).read() == "struct t { char c; short i; };\n"


def test_a_partial_clone_fetches_nothing_and_runs_no_configured_command(run_cli, tmp_path,
                                                                        monkeypatch):
    """In a partial clone a missing object would be fetched, running the
    transport the repository's config names (an upload-pack command here):
    layoutcheck forbids every transport, and says the object is missing."""
    server = _committed(tmp_path / "src", {"x.h": "struct s { char c; int i; };\n"})
    clone = tmp_path / "victim"
    (server / "x.h").write_text("struct s { char c; long i; };\n")
    _git(server, "commit", "-q", "-am", "two")
    _git(server, "config", "uploadpack.allowfilter", "true")
    _git(tmp_path, "clone", "-q", "--filter=blob:none", f"file://{server}", str(clone))
    marker = tmp_path / "ran"
    _git(clone, "config", "remote.origin.uploadpack", f"sh -c 'touch {marker}; exit 1' --")
    monkeypatch.chdir(clone)
    code, out, err = run_cli("diff", "HEAD~1:x.h", "x.h", "--abi", "x86_64")
    assert code == 2, (out, err)
    assert not marker.exists(), "a command from the repository's config ran"


def test_a_refused_rules_file_fails_diff_on_rules(run_cli, tmp_path, monkeypatch):
    """diff --fail-on rules judges no rule when the rules file is refused
    (writable by others): exit 1, as check, and the JSON says so."""
    repo = _committed(tmp_path / "repo", {
        "a.h": "struct s { long a; };\n",
        "layoutcheck.toml": 'struct = "s"\n[[rule]]\nname = "max"\nkind = "size"\nmax = 8\n'})
    monkeypatch.chdir(repo)
    code, out, err = run_cli("diff", "--git", "HEAD", "a.h", "--fail-on", "rules", "--abi", "x86_64")
    assert code == 0, (out, err)
    os.chmod(repo / "layoutcheck.toml", 0o666)
    code, out, err = run_cli("diff", "--git", "HEAD", "a.h", "--fail-on", "rules", "--abi", "x86_64",
                             "--format", "json")
    assert code == 1 and "no rule was judged" in err, (out, err)
    assert json.loads(out)["rules_refused"] is True


# From a review of the verdicts: each of these changes was said to be none.
def test_a_struct_known_only_by_a_typedef_is_diffed(tmp_path, run_cli):
    _rules(tmp_path, 'struct = "foo_t"\n[[rule]]\nname = "eight"\n'
                     'kind = "size"\nexpect = 8\n')
    a, b = _pair(tmp_path, "typedef struct { int a; int b; } foo_t;\n",
                 "typedef struct { int a; long b; } foo_t;\n")
    code, out, _ = run_cli("diff", a, b, "--abi", "x86_64", "--fail-on", "rules")
    assert code == 1
    assert "struct foo_t:" in out and "size 8 -> 16" in out and "b moved: offset 4 -> 8" in out
    assert "rule eight: pass -> fail" in out


def test_a_rule_naming_a_typedef_of_a_tagged_struct_is_judged(tmp_path, run_cli):
    _rules(tmp_path, 'struct = "s_t"\n[[rule]]\nname = "eight"\n'
                     'kind = "size"\nexpect = 8\n')
    a, b = _pair(tmp_path, "typedef struct s { int x; int y; } s_t;\n",
                 "typedef struct s { int x; long y; } s_t;\n")
    code, out, _ = run_cli("diff", a, b, "--abi", "x86_64", "--fail-on", "rules")
    assert code == 1 and "rule eight: pass -> fail" in out
    assert "rules: 1 judged on both sides, 1 changed verdict" in out


@pytest.mark.parametrize("new, message", [
    # the typedef's struct renamed, and the rule now broken
    ("typedef struct new_tag { int y; long x; } td_t;\n",
     "rule y-off: pass -> fail (y: offset is 0, below the minimum 4)"),
    # the struct gone: check stops at it
    ("struct other { int z; };\n", "rule y-off: pass -> fail (the new side has no td_t)"),
])
def test_a_rule_is_judged_on_its_struct_whatever_its_tag_on_each_side(tmp_path, run_cli, new,
                                                                        message):
    _rules(tmp_path, '[[rule]]\nname = "y-off"\nkind = "offset"\nstruct = "td_t"\n'
                     'member = "y"\nmin = 4\n')
    a, b = _pair(tmp_path, "typedef struct old_tag { long x; int y; } td_t;\n", new)
    code, out, _ = run_cli("diff", a, b, "--abi", "x86_64", "--fail-on", "rules")
    assert code == 1 and message in out, out
    assert "rules: 1 judged on both sides, 1 changed verdict" in out
    # the same struct under another tag, the rule kept: nothing to say of it
    c = tmp_path / "same.h"
    c.write_text("typedef struct renamed { long x; int y; } td_t;\n")
    code, out, _ = run_cli("diff", a, c, "--abi", "x86_64", "--fail-on", "rules")
    assert code == 0 and "rule y-off" not in out, out
    # failing before, and the struct gone: no regression
    d, gone = tmp_path / "failing.h", tmp_path / "gone.h"
    d.write_text("typedef struct old_tag { int y; long x; } td_t;\n")
    gone.write_text("struct other { int z; };\n")
    code, out, _ = run_cli("diff", d, gone, "--abi", "x86_64", "--fail-on", "rules")
    assert code == 0 and "rule y-off" not in out, out


def test_members_of_untagged_array_elements_are_diffed(tmp_path, run_cli):
    a, b = _pair(tmp_path, "struct outer { int n; struct { int a; short b; short c; } arr[2]; };\n",
                 "struct outer { int n; struct { short c; short b; int a; } arr[2]; };\n")
    code, out, _ = run_cli("diff", a, b, "--abi", "x86_64")
    assert code == 1
    assert "arr[] (each element): a moved: offset 0 -> 4" in out
    assert "arr[] (each element): c moved: offset 6 -> 0" in out


def test_static_asserts_with_one_message_are_each_judged(tmp_path, run_cli):
    asserts = ('_Static_assert(sizeof(struct a) == 4, "size check");\n'
               '_Static_assert(sizeof(struct b) == 4, "size check");\n')
    a, b = _pair(tmp_path, "struct a { int x; };\nstruct b { int y; };\n" + asserts,
                 "struct a { int x; };\nstruct b { int y; int z; };\n" + asserts)
    code, out, _ = run_cli("diff", a, b, "--abi", "x86_64", "--fail-on", "rules")
    assert code == 1
    assert "static assert 'size check (#2)': pass -> fail" in out
    assert "static asserts: 2, 1 changed" in out


def test_a_rules_when_sees_the_command_lines_macros(tmp_path, run_cli):
    _rules(tmp_path, 'struct = "s"\n[[rule]]\nname = "eight"\nkind = "size"\n'
                     'expect = 8\nwhen = { CONFIG_X = true }\n')
    a, b = _pair(tmp_path, "struct s { int x; int y; };\n", "struct s { int x; long y; };\n")
    code, out, _ = run_cli("diff", a, b, "--abi", "x86_64", "--fail-on", "rules", "-DCONFIG_X")
    assert code == 1 and "rule eight: pass -> fail" in out
    code, out, _ = run_cli("check", b, "--abi", "x86_64", "-DCONFIG_X")
    assert code == 1  # as check judges it


def test_a_rule_whose_struct_is_in_neither_header_is_not_counted_and_is_said(tmp_path, run_cli):
    _rules(tmp_path, '[[rule]]\nname = "ok"\nkind = "size"\nstruct = "s"\nmax = 8\n'
                     '[[rule]]\nname = "typo"\nkind = "size"\nstruct = "sss"\nmax = 8\n')
    a, b = _pair(tmp_path, "struct s { int x; };\n", "struct s { int x; int y; };\n")
    code, out, err = run_cli("diff", a, b, "--abi", "x86_64", "--fail-on", "rules")
    assert code == 0, (out, err)
    assert "rules: 1 judged on both sides" in out
    assert "not judged, their struct being in neither header: typo (sss)" in err


def test_an_abis_own_folder_in_the_repository_is_read_at_the_revision(run_cli, tmp_path, monkeypatch):
    """A header at a revision includes what its folders held then: the
    ABI's own folders (--abi-include) as much as the -I ones."""
    repo = tmp_path / "repo"
    (repo / "inc32").mkdir(parents=True)
    (repo / "inc32" / "t.h").write_text("typedef short T;\n")
    (repo / "h.h").write_text("#include <t.h>\nstruct s { char c; T t; };\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    (repo / "inc32" / "t.h").write_text("typedef long long T;\n")
    monkeypatch.chdir(repo)
    for flags in (["-I", "inc32"], ["--abi-include", "i386=inc32"]):
        code, out, err = run_cli("diff", "--git", "HEAD", "h.h", "--abi", "i386", *flags)
        assert code == 1 and "size 4 -> 12" in out, (flags, out, err)


def test_revisions_of_a_header_read_the_rules_given_for_it(run_cli, tmp_path, monkeypatch):
    """diff REV:path REV:path --rules FILE: a rule for the header
    ('headers', relative to FILE) judges both revisions' copies."""
    repo = tmp_path / "repo"
    (repo / "inc").mkdir(parents=True)
    (repo / "inc" / "p.h").write_text("struct page { unsigned long flags; void *mapping; };\n")
    (repo / "rules.toml").write_text('struct = "page"\n[[rule]]\nname = "two-words"\nkind = "size"\n'
                                     'expect = "2*word"\nheaders = ["inc/p.h"]\n')
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    (repo / "inc" / "p.h").write_text("struct page { unsigned long flags; void *mapping; long x; };\n")
    _git(repo, "commit", "-q", "-am", "two")
    monkeypatch.chdir(repo)
    code, out, err = run_cli("diff", "HEAD~1:inc/p.h", "HEAD:inc/p.h", "--abi", "x86_64",
                             "--rules", "rules.toml", "--fail-on", "rules")
    assert code == 1 and "two-words: pass -> fail" in out, (out, err)
    (repo / "rules.toml").write_text((repo / "rules.toml").read_text().replace("inc/p.h", "inc/q.h"))
    code, out, err = run_cli("diff", "HEAD~1:inc/p.h", "HEAD:inc/p.h", "--abi", "x86_64",
                             "--rules", "rules.toml")
    assert "rule two-words: headers = 'inc/q.h' names no file" in out + err, (out, err)


def test_leaves_are_the_members_no_other_member_lies_inside():
    # compare's leaves (what an added or moved member is said to overlap)
    # against their definition, on every struct page proposal and ABI,
    # and on paths where one name is the start of another's
    import glob

    import layoutcheck
    from layoutcheck.compare import _leaves

    checked = 0
    for path in sorted(glob.glob(os.path.join(PAGE, "*.h"))):
        prog = layoutcheck.load(path, abis=["all"])
        for abi in prog.abis:
            lay = prog.layout("page", abi)
            paths = [m.path for m in lay.members]
            want = [m for m in lay.members if not any(p.startswith(m.path + ".") for p in paths)]
            assert [m.path for m in _leaves(lay)] == [m.path for m in want]
            checked += 1
    assert checked == 9 * 18

    class Member:
        def __init__(self, path):
            self.path = path

    class Lay:
        members = [Member(p) for p in ("a", "ab", "a.b", "a.b.c", "ab.c", "abc", "x.y", "x")]

    assert [m.path for m in _leaves(Lay())] == ["a.b.c", "ab.c", "abc", "x.y"]
