"""The two contracts every data backend keeps: a :class:`Sample` and :class:`ObservationsLike`.

The estimators never ask where the values are. They read reductions from a :class:`Sample`
(weighted means of functions of the values, moments, quantiles), which
:class:`klmodels.statistics.WeightedSample` computes in memory and
:class:`klmodels.scaleout.DaskSample` computes as one pass over a Dask cluster's partitions; and
they read :class:`ObservationsLike` (what was observed, how it was counted), which
:class:`klmodels.Observations` and :class:`klmodels.scaleout.DaskObservations` implement. A new
backend implements these two protocols; the type checker holds both implementations to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["ObservationsLike", "Quantities", "Sample"]

Quantities = Mapping[Any, np.ndarray] | Iterable[tuple[Any, np.ndarray]]
"""Per-value arrays by name that a reduction sums or averages together (one pass for all of them):
a dict, or ``(name, values)`` pairs produced one at a time."""


@runtime_checkable
class Sample(Protocol):
    r"""Weighted values :math:`x_i` with weights :math:`w_i` (1 when unweighted), seen through reductions.

    Every statistic is a weighted mean :math:`\sum_i w_i f(x_i) / \sum_i w_i` or is computed
    exactly from such means and the order of the values (quantiles).
    """

    def average(self, f: Callable[[np.ndarray], np.ndarray]) -> float:
        """Weighted mean of ``f(x)``."""
        ...

    def average_many(self, f: Callable[[np.ndarray], Quantities]) -> dict[Any, float]:
        """Weighted means of several per-value quantities, in one pass."""
        ...

    def sum_many(self, f: Callable[[np.ndarray], Quantities]) -> dict[Any, float]:
        """Weighted sums of several per-value quantities, in one pass."""
        ...

    def first_where(self, condition: Callable[[np.ndarray], np.ndarray]) -> float:
        """The first value (in storage order) where ``condition`` holds, NaN if none."""
        ...

    def histogram(self, edges: np.ndarray) -> np.ndarray:
        """Weighted counts between consecutive ``edges``."""
        ...

    def affine(self, shift: float = 0.0, scale: float = 1.0, sign: float = 1.0) -> Sample:
        r"""The sample :math:`(\text{sign}\cdot x - \text{shift}) / \text{scale}`."""
        ...

    def transformed_by(self, f: Callable[[np.ndarray], np.ndarray]) -> Sample:
        """The sample :math:`f(x)`."""
        ...

    def example(self, size: int = 10_000) -> np.ndarray:
        """Up to ``size`` values (for starting values)."""
        ...

    def quantile(self, q: float) -> float:
        """The weighted ``q`` quantile."""
        ...

    @property
    def min(self) -> float:
        """Smallest value."""
        ...

    @property
    def max(self) -> float:
        """Largest value."""
        ...

    @property
    def mean(self) -> float:
        """Weighted mean."""
        ...

    @property
    def var(self) -> float:
        """Weighted variance (divisor n)."""
        ...

    @property
    def sd(self) -> float:
        """Square root of the variance."""
        ...

    @property
    def mean_sq(self) -> float:
        """Weighted mean of x squared."""
        ...

    @property
    def mean_log(self) -> float:
        """Weighted mean of ln x."""
        ...

    @property
    def var_log(self) -> float:
        """Weighted variance of ln x."""
        ...

    @property
    def mean_log1m(self) -> float:
        """Weighted mean of ln(1 - x)."""
        ...

    @property
    def mean_inv(self) -> float:
        """Weighted mean of 1/x."""
        ...

    @property
    def median(self) -> float:
        """Weighted median."""
        ...

    @property
    def skew(self) -> float:
        """Sample skewness."""
        ...

    @property
    def excess_kurtosis(self) -> float:
        """Sample excess kurtosis."""
        ...


@runtime_checkable
class ObservationsLike(Protocol):
    """Validated one-dimensional observations: what estimators, scores and entropies read.

    ``n_obs`` is the number of observations behind relative frequencies (None when unknown);
    ``in_memory`` says whether :attr:`values` and friends are available or stay on a cluster.
    """

    @property
    def n_obs(self) -> float | None:
        """The number of observations behind relative frequencies (None when unknown)."""
        ...

    @property
    def in_memory(self) -> bool:
        """Whether the values are in memory (False: they stay on a cluster)."""
        ...

    @property
    def name(self) -> str | None:
        """The data's name (a Series' name), if any."""
        ...

    @property
    def size(self) -> int:
        """The number of stored values (distinct values with weights, or raw values)."""
        ...

    @property
    def integer_valued(self) -> bool:
        """Whether every value is a whole number."""
        ...

    @property
    def local(self) -> ObservationsLike:
        """The observations in memory: these themselves, or a cluster's random sample."""
        ...

    @property
    def passes(self) -> int:
        """Passes over the data so far (0 in memory, where they are not counted)."""
        ...

    @property
    def bytes_per_pass(self) -> list[int]:
        """Bytes moved to the client in each pass so far (empty in memory)."""
        ...

    def distinct(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct values and their total probabilities."""
        ...

    def sample_for(self, kind: str) -> Any:
        """Where a model of this kind is evaluated (distinct values for a pmf, else the sample)."""
        ...

    def thinned(self, size: int) -> ObservationsLike:
        """About ``size`` observations spread over the data, in memory (for a first fit)."""
        ...

    def affine(self, shift: float, scale: float) -> ObservationsLike:
        r"""The observations :math:`(x - \text{shift}) / \text{scale}`."""
        ...

    def prepare(self) -> None:
        """Compute what every family reads first, before families are fitted in parallel."""
        ...

    def shared_passes(self) -> AbstractContextManager[None]:
        """A context in which this thread's passes merge with other fitting threads'."""
        ...

    @property
    def sample(self) -> Any:
        """The values and their weights as a :class:`Sample`."""
        ...

    @property
    def values(self) -> np.ndarray:
        """The values (in memory only)."""
        ...

    @property
    def weights(self) -> np.ndarray | None:
        """The weights, None when every value counts once (in memory only)."""
        ...

    @property
    def probabilities(self) -> np.ndarray:
        """Each value's share of the total weight (in memory only)."""
        ...

    @property
    def has_counts(self) -> bool:
        """Whether the weights are whole-number counts."""
        ...

    @property
    def min(self) -> float:
        """Smallest value."""
        ...

    @property
    def max(self) -> float:
        """Largest value."""
        ...

    def plugin_entropy_nats(self) -> float:
        """The plug-in entropy of the values' relative frequencies, in nats."""
        ...

    def differential_entropy_nats(self) -> tuple[float, str]:
        """The estimated differential entropy of the values, in nats, and a note."""
        ...
