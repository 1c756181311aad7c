"""Turn what users hold (lists, arrays, pandas Series, values with counts) into one validated type.

:class:`Observations` is what every fitting and scoring function works on. It stores values
and optional non-negative weights; integer-valued raw samples are compressed to their
distinct values and counts on the way in, so that a million raw integers cost no more than
their value counts in everything that follows.

Weights mean one of two things, decided by whether they are whole numbers:

- **counts** (every weight an integer): they give the number of observations,
  ``n_obs = sum(weights)``.
- **relative frequencies** (any other non-negative weights, e.g. probabilities): they give
  the shape of the distribution but not how many observations stand behind it, so
  ``n_obs`` is ``None`` unless passed. KL divergence and cross-entropy need no ``n_obs``;
  log-likelihood, AIC, AICc and BIC do.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast, overload

import numpy as np
import pandas as pd

from klmodels.entropy_estimators import differential_entropy_nats
from klmodels.errors import DataError, ParameterError
from klmodels.protocols import ObservationsLike, Sample
from klmodels.statistics import WeightedSample, run_starts

__all__ = ["NanPolicy", "Observations"]

NanPolicy = Literal["raise", "omit"]

# Integer data whose range is at most this many times its length (plus a constant) is
# counted with np.bincount (O(n)); wider ranges fall back to np.unique (O(n log n)).
_BINCOUNT_RANGE_FACTOR = 4
_BINCOUNT_RANGE_SLACK = 1_000_000
_MAX_EXACT_INTEGER = 2.0**53


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def _describe(x: Any) -> str:
    return type(x).__name__ if not hasattr(x, "dtype") else f"{type(x).__name__} of dtype {x.dtype}"


def _numeric_array(x: Any, what: str) -> np.ndarray:
    """Return ``x`` as a new 1-D float64 array (NaN for missing values) or raise DataError."""
    if isinstance(x, pd.DataFrame):
        raise DataError(
            f"{what} must be one column, not a DataFrame with columns {list(x.columns)[:5]}. "
            "Pass df['column'], or use df.kl.compare('column')."
        )
    if x is None:
        raise DataError(f"{what} is None; give a sequence of numbers (a list, array or Series)")
    if isinstance(x, (str, bytes)):
        raise DataError(f"{what} must be numbers; got the string {x!r}")
    if isinstance(x, (set, frozenset)):
        raise DataError(
            f"{what} is a set, which keeps each value once and so loses how often it occurred; "
            "pass a list or an array of all the observations"
        )
    if isinstance(x, np.ma.MaskedArray):
        x = np.ma.filled(x.astype(np.float64), np.nan)  # masked entries are missing values
    elif isinstance(x, Iterator):
        x = list(x)  # a generator of observations
    if isinstance(x, (pd.Series, pd.Index)):
        dtype = x.dtype
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            example = next((v for v in x if not pd.isna(v)), None)
            hint = (
                " Convert it first, e.g. s.astype(float)."
                if isinstance(dtype, pd.CategoricalDtype)
                else ""
            )
            raise DataError(
                f"{what} must be numeric or boolean; got dtype {dtype!s} (e.g. {example!r}).{hint}"
            )
        if pd.api.types.is_complex_dtype(dtype):
            raise DataError(f"{what} must be real numbers; got complex dtype {dtype}")
        return np.array(x.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    try:
        arr = np.asarray(x)
    except ValueError:
        raise DataError(
            f"{what} must be a flat sequence of numbers; got nested sequences of different lengths"
        ) from None
    if arr.dtype.kind == "O":
        kind = pd.api.types.infer_dtype(arr.ravel(), skipna=True)
        if kind not in {
            "integer",
            "floating",
            "mixed-integer-float",
            "boolean",
            "decimal",
            "empty",
        }:
            numbers = (int, float, np.integer, np.floating, bool, np.bool_)
            example = next(
                (v for v in arr.ravel() if not isinstance(v, numbers) and not pd.isna(v)),
                next((v for v in arr.ravel() if not pd.isna(v)), None),
            )
            raise DataError(f"{what} must be numbers; got {kind} values such as {example!r}")
        arr = pd.Series(arr.ravel()).to_numpy(dtype=np.float64, na_value=np.nan).reshape(arr.shape)
    elif arr.dtype.kind in "US":
        example = str(arr.ravel()[0]) if arr.size else ""
        raise DataError(
            f"{what} must be numbers; got strings such as {example!r}. "
            "Convert them first, e.g. pandas.to_numeric(...)"
        )
    elif arr.dtype.kind == "c":
        raise DataError(f"{what} must be real numbers; got complex values ({_describe(arr)})")
    elif arr.dtype.kind not in "biuf":
        raise DataError(f"{what} must be numbers; got {_describe(arr)}")
    if arr.ndim == 0:
        raise DataError(
            f"{what} must be a sequence of observations; got the single value {arr.item()!r}"
        )
    if arr.ndim != 1:
        raise DataError(f"{what} must be one-dimensional; got an array of shape {arr.shape}")
    return np.array(arr, dtype=np.float64)


def _value_counts(values: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct integer values (sorted) and their total weight, in O(n) when the range allows."""
    low, high = values.min(), values.max()
    span = high - low
    if span <= _BINCOUNT_RANGE_FACTOR * values.size + _BINCOUNT_RANGE_SLACK:
        offsets = (values - low).astype(np.int64)
        totals = np.bincount(offsets, weights=weights, minlength=int(span) + 1)
        present = np.flatnonzero(totals)
        return present.astype(np.float64) + low, totals[present].astype(np.float64)
    # hashing (O(n)), then sorting only the distinct values: np.unique would sort all n values
    codes, uniques = pd.factorize(values, sort=False)
    totals = np.bincount(codes, weights=weights, minlength=uniques.size).astype(np.float64)
    order = np.argsort(uniques, kind="stable")
    distinct, totals = np.asarray(uniques, dtype=np.float64)[order], totals[order]
    keep = totals > 0
    return distinct[keep], totals[keep]


_MAX_N_OBS = 2.0**53


def checked_n_obs(n_obs: Any) -> float | None:
    """``n_obs`` as a float, or None; a ParameterError unless it is a positive finite number.

    At most 2**53 (9.0e15): beyond, counts are not exact in floating point and a
    log-likelihood of n_obs times the mean would overflow for ordinary data.
    """
    if n_obs is None:
        return None
    if isinstance(n_obs, (str, bytes)):
        raise ParameterError(
            f"n_obs must be a number of observations, not a string; got {n_obs!r}. "
            "Convert it first, e.g. n_obs=int(value)"
        )
    try:
        value = float(n_obs) if not isinstance(n_obs, (bool, np.bool_)) else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if not (np.ndim(n_obs) == 0 and math.isfinite(value) and 0 < value <= _MAX_N_OBS):
        raise ParameterError(
            f"n_obs must be a positive number of observations; got {n_obs!r} (the largest allowed is "
            f"{_MAX_N_OBS:.2g})"
        )
    return value


def is_dask_collection(obj: Any) -> bool:
    """Whether ``obj`` is a Dask collection (Series, DataFrame, Array), without importing Dask."""
    module = type(obj).__module__
    return module == "dask" or module.startswith("dask.")


DaskBackend = Callable[..., ObservationsLike]
_dask_backend: list[DaskBackend] = []


def register_dask_backend(build: DaskBackend) -> None:
    """Say how Dask collections become observations (done once, by ``klmodels/__init__``).

    ``build(data, weights, *, n_obs, nan_policy, name)`` returns observations that stay on the
    cluster. This module never imports the Dask layer itself: the package root wires it in, so
    that imports run one way (data below scaleout).
    """
    _dask_backend[:] = [build]


def _dask_observations(data: Any, weights: Any, **options: Any) -> ObservationsLike:
    if not _dask_backend:
        raise DataError(
            f"{type(data).__name__} is a Dask collection, but klmodels' Dask support is not "
            "loaded; import klmodels (the package) rather than klmodels.data alone"
        )
    return _dask_backend[0](data, weights, **options)


class _SampleAndDistinct(Protocol):
    """What :meth:`SampleSummaries.sample_for` reads of the observations."""

    @property
    def sample(self) -> Sample:
        """The values and their weights."""
        ...

    def distinct(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct values and their probabilities."""
        ...


class SampleSummaries:
    """Summaries every kind of observations reads from its ``sample`` (in memory or on a cluster)."""

    if TYPE_CHECKING:  # each subclass provides it: a cached property, or an attribute (Dask)

        @property
        def sample(self) -> Sample:
            """The values and their weights, seen through reductions."""
            ...

    @property
    def mean(self) -> float:
        """Weighted mean of the values."""
        return self.sample.mean

    @property
    def variance(self) -> float:
        """Weighted variance of the values (maximum-likelihood form, divisor n)."""
        return self.sample.var

    @property
    def local(self) -> Any:
        """The observations in memory: these themselves (a cluster's random sample for Dask data)."""
        return self

    @property
    def passes(self) -> int:
        """Passes over the data so far: not counted in memory (0)."""
        return 0

    @property
    def bytes_per_pass(self) -> list[int]:
        """Bytes moved per pass: nothing moves in memory (empty)."""
        return []

    def prepare(self) -> None:
        """Nothing to compute ahead in memory."""

    def shared_passes(self) -> contextlib.AbstractContextManager[None]:
        """In memory, passes are not merged: a context that does nothing."""
        return contextlib.nullcontext()

    def sample_for(self: _SampleAndDistinct, kind: str) -> Sample:
        """Where a model of this kind is evaluated.

        Discrete: the distinct values with their probabilities (a pmf is summed over them);
        continuous: the sample itself.
        """
        if kind == "discrete":
            values, prob = self.distinct()
            return WeightedSample(values, prob)
        return self.sample


# how many of the smallest and of the largest values a thinned subsample keeps (at weight 1/n each)
_EXTREMES_KEPT = 16


@dataclass(frozen=True, eq=False, repr=False)
class Observations(SampleSummaries):
    """Validated one-dimensional observations, optionally weighted.

    Build it with :meth:`from_data`; every public function of klmodels accepts what
    :meth:`from_data` accepts, so most users never build one themselves.

    Attributes
    ----------
    values : numpy.ndarray
        Read-only float64 observed values. Sorted and distinct when ``weights`` is not None.
    weights : numpy.ndarray or None
        Read-only positive float64 weight of each value (counts or relative frequencies), or
        None when each value is one observation.
    n_obs : float or None
        Number of observations behind the data; None when only relative frequencies are known.
    name : str or None
        The name of the source column, if any.
    """

    values: np.ndarray
    weights: np.ndarray | None
    n_obs: float | None
    name: str | None = None
    _from_counts: bool = field(default=False, repr=False)
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Check the invariants when built directly (``from_data`` always satisfies them)."""
        values = self.values
        if not isinstance(values, np.ndarray) or values.ndim != 1 or values.size == 0:
            raise DataError(
                "Observations needs a non-empty 1-D array of values; use Observations.from_data(...)"
            )
        if self.weights is not None and (
            not isinstance(self.weights, np.ndarray) or self.weights.shape != values.shape
        ):
            raise DataError("Observations: weights must be an array with one entry per value")
        if self.n_obs is not None:
            checked_n_obs(self.n_obs)

    # ----------------------------------------------------------------- construction
    @overload
    @classmethod
    def from_data(
        cls,
        data: Observations | np.ndarray | pd.Series | pd.Index | Sequence[float],
        weights: np.ndarray | pd.Series | Sequence[float] | None = None,
        *,
        n_obs: float | None = None,
        nan_policy: NanPolicy = "raise",
        name: str | None = None,
    ) -> Observations: ...

    @overload
    @classmethod
    def from_data(
        cls,
        data: Any,
        weights: Any = None,
        *,
        n_obs: float | None = None,
        nan_policy: NanPolicy = "raise",
        name: str | None = None,
    ) -> ObservationsLike: ...

    @classmethod
    def from_data(
        cls,
        data: Any,
        weights: Any = None,
        *,
        n_obs: float | None = None,
        nan_policy: NanPolicy = "raise",
        name: str | None = None,
    ) -> ObservationsLike:
        """Validate observations and return them as an :class:`Observations`.

        Parameters
        ----------
        data
            Raw observations (list, tuple, ndarray, pandas Series or Index, including nullable
            ``Int64``/``Float64``/``boolean`` dtypes), or the distinct values when ``weights``
            is given. An :class:`Observations` is returned unchanged.
        weights
            Optional non-negative weight per value, the same length as ``data``: counts
            (whole numbers) or relative frequencies such as probabilities. A Series must
            carry the same index labels as a Series ``data``.
        n_obs
            The number of observations behind relative-frequency weights; needed for
            log-likelihood, AIC, AICc and BIC. Overrides the total of counts when given.
        nan_policy
            ``"raise"`` (default): NaN or missing values are an error. ``"omit"``: drop them
            (and a value whose weight is NaN).
        name
            A label for messages and tables; defaults to the Series name.

        Returns
        -------
        Observations
            For a Dask Series: the value counts of whole-number data, or all the data when there
            are at most 50,000, in memory; otherwise a
            :class:`~klmodels.scaleout.DaskObservations` that leaves the values on the cluster.

        Raises
        ------
        DataError
            Empty, non-numeric, more than one-dimensional, infinite, NaN (with
            ``nan_policy="raise"``), all-NaN data; negative, NaN or all-zero weights; weights
            of the wrong length or with a different index.
        ParameterError
            ``nan_policy`` not one of the allowed values, ``n_obs`` not positive, or ``n_obs``
            without ``weights``.

        Notes
        -----
        The caller's objects are never modified: values are always copied.
        """
        if type(data).__name__ in ("CensoredObservations", "CensoredData"):
            raise DataError(
                "censored observations are ranked by klm.compare and klm.select, and fitted one "
                "family at a time by klm.fit_censored; this function takes exactly observed values"
            )
        if isinstance(data, SampleSummaries):  # in memory or on a cluster
            if weights is not None or n_obs is not None:
                raise ParameterError(
                    "data is already an Observations object; weights= and n_obs= cannot be "
                    "applied to it again. Build it with Observations.from_data(values, weights, n_obs=...)."
                )
            # an Observations or a DaskObservations (made by from_data), both observations-like
            return cast(ObservationsLike, data)
        if nan_policy not in ("raise", "omit"):
            raise ParameterError(f"nan_policy must be 'raise' or 'omit'; got {nan_policy!r}")
        if is_dask_collection(data) or is_dask_collection(weights):
            return _dask_observations(data, weights, n_obs=n_obs, nan_policy=nan_policy, name=name)
        if name is None and isinstance(data, pd.Series) and data.name is not None:
            name = str(data.name)
        if weights is None and n_obs is None:
            counted = cls._count_integers(data, name)
            if counted is not None:
                return counted
        values = _numeric_array(data, "data")
        w = None
        if weights is not None:
            both_series = isinstance(weights, pd.Series) and isinstance(data, pd.Series)
            if both_series and not weights.index.equals(data.index):
                if not (weights.index.is_unique and set(weights.index) == set(data.index)):
                    raise DataError(
                        "data and weights are Series with different indexes; align them first "
                        "(e.g. take both columns from one DataFrame)"
                    )
                weights = weights.reindex(data.index)
            w = _numeric_array(weights, "weights")
            if w.size != values.size:
                raise DataError(
                    f"weights must have one entry per value: got {w.size} weights for {values.size} values"
                )
        elif n_obs is not None:
            raise ParameterError(
                "n_obs= says how many observations stand behind relative-frequency weights, so it "
                "needs weights=; raw observations count themselves"
            )

        values, w = cls._drop_missing(values, w, nan_policy)
        if values.size == 0:
            raise DataError("data is empty: at least one observation is needed")
        if np.isinf(values).any():
            first = int(np.flatnonzero(np.isinf(values))[0])
            raise DataError(
                f"data has {int(np.isinf(values).sum())} infinite values (first at position {first}: "
                f"{values[first]}); observations must be finite"
            )
        from_counts = False
        if w is not None:
            if np.isinf(w).any():
                raise DataError("weights must be finite; got infinite weights")
            if (w < 0).any():
                first = int(np.flatnonzero(w < 0)[0])
                raise DataError(
                    f"weights must be >= 0; got {int((w < 0).sum())} negative weights "
                    f"(first at position {first}: {w[first]})"
                )
            keep = w > 0
            if not keep.any():
                raise DataError("all weights are 0: at least one value needs a positive weight")
            values, w = values[keep], w[keep]
            with np.errstate(over="ignore"):
                total = w.sum()
            if not np.isfinite(total):
                raise DataError(
                    f"the weights add up to more than a float can hold (largest {w.max():g}); divide "
                    "them by a common factor (relative frequencies) and pass n_obs= for the number "
                    "of observations"
                )
            from_counts = bool(np.all(w == np.floor(w)))
            if n_obs is None and from_counts:
                n_obs = float(w.sum())
                if n_obs > _MAX_N_OBS:
                    raise DataError(
                        f"the weights are whole numbers, read as counts, but they add up to {n_obs:.3g} "
                        f"observations (at most {_MAX_N_OBS:.2g}); if they are relative frequencies, "
                        "divide them by their total and pass n_obs="
                    )
        n_obs = checked_n_obs(n_obs)
        if w is None:
            n_obs = float(values.size)
            from_counts = True

        if cls._all_integers(values):
            values, w = _value_counts(values, w)
        elif w is not None:
            order = np.argsort(values, kind="stable")
            values, w = values[order], w[order]
            start = run_starts(values)
            if start.size < values.size:  # (np.unique's return_index: 20 times slower)
                values, w = values[start], np.add.reduceat(w, start)
        return cls(
            values=_readonly(values),
            weights=None if w is None else _readonly(np.asarray(w, dtype=np.float64)),
            n_obs=n_obs,
            name=name,
            _from_counts=from_counts,
        )

    @classmethod
    def _count_integers(cls, data: Any, name: str | None) -> Observations | None:
        """Raw integers (NumPy or pandas integer dtype, no missing values) straight to value counts.

        An integer array has no NaN, infinity or fraction to check, so it skips the float copy
        and the checks: one pass for the range and one for ``np.bincount``.
        """
        if isinstance(data, pd.Series) and pd.api.types.is_integer_dtype(data.dtype):
            if data.hasnans:
                return None
            # every integer dtype (NumPy's, UInt64, ArrowDtype) has itemsize; pandas-stubs declare
            # none on ExtensionDtype, and is_integer_dtype does not narrow the type
            if data.dtype.kind == "u" and data.dtype.itemsize == 8:  # type: ignore[union-attr]
                return None  # uint64 beyond int64's range: the general path checks magnitudes
            array = data.to_numpy(dtype=np.int64)
        elif isinstance(data, np.ndarray) and data.dtype.kind in "iu" and data.ndim == 1:
            if data.dtype.kind == "u" and data.dtype.itemsize == 8:
                return None
            array = data
        else:
            return None
        if array.size == 0:
            return None
        low, high = int(array.min()), int(array.max())
        if high - low > _BINCOUNT_RANGE_FACTOR * array.size + _BINCOUNT_RANGE_SLACK:
            return None
        # int64 arithmetic: ``value - min`` of a small integer dtype (int8, uint8) would wrap
        offsets = array.astype(np.int64, copy=False)
        totals = np.bincount(offsets - low if low else offsets, minlength=high - low + 1)
        present = np.flatnonzero(totals)
        return cls(
            values=_readonly(present.astype(np.float64) + low),
            weights=_readonly(totals[present].astype(np.float64)),
            n_obs=float(array.size),
            name=name,
            _from_counts=True,
        )

    @staticmethod
    def _drop_missing(
        values: np.ndarray, w: np.ndarray | None, nan_policy: NanPolicy
    ) -> tuple[np.ndarray, np.ndarray | None]:
        missing = np.isnan(values)
        missing_w = np.isnan(w) if w is not None else np.zeros_like(missing)
        if not (missing.any() or missing_w.any()):
            return values, w
        if missing.all():
            raise DataError(f"all {values.size} values are NaN or missing")
        if nan_policy == "raise":
            what, mask = ("values", missing) if missing.any() else ("weights", missing_w)
            first = int(np.flatnonzero(mask)[0])
            raise DataError(
                f"data has {int(mask.sum())} NaN or missing {what} (first at position {first}). "
                "Drop them first, or pass nan_policy='omit' to ignore them."
            )
        keep = ~(missing | missing_w)
        if not keep.any():
            raise DataError("no observation is left after dropping NaN values and weights")
        return values[keep], None if w is None else w[keep]

    @staticmethod
    def _all_integers(values: np.ndarray) -> bool:
        return bool(
            np.abs(values).max() < _MAX_EXACT_INTEGER and np.array_equal(values, np.floor(values))
        )

    # ----------------------------------------------------------------- derived values
    in_memory = True
    """The values are NumPy arrays here (False for data left on a Dask cluster)."""

    @property
    def size(self) -> int:
        """Number of stored values (distinct values when weighted)."""
        return int(self.values.size)

    @cached_property
    def probabilities(self) -> np.ndarray:
        """Weight of each stored value, normalised to sum to 1 (read-only)."""
        if self.weights is None:
            return _readonly(np.full(self.values.size, 1.0 / self.values.size))
        return _readonly(self.weights / self.weights.sum())

    @cached_property
    def integer_valued(self) -> bool:
        """True when every value is a whole number (so discrete families apply)."""
        return self._all_integers(self.values)

    @property
    def has_counts(self) -> bool:
        """True for raw observations or whole-number counts; False for relative frequencies."""
        return self._from_counts

    @property
    def min(self) -> float:
        """Smallest observed value."""
        return float(self.values[0] if self.weights is not None else self.values.min())

    @property
    def max(self) -> float:
        """Largest observed value."""
        return float(self.values[-1] if self.weights is not None else self.values.max())

    def thinned(self, size: int) -> Observations:
        """``size`` raw observations at evenly spaced positions (for a first fit on big data).

        Evenly spaced values, plus the 16 smallest and the 16 largest (which decide where
        families with a threshold or a support's end may start): a random sample when the data
        are in random order, a sample stratified by quantile when they are sorted. Weighted as
        :func:`subsample_with_extremes` says; weighted data are returned unchanged.
        """
        if self.weights is not None or self.size <= size:
            return self
        key = ("thinned", size)
        if key not in self._derived:
            spaced = np.linspace(0, self.size - 1, size).round().astype(np.int64)
            self._derived[key] = subsample_with_extremes(
                self.values[spaced], self._extremes(_EXTREMES_KEPT), self.size, self.name
            )
        return self._derived[key]

    def _extremes(self, k: int) -> np.ndarray:
        """The ``k`` smallest and the ``k`` largest values (all of them when there are fewer than 2k)."""
        if self.size <= 2 * k:
            return np.asarray(self.values)
        key = ("extremes", k)
        if key not in self._derived:
            parted = np.partition(self.values, (k - 1, self.size - k))
            self._derived[key] = np.concatenate((parted[:k], parted[-k:]))
        return self._derived[key]

    def affine(self, shift: float, scale: float) -> Observations:
        """The observations ``(x - shift) / scale`` with the same weights (kept once per shift and scale).

        Fits on data of extreme magnitude are made on these (see :mod:`klmodels.fitting`).
        """
        key = (shift, scale)
        if key not in self._derived:
            values = (self.values - shift) / scale if shift else self.values / scale
            self._derived[key] = Observations(
                _readonly(values), self.weights, self.n_obs, self.name, self._from_counts
            )
        return self._derived[key]

    def __getstate__(self) -> dict[str, Any]:
        """What a pickle keeps: the data, not the caches derived from them."""
        return {f: getattr(self, f) for f in ("values", "weights", "n_obs", "name", "_from_counts")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                value = _readonly(value)
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_derived", {})

    def distinct(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct values (sorted) and their probabilities, compressing raw values if needed."""
        if self.weights is not None:
            return self.values, self.probabilities
        distinct, counts = np.unique(self.values, return_counts=True)
        return distinct, counts / counts.sum()

    @cached_property
    def sample(self) -> WeightedSample:
        """The values with their probabilities, and cached sufficient statistics shared by all families."""
        return WeightedSample(self.values, None if self.weights is None else self.probabilities)

    def differential_entropy_nats(self) -> tuple[float, str]:
        """The estimated differential entropy of the values in nats, and a note.

        See :func:`klmodels.entropy_estimators.differential_entropy_nats`.
        """
        return differential_entropy_nats(self)

    def plugin_entropy_nats(self) -> float:
        r"""Entropy of the empirical distribution of the values, :math:`-\sum_x \hat p(x) \ln \hat p(x)`, in nats.

        This is the data's entropy for discrete data. For continuous data it is the entropy of
        the sample's distinct values (log n for distinct raw values), not a density's entropy.
        """
        _, prob = self.distinct()
        prob = prob[prob > 0]
        return float(-(prob * np.log(prob)).sum())

    def __repr__(self) -> str:
        n = "unknown" if self.n_obs is None else f"{self.n_obs:g}"
        kind = "weighted" if self.weights is not None else "raw"
        label = f" {self.name!r}" if self.name else ""
        return (
            f"<Observations{label}: {self.size} {kind} values in [{self.min:g}, {self.max:g}], "
            f"n_obs={n}>"
        )


def subsample_with_extremes(
    body: np.ndarray, extremes: np.ndarray, n: float, name: str | None
) -> Observations:
    """A subsample of n observations as weighted observations: each extreme 1/n, the body the rest.

    The extremes (the data's smallest and largest values) keep their own weight and the
    ``body`` values share the rest equally: at the body's weight an extreme would pull an end
    of the support as hard as n / body.size values do (genextreme on 10^5 normal draws: the
    subsample's end sat 10 times as far beyond the largest value as the maximum's, and the
    polish took 16 passes). Returned sorted and distinct, a value in both parts with both
    weights.
    """
    values = np.concatenate((body, extremes))
    extreme = 1.0 / n
    each = np.concatenate(
        (
            np.full(body.size, (1.0 - extremes.size * extreme) / body.size),
            np.full(extremes.size, extreme),
        )
    )
    distinct, where = np.unique(values, return_inverse=True)
    weights = np.bincount(where, weights=each, minlength=distinct.size)
    return Observations(_readonly(distinct), _readonly(weights), float(values.size), name, False)
