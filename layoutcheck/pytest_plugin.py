"""pytest plugin: assertions about struct layouts in a project's own tests.

Installed with layoutcheck (entry point ``pytest11``), so a test can write::

    from layoutcheck.pytest_plugin import assert_layout, assert_rules_pass

    def test_page_is_64_bytes():
        assert_layout("include/linux/mm_types.h", "page", abi="x86_64",
                      defines={"CONFIG_MEMCG": "1"}, size=64,
                      offsets={"lru.next": 8, "mapping": 24})

    def test_rules():
        assert_rules_pass(["include/linux/mm_types.h"])

    def test_no_abi_break():
        assert_no_layout_change("include/uapi/foo.h", git="v1.0")

A failing assertion says what differs, member by member, ``-`` for what
the test (or the old header) has and ``+`` for what the header gives, on
which ABIs: the way pytest shows an assertion diff.  The ``layoutcheck_project``
fixture is the project file found from pytest's root directory (None when
there is none); the helpers read it as every command does.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

import pytest

__all__ = ["assert_layout", "assert_rules_pass", "assert_no_layout_change"]


def assert_layout(source: str, struct: str, *, abi: str = "x86_64", size: Optional[int] = None,
                  align: Optional[int] = None, offsets: Optional[Dict[str, int]] = None,
                  sizes: Optional[Dict[str, int]] = None, **load_kw: Any):
    """Lay out ``struct`` of ``source`` for ``abi`` (``load()``'s keyword
    arguments: ``defines``, ``include_dirs``, ``rules``, ``kernel`` ...) and
    assert its size, alignment, and the offsets and sizes of members (by
    offsetof path).  Returns the layout."""
    import layoutcheck

    for what, value in (("size", size), ("align", align)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"assert_layout: {what} is a number of bytes, not {value!r}")
    for what, table in (("offsets", offsets), ("sizes", sizes)):
        if table is not None and (not isinstance(table, dict) or not all(
                isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in table.items())):
            raise TypeError(f"assert_layout: {what} maps member paths to numbers of bytes, "
                            f"not {table!r}")
    lay = layoutcheck.layout(source, struct, abi, **load_kw)
    wrong: List[str] = []

    def differs(what: str, want: object, got: object) -> None:
        wrong.append(f"- {what} {want}")
        wrong.append(f"+ {what} {got}")

    if size is not None and lay.size != size:
        differs("size", size, lay.size)
    if align is not None and lay.align != align:
        differs("align", align, lay.align)
    for table, attr in ((offsets or {}, "offset"), (sizes or {}, "size")):
        for path, want in table.items():
            m = lay.get(path)
            if m is None:
                from .layouts import did_you_mean

                paths = [x.path for x in lay.members]
                differs(f"{path} {attr}", want, f"(no such member{did_you_mean(path, paths)})")
            elif getattr(m, attr) != want:
                differs(f"{path} {attr}", want, getattr(m, attr))
    if wrong:
        defines = load_kw.get("defines")
        given = f" with {defines}" if defines else ""
        raise AssertionError(f"{lay.kind} {lay.name} on {lay.abi}{given} is not laid out as the "
                             f"test expects (- expected, + laid out):\n" + "\n".join(wrong))
    return lay


def assert_rules_pass(paths: Union[str, Sequence[str]], **check_kw: Any):
    """Every rule (and static assert) of ``paths`` holds on every ABI and
    config (``check()``'s keyword arguments); returns the report."""
    import layoutcheck

    from .render.check import render_hook_failures

    report = layoutcheck.check(paths, **check_kw)
    if report.exit_status():
        lines: List[str] = []
        for f in report.files:
            failures = render_hook_failures(f)
            if failures:
                lines.append(f"{f.path}:")
                lines += failures
        raise AssertionError("layout rules fail:\n" + "\n".join(lines))
    return report


def _state(value: object, kind: str) -> str:
    """A member's side of a change, in words."""
    if isinstance(value, dict):
        parts = [str(value["type"])] if "type" in value else []
        for key in ("offset", "size", "align"):
            if key in value:
                parts.append(f"{key} {value[key]}")
        mask = value.get("mask")
        if isinstance(mask, str) and mask.strip("f"):
            parts.append(f"bits {mask}")
        return ", ".join(parts)
    if kind == "overlap" and isinstance(value, list):
        shown = ", ".join(value[:4]) + (f" and {len(value) - 4} more" if len(value) > 4 else "")
        return f"over {shown}" if value else "over nothing"
    if kind in ("offset", "size", "align") and isinstance(value, int):
        return f"{kind} {value}"
    return str(value)


def assert_no_layout_change(old: str, new: Optional[str] = None, *, git: Optional[str] = None,
                            **diff_kw: Any):
    """``new`` (or, with ``git=REV``, ``old`` in the work tree) lays out
    every struct exactly as ``old`` (at REV) on every ABI and config
    (``diff()``'s keyword arguments); returns the diff."""
    import layoutcheck

    from .abi import get_abi
    from .render.groups import where_text

    result = layoutcheck.diff(old, new, git=git, **diff_kw)
    if not result.changed:
        return result
    abis = [get_abi(a) for a in result.abis]
    lines: List[str] = []
    current = None
    for g in result.changes:  # each with its own before and after, where it holds
        c = g.change
        if c.struct != current:
            current = c.struct
            lines.append(f"{current}:")
        where = where_text(g.where, abis, result.configs)
        if c.kind in ("rule", "static-assert"):
            lines.append(f"  {c.message}    [{where}]")
        elif c.before is not None and c.after is not None and c.member:
            lines.append(f"- {c.member}: {_state(c.before, c.kind)}    [{where}]")
            lines.append(f"+ {c.member}: {_state(c.after, c.kind)}")
        elif c.after is None and c.member:
            lines.append(f"- {c.member}: {_state(c.before, c.kind)}    [{where}]")
        elif c.before is None and c.member:
            lines.append(f"+ {c.member}: {_state(c.after, c.kind)}    [{where}]")
        else:
            lines.append(f"  {c.message}    [{where}]")
    raise AssertionError(f"layouts changed from {result.old} to {result.new} (- old, + new):\n"
                         + "\n".join(lines))


@pytest.fixture
def layoutcheck_project(request):
    """The project file found from pytest's root directory, or None."""
    from .project import find_project

    return find_project(str(request.config.rootpath)).project
