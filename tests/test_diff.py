"""`layoutcheck diff`: proposals against v4.20 on every ABI and config."""

import json
import os
import subprocess


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
    assert {"hmm-data-on-lru-prev", "zone-device-off-mapping-index-private",
            "page-tail-bit"} <= rules
    assert all(c["before"] == "pass" and c["after"] == "fail" for c in changes if c["kind"] == "rule")


def test_text_shows_words_side_by_side(run_cli):
    code, out, _ = run_cli("diff", V420, page("zd-swap.h"), "--abi", "x86_64", "--config",
                           "CONFIG_MEMCG")
    assert code == 1
    assert "hmm_data: was over lru.prev, now over mapping  [x86_64 (CONFIG_MEMCG)]" in out
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
    assert "dma_pinned_flags added at offset 8 size 8 over lru.next" in out


def _git(cwd, *argv):
    subprocess.run(["git", *argv], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def test_git_revisions(run_cli, tmp_path):
    repo = tmp_path / "repo"
    (repo / "mm").mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / "mm" / "prelude.h").write_text(open(page("prelude.h")).read())
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
