"""Output has one home: one module per command, each with its formats.

* ``show``: pahole-like text and the JSON of docs/CONTRACT.md.

Commands parse arguments, make one library call and hand the result to
one of these renderers; nothing here computes a layout or a verdict.
"""

from .show import render_json, render_text

__all__ = ["render_json", "render_text"]
