"""Where users work: the project file, output for reviewers and for CI
systems, the pre-commit hook (run by the real pre-commit tool) and the
pytest plugin (run by pytester on a sample project)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import layoutcheck
from layoutcheck.abi import all_abis, get_abi, resolve_abis
from layoutcheck.errors import LayoutError
from layoutcheck.options import Options

from .conftest import CDEFS, ROOT, need_all_compilers, need_compiler

pytest_plugins = ["pytester"]

EXAMPLE = os.path.join(ROOT, "examples", "pre-commit")
PAGES = sorted(os.path.join("cdefs", "page", f) for f in os.listdir(os.path.join(CDEFS, "page"))
               if f.endswith(".h"))


def _run(*args, cwd=ROOT, env=None):
    return subprocess.run([sys.executable, "-m", "layoutcheck", *args], cwd=cwd, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, env=env, timeout=600)


# ---------------------------------------------------------- project file
def _project(tmp_path, body: str, name: str = "layoutcheck.toml"):
    (tmp_path / ".git").mkdir(exist_ok=True)  # the search stops at a repository top
    (tmp_path / name).write_text(textwrap.dedent(body))
    return tmp_path


def test_the_project_file_is_found_upwards_and_flags_override_it(tmp_path, monkeypatch):
    _project(tmp_path, """
        [project]
        headers = ["inc/*.h"]
        abis = ["arm64", "32bit"]
        defines = { N = 3 }
        include_dirs = ["inc"]
        structs = ["s"]
    """)
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "a.h").write_text("struct s { char c[N]; };\n")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "sub" / "deeper")
    opts = Options.make()
    assert opts.project is not None and opts.project.path == str(tmp_path / "layoutcheck.toml")
    assert opts.abis[0] == "aarch64" and "i386" in opts.abis and "x86_64" not in opts.abis
    assert dict(opts.defines) == {"N": "3"}
    assert opts.include_dirs == (str(tmp_path / "inc"),)
    assert opts.headers_or([], "check") == [str(tmp_path / "inc" / "a.h")]  # not under the cwd
    # the command line wins: --abi replaces, -D comes after the project's
    opts = Options.make(["x86_64"], {"N": "5"})
    assert opts.abis == ("x86_64",) and dict(opts.defines) == {"N": "5"}
    assert Options.make(project=False).project is None


def test_commands_read_the_project(tmp_path, monkeypatch):
    need_compiler(get_abi("x86_64"))
    _project(tmp_path, """
        [project]
        headers = ["a.h"]
        abis = ["x86_64"]
        defines = { N = 3 }
    """)
    (tmp_path / "a.h").write_text("struct s { int i; char c[N]; };\n")
    out = _run("show", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    (lay,) = json.loads(out.stdout)["layouts"]
    assert (lay["abi"], lay["size"], lay["defines"]) == ("x86_64", 8, {"N": "3"})
    out = _run("show", "--format", "json", "-DN=5", cwd=tmp_path)
    assert json.loads(out.stdout)["layouts"][0]["size"] == 12
    out = _run("show", "--project", "off", cwd=tmp_path)
    assert out.returncode == 2 and "no header given" in out.stderr


def test_a_pyproject_table_is_a_project(tmp_path, monkeypatch):
    _project(tmp_path, """
        [tool.layoutcheck]
        headers = ["x.h"]
        baseline = "main"
    """, name="pyproject.toml")
    monkeypatch.chdir(tmp_path)
    proj = Options.make().project
    assert proj is not None and proj.table == "[tool.layoutcheck]" and proj.baseline == "main"


@pytest.mark.parametrize("body, message", [
    ('[project]\nheader = ["a.h"]\n', "unknown key 'header' (did you mean 'headers'?)"),
    ('[project]\nabis = ["x86-46"]\n', "did you mean 'x86_64'?"),
    ('[project]\nfail_on = "rule"\n', "did you mean 'rules'?"),
    ('[project]\nbaseline = "--output=x"\n', "baseline"),
    ('[project]\ndefines = { "A B" = 1 }\n', "defines"),
    ("[project\n", "not valid TOML"),
])
def test_a_bad_project_file_is_a_clear_error(tmp_path, monkeypatch, body, message):
    _project(tmp_path, body)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LayoutError) as err:
        Options.make()
    assert message in str(err.value) and "layoutcheck.toml" in str(err.value)


def test_a_project_file_others_may_write_is_refused(tmp_path, monkeypatch):
    _project(tmp_path, '[project]\nabis = ["i386"]\n')
    os.chmod(tmp_path / "layoutcheck.toml", 0o666)
    monkeypatch.chdir(tmp_path)
    opts = Options.make()
    assert opts.project is None and opts.abis[0] == "x86_64"
    assert any("writable by others" in note for note in opts.notes)


# -------------------------------------------------------- names people type
@pytest.mark.parametrize("typed, meant", [
    ("amd64", "x86_64"), ("x86-64", "x86_64"), ("arm64", "aarch64"), ("armhf", "arm"),
    ("powerpc64le", "ppc64le"), ("ppc64el", "ppc64le"), ("i686", "i386"), ("powerpc", "ppc"),
    ("mips64r2el", "mips64el"), ("x86_64-linux-gnu", "x86_64"), ("AARCH64", "aarch64"),
])
def test_abi_aliases(typed, meant):
    assert get_abi(typed).name == meant


def test_abi_classes_and_suggestions():
    assert [a.name for a in resolve_abis(["64bit"])] == [a.name for a in all_abis() if a.bits == 64]
    assert {a.name for a in resolve_abis(["big"])} == {a.name for a in all_abis() if a.endian == "big"}
    with pytest.raises(LayoutError, match="did you mean 'aarch64'"):
        get_abi("aarhc64")


def test_did_you_mean_for_structs_members_and_configs():
    need_compiler(get_abi("x86_64"))
    page = os.path.join(CDEFS, "page", "v4.20.h")
    with pytest.raises(LayoutError, match="did you mean 'page'"):
        layoutcheck.layout(page, "pgae", "x86_64")
    lay = layoutcheck.layout(page, "page", "x86_64")
    with pytest.raises(KeyError, match="did you mean 'mapping'"):
        lay.member("maping")
    out = _run("check", page, "--abi", "x86_64", "--config", "CONFIG_MEMGC")
    assert out.returncode == 2 and "did you mean 'CONFIG_MEMCG'" in out.stderr


# ------------------------------------------------------------- check text
SUMMARY = """\
summary:
  cdefs/page/compound-pincount.h      ok    3996 pass, 1080 not applied
  cdefs/page/dma-pinned-count.h       FAIL  no-growth-from-v4.20, page-64-bytes
  cdefs/page/gup-as-mapping.h         ok    2988 pass, 360 not applied
  cdefs/page/hpage-pinned-refcount.h  FAIL  big-union-five-words and 2 more
  cdefs/page/lru-dma-pinned.h         FAIL  pin-count-on-a-zone-device-pad
  cdefs/page/one-field.h              FAIL  pin-count-on-a-zone-device-pad
  cdefs/page/v4.20.h                  ok    2988 pass, 360 not applied
  cdefs/page/zd-pad-first.h           FAIL  hmm-data-on-lru-prev and 1 more
  cdefs/page/zd-swap.h                FAIL  zd-pad-1-on-mapping and 2 more
9 headers: 3 ok, 6 failed; rules failing: no-growth-from-v4.20, page-64-bytes,
  big-union-five-words, freelist-double-word, pin-count-on-a-zone-device-pad,
  hmm-data-on-lru-prev, zone-device-off-mapping-index-private, zd-pad-1-on-mapping
"""


@pytest.fixture(scope="module")
def page_check():
    need_all_compilers()
    out = _run("check", *PAGES)
    assert out.returncode == 1, out.stderr
    return out.stdout


def test_check_ends_with_a_summary_per_file(page_check):
    assert page_check.endswith(SUMMARY)


def test_check_fits_a_screen_per_failing_proposal(page_check):
    blocks = page_check.split("\n\n")
    per_file = {b.split(":")[0]: b for b in blocks if b.startswith("cdefs/page/")}
    assert len(per_file) == 9
    for path, block in per_file.items():
        lines = block.splitlines()
        assert len(lines) <= 50, (path, len(lines))
        if ": ok:" in lines[0]:
            assert len(lines) <= 6, block  # passes are folded
    # one sentence for a failure on several ABI groups, with the rule's why
    swap = " ".join(per_file["cdefs/page/zd-swap.h"].split())
    assert swap.count("FAIL hmm-data-on-lru-prev") == 1
    assert "hmm_data (offset 24/12, size 8/4)" in swap and "(values for: 64-bit / 32-bit)" in swap
    assert 'why: Thread: Jerome Glisse, "hmm_data can only be in LRU.prev"' in swap
    # the config legend once, at the top, as the files share it; the file
    # with one more config names only that one
    assert page_check.startswith("configs: [1] default")
    assert page_check.count("[1] default") == 1
    assert "  and: [11] CONFIG_MEMCG+CONFIG_ARCH_DMA_ADDR_T_64BIT" in per_file["cdefs/page/hpage-pinned-refcount.h"]


def test_check_verbose_shows_every_abi_row():
    need_all_compilers()
    out = _run("check", os.path.join("cdefs", "page", "v4.20.h"), "--verbose")
    rows = [line for line in out.stdout.splitlines()
            if line.split() and line.split()[-1] in {a.name for a in all_abis()}
            and line.split()[0] in ("ok", "1F", "2F")]
    assert out.returncode == 0 and len(rows) == 18
    assert "NOT APPLIED pin-count-on-a-zone-device-pad" in out.stdout


def test_check_json_failures_only():
    need_all_compilers()
    full = json.loads(_run("check", os.path.join("cdefs", "page", "zd-swap.h"), "--format", "json").stdout)
    only = json.loads(_run("check", os.path.join("cdefs", "page", "zd-swap.h"), "--format", "json",
                           "--failures-only").stdout)
    assert only["results"] and all(r["status"] == "fail" for r in only["results"])
    assert len(only["results"]) == sum(1 for r in full["results"] if r["status"] == "fail")
    assert only["summary"] == full["summary"]
    assert only["summary"][0]["status"] == "fail" and "hmm-data-on-lru-prev" in only["summary"][0]["failed_rules"]
    assert all(r["why"].startswith("Thread: Jerome Glisse") for r in only["results"]
               if r["rule"] == "hmm-data-on-lru-prev")
    assert all(r["where"].startswith("cdefs/page/zd-swap.h:") for r in only["results"])


# ------------------------------------------------------------- show text
def test_show_names_groups_of_abis_and_prints_a_table():
    need_all_compilers()
    page = os.path.join("cdefs", "page", "v4.20.h")
    text = _run("show", page, "--struct", "page").stdout
    heads = [line for line in text.splitlines() if line.startswith("struct page {")]
    assert len(heads) == 5
    assert "x86_64 aarch64 ppc64le mips64el riscv64 alpha" in heads[0]
    named = " ".join(heads)
    assert all(a.name in named.split() for a in all_abis())
    table = _run("show", page, "--struct", "page", "--format", "table").stdout
    lines = table.splitlines()
    assert lines[0].split("|")[0].strip() == "struct page"
    assert [c.strip() for c in lines[0].split("|")[1:]] == ["A", "B", "C", "D", "E"]
    row = next(line for line in lines if line.startswith("pgmap "))
    assert [c.strip() for c in row.split("|")[1:]] == ["8/8", "4/4", "4/4", "8/8", "4/4"]
    assert any(line.strip().startswith("A: ") and "x86_64" in line for line in lines)


# ------------------------------------------------------------------- diff
def test_diff_fail_on_rules():
    need_all_compilers()
    old, new = os.path.join("cdefs", "page", "v4.20.h"), os.path.join("cdefs", "page", "compound-pincount.h")
    assert _run("diff", old, new).returncode == 1  # layouts change
    out = _run("diff", old, new, "--fail-on", "rules")
    assert out.returncode == 0, out.stdout  # but no rule breaks
    bad = os.path.join("cdefs", "page", "zd-swap.h")
    assert _run("diff", old, bad, "--fail-on", "rules").returncode == 1


# ----------------------------------------------------------- CI formats
def _sarif_validator():
    import jsonschema

    with open(os.path.join(ROOT, "tests", "data", "sarif-schema-2.1.0.json")) as fh:
        schema = json.load(fh)  # OASIS SARIF 2.1.0 (errata 01), sarif-2.1/schema/ of oasis-tcs/sarif-spec
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("args", [
    ("check", os.path.join("cdefs", "page", "lru-dma-pinned.h")),
    ("check", os.path.join("cdefs", "page", "v4.20.h")),
    ("diff", os.path.join("cdefs", "page", "v4.20.h"), os.path.join("cdefs", "page", "zd-swap.h")),
])
def test_sarif_is_valid(args):
    need_all_compilers()
    out = _run(*args, "--format", "sarif")
    log = json.loads(out.stdout)
    _sarif_validator().validate(log)
    results = log["runs"][0]["results"]
    if "lru-dma-pinned.h" in args[-1]:
        assert {r["ruleId"] for r in results} == {"pin-count-on-a-zone-device-pad"}
        rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
        assert rules["pin-count-on-a-zone-device-pad"]["fullDescription"]["text"].startswith("Thread: Dan")
        region = results[0]["locations"][0]["physicalLocation"]
        assert region["artifactLocation"]["uri"] == "cdefs/page/lru-dma-pinned.h"
        related = results[0]["relatedLocations"][0]["physicalLocation"]
        assert related["artifactLocation"]["uri"] == "cdefs/page/layoutcheck.toml"
    elif args[0] == "check":
        assert results == []
    else:
        assert any(r["ruleId"] == "hmm-data-on-lru-prev" and r["level"] == "error" for r in results)


def _line_of(path, needle):
    with open(os.path.join(ROOT, path)) as fh:
        for n, line in enumerate(fh, 1):
            if needle in line:
                return n
    raise AssertionError(needle)


def test_github_annotations_point_at_the_member_and_rule():
    need_all_compilers()
    path = os.path.join("cdefs", "page", "lru-dma-pinned.h")
    out = _run("check", path, "--format", "github").stdout.splitlines()
    assert len(out) == 1 and out[0].startswith("::error file=cdefs/page/lru-dma-pinned.h,")
    line = _line_of(path, "atomic_t      dma_pinned_count;")
    assert f"line={line}," in out[0] and "title=layoutcheck%3A pin-count-on-a-zone-device-pad::" in out[0]
    assert "dma_pinned_count" in out[0] and "hmm_data" in out[0]
    diff = _run("diff", os.path.join("cdefs", "page", "v4.20.h"), os.path.join("cdefs", "page", "zd-swap.h"),
                "--format", "github").stdout.splitlines()
    added = next(d for d in diff if "dma_pinned_count added" in d)
    assert f"line={_line_of(os.path.join('cdefs', 'page', 'zd-swap.h'), 'dma_pinned_count;')}," in added
    assert all("\n" not in d and d.startswith(("::warning ", "::error ")) for d in diff)


# ------------------------------------------------------------------- hook
def _example_repo(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True, env=env)
    return repo, env


def test_the_hook_refuses_what_it_read_that_the_commit_lacks(tmp_path):
    """A header the check read that is not in the index (not added, or
    removed with git rm --cached) refuses the commit; a rules or project
    file it did not read, changed and not staged, does not."""
    need_compiler(get_abi("x86_64"))
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, env=env)

    git("init", "-q", "-b", "main")
    (tmp_path / "h.h").write_text('#include "near.h"\nstruct s { T a; };\n')
    (tmp_path / "h.rules.toml").write_text('struct = "s"\n[[rule]]\nname = "small"\nkind = "size"\n'
                                           'max = 8\n')
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "o.h").write_text("struct o { int a; };\n")
    (tmp_path / "other" / "o.rules.toml").write_text('struct = "o"\n')
    (tmp_path / "other" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    git("add", "h.h", "h.rules.toml", "other")
    (tmp_path / "near.h").write_text("typedef int T;\n")  # not added
    out = _run("hook", "h.h", "--abi", "x86_64", cwd=tmp_path)
    assert out.returncode == 1 and "near.h: read by the check" in out.stderr, out
    git("add", "near.h")
    for name in ("o.rules.toml", "pyproject.toml"):
        with open(tmp_path / "other" / name, "a") as fh:
            fh.write("# work in progress\n")
    out = _run("hook", "h.h", "--abi", "x86_64", cwd=tmp_path)
    assert (out.returncode, out.stdout) == (0, ""), out
    with open(tmp_path / "h.rules.toml", "a") as fh:
        fh.write("# work in progress\n")
    out = _run("hook", "h.h", "--abi", "x86_64", cwd=tmp_path)
    assert out.returncode == 1 and "h.rules.toml: read by the check" in out.stderr, out
    git("add", "h.rules.toml")
    git("rm", "-q", "--cached", "near.h")
    out = _run("hook", "h.h", "--abi", "x86_64", cwd=tmp_path)
    assert out.returncode == 1 and "near.h: read by the check" in out.stderr, out


def _break_pgmap(repo):
    header = repo / "include" / "linux" / "mm_types.h"
    text = header.read_text()
    assert "struct dev_pagemap *pgmap;" in text
    header.write_text(text.replace("struct dev_pagemap *pgmap;", "unsigned long pgmap;"))


def test_hook_is_quiet_on_an_unchanged_header_and_refuses_a_broken_one(tmp_path):
    need_all_compilers()
    repo, env = _example_repo(tmp_path)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "v4.20"], cwd=repo, check=True, env=env)
    out = _run("hook", "include/linux/mm_types.h", cwd=repo)
    assert (out.returncode, out.stdout) == (0, "")
    # a header no checked header reads, changed and not staged: no matter
    (repo / "include" / "unread.h").write_text("struct unread { int a; };\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "unread"], cwd=repo, check=True, env=env)
    (repo / "include" / "unread.h").write_text("struct unread { long a; };\n")
    out = _run("hook", "include/linux/mm_types.h", cwd=repo)
    assert (out.returncode, out.stdout) == (0, ""), out
    _break_pgmap(repo)
    # not staged: git would commit the old header, and the hook (which
    # reads the working tree) says it cannot judge that
    out = _run("hook", "include/linux/mm_types.h", cwd=repo)
    assert out.returncode == 1 and out.stdout == "", out
    assert "include/linux/mm_types.h: read by the check, and changed and not staged" in out.stderr, \
        out.stderr
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    out = _run("hook", "include/linux/mm_types.h", cwd=repo)
    assert out.returncode == 1
    assert "FAIL page-tail-bit" in out.stdout and "shared with pgmap" in out.stdout
    assert "pgmap: type struct dev_pagemap * -> unsigned long" in out.stdout
    assert "why: Bit 0 of compound_head's word is PageTail()" in out.stdout
    assert "commit refused" in out.stderr
    # a file that is no header runs nothing
    assert _run("hook", "README", cwd=repo).returncode == 0


def test_hook_checks_a_committed_header_outside_the_project_list_that_has_its_own_rules(tmp_path):
    """The project lists mm_types.h; a header beside it with its own
    NAME.rules.toml, committed, was passed over without a word."""
    need_all_compilers()
    repo, env = _example_repo(tmp_path)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "v4.20"], cwd=repo, check=True, env=env)
    linux = repo / "include" / "linux"
    (linux / "foo.h").write_text("struct foo { char c; long v; };\n")
    (linux / "foo.rules.toml").write_text('[[rule]]\nname = "small"\nkind = "size"\n'
                                          'struct = "foo"\nmax = 8\n')
    (linux / "bar.h").write_text("struct bar { char c; long v; };\n")  # no rules of its own
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    for committed in (["include/linux/foo.h"], ["include/linux/foo.rules.toml"],
                      ["include/linux/foo.h", "include/linux/bar.h"]):
        out = _run("hook", *committed, cwd=repo)
        assert out.returncode == 1, (committed, out.stdout, out.stderr)
        assert "include/linux/foo.h: FAIL" in out.stdout and "FAIL small (size)" in out.stdout
        assert "bar.h" not in out.stdout
    (linux / "foo.rules.toml").write_text('[[rule]]\nname = "small"\nkind = "size"\n'
                                          'struct = "foo"\nmax = 16\n')
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    out = _run("hook", "include/linux/foo.h", "include/linux/bar.h", cwd=repo)
    assert (out.returncode, out.stdout) == (0, "")


def test_hook_refuses_a_rules_file_whose_header_is_gone(tmp_path):
    """A NAME.rules.toml committed with no NAME.h beside it (the header
    renamed, the rules left behind) would apply to nothing, silently."""
    repo, env = _example_repo(tmp_path)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "v4.20"], cwd=repo, check=True, env=env)
    linux = repo / "include" / "linux"
    (linux / "foo.rules.toml").write_text('[[rule]]\nname = "small"\nkind = "size"\n'
                                          'struct = "foo"\nmax = 8\n')
    out = _run("hook", "include/linux/foo.rules.toml", cwd=repo)
    assert out.returncode == 1, out.stdout
    assert "foo.rules.toml: FAIL: no foo.h beside it" in out.stdout
    assert "commit refused" in out.stderr
    (linux / "foo.hpp").write_text("struct foo { char c; };\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    out = _run("hook", "include/linux/foo.rules.toml", cwd=repo)
    assert (out.returncode, out.stdout) == (0, "")


def test_the_real_pre_commit_refuses_the_broken_commit(tmp_path):
    """examples/pre-commit as a new repository, the hook installed by the
    pre-commit tool from this checkout's .pre-commit-hooks.yaml."""
    need_all_compilers()
    import importlib.util

    if importlib.util.find_spec("pre_commit") is None:
        pytest.fail("pre-commit is not installed (pip install -e '.[test]')")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode != 0:
        pytest.fail("this checkout is not a git repository")
    hooks = subprocess.run(["git", "cat-file", "-e", f"{head.stdout.strip()}:.pre-commit-hooks.yaml"], cwd=ROOT)
    assert hooks.returncode == 0, "commit .pre-commit-hooks.yaml first"
    repo, env = _example_repo(tmp_path)
    (repo / ".pre-commit-config.yaml").write_text(textwrap.dedent(f"""\
        repos:
          - repo: {ROOT}
            rev: {head.stdout.strip()}
            hooks:
              - id: layoutcheck
        """))
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    pre_commit = [sys.executable, "-m", "pre_commit"]
    subprocess.run(pre_commit + ["install"], cwd=repo, check=True, env=env, capture_output=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    first = subprocess.run(["git", "commit", "-m", "struct page of v4.20"], cwd=repo, env=env,
                           capture_output=True, text=True, timeout=1200)
    said = first.stdout + first.stderr
    assert first.returncode == 0, said
    assert "layoutcheck (struct layouts on every ABI)" in said and "Passed" in said
    _break_pgmap(repo)
    second = subprocess.run(["git", "commit", "-am", "pgmap as a number"], cwd=repo, env=env,
                            capture_output=True, text=True, timeout=600)
    said = second.stdout + second.stderr
    assert second.returncode != 0, said
    assert "Failed" in said and "pgmap" in said and "page-tail-bit" in said and "PageTail" in said
    log = subprocess.run(["git", "log", "--oneline"], cwd=repo, capture_output=True, text=True, env=env)
    assert len(log.stdout.splitlines()) == 1  # the broken commit was not made


# ----------------------------------------------------------- pytest plugin
def test_the_pytest_plugin_on_a_sample_project(pytester):
    need_compiler(get_abi("x86_64"))
    pytester.makefile(".h", wire=textwrap.dedent("""\
        struct msg {
            unsigned short kind;
            unsigned int length;
            unsigned char body[8];
        };
        """))
    pytester.makepyfile(test_layouts=textwrap.dedent("""\
        from layoutcheck.pytest_plugin import assert_layout

        def test_msg_as_designed():
            assert_layout("wire.h", "msg", abi="x86_64", size=16, offsets={"length": 4, "body": 8})

        def test_msg_packed_as_the_peer_expects():
            assert_layout("wire.h", "msg", abi="x86_64", size=14, offsets={"length": 2, "bdy": 6})

        def test_project_fixture(layoutcheck_project):
            assert layoutcheck_project is None
        """))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*AssertionError: struct msg on x86_64 is not laid out as the test expects (- expected, + laid out):",
        "*- size 14", "*+ size 16",
        "*- length offset 2", "*+ length offset 4",
        "*- bdy offset 6", "*+ bdy offset (no such member (did you mean 'body'?))",
    ])


def test_the_plugin_says_what_a_change_moved(tmp_path):
    need_all_compilers()
    from layoutcheck.pytest_plugin import assert_no_layout_change, assert_rules_pass

    old, new = os.path.join(CDEFS, "page", "v4.20.h"), os.path.join(CDEFS, "page", "zd-swap.h")
    assert_no_layout_change(old, old)
    with pytest.raises(AssertionError) as err:
        assert_no_layout_change(old, new, abis=["x86_64", "i386"], configs=["default"])
    text = str(err.value)
    assert "- hmm_data: offset 16    [x86_64]\n+ hmm_data: offset 24\n" in text
    assert "- hmm_data: offset 8    [i386]\n+ hmm_data: offset 12\n" in text
    assert "+ dma_pinned_flags: unsigned long, offset 8, size 8    [x86_64]" in text
    assert "- hmm_data: over lru.prev, slab_list.prev, pages, pobjects and 6 more" in text
    assert_rules_pass(old, abis=["x86_64"], configs=["default"])
    with pytest.raises(AssertionError, match="FAIL hmm-data-on-lru-prev"):
        assert_rules_pass(new, abis=["x86_64"], configs=["default"])


# ------------------------------------------- found by an adversarial pass
def test_a_project_only_file_does_not_hide_the_rules_above(tmp_path, monkeypatch):
    need_compiler(get_abi("x86_64"))
    _project(tmp_path, 'struct = "s"\n[[rule]]\nname = "s-is-4"\nkind = "size"\nexpect = 4\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "s.h").write_text("struct s { long a; };\n")
    (tmp_path / "sub" / "layoutcheck.toml").write_text('[project]\nabis = ["x86_64"]\n')
    out = _run("check", "sub/s.h", cwd=tmp_path)
    assert out.returncode == 1 and "FAIL s-is-4" in out.stdout


def test_the_hook_refuses_globs_that_match_nothing_and_unknown_baselines(tmp_path):
    need_all_compilers()
    repo, env = _example_repo(tmp_path)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "v4.20"], cwd=repo, check=True, env=env)
    out = _run("hook", "--baseline", "HAED", "include/linux/mm_types.h", cwd=repo)
    assert out.returncode == 2 and "not a revision" in out.stderr
    toml = repo / "layoutcheck.toml"
    toml.write_text(toml.read_text().replace('headers = ["include/linux/mm_types.h"]',
                                             'headers = ["include/*.h"]'))
    out = _run("hook", "include/linux/mm_types.h", cwd=repo)
    assert out.returncode == 2 and "match no file" in out.stderr
    # a change to the rules file alone is checked too
    toml.write_text(toml.read_text().replace('headers = ["include/*.h"]',
                                             'headers = ["include/linux/mm_types.h"]')
                    .replace("expect = 64", "expect = 48"))
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    out = _run("hook", "layoutcheck.toml", cwd=repo)
    assert out.returncode == 1 and "FAIL page-64-bytes" in out.stdout


def test_the_baseline_reads_its_own_included_headers(tmp_path):
    """A change in an included header moves a struct of the header being
    compared: the old side reads what was included at the baseline."""
    need_all_compilers()
    repo, env = _example_repo(tmp_path)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "v4.20"], cwd=repo, check=True, env=env)
    lock = repo / "include" / "linux" / "spinlock_types.h"
    lock.write_text(lock.read_text().replace("unsigned int slock;", "unsigned short slock;"))
    out = _run("diff", "--git", "HEAD", "include/linux/mm_types.h", "--abi", "x86_64", cwd=repo)
    assert out.returncode == 1 and "ptl" in out.stdout
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    out = _run("hook", "--fail-on", "changes", "include/linux/spinlock_types.h", cwd=repo)
    assert out.returncode == 1 and "its layouts changed since HEAD" in out.stdout


def test_a_struct_is_placed_at_its_definition_not_its_first_mention(tmp_path):
    need_compiler(get_abi("x86_64"))
    (tmp_path / "s.h").write_text("struct s;\nstruct t { struct s *p; };\nstruct s { long a; };\n")
    (tmp_path / "s.rules.toml").write_text('struct = "s"\n[[rule]]\nname = "small"\nkind = "size"\nexpect = 4\n')
    out = _run("check", "s.h", "--abi", "x86_64", "--format", "json", cwd=tmp_path)
    (res,) = [r for r in json.loads(out.stdout)["results"] if r["status"] == "fail"]
    assert res["where"] == "s.h:3:8"


def test_one_sentence_names_groups_that_are_no_product(tmp_path):
    need_compiler(get_abi("x86_64"))
    need_compiler(get_abi("i386"))
    (tmp_path / "s.h").write_text("#if defined(CONFIG_X) != defined(__LP64__)\nstruct s { int a[4]; };\n"
                                  "#else\nstruct s { int a[2]; };\n#endif\n")
    (tmp_path / "s.rules.toml").write_text('struct = "s"\n[matrix]\nvary = ["CONFIG_X"]\n'
                                           '[[rule]]\nname = "big"\nkind = "size"\nexpect = 100\n')
    out = _run("check", "s.h", "--abi", "x86_64,i386", cwd=tmp_path).stdout
    assert "size is 8/16" in out or "size is 16/8" in out
    assert "every config / every config" not in out
    assert "x86_64, config [1]; i386, config [2]" in out or "i386, config [2]; x86_64, config [1]" in out


def test_strict_verdicts_agree_everywhere():
    need_compiler(get_abi("x86_64"))
    page = os.path.join("cdefs", "page", "v4.20.h")
    args = ("check", page, "--strict", "--abi", "x86_64", "--config", "default")
    text = _run(*args)
    assert text.returncode == 1 and "0 ok, 1 failed" in text.stdout and ": FAIL:" in text.stdout
    doc = json.loads(_run(*args, "--format", "json").stdout)
    assert doc["summary"][0]["status"] == "fail"
    assert _run(*args, "--format", "github").stdout.count("::error") >= 1


def test_sarif_uris_are_uri_references(tmp_path):
    need_compiler(get_abi("x86_64"))
    folder = tmp_path / "my dir#1"
    folder.mkdir()
    (folder / "s a.h").write_text("struct s { long a; };\n_Static_assert(sizeof(struct s) == 4, \"x\");\n")
    out = _run("check", "my dir#1/s a.h", "--abi", "x86_64", "--format", "sarif", cwd=tmp_path)
    log = json.loads(out.stdout)
    _sarif_validator().validate(log)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20dir%231/s%20a.h"


def test_the_library_reads_the_project_configs_and_structs(tmp_path, monkeypatch):
    need_compiler(get_abi("x86_64"))
    _project(tmp_path, '[project]\nheaders = ["s.h"]\nconfigs = ["default"]\nabis = ["x86_64"]\n'
                       'structs = ["s"]\n')
    (tmp_path / "s.h").write_text("struct s { long a; };\nstruct t { int b; };\n")
    (tmp_path / "n.h").write_text("struct s { long a; };\nstruct t { long b; };\n")
    (tmp_path / "s.rules.toml").write_text('struct = "s"\n[matrix]\nvary = ["A", "B"]\n'
                                           '[[rule]]\nkind = "size"\nexpect = 8\n')
    monkeypatch.chdir(tmp_path)
    report = layoutcheck.check([])
    assert [c.name for c in report.files[0].configs] == ["default"]
    assert not layoutcheck.diff("s.h", "n.h").changed  # only struct s, as the commands
    # no header and no project naming one is an error, not an empty pass
    monkeypatch.setenv("LAYOUTCHECK_PROJECT", "off")
    with pytest.raises(LayoutError, match="no header given"):
        layoutcheck.check([])


def test_abi_names_never_stand_for_another_layout():
    for name in ("mips64", "sparc", "4kc-malta", "s390", "x86"):
        with pytest.raises(LayoutError, match="not one of the 18 ABIs"):
            get_abi(name)
    assert get_abi("i686-linux-gnu").name == "i386"


def test_hook_reads_a_header_outside_the_project_list_with_its_own_rules_only(tmp_path):
    """Outside the project's list: a header with a NAME.rules.toml is judged
    by that file, not by the project's rules; one under a shared
    layoutcheck.toml is left to the list; a header named twice is read
    once."""
    need_all_compilers()
    (tmp_path / ".git").mkdir()
    (tmp_path / "inc" / "sub").mkdir(parents=True)
    (tmp_path / "inc" / "other").mkdir()
    (tmp_path / "layout").mkdir()
    (tmp_path / "inc" / "main.h").write_text("struct m { int a; };\n")
    (tmp_path / "layout" / "rules.toml").write_text(
        '[[rule]]\nname = "m-size"\nstruct = "m"\nkind = "size"\nexpect = 4\n')
    (tmp_path / "layoutcheck.toml").write_text(
        '[project]\nheaders = ["inc/main.h"]\nrules = "layout/rules.toml"\n')
    (tmp_path / "inc" / "sub" / "foo.h").write_text("struct foo { int a; int b; };\n")
    (tmp_path / "inc" / "sub" / "foo.rules.toml").write_text(
        '[[rule]]\nname = "foo-size"\nstruct = "foo"\nkind = "size"\nexpect = 4\n')
    (tmp_path / "inc" / "other" / "u.h").write_text("struct u { int a; int b; };\n")
    out = _run("hook", "./inc/sub/foo.h", "inc/sub/foo.rules.toml", "inc/other/u.h",
               "--abi", "x86_64", cwd=tmp_path)
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert "FAIL foo-size (size)" in out.stdout and "m-size" not in out.stdout
    assert out.stdout.count("foo.h: FAIL") == 1 and "u.h" not in out.stdout
    # the project in pyproject.toml, a layoutcheck.toml of rules for every header below
    (tmp_path / "layoutcheck.toml").write_text(
        '[[rule]]\nname = "m-size"\nstruct = "m"\nkind = "size"\nexpect = 4\n')
    (tmp_path / "pyproject.toml").write_text('[tool.layoutcheck]\nheaders = ["inc/main.h"]\n')
    out = _run("hook", "inc/other/u.h", "--abi", "x86_64", cwd=tmp_path)
    assert (out.returncode, out.stdout) == (0, ""), out.stderr
