r"""Zero-inflated and hurdle counts built on a discrete base family.

=====================  ================================================================================
family                 probability of a count y (base pmf p, cdf F, survival S = 1 - F)
=====================  ================================================================================
``zi_<base>``          :math:`P(0) = \pi + (1 - \pi)\,p(0)`, :math:`P(y) = (1 - \pi)\,p(y)` for y > 0
``hurdle_<base>``      :math:`P(0) = \pi`, :math:`P(y) = (1 - \pi)\,p(y) / (1 - p(0))` for y > 0
=====================  ================================================================================

Estimation, exact: for the hurdle the likelihood factorises, :math:`\hat\pi = n_0 / n` and the base
parameters maximise the zero-truncated likelihood of the positive counts. For the zero-inflated
model, given the base parameters the inflation has the closed form
:math:`\hat\pi = \max(0, (n_0/n - p(0)) / (1 - p(0)))`, and the base parameters maximise that profile
likelihood. Both cost O(distinct values) per evaluation. On a Poisson base both are closed
forms: the rate solves :math:`\mu / (1 - e^{-\mu}) = \bar y_+`, the positive counts' mean
(Lambert's W), and an inflation estimated below 0 means pi = 0 at the Poisson's own
:math:`\hat\mu = \bar y`. A row says so when the inflation is
estimated at 0 (the base family itself is the better-counted model), and when a hurdle's share of
zeros is what its base predicts within 2 standard errors (indistinguishable from the base). The
Poisson and negative binomial versions join the default candidates for counts that start at 0;
the geometric ones (scipy's geom starts at 1) are opt-in by name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy import special, stats

from klmodels.errors import FitError
from klmodels.family.base import Family, NotedEstimate, Parameter, log1mexp
from klmodels.optimize import maximise_smooth
from klmodels.protocols import ObservationsLike

__all__ = ["Hurdle", "ZeroInflated", "inflated_families"]

_PI = Parameter("pi", 0.0, 1.0, low_closed=True, high_closed=False)
_DEFAULT_BASES = ("poisson", "nbinom")  # zi_/hurdle_ of these join the defaults for counts from 0
_STAGE_DISTINCT = 5_000  # more distinct values than this: a rough stage on a subsample first
_STAGE_DRAWS = 20_000


def _log(p: float) -> float:
    """The natural log of p, with log 0 = -inf."""
    return math.log(p) if p > 0 else -math.inf


def _on_subsample(
    values: np.ndarray,
    prob: np.ndarray,
    objective_on: Callable[[np.ndarray, np.ndarray], Callable[[dict[str, float]], float]],
) -> Callable[[dict[str, float]], float] | None:
    """The objective on a multinomial subsample of the observations, when they have many values.

    Above ``_STAGE_DISTINCT`` distinct values, ``_STAGE_DRAWS`` observations drawn from the table
    (a fixed seed: the fit is reproducible) give the optimiser's rough stage and the Hessian that
    seeds Newton's steps on all the values; None below (one stage on all of them).
    """
    if values.size <= _STAGE_DISTINCT:
        return None
    counts = np.random.default_rng(0).multinomial(_STAGE_DRAWS, prob / prob.sum())
    kept = counts > 0
    return objective_on(values[kept], counts[kept] / _STAGE_DRAWS)


def _zero_truncated_poisson_mu(mean_positive: float) -> float | None:
    r"""The rate whose zero-truncated Poisson has mean ``mean_positive``: its exact MLE.

    The zero-truncated Poisson's likelihood equation is :math:`\mu / (1 - e^{-\mu}) = m`, the
    positive counts' mean; for m > 1 its one root is :math:`\mu = m + W_0(-m e^{-m})` (Lambert's
    W, principal branch; the other branch gives the trivial root 0), finished by Newton steps on
    :math:`\mu + m\,\mathrm{expm1}(-\mu) = 0` (convex in mu: after one step they approach the
    root from above); below m = 1.01, where W's branch point loses digits, from the series start
    :math:`\mu \approx 2(m - 1)(1 - (m - 1)/3)`. The zero-inflated Poisson's rate solves the same
    equation (Lambert 1992). None when m is not above 1 by a margin (every positive count is 1:
    the rate runs to 0).
    """
    m = mean_positive
    if not (math.isfinite(m) and m > 1 + 1e-9):
        return None
    if m < 1.01:  # near W's branch point: the series mu / (1 - e^-mu) = 1 + mu/2 + mu^2/12 + ...
        mu = 2 * (m - 1) * (1 - (m - 1) / 3)
    else:
        mu = m + float(special.lambertw(-m * math.exp(-m)).real) if m < 700 else m
    for _ in range(8):
        gap = mu + m * math.expm1(-mu)
        slope = 1 - m * math.exp(-mu)
        if not (mu > 0 and slope > 0):
            return None
        step = gap / slope
        mu -= step
        if abs(step) <= 4 * np.finfo(float).eps * mu:
            break
    return mu if mu > 0 else None


class _ZeroModel(Family):
    """What the zero-inflated and the hurdle model share."""

    kind = "discrete"
    has_cdf = True

    def __init__(self, base: Family, prefix: str, summary: str):
        if base.kind != "discrete":
            raise ValueError(f"{prefix}_ needs a discrete base family; {base.name} is continuous")
        self.base = base
        self.name = f"{prefix}_{base.name}"
        self.parameters = (*base.parameters, _PI)
        self.default_fixed = dict(base.default_fixed)
        self.summary = summary
        # a default for counts that start at 0 (can_hold), on a Poisson or negative binomial base
        self.default_candidate = base.name in _DEFAULT_BASES

    def can_hold(self, low: float, high: float, support_given: bool) -> bool:
        """A default candidate for counts that start at 0, where its base is one."""
        return low == 0 and self.base.can_hold(low, high, support_given)

    def params_from_support(self, support: Any) -> dict[str, float]:
        """The base's (e.g. a binomial's n from ``support=(0, n)``)."""
        return self.base.params_from_support(support)

    def _split(self, params: Mapping[str, float]) -> tuple[dict[str, float], float]:
        return {k: v for k, v in params.items() if k != "pi"}, float(params["pi"])

    def _base_log_zero(self, base_params: Mapping[str, float]) -> float:
        return float(self.base.logpdf(np.array([0.0]), base_params)[0])

    def _log_positive(self, base_params: Mapping[str, float]) -> float:
        r""":math:`\ln(1 - p(0))`, the base's log probability of a positive count."""
        return log1mexp(self._base_log_zero(base_params))

    def _base_start(
        self, obs: ObservationsLike, fixed: Mapping[str, float]
    ) -> tuple[dict[str, float], tuple[Parameter, ...], dict[str, float]]:
        """The base's fixed parameters, its free ones, and its own fit as the optimiser's start."""
        base_fixed = {k: v for k, v in fixed.items() if k != "pi"}
        return (
            base_fixed,
            self.base.numerically_free(base_fixed),
            self.base.estimate(obs, base_fixed),
        )

    def default_prior(
        self, name: str, summary: Mapping[str, float]
    ) -> tuple[str, dict[str, float]] | None:
        """Beta(1, 1) for pi; the base family's own prior (or the generic rule) for the rest."""
        if name == "pi":
            return "Beta", {"alpha": 1.0, "beta": 1.0}
        return self.base.default_prior(name, summary)

    def diagnose(self, obs: ObservationsLike, params: Mapping[str, float]) -> list[str]:
        """A note when the inflation is estimated at 0: the base family is the better-counted model."""
        if params.get("pi", 1.0) == 0.0:
            return [
                f"inflation estimated at 0: {self.base.name} itself describes the zeros as well "
                "with one parameter fewer"
            ]
        return []

    def _closed_form_rate(
        self, values: np.ndarray, prob: np.ndarray, fixed: Mapping[str, float]
    ) -> float | None:
        """The Poisson base's rate from the positive counts in closed form, where it applies.

        Applies to a Poisson base at loc 0 with its rate free; None elsewhere (the numerical
        profile then runs), and when the positive counts' mean is not above 1.
        """
        if self.base.name != "poisson" or "mu" in fixed or fixed.get("loc", 0.0) != 0.0:
            return None
        positive = values > 0
        share = float(prob[positive].sum())
        if not share > 0:
            return None
        return _zero_truncated_poisson_mu(float(np.dot(prob[positive], values[positive])) / share)

    def _counts(self, obs: ObservationsLike) -> tuple[np.ndarray, np.ndarray, float]:
        values, prob = obs.distinct()
        if np.any(values < 0) or np.any(values != np.floor(values)):
            raise FitError(f"{self.name} is for counts 0, 1, 2, ...")
        zeros = float(prob[values == 0].sum())
        return values, prob, zeros

    def freeze(self, params: Mapping[str, float]) -> Any:
        """The fitted model as a frozen scipy distribution (a mixture with a point mass at 0)."""
        from scipy import stats

        from klmodels.mixture import mixture

        base_params, pi = self._split(params)
        base = self.base.freeze(base_params)
        if pi <= 0:  # no zeros: the base itself, or (hurdle) its zero-truncated part
            return self._positive_part(base, base_params)
        return mixture([stats.randint(0, 1), self._positive_part(base, base_params)], [pi, 1 - pi],
                       name=self.name)  # fmt: skip

    def _positive_part(self, base: Any, base_params: Mapping[str, float]) -> Any:
        return base


class ZeroInflated(_ZeroModel):
    """Zero-inflated ``base``: extra zeros with probability pi, else a count from ``base``."""

    def __init__(self, base: Family):
        super().__init__(base, "zi", f"{base.name} with extra zeros")

    def logpdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        r""":math:`\ln P(y)`: log-sum-exp of the two ways to a zero."""
        base_params, pi = self._split(params)
        x = np.asarray(x, dtype=np.float64)
        base = self.base.logpdf(x, base_params)
        with np.errstate(divide="ignore"):
            rest = math.log1p(-pi) + base
            zero = np.logaddexp(_log(pi), rest)
        return np.where(x == 0, zero, rest)

    def logcdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        r""":math:`\ln(\pi + (1 - \pi) F(y))` for y >= 0."""
        base_params, pi = self._split(params)
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore"):
            inside = np.logaddexp(
                _log(pi),
                math.log1p(-pi) + self.base.logcdf(x, base_params),
            )
        return np.where(x < 0, -np.inf, inside)

    def logsf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        r""":math:`\ln((1 - \pi) S(y))` for y >= 0."""
        base_params, pi = self._split(params)
        x = np.asarray(x, dtype=np.float64)
        return np.where(x < 0, 0.0, math.log1p(-pi) + self.base.logsf(x, base_params))

    def _profile_pi(self, zeros: float, log_p0: float) -> float:
        p0 = math.exp(log_p0)
        return max(0.0, (zeros - p0) / (1 - p0)) if p0 < 1 else 0.0

    def estimate(self, obs: ObservationsLike, fixed: Mapping[str, float]) -> dict[str, float]:
        """Base parameters by the profile likelihood, pi in closed form given them."""
        values, prob, zeros = self._counts(obs)
        # the base's own fit first: it also checks the counts (whole numbers below 2^53, ...)
        base_fixed, free, start = self._base_start(obs, fixed)
        rate = None if "pi" in fixed else self._closed_form_rate(values, prob, fixed)
        if rate is not None:  # the Poisson: closed form (an inflation below 0 means pi = 0)
            pi = self._profile_pi(zeros, -rate)
            mu = rate if pi > 0 else float(np.dot(prob, values))
            return {"mu": mu, "pi": pi}
        if not free:  # the base held whole: only pi, in closed form
            pi = self._profile_pi(zeros, self._base_log_zero(base_fixed))
            return {} if "pi" in fixed else {"pi": pi}

        def profile_on(values: np.ndarray, prob: np.ndarray) -> Callable[[dict[str, float]], float]:
            zeros = float(prob[values == 0].sum())

            def profile(free_values: Mapping[str, float]) -> float:
                base_params = {**base_fixed, **free_values}
                pi = fixed.get("pi", self._profile_pi(zeros, self._base_log_zero(base_params)))
                return float(np.dot(prob, self.logpdf(values, {**base_params, "pi": pi})))

            return profile

        params, _ = maximise_smooth(
            profile_on(values, prob),
            {p.name: p.domain for p in free},
            start,
            what=self.name,
            rough=_on_subsample(values, prob, profile_on),
        )
        if "pi" in fixed:
            return params
        pi = self._profile_pi(zeros, self._base_log_zero({**base_fixed, **params}))
        return {**params, "pi": pi}


class Hurdle(_ZeroModel):
    """Hurdle ``base``: zero with probability pi, else a zero-truncated count from ``base``."""

    def __init__(self, base: Family):
        super().__init__(base, "hurdle", f"{base.name} above a hurdle at zero")

    def logpdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        r""":math:`\ln \pi` at 0, :math:`\ln(1 - \pi) + \ln p(y) - \ln(1 - p(0))` above."""
        base_params, pi = self._split(params)
        x = np.asarray(x, dtype=np.float64)
        log_positive = self._log_positive(base_params)
        with np.errstate(divide="ignore"):
            above = math.log1p(-pi) + self.base.logpdf(x, base_params) - log_positive
            zero = _log(pi)
        return np.where(x == 0, zero, np.where(x > 0, above, -np.inf))

    def logcdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        r""":math:`\ln(\pi + (1 - \pi)(F(y) - p(0)) / (1 - p(0)))` for y >= 0."""
        return log1mexp(self.logsf(x, params))

    def logsf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        r""":math:`\ln((1 - \pi) S(y) / (1 - p(0)))` for y >= 0."""
        base_params, pi = self._split(params)
        x = np.asarray(x, dtype=np.float64)
        log_positive = self._log_positive(base_params)
        above = math.log1p(-pi) + self.base.logsf(np.maximum(x, 0.0), base_params) - log_positive
        return np.where(x < 0, 0.0, above)

    def estimate(self, obs: ObservationsLike, fixed: Mapping[str, float]) -> dict[str, float]:
        """Pi = the share of zeros; the base parameters from the zero-truncated positive counts."""
        values, prob, zeros = self._counts(obs)
        positive = values > 0
        if not positive.any():
            raise FitError(f"{self.name}: every count is 0; there is nothing above the hurdle")
        # the base's own fit first: it also checks the counts (whole numbers below 2^53, ...)
        base_fixed, free, start = self._base_start(obs, fixed)
        rate = self._closed_form_rate(values, prob, fixed)
        if rate is not None:  # the Poisson: closed form
            return {"mu": rate} if "pi" in fixed else {"mu": rate, "pi": zeros}
        if not free:  # the base held whole: only pi, the share of zeros
            return {} if "pi" in fixed else {"pi": zeros}

        def truncated_on(
            values: np.ndarray, prob: np.ndarray
        ) -> Callable[[dict[str, float]], float]:
            weights = prob / prob.sum()

            def truncated(free_values: Mapping[str, float]) -> float:
                base_params = {**base_fixed, **free_values}
                log_positive = self._log_positive(base_params)
                return float(np.dot(weights, self.base.logpdf(values, base_params)) - log_positive)

            return truncated

        params, _ = maximise_smooth(
            truncated_on(values[positive], prob[positive]),
            {p.name: p.domain for p in free},
            start,
            what=self.name,
            rough=_on_subsample(values[positive], prob[positive], truncated_on),
        )
        note = ""
        if self.base.name == "nbinom" and "n" in params:  # n estimated: it may run to 0
            note = self._log_series_limit(
                values[positive], prob[positive], {**base_fixed, **params}
            )
        return NotedEstimate(params if "pi" in fixed else {**params, "pi": zeros}, [note])

    def diagnose(self, obs: ObservationsLike, params: Mapping[str, float]) -> list[str]:
        """A note when the share of zeros is what the base itself predicts (within 2 SE)."""
        notes = super().diagnose(obs, params)
        base_params, pi = self._split(params)
        p0 = math.exp(self._base_log_zero(base_params))
        n = obs.n_obs
        if n and abs(pi - p0) <= 2 * math.sqrt(max(p0 * (1 - p0), 1e-300) / n):
            notes.append(
                f"the share of zeros ({pi:.3g}) is what {self.base.name} predicts ({p0:.3g}) within "
                f"2 standard errors: the hurdle is indistinguishable from {self.base.name}, with one "
                "parameter more"
            )
        return notes

    def _log_series_limit(
        self, y: np.ndarray, prob: np.ndarray, base_params: Mapping[str, float]
    ) -> str:
        r"""A note when the zero-truncated negative binomial is at its n -> 0 limit, the log-series.

        As n -> 0 the zero-truncated negative binomial(n, p) tends to the log-series with
        parameter 1 - p (scipy's ``logser``): :math:`\binom{k+n-1}{k} p^n (1-p)^k / (1 - p^n)
        \to -(1-p)^k / (k \ln p)`. When the fitted n is small and the positive counts ``y``
        have no higher log-likelihood than under that limit (by 1e-9 nats per count), the
        likelihood has no maximum at n > 0 for this p: the optimiser stopped on the way (seen:
        n = 4.6e-16 on Poisson counts with one 10^9).
        """
        n, p = base_params["n"], base_params["p"]
        if not (n < 0.01 and 0 < p < 1):
            return ""
        weights = prob / prob.sum()
        with np.errstate(all="ignore"):
            here = float(
                np.dot(weights, self.base.logpdf(y, base_params)) - self._log_positive(base_params)
            )
            limit = float(np.dot(weights, stats.logser.logpmf(y, 1 - p)))
        if not (math.isfinite(here) and math.isfinite(limit)) or here > limit + 1e-9:
            return ""
        return (
            f"the positive counts' negative binomial drifts to its limit as n -> 0, the log-series "
            f"(logser, p={1 - p:.4g}): the likelihood has no maximum at n > 0; reported at n={n:.3g}"
        )

    def _positive_part(self, base: Any, base_params: Mapping[str, float]) -> Any:
        from klmodels.mixture import zero_truncated

        log_zero = self._base_log_zero(base_params)
        return zero_truncated(base, math.exp(log_zero), math.exp(log1mexp(log_zero)))


def inflated_families(bases: Mapping[str, Family]) -> list[Family]:
    """zi_ and hurdle_ versions of the Poisson, negative binomial, geometric and binomial (n known)."""
    out: list[Family] = []
    for name in ("poisson", "nbinom", "geom", "binom"):
        if name in bases:
            out += [ZeroInflated(bases[name]), Hurdle(bases[name])]
    return out
