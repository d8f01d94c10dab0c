"""C spellings of model types, as GCC prints them in diagnostics.

``struct list_head *``, ``char[16]``, ``void (*)(int)``: typedef names are
kept as written and anonymous records print as ``struct {...}``.  Array
dimensions are evaluated for an ABI when an engine is given (a dimension
written as ``sizeof(long)`` differs between ABIs), and so is
``typeof(expression)``, which GCC prints as the type it stands for.
"""

from __future__ import annotations

from typing import Optional

from . import expr as E
from .errors import LayoutError
from .model import (
    Aligned,
    Array,
    CType,
    Enum,
    Function,
    Pointer,
    Qualified,
    Record,
    Scalar,
    Typedef,
    TypeofExpr,
    Void,
)


def _strip_aligned(t: CType) -> CType:
    while isinstance(t, Aligned):
        t = t.base
    return t


def _is_array_or_function(t: CType) -> bool:
    t = _strip_aligned(t)
    if isinstance(t, Qualified):
        t = _strip_aligned(t.base)
    return isinstance(t, (Array, Function))


def _dim_text(t: Array, engine) -> str:
    if t.dim is None:
        return ""
    if isinstance(t.dim, E.IntLit):
        return str(t.dim.value)
    if engine is not None:
        try:
            return str(engine.ev.integer(t.dim))
        except RecursionError:
            raise  # no answer about the dimension: the caller's stack ran out
        except Exception:
            pass
    return "?"


def _specifier(t: CType) -> str:
    if isinstance(t, Typedef):
        return t.name
    if isinstance(t, Scalar):
        return t.spelling
    if isinstance(t, Void):
        return "void"
    if isinstance(t, Record):
        return f"{t.kind} {t.tag}" if t.tag else f"{t.kind} {{...}}"
    if isinstance(t, Enum):
        return f"enum {t.tag}" if t.tag else "enum {...}"
    if isinstance(t, TypeofExpr):
        return "typeof(...)"
    return repr(t)


def _render(t: CType, inner: str, engine) -> str:
    t = _strip_aligned(t)
    if isinstance(t, TypeofExpr) and engine is not None:
        try:
            t = _strip_aligned(engine.ev.type_of(t.expr))
        except LayoutError:
            pass  # stays typeof(...)
    if isinstance(t, Pointer):
        new = "*" + inner
        if _is_array_or_function(t.target):
            new = "(" + new + ")"
        return _render(t.target, new, engine)
    if isinstance(t, Qualified):
        base = _strip_aligned(t.base)
        quals = " ".join(t.quals)
        if isinstance(base, Pointer):
            return _render(base, quals + (" " + inner if inner else ""), engine)
        if isinstance(base, Array):
            # qualifiers of an array type are its elements' (C11 6.7.3p9)
            return _render(Array(Qualified(base.elem, t.quals), base.dim), inner, engine)
        if isinstance(base, Function):
            return _render(base, inner, engine)  # (GCC drops them, with a warning)
        return quals + " " + _render(base, inner, engine)
    if isinstance(t, Array):
        return _render(t.elem, inner + "[" + _dim_text(t, engine) + "]", engine)
    if isinstance(t, Function):
        return _render(t.ret, inner + "(" + _params_text(t, engine) + ")", engine)
    spec = _specifier(t)
    if not inner:
        return spec
    if inner.startswith("["):
        return spec + inner
    return spec + " " + inner


def _params_text(t: Function, engine) -> str:
    """A prototype's parameter types as the function's type has them (an
    array or a function parameter is a pointer, a parameter's own
    qualifiers are not the type's); nothing for ``f()``."""
    if t.params is None:
        return ""
    if not t.params:
        return "void"
    out = []
    for p in t.params:
        core, quals = p, ()  # what the parameter's type is, through typedefs
        while isinstance(core, (Aligned, Qualified, Typedef)):
            if isinstance(core, Qualified):
                quals += core.quals
            core = core.target if isinstance(core, Typedef) else core.base
        if isinstance(core, Array):
            elem = core.elem
            p = Pointer(Qualified(elem, quals) if quals else elem)
        elif isinstance(core, Function):
            p = Pointer(core)
        else:
            p = _strip_aligned(p)
            if isinstance(p, Qualified):
                p = _strip_aligned(p.base)
        out.append(_render(p, "", engine))
    return ", ".join(out) + (", ..." if t.variadic else "")


def type_name(t: CType, engine: Optional[object] = None) -> str:
    """The C spelling of a type (abstract declarator form)."""
    return _render(t, "", engine)


def declaration(t: CType, name: str, engine: Optional[object] = None) -> str:
    """The C declaration of ``name`` with type ``t`` (``int (*f[2])(int)``)."""
    return _render(t, name, engine)
