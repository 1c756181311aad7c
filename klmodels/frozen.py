"""A read-only mapping that pickles: what results expose as parameters and fits.

``types.MappingProxyType`` cannot be pickled, so results holding one could not cross a process
boundary (multiprocessing, joblib) or be cached; :class:`FrozenMapping` can.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

__all__ = ["FrozenMapping", "kept_as_is", "plain"]

K = TypeVar("K")
V = TypeVar("V")


class FrozenMapping(Mapping[K, V]):
    """An immutable, picklable mapping (a copy of what it was built from)."""

    __slots__ = ("_data",)
    _data: dict[K, V]

    def __init__(self, data: Mapping[K, V] | None = None):
        object.__setattr__(self, "_data", dict(data or {}))

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a FrozenMapping cannot be changed; copy it with dict(...)")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._data,))

    def __repr__(self) -> str:
        return repr(self._data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))


def kept_as_is(mapping: Mapping[Any, Any]) -> bool:
    """Whether results keep ``mapping`` as it is instead of copying it.

    True for an immutable table that says so (``immutable = True``), such as the empirical
    model's shares: a parameter per distinct value, millions of them on large counts.
    """
    return bool(getattr(mapping, "immutable", False))


def plain(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    """The dict behind a :class:`FrozenMapping` (to merge at C speed; not to be changed), or the mapping."""
    return mapping._data if isinstance(mapping, FrozenMapping) else mapping
