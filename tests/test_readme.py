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
    assert out.count("struct page {") == 18


def test_second_command_is_the_ci_test_command():
    second = re.findall(r"```sh\n(.*?)\n```", _readme(), re.S)[1]
    with open(os.path.join(ROOT, ".ci", "run")) as fh:
        assert second.strip() in fh.read()
