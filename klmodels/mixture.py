r"""Finite mixtures of frozen scipy distributions, as frozen scipy distributions themselves.

:func:`mixture` turns models :math:`F_k` and weights :math:`w_k` (summing to 1) into the frozen
distribution with

.. math:: f(x) = \sum_k w_k f_k(x), \qquad F(x) = \sum_k w_k F_k(x),
    \qquad \mathrm{E}X = \sum_k w_k \mu_k, \qquad \mathrm{Var}X = \sum_k w_k (\sigma_k^2 + \mu_k^2) - (\mathrm{E}X)^2,

its log-density taken with log-sum-exp, its survival function summed from the components' own
(no ``1 - cdf``), and its quantiles found by bisection between the components' quantiles (the
mixture's q-quantile lies between the smallest and the largest of them). Being a real scipy frozen
distribution, it has ``pdf``/``pmf``, ``cdf``, ``sf``, ``ppf``, ``isf``, ``rvs``, ``mean``,
``var``, ``interval`` and goes wherever klmodels takes a frozen model (:func:`klmodels.model_kl`,
:func:`klmodels.kl_divergence`). This is what :meth:`klmodels.ComparisonTable.average` returns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import optimize, special, stats

__all__ = ["mixture", "zero_truncated"]


def _check(components: Sequence[Any], weights: Any) -> tuple[tuple[Any, ...], np.ndarray]:
    w = np.asarray(weights, dtype=np.float64)
    if len(components) == 0 or w.shape != (len(components),):
        raise ValueError("a mixture needs one weight per component, and at least one component")
    if np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"mixture weights must be finite, >= 0 and not all 0; got {w.tolist()}")
    return tuple(components), w / w.sum()


def _root_quantiles(cdf: Any, low: np.ndarray, high: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Continuous quantiles by Brent's method, element by element (few elements: quadrature calls)."""
    out = np.empty(q.shape)
    for index, (lo, hi, level) in enumerate(zip(low.ravel(), high.ravel(), q.ravel(), strict=True)):
        if not lo < hi:
            out.flat[index] = hi
            continue
        out.flat[index] = optimize.brentq(
            lambda x, level=level: float(cdf(np.array([x]))[0]) - level,
            lo,
            hi,
            xtol=1e-300,  # relative precision only (rtol): data of any scale
            rtol=1e-15,
        )
    return out


def _bisect_quantiles(
    cdf: Any, low: np.ndarray, high: np.ndarray, q: np.ndarray, integer: bool
) -> np.ndarray:
    """The smallest x in [low, high] with cdf(x) >= q, element by element (60 halvings)."""
    low, high = low.astype(np.float64).copy(), high.astype(np.float64).copy()
    for _ in range(200 if not integer else 64):
        if integer:
            if np.all(high - low <= 1):
                break
            mid = np.floor((low + high) / 2)
        else:
            mid = 0.5 * (low + high)
            if np.all((high - low) <= 1e-13 * np.maximum(1.0, np.abs(mid))):
                break
        above = cdf(mid) >= q
        high = np.where(above, mid, high)
        low = np.where(above, low, mid)
    if integer:
        return np.where(cdf(low) >= q, low, high)
    return high


class _Mixin:
    """What the continuous and the discrete mixtures share (components, weights, moments, draws)."""

    _components: tuple[Any, ...]
    _mix_weights: np.ndarray

    def __init__(self, components: Sequence[Any] = (), weights: Any = (), **kwargs: Any):
        if components:
            kwargs.update(self._setup(components, weights))
        super().__init__(**kwargs)  # the scipy base that follows in the MRO

    def _setup(self, components: Sequence[Any], weights: Any) -> dict[str, float]:
        self._components, self._mix_weights = _check(components, weights)
        lows = [float(c.support()[0]) for c in self._components]
        highs = [float(c.support()[1]) for c in self._components]
        return {"a": min(lows), "b": max(highs)}

    def _updated_ctor_param(self) -> dict[str, Any]:  # scipy rebuilds the distribution when frozen
        params: dict[str, Any] = super()._updated_ctor_param()
        params.update(components=self._components, weights=self._mix_weights)
        return params

    def _sum(self, method: str, x: np.ndarray) -> np.ndarray:
        return sum(
            w * getattr(c, method)(x)
            for c, w in zip(self._components, self._mix_weights, strict=True)
        )

    def _log_sum(self, method: str, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            terms = [
                np.log(w) + getattr(c, method)(x)
                for c, w in zip(self._components, self._mix_weights, strict=True)
            ]
        return special.logsumexp(np.stack(terms), axis=0)

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        return self._sum("cdf", x)

    def _sf(self, x: np.ndarray) -> np.ndarray:
        return self._sum("sf", x)

    def _logcdf(self, x: np.ndarray) -> np.ndarray:
        return self._log_sum("logcdf", x)

    def _logsf(self, x: np.ndarray) -> np.ndarray:
        return self._log_sum("logsf", x)

    def _quantile(self, q: np.ndarray, integer: bool) -> np.ndarray:
        q = np.asarray(q, dtype=np.float64)
        each = np.stack([np.broadcast_to(c.ppf(q), q.shape) for c in self._components])
        low, high = each.min(axis=0), each.max(axis=0)
        if not integer and q.size <= 16 and np.all(np.isfinite(low) & np.isfinite(high)):
            return _root_quantiles(self._cdf, low, high, q)
        return _bisect_quantiles(self._cdf, low, high, q, integer)

    def _stats(self) -> tuple[float, float, None, None]:
        means = np.array([c.mean() for c in self._components])
        variances = np.array([c.var() for c in self._components])
        mean = float(self._mix_weights @ means)
        second = float(self._mix_weights @ (variances + means**2))
        return mean, second - mean**2, None, None

    def _rvs(self, size: Any = None, random_state: Any = None) -> np.ndarray:
        rng = (
            np.random.default_rng(random_state)
            if not isinstance(random_state, np.random.Generator)
            else random_state
        )
        n = int(np.prod(size)) if size is not None else 1
        which = rng.choice(len(self._components), size=n, p=self._mix_weights)
        out = np.empty(n)
        for k, component in enumerate(self._components):
            chosen = which == k
            if chosen.any():
                out[chosen] = component.rvs(size=int(chosen.sum()), random_state=rng)
        return out.reshape(size) if size is not None else out[0]


class _ContinuousMixture(_Mixin, stats.rv_continuous):
    def _pdf(self, x: np.ndarray) -> np.ndarray:
        return self._sum("pdf", x)

    def _logpdf(self, x: np.ndarray) -> np.ndarray:
        return self._log_sum("logpdf", x)

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        return self._quantile(q, integer=False)

    def _isf(self, q: np.ndarray) -> np.ndarray:
        return self._quantile(1.0 - np.asarray(q, dtype=np.float64), integer=False)


class _DiscreteMixture(_Mixin, stats.rv_discrete):
    def __new__(cls, components: Sequence[Any] = (), weights: Any = (), **kwargs: Any) -> Any:
        return super().__new__(cls, **kwargs)  # rv_discrete.__new__ knows only its own arguments

    def _pmf(self, k: np.ndarray) -> np.ndarray:
        return self._sum("pmf", k)

    def _logpmf(self, k: np.ndarray) -> np.ndarray:
        return self._log_sum("logpmf", k)

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        return self._quantile(q, integer=True)


def mixture(components: Sequence[Any], weights: Any, *, name: str = "model_average") -> Any:
    """The frozen scipy distribution that mixes frozen ``components`` with ``weights``.

    All components must be of one kind (all continuous or all discrete).

    Raises
    ------
    ValueError
        For mixed kinds, a weight per component missing, or weights that are negative, NaN or all 0.
    """
    discrete = [isinstance(getattr(c, "dist", None), stats.rv_discrete) for c in components]
    if any(discrete) and not all(discrete):
        raise ValueError("a mixture cannot mix discrete and continuous components")
    kind = _DiscreteMixture if discrete and all(discrete) else _ContinuousMixture
    return kind(components, weights, name=name)()


class _ZeroTruncated(stats.rv_discrete):
    r"""A frozen count distribution given that it is positive: :math:`p(y) / (1 - p(0))`, y >= 1.

    Every method comes from the base's own in O(1): survival :math:`S(y) / (1 - p_0)`, cdf one
    minus it (not :math:`(F(y) - p_0) / (1 - p_0)`, which cancels when :math:`p_0` is near 1),
    quantile :math:`F^{-1}(p_0 + q (1 - p_0))`, mean :math:`\mu / (1 - p_0)`, second moment
    :math:`(\sigma^2 + \mu^2) / (1 - p_0)`; never by summing over the support, which may be
    astronomically long. ``1 - p_0`` is given by the caller, computed without cancellation.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> _ZeroTruncated:
        return super().__new__(cls)  # rv_discrete's __new__ reads its own keywords only

    def __init__(
        self, base: Any = None, p0: float = 0.0, positive: float | None = None, **kwargs: Any
    ):
        super().__init__(**{"name": "zero_truncated", **kwargs, "a": 1})
        self._base, self._p0 = base, p0
        self._positive = 1 - p0 if positive is None else positive

    def _updated_ctor_param(self) -> dict[str, Any]:
        return {
            **super()._updated_ctor_param(),
            "base": self._base,
            "p0": self._p0,
            "positive": self._positive,
        }

    def _pmf(self, k: np.ndarray) -> np.ndarray:
        return np.asarray(self._base.pmf(k)) / self._positive

    def _logpmf(self, k: np.ndarray) -> np.ndarray:
        return np.asarray(self._base.logpmf(k)) - math.log(self._positive)

    def _cdf(self, k: np.ndarray) -> np.ndarray:
        return 1 - self._sf(k)  # not (F - p0) / (1 - p0): F(1) - p0 cancels when p0 is near 1

    def _sf(self, k: np.ndarray) -> np.ndarray:
        return np.asarray(self._base.sf(k)) / self._positive

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        return np.maximum(np.asarray(self._base.ppf(self._p0 + q * self._positive)), 1.0)

    def _isf(self, q: np.ndarray) -> np.ndarray:
        return np.maximum(np.asarray(self._base.isf(q * self._positive)), 1.0)

    def _stats(self) -> tuple[float, float, None, None]:
        positive = self._positive
        mean = float(self._base.mean()) / positive
        second = (float(self._base.var()) + float(self._base.mean()) ** 2) / positive
        return mean, second - mean**2, None, None

    def _rvs(self, size: Any = None, random_state: Any = None) -> np.ndarray:
        u = random_state.uniform(size=size)
        return self._ppf(u)


def zero_truncated(base: Any, p0: float, positive: float | None = None) -> Any:
    """The frozen count distribution ``base`` given that it is positive (``p0`` = its P(0)).

    ``positive`` = 1 - p0 computed by the caller without cancellation, when p0 is near 1.
    """
    return _ZeroTruncated(base=base, p0=p0, positive=positive)()
