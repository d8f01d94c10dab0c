"""The README's examples run, and its first command's invocation works."""

import os
import re

from .conftest import ROOT


def _readme():
    with open(os.path.join(ROOT, "README.md")) as fh:
        return fh.read()


def test_python_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", _readme(), re.S)
    assert blocks
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for block in blocks:
            exec(compile(block, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)


def test_toml_examples_are_read_as_written():
    """Each TOML block reads as the file it shows: the rules example's
    every rule (its keys checked as a rules file's are), the project
    example's every key (as a project file's)."""
    from layoutcheck.project import parse_project
    from layoutcheck.rules.spec import parse_rules
    from layoutcheck.safety import toml_loads

    blocks = re.findall(r"```toml\n(.*?)```", _readme(), re.S)
    assert len(blocks) == 2
    rules = parse_rules(blocks[0], "README.md")
    assert len(rules.rules) == blocks[0].count("[[rule]]") == 12
    assert rules.rules[-1].headers == ["include/linux/mm_types.h"]
    data = toml_loads(blocks[1])
    project = parse_project(data["project"], os.path.join(ROOT, "layoutcheck.toml"), "[project]")
    assert project.fail_on == "rules" and project.baseline == "HEAD"
    assert parse_rules(blocks[1], "README.md").struct == "page"


def test_first_command_is_show_for_all_abis(run_cli):
    first = re.findall(r"```sh\n(.*?)\n```", _readme(), re.S)[0]
    assert first.startswith("pip install -e '.[test]' && layoutcheck show ")
    argv = first.split("&& layoutcheck ")[1].split()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        code, out, err = run_cli(*argv)
    finally:
        os.chdir(cwd)
    assert code == 0, err
    # ABIs that lay struct page out alike are one block, named together
    heads = [line for line in out.splitlines() if line.startswith("struct page {")]
    assert len(heads) == 5
    named = " ".join(heads).replace("*/", " ").split()
    from layoutcheck.abi import all_abis

    assert all(a.name in named for a in all_abis())


def test_second_command_is_the_ci_test_command():
    second = re.findall(r"```sh\n(.*?)\n```", _readme(), re.S)[1]
    with open(os.path.join(ROOT, ".ci", "run")) as fh:
        assert second.strip() in fh.read()


def test_first_commands_setup_is_the_ci_setup():
    """CI installs exactly what the README's first command installs."""
    first = re.findall(r"```sh\n(.*?)\n```", _readme(), re.S)[0]
    setup = first.split(" && ")[0]  # pip install -e '.[test]'
    with open(os.path.join(ROOT, ".ci", "run")) as fh:
        installs = [ln for ln in fh.read().splitlines() if "pip install" in ln]
    assert [ln.replace("python -m ", "").replace(" -q", "") for ln in installs] == [setup]


def test_every_command_example_runs_with_its_exit_status(run_cli):
    """Each `layoutcheck ...` line of the README's later sh blocks runs and
    exits as its `# exit N` comment says (0 when it says nothing)."""
    import glob
    import shlex

    from .conftest import oracles_required
    from .corpus import corpus_available

    blocks = re.findall(r"```sh\n(.*?)\n *```", _readme(), re.S)[2:]
    # (a block in a list item is indented; a line ending in '\' goes on)
    joined = [re.sub(r"\\\n\s*", "", b) for b in blocks]
    lines = [ln.strip() for b in joined for ln in b.splitlines()
             if ln.strip().startswith("layoutcheck ")]
    assert any("--abi-include" in ln for ln in lines)
    if not corpus_available() and not oracles_required():
        lines = [ln for ln in lines if "/usr/include/linux/" not in ln]  # the cross headers' example
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for line in lines:
            command, _, comment = line.partition("#")
            want = re.search(r"exit (\d)", comment)
            argv = []
            for word in shlex.split(command)[1:]:
                argv.extend(sorted(glob.glob(word)) if "*" in word else [word])
            code, out, err = run_cli(*argv)
            assert code == (int(want.group(1)) if want else 0), (line, err)
            assert out.strip(), line
    finally:
        os.chdir(cwd)
