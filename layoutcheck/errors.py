"""The one exception type users catch, always carrying a source location."""

from __future__ import annotations

from typing import Optional


class LayoutError(Exception):
    """Input that could not be read, parsed or laid out.

    ``where`` is ``file:line:column`` (or as much of it as is known); the
    message names the construct.  The command line prints ``where: message``
    and exits with status 2.
    """

    def __init__(self, message: str, where: Optional[str] = None):
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


def where_of(coord) -> Optional[str]:
    """Format a pycparser Coord (or None) as file:line:column."""
    if coord is None:
        return None
    text = f"{coord.file}:{coord.line}"
    if getattr(coord, "column", None) is not None:
        text += f":{coord.column}"
    return text


def first_error_line(output: str, fallback: str = "") -> str:
    """The first line of a compiler's or make's output that reports an
    error (stripped), else ``fallback``, else the output's first 500
    characters: what a LayoutError quotes from a failed tool."""
    for line in output.splitlines():
        if "error" in line.lower():
            return line.strip()
    return fallback or output.strip()[:500]


class RulesRefusedWarning(UserWarning):
    """A header's rules file was found and refused (owned by someone else,
    or writable by others): its ``abi_defines`` were not applied, so the
    layouts are those of the header without them.  The command line says
    so on stderr; the library warns with this."""
