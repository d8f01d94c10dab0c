"""layoutcheck: bit-exact C struct layouts for every Linux ABI.

The public API (see ``layoutcheck.api``):

* ``layout(source, struct, abi, defines)`` -> ``Layout``
* ``load(source, abis, ...)`` -> ``Program`` with ``.layout()``/``.layouts()``
* ``LayoutError``: input that cannot be read, parsed or laid out
* ``abi_names()``: the ABI names of CONTRACT.md
"""

from .abi import abi_names, get_abi
from .api import Program, Session, layout, load
from .errors import LayoutError
from .layout import Layout, MemberLayout

__version__ = "0.1.0"

__all__ = ["layout", "load", "Program", "Session", "Layout", "MemberLayout",
           "LayoutError", "abi_names", "get_abi", "__version__"]
