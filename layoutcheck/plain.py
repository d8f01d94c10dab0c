"""Plain data classes, written by hand.

``@dataclass`` writes a class's ``__init__``, ``__repr__`` and ``__eq__``
as text and compiles it with ``exec`` when the module is imported: for
layoutcheck's classes about 15 ms of every run of the command line, which
matters to a pre-commit hook.  These classes write their own ``__init__``
(plain assignments: some are made by the hundred thousand) and take the
rest from a base here, behaving as the dataclass did:

* ``Plain``: a repr like dataclass's (``Name(a=1, b='x')``), equality by
  identity (``eq=False``);
* ``PlainEq``: equal when of the same class with equal fields, compared
  as a tuple; unhashable;
* ``FrozenPlain``: as ``Plain``, read-only (assigning or deleting an
  attribute raises FrozenInstanceError);
* ``Frozen``: as ``PlainEq`` and read-only, hashed by its fields.

A read-only class sets its attributes with ``object.__setattr__``.

Each class names its fields in declaration order (``_fields``), and those
left out of the repr (``_hidden``), of equality (``_uncompared``) and of
``__init__`` (``_noinit``).  A field given a new list or dict per instance
has ``FRESH`` for its default.  ``replace`` and ``field_names`` stand for
``dataclasses.replace`` and ``dataclasses.fields``.
"""

from __future__ import annotations

from operator import attrgetter
from reprlib import recursive_repr
from typing import Any, Callable, ClassVar, Tuple, TypeVar

T = TypeVar("T", bound="Plain")


class FrozenInstanceError(AttributeError):
    """Assigning to or deleting an attribute of a ``Frozen`` instance."""


class _Fresh:
    def __repr__(self) -> str:
        return "FRESH"


# The default of a field given a new list or dict per instance (as
# ``field(default_factory=list)``): ``x = [] if x is FRESH else x``.
FRESH: Any = _Fresh()


def _empty(obj: Any) -> tuple:
    return ()


def _one_tuple(name: str) -> Callable[[Any], tuple]:
    return lambda obj: (getattr(obj, name),)


class Plain:
    __slots__ = ()

    _fields: ClassVar[Tuple[str, ...]] = ()  # every field, in declaration order
    _hidden: ClassVar[Tuple[str, ...]] = ()  # not in the repr (repr=False)
    _uncompared: ClassVar[Tuple[str, ...]] = ()  # not compared or hashed (compare=False)
    _noinit: ClassVar[Tuple[str, ...]] = ()  # not arguments of __init__ (init=False)
    _shown: ClassVar[Tuple[str, ...]] = ()  # the fields the repr shows
    # the compared fields' values as a tuple: _key(obj), not a method
    _key: ClassVar[Any] = staticmethod(_empty)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._shown = tuple(n for n in cls._fields if n not in cls._hidden)
        compared = tuple(n for n in cls._fields if n not in cls._uncompared)
        key: Callable[[Any], tuple]
        if len(compared) > 1:
            key = attrgetter(*compared)  # a tuple for two names or more
        elif compared:
            key = _one_tuple(compared[0])
        else:
            key = _empty
        cls._key = staticmethod(key)

    @recursive_repr()
    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{self.__class__.__qualname__}({shown})"


class PlainEq(Plain):
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._key(self) == self._key(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class FrozenPlain(Plain):
    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


class Frozen(FrozenPlain, PlainEq):
    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]  # PlainEq's is None
        return hash(self._key(self))


def field_names(obj: Any) -> Tuple[str, ...]:
    """The fields of a ``Plain`` class or instance, in declaration order."""
    return obj._fields


def replace(obj: T, **changes: Any) -> T:
    """A new instance of ``obj``'s class with the same fields but those
    ``changes`` gives (as ``dataclasses.replace``: made by ``__init__``)."""
    for name in obj._noinit:
        if name in changes:
            raise ValueError(f"field {name} is declared with init=False, it cannot be specified with replace()")
    for name in obj._fields:
        if name not in obj._noinit and name not in changes:
            changes[name] = getattr(obj, name)
    return obj.__class__(**changes)
