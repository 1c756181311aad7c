r"""Is even the best model good enough? Goodness of fit calibrated for estimated parameters.

For n raw observations sorted as :math:`x_{(1)} \le \dots \le x_{(n)}` and the fitted cdf
:math:`u_i = F(x_{(i)})`, the textbook statistics (as R fitdistrplus's ``gofstat`` and scipy compute
them) are

.. math::
    D &= \max_i \max\left(\tfrac{i}{n} - u_i,\; u_i - \tfrac{i-1}{n}\right)
        \quad\text{(Kolmogorov-Smirnov)}\\
    W^2 &= \frac{1}{12n} + \sum_i \left(u_i - \frac{2i-1}{2n}\right)^2
        \quad\text{(Cramér-von Mises)}\\
    A^2 &= -n - \frac1n \sum_i (2i-1)\left[\ln u_i + \ln(1 - u_{n+1-i})\right]
        \quad\text{(Anderson-Darling; } \ln(1-u) \text{ from the family's logsf)}

Their textbook p-values assume the parameters were known; with estimated parameters they are far
too large (a fitted model is closer to its own data). The p-values here are **calibrated by
parametric bootstrap**: draw n values from the fit, refit the same family by the library's own
(exact, fast) estimators with the same fixed parameters, recompute the statistics; the p-value is
:math:`(1 + \#\{T^*_b \ge T\}) / (1 + B)`. Continuous families and raw observations.

**Censored data.** The same three distances are taken between the fitted cdf and Turnbull's
nonparametric estimate :math:`\hat F` (Kaplan-Meier's with right-censoring alone; the empirical cdf
with none), over the gaps between its innermost intervals, where :math:`\hat F` is known and equals
the mass :math:`S_j` below the gap (:func:`npmle_statistics`). For exact data they are the
textbook statistics above. Their p-values would need a model of how the censoring arose (inspection
times, follow-up), which the data do not carry: they are left out, with a note.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from klmodels.censored import CensoredFit, _log_mass_between, turnbull_estimate
from klmodels.checks import check_rng, check_whole
from klmodels.data import Observations
from klmodels.errors import FitError, ParameterError
from klmodels.fitting import Fit, estimate

__all__ = ["GoodnessOfFit", "gof_statistics", "goodness_of_fit", "npmle_statistics"]


def gof_statistics(log_cdf: np.ndarray, log_sf: np.ndarray) -> tuple[float, float, float]:
    r"""KS, Cramér-von Mises and Anderson-Darling statistics from the sorted sample's log cdf and log sf.

    ``log_cdf[i]`` and ``log_sf[i]`` are :math:`\\ln F(x_{(i)})` and :math:`\\ln(1 - F(x_{(i)}))`
    for the sample sorted in increasing order (both from the family, so the tails keep their
    precision in A^2).
    """
    ks, cvm, ad = _statistics_rows(log_cdf[None, :], log_sf[None, :])[0]
    return float(ks), float(cvm), float(ad)


def npmle_statistics(
    level: np.ndarray,
    log_cdf: np.ndarray,
    log_sf: np.ndarray,
    n: float,
    bounded: np.ndarray | None = None,
) -> tuple[float, float, float]:
    r"""KS, Cramér-von Mises and Anderson-Darling distances from a nonparametric estimate with gaps.

    The estimate :math:`\hat F` is known on the gaps :math:`(a_j, b_j)`, j = 0..m, between its
    innermost intervals :math:`[b_{j-1}, a_j]`, where it equals :math:`S_j`; the model's cdf runs
    from :math:`u_{a_j}` to :math:`u_{b_j}` across gap j. Over the gaps,

    .. math::
        D &= \max_j \max(|S_j - u_{a_j}|, |S_j - u_{b_j}|)\\
        W^2 &= n \sum_j \int_{u_{a_j}}^{u_{b_j}} (S_j - u)^2\,du
             = \frac n3 \sum_j \left[(u_{b_j} - S_j)^3 - (u_{a_j} - S_j)^3\right]\\
        A^2 &= n \sum_j \int_{u_{a_j}}^{u_{b_j}} \frac{(S_j - u)^2}{u(1-u)}\,du
             = n \sum_j \left[-\Delta u + S_j^2\,\Delta \ln u - (1 - S_j)^2\,\Delta\ln(1-u)\right]

    which for exact data (gaps between consecutive order statistics, :math:`S_j = j/n`) are the
    textbook statistics of :func:`gof_statistics`. Across a bounded innermost interval, where the
    estimate does not say where its mass lies, :math:`W^2` and :math:`A^2` add the trapezoid rule
    between its two ends, :math:`\tfrac n2 [g(b_{j-1}) + g(a_j)]\,(u_{a_j} - u_{b_{j-1}})` with
    :math:`g = (\hat F - u)^2` (over :math:`u(1-u)` for A^2): for grouped data, the statistics of
    Choulakian, Lockhart & Stephens (1994). D is taken where the estimate is known.

    Parameters
    ----------
    level
        :math:`S_j` for each gap, nondecreasing from 0 to 1.
    log_cdf, log_sf
        Shape (gaps, 2): the model's log cdf and log sf at each gap's two ends.
    n
        The number of observations.
    bounded
        For each of the m = gaps - 1 innermost intervals, whether both its ends are finite
        (default: none is; an unbounded one, such as the mass beyond the last right-censoring
        time, is left out).
    """
    with np.errstate(all="ignore"):
        u, s = np.exp(log_cdf), np.exp(log_sf)
        ks = float(np.max(np.abs(level[:, None] - u)))
        cvm = n / 3 * float(np.sum((u[:, 1] - level) ** 3 - (u[:, 0] - level) ** 3))
        lower = np.where(level > 0, level**2 * (log_cdf[:, 1] - log_cdf[:, 0]), 0.0)
        upper = np.where(level < 1, (1 - level) ** 2 * (log_sf[:, 1] - log_sf[:, 0]), 0.0)
        ad = n * float(np.sum(-(u[:, 1] - u[:, 0]) + lower - upper))
        if bounded is not None and np.any(bounded):
            # innermost interval j runs from the end of gap j - 1 to the start of gap j
            before = (level[:-1] - u[:-1, 1]) ** 2, u[:-1, 1] * s[:-1, 1]
            after = (level[1:] - u[1:, 0]) ** 2, u[1:, 0] * s[1:, 0]
            width = np.where(bounded, u[1:, 0] - u[:-1, 1], 0.0)
            cvm += n / 2 * float(np.sum((before[0] + after[0]) * width))
            # only where the interval has width: an exact value where the model's cdf is 0 or 1
            # has g / v = inf but width 0 (its inf belongs to the gaps' terms, not to NaN here)
            weighted = [np.where((g == 0) | (width == 0), 0.0, g / v) for g, v in (before, after)]
            ad += n / 2 * float(np.sum((weighted[0] + weighted[1]) * width))
    return ks, cvm, ad


def censored_statistics(
    fit: CensoredFit, estimate: tuple[np.ndarray, np.ndarray, np.ndarray, float, bool]
) -> tuple[tuple[float, float, float], str]:
    """The three distances of a continuous censored fit from Turnbull's ``estimate``, and a note.

    ``estimate`` is :func:`klmodels.censored.turnbull_estimate` of the fit's observations. The
    model is truncated as in the likelihood.
    """
    obs = fit.observations
    q, p, mass, _, converged = estimate
    if not converged:
        return (math.nan,) * 3, (
            "no goodness-of-fit statistics: Turnbull's estimate did not converge within its budget"
        )
    level = np.concatenate([[0.0], np.cumsum(mass[:-1]) / mass.sum(), [1.0]])
    low, high = obs.truncation
    gap_ends = np.clip(
        np.column_stack([np.concatenate([[-np.inf], p]), np.concatenate([q, [np.inf]])]),
        low,
        high,
    )
    ends = gap_ends.ravel()
    family, params = fit.family, fit.all_params
    if (low, high) == (-math.inf, math.inf):
        with np.errstate(all="ignore"):
            log_cdf, log_sf = family.logcdf(ends, params), family.logsf(ends, params)
    else:  # the model truncated to (low, high), as in the likelihood
        lows, highs = np.full(ends.shape, low), np.full(ends.shape, high)
        inside = _log_mass_between(family, params, lows[:1], highs[:1])[0]
        log_cdf = np.where(ends <= low, -np.inf, _log_mass_between(family, params, lows, ends))
        log_sf = np.where(ends >= high, -np.inf, _log_mass_between(family, params, ends, highs))
        log_cdf, log_sf = log_cdf - inside, log_sf - inside
    shape = gap_ends.shape
    statistics = npmle_statistics(
        level,
        np.asarray(log_cdf, float).reshape(shape),
        np.asarray(log_sf, float).reshape(shape),
        obs.n_obs,
        bounded=np.isfinite(gap_ends[:-1, 1]) & np.isfinite(gap_ends[1:, 0]),  # after truncation
    )
    return statistics, (
        "statistics against Turnbull's estimate; no p-values for censored data (they would need "
        "a model of how the censoring arose)"
    )


@dataclass(frozen=True)
class GoodnessOfFit:
    r"""Goodness-of-fit statistics of one fit, with p-values calibrated by parametric bootstrap.

    Attributes
    ----------
    ks, cvm, ad : float
        Kolmogorov-Smirnov, Cramér-von Mises and Anderson-Darling statistics at the fitted
        parameters.
    ks_p, cvm_p, ad_p : float
        Their p-values for estimated parameters, :math:`(1 + \\#\\{T^* \\ge T\\})/(1 + B)`.
    resamples : int
        B, the number of refitted simulated samples that succeeded.
    note : str
        Why p-values are missing, or how many resamples failed.
    """

    ks: float
    cvm: float
    ad: float
    ks_p: float
    cvm_p: float
    ad_p: float
    resamples: int
    note: str = ""


def _statistics_rows(log_cdf: np.ndarray, log_sf: np.ndarray) -> np.ndarray:
    """:func:`gof_statistics` for every row of sorted samples at once: shape (rows, 3)."""
    n = log_cdf.shape[1]
    u = np.exp(log_cdf)
    i = np.arange(1, n + 1)
    ks = np.max(np.maximum(i / n - u, u - (i - 1) / n), axis=1)
    cvm = 1 / (12 * n) + np.sum((u - (2 * i - 1) / (2 * n)) ** 2, axis=1)
    ad = -n - np.sum((2 * i - 1) * (log_cdf + log_sf[:, ::-1]), axis=1) / n
    return np.column_stack([ks, cvm, ad])


def _weibull_shapes(log_y: np.ndarray) -> np.ndarray:
    """Weibull MLE shapes of every row: Newton on the profile score (in ln c), vectorised."""
    shifted = log_y - log_y.max(axis=1, keepdims=True)  # exp(c * shifted) <= 1: no overflow
    mean_log = shifted.mean(axis=1)
    c = 1.2 / np.maximum(shifted.std(axis=1), 1e-300)
    for _ in range(60):
        e = np.exp(c[:, None] * shifted)
        s0, s1, s2 = e.sum(axis=1), (e * shifted).sum(axis=1), (e * shifted**2).sum(axis=1)
        g = s1 / s0 - 1 / c - mean_log
        dg = (s2 * s0 - s1**2) / s0**2 + 1 / c**2
        step = np.clip(g / (dg * c), -1.0, 1.0)  # Newton in ln c, damped
        c = c * np.exp(-step)
        if np.all(np.abs(step) < 1e-13):
            break
    return c


def _standard_draws(
    name: str, params: Mapping[str, float], shape: tuple[int, int], rng: Any
) -> Any:
    """Simulated samples whose refitted statistics have the fit's null distribution, or None.

    The refits below are equivariant, so the statistics of a (log-)location-scale family do not
    depend on its parameters: normal samples and the logs of lognormal ones are drawn as standard
    normal values; exponential samples, and Weibull ones (``scale * E**(1/c)``, whose refit undoes
    the power and the scale), as standard exponential values E. The gamma's depend on its shape.
    """
    if name in ("norm", "lognorm"):
        return rng.standard_normal(shape)
    if name in ("expon", "weibull_min"):
        return rng.standard_exponential(shape)
    if name == "gamma":
        return rng.standard_gamma(params["a"], shape)
    return None


def _gamma_shapes(draws: np.ndarray) -> np.ndarray:
    """Gamma MLE shapes of every row: Newton on ln a - digamma(a) = ln mean - mean ln, vectorised."""
    from scipy import special

    s = np.log(draws.mean(axis=1)) - np.log(draws).mean(axis=1)
    a = (3 - s + np.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)  # Minka's start
    for _ in range(60):
        f = np.log(a) - special.digamma(a) - s
        df = 1 / a - special.polygamma(1, a)
        step = f / (df * a)
        a = a * np.exp(-step)
        if np.all(np.abs(step) < 1e-14):
            break
    return a


_BATCHED_FREE = {
    "norm": {"loc", "scale"},
    "lognorm": {"s", "scale"},
    "expon": {"scale"},
    "gamma": {"a", "scale"},
    "weibull_min": {"c", "scale"},
}


def _batched_log_tails(name: str, draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Log cdf and log sf of every sorted row of ``draws`` at its own maximum-likelihood refit.

    All rows at once, with one special-function evaluation per value; ``draws`` come from
    :func:`_standard_draws`. Normal: :math:`t = (v - \bar v)/s_v`, :math:`\ln\Phi(\pm t)`.
    Gamma: :math:`P(\hat a, y/\hat\theta)`, the upper tail from ``gammaincc`` where P > 1/2.
    Exponential and Weibull: :math:`t = (y/\hat s)^{\hat c}`, :math:`\ln(1 - e^{-t})` and
    :math:`-t`.
    """
    from scipy import special

    if name in ("norm", "lognorm"):
        t = (draws - draws.mean(axis=1, keepdims=True)) / draws.std(axis=1, keepdims=True)
        u = special.ndtr(t)
        log_sf = np.log1p(-u)
        far = t > 3.0  # above, 1 - u has lost digits: the upper tail from ndtr(-t)
        log_sf[far] = np.log(special.ndtr(-t[far]))
        return np.log(u), log_sf
    if name == "gamma":
        a = _gamma_shapes(draws)[:, None]
        y = draws * (a / draws.mean(axis=1, keepdims=True))
        # one incomplete gamma function per value: the lower one below y = a (near the median),
        # the upper one above it, where 1 - P would lose digits
        upper_side = y >= a
        shapes = np.broadcast_to(a, y.shape)
        lower = special.gammainc(shapes[~upper_side], y[~upper_side])
        upper = special.gammaincc(shapes[upper_side], y[upper_side])
        log_cdf, log_sf = np.empty_like(y), np.empty_like(y)
        log_cdf[~upper_side], log_sf[~upper_side] = np.log(lower), np.log1p(-lower)
        log_cdf[upper_side], log_sf[upper_side] = np.log1p(-upper), np.log(upper)
        return log_cdf, log_sf
    if name == "weibull_min":
        log_e = np.log(draws)
        c = _weibull_shapes(log_e)[:, None]
        top = log_e.max(axis=1, keepdims=True)
        log_scale = np.log(np.mean(np.exp(c * (log_e - top)), axis=1, keepdims=True)) / c + top
        t = np.exp(c * (log_e - log_scale))
    else:  # expon
        t = draws / draws.mean(axis=1, keepdims=True)
    return np.log(-np.expm1(-t)), -t


def _statistics_at(
    family: Any, params: Mapping[str, float], x_sorted: np.ndarray
) -> tuple[float, float, float]:
    with np.errstate(all="ignore"):
        log_cdf = np.asarray(family.logcdf(x_sorted, params), dtype=np.float64)
        log_sf = np.asarray(family.logsf(x_sorted, params), dtype=np.float64)
    return gof_statistics(log_cdf, log_sf)


def goodness_of_fit(
    fit: Fit | CensoredFit, *, resamples: int = 200, rng: Any = None
) -> GoodnessOfFit:
    """KS, Cramér-von Mises and Anderson-Darling statistics of ``fit``, calibrated by parametric bootstrap.

    Parameters
    ----------
    fit
        A continuous fit to raw observations (from :func:`klmodels.fit` or a table's ``.fits``),
        or to censored ones (a :class:`~klmodels.censored.CensoredFit`: the statistics are taken
        against Turnbull's estimate, without p-values; see the module docstring).
    resamples
        B, the number of simulated samples (each refitted); 0 gives the statistics only.
    rng
        A NumPy Generator or a seed (reproducible p-values).

    Raises
    ------
    ParameterError
        For a discrete fit (use :func:`klmodels.g_test`), data given with weights, or bad
        ``resamples``.
    """
    if not isinstance(fit, Fit | CensoredFit):
        raise ParameterError(
            f"goodness_of_fit takes a Fit or a CensoredFit; got {type(fit).__name__}"
        )
    if fit.family.kind != "continuous":
        raise ParameterError(
            "these statistics are for continuous fits; discrete ones have klm.g_test"
        )
    resamples = check_whole(resamples, "resamples", low=0, high=1_000_000)
    if isinstance(fit, CensoredFit):
        statistics, note = censored_statistics(fit, turnbull_estimate(fit.observations))
        return GoodnessOfFit(*statistics, math.nan, math.nan, math.nan, 0, note)
    obs = fit.observations
    if not obs.in_memory or obs.weights is not None:
        raise ParameterError(
            "goodness of fit needs the raw observations in memory (not weights or Dask data)"
        )
    rng = check_rng(rng)
    x = np.sort(obs.values)
    n = x.size
    family, params = fit.family, fit.all_params
    observed = _statistics_at(family, params, x)
    if resamples == 0:
        return GoodnessOfFit(
            *observed, math.nan, math.nan, math.nan, 0, "no resamples: no p-values"
        )
    fixed = {k: v for k, v in params.items() if k not in fit.params}
    default_loc = fixed.get("loc", 0.0) == 0.0 and fixed.get("scale", 1.0) == 1.0
    if default_loc and len(fixed) <= 1 and _BATCHED_FREE.get(family.name) == set(fit.params):
        # every resample refitted at once (the exact estimators, vectorised)
        draws = np.sort(_standard_draws(family.name, params, (resamples, n), rng), axis=1)
        with np.errstate(all="ignore"):
            return _calibrated(observed, _statistics_rows(*_batched_log_tails(family.name, draws)))
    frozen = fit.freeze()
    rows = np.full((resamples, 3), math.nan)  # a row stays NaN when its sample cannot be refitted
    for b in range(resamples):
        draw = np.sort(np.asarray(frozen.rvs(size=n, random_state=rng), dtype=np.float64))
        try:
            refit = estimate(Observations.from_data(draw), family, None, fixed)
        except (FitError, ArithmeticError, ValueError):
            continue
        rows[b] = _statistics_at(family, refit.all_params, draw)
    return _calibrated(observed, rows)


def _calibrated(observed: tuple[float, float, float], rows: np.ndarray) -> GoodnessOfFit:
    r"""p-values :math:`(1 + \#\{T^* \ge T\})/(1 + B)` from the simulated statistics (one row each).

    A row with a NaN statistic is a sample that could not be refitted, and does not count.
    """
    done_rows = ~np.isnan(rows).any(axis=1)
    done, failed = int(done_rows.sum()), int((~done_rows).sum())
    above = (rows[done_rows] >= np.asarray(observed)).sum(axis=0)
    p = (1 + above) / (1 + done) if done else np.full(3, math.nan)
    note = f"{failed} of {rows.shape[0]} simulated samples could not be refitted" if failed else ""
    return GoodnessOfFit(*observed, float(p[0]), float(p[1]), float(p[2]), done, note)
