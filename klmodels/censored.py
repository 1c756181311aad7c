r"""Censored and truncated observations: rank families on data that were not seen exactly.

An observation may be **exact** (``x``), **left-censored** (only ``X <= u`` is known: below a
detection limit), **right-censored** (``X >= l``: a unit still running, a count top-coded as "10 or
more") or **interval-censored** (``l <= X <= u``: failed between two inspections). The sample may
also be **truncated** to known bounds ``(a, b)``: values outside them were never recorded. Each
observation contributes to the log-likelihood (nats)

=====================  ===================================  ==========================================
observation            continuous family                    discrete family (whole numbers)
=====================  ===================================  ==========================================
exact x                :math:`\ln f(x)`                     :math:`\ln p(x)`
left-censored, <= u    :math:`\ln F(u)`                     :math:`\ln F(u)`
right-censored, >= l   :math:`\ln S(l)`                     :math:`\ln S(l - 1)`
interval [l, u]        :math:`\ln(F(u) - F(l))`             :math:`\ln(F(u) - F(l - 1))`
truncated to (a, b)    minus :math:`\ln(F(b) - F(a))`       minus :math:`\ln(F(b) - F(a - 1))`,
                                                            a and b included (rounded inwards)
=====================  ===================================  ==========================================

with :math:`S = 1 - F` taken from the family's own survival function, and every difference of
probabilities computed in log space on the side where both terms are small (cdf below the median,
survival function above it), never as ``1 - cdf``. Parameters maximise the weighted mean of the
contributions, starting from the family's exact estimator on a stand-in sample (exact values,
interval midpoints, censoring bounds).

Scores: ``loglik``, AIC, AICc, BIC and Akaike weights as for exact data (n is the number of
observations, censored or not), and ``dkl_<unit>`` with its paired standard error and Vuong's test
from the per-observation contributions. The information lost against the data themselves,
``kl_<unit>``, is measured against Turnbull's nonparametric estimate, the saturated model of censored
data (:func:`saturated_loglik`): reported when every contribution is a probability (whole numbers;
continuous data without exact values), >= 0 by construction. With exact continuous values it is not
defined (a density and a probability are not on one scale): the table then ranks and compares models
without reporting absolute information loss, and says so.

Data on a Dask cluster are not supported (:class:`~klmodels.errors.NotInMemoryError`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from klmodels.data import Observations, is_dask_collection
from klmodels.display import ComparisonTable
from klmodels.errors import (
    AllFamiliesFailedError,
    DataError,
    FitError,
    NotInMemoryError,
    ParameterError,
)
from klmodels.family import Family
from klmodels.fitting import estimate, failure_as_reason
from klmodels.frozen import FrozenMapping
from klmodels.information import as_log_base, unit_name
from klmodels.optimize import maximise, small_blas
from klmodels.options import FitOptions
from klmodels.paired import Paired, difference, vuong_from_pairs

__all__ = [
    "CensoredFit",
    "CensoredObservations",
    "censored",
    "compare_censored",
    "criteria",
    "fit_censored",
    "npmle",
    "parse_truncation",
    "saturated_loglik",
    "turnbull_estimate",
]

_LOG_HALF = math.log(0.5)
_TURNBULL_WORK = 2e8  # rows x EM iterations spent on Turnbull's log-likelihood before giving up
_STAGE_ROWS = 20_000  # more stored rows than this: fit a subsample first
GROUPS = ("exact", "left", "right", "interval")


def _floats(x: Any, what: str) -> np.ndarray:
    if is_dask_collection(x):
        raise NotInMemoryError(
            f"{what} is a Dask collection: censored data are fitted in memory. Compute a sample "
            "first, e.g. frame.sample(frac=0.01).compute()"
        )
    try:
        arr = np.array(pd.Series(x).to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what} must be numbers (NaN for an open end); got {exc}") from None
    if arr.ndim != 1:
        raise DataError(f"{what} must be one-dimensional; got shape {arr.shape}")
    return arr


def parse_truncation(truncation: Any) -> tuple[float, float]:
    """``(low, high)`` with None for an open end as floats (-inf, inf when open), checked."""
    if truncation is None:
        return -math.inf, math.inf
    try:
        low, high = truncation
        low = -math.inf if low is None else float(low)
        high = math.inf if high is None else float(high)
    except (TypeError, ValueError):
        raise ParameterError(
            f"truncation must be (low, high) with None for an open end, e.g. (0, None); got {truncation!r}"
        ) from None
    if math.isnan(low) or math.isnan(high) or not low < high:
        raise ParameterError(f"truncation needs low < high; got {truncation!r}")
    return low, high


def _merged(rows: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Identical observations as one row with their total weight (sorted; O(n log n) once)."""
    if rows.shape[0] == 0:
        return rows.reshape(0, rows.shape[1]), weights
    distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
    return distinct, np.bincount(inverse.ravel(), weights=weights, minlength=distinct.shape[0])


@dataclass(frozen=True, eq=False)
class CensoredObservations:
    """Observations that are exact, left-, right- or interval-censored, optionally truncated.

    Build them with :func:`censored` (or pass a ``scipy.stats.CensoredData`` to
    :func:`klmodels.compare`). Each group holds its bounds and weights (counts of identical
    observations; 1 each by default).

    Attributes
    ----------
    exact, left, right : numpy.ndarray
        Exact values; upper bounds of left-censored values (X <= u); lower bounds of
        right-censored values (X >= l).
    interval : numpy.ndarray
        Shape (m, 2): the bounds [l, u] of interval-censored values.
    weights : Mapping[str, numpy.ndarray]
        The weight of each observation, by group.
    truncation : tuple of float
        Known truncation bounds ``(a, b)`` (-inf, inf when open).
    """

    exact: np.ndarray
    left: np.ndarray
    right: np.ndarray
    interval: np.ndarray
    weights: Mapping[str, np.ndarray]
    truncation: tuple[float, float] = (-math.inf, math.inf)
    name: str | None = None
    in_memory: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        for group in GROUPS:
            w = self.weights[group]
            if np.any(~np.isfinite(w)) or np.any(w < 0):
                raise DataError("weights must be finite and >= 0")
        if self.n_obs <= 0:
            raise DataError("there are no observations (all weights are 0 or nothing was given)")
        low, high = self.truncation
        every = np.concatenate(
            [self.exact, self.left, self.right, self.interval.ravel()]
        )  # finite bounds only
        finite = every[np.isfinite(every)]
        outside = finite[(finite < low) | (finite > high)]
        if outside.size:
            raise DataError(
                f"truncation=({low:g}, {high:g}) says no value lies outside it, but the data have "
                f"{outside.size} bound(s) outside (e.g. {outside[0]:g}); widen the truncation or "
                "drop those rows"
            )

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_bounds(
        cls,
        left: Any,
        right: Any,
        weights: Any = None,
        *,
        truncation: Any = None,
        name: str | None = None,
    ) -> CensoredObservations:
        """From two bounds per observation, in fitdistrplus's convention.

        ``left == right``: exact; ``left`` NaN (or -inf): left-censored at ``right``; ``right``
        NaN (or inf): right-censored at ``left``; ``left < right``: interval-censored.

        Raises
        ------
        DataError
            For bounds of different lengths, ``left > right``, or NaN on both sides.
        """
        lo, hi = _floats(left, "left"), _floats(right, "right")
        if lo.size != hi.size:
            raise DataError(
                f"left and right must have one bound per observation; got {lo.size} and {hi.size}"
            )
        w = np.ones(lo.size) if weights is None else _floats(weights, "weights")
        if w.size != lo.size:
            raise DataError(
                f"weights must have one entry per observation ({lo.size}); got {w.size}"
            )
        lo = np.where(np.isneginf(lo), np.nan, lo)
        hi = np.where(np.isposinf(hi), np.nan, hi)
        if np.any(np.isinf(lo)) or np.any(np.isinf(hi)):
            raise DataError("a left bound of +inf or a right bound of -inf describes no value")
        both = np.isnan(lo) & np.isnan(hi)
        if both.any():
            raise DataError(
                f"{int(both.sum())} observation(s) have NaN on both sides (first at position "
                f"{int(np.flatnonzero(both)[0])}): nothing is known about them; drop those rows"
            )
        reversed_ = lo > hi
        if reversed_.any():
            i = int(np.flatnonzero(reversed_)[0])
            raise DataError(
                f"{int(reversed_.sum())} observation(s) have left > right (first at position {i}: "
                f"left={lo[i]:g}, right={hi[i]:g}); the left bound is the lower one"
            )
        exact = lo == hi
        left_c = np.isnan(lo) & ~np.isnan(hi)
        right_c = ~np.isnan(lo) & np.isnan(hi)
        inter = ~np.isnan(lo) & ~np.isnan(hi) & (lo < hi)
        exact_v, exact_w = _merged(lo[exact][:, None], w[exact])
        left_v, left_w = _merged(hi[left_c][:, None], w[left_c])
        right_v, right_w = _merged(lo[right_c][:, None], w[right_c])
        inter_v, inter_w = _merged(np.column_stack([lo[inter], hi[inter]]), w[inter])
        return cls(
            exact=exact_v[:, 0],
            left=left_v[:, 0],
            right=right_v[:, 0],
            interval=inter_v,
            weights={"exact": exact_w, "left": left_w, "right": right_w, "interval": inter_w},
            truncation=parse_truncation(truncation),
            name=name,
        )

    @classmethod
    def from_survival(
        cls,
        time: Any,
        event: Any,
        weights: Any = None,
        *,
        truncation: Any = None,
        name: str | None = None,
    ) -> CensoredObservations:
        """From survival data: a time and whether the event was observed (else right-censored)."""
        t = _floats(time, "time")
        e = pd.Series(event).to_numpy()
        if e.size != t.size:
            raise DataError(f"event must have one entry per time ({t.size}); got {e.size}")
        try:
            observed = e.astype(np.float64)
        except (TypeError, ValueError):
            raise DataError(
                "event must be 1/0 or True/False: whether the event was observed"
            ) from None
        if np.any(~np.isin(observed, (0.0, 1.0))):
            raise DataError("event must be 1/0 or True/False: whether the event was observed")
        right = np.where(observed == 1.0, t, np.nan)
        return cls.from_bounds(t, right, weights, truncation=truncation, name=name)

    @classmethod
    def from_scipy(
        cls, data: Any, *, truncation: Any = None, name: str | None = None
    ) -> CensoredObservations:
        """From ``scipy.stats.CensoredData`` (its uncensored, left, right and interval parts)."""
        parts = [
            np.asarray(getattr(data, f"_{g}"), dtype=np.float64)
            for g in ("uncensored", "left", "right")
        ]
        interval = np.asarray(data._interval, dtype=np.float64).reshape(-1, 2)
        return cls(
            exact=parts[0],
            left=parts[1],
            right=parts[2],
            interval=interval,
            weights={
                "exact": np.ones(parts[0].size),
                "left": np.ones(parts[1].size),
                "right": np.ones(parts[2].size),
                "interval": np.ones(interval.shape[0]),
            },
            truncation=parse_truncation(truncation),
            name=name,
        )

    @classmethod
    def exact_only(
        cls,
        values: Any,
        weights: Any = None,
        *,
        n_obs: float | None = None,
        truncation: Any = None,
        nan_policy: Any = "raise",
    ) -> CensoredObservations:
        """Exactly observed values (with counts, or relative frequencies and ``n_obs``), truncated.

        Raises
        ------
        ParameterError
            For relative frequencies without ``n_obs`` (the likelihood needs the number of
            observations).
        """
        obs = Observations.from_data(values, weights, n_obs=n_obs, nan_policy=nan_policy)
        if obs.n_obs is None:
            raise ParameterError(
                "truncated data with relative frequencies need n_obs= (the number of observations)"
            )
        return cls.from_bounds(
            obs.values,
            obs.values,
            obs.probabilities * obs.n_obs,
            truncation=truncation,
            name=obs.name,
        )

    # ------------------------------------------------------------------ summaries
    @property
    def n_obs(self) -> float:
        """The number of observations (total weight), censored or not."""
        return float(sum(float(self.weights[g].sum()) for g in GROUPS))

    @property
    def counts(self) -> dict[str, float]:
        """Total weight in each group: exact, left, right, interval."""
        return {g: float(self.weights[g].sum()) for g in GROUPS}

    @property
    def integer_valued(self) -> bool:
        """Whether every finite bound is a whole number."""
        every = np.concatenate([self.exact, self.left, self.right, self.interval.ravel()])
        finite = every[np.isfinite(every)]
        return bool(np.all(finite == np.floor(finite)))

    @property
    def rows(self) -> int:
        """The number of stored rows (identical observations are stored once, with their weight)."""
        return int(self.exact.size + self.left.size + self.right.size + self.interval.shape[0])

    def thinned(self, size: int) -> CensoredObservations:
        """About ``size`` rows, evenly strided within each group, weights scaled to the same total.

        Groups of at most ``size / 8`` rows (typically merged intervals with large weights) are
        kept whole: striding a few heavy rows would misstate the sample.
        """
        step = max(1, math.ceil(self.rows / size))
        if step == 1:
            return self

        def every(values: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            if w.size <= size // 8:
                return values, w
            kept = w[::step]
            scale = w.sum() / kept.sum() if kept.sum() > 0 else 0.0
            return values[::step], kept * scale

        exact, we = every(self.exact, self.weights["exact"])
        left, wl = every(self.left, self.weights["left"])
        right, wr = every(self.right, self.weights["right"])
        interval, wi = every(self.interval, self.weights["interval"])
        weights = {"exact": we, "left": wl, "right": wr, "interval": wi}
        return CensoredObservations(
            exact, left, right, interval, weights, self.truncation, self.name
        )

    def stand_in(self) -> Observations:
        """Exact values, interval midpoints and censoring bounds: a sample to start estimators from."""
        mid = self.interval.mean(axis=1) if self.interval.size else np.empty(0)
        values = np.concatenate([self.exact, self.left, self.right, mid])
        weights = np.concatenate([self.weights[g] for g in GROUPS])
        keep = weights > 0
        return Observations.from_data(values[keep], weights[keep], n_obs=float(weights.sum()))

    def __repr__(self) -> str:
        c = self.counts
        trunc = (
            "" if self.truncation == (-math.inf, math.inf) else f", truncated to {self.truncation}"
        )
        return (
            f"<CensoredObservations: {c['exact']:g} exact, {c['left']:g} left-, {c['right']:g} "
            f"right-, {c['interval']:g} interval-censored{trunc}>"
        )


def censored(
    left: Any = None,
    right: Any = None,
    *,
    time: Any = None,
    event: Any = None,
    weights: Any = None,
    truncation: Any = None,
) -> CensoredObservations:
    """Censored (and truncated) observations for :func:`klmodels.compare`.

    Either two bounds per observation in fitdistrplus's convention (``left``, ``right``: NaN for an
    open end, equal for an exact value), or survival data (``time`` and ``event``: 1 observed,
    0 right-censored). ``weights`` counts identical observations; ``truncation=(a, b)`` (None for
    an open end) says that values outside were never recorded.

    Examples
    --------
    >>> import numpy as np, klmodels as klm
    >>> data = klm.censored(left=[1.0, np.nan, 2.0, 3.5], right=[1.0, 0.5, np.nan, 4.0])
    >>> data.counts
    {'exact': 1.0, 'left': 1.0, 'right': 1.0, 'interval': 1.0}
    """
    if time is not None or event is not None:
        if left is not None or right is not None:
            raise ParameterError("give either left= and right=, or time= and event=, not both")
        if time is None or event is None:
            raise ParameterError("survival data need both time= and event=")
        return CensoredObservations.from_survival(time, event, weights, truncation=truncation)
    if left is None or right is None:
        raise ParameterError(
            "censored() needs left= and right= (NaN for an open end), or time= and event="
        )
    return CensoredObservations.from_bounds(left, right, weights, truncation=truncation)


# ------------------------------------------------------------------ likelihood
def _log_diff(log_big: np.ndarray, log_small: np.ndarray) -> np.ndarray:
    r""":math:`\ln(e^a - e^b)` for a >= b, without cancellation where b is far below a."""
    with np.errstate(all="ignore"):
        out = log_big + np.log1p(-np.exp(log_small - log_big))
    return np.where(log_small == -np.inf, log_big, out)


def _log_mass_between(
    family: Family, params: Mapping[str, float], low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    r""":math:`\ln(F(high) - F(low))`: on the cdf side below the median, the survival side above."""
    with np.errstate(all="ignore"):
        cdf_high, cdf_low = family.logcdf(high, params), family.logcdf(low, params)
        sf_low, sf_high = family.logsf(low, params), family.logsf(high, params)
    # infinite ends by definition, whatever a family's tail formulas give there
    cdf_high, sf_high = (
        np.where(high == np.inf, 0.0, cdf_high),
        np.where(high == np.inf, -np.inf, sf_high),
    )
    cdf_low, sf_low = (
        np.where(low == -np.inf, -np.inf, cdf_low),
        np.where(low == -np.inf, 0.0, sf_low),
    )
    by_cdf = _log_diff(cdf_high, cdf_low)
    by_sf = _log_diff(sf_low, sf_high)
    return np.where(cdf_high <= _LOG_HALF, by_cdf, by_sf)


def cdf_bounds_of_whole_numbers(low: float, high: float) -> tuple[float, float]:
    """Truncation bounds for a discrete family as cdf arguments: the mass is F(high) - F(low).

    The whole numbers from ceil(low) to floor(high) are inside, both ends included.
    """
    return (
        math.ceil(low) - 1.0 if math.isfinite(low) else low,
        float(math.floor(high)) if math.isfinite(high) else high,
    )


def contributions(
    obs: CensoredObservations, family: Family, params: Mapping[str, float]
) -> np.ndarray:
    """Each observation's log-likelihood contribution (nats), groups in the order of ``GROUPS``."""
    discrete = family.kind == "discrete"
    step = 1.0 if discrete else 0.0
    with np.errstate(all="ignore"):
        parts = [
            family.logpdf(obs.exact, params) if obs.exact.size else np.empty(0),
            family.logcdf(obs.left, params) if obs.left.size else np.empty(0),
            family.logsf(obs.right - step, params) if obs.right.size else np.empty(0),
            (
                _log_mass_between(family, params, obs.interval[:, 0] - step, obs.interval[:, 1])
                if obs.interval.size
                else np.empty(0)
            ),
        ]
    out = np.concatenate([np.asarray(p, dtype=np.float64) for p in parts])
    low, high = obs.truncation
    if (low, high) != (-math.inf, math.inf):
        if discrete:
            low, high = cdf_bounds_of_whole_numbers(low, high)
        inside = _log_mass_between(family, params, np.array([low]), np.array([high]))[0]
        out = out - inside
    return out


def _all_weights(obs: CensoredObservations) -> np.ndarray:
    return np.concatenate([obs.weights[g] for g in GROUPS])


@dataclass(frozen=True, eq=False)
class CensoredFit:
    """A family fitted by maximum likelihood to censored or truncated observations.

    Attributes
    ----------
    family : Family
    params : Mapping[str, float]
        Estimated parameters.
    fixed : Mapping[str, float]
        Parameters held fixed (including the family's defaults, such as loc = 0).
    loglik : float
        Maximised log-likelihood (nats).
    n_obs : float
        Number of observations.
    observations : CensoredObservations
    """

    family: Family
    params: Mapping[str, float]
    fixed: Mapping[str, float]
    loglik: float
    n_obs: float
    observations: CensoredObservations
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The family's name."""
        return self.family.name

    @property
    def k(self) -> int:
        """Number of estimated parameters."""
        return len(self.params)

    @property
    def all_params(self) -> dict[str, float]:
        """Fixed and estimated parameters together."""
        return {**self.fixed, **self.params}

    def freeze(self) -> Any:
        """The fitted scipy frozen distribution (untruncated)."""
        return self.family.freeze(self.all_params)

    def contributions(self) -> np.ndarray:
        """Each observation's log-likelihood contribution at the fitted parameters (nats)."""
        return contributions(self.observations, self.family, self.all_params)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"<CensoredFit {self.name}: {shown}; loglik={self.loglik:.4f}>"


def _bfgs_update(hess: np.ndarray, step: np.ndarray, change: np.ndarray) -> np.ndarray:
    r"""The Hessian of a maximisation after a step, by the BFGS secant update (on :math:`-H`).

    With :math:`B = -H`, :math:`s` the step and :math:`y = -(g_1 - g_0)`:
    :math:`B' = B - B s s^T B / (s^T B s) + y y^T / (y^T s)`; the old Hessian is kept when
    :math:`y^T s <= 0` (the update would lose definiteness).
    """
    b, y = -hess, -change
    curvature = float(y @ step)
    if curvature <= 0:
        return hess
    bs = b @ step
    return -(b - np.outer(bs, bs) / float(step @ bs) + np.outer(y, y) / curvature)


def _newton_finish(
    objective: Any, domains: Mapping[str, Any], params: dict[str, float], value: float
) -> tuple[dict[str, float], float, bool]:
    """Newton steps with finite-difference derivatives in the optimiser's free coordinates.

    L-BFGS-B stops where its gradient estimate (forward differences) stalls, up to ~1e-3 nats
    short of the maximum on some data; a few Newton steps with central differences finish the
    fit for a handful of evaluations (k parameters: 2k^2 + 1 for the first step, then 2k + 1 per
    step, the curvature carried on by BFGS updates while steps are full). Returns the
    parameters, the objective there, and whether the steps converged (the next predicted gain
    below 1e-12 of the value) rather than stopping for want of a concave neighbourhood.
    """
    names = list(domains)
    z = np.array([domains[n].to_free(params[n]) for n in names])

    def f(point: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            v = objective(
                {n: domains[n].from_free(float(x)) for n, x in zip(names, point, strict=True)}
            )
        return v if math.isfinite(v) else -math.inf

    k = z.size
    converged = False
    hess: np.ndarray | None = None
    last: tuple[np.ndarray, np.ndarray] | None = None  # the previous point and gradient
    for _ in range(8):
        h = 1e-4 * (1.0 + np.abs(z))
        grad = np.empty(k)
        fresh = hess is None
        hess = np.empty((k, k)) if hess is None else hess
        for i in range(k):
            e_i = np.zeros(k)
            e_i[i] = h[i]
            up, down = f(z + e_i), f(z - e_i)
            grad[i] = (up - down) / (2 * h[i])
            if not fresh:
                continue
            hess[i, i] = (up - 2 * value + down) / h[i] ** 2
            for j in range(i):
                e_j = np.zeros(k)
                e_j[j] = h[j]
                hess[i, j] = hess[j, i] = (
                    f(z + e_i + e_j) - f(z + e_i - e_j) - f(z - e_i + e_j) + f(z - e_i - e_j)
                ) / (4 * h[i] * h[j])
        if not (np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))):
            break
        if not fresh and last is not None:
            hess = _bfgs_update(hess, z - last[0], grad - last[1])
        try:
            if np.any(np.linalg.eigvalsh(hess) >= 0):
                break  # not a maximum's neighbourhood: keep what L-BFGS-B found
            step = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        gain = 0.5 * float(grad @ step)
        if gain < 1e-12 * max(1.0, abs(value)):
            converged = True  # the next step would gain nothing representable
            break
        t = 1.0
        while t > 1e-4:
            candidate = f(z + t * step)
            if candidate > value:
                last = (z, grad)
                z, value = z + t * step, candidate
                break
            t /= 2
        else:
            break
        if t < 1.0:
            hess, last = None, None  # a damped step: measure the curvature again
    return (
        {n: domains[n].from_free(float(x)) for n, x in zip(names, z, strict=True)},
        value,
        converged,
    )


def fit_censored(
    obs: CensoredObservations,
    family: Family,
    fixed: Mapping[str, Any] | None = None,
    *,
    near: Mapping[str, float] | None = None,
) -> CensoredFit:
    """Fit one family by maximum likelihood to censored (and truncated) observations.

    Starts from the family's exact estimator on :meth:`CensoredObservations.stand_in`, then
    maximises the weighted mean contribution numerically (L-BFGS-B, then Nelder-Mead). ``near``
    (estimated parameters of a fit to similar data, as in the bootstrap) replaces that start
    and the Nelder-Mead polish: L-BFGS-B from there converges in a few steps.

    Raises
    ------
    FitError
        When the family cannot describe the data or has no cdf (a ``CustomFamily`` without one).
    """
    all_fixed = family.resolve_fixed(None, dict(fixed or {}))
    free = family.numerically_free(all_fixed)
    if family.kind == "discrete" and not obs.integer_valued:
        raise FitError(f"{family.name} is discrete: the bounds must be whole numbers")
    weights = _all_weights(obs)
    total = float(weights.sum())

    def mean_loglik(free_values: Mapping[str, float]) -> float:
        terms = contributions(obs, family, {**all_fixed, **free_values})
        used = weights > 0
        if np.any(np.isnan(terms[used])):
            return math.nan
        return float(np.dot(weights[used], terms[used]) / total)

    staged = bool(free) and obs.rows > _STAGE_ROWS
    # large data: start and first fit on an evenly strided subsample
    sub = obs.thinned(_STAGE_ROWS // 4) if staged else obs
    stand_in = sub.stand_in()
    if near is not None:
        start = dict(near)
    else:
        try:
            start = estimate(stand_in, family, None, fixed or {}).params
        except FitError:
            start = family.start(stand_in, all_fixed)
    if any(p.name not in start for p in free):
        default = family.start(stand_in, all_fixed)
        start = {p.name: start.get(p.name, default[p.name]) for p in free}
    start = {p.name: start[p.name] for p in free}
    try:
        family.logcdf(np.array([1.0]), {**all_fixed, **start})
    except NotImplementedError:
        raise FitError(
            f"{family.name} has no cdf, which censored observations need; give the CustomFamily a "
            "freeze() to a scipy distribution"
        ) from None
    domains = {p.name: p.domain for p in free}
    if staged:
        sub_weights = _all_weights(sub)
        sub_total = float(sub_weights.sum())

        def sub_mean_loglik(free_values: Mapping[str, float]) -> float:
            terms = contributions(sub, family, {**all_fixed, **free_values})
            return float(np.dot(sub_weights, np.where(sub_weights > 0, terms, 0.0)) / sub_total)

        rough, _ = maximise(sub_mean_loglik, domains, start, what=family.name, polish=False)
        # the subsample's maximum is within O(1/sqrt(rows)) of the full one: Newton converges
        # from there in two or three steps; L-BFGS-B on all rows only where it does not
        params, value, converged = _newton_finish(mean_loglik, domains, rough, mean_loglik(rough))
        if not converged:
            params, value = maximise(mean_loglik, domains, params, what=family.name, polish=False)
            params, value, _ = _newton_finish(mean_loglik, domains, params, value)
    elif free:
        # L-BFGS-B, then L-BFGS-B again from where it stopped: on these smooth likelihoods the
        # restart reaches what a Nelder-Mead polish would, in a fraction of the evaluations
        params, value = maximise(mean_loglik, domains, start, what=family.name, polish=False)
        params, value, _ = _newton_finish(mean_loglik, domains, params, value)
    else:
        params, value = {}, mean_loglik({})
    if not math.isfinite(value):
        raise FitError(f"{family.name}: no parameters give every observation positive probability")
    unbounded = (
        ("every observation gets probability near 1: the likelihood approaches its upper bound 0 "
         "without a maximum (censored values alone do not pin the parameters down)",)
        if value > -1e-6 and obs.counts["exact"] == 0
        else ()
    )  # fmt: skip
    notes = unbounded + tuple(
        f"{name} = {params[name]:.3g} ran to the edge of its range: the likelihood has no finite "
        f"maximum here (the family approaches a limiting form); compare that form itself"
        for name, domain in domains.items()
        if abs(domain.to_free(params[name]) - domain.to_free(start.get(name, params[name]))) > 12
    )
    return CensoredFit(
        family, FrozenMapping(params), FrozenMapping(all_fixed), value * total, total, obs, notes
    )


def _fit_or_reason(
    obs: CensoredObservations, family: Family, fixed: Mapping[str, Any]
) -> CensoredFit | FitError:
    return failure_as_reason(family, lambda: fit_censored(obs, family, fixed))


def criteria(loglik: float, k: int, n: float) -> dict[str, float]:
    """AIC, AICc (inf when n <= k + 1, so that such rows rank last) and BIC of a censored fit."""
    aic = 2 * k - 2 * loglik
    aicc = aic + (2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else math.inf)
    return {"aic": aic, "aicc": aicc, "bic": k * math.log(n) - 2 * loglik}


def compare_censored(
    obs: CensoredObservations, candidates: Mapping[str, Family], options: FitOptions
) -> ComparisonTable:
    """Rank ``candidates`` on censored or truncated observations (see the module docstring).

    Returns a :class:`~klmodels.ComparisonTable` with ``params``, ``fixed``, ``k``, ``loglik``,
    ``dkl_<unit>``, ``dkl_se_<unit>``, ``vuong_p``, ``aic``, ``aicc``, ``bic``, ``delta``,
    ``weight`` and ``note``; ``attrs`` holds the criterion, the unit, ``n_obs``, the number of
    observations in each censoring group and the truncation.

    Raises
    ------
    AllFamiliesFailedError
        When no candidate could be fitted.
    """
    criterion = options.criterion if options.criterion != "kl" else "aicc"
    fixed = dict(options.fixed)
    with small_blas():
        results = {
            label: _fit_or_reason(obs, f, fixed.get(label, {})) for label, f in candidates.items()
        }
    fits = {label: r for label, r in results.items() if isinstance(r, CensoredFit)}
    if not fits:
        reasons = "; ".join(f"{label}: {r}" for label, r in results.items())
        raise AllFamiliesFailedError(f"no candidate family could be fitted to the data. {reasons}")
    n = obs.n_obs
    scores = {label: criteria(f.loglik, f.k, n) for label, f in fits.items()}
    order = sorted(
        results, key=lambda lbl: (lbl not in scores, scores[lbl][criterion] if lbl in scores else 0)
    )
    best = fits[order[0]]
    weights = _all_weights(obs)
    used = weights > 0
    best_terms = best.contributions()[used]
    w = weights[used]
    scale = math.log(2.0) / as_log_base(options.base)
    unit = unit_name(options.base)
    rows: list[dict[str, Any]] = []
    best_score = scores[order[0]][criterion]
    saturated = saturated_loglik(obs, discrete=best.family.kind == "discrete")
    for label in order:
        result = results[label]
        if isinstance(result, FitError):
            rows.append({"family": label, "note": f"fit failed: {result}"})
            continue
        d = best_terms - result.contributions()[used]
        if np.all(np.isfinite(d)):
            mean = float(np.dot(w, d) / w.sum())
            sd = float(math.sqrt(max(np.dot(w, (d - mean) ** 2) / w.sum(), 0.0)))
        else:
            mean, sd = math.inf, math.nan
        pair = Paired(mean, sd, n, best.k, result.k, best.name, result.name)
        dkl, se = difference(pair)
        row = {
            "family": label,
            "params": dict(result.params),
            "fixed": dict(result.fixed),
            "k": result.k,
            "loglik": result.loglik,
            f"kl_{unit}": (saturated - result.loglik) / n / as_log_base(options.base),
            f"dkl_{unit}": dkl * scale,
            f"dkl_se_{unit}": se * scale,
            "vuong_p": math.nan
            if label == order[0] or not math.isfinite(mean)
            else vuong_from_pairs(pair).p_value,
            **scores[label],
            "delta": scores[label][criterion] - best_score,
            "note": "; ".join(result.notes),
        }
        rows.append(row)
    table = pd.DataFrame(rows).set_index("family")
    for column in (
        "loglik",
        f"kl_{unit}",
        f"dkl_{unit}",
        f"dkl_se_{unit}",
        "vuong_p",
        "aic",
        "aicc",
        "bic",
        "delta",
    ):
        table[column] = table[column].astype("float64")
    table["k"] = table["k"].astype("Int64")
    table["note"] = table["note"].fillna("").astype(object)
    delta = table["delta"].to_numpy(dtype=np.float64, na_value=np.nan)
    raw = np.where(np.isfinite(delta), np.exp(-0.5 * np.nan_to_num(delta, nan=np.inf)), 0.0)
    table["weight"] = raw / raw.sum() if raw.sum() > 0 else math.nan
    if math.isnan(saturated):  # exact continuous values: no saturated model on one scale
        table = table.drop(columns=f"kl_{unit}")
    result_table = ComparisonTable(table, fits=fits)
    result_table.attrs = {
        "unit": unit,
        "n_obs": n,
        "criterion": criterion,
        "requested_criterion": options.criterion,
        "base": options.base,
        "kind": next(iter(fits.values())).family.kind,
        "censoring": obs.counts,
        "truncation": [None if math.isinf(b) else b for b in obs.truncation],
        "saturated_loglik": saturated,
        "kl_note": (
            "kl against Turnbull's estimate (the saturated model)"
            if math.isfinite(saturated)
            else "no absolute kl (exact and censored values are not on one scale)"
            if best.family.kind == "continuous" and obs.counts["exact"] > 0
            else "no absolute kl (Turnbull's estimate did not converge within its budget)"
        ),
    }
    return result_table


def saturated_loglik(obs: CensoredObservations, *, discrete: bool) -> float:
    r"""The log-likelihood (nats) of Turnbull's estimate: the saturated model of censored data.

    Defined when every observation's contribution is a probability: for whole numbers (exact
    values are probabilities of one value) and for continuous data without exact values. No
    distribution gives the data a higher likelihood, so for any model q

    .. math:: \widehat{D}(\hat p \| q) = (\ell_{\text{Turnbull}} - \ell_q) / n \ge 0

    estimates the information lost by q on the data as observed (for exact data it is the
    plug-in KL). A truncated model is a distribution inside the truncation bounds, which hold
    every bound of the data and so Turnbull's estimate too: the inequality holds with truncation.
    NaN when exact continuous values are present (a density and a probability are not on one
    scale), and when the EM iteration has not converged within about 2e8 row-steps (large
    interval-censored data; a non-converged estimate would understate the information lost).
    Left- and right-censored continuous data alone take the exact isotonic-regression route.
    """
    if not discrete and obs.counts["exact"] > 0:
        return math.nan
    if not discrete and obs.counts["interval"] == 0:
        return _current_status_loglik(obs)
    *_, loglik, converged = turnbull_estimate(obs, discrete=discrete, tol=1e-12)
    return loglik if converged else math.nan


def turnbull_estimate(
    obs: CensoredObservations, *, discrete: bool = False, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, bool]:
    """Turnbull's estimate within a work budget of about 2e8 row-steps of its EM iteration.

    Returns the innermost intervals' ends, their masses, the log-likelihood (nats) and whether
    the iteration converged (see :func:`_turnbull`).
    """
    bounds = _turnbull_bounds(obs, discrete=discrete)
    budget = max(200, min(20_000, int(_TURNBULL_WORK // max(bounds[0].size, 1))))
    return _turnbull(bounds, tol=tol, max_iter=budget)


def _current_status_loglik(obs: CensoredObservations) -> float:
    r"""Turnbull's log-likelihood when every value is left- or right-censored ("current status").

    Then the estimate's cdf at the censoring times is the isotonic regression of the indicator
    "failed by then" (left-censored) on the time, weighted (Ayer et al. 1955; Groeneboom &
    Wellner 1992), and the log-likelihood is :math:`\sum_i w_i [\delta_i \ln F(t_i) + (1 -
    \delta_i) \ln(1 - F(t_i))]`: exact, in O(n log n), where the EM iteration crawls. A unit
    censored at t survived beyond t and one left-censored at t failed at or before t, so on
    tied times the left-censored come first.
    """
    from scipy.optimize import isotonic_regression

    times = np.concatenate([obs.left, obs.right])
    failed = np.concatenate([np.ones(obs.left.size), np.zeros(obs.right.size)])
    weights = np.concatenate([obs.weights["left"], obs.weights["right"]])
    keep = weights > 0
    times, failed, weights = times[keep], failed[keep], weights[keep]
    order = np.lexsort((1 - failed, times))
    fitted = isotonic_regression(failed[order], weights=weights[order]).x
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(failed[order] == 1, np.log(fitted), np.log1p(-fitted))
    return float(np.dot(weights[order], terms))


# ------------------------------------------------------------------ the nonparametric estimate
def npmle(obs: CensoredObservations, *, tol: float = 1e-10, max_iter: int = 10_000) -> pd.DataFrame:
    r"""Turnbull's nonparametric maximum-likelihood estimate of the distribution of censored data.

    The mass sits on Turnbull's innermost intervals :math:`[q_j, p_j]` (a left end followed by a
    right end among all the bounds, exact values being intervals of length 0) and is found by the
    self-consistency (EM) iteration

    .. math:: s_j \leftarrow \frac{1}{n} \sum_i w_i \frac{\alpha_{ij} s_j}{\sum_k \alpha_{ik} s_k},

    where :math:`\alpha_{ij} = 1` when interval j lies inside observation i's bounds. Each observation
    covers a run of consecutive innermost intervals, so an iteration costs O(rows + intervals). With
    right-censoring only it equals the Kaplan-Meier estimate. Truncation is not taken into account.

    Returns
    -------
    pandas.DataFrame
        Columns ``low``, ``high`` (the innermost interval), ``mass`` and ``cdf`` (the estimate's
        cdf after the interval); within an interval the estimate does not say where the mass lies.
    """
    q, p, s, *_ = _turnbull(_turnbull_bounds(obs, discrete=False), tol=tol, max_iter=max_iter)
    return pd.DataFrame({"low": q, "high": p, "mass": s, "cdf": np.cumsum(s)})


def _turnbull_bounds(
    obs: CensoredObservations, *, discrete: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every observation as bounds ``(low, high, exclusive low end, weight)``, zero weights dropped.

    Exact values are closed intervals [x, x]; censored ones (l, u]. For whole numbers,
    ``X >= l`` and ``l <= X <= u`` are (l - 1, inf) and (l - 1, u].
    """
    step = 1.0 if discrete else 0.0
    lows = np.concatenate(
        [obs.exact, np.full(obs.left.size, -np.inf), obs.right - step, obs.interval[:, 0] - step]
    )
    highs = np.concatenate(
        [obs.exact, obs.left, np.full(obs.right.size, np.inf), obs.interval[:, 1]]
    )
    weights = np.concatenate([obs.weights[g] for g in GROUPS])
    exclusive = np.concatenate(
        [np.zeros(obs.exact.size, bool), np.zeros(obs.left.size, bool),
         np.ones(obs.right.size, bool), np.ones(obs.interval.shape[0], bool)]
    )  # fmt: skip
    keep = weights > 0
    return lows[keep], highs[keep], exclusive[keep], weights[keep]


def _turnbull(
    bounds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], *, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, bool]:
    """Turnbull's estimate by EM: innermost intervals, masses, log-likelihood (nats), convergence.

    Returns the innermost intervals' ends ``q, p``, their masses, the estimate's log-likelihood
    and whether the iteration converged (no mass moved by ``tol``) within ``max_iter`` steps.
    """
    lows, highs, exclusive, weights = bounds
    # Innermost intervals: a left end immediately followed by a right end in the sorted bounds.
    # Exact values are closed [x, x]; censored bounds are half-open (l, u]: on ties an exact
    # value's left end sorts before right ends, a censored lower bound after them (a unit
    # censored at l survived beyond l, as in Kaplan-Meier).
    ends = np.concatenate([lows, highs])
    tie = np.concatenate([np.where(exclusive, 2, 0), np.ones(highs.size, int)])
    order = np.lexsort((tie, ends))
    position = np.empty(order.size, int)
    position[order] = np.arange(order.size)
    is_right = tie[order] == 1
    starts = np.flatnonzero(~is_right[:-1] & is_right[1:])
    q, p = ends[order][starts], ends[order][starts + 1]
    # observation i covers the innermost intervals first[i]..last[i] (by sorted position)
    first = np.searchsorted(starts, position[: lows.size], side="left")
    last = np.searchsorted(starts + 1, position[lows.size :], side="right") - 1
    if np.any(last < first):
        raise DataError("an observation holds no innermost interval; the bounds are inconsistent")
    m = q.size
    total = weights.sum()

    def covered(s: np.ndarray) -> np.ndarray:
        cum = np.concatenate([[0.0], np.cumsum(s)])
        return cum[last + 1] - cum[first]

    def em_step(s: np.ndarray) -> np.ndarray:
        cover = covered(s)
        share = weights / np.where(cover > 0, cover, np.inf)
        diff = np.bincount(first, share, m + 1) - np.bincount(last + 1, share, m + 1)
        return s * np.cumsum(diff)[:m] / total

    def loglik_at(s: np.ndarray) -> float:
        with np.errstate(divide="ignore"):
            return float(np.dot(weights, np.log(covered(s))))

    # EM accelerated by SQUAREM (Varadhan & Roland 2008, scheme S3), falling back to the plain
    # EM step whenever the extrapolated point leaves the simplex or lowers the likelihood
    s = np.full(m, 1.0 / m)
    done = False
    for _ in range(max_iter):
        s1 = em_step(s)
        s2 = em_step(s1)
        r, v = s1 - s, s2 - 2 * s1 + s
        v_norm = float(np.sqrt(v @ v))
        alpha = -float(np.sqrt(r @ r)) / v_norm if v_norm > 0 else -1.0
        candidate = s2
        if alpha < -1.0:
            trial = s - 2 * alpha * r + alpha**2 * v
            if np.all(trial >= 0):
                trial = em_step(trial / trial.sum())
                if loglik_at(trial) >= loglik_at(s2):
                    candidate = trial
        done = np.max(np.abs(candidate - s)) < tol
        s = candidate
        if done:
            break
    return q, p, s, loglik_at(s), done
