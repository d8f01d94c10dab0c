"""Layout rules: data (TOML) and the checks that evaluate it."""

from .checks import Result, RuleChecker, check_file, check_static_asserts
from .spec import (KINDS, Config, Rule, RuleSet, find_rules_file, load_rules, load_rules_for,
                   make_config, parse_rules)

__all__ = ["KINDS", "Config", "Rule", "RuleSet", "Result", "RuleChecker", "check_file",
           "check_static_asserts", "find_rules_file", "load_rules", "load_rules_for",
           "make_config", "parse_rules"]
