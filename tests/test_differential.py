"""Every door gives the same layouts: show, check, diff, verify and the library.

For every cdef and every config of its rules matrix, each door is taken
with the same options, and every layout it computed (on all 18 ABIs) is
compared with what the library's ``load()`` gives.  The commands' Programs
are caught where every door must pass: ``options.open_program``.
"""

from __future__ import annotations

import glob
import json
import os

import pytest

import layoutcheck as lc
import layoutcheck.options as options_module
from layoutcheck.rules import load_rules_for

from .conftest import CDEFS, need_all_compilers

pytestmark = [pytest.mark.oracle, pytest.mark.slow]

HEADERS = sorted(glob.glob(os.path.join(CDEFS, "page", "*.h")))


def _layouts(prog) -> str:
    return json.dumps([lay.to_json() for lay in prog.layouts()], sort_keys=True)


class _Spy:
    """Records the layouts of every Program a door opens."""

    def __init__(self, monkeypatch, header):
        self.seen = []
        real = options_module.open_program

        def spy(source, options, config=None, **kw):
            prog = real(source, options, config=config, **kw)
            # the header's own programs (a no-growth rule also reads its baseline)
            if os.path.samefile(os.fspath(source), header):
                self.seen.append(((config.name if config else "default"), _layouts(prog)))
            return prog

        monkeypatch.setattr(options_module, "open_program", spy)

    def take(self):
        out, self.seen = self.seen, []
        return out


def _flags(defines):
    return [f"-D{k}={v}" for k, v in sorted(defines.items())]


@pytest.mark.parametrize("header", HEADERS, ids=os.path.basename)
def test_every_door_gives_the_librarys_layouts(header, monkeypatch, run_cli, tmp_path):
    need_all_compilers()
    rules = load_rules_for(header)
    configs = rules.configs_for(header)
    expected = {}
    for cfg in configs:
        expected[cfg.name] = _layouts(lc.load(header, abis="all", defines=cfg.defines))
    spy = _Spy(monkeypatch, header)

    # check: every config of the matrix in one run
    code, _out, err = run_cli("check", header, "--format", "json")
    assert code in (0, 1), err
    seen = dict(spy.take())
    assert seen == expected

    # diff against itself: the same programs, and no change
    code, out, err = run_cli("diff", header, header, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["changes"] == []
    for name, text in spy.take():
        assert text == expected[name], name

    for cfg in configs:
        flags = _flags(cfg.defines)
        # show: its JSON is the layouts themselves
        code, out, err = run_cli("show", header, "--abi", "all", "--format", "json", *flags)
        assert code == 0, err
        assert json.loads(out)["layouts"] == json.loads(expected[cfg.name]), cfg.name
        spy.take()
        # verify: the layouts it held to GCC are the library's, and GCC agrees
        code, out, err = run_cli("verify", header, "--abi", "all", "--no-cffi", "--no-clang",
                                 *flags)
        assert code == 0, out + err
        ((_, text),) = spy.take()
        assert text == expected[cfg.name], cfg.name
