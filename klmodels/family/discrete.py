r"""Discrete families under scipy's names, each with its exact maximum-likelihood estimator.

All estimators work on the distinct values and their probabilities (O(number of distinct
values)). Every family but ``randint`` has an integer shift ``loc`` (0 by default) that
``support=(low, high)`` sets so that the family starts at ``low``; finite-support families
also take their upper end from ``high`` (binom's and betabinom's ``n``, zipfian's ``n``,
randint's ``high``). Without a support those bounds are estimated and count in k.

=============  =======================================  ===================================
family         pmf (y = x - loc)                        maximum likelihood
=============  =======================================  ===================================
randint        1 / (high - low), low <= x < high        low = min x, high = max x + 1
bernoulli      p^y (1-p)^(1-y), y in {0, 1}             p = mean y
binom          C(n,y) p^y (1-p)^(n-y), y = 0..n         p = mean y / n; n by profile search
betabinom      C(n,y) B(y+a, n-y+b) / B(a, b)           (a, b) numerically; n by profile
poisson        mu^y e^-mu / y!                          mu = mean y
geom           (1-p)^(y-1) p, y >= 1                    p = 1 / mean y
nbinom         C(y+n-1, y) p^n (1-p)^y                  1-D root of the profile score in n
logser         -p^y / (y ln(1-p)), y >= 1               1-D root of mean y = -p/((1-p)ln(1-p))
zipf           y^-a / zeta(a), y >= 1, a > 1            1-D minimisation in a
zipfian        y^-a / H(n, a), y = 1..n                 n = max y; a by 1-D minimisation
empirical      the observed frequencies                 itself (KL = 0, k = distinct - 1)
=============  =======================================  ===================================
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from klmodels.errors import FitError, ParameterError
from klmodels.family.base import (
    Family,
    NotedEstimate,
    Parameter,
    ScipyFamily,
    Support,
    log1mexp,
)
from klmodels.optimize import argmax_integer, argmax_integer_by_slope, maximise
from klmodels.protocols import ObservationsLike

__all__ = [
    "Bernoulli",
    "BetaBinomial",
    "Binomial",
    "DiscreteUniform",
    "Empirical",
    "Geometric",
    "LogSeries",
    "NegativeBinomial",
    "Poisson",
    "Zipf",
    "Zipfian",
    "discrete_families",
]

_LOC = Parameter("loc", -math.inf, math.inf, integer=True)
_PROB = Parameter("p", 0.0, 1.0, low_closed=True, high_closed=True)
_TRIALS = Parameter("n", 0.0, math.inf, low_closed=True, integer=True)
# The largest n tried when a binomial-type n is estimated; beyond it the profile is taken to
# increase for ever (the data are not under-dispersed enough for a finite n).
_MAX_TRIALS = 10_000_000


def not_whole_numbers(name: str, obs: ObservationsLike) -> FitError:
    """The error for non-integer data, which says why when the values are whole but too large."""
    if max(abs(obs.min), abs(obs.max)) >= 2.0**53:
        return FitError(
            f"{name} is a discrete family, but the data reach {max(abs(obs.min), abs(obs.max)):.3g}: "
            "beyond 2**53 (9.0e15) whole numbers are not exact in floating point and cannot be "
            "counted. Subtract an offset or rescale, or pass kind='continuous'"
        )
    example = obs.sample.first_where(lambda x: x != np.floor(x))
    return FitError(
        f"{name} is a discrete family: the data must be whole numbers, but they include values "
        f"such as {example:g}"
    )


class _Discrete(ScipyFamily):
    """A scipy discrete family with an integer shift ``loc`` that ``support`` can set."""

    def __init__(self, name: str, shapes: tuple[Parameter, ...], summary: str):
        super().__init__(name, (*shapes, _LOC), default_fixed={"loc": 0.0}, summary=summary)
        self.natural_low = float(self.dist.a)
        # scipy's generic discrete cdf sums the pmf from the support's start: O(value), not cheap
        self.has_cdf = type(self.dist)._cdf is not stats.rv_discrete._cdf

    def can_hold(self, low: float, high: float, support_given: bool) -> bool:
        """Data below where the family naturally starts need ``support=`` to shift it."""
        return support_given or low >= self.natural_low

    def params_from_support(self, support: Support) -> dict[str, float]:
        """``loc`` so that the family starts at the support's lower end."""
        return {"loc": support[0] - self.natural_low}

    def _data(
        self, obs: ObservationsLike, fixed: Mapping[str, float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distinct shifted values y = x - loc and their probabilities, checked against the support."""
        if not obs.integer_valued:
            raise not_whole_numbers(self.name, obs)
        values, prob = obs.distinct()
        loc = fixed.get("loc", 0.0)
        y = values - loc
        if y[0] < self.natural_low:
            start = self.natural_low + loc
            raise FitError(
                f"{self.name} takes values from {start:g} up, but the data go down to {values[0]:g}. "
                f"Pass support=({values[0]:g}, ...) to start it there (loc={values[0] - self.natural_low:g}), "
                "or choose another family."
            )
        return y, prob

    def _shapes_valid(self, shapes: Mapping[str, float]) -> bool:
        """Whether the shape parameters are inside scipy's ``_argcheck`` (False: use scipy)."""
        return False

    def _log_pmf_formula(self, k: np.ndarray, shapes: Mapping[str, float]) -> np.ndarray:
        """The formula of scipy's ``_logpmf`` at whole numbers ``k`` in the support, unchecked."""
        raise NotImplementedError

    def _upper_end(self, shapes: Mapping[str, float]) -> float:
        """The largest value of y = x - loc the family gives positive probability."""
        return math.inf

    def logpdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Log pmf in nats: scipy's formula evaluated directly, equal to ``dist.logpmf``.

        scipy's generic ``logpmf`` checks and broadcasts its arguments on every call (about
        0.1 ms, most of the time on a few distinct counts, where fits call it hundreds of times);
        with valid shapes the same formula runs here on NumPy arrays: -inf outside the support
        and at non-integers, NaN at NaN (as scipy). Invalid shapes go to scipy (its NaN).
        """
        shapes = {k: v for k, v in params.items() if k != "loc"}
        loc = params.get("loc", 0.0)
        if not (self._shapes_valid(shapes) and math.isfinite(loc)):
            return super().logpdf(x, params)
        k = np.asarray(x, dtype=np.float64) - loc
        with np.errstate(all="ignore"):
            inside = (k == np.floor(k)) & (k >= self.natural_low) & (k <= self._upper_end(shapes))
            out = np.where(
                inside,
                self._log_pmf_formula(np.where(inside, k, self.natural_low), shapes),
                -np.inf,
            )
        return np.where(np.isnan(k), np.nan, out)

    def _require_at_most(self, y: np.ndarray, upper: float, what: str) -> None:
        if y[-1] > upper:
            raise FitError(
                f"{self.name} with {what} cannot produce the data's largest value "
                f"(y = x - loc = {y[-1]:g} > {upper:g})"
            )

    def estimate(self, obs: ObservationsLike, fixed: Mapping[str, float]) -> dict[str, float]:
        """Exact MLE of the free shape parameters on the shifted data (loc held fixed)."""
        if "loc" not in fixed:
            raise FitError(
                f"{self.name}: estimating the shift loc is not supported; fix it or pass support="
            )
        y, prob = self._data(obs, fixed)
        free = {p.name for p in self.free_parameters(fixed)}
        return self._mle(y, prob, fixed, free)

    def _mle(
        self, y: np.ndarray, prob: np.ndarray, fixed: Mapping[str, float], free: set[str]
    ) -> dict[str, float]:
        raise NotImplementedError

    def _numerical(
        self, y: np.ndarray, prob: np.ndarray, fixed: Mapping[str, float], start: dict[str, float]
    ) -> dict[str, float]:
        """Numerical MLE of the real parameters in ``start`` with the others fixed."""
        if not start:  # every parameter held (nbinom with n and p given raised from the optimiser)
            return {}
        shapes = {k: v for k, v in fixed.items() if k != "loc"}

        def mean_loglik(free_values: dict[str, float]) -> float:
            with np.errstate(all="ignore"):
                return float(np.dot(prob, self.dist.logpmf(y, **shapes, **free_values)))

        domains = {name: self.parameter(name).domain for name in start}
        params, _ = maximise(mean_loglik, domains, start, what=self.name)
        return params


class DiscreteUniform(ScipyFamily):
    r"""Discrete uniform ``randint(low, high)`` on low, low+1, ..., high-1 (scipy's ``high`` is exclusive).

    pmf :math:`1/(\mathrm{high} - \mathrm{low})`; MLE low = min x, high = max x + 1;
    ``support=(a, b)`` fixes low = a, high = b + 1 (k = 0).
    """

    def __init__(self) -> None:
        integer = dict(integer=True)
        super().__init__(
            "randint",
            (
                Parameter("low", -math.inf, math.inf, **integer),
                Parameter("high", -math.inf, math.inf, **integer),
            ),
            summary="discrete uniform on low..high-1 (the post's uniform model)",
        )

    def params_from_support(self, support: Support) -> dict[str, float]:
        """Low = a and, when given, high = b + 1."""
        low, high = support
        return {"low": low} if high is None else {"low": low, "high": high + 1}

    def estimate(self, obs: ObservationsLike, fixed: Mapping[str, float]) -> dict[str, float]:
        """Low = min x, high = max x + 1 for whichever is free; check the data fit inside."""
        if not obs.integer_valued:
            raise not_whole_numbers("randint", obs)
        out = {}
        if "low" not in fixed:
            out["low"] = obs.min
        if "high" not in fixed:
            out["high"] = obs.max + 1
        low = fixed["low"] if "low" in fixed else out["low"]
        high = fixed["high"] if "high" in fixed else out["high"]
        if not (low <= obs.min and obs.max <= high - 1):
            raise FitError(
                f"randint(low={low:g}, high={high:g}) covers {low:g}..{high - 1:g} but the data "
                f"span {obs.min:g}..{obs.max:g}"
            )
        return out


class Bernoulli(_Discrete):
    r"""Bernoulli(p): one trial, 1 with probability p. MLE :math:`\hat p = \bar y`."""

    def __init__(self) -> None:
        super().__init__("bernoulli", (_PROB,), "one yes/no trial")

    def can_hold(self, low: float, high: float, support_given: bool) -> bool:
        """Two outcomes: the data (or the given support) span at most one step."""
        return high - low <= 1

    def params_from_support(self, support: Support) -> dict[str, float]:
        """Loc = a; the support must have exactly two values."""
        low, high = support
        if high is not None and high - low != 1:
            raise FitError(
                f"bernoulli has two outcomes, but support={support!r} has {high - low + 1:g}"
            )
        return {"loc": low}

    def _mle(self, y, prob, fixed, free):
        self._require_at_most(y, 1, "two outcomes")
        return {"p": float(np.dot(prob, y))} if "p" in free else {}


class Binomial(_Discrete):
    r"""Binomial(n, p): successes in n trials.

    MLE :math:`\hat p = \bar y / n`. With ``n`` free (no support), n is found by an exact
    search of the profile likelihood :math:`\ell(n, \bar y / n)` over the integers
    n >= max y, which is unimodal (DeRiggi 1983); the maximum is finite only when the data's
    variance is below its mean. Otherwise no binomial beats its Poisson limit and the fit
    fails with that reason.
    """

    def __init__(self) -> None:
        super().__init__("binom", (_TRIALS, _PROB), "successes in n independent trials")

    def _shapes_valid(self, shapes):
        n, p = shapes.get("n", math.nan), shapes.get("p", math.nan)
        return len(shapes) == 2 and 0 <= n < math.inf and n == math.floor(n) and 0 <= p <= 1

    def _upper_end(self, shapes):
        return shapes["n"]

    def _log_pmf_formula(self, k, shapes):
        return binom_logpmf(k, shapes["n"], shapes["p"])

    def params_from_support(self, support: Support) -> dict[str, float]:
        """Loc = a and, when given, n = b - a."""
        low, high = support
        return {"loc": low} if high is None else {"loc": low, "n": high - low}

    def _mle(self, y, prob, fixed, free):
        mean = float(np.dot(prob, y))
        if "n" not in free:
            n = fixed["n"]
            self._require_at_most(y, n, f"n={n:g}")
            if "p" not in free:
                return {}
            return {"p": mean / n if n > 0 else 0.0}
        if "p" not in free:
            p = fixed["p"]

            def profile(n: int) -> float:
                return float(np.dot(prob, binom_logpmf(y, n, p)))
        else:
            variance = float(np.dot(prob, (y - mean) ** 2))
            if not variance < mean:
                raise FitError(
                    f"binom: with n free the likelihood keeps rising as n grows, because the data's "
                    f"variance ({variance:.4g}) is not below its mean ({mean:.4g}): no binomial fits "
                    "better than the Poisson limit. Fix n with support=(low, high) or n=..."
                )

            def profile(n: int) -> float:
                return float(np.dot(prob, binom_logpmf(y, n, mean / n)))

        n, _, at_cap = argmax_integer(profile, int(y[-1]), _MAX_TRIALS)
        if at_cap:
            raise FitError(
                f"binom: the estimate of n exceeds {_MAX_TRIALS:g}; fix n with support= or n="
            )
        out = {"n": float(n)}
        if "p" in free:
            out["p"] = mean / n
        return out


class BetaBinomial(_Discrete):
    r"""Beta-binomial(n, a, b): binomial trials whose success probability varies as Beta(a, b).

    For a given n, (a, b) by Newton's method in (ln a, ln b) from moment estimates. When the
    data's variance does not exceed the binomial variance :math:`n\pi(1-\pi)` (Tarone's score
    for over-dispersion is <= 0), the likelihood increases towards a + b -> inf (the binomial
    limit) and the fit fails with that reason. With ``n`` free, n is searched over the
    integers >= max y on the profile likelihood (assumed unimodal), guided by its slope in n
    (:meth:`profile_slope`, :func:`~klmodels.optimize.argmax_integer_by_slope`).
    """

    def __init__(self) -> None:
        super().__init__(
            "betabinom",
            (
                _TRIALS,
                Parameter("a", low=0.0, high=math.inf),
                Parameter("b", low=0.0, high=math.inf),
            ),
            "binomial trials with a Beta-distributed success probability (over-dispersed)",
        )

    params_from_support = Binomial.params_from_support

    def _shapes_valid(self, shapes):
        n, a, b = (shapes.get(name, math.nan) for name in ("n", "a", "b"))
        return len(shapes) == 3 and 0 <= n < math.inf and n == math.floor(n) and a > 0 and b > 0

    def _upper_end(self, shapes):
        return shapes["n"]

    def _log_pmf_formula(self, k, shapes):
        return betabinom_logpmf(k, shapes["n"], shapes["a"], shapes["b"])

    def _fit_ab(
        self,
        y: np.ndarray,
        prob: np.ndarray,
        n: float,
        start: tuple[float, float] | None = None,
    ) -> tuple[dict[str, float] | None, float]:
        r"""MLE of (a, b) for a given n by Newton's method in (ln a, ln b), and the mean log-likelihood.

        The score is :math:`\partial_a = \sum_y \hat p(y)\psi(y+a) - \psi(n+a+b) - \psi(a) +
        \psi(a+b)` (and symmetrically in b with n - y); the Hessian has the trigamma terms. Four
        special-function passes over the distinct values per step, from the moments or ``start``.
        Returns ``(None, binomial mean log-likelihood)`` when the maximum is the binomial limit
        (Tarone's score for over-dispersion is <= 0, or a + b runs past 1e12).
        """
        given_start = start is not None
        mean = float(np.dot(prob, y))
        var = float(np.dot(prob, (y - mean) ** 2))
        pi = min(max(mean / n, 1e-9), 1 - 1e-9)
        binomial_var = n * pi * (1 - pi)

        def binomial_limit() -> tuple[None, float]:
            with np.errstate(invalid="ignore", divide="ignore"):
                return None, float(np.dot(prob, binom_logpmf(y, n, mean / n)))

        if var <= binomial_var:
            return binomial_limit()
        if start is None:
            rho = (var / binomial_var - 1) / (n - 1) if n > 1 else 0.5
            rho = min(max(rho, 1e-6), 0.999)
            size = (1 - rho) / rho
            start = (pi * size, (1 - pi) * size)
        la, lb = math.log(start[0]), math.log(start[1])
        digamma = special.digamma

        trigamma = fast_trigamma

        rest = n - y
        converged = reached_limit = False
        for _ in range(100):
            a, b = math.exp(la), math.exp(lb)
            if a + b > 1e12:
                reached_limit = True
                break
            psi_nab, psi_ab = digamma(n + a + b), digamma(a + b)
            g_a = float(np.dot(prob, digamma(y + a))) - psi_nab - digamma(a) + psi_ab
            g_b = float(np.dot(prob, digamma(rest + b))) - psi_nab - digamma(b) + psi_ab
            t_nab, t_ab = trigamma(n + a + b), trigamma(a + b)
            h_aa = float(np.dot(prob, trigamma(y + a))) - t_nab - trigamma(a) + t_ab
            h_bb = float(np.dot(prob, trigamma(rest + b))) - t_nab - trigamma(b) + t_ab
            h_ab = t_ab - t_nab
            # gradient and Hessian in (ln a, ln b)
            g1, g2 = a * g_a, b * g_b
            j11, j22, j12 = a * a * h_aa + g1, b * b * h_bb + g2, a * b * h_ab
            det = j11 * j22 - j12 * j12
            if j11 < 0 and det > 0:  # concave here: a Newton step for the maximum
                s1, s2 = -(j22 * g1 - j12 * g2) / det, -(j11 * g2 - j12 * g1) / det
            else:  # not concave here: a bounded gradient step
                s1, s2 = g1 / max(abs(g1), 1.0), g2 / max(abs(g2), 1.0)
            damp = min(1.0, 2.0 / max(abs(s1), abs(s2), 1e-300))
            la, lb = la + damp * s1, lb + damp * s2
            if max(abs(damp * s1), abs(damp * s2)) < 1e-10:
                converged = True
                break
        found: tuple[dict[str, float] | None, float]
        if reached_limit:
            found = binomial_limit()
        else:
            a, b = math.exp(la), math.exp(lb)
            with np.errstate(all="ignore"):
                value = float(np.dot(prob, betabinom_logpmf(y, n, a, b)))
            limit = binomial_limit()
            found = (
                limit if not math.isfinite(value) or value < limit[1] else ({"a": a, "b": b}, value)
            )
        if given_start and not converged:  # 100 steps or the limit from a caller's start
            return max(found, self._fit_ab(y, prob, n), key=lambda r: r[1])  # and from the moments
        return found

    _SUBSAMPLE = 50_000

    def _search_n(
        self, y: np.ndarray, prob: np.ndarray
    ) -> tuple[int, str, dict[str, float] | None]:
        """The integer n that maximises the profile likelihood (exact search; or on a subsample).

        With more than 50,000 distinct values the search runs on a multinomial subsample of
        50,000 observations (the same every run), and the note says so.
        """
        note = ""
        search_y, search_p = y, prob
        if y.size > self._SUBSAMPLE:
            counts = np.random.default_rng(0).multinomial(self._SUBSAMPLE, prob)
            keep = counts > 0
            search_y, search_p = y[keep], counts[keep] / self._SUBSAMPLE
            note = (
                f"betabinom: n searched on a subsample of {self._SUBSAMPLE:,} observations "
                f"({y.size:,} distinct values); a and b are exact for that n"
            )
        low = max(int(y[-1]), 1)
        fitted: dict[int, dict[str, float] | None] = {}
        warm: dict[str, tuple[float, float, float]] = {}

        def profile(m: int) -> tuple[float, float]:
            start = None
            if "last" in warm:  # b scaled with n keeps the mean n a / (a + b) about where it was
                a, b, n_last = warm["last"]
                start = (a, b * m / n_last)
            ab, value = self._fit_ab(search_y, search_p, float(m), start)
            if ab is not None:
                warm["last"] = (ab["a"], ab["b"], float(m))
            fitted[m] = ab
            return value, self.profile_slope(search_y, search_p, float(m), ab)

        n, _, at_cap = argmax_integer_by_slope(
            profile,
            low,
            100 * low + 1000,
            flat=1e-10,
            noise=lambda m: self.profile_rounding(search_y, search_p, m),
        )
        if at_cap:
            raise FitError(
                f"betabinom: the likelihood keeps rising with n up to {100 * low + 1000:,} (100 times "
                "the largest value), towards the negative binomial (its limit as n -> inf): fit "
                "nbinom, or fix n with support=(low, high) or n=..."
            )
        return n, note, fitted[n] if search_y is y else None

    @staticmethod
    def profile_slope(
        y: np.ndarray, prob: np.ndarray, n: float, ab: dict[str, float] | None
    ) -> float:
        r"""The slope in n of the profile mean log-likelihood, n extended to the reals, per observation.

        By the envelope theorem it is the partial derivative at the inner maximum (a, b):
        :math:`\sum_y \hat p(y)[\psi(n-y+b) - \psi(n-y+1)] - [\psi(n+a+b) - \psi(n+1)]`;
        at the binomial limit (``ab`` None, p = mean / n),
        :math:`\sum_y \hat p(y)[\psi(n+1) - \psi(n-y+1)] + \ln(1 - p)`. Each bracket is
        a difference of digammas taken without cancellation (:func:`digamma_difference`), so
        the slope keeps its digits where the two brackets nearly cancel (about 1/n^2 of each).
        """
        rest = n - y + 1.0
        if ab is None:  # (at n = mean, all values at n: p = 1, and the slope is -inf)
            mean = float(np.dot(prob, y))
            with np.errstate(divide="ignore"):
                return float(np.dot(prob, digamma_difference(rest, y)) + np.log1p(-mean / n))
        a, b = ab["a"], ab["b"]
        inner = float(np.dot(prob, digamma_difference(rest, np.full_like(rest, b - 1.0))))
        return inner - float(digamma_difference(np.array([n + 1.0]), np.array([a + b - 1.0]))[0])

    @staticmethod
    def profile_rounding(y: np.ndarray, prob: np.ndarray, n: int) -> float:
        r"""The rounding error of the mean log pmf at n, in nats per observation.

        scipy's ``betaln(p, q)`` is the difference of log-gamma terms of size about
        :math:`n \ln n` unless one argument is a millionth of the other (then an asymptotic
        form, accurate to the last digits), so the values :math:`y > n/10^6` each carry about
        :math:`\epsilon\, n \ln n` of rounding: the bound is twice that times their share.
        Measured: profile values for 25,000 distinct counts at n near 3.8 million scatter by
        2e-8 nats (bound 2.7e-8); for Poisson counts with one 10^9, near n = 10^11 by 5e-9.
        """
        share = float(prob[np.searchsorted(y, n * 1e-6, side="right") :].sum())
        return 2 * np.finfo(float).eps * (n + 1) * math.log(n + 2) * share

    def _mle(self, y, prob, fixed, free):
        if not free:
            self._require_at_most(y, fixed["n"], f"n={fixed['n']:g}")
            return {}
        if free - {"n"} != {"a", "b"}:
            if "n" in free:
                raise FitError(
                    "betabinom: with a or b fixed, fix n too (support=(low, high) or n=...)"
                )
            self._require_at_most(y, fixed["n"], f"n={fixed['n']:g}")
            return self._numerical(y, prob, fixed, {k: 1.0 for k in free})
        if "n" not in free:
            n = fixed["n"]
            self._require_at_most(y, n, f"n={n:g}")
            if n < 1:
                raise FitError("betabinom: n must be at least 1 to estimate a and b")
            return self._interior(*self._fit_ab(y, prob, n), n)
        n, note, ab = self._search_n(y, prob)
        if ab is None:  # searched on a subsample, or the binomial limit: (a, b) on all the data
            ab = self._interior(*self._fit_ab(y, prob, float(n)), n)
        return NotedEstimate({"n": float(n), **ab}, [note])

    @staticmethod
    def _interior(ab: dict[str, float] | None, _value: float, n: float) -> dict[str, float]:
        if ab is None:
            raise FitError(
                f"betabinom (n={n:g}): a + b runs to infinity (the binomial limit): the data are not "
                "over-dispersed relative to a binomial (variance <= n p (1 - p)), so the binomial "
                "itself is the better model"
            )
        return ab


def binom_logpmf(k: np.ndarray, n: float, p: float) -> np.ndarray:
    """The binomial log pmf by scipy's formula, for whole numbers 0 <= k <= n, without its checks.

    The profile searches over n call it a hundred times on the same values; scipy's checks and
    broadcasting cost more than the formula there.
    """
    combiln = special.gammaln(n + 1) - (special.gammaln(k + 1) + special.gammaln(n - k + 1))
    return combiln + special.xlogy(k, p) + special.xlog1py(n - k, -p)


def betabinom_logpmf(k: np.ndarray, n: float, a: float, b: float) -> np.ndarray:
    """The beta-binomial log pmf by scipy's formula, for whole numbers 0 <= k <= n, a, b > 0, unchecked.

    Logarithms by NumPy's, as scipy's (``math.log`` differs from NumPy's vectorised log in the
    last bit for about 0.3% of arguments).
    """
    combiln = -np.log(n + 1.0) - special.betaln(n - k + 1, k + 1)
    return combiln + special.betaln(k + a, n - k + b) - special.betaln(a, b)


def digamma_difference(x: np.ndarray, d: np.ndarray) -> np.ndarray:
    r""":math:`\psi(x + d) - \psi(x)` for x > 0 and x + d > 0, without cancellation for large x.

    Where x and x + d are both at least 10^4, from the asymptotic series
    :math:`\psi(z) = \ln z - 1/(2z) - 1/(12 z^2) + 1/(120 z^4) - \dots` with each term's
    difference written as one product (:math:`1/(x+d) - 1/x = -d / (x(x+d))`, ...) and
    :math:`\ln(1 + d/x)` by ``log1p``: relative accuracy about 1e-16 of the difference itself,
    where subtracting two digammas of size ln x would keep only about 1e-16 ln x of it
    (tested against sums of 1/(x + j) for whole d). Elsewhere scipy's digammas, subtracted.
    """
    x, d = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(d, dtype=np.float64))
    out = np.empty(x.shape)
    large = np.minimum(x, x + d) >= 1e4
    if large.any():
        xl, dl = x[large], d[large]
        inner = 1.0 / (xl * (xl + dl))  # 1/(x (x+d))
        squares = dl * (2.0 * xl + dl) * inner * inner  # 1/x^2 - 1/(x+d)^2
        fourth = squares * (1.0 / (xl * xl) + 1.0 / ((xl + dl) * (xl + dl)))  # 1/x^4 - 1/(x+d)^4
        out[large] = np.log1p(dl / xl) + 0.5 * dl * inner + squares / 12.0 - fourth / 120.0
    small = ~large
    if small.any():
        out[small] = special.digamma(x[small] + d[small]) - special.digamma(x[small])
    return out


def fast_trigamma(x: Any) -> Any:
    r"""The trigamma function :math:`\psi'(x)` for x > 0, ten times faster than scipy's on arrays.

    The recurrence :math:`\psi'(x) = \psi'(x + 1) + 1/x^2` lifts arguments to at least 10, where
    the asymptotic series to :math:`x^{-13}` is accurate to about 1e-15 relative (tested against
    ``scipy.special.polygamma(1, x)``). A scalar takes the same steps in plain floats, and fewer
    than 64 values go to scipy's :math:`\zeta(2, x)` in one call (NumPy's per-call cost would
    be most of the time: Newton's steps ask for four scalars and two small arrays each).
    """
    if np.ndim(x) == 0:
        return _scalar_trigamma(float(x))
    x = np.asarray(x, dtype=np.float64)
    if x.size < 64:  # few values: scipy's Hurwitz zeta, zeta(2, x), in one call
        return special.zeta(2.0, x)
    total = np.zeros(x.shape)
    shifted = x.copy()
    for _ in range(10):
        small = shifted < 10.0
        if not small.any():
            break
        total[small] += 1.0 / (shifted[small] * shifted[small])
        shifted[small] += 1.0
    inv = 1.0 / shifted
    inv2 = inv * inv
    # Bernoulli numbers B2..B12: 1/6, -1/30, 1/42, -1/30, 5/66, -691/2730
    bernoulli = inv2 * (
        -1 / 30 + inv2 * (1 / 42 + inv2 * (-1 / 30 + inv2 * (5 / 66 - inv2 * 691 / 2730)))
    )
    series = inv + inv2 * (0.5 + inv * (1 / 6 + bernoulli))
    out = total + series
    return float(out) if out.ndim == 0 else out


def _scalar_trigamma(x: float) -> float:
    """:func:`fast_trigamma` of one float (scipy's for x <= 0 and NaN)."""
    if not x > 1e-150:  # x * x would underflow; and x <= 0, NaN: scipy's values
        return float(special.polygamma(1, x))
    total = 0.0
    while x < 10.0:
        total += 1.0 / (x * x)
        x += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    bernoulli = inv2 * (
        -1 / 30 + inv2 * (1 / 42 + inv2 * (-1 / 30 + inv2 * (5 / 66 - inv2 * 691 / 2730)))
    )
    return total + inv + inv2 * (0.5 + inv * (1 / 6 + bernoulli))


class Poisson(_Discrete):
    r"""Poisson(mu): counts of independent events. MLE :math:`\hat\mu = \bar y`."""

    def default_prior(self, name, summary):
        """The rate: log-normal around the data's mean (half a count added: a mean of 0 is allowed)."""
        if name == "mu":
            return "LogNormal", {"mu": math.log(summary["mean"] + 0.5), "sigma": 2.0}
        return None

    def __init__(self) -> None:
        super().__init__(
            "poisson",
            (Parameter("mu", 0.0, math.inf, low_closed=True),),
            "counts of rare independent events",
        )

    def _shapes_valid(self, shapes):
        return len(shapes) == 1 and 0 <= shapes.get("mu", math.nan) < math.inf

    def _log_pmf_formula(self, k, shapes):
        mu = shapes["mu"]
        return special.xlogy(k, mu) - special.gammaln(k + 1) - mu

    def _mle(self, y, prob, fixed, free):
        return {"mu": float(np.dot(prob, y))} if free else {}


class Geometric(_Discrete):
    r"""Geometric(p): trials up to and including the first success (y >= 1). MLE :math:`\hat p = 1/\bar y`."""

    def __init__(self) -> None:
        super().__init__("geom", (_PROB,), "trials until the first success (starts at 1)")

    def _shapes_valid(self, shapes):
        return len(shapes) == 1 and 0 < shapes.get("p", math.nan) <= 1

    def _log_pmf_formula(self, k, shapes):
        p = shapes["p"]
        return special.xlog1py(k - 1, -p) + np.log(p)

    def _mle(self, y, prob, fixed, free):
        return {"p": 1.0 / float(np.dot(prob, y))} if free else {}


class NegativeBinomial(_Discrete):
    r"""Negative binomial(n, p): failures before the n-th success; over-dispersed counts.

    For fixed n the MLE is :math:`\hat p = n / (n + \bar y)`; n solves the profile score

    .. math:: \sum_y \hat p(y) [\psi(y + n) - \psi(n)] + \ln \frac{n}{n + \bar y} = 0,

    which has one root exactly when the variance exceeds the mean. Otherwise the likelihood
    increases towards n -> inf (the Poisson limit) and the fit fails with that reason.
    """

    def __init__(self) -> None:
        super().__init__(
            "nbinom",
            (Parameter("n", 0.0, math.inf), Parameter("p", 0.0, 1.0, high_closed=True)),
            "over-dispersed counts (failures before the n-th success)",
        )

    def _shapes_valid(self, shapes):
        n, p = shapes.get("n", math.nan), shapes.get("p", math.nan)
        return len(shapes) == 2 and 0 < n < math.inf and 0 < p <= 1

    def _log_pmf_formula(self, k, shapes):
        n, p = shapes["n"], shapes["p"]
        coeff = special.gammaln(n + k) - special.gammaln(k + 1) - special.gammaln(n)
        return coeff + n * np.log(p) + special.xlog1py(k, -p)

    def _mle(self, y, prob, fixed, free):
        mean = float(np.dot(prob, y))
        if free == {"p"}:
            return {"p": fixed["n"] / (fixed["n"] + mean)}
        if free != {"n", "p"}:
            return self._numerical(y, prob, fixed, {k: 0.5 if k == "p" else 1.0 for k in free})
        var = float(np.dot(prob, (y - mean) ** 2))
        if not var > mean:
            raise FitError(
                f"nbinom: the data's variance ({var:.4g}) does not exceed its mean ({mean:.4g}), so the "
                "likelihood keeps rising as n -> inf: the Poisson limit fits better than any negative binomial"
            )

        def score(log_n: float) -> float:
            n = math.exp(log_n)
            return float(np.dot(prob, special.digamma(y + n) - special.digamma(n))) + math.log(
                n / (n + mean)
            )

        guess = math.log(mean**2 / (var - mean))
        low, high = guess - 1.0, guess + 1.0
        while score(low) < 0 and low > -50:
            low -= 2.0
        while score(high) > 0 and high < 50:
            high += 2.0
        if not (score(low) > 0 > score(high)):
            raise FitError("nbinom: could not bracket the maximum-likelihood n")
        n = math.exp(optimize.brentq(score, low, high, xtol=1e-14, rtol=4 * np.finfo(float).eps))
        return {"n": n, "p": n / (n + mean)}


class LogSeries(_Discrete):
    r"""Logarithmic series(p), y >= 1: Fisher's species-abundance model.

    The MLE matches the mean: :math:`\bar y = -p / ((1-p) \ln(1-p))`, solved for p by a
    bracketed 1-D root in t = logit p, where the equation reads
    :math:`\ln \bar y = t - \ln \ln(1 + e^t)`. All-ones data have p -> 0 and fail with that reason.
    """

    def __init__(self) -> None:
        super().__init__(
            "logser", (Parameter("p", 0.0, 1.0),), "species abundances (Fisher's log-series)"
        )
        self.has_cdf = True  # scipy writes out the survival function

    def logcdf(self, x, params):
        """Log cdf from scipy's closed-form survival function (its generic cdf is a long sum)."""
        with np.errstate(all="ignore"):
            return log1mexp(self.logsf(x, params))

    def _mle(self, y, prob, fixed, free):
        if not free:
            return {}
        mean = float(np.dot(prob, y))
        if mean <= 1.0:
            raise FitError(
                "logser: every value is at the lower end of the support, so p -> 0 (no log-series fits)"
            )

        # With t = logit p: ln mean = ln p - ln(1-p) - ln(-ln(1-p)) = t - ln(softplus(t)),
        # increasing in t, exact without forming 1 - p.
        def gap(t: float) -> float:
            return t - math.log(-float(special.log_expit(-t))) - math.log(mean)

        t = optimize.brentq(gap, -40.0, 700.0, xtol=1e-14)
        return {"p": float(special.expit(t))}


class Zipf(_Discrete):
    r"""Zipf(a), y >= 1, a > 1: pmf :math:`y^{-a} / \zeta(a)`.

    The MLE minimises the cross-entropy :math:`a\,\overline{\ln y} + \ln \zeta(a)`, a convex
    function of a, by bounded 1-D minimisation.
    """

    def __init__(self) -> None:
        super().__init__("zipf", (Parameter("a", 1.0, math.inf),), "power-law ranks (unbounded)")
        self.has_cdf = True

    def logsf(self, x, params):
        r"""Log of :math:`P(Y > y) = \zeta(a, \lfloor y \rfloor + 1) / \zeta(a)` (Hurwitz zeta): O(1) per point."""
        y = np.floor(np.asarray(x, dtype=np.float64) - params["loc"])
        a = params["a"]
        with np.errstate(all="ignore"):
            out = np.log(special.zeta(a, np.maximum(y, 0.0) + 1.0)) - math.log(special.zeta(a))
        return np.where(y < 1, 0.0, out)

    def logcdf(self, x, params):
        """Log cdf from the survival function (without cancellation below the median)."""
        with np.errstate(all="ignore"):
            return log1mexp(self.logsf(x, params))

    def _mle(self, y, prob, fixed, free):
        if not free:
            return {}
        mean_log = float(np.dot(prob, np.log(y)))
        if mean_log == 0.0:
            raise FitError("zipf: every value is at the lower end of the support, so a -> inf")

        def cross_entropy(a: float) -> float:
            return a * mean_log + math.log(special.zeta(a))

        result = optimize.minimize_scalar(
            cross_entropy, bounds=(1.0 + 1e-10, 200.0), method="bounded", options={"xatol": 1e-12}
        )
        return {"a": float(result.x)}


class Zipfian(_Discrete):
    r"""Zipfian(a, n), y = 1..n, a >= 0: pmf :math:`y^{-a} / H_{n,a}`, a power law with a largest value.

    ``n`` is ``max y`` (any larger n only spreads mass outside the data) unless ``support``
    fixes it; a by bounded 1-D minimisation of the cross-entropy.
    """

    def __init__(self) -> None:
        super().__init__(
            "zipfian",
            (
                Parameter("a", 0.0, math.inf, low_closed=True),
                Parameter("n", 1.0, math.inf, low_closed=True, integer=True),
            ),
            "power-law ranks with a largest rank n",
        )
        self.has_cdf = True

    def params_from_support(self, support: Support) -> dict[str, float]:
        """Loc = a - 1 and, when given, n = b - a + 1."""
        low, high = support
        out = {"loc": low - self.natural_low}
        if high is not None:
            out["n"] = high - low + 1
        return out

    def logpdf(self, x, params):
        r"""Log pmf :math:`-a \ln y - \ln H_{n,a}` in O(1) per point, for any n (scipy's loses y^-a to underflow)."""
        y = np.asarray(x, dtype=np.float64) - params.get("loc", 0.0)
        a, n = params["a"], params["n"]
        inside = (y >= 1) & (y <= n) & (y == np.floor(y))
        with np.errstate(divide="ignore", invalid="ignore"):
            out = -a * np.log(np.where(inside, y, 1.0)) - _log_harmonic(n, a)
        return np.where(inside, out, -np.inf)

    def logcdf(self, x, params):
        """Log cdf :math:`H_{k,a} / H_{n,a}` in O(1) per point (scipy's sums up to k)."""
        k = np.clip(
            np.floor(np.asarray(x, dtype=np.float64) - params.get("loc", 0.0)), 0, params["n"]
        )
        with np.errstate(divide="ignore"):
            return np.log(_harmonic(k, params["a"])) - _log_harmonic(params["n"], params["a"])

    def logsf(self, x, params):
        r"""Log survival :math:`\sum_{j=k+1}^{n} j^{-a} / H_{n,a}`, summed directly (no cancellation)."""
        a, n = params["a"], float(params["n"])
        k = np.clip(np.floor(np.asarray(x, dtype=np.float64) - params.get("loc", 0.0)), 0, n)
        first = k + 1
        head = np.concatenate(([0.0], np.cumsum(np.arange(1.0, _EXACT_TERMS + 1) ** (-a))))
        top = min(n, _EXACT_TERMS)
        exact = np.where(
            first <= top, head[int(top)] - head[np.clip(first - 1, 0, top).astype(np.int64)], 0.0
        )
        rest = _harmonic_tail(np.maximum(first, _EXACT_TERMS + 1.0), np.full(k.shape, n), a)
        with np.errstate(divide="ignore"):
            return np.log(exact + rest) - _log_harmonic(n, a)

    def _mle(self, y, prob, fixed, free):
        out: dict[str, float] = {}
        n = fixed.get("n")
        if n is None:
            n = out["n"] = float(y[-1])
        self._require_at_most(y, n, f"n={n:g}")
        if "a" in free:
            mean_log = float(np.dot(prob, np.log(y)))

            def cross_entropy(a: float) -> float:
                return a * mean_log + _log_harmonic(n, a)

            result = optimize.minimize_scalar(
                cross_entropy, bounds=(0.0, 200.0), method="bounded", options={"xatol": 1e-12}
            )
            out["a"] = float(result.x)
        return out


_EXACT_TERMS = 1000


def _harmonic_tail(low: np.ndarray, high: np.ndarray, a: float) -> np.ndarray:
    r""":math:`\sum_{k=low}^{high} k^{-a}` for low >= 1000, by the Euler-Maclaurin formula.

    Integral, end corrections and the first two derivative terms: accurate to about 1e-15
    relative for these arguments. Vectorised over ``low`` and ``high``; 0 where high < low.
    """
    low = np.asarray(low, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)
    with np.errstate(all="ignore"):
        if abs(a - 1.0) < 1e-12:
            integral = np.log(high / low)
        else:
            integral = (high ** (1 - a) - low ** (1 - a)) / (1 - a)

        def d1(x: np.ndarray) -> np.ndarray:
            return -a * x ** (-a - 1)

        def d3(x: np.ndarray) -> np.ndarray:
            return -a * (a + 1) * (a + 2) * x ** (-a - 3)

        tail = (
            integral
            + 0.5 * (low ** (-a) + high ** (-a))
            + (d1(high) - d1(low)) / 12
            - (d3(high) - d3(low)) / 720
        )
    return np.where(high >= low, tail, 0.0)


def _harmonic(n: np.ndarray | float, a: float) -> np.ndarray:
    r""":math:`H_{n,a} = \sum_{k=1}^{n} k^{-a}` for each n (whole numbers >= 0), in O(1000 + len(n))."""
    n = np.asarray(n, dtype=np.float64)
    head = np.concatenate(([0.0], np.cumsum(np.arange(1.0, _EXACT_TERMS + 1) ** (-a))))
    within = head[np.clip(n, 0, _EXACT_TERMS).astype(np.int64)]
    return within + _harmonic_tail(np.full(n.shape, _EXACT_TERMS + 1.0), n, a)


def _log_harmonic(n: float, a: float) -> float:
    r""":math:`\ln H_{n,a} = \ln \sum_{k=1}^n k^{-a}` for any n, in O(1000) operations."""
    return float(np.log(_harmonic(np.array([float(n)]), a))[0])


class ObservedFrequencies(Mapping[str, float]):
    """The empirical model's parameters: each distinct value's share, named ``p[<value>]``.

    Held as two arrays (values ascending, shares), not one Python entry per value: data with
    millions of distinct counts would otherwise spend hundreds of megabytes and seconds on
    the names alone. Names are made when iterated; look-up parses the name. Immutable.
    """

    immutable = True  # Fit keeps it as it is (no copy into a FrozenMapping)
    __slots__ = ("points", "shares")
    points: np.ndarray
    """The distinct values, ascending (read-only)."""
    shares: np.ndarray
    """Each value's share (read-only)."""

    def __init__(self, points: np.ndarray, shares: np.ndarray):
        points = np.array(points, dtype=np.float64)
        shares = np.array(shares, dtype=np.float64)
        points.flags.writeable = shares.flags.writeable = False
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "shares", shares)

    def __getitem__(self, key: str) -> float:
        try:
            value = Empirical.value_of(key)
        except (ParameterError, ValueError, TypeError, AttributeError):
            raise KeyError(key) from None
        i = int(np.searchsorted(self.points, value))
        if i >= self.points.size or self.points[i] != value or key != Empirical.key_of(value):
            raise KeyError(key)  # only the names iteration gives ("p[7]", not "p[7.0]")
        return float(self.shares[i])

    def __iter__(self) -> Iterator[str]:
        return (Empirical.key_of(float(v)) for v in self.points)

    def toDict(self) -> dict[str, float]:  # noqa: N802 (pandas' JSON writer calls this name)
        """The names and shares as a dict (what ``DataFrame.to_json`` writes)."""
        return dict(zip(self, self.shares.tolist(), strict=True))

    def __str__(self) -> str:
        return str(self.toDict())  # CSV and text exports: every share, as the dict printed

    def __len__(self) -> int:
        return int(self.points.size)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ObservedFrequencies cannot be changed; copy it with dict(...)")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.points, self.shares))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ObservedFrequencies):
            return bool(
                np.array_equal(self.points, other.points)
                and np.array_equal(self.shares, other.shares)
            )
        return Mapping.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{Empirical.key_of(v)}: {p:.4g}"
            for v, p in zip(self.points[:4], self.shares[:4], strict=True)
        )
        more = f", ... ({self.points.size - 4:,} more)" if self.points.size > 4 else ""
        return f"ObservedFrequencies({{{shown}{more}}})"


class Empirical(Family):
    r"""The saturated model: the observed frequencies themselves, :math:`q = \hat p` (KL = 0).

    It is the reference every other family is measured against: its cross-entropy is the
    data's entropy and its k is the number of distinct values minus 1. Its parameters are
    the probabilities, named ``p[x]`` for each observed value x.
    """

    name = "empirical"
    kind = "discrete"
    parameters = ()
    summary = "the observed frequencies (saturated reference, KL = 0)"
    saturated = True
    has_cdf = True

    @staticmethod
    def key_of(value: float) -> str:
        """The parameter name of one value's probability: ``p[<value>]`` (17 significant digits)."""
        return f"p[{value:.17g}]"

    @staticmethod
    def value_of(key: str) -> float:
        """The value a parameter name ``p[<value>]`` stands for (the inverse of :meth:`key_of`)."""
        if not (key.startswith("p[") and key.endswith("]")):
            raise ParameterError(f"empirical parameters are named p[<value>]; got {key!r}")
        return float(key[2:-1])

    _last_keys: tuple[list[str], np.ndarray] | None = None

    def _table(self, params: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """The values and probabilities in ``params``.

        A fit's own :class:`ObservedFrequencies` give their arrays; for another mapping the
        values parsed from the last names are kept (a copy of the same names is parsed once).
        """
        if isinstance(params, ObservedFrequencies):
            return params.points, params.shares
        keys = list(params)
        last = self._last_keys
        if last is not None and last[0] == keys:
            values = last[1]
        else:
            values = np.array([float(key[2:-1]) for key in keys], dtype=np.float64)
            self._last_keys = (keys, values)  # one assignment: safe across fitting threads
        return values, np.fromiter(params.values(), dtype=np.float64, count=len(keys))

    def resolve_fixed(self, support: Support | None, fixed: Mapping[str, Any]) -> dict[str, float]:
        """The empirical model has nothing to fix."""
        if fixed:
            raise FitError("empirical has no parameters to fix")
        return {}

    def estimate(self, obs: ObservationsLike, fixed: Mapping[str, float]) -> dict[str, float]:
        """The observed probability of each distinct value."""
        if not obs.integer_valued:
            raise FitError(
                "empirical is the saturated model of discrete data; for continuous data it has no density"
            )
        values, prob = obs.distinct()
        return ObservedFrequencies(values, prob)  # type: ignore[return-value]

    def logpdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Log p̂(x) at observed values, -inf elsewhere."""
        values, prob = self._table(params)
        x = np.asarray(x, dtype=np.float64)
        idx = np.clip(np.searchsorted(values, x), 0, values.size - 1)
        with np.errstate(divide="ignore"):
            return np.where(values[idx] == x, np.log(prob[idx]), -np.inf)

    def logcdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Log of the cumulative observed share at ``x`` (a search in the sorted values: O(log d))."""
        values, prob = self._table(params)
        cumulative = np.concatenate(([0.0], np.cumsum(prob)))
        index = np.searchsorted(values, np.asarray(x, dtype=np.float64), side="right")
        with np.errstate(divide="ignore"):
            return np.log(np.minimum(cumulative[index], 1.0))

    def logsf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Log of the observed share above ``x`` (summed from the top, without cancellation)."""
        values, prob = self._table(params)
        above = np.concatenate((np.cumsum(prob[::-1])[::-1], [0.0]))
        index = np.searchsorted(values, np.asarray(x, dtype=np.float64), side="right")
        with np.errstate(divide="ignore"):
            return np.log(np.minimum(above[index], 1.0))

    def n_free(self, estimated: Mapping[str, float]) -> int:
        """Distinct values - 1 (the probabilities sum to 1)."""
        return max(len(estimated) - 1, 0)

    def freeze(self, params: Mapping[str, float]) -> Any:
        """``scipy.stats.rv_discrete(values=(x, p))``."""
        values, prob = self._table(params)
        return stats.rv_discrete(name="empirical", values=(values, prob / prob.sum()))()


def discrete_families() -> list[Family]:
    """One instance of every built-in discrete family, in registry order."""
    return [
        DiscreteUniform(),
        Bernoulli(),
        Binomial(),
        BetaBinomial(),
        Poisson(),
        Geometric(),
        NegativeBinomial(),
        LogSeries(),
        Zipf(),
        Zipfian(),
        Empirical(),
    ]
