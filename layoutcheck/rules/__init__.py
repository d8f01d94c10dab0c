"""Layout rules: data (TOML) and the checks that evaluate it."""

from .checks import (FAIL, NOT_APPLIED, PASS, Result, RuleChecker, check_file, check_program,
                     check_static_asserts, unselected_rules)
from .spec import (KINDS, Config, Discovery, Rule, RuleSet, discover_rules, find_rules_file,
                   load_rules, load_rules_for, make_config, parse_rules, untrusted)

__all__ = ["KINDS", "Config", "Discovery", "FAIL", "NOT_APPLIED", "PASS", "Rule", "RuleSet",
           "Result", "RuleChecker", "check_file", "check_program", "check_static_asserts",
           "discover_rules", "find_rules_file", "load_rules", "load_rules_for", "make_config",
           "parse_rules", "unselected_rules", "untrusted"]
