"""How a continuous family is estimated: what it declares, and the one function that chooses.

A family declares three things (class attributes of
:class:`~klmodels.family.continuous._Continuous`):

============================  =====================================================================
``exact_free``                the free parameters its exact estimator (``_fast``) solves for, on
                              canonical data (loc = 0 for families that start at loc)
``exact_cost``                what that estimator costs: ``"closed form"`` (O(1) passes: from the
                              sample's moments), ``"root"`` (a root search, one pass per step),
                              ``"root in memory"`` (a root search cheap enough in memory to beat
                              the subsample path there, but not on a cluster), or ``"none"``
``support_kind``,             where the support is (``real``, ``lower``, ``upper``, ``interval``)
``decreasing_from_loc``       and whether the density is finite and decreasing away from loc
============================  =====================================================================

:func:`choose` turns that and the data (in memory or not, how many raw values) into one of the
:data:`Path` values below; :meth:`_Continuous._estimate` only carries the chosen path out.

===========================  =======================================================================
``"nothing free"``           every parameter is fixed: nothing to estimate
``"edge, then the rest"``    density decreasing from loc: loc is the data's edge, then estimate the
                             rest with loc fixed there
``"exact"``                  the family's own estimator, on all the data
``"subsample, then polish"`` iterate on an evenly strided subsample (2,000 to 20,000 values), carry
                             it through larger stages, finish with Newton steps on all the data
``"profile loc"``            maximise the exact estimator's profile likelihood over loc
``"profile ends"``           the same over both ends of an interval support
``"numerical"``              quasi-Newton on the log-likelihood from moment-based starts
===========================  =======================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["LARGE_SAMPLE", "ExactCost", "Path", "Traits", "choose", "choose_iterative"]

ExactCost = Literal["closed form", "root", "root in memory", "none"]
Path = Literal[
    "nothing free",
    "edge, then the rest",
    "exact",
    "subsample, then polish",
    "profile loc",
    "profile ends",
    "numerical",
]

LARGE_SAMPLE = 50_000
"""Above this many raw (unweighted) values, iterative estimators start on a subsample."""


@dataclass(frozen=True)
class Traits:
    """What a continuous family declares about its estimation (see the module docstring)."""

    exact_free: frozenset[str]
    exact_cost: ExactCost
    support_kind: str
    decreasing_from_loc: bool = False


def choose(
    traits: Traits, free: frozenset[str], *, in_memory: bool, weighted: bool, size: int
) -> Path:
    """The estimation path for a family with ``traits`` and ``free`` parameters on these data.

    Parameters
    ----------
    traits
        What the family declares.
    free
        The names of the parameters to estimate.
    in_memory
        Whether the values are in memory (False: on a Dask cluster, where every pass reads them).
    weighted
        Whether the values carry weights (counts or probabilities): then they are already few.
    size
        The number of stored values.
    """
    if not free:
        return "nothing free"
    exact = traits.exact_cost != "none" and bool(traits.exact_free)
    one_sided = traits.support_kind in ("lower", "upper")
    if exact and traits.decreasing_from_loc and one_sided and free == traits.exact_free | {"loc"}:
        return "edge, then the rest"
    if exact and free == traits.exact_free:
        if traits.exact_cost == "closed form":
            return "exact"
        if traits.exact_cost == "root in memory" and in_memory:
            return "exact"
    if not in_memory or (not weighted and size > LARGE_SAMPLE):
        return "subsample, then polish"
    return choose_iterative(traits, free)


def choose_iterative(traits: Traits, free: frozenset[str]) -> Path:
    """The path on data small enough to iterate on all of them (or on a subsample of larger data)."""
    exact = traits.exact_cost != "none" and bool(traits.exact_free)
    if exact and free == traits.exact_free:
        return "exact"
    if exact and free == traits.exact_free | {"loc"} and traits.support_kind in ("lower", "upper"):
        return "profile loc"
    if exact and free == traits.exact_free | {"loc", "scale"} and traits.support_kind == "interval":
        return "profile ends"
    return "numerical"
