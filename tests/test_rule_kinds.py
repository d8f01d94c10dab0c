"""A rule kind is one class: defining it is all it takes to use it.

The toy kind here is defined inside the test, touches no other file, and
is read, validated and checked like the built-in kinds (layoutcheck/rules/
kinds.py).  It is unregistered afterwards so no other test sees it.
"""

import json

import pytest

from layoutcheck.abi import all_abis
from layoutcheck.errors import LayoutError
from layoutcheck.rules import check_file, kinds, load_rules_for, parse_rules

HEADER = "struct s { unsigned long a; struct { int x; int y; } b; };\n"


def test_a_new_kind_is_one_class(tmp_path, run_cli):
    class MaxMembers(kinds.RuleKind):
        """``at_most``: the struct has at most that many members (nested
        members not counted)."""

        name = "max-members"
        keys = ("at_most",)
        needs = "at_most = N"

        def complete(self, params):
            return "at_most" in params

        def validate(self, rule, label):
            super().validate(rule, label)
            n = rule.params["at_most"]
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise LayoutError(f"{label}: at_most = {n!r} is not a count")

        def check(self, checker, lay, rule):
            top = [m.path for m in lay.members if m.depth == 0]
            if len(top) > rule.params["at_most"]:
                raise kinds.Fail(f"{lay.kind} {lay.name} has {len(top)} members "
                                 f"({', '.join(top)}), above {rule.params['at_most']}", top)
            return top

    try:
        assert kinds.kind_of("max-members") is kinds.REGISTRY["max-members"]

        # Parsed and validated: a bad parameter names the file and the rule.
        bad = ('struct = "s"\n[[rule]]\nname = "small"\nkind = "max-members"\n'
               'at_most = "two"\n')
        with pytest.raises(LayoutError) as err:
            parse_rules(bad, "rules/s.toml")
        assert str(err.value) == "rules/s.toml: rule 1 (small): at_most = 'two' is not a count"
        with pytest.raises(LayoutError, match=r"rule 1 \(max-members:struct\): a max-members "
                                              r"rule needs at_most = N"):
            parse_rules('struct = "s"\n[[rule]]\nkind = "max-members"\n', "rules/s.toml")
        # Its key is its own: another kind refuses it, and it refuses theirs.
        with pytest.raises(LayoutError, match=r"\['at_most'\] mean nothing to a size rule"):
            parse_rules('struct = "s"\n[[rule]]\nkind = "size"\nexpect = 8\nat_most = 1\n')
        with pytest.raises(LayoutError, match=r"\['expect'\] mean nothing to a max-members rule, "
                                              r"which would ignore them \(it reads at_most\)"):
            parse_rules('struct = "s"\n[[rule]]\nkind = "max-members"\nat_most = 1\nexpect = 8\n')

        # Checked on every ABI, by the library and by the command.
        hdr = tmp_path / "s.h"
        hdr.write_text(HEADER)
        (tmp_path / "s.rules.toml").write_text(
            'struct = "s"\n'
            '[[rule]]\nname = "two"\nkind = "max-members"\nat_most = 2\n'
            '[[rule]]\nname = "one"\nkind = "max-members"\nat_most = 1\n')
        rs = load_rules_for(str(hdr))
        results = check_file(str(hdr), rs, all_abis(), rs.configs)
        two = [r for r in results if r.rule == "two"]
        one = [r for r in results if r.rule == "one"]
        assert len(two) == len(one) == 18
        assert all(r.passed and r.members == ["a", "b"] for r in two)
        assert all(r.failed and r.kind == "max-members" for r in one)
        assert one[0].text == "struct s has 2 members (a, b), above 1"
        code, out, _ = run_cli("check", hdr, "--format", "json")
        assert code == 1
        doc = json.loads(out)
        assert {(r["rule"], r["status"]) for r in doc["results"]} == {("two", "pass"),
                                                                        ("one", "fail")}
    finally:
        kinds.unregister("max-members")

    # Gone: the kind and its key are unknown again.
    assert "max-members" not in kinds.kind_names()
    with pytest.raises(LayoutError, match="unknown kind 'max-members'"):
        parse_rules('struct = "s"\n[[rule]]\nkind = "max-members"\nat_most = 1\n')
    with pytest.raises(LayoutError, match=r"unknown keys \['at_most'\]"):
        parse_rules('struct = "s"\n[[rule]]\nkind = "size"\nexpect = 8\nat_most = 1\n')


def test_a_kind_name_is_taken_once():
    with pytest.raises(ValueError, match="'size' is defined twice"):
        class Size2(kinds.RuleKind):  # noqa: F841 (registering is the point)
            name = "size"
    assert type(kinds.REGISTRY["size"]).__name__ == "Size"


def test_a_baseline_edited_between_two_checks_is_read_again(tmp_path):
    """A library process that checks twice sees the baseline header as it
    is now (and the headers it includes), not as the first check read it."""
    d = tmp_path / "p"
    d.mkdir(mode=0o700)
    (d / "inner.h").write_text("#define WIDE 4\n")
    (d / "base.h").write_text('#include "inner.h"\nstruct s { char a[WIDE]; };\n')
    (d / "new.h").write_text("struct s { char a[8]; };\n")
    (d / "layoutcheck.toml").write_text('struct = "s"\n[[rule]]\nkind = "no-growth"\nbaseline = "base.h"\n')
    abis = [a for a in all_abis() if a.name == "x86_64"]

    def verdict():
        rs = load_rules_for(str(d / "new.h"))
        (res,) = [r for r in check_file(str(d / "new.h"), rs, abis, rs.configs) if r.kind == "no-growth"]
        return res.status

    assert verdict() == "fail"  # 8 bytes against 4
    (d / "inner.h").write_text("#define WIDE 8\n")
    assert verdict() == "pass"
    (d / "base.h").write_text("struct s { char a[2]; };\n")
    assert verdict() == "fail"
    # a header the baseline asks __has_include for, added: it now reads it
    (d / "base.h").write_text('#if __has_include("extra.h")\n#include "extra.h"\n#endif\n'
                              "#ifndef WIDE\n#define WIDE 4\n#endif\nstruct s { char a[WIDE]; };\n")
    assert verdict() == "fail"
    (d / "extra.h").write_text("#define WIDE 8\n")
    assert verdict() == "pass"


def test_no_growth_finds_the_baseline_struct_by_the_name_the_rule_gives(tmp_path):
    """A rule naming a typedef compares with the baseline's struct of that
    typedef, whatever its tag there (it looked for the new tag)."""
    d = tmp_path / "p"
    d.mkdir(mode=0o700)
    (d / "base.h").write_text("typedef struct old_tag { long x; int y; } td_t;\n")
    (d / "new.h").write_text("typedef struct new_tag { long x; int y; } td_t;\n")
    (d / "grown.h").write_text("typedef struct new_tag { long x; int y; long z; } td_t;\n")
    (d / "layoutcheck.toml").write_text('struct = "td_t"\n[[rule]]\nkind = "no-growth"\n'
                                        'baseline = "base.h"\nkeep_offsets = ["y"]\n')
    abis = [a for a in all_abis() if a.name in ("x86_64", "i386")]
    for header, want in (("new.h", "pass"), ("grown.h", "fail")):
        rs = load_rules_for(str(d / header))
        results = [r for r in check_file(str(d / header), rs, abis, rs.configs) if r.kind == "no-growth"]
        assert [r.status for r in results] == [want] * 2, [r.message for r in results]
