"""Reading the values of a rules file: sizes in words, lists of names.

Shared by ``spec`` (the file's structure), ``kinds`` (each kind's
parameters) and ``checks`` (sizes resolved on one ABI).
"""

from __future__ import annotations

import re
from typing import Any, List

from ..errors import LayoutError

_WORD = re.compile(r"^\s*(\d+)?\s*\*?\s*words?\s*$")

# Every ABI's word (sizeof(unsigned long)) is 4 or 8: a size spec is
# validated for both.
WORDS = (4, 8)


def size_value(spec: Any, word: int, where: str) -> int:
    """An int, or "word", "2*word", "5 words": word = sizeof(unsigned long)."""
    if isinstance(spec, bool):
        raise LayoutError(f"{where}: expected a size, got {spec!r}")
    if isinstance(spec, int):
        return spec
    if isinstance(spec, str):
        m = _WORD.match(spec)
        try:
            if m:
                return int(m.group(1) or 1) * word
            if spec.strip().isascii() and spec.strip().isdigit():
                return int(spec)
        except ValueError:  # more digits than int() takes
            raise LayoutError(f"{where}: cannot read size {spec[:40]!r}... (too many digits)") from None
    raise LayoutError(f"{where}: cannot read size {spec!r} (use a number or 'N*word')")


def listify(value: Any) -> List[str]:
    """A name-list value (None, a string or a list) as a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def name_list(value: Any, key: str, label: str, what: str = "members") -> List[str]:
    """A name-list key: a string or a list of non-empty strings."""
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        raise LayoutError(f"{label}: '{key}' is an empty list")
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise LayoutError(f"{label}: '{key}' must name {what} as strings, got {item!r}")
    return list(items)
