"""The registry of families: a mapping from scipy's names to :class:`~klmodels.family.base.Family`.

``klmodels.families`` is the built-in registry and is read-only, so that no import or user
code can change what another part of a program gets. Make your own with
``registry = klmodels.families.copy()`` and ``registry.register(my_family)``, then pass
``registry=registry`` (or the family object itself) to :func:`klmodels.fit` and
:func:`klmodels.compare`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pandas as pd

from klmodels.errors import ParameterError, ReadOnlyRegistryError, UnknownFamilyError
from klmodels.family.base import Family, FrozenModel, Kind
from klmodels.family.continuous import continuous_families
from klmodels.family.discrete import discrete_families
from klmodels.family.finite import FiniteMixture, mixture_families
from klmodels.family.generic import GenericScipyFamily, scipy_distribution
from klmodels.family.inflated import inflated_families

__all__ = ["Candidate", "Mixture", "Registry", "check_registry", "default_registry", "resolve"]

Candidate = str | Family | Any
"""What may name a model: a registry name, a Family, or a frozen scipy distribution."""


class Registry(Mapping[str, Family]):
    """A mapping from family names to families.

    Parameters
    ----------
    families
        The families to start with, registered under their ``name``.
    read_only
        If True, :meth:`register` and :meth:`unregister` raise ReadOnlyRegistryError.
    """

    def __init__(self, families: Iterable[Family] = (), *, read_only: bool = False):
        self._families: dict[str, Family] = {}
        self._read_only = False
        for family in families:
            self.register(family)
        self._read_only = read_only

    def __getitem__(self, name: str) -> Family:
        try:
            return self._families[name]
        except (KeyError, TypeError):
            raise UnknownFamilyError(name, self._families) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._families)

    def __len__(self) -> int:
        return len(self._families)

    def _check_writable(self) -> None:
        if self._read_only:
            raise ReadOnlyRegistryError(
                "klmodels.families is read-only, so no code can change it for everyone else. "
                "Make your own copy: registry = klmodels.families.copy(); registry.register(family)"
            )

    def register(self, family: Family, *, replace: bool = False) -> Family:
        """Add a family under its name and return it.

        Parameters
        ----------
        family
            A :class:`~klmodels.family.base.Family` (e.g. a CustomFamily).
        replace
            Allow replacing a family registered under the same name.

        Raises
        ------
        ReadOnlyRegistryError
            On the built-in registry.
        ParameterError
            If ``family`` is not a Family, or its name is taken and ``replace`` is False.
        """
        self._check_writable()
        if not isinstance(family, Family):
            raise ParameterError(
                f"only Family objects can be registered; got {type(family).__name__}. "
                "Wrap a pmf in klmodels.CustomFamily(...) first."
            )
        if family.name in self._families and not replace:
            raise ParameterError(
                f"a family named {family.name!r} is already registered; pass replace=True to replace it"
            )
        self._families[family.name] = family
        return family

    def unregister(self, name: str) -> Family:
        """Remove and return the family called ``name``."""
        self._check_writable()
        family = self[name]
        del self._families[name]
        return family

    def copy(self) -> Registry:
        """A writable registry with the same families."""
        return Registry(self._families.values())

    def names(self, kind: Kind | None = None) -> list[str]:
        """Registered names, optionally only those of one kind (``"discrete"``, ``"continuous"``)."""
        if kind not in (None, "discrete", "continuous"):
            raise ParameterError(f"kind must be 'discrete', 'continuous' or None; got {kind!r}")
        return [name for name, f in self._families.items() if kind is None or f.kind == kind]

    def to_frame(self, kind: Kind | None = None) -> pd.DataFrame:
        """One row per family: kind, parameters, parameters fixed by default, and what it models."""
        rows = [
            {
                "family": name,
                "kind": self._families[name].kind,
                "parameters": ", ".join(self._families[name].param_names),
                "fixed_by_default": ", ".join(
                    f"{k}={v:g}" for k, v in self._families[name].default_fixed.items()
                ),
                "summary": self._families[name].summary,
            }
            for name in self.names(kind)
        ]
        columns = ["family", "kind", "parameters", "fixed_by_default", "summary"]
        return pd.DataFrame(rows, columns=columns).set_index("family")

    def __repr__(self) -> str:
        state = "read-only " if self._read_only else ""
        return f"<{state}Registry of {len(self)} families: {', '.join(self._families)}>"


_DISCRETE = discrete_families()
_CONTINUOUS = continuous_families()
default_registry = Registry(
    [
        *_DISCRETE,
        *_CONTINUOUS,
        *inflated_families({f.name: f for f in _DISCRETE}),
        *mixture_families({f.name: f for f in [*_DISCRETE, *_CONTINUOUS]}),
    ],
    read_only=True,
)
"""Every built-in family under scipy's name (read-only); ``klmodels.families``."""


def check_registry(registry: Any) -> Mapping[str, Family]:
    """The registry to look names up in: ``None`` for the built-in one, else a Registry or mapping of Families.

    Raises
    ------
    ParameterError
        For anything else (a dict of non-families, a list, a string).
    """
    if registry is None:
        return default_registry
    if isinstance(registry, Registry):
        return registry
    if isinstance(registry, Mapping) and all(
        isinstance(k, str) and isinstance(v, Family) for k, v in registry.items()
    ):
        return registry
    raise ParameterError(
        "registry must be a klmodels Registry (e.g. klm.families.copy()) or a mapping from names "
        f"to Family objects; got {type(registry).__name__}"
    )


def resolve(candidate: Candidate, registry: Mapping[str, Family]) -> Family:
    """Turn a candidate into a Family: a registry name, a Family, or a frozen scipy distribution.

    A name that the registry does not know but ``scipy.stats`` does (e.g. ``"burr12"``) gets the
    generic adapter (:class:`~klmodels.family.generic.GenericScipyFamily`); ``"mix4:t"`` and
    ``"mix:norm+gamma"`` build a :class:`~klmodels.family.finite.Mixture`.

    Raises
    ------
    UnknownFamilyError
        For a name the registry does not know.
    ParameterError
        For anything else that is not a model.
    """
    if isinstance(candidate, Family):
        return candidate
    if isinstance(candidate, str):
        if candidate not in registry and scipy_distribution(candidate) is not None:
            return GenericScipyFamily(candidate)
        if candidate not in registry and candidate.startswith("mix"):
            mixture = _mixture_by_name(candidate, registry)
            if mixture is not None:
                return mixture
        return registry[candidate]
    if hasattr(candidate, "dist") and hasattr(candidate, "args"):
        return FrozenModel(candidate)
    raise ParameterError(
        f"a candidate model must be a family name (e.g. 'binom'), a Family, or a frozen scipy.stats "
        f"distribution (e.g. scipy.stats.binom(10, 0.5)); got {type(candidate).__name__}: {candidate!r}"
    )


def _mixture_by_name(name: str, registry: Mapping[str, Family]) -> Family | None:
    """``mixK:base`` (K >= 2 copies of one family) or ``mix:a+b+...``; None for other names."""
    head, _, tail = name.partition(":")
    if not tail:
        return None
    if head == "mix":
        return FiniteMixture([resolve(part, registry) for part in tail.split("+")])
    count = head.removeprefix("mix")
    if count.isdigit():
        return FiniteMixture(resolve(tail, registry), int(count))
    return None


class Mixture(FiniteMixture):
    """A finite mixture of families given by name or as Family objects (see :mod:`klmodels.family.finite`).

    ``klm.Mixture("norm", 2)`` is ``mix2:norm``; ``klm.Mixture(["norm", "gamma"])`` is
    ``mix:norm+gamma``. Names are looked up in ``registry`` (default :data:`klmodels.families`;
    any ``scipy.stats`` name works through the generic adapter).

    Raises
    ------
    ParameterError
        As :class:`~klmodels.family.finite.FiniteMixture`.
    UnknownFamilyError
        For a name neither the registry nor scipy knows.
    """

    def __init__(
        self,
        components: Candidate | Iterable[Candidate],
        k: int | None = None,
        *,
        registry: Mapping[str, Family] | None = None,
    ):
        table = check_registry(registry)
        if isinstance(components, str | Family):
            super().__init__(resolve(components, table), k)
        else:
            super().__init__([resolve(c, table) for c in components], k)
