"""No false pass: rules that cannot apply, and rules read from the wrong place.

Each test is one way `layoutcheck check` used to pass silently:
a rule that never applied (a typo in `abis`, a string in `when`, optional
members all missing, `when` on a macro no config sets), a parameter the
check ignored or could not use, and a rules file planted in a directory
others can write (/tmp) that applied to the headers below it.
"""

import json
import os
import stat

import pytest

from layoutcheck.abi import all_abis
from layoutcheck.errors import LayoutError
from layoutcheck.rules import check_file, discover_rules, load_rules_for, parse_rules, untrusted

ABIS = all_abis()
ALL = {a.name for a in ABIS}
BITS64 = {a.name for a in ABIS if a.bits == 64}

HEADER = "struct s { unsigned long a; unsigned long b; };\n"


def write(path, text, mode=None):
    path.write_text(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


def header_with_rules(tmp_path, rules, name="s"):
    """A header and its own NAME.rules.toml in a private directory."""
    hdr = write(tmp_path / f"{name}.h", HEADER)
    write(tmp_path / f"{name}.rules.toml", rules)
    return hdr


# --------------------------------------------------------------- A: selectors
@pytest.mark.parametrize("abis", ['"64-bit"', '["x86_64", "x86-64"]'])
def test_unknown_abi_selector_in_a_rule_is_an_error(abis):
    text = f'struct = "s"\n[[rule]]\nname = "big"\nkind = "size"\nexpect = 16\nabis = {abis}\n'
    with pytest.raises(LayoutError) as err:
        parse_rules(text, "rules/s.toml")
    message = str(err.value)
    assert "rules/s.toml" in message and "rule 1 (big)" in message
    assert "unknown ABI selector" in message


def test_unknown_abi_selector_suggests_the_spelling():
    with pytest.raises(LayoutError, match="did you mean '64bit'"):
        parse_rules('struct = "s"\n[[rule]]\nkind = "size"\nexpect = 16\nabis = "64-bit"\n')


def test_unknown_abi_selector_in_abi_defines_is_an_error():
    text = 'struct = "s"\n[matrix.abi_defines]\nCONFIG_64BIT = "64-bit"\n'
    with pytest.raises(LayoutError) as err:
        parse_rules(text, "page.toml")
    assert "page.toml" in str(err.value) and "CONFIG_64BIT" in str(err.value)
    assert "'64-bit'" in str(err.value)


def test_string_when_value_is_an_error():
    text = ('struct = "s"\n[[rule]]\nname = "only-memcg"\nkind = "size"\nexpect = 16\n'
            'when = { CONFIG_MEMCG = "false" }\n')
    with pytest.raises(LayoutError) as err:
        parse_rules(text, "page.toml")
    message = str(err.value)
    assert "page.toml" in message and "only-memcg" in message
    assert "not a boolean" in message and "CONFIG_MEMCG" in message


# ------------------------------------------------------- A: not-applied rules
def test_rule_with_all_optional_members_missing_is_not_applied(tmp_path, run_cli):
    hdr = header_with_rules(tmp_path, 'struct = "s"\n[[rule]]\nname = "gone-aligned"\n'
                                      'kind = "offset"\nmember = "gone"\nmultiple_of = 8\n'
                                      'optional = ["gone"]\n')
    res = check_file(str(hdr), load_rules_for(str(hdr)), ABIS, load_rules_for(str(hdr)).configs)
    verdicts = [r for r in res if r.rule == "gone-aligned"]
    assert len(verdicts) == 18
    assert all(r.status == "not-applied" and r.cause == "optional-missing" for r in verdicts)
    assert not any(r.passed for r in verdicts)

    code, out, _ = run_cli("check", hdr)
    assert "not applied (optional members missing): gone-aligned" in out and "18 not applied" in out
    code, out, _ = run_cli("check", hdr, "--verbose")
    assert "NOT APPLIED gone-aligned (offset) on all 18 ABIs" in out
    assert "no member 'gone'" in out
    assert code == 0  # declared by the rules author: reported, not an error
    code, out, _ = run_cli("check", hdr, "--format", "json")
    doc = json.loads(out)
    statuses = {(r["rule"], r["status"], r.get("cause")) for r in doc["results"]}
    assert statuses == {("gone-aligned", "not-applied", "optional-missing")}
    code, _, _ = run_cli("check", hdr, "--strict")
    assert code == 1


def test_alias_with_one_member_left_is_not_applied(tmp_path):
    hdr = write(tmp_path / "s.h", HEADER)
    rules = parse_rules('struct = "s"\n[[rule]]\nkind = "alias"\nmembers = ["a", "old"]\n'
                        'optional = ["old"]\n')
    (r,) = check_file(str(hdr), rules, [ABIS[0]], rules.configs)
    assert r.status == "not-applied" and "nothing to compare" in r.message


def test_rule_whose_when_no_config_sets_is_reported_and_fails(tmp_path, run_cli):
    hdr = header_with_rules(tmp_path, 'struct = "s"\n[matrix]\nvary = ["CONFIG_MEMCG"]\n'
                                      '[[rule]]\nname = "typo"\nkind = "size"\nexpect = 999\n'
                                      'when = { CONFIG_MEMGC = true }\n')
    rs = load_rules_for(str(hdr))
    res = [r for r in check_file(str(hdr), rs, ABIS, rs.configs) if r.rule == "typo"]
    assert len(res) == 1  # it used to leave no verdict at all
    (r,) = res
    assert (r.abi, r.config, r.status, r.cause) == ("*", "*", "not-applied", "never-selected")
    assert "no config sets CONFIG_MEMGC" in r.message and "can never apply" in r.message
    code, out, _ = run_cli("check", hdr)
    assert code == 1
    assert "NEVER APPLIES typo (size): when = {CONFIG_MEMGC = true} selects no ABI" in out
    assert "FAIL  rules never apply: typo" in out


def test_abis_and_when_that_never_hold_together_fail(tmp_path, run_cli):
    hdr = header_with_rules(tmp_path, 'struct = "s"\n[matrix.abi_defines]\n'
                                      'CONFIG_64BIT = "64bit"\n[[rule]]\nname = "never"\n'
                                      'kind = "size"\nexpect = 999\nabis = "32bit"\n'
                                      'when = { CONFIG_64BIT = true }\n')
    rs = load_rules_for(str(hdr))
    (r,) = [r for r in check_file(str(hdr), rs, ABIS, rs.configs) if r.rule == "never"]
    assert r.cause == "never-selected"
    assert "CONFIG_64BIT follows the ABI" in r.message and "never defined" in r.message
    code, _, _ = run_cli("check", hdr)
    assert code == 1


def test_when_on_an_abi_define_follows_the_abi(tmp_path):
    """`when = { CONFIG_64BIT = true }` used to be false everywhere: the
    macro comes from [matrix.abi_defines], not from a config."""
    hdr = write(tmp_path / "s.h", HEADER)
    rs = parse_rules('struct = "s"\n[matrix.abi_defines]\nCONFIG_64BIT = "64bit"\n'
                     '[[rule]]\nname = "two-longs"\nkind = "size"\nexpect = "2*word"\n'
                     '[[rule]]\nname = "sixteen"\nkind = "size"\nexpect = 16\n'
                     'when = { CONFIG_64BIT = true }\n')
    res = check_file(str(hdr), rs, ABIS, rs.configs)
    sixteen = [r for r in res if r.rule == "sixteen"]
    assert {r.abi for r in sixteen} == BITS64 and all(r.passed for r in sixteen)


def test_narrowed_run_reports_deselected_rule_without_failing(tmp_path, run_cli):
    hdr = header_with_rules(tmp_path, 'struct = "s"\n[[rule]]\nname = "lp64"\nkind = "size"\n'
                                      'expect = 16\nabis = "64bit"\n')
    code, out, _ = run_cli("check", hdr, "--abi", "i386")
    assert code == 0
    assert "not applied (not selected by --abi/--config): lp64" in out
    code, out, _ = run_cli("check", hdr, "--abi", "i386", "--verbose")
    assert "NOT APPLIED lp64 (size) anywhere: abis = '64bit' selects none of the 1 ABIs" in out
    code, out, _ = run_cli("check", hdr, "--abi", "i386", "--format", "json")
    (r,) = json.loads(out)["results"]
    assert (r["status"], r["cause"]) == ("not-applied", "not-selected")


# ------------------------------------------------- A: rule parameter types
@pytest.mark.parametrize("rule, message", [
    ('kind = "offset"\nmember = "a"\nmultiple_of = 0', "multiple_of = 0 is zero"),
    ('kind = "offset"\nmember = "a"\nmultiple_of = "0*word"', "is zero"),
    ('kind = "size"\nexpect = -8', "negative"),
    ('kind = "size"\nmin = -1', "negative"),
    ('kind = "size"\nexpect = 4.5', "is not a size"),
    ('kind = "size"\nexpect = "two words"', "cannot read size"),
    ('kind = "size"\nexpect = true', "is not a size"),
    ('kind = "size"\nmin = 16\nmax = 8', "min 16 is above max 8"),
    ('kind = "size"\nexpect = 4\nmin = 8', "outside min/max"),
    ('kind = "align"\nexpect = 3', "not a power of 2"),
    ('kind = "alias"\nmembers = [1, 2]', "must name members as strings"),
    ('kind = "offset"\nmember = 3\nexpect = 0', "must name members as strings"),
    ('kind = "tail-bit"\nword = ["a", "b"]', "'word' names one member"),
    ('kind = "disjoint"\nmembers = ["a"]\nagainst = [""]', "must name members as strings"),
    ('kind = "offset"\nunion_of = "a"\nmembers = ["b"]\nwithin = [3, 1]', "within"),
    ('kind = "offset"\nunion_of = "a"\nmembers = ["b"]\nwithin = ["1", "2"]', "within"),
    ('kind = "alias"\nmembers = ["a", "b"]\nbit0_clear = ["a"]', "mean nothing to a alias"),
    ('kind = "size"\nmember = "a"\nwithin = [0, 1]\nexpect = 8', "mean nothing to a size"),
    ('kind = "align"\nunion_of = "a"\nexpect = 8', "mean nothing to a align"),
    ('kind = "offset"\nmembers = ["a", "b"]\nmultiple_of = 8', "offset rule needs"),
    ('kind = "size"\nmember = "a"\nunion_of = "a"\nexpect = 8', "give one of"),
    ('kind = "size"\nexpect = 8\noptional = ["a"]', "optional names ['a']"),
    ('kind = "alias"\nmembers = ["a", "b"]\noptional = ["freelsit"]', "optional names"),
    ('kind = "size"\nexpect = 8\nwhen = "CONFIG_X"', "'when' must be a table"),
    ('kind = "size"\nexpect = 8\nabis = []', "empty list"),
    ('kind = "size"\nexpect = 8\nabis = [64]', "is not a string"),
    ('kind = "size"\nexpect = 8\nwhy = 3', "'why' must be a string"),
])
def test_bad_rule_parameters_are_errors_naming_file_and_rule(rule, message):
    text = f'struct = "s"\n[[rule]]\nname = "r"\n{rule}\n'
    with pytest.raises(LayoutError) as err:
        parse_rules(text, "dir/bad.toml")
    assert message in str(err.value)
    assert "dir/bad.toml: rule 1 (r)" in str(err.value)


@pytest.mark.parametrize("text, message", [
    ('struct = "s"\n[matrix]\nvarry = ["CONFIG_MEMCG"]\n', r"unknown \[matrix\] keys"),
    ('struct = "s"\n[matrix]\nvary = [1]\n', "must name macros as strings"),
    ('[[rule]]\nkind = "size"\nexpect = 8\n', "no struct named"),
])
def test_bad_matrix_and_missing_struct_are_errors(text, message):
    with pytest.raises(LayoutError, match=message):
        parse_rules(text, "bad.toml")


# ------------------------------------------------------------- B: discovery
FAILING_RULES = 'struct = "s"\n[[rule]]\nname = "planted"\nkind = "size"\nexpect = 999\n'


def test_rules_in_a_world_writable_directory_are_refused(tmp_path, run_cli):
    shared = tmp_path / "shared"
    proj = shared / "proj"
    proj.mkdir(parents=True)
    write(shared / "layoutcheck.toml", FAILING_RULES)
    os.chmod(shared, 0o777)
    hdr = write(proj / "s.h", HEADER)
    found = discover_rules(str(hdr))
    assert found.path is None
    assert [p for p, _ in found.refused] == [str(shared / "layoutcheck.toml")]
    assert "writable by others" in found.refused[0][1]
    assert load_rules_for(str(hdr)).rules == []
    code, out, _ = run_cli("check", hdr)
    assert "planted" not in out  # never read
    assert f"REFUSED rules file {shared / 'layoutcheck.toml'}" in out
    assert code == 1  # rules meant for this header may exist: not a pass
    code, out, _ = run_cli("check", hdr, "--format", "json")
    (entry,) = json.loads(out)["rules"]
    assert entry["rules"] is None
    assert entry["refused"][0]["path"] == str(shared / "layoutcheck.toml")


def test_rules_beside_the_header_in_a_world_writable_directory_are_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    hdr = write(shared / "s.h", HEADER)
    write(shared / "s.rules.toml", FAILING_RULES)
    os.chmod(shared, 0o777)
    found = discover_rules(str(hdr))
    assert found.path is None and found.refused[0][0] == str(shared / "s.rules.toml")


def test_world_writable_sticky_directory_is_refused_even_for_its_owner(tmp_path):
    """Like a root-owned /tmp when the tests run as root: owned by the
    current user, and still refused because everyone can write it."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    os.chmod(tmp, 0o1777)
    assert os.stat(tmp).st_uid == os.getuid()
    assert "writable by others" in untrusted(str(tmp))
    proj = tmp / "proj"
    proj.mkdir()
    write(tmp / "layoutcheck.toml", FAILING_RULES)
    found = discover_rules(str(write(proj / "s.h", HEADER)))
    assert found.path is None and found.stop.startswith(str(tmp))
    if os.stat("/tmp").st_mode & stat.S_IWOTH:
        assert "writable by others" in untrusted("/tmp")


def test_search_stops_at_the_home_directory(tmp_path, monkeypatch):
    home = tmp_path / "home"
    proj = home / "proj"
    proj.mkdir(parents=True)
    write(tmp_path / "layoutcheck.toml", FAILING_RULES)  # above home: not read
    monkeypatch.setenv("HOME", str(home))
    found = discover_rules(str(write(proj / "s.h", HEADER)))
    assert found.path is None and "home directory" in found.stop
    write(home / "layoutcheck.toml", FAILING_RULES)  # home itself is read
    assert discover_rules(str(proj / "s.h")).path == str(home / "layoutcheck.toml")


def test_search_stops_at_the_repository_top(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    write(tmp_path / "layoutcheck.toml", FAILING_RULES)
    found = discover_rules(str(write(repo / "sub" / "s.h", HEADER)))
    assert found.path is None and "repository top" in found.stop


@pytest.mark.skipif(os.getuid() != 0, reason="chown needs root (CI runs as root)")
def test_directory_owned_by_another_user_is_refused(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    write(other / "layoutcheck.toml", FAILING_RULES)
    hdr = write(other / "s.h", HEADER)
    os.chown(other, 65534, 65534)
    found = discover_rules(str(hdr))
    assert found.path is None and "owned by uid 65534" in found.refused[0][1]


def test_check_names_the_rules_file_it_used(tmp_path, run_cli):
    hdr = header_with_rules(tmp_path, 'struct = "s"\n[[rule]]\nkind = "size"\n'
                                      'expect = "2*word"\n')
    rules = str(tmp_path / "s.rules.toml")
    code, out, _ = run_cli("check", hdr)
    assert code == 0
    assert out.splitlines()[0].startswith(f"{hdr}: ok: 1 rules from {rules} + static asserts")
    code, out, _ = run_cli("check", hdr, "--format", "json")
    doc = json.loads(out)
    assert set(doc) == {"rules", "summary", "results"}
    assert doc["rules"] == [{"file": str(hdr), "rules": rules, "how": "beside the header",
                             "stop": "", "refused": [], "for_other_headers": 0}]
    code, out, _ = run_cli("check", hdr, "--rules", rules, "--format", "json")
    assert json.loads(out)["rules"][0]["how"] == "--rules"
    bare = write(tmp_path / "bare.h", HEADER)
    code, out, _ = run_cli("check", bare)
    assert "no rules file (search stopped at " in out.splitlines()[0]


def test_group_write_is_trusted_only_for_the_users_own_group(tmp_path):
    """Debian's umask 002 makes a user's checkout group-writable by the
    user's private group: that is still the user alone.  Another group's
    write is refused."""
    import grp
    import pwd

    proj = tmp_path / "proj"
    proj.mkdir()
    write(proj / "layoutcheck.toml", FAILING_RULES)
    hdr = write(proj / "s.h", HEADER)
    os.chmod(proj, 0o775)
    os.chmod(proj / "layoutcheck.toml", 0o664)
    user = pwd.getpwuid(os.getuid())
    group = grp.getgrgid(os.stat(proj).st_gid)
    private = (user.pw_gid == group.gr_gid and group.gr_name == user.pw_name
               and all(m == user.pw_name for m in group.gr_mem))
    found = discover_rules(str(hdr))
    assert (found.path is not None) == private, found.refused
    if os.getuid() == 0:
        os.chown(proj, 0, 65534)
        assert "writable by its group 65534" in untrusted(str(proj))


def test_a_rules_file_read_for_many_headers_is_parsed_once_and_seen_when_changed(tmp_path, monkeypatch):
    """One layoutcheck.toml beside many headers is parsed once per process
    (discovery, the safety checks and the rules all read it), each RuleSet
    is its own, and an edited file is read anew."""
    import tomllib

    from layoutcheck import safety

    d = tmp_path / "proj"
    d.mkdir(mode=0o700)
    rules = d / "layoutcheck.toml"
    write(rules, 'struct = "s"\n[[rule]]\nkind = "size"\nexpect = 16\n')
    headers = [write(d / f"h{i}.h", HEADER) for i in range(4)]
    parses = []
    real = tomllib.loads
    monkeypatch.setattr(tomllib, "loads", lambda text: (parses.append(text), real(text))[1])
    safety._TOML_READ.clear()
    sets = [load_rules_for(str(h)) for h in headers]
    assert len(parses) == 1
    assert all(len(rs.rules) == 1 for rs in sets)
    sets[0].rules.clear()  # one RuleSet changed: the others, and the next reading, are not
    assert len(sets[1].rules) == 1 and len(load_rules_for(str(headers[0])).rules) == 1
    write(rules, 'struct = "s"\n[[rule]]\nname = "a"\nkind = "size"\nexpect = 16\n'
                 '[[rule]]\nname = "b"\nkind = "size"\nexpect = 16\n')
    assert len(load_rules_for(str(headers[0])).rules) == 2
    assert len(parses) == 2


def test_tail_bit_fails_a_pointer_whose_other_bits_cover_the_tail_bit(tmp_path):
    """A pointer packed across the word's first byte: PageTail falls on bit
    8 of its value (little endian), which its pointee's alignment does not
    keep clear; where the pointer's own bit 0 is PageTail, it passes."""
    hdr = write(tmp_path / "s.h", """struct foo { long x; };
struct s {
    unsigned long flags;
    union {
        struct __attribute__((packed)) { unsigned int x; unsigned long head; };
        struct __attribute__((packed)) { unsigned char c[3]; struct foo *p; };
    };
};
struct ok {
    unsigned long flags;
    union {
        unsigned long head;
        struct foo *p;
        struct foo *many[1];
        struct foo *grid[1][2];
    };
};
""")
    rule = '[[rule]]\nkind = "tail-bit"\nword = "head"\nbit0_clear = ["x"]\n'
    by_abi = {}
    bad = parse_rules('struct = "s"\n' + rule)
    good_rules = parse_rules('struct = "ok"\n' + rule.replace('bit0_clear = ["x"]\n', ""))
    for abi in ABIS:
        (r,) = check_file(str(hdr), bad, [abi], bad.configs)
        by_abi[abi.name] = r
        (good,) = check_file(str(hdr), good_rules, [abi], good_rules.configs)
        assert good.status == "pass", (abi.name, good.message)
    for name, r in by_abi.items():
        abi = next(a for a in ABIS if a.name == name)
        # x at 8, head at 12 (or 10 where long is 4-aligned... packed: 12),
        # p at 11: on little endian p's byte 1 is head's byte 0
        if abi.big_endian:
            assert r.status == "pass", (name, r.message)
        else:
            assert r.status == "fail" and "p (" in r.message and "bit 0 is not" in r.message, \
                (name, r.message)


def test_overlays_host_that_is_missing_fails_unless_optional(tmp_path):
    """A one_of pad the struct lacks (misspelt, renamed) fails as any
    member a rule names does; listed in optional, it is passed over."""
    hdr = write(tmp_path / "s.h", "struct s { union { long pad1; int x; }; long pad2; };\n")
    rule = '[[rule]]\nkind = "overlays"\nmembers = ["x"]\none_of = ["pad1", "pad2_typo"]\n'
    for text, status in ((rule, "fail"), (rule + 'optional = ["pad2_typo"]\n', "pass")):
        rules = parse_rules('struct = "s"\n' + text)
        (r,) = check_file(str(hdr), rules, [ABIS[0]], rules.configs)
        assert r.status == status, r.message
        if status == "fail":
            assert "no member 'pad2_typo'" in r.message and "pad2" in r.message


def test_no_growth_sees_bit_fields_that_moved_within_their_bytes(tmp_path):
    """keep_offsets compares a bit-field's bits, not only its bytes: lo and
    hi swapped in one byte have both moved."""
    write(tmp_path / "old.h", "struct s { long a; unsigned int lo : 4, hi : 4; };\n")
    hdr = write(tmp_path / "s.h", "struct s { long a; unsigned int hi : 4, lo : 4; };\n")
    rules = parse_rules('struct = "s"\n[[rule]]\nkind = "no-growth"\nbaseline = "old.h"\n'
                        'keep_offsets = ["a", "lo", "hi"]\n', str(tmp_path / "s.rules.toml"))
    for abi in ABIS:
        (r,) = check_file(str(hdr), rules, [abi], rules.configs)
        assert r.status == "fail" and "lo is at offset" in r.message and "bits" in r.message, \
            (abi.name, r.message)
    same = parse_rules('struct = "s"\n[[rule]]\nkind = "no-growth"\nbaseline = "s.h"\n'
                       'keep_offsets = ["a", "lo", "hi"]\n', str(tmp_path / "t.rules.toml"))
    (r,) = check_file(str(hdr), same, [ABIS[0]], same.configs)
    assert r.status == "pass", r.message


def test_align_of_a_member_is_its_own_not_its_types(tmp_path):
    """align with member= measures what __alignof__ of the member gives: a
    packed int is 1-aligned, an aligned(16) int 16-aligned (from a review:
    the type's 4 passed the first and failed the second)."""
    hdr = write(tmp_path / "s.h", "struct s { char c; int p __attribute__((packed)); "
                                  "int x __attribute__((aligned(16))); _Alignas(32) int y; };\n")
    x86 = next(a for a in ABIS if a.name == "x86_64")
    for member, expect, status in (("p", 4, "fail"), ("p", 1, "pass"), ("x", 16, "pass"),
                                   ("y", 32, "pass"), ("x", 4, "fail")):
        rules = parse_rules(f'struct = "s"\n[[rule]]\nkind = "align"\nmember = "{member}"\n'
                            f"expect = {expect}\n")
        (r,) = check_file(str(hdr), rules, [x86], rules.configs)
        assert r.status == status, (member, expect, r.message)


def test_align_of_a_bit_field_member_fails_saying_why(tmp_path):
    """A bit-field has no alignment of its own (GCC refuses __alignof__ of
    one): the rule fails saying so, never measuring 0."""
    hdr = write(tmp_path / "s.h", "struct s { char c; int bf : 3; };\n")
    rules = parse_rules('struct = "s"\n[[rule]]\nkind = "align"\nmember = "bf"\nexpect = 4\n')
    (r,) = check_file(str(hdr), rules, [ABIS[0]], rules.configs)
    assert r.status == "fail" and "is a bit-field, which has no alignment" in r.message
