"""layoutcheck: bit-exact C struct layouts for every Linux ABI.

The public API (see ``layoutcheck.api``):

* ``layout(source, struct, abi, defines)`` -> ``Layout``
* ``load(source, abis, ...)`` -> ``Program`` with ``.layout()``/``.layouts()``
* ``check(paths, ...)`` -> ``CheckReport``: every rule on every ABI and config
* ``diff(old, new, ...)`` -> ``DiffResult``: a change on every ABI and config
* ``verify(paths, ...)`` -> ``VerifyReport``: the engine against the compilers
* ``bit_budgets(paths, ...)`` -> per header, the ``Budget`` of page->flags on
  every ABI and config: each field's bits, the free ones
* ``LayoutError``: input that cannot be read, parsed or laid out
* ``RulesRefusedWarning``: a header's rules file was refused (not applied)
* ``abi_names()``: the ABI names of CONTRACT.md

Names are imported on first use, so that the command line starts fast.
"""

from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    "layout": "api", "load": "api", "Program": "api", "Session": "api",
    "check": "api", "diff": "api", "verify": "api", "bit_budgets": "api", "Options": "options",
    "Layout": "layouts", "MemberLayout": "layouts",
    "LayoutError": "errors", "RulesRefusedWarning": "errors",
    "abi_names": "abi", "get_abi": "abi",
}

__all__ = list(_LAZY) + ["__version__"]


def _lazy_getattr(package: str, table: dict, namespace: dict):
    """A package's ``__getattr__`` importing each name of ``table`` (name
    -> submodule) from its submodule on first use, then keeping it."""
    def __getattr__(name):
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    return __getattr__


__getattr__ = _lazy_getattr(__name__, _LAZY, globals())


def __dir__():
    return sorted(__all__)
