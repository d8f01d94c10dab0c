"""Layout rules: data (TOML) and the checks that evaluate it.

Names are imported on first use: reading a rules file (``spec``) does not
need the checks, nor the layout engine they use."""

from .. import _lazy_getattr

_LAZY = {name: "checks" for name in (
    "FAIL", "NOT_APPLIED", "PASS", "Result", "RuleChecker", "check_file", "check_program",
    "check_static_asserts", "unselected_rules")}
_LAZY.update({name: "spec" for name in (
    "KINDS", "Config", "Discovery", "Rule", "RuleSet", "discover_rules", "find_rules_file",
    "load_rules", "load_rules_for", "make_config", "parse_rules", "untrusted")})

__all__ = sorted(_LAZY)


__getattr__ = _lazy_getattr(__name__, _LAZY, globals())


def __dir__():
    return list(__all__)
