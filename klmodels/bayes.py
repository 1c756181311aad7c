r"""Bayesian comparison: the same families as PyMC models, compared by LOO-CV with ArviZ, in bits.

Needs the extra ``klmodels[bayes]`` (PyMC >= 6, ArviZ >= 1); PyMC and ArviZ are imported only
when a function here is called. :func:`compare` fits each family's posterior by NUTS (nutpie
when installed), computes the pointwise log-likelihood, estimates the expected log
predictive density by Pareto-smoothed importance-sampling leave-one-out cross-validation
(PSIS-LOO), and ranks the families with ``arviz.compare``. Beside ArviZ's columns (``rank``,
``elpd``, ``se``, ``p``, ``elpd_diff``, ``dse``, ``weight``) it reports ``elpd_<unit>``, the ELPD
per observation, ``loo_cross_entropy_<unit>`` (its negative), and from :func:`klmodels.compare` on
the same data ``plugin_kl_<unit>``, ``plugin_aicc`` and ``plugin_aicc_rank``, so the two views can
be read side by side; ``sampling_s`` and ``note`` say how long each family took and what to beware of.

Why ELPD measures the same thing as KL
--------------------------------------
For data from a distribution p, :math:`-\mathrm{elpd}/n` estimates the cross-entropy
:math:`H(p, q_{\text{pred}})` of the posterior predictive distribution, out of sample; the
plug-in :math:`-\ell/n` is the in-sample cross-entropy of the maximum-likelihood fit, and
:math:`H(p, q) = H(p) + D(p \| q)`. Differences in ELPD per observation between two families are
differences in expected information loss, the quantity AIC also estimates asymptotically.

Counts
------
Values with counts (or many repeated integers) are sampled in time proportional to the
number of distinct values: each distinct value is observed once and the remaining
:math:`c_v - 1` copies enter through a ``pm.Potential``. The posterior is exact. LOO is then
computed per distinct value and each value's pointwise ELPD is counted :math:`c_v` times,
which equals LOO on the fully expanded data (every copy has the same log-likelihood under
every posterior draw; tested).

Censored and truncated data
---------------------------
:func:`klmodels.censored` observations (or a ``scipy.stats.CensoredData``, or ``truncation=``)
are sampled with each observation's own contribution, as in :mod:`klmodels.censored`: the
density for exact values, ``pymc.logcdf`` for left-censored ones, ``pymc.logccdf`` for
right-censored ones, a log-difference of cdfs for intervals (taken on the survival side above
the median), minus the log mass inside the truncation bounds. Families need a PyMC distribution
with a log cdf (:data:`DISTRIBUTIONS`); the others keep their row with the reason. The
pointwise log-likelihood equals :func:`klmodels.censored.contributions` at every draw (tested),
so LOO ranks on the same likelihood as the plug-in AICc.

Priors (weakly informative, scaled by the data; override with ``priors=``)
---------------------------------------------------------------------------
==================  ==============================================================
parameter           default prior
==================  ==============================================================
a location (loc)    Normal(mean, 10 sd) of the data
a scale (scale)     LogNormal(ln s, 2), s the data's sd (real-line families) or mean
probabilities (p)   Beta(1, 1)
Poisson mean (mu)   LogNormal(ln(mean + 0.5), 2)
t's df              Gamma(2, 0.1) (Juarez & Steel 2010)
Pareto's scale      Uniform(0, smallest value): the support starts at the scale
other shapes        LogNormal(0, 2) if positive, Normal(0, 1) if real
==================  ==============================================================

``priors={"gamma": {"a": ("Gamma", {"alpha": 2, "beta": 1})}}`` replaces a prior with any PyMC
distribution given by name and keyword arguments. A family states its own defaults in
:meth:`klmodels.Family.default_prior`; the rules above apply where it has none.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import itertools
import logging
import math
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from klmodels.censored import GROUPS, CensoredObservations, cdf_bounds_of_whole_numbers
from klmodels.data import NanPolicy, Observations
from klmodels.errors import FitError, MissingExtraError, NotInMemoryError, ParameterError
from klmodels.family import Candidate, Family
from klmodels.family.base import CustomFamily
from klmodels.family.finite import FiniteMixture
from klmodels.fitting import Fit
from klmodels.fitting import fit as plugin_fit
from klmodels.information import as_log_base, unit_name
from klmodels.options import FitOptions
from klmodels.selection import as_censored
from klmodels.selection import compare as plugin_compare

__all__ = [
    "BUILDERS",
    "DISTRIBUTIONS",
    "BayesComparison",
    "compare",
    "prior_draws",
    "register_builder",
    "zeta",
]

PriorSpec = tuple[str, Mapping[str, float]]


def _imports() -> tuple[Any, Any]:
    try:
        import arviz as az
        import pymc as pm
    except ImportError as exc:
        missing = "pymc" if "pymc" in str(exc) else "arviz"
        raise MissingExtraError(missing, "bayes", "Bayesian comparison") from None
    return pm, az


# ------------------------------------------------------------------ likelihoods in scipy's parameters
def _pt() -> Any:
    import pytensor.tensor as pt

    return pt


def _custom(
    name: str, params: Mapping[str, Any], logp: Callable[..., Any], observed: np.ndarray
) -> Any:
    """A PyMC CustomDist whose log density is written in PyTensor, observed at ``observed``."""
    pm, _ = _imports()
    names = list(params)

    def density(value: Any, *args: Any) -> Any:
        return logp(value, **dict(zip(names, args, strict=True)))

    return pm.CustomDist(name, *[params[n] for n in names], logp=density, observed=observed)


def _builtin(
    dist_name: str, mapping: Callable[[Mapping[str, Any]], dict[str, Any]]
) -> Callable[..., Any]:
    def likelihood(name: str, params: Mapping[str, Any], observed: np.ndarray) -> Any:
        pm, _ = _imports()
        return getattr(pm, dist_name)(name, **mapping(params), observed=observed)

    return likelihood


def _logp(expression: Callable[..., Any]) -> Callable[..., Any]:
    def likelihood(name: str, params: Mapping[str, Any], observed: np.ndarray) -> Any:
        return _custom(name, params, expression, observed)

    return likelihood


def _builtin_distribution(
    dist_name: str, mapping: Callable[[Mapping[str, Any]], dict[str, Any]]
) -> DistributionFactory:
    def distribution(params: Mapping[str, Any], shape: Any) -> Any:
        pm, _ = _imports()
        return getattr(pm, dist_name).dist(**mapping(params), shape=shape)

    return distribution


def _custom_distribution(
    logp: Callable[..., Any], logcdf: Callable[..., Any]
) -> DistributionFactory:
    """A CustomDist with a PyTensor log density and log cdf, both ``f(y, **params)``."""

    def distribution(params: Mapping[str, Any], shape: Any) -> Any:
        pm, _ = _imports()
        names = list(params)

        def keyword(f: Callable[..., Any]) -> Callable[..., Any]:
            return lambda value, *args: f(value, **dict(zip(names, args, strict=True)))

        return pm.CustomDist.dist(
            *[params[n] for n in names], logp=keyword(logp), logcdf=keyword(logcdf), shape=shape
        )

    return distribution


def _logser(y, p):
    pt = _pt()
    return y * pt.log(p) - pt.log(y) - pt.log(-pt.log1p(-p))


def _zipfian(n: int) -> Callable[..., Any]:
    def logp(y, a):
        pt = _pt()
        ranks = pt.arange(1, n + 1, dtype="float64")
        return -a * pt.log(y) - pt.log(pt.sum(ranks ** (-a)))

    return logp


def _lomax(y, c, scale):
    pt = _pt()
    return pt.log(c) - pt.log(scale) - (c + 1) * pt.log1p(y / scale)


def _rayleigh(y, scale):
    pt = _pt()
    return pt.log(y) - 2 * pt.log(scale) - y**2 / (2 * scale**2)


def _fisk(y, c, scale):
    pt = _pt()
    z = y / scale
    return pt.log(c) - pt.log(scale) + (c - 1) * pt.log(z) - 2 * pt.log1p(z**c)


def _gumbel_l(y, loc, scale):
    pt = _pt()
    z = (y - loc) / scale
    return z - pt.exp(z) - pt.log(scale)


def _genpareto(y, c, scale):
    pt = _pt()
    inside = pt.switch(pt.gt(1 + c * y / scale, 0), 1 + c * y / scale, np.nan)
    return -pt.log(scale) - (1 + 1 / c) * pt.log(inside)


def _below(y: Any, log_cdf: Any) -> Any:
    """The log cdf, -inf below the support's start at 0."""
    pt = _pt()
    return pt.switch(pt.gt(y, 0), log_cdf, -np.inf)


def _lomax_logcdf(y, c, scale):
    pt = _pt()
    positive = pt.maximum(y, 0)
    return _below(y, pt.log1mexp(-c * pt.log1p(positive / scale)))


def _rayleigh_logcdf(y, scale):
    pt = _pt()
    return _below(y, pt.log1mexp(-(y**2) / (2 * scale**2)))


def _fisk_logcdf(y, c, scale):
    pt = _pt()
    positive = pt.maximum(y, np.finfo(float).tiny)
    return _below(y, -pt.softplus(-c * pt.log(positive / scale)))


def _gumbel_l_logcdf(y, loc, scale):
    pt = _pt()
    return pt.log1mexp(-pt.exp((y - loc) / scale))


def _genpareto_logcdf(y, c, scale):
    # F = 1 - (1 + c y / scale)^(-1/c); for c < 0 the support ends at -scale / c, where F = 1
    pt = _pt()
    inside = pt.maximum(1 + c * pt.maximum(y, 0) / scale, np.finfo(float).tiny)
    return _below(y, pt.switch(pt.gt(1 + c * y / scale, 0), pt.log1mexp(-pt.log(inside) / c), 0.0))


def _beta_logcdf_on(scale: float) -> Callable[..., Any]:
    def logcdf(y, a, b):
        pt = _pt()
        z = pt.clip(y / scale, 0.0, 1.0)
        return pt.log(pt.betainc(a, b, z))

    return logcdf


def _beta_on(loc: float, scale: float) -> Callable[..., Any]:
    def logp(y, a, b):
        pt = _pt()
        z = (y - loc) / scale
        return (
            (a - 1) * pt.log(z)
            + (b - 1) * pt.log1p(-z)
            - pt.gammaln(a)
            - pt.gammaln(b)
            + pt.gammaln(a + b)
            - math.log(scale)
        )

    return logp


def _loggamma(y, c, loc, scale):
    # scipy's loggamma: the log of a gamma(c) variable, z = (y - loc) / scale
    pt = _pt()
    z = (y - loc) / scale
    return c * z - pt.exp(z) - pt.gammaln(c) - pt.log(scale)


def _loggamma_logcdf(y, c, loc, scale):
    pt = _pt()
    return pt.log(pt.gammainc(c, pt.exp((y - loc) / scale)))


def _weibull_max(y, c, scale):
    # on y = x - loc <= 0: w = -y / scale, density c w^(c-1) exp(-w^c) / scale
    pt = _pt()
    inside = pt.lt(y, 0)
    w = pt.switch(inside, -y / scale, 1.0)  # a placeholder outside: no NaN in the gradient
    return pt.switch(inside, pt.log(c) - pt.log(scale) + (c - 1) * pt.log(w) - w**c, -np.inf)


def _weibull_max_logcdf(y, c, scale):
    pt = _pt()
    inside = pt.lt(y, 0)
    w = pt.switch(inside, -y / scale, 1.0)
    return pt.switch(inside, -(w**c), 0.0)


def _genextreme_parts(y, c, loc, scale):
    """Scipy's genextreme in pieces: z, ln t (t = 1 - c z), inside the support, c ~ 0, safe c.

    ln t is log1p(-c z) (no loss for small c z). Outside the support ln t is a placeholder, and
    near c = 0 so is c, so that the unused side of a switch never puts NaN into the gradient.
    """
    pt = _pt()
    z = (y - loc) / scale
    inside = pt.gt(1 - c * z, 0)
    small = pt.lt(abs(c), 1e-8)
    log_t = pt.log1p(pt.switch(inside, -c * z, 0.0))
    return z, log_t, inside, small, pt.switch(small, 1.0, c)


def _genextreme(y, c, loc, scale):
    # log density (1/c - 1) ln t - t^(1/c) - ln scale; the Gumbel limit -z - e^-z as c -> 0
    pt = _pt()
    z, log_t, inside, small, safe_c = _genextreme_parts(y, c, loc, scale)
    general = (1 / safe_c - 1) * log_t - pt.exp(log_t / safe_c)
    return pt.switch(small, -z - pt.exp(-z), pt.switch(inside, general, -np.inf)) - pt.log(scale)


def _genextreme_logcdf(y, c, loc, scale):
    # F = exp(-t^(1/c)); below the support (c < 0) F = 0, above it (c > 0) F = 1
    pt = _pt()
    z, log_t, inside, small, safe_c = _genextreme_parts(y, c, loc, scale)
    outside = pt.switch(pt.gt(c, 0), 0.0, -np.inf)
    return pt.switch(small, -pt.exp(-z), pt.switch(inside, -pt.exp(log_t / safe_c), outside))


_BERNOULLI_2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66)


def zeta(a: Any, terms: int = 16) -> Any:
    r"""Riemann's :math:`\zeta(a) = \sum_{k \ge 1} k^{-a}` for a > 1, in PyTensor (differentiable).

    Euler-Maclaurin: the first N - 1 terms, the integral of the tail and five Bernoulli
    corrections, :math:`\zeta(a) \approx \sum_{k<N} k^{-a} + \frac{N^{1-a}}{a-1} + \frac{N^{-a}}2
    + \sum_{j=1}^{5} \frac{B_{2j}}{(2j)!} a(a+1)\cdots(a+2j-2) N^{-a-2j+1}` with N = 16
    (relative error below 1e-13 for a > 1; tested against scipy.special.zeta).
    """
    pt = _pt()
    n = float(terms)
    k = pt.arange(1, terms, dtype="float64")
    total = pt.sum(k ** (-a)) + n ** (1 - a) / (a - 1) + n ** (-a) / 2
    rising, factorial = a, 2.0
    for j, bernoulli in enumerate(_BERNOULLI_2K, start=1):
        total = total + bernoulli / factorial * rising * n ** (-a - 2 * j + 1)
        rising = rising * (a + 2 * j - 1) * (a + 2 * j)
        factorial = factorial * (2 * j + 1) * (2 * j + 2)
    return total


def _zipf(y, a):
    pt = _pt()
    return -a * pt.log(y) - pt.log(zeta(a))


def _zero_geom(y, p, pi):
    # zi_geom and hurdle_geom coincide: scipy's geom has no zeros (it starts at 1)
    pt = _pt()
    positive = pt.log1p(-pi) + pt.log(p) + (y - 1) * pt.log1p(-p)
    return pt.switch(pt.eq(y, 0), pt.log(pi), positive)


def _hurdle_binom(y, n, p, pi):
    # zero with probability pi, else a binomial(n, p) truncated to 1..n
    pt = _pt()
    binomial = (
        pt.gammaln(n + 1) - pt.gammaln(y + 1) - pt.gammaln(n - y + 1)
        + y * pt.log(p) + (n - y) * pt.log1p(-p)
    )  # fmt: skip
    positive = pt.log1p(-pi) + binomial - pt.log1mexp(n * pt.log1p(-p))
    return pt.switch(pt.eq(y, 0), pt.log(pi), positive)


def _uniform_ends(pm: Any, y: np.ndarray) -> dict[str, Any]:
    """The uniform's free ends as loc = min - d1, scale = range + d1 + d2, d ~ half-normal(range).

    Every value stays inside, so the likelihood -n ln(scale) is smooth for NUTS (the ends as
    independent parameters would put the data's bounds into the posterior as hard walls).
    """
    low, high = float(np.min(y)), float(np.max(y))
    width = (high - low) or 1.0
    below = pm.HalfNormal("gap_below", sigma=width)
    above = pm.HalfNormal("gap_above", sigma=width)
    return {
        "loc": pm.Deterministic("loc", low - below),
        "scale": pm.Deterministic("scale", high - low + below + above),
    }


def _randint_ends(pm: Any, y: np.ndarray) -> dict[str, Any]:
    """The randint range as low = min - g1, high = max + 1 + g2, g flat on 0..range.

    Whole-number parameters: PyMC samples the gaps with Metropolis steps (NUTS cannot).
    """
    low, high = int(np.min(y)), int(np.max(y))
    width = max(high - low, 1)
    below = pm.DiscreteUniform("gap_below", lower=0, upper=width)
    above = pm.DiscreteUniform("gap_above", lower=0, upper=width)
    return {
        "low": pm.Deterministic("low", low - below),
        "high": pm.Deterministic("high", high + 1 + above),
    }


# Families whose free parameters are sampled in another parametrisation: (free parameters, maker,
# the note on the row).
_REPARAMETRISED: dict[
    str, tuple[frozenset[str], Callable[[Any, np.ndarray], dict[str, Any]], str]
] = {
    "uniform": (
        frozenset({"loc", "scale"}),
        _uniform_ends,
        "sampled as loc = min - d1, scale = range + d1 + d2 (half-normal gaps d)",
    ),
    "randint": (
        frozenset({"low", "high"}),
        _randint_ends,
        "sampled as low = min - g1, high = max + 1 + g2 (flat whole-number gaps g, Metropolis)",
    ),
}


LikelihoodBuilder = Callable[[str, Mapping[str, Any], np.ndarray], Any]
DistributionFactory = Callable[[Mapping[str, Any], Any], Any]

# Families PyMC has as distributions: (PyMC class, scipy's parameters -> PyMC's keywords).
_PYMC_DISTRIBUTIONS: dict[str, tuple[str, Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    # discrete (observed values are y = x - loc)
    "bernoulli": ("Bernoulli", lambda q: {"p": q["p"]}),
    "binom": ("Binomial", lambda q: {"n": q["n"], "p": q["p"]}),
    "betabinom": ("BetaBinomial", lambda q: {"n": q["n"], "alpha": q["a"], "beta": q["b"]}),
    "poisson": ("Poisson", lambda q: {"mu": q["mu"]}),
    "geom": ("Geometric", lambda q: {"p": q["p"]}),
    "nbinom": ("NegativeBinomial", lambda q: {"n": q["n"], "p": q["p"]}),
    # continuous (y = x - loc for families that start at loc)
    "norm": ("Normal", lambda q: {"mu": q["loc"], "sigma": q["scale"]}),
    "lognorm": ("LogNormal", lambda q: {"mu": _pt().log(q["scale"]), "sigma": q["s"]}),
    "expon": ("Exponential", lambda q: {"scale": q["scale"]}),
    "gamma": ("Gamma", lambda q: {"alpha": q["a"], "beta": 1 / q["scale"]}),
    "weibull_min": ("Weibull", lambda q: {"alpha": q["c"], "beta": q["scale"]}),
    "t": ("StudentT", lambda q: {"nu": q["df"], "mu": q["loc"], "sigma": q["scale"]}),
    "logistic": ("Logistic", lambda q: {"mu": q["loc"], "s": q["scale"]}),
    "laplace": ("Laplace", lambda q: {"mu": q["loc"], "b": q["scale"]}),
    "cauchy": ("Cauchy", lambda q: {"alpha": q["loc"], "beta": q["scale"]}),
    "pareto": ("Pareto", lambda q: {"alpha": q["b"], "m": q["scale"]}),
    "invgauss": ("Wald", lambda q: {"mu": q["mu"] * q["scale"], "lam": q["scale"]}),
    "invgamma": ("InverseGamma", lambda q: {"alpha": q["a"], "beta": q["scale"]}),
    "gumbel_r": ("Gumbel", lambda q: {"mu": q["loc"], "beta": q["scale"]}),
    "halfnorm": ("HalfNormal", lambda q: {"sigma": q["scale"]}),
    "chi2": ("ChiSquared", lambda q: {"nu": q["df"]}),
    "skewnorm": ("SkewNormal", lambda q: {"mu": q["loc"], "sigma": q["scale"], "alpha": q["a"]}),
    "randint": ("DiscreteUniform", lambda q: {"lower": q["low"], "upper": q["high"] - 1}),
    "uniform": ("Uniform", lambda q: {"lower": q["loc"], "upper": q["loc"] + q["scale"]}),
}

# Families written in PyTensor: (log density, log cdf or None), both f(y, **params).
_PYTENSOR_DENSITIES: dict[str, tuple[Callable[..., Any], Callable[..., Any] | None]] = {
    "logser": (_logser, None),
    "lomax": (_lomax, _lomax_logcdf),
    "rayleigh": (_rayleigh, _rayleigh_logcdf),
    "fisk": (_fisk, _fisk_logcdf),
    "gumbel_l": (_gumbel_l, _gumbel_l_logcdf),
    "genpareto": (_genpareto, _genpareto_logcdf),
    "loggamma": (_loggamma, _loggamma_logcdf),
    "weibull_max": (_weibull_max, _weibull_max_logcdf),
    "genextreme": (_genextreme, _genextreme_logcdf),
    "zipf": (_zipf, None),
    "zi_geom": (_zero_geom, None),
    "hurdle_geom": (_zero_geom, None),
    "hurdle_binom": (_hurdle_binom, None),
}

# Zero-inflated and hurdle counts: PyMC's psi is the probability of the count part, 1 - pi.
_ZERO_MODELS: dict[str, tuple[str, Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    "zi_poisson": ("ZeroInflatedPoisson", lambda q: {"psi": 1 - q["pi"], "mu": q["mu"]}),
    "zi_nbinom": (
        "ZeroInflatedNegativeBinomial",
        lambda q: {"psi": 1 - q["pi"], "n": q["n"], "p": q["p"]},
    ),
    "zi_binom": ("ZeroInflatedBinomial", lambda q: {"psi": 1 - q["pi"], "n": q["n"], "p": q["p"]}),
    "hurdle_poisson": ("HurdlePoisson", lambda q: {"psi": 1 - q["pi"], "mu": q["mu"]}),
    "hurdle_nbinom": (
        "HurdleNegativeBinomial",
        lambda q: {"psi": 1 - q["pi"], "n": q["n"], "p": q["p"]},
    ),
}

BUILDERS: dict[str, LikelihoodBuilder] = {
    **{name: _builtin(*spec) for name, spec in _PYMC_DISTRIBUTIONS.items()},
    **{name: _builtin(*spec) for name, spec in _ZERO_MODELS.items()},
    **{name: _logp(logp) for name, (logp, _) in _PYTENSOR_DENSITIES.items()},
    "zipfian": lambda name, q, observed: _custom(
        name, {"a": q["a"]}, _zipfian(int(q["n"])), observed
    ),
    "beta": lambda name, q, observed: _custom(
        name, {"a": q["a"], "b": q["b"]}, _beta_on(0.0, float(q.get("scale", 1.0))), observed
    ),
}
"""PyMC likelihood builders by family name: ``builder(name, params, observed) -> observed RV``.

``params`` maps scipy's parameter names to PyTensor variables (free parameters) or numbers
(fixed ones, loc excluded: the observed values are already shifted).
"""

# PyMC distributions without a usable log cdf, and why (censored data need one).
_NO_LOG_CDF = {
    "betabinom": "PyMC's BetaBinomial log cdf takes one value at a time",
    "skewnorm": "PyMC's SkewNormal has no log cdf (Owen's T is not in PyTensor)",
    "logser": "its cdf is a sum with no closed form in PyTensor",
    "zipfian": "its cdf is a sum with no closed form in PyTensor",
    "zipf": "its cdf is a Hurwitz zeta function, not in PyTensor",
    "randint": "censored whole numbers with a free range are not built",
    "uniform": "censored values with free ends are not built",
    "zi_geom": "censored zero-inflated counts are not built",
    "hurdle_geom": "censored hurdle counts are not built",
    "hurdle_binom": "censored hurdle counts are not built",
}

DISTRIBUTIONS: dict[str, DistributionFactory] = {
    **{
        name: _builtin_distribution(*spec)
        for name, spec in _PYMC_DISTRIBUTIONS.items()
        if name not in _NO_LOG_CDF
    },
    **{
        name: _custom_distribution(logp, logcdf)
        for name, (logp, logcdf) in _PYTENSOR_DENSITIES.items()
        if logcdf is not None
    },
    "beta": lambda q, shape: _custom_distribution(
        _beta_on(0.0, float(q.get("scale", 1.0))), _beta_logcdf_on(float(q.get("scale", 1.0)))
    )({"a": q["a"], "b": q["b"]}, shape),
}
"""Unnamed PyMC distributions with a log cdf, by family name: ``factory(params, shape) -> dist``.

Censored and truncated data need the cdf (:func:`pymc.logcdf`, :func:`pymc.logccdf`) besides
the density; the families here have both. ``params`` as for :data:`BUILDERS`.
"""

# "empirical" (the saturated model) is built apart: a categorical with a flat Dirichlet prior.


def register_builder(
    name: str,
    builder: LikelihoodBuilder,
    *,
    distribution: DistributionFactory | None = None,
    replace: bool = False,
) -> None:
    """Add a PyMC likelihood for a family name (e.g. a CustomFamily): ``builder(name, params, observed)``.

    Parameters
    ----------
    name
        The family's name.
    builder
        ``builder(name, params, observed) -> observed RV`` for exact data.
    distribution
        Optional ``factory(params, shape) -> unnamed PyMC distribution`` with a log cdf (e.g.
        ``pm.CustomDist.dist(..., logp=..., logcdf=..., shape=shape)``), which censored and
        truncated data need.
    replace
        Replace an existing builder.

    Raises
    ------
    ParameterError
        If the name has a builder and ``replace`` is False.
    """
    if name in BUILDERS and not replace:
        raise ParameterError(f"a PyMC builder for {name!r} exists; pass replace=True to replace it")
    BUILDERS[name] = builder
    if distribution is not None:
        DISTRIBUTIONS[name] = distribution
    else:
        DISTRIBUTIONS.pop(name, None)


def _mixture_builder(family: FiniteMixture) -> LikelihoodBuilder | None:
    r"""``pm.Mixture`` over the components' PyMC distributions; None if one has none.

    The weights come from stick-breaking: the posterior's ``w_j`` are the fractions
    :math:`v_j` (Beta(1, k - j), a flat Dirichlet over the weights) and ``weights`` is the
    deterministic :math:`w_j = v_j \prod_{i<j}(1 - v_i)`. Components of one family are kept in
    order (labels cannot switch) by their ``loc`` where it is free, else their ``scale``, else
    their first parameter, through a potential that is -inf out of order.
    """
    factories = [DISTRIBUTIONS.get(b.name) for b in family.bases]
    ready = [f for f in factories if f is not None]
    if len(ready) < len(factories):
        return None

    def likelihood(name: str, params: Mapping[str, Any], observed: np.ndarray) -> Any:
        pm, _ = _imports()
        pt = _pt()
        sticks = [params[f"w_{j}"] for j in range(1, family.k)]
        remaining = 1.0
        weights = []
        for v in sticks:
            weights.append(remaining * v)
            remaining = remaining * (1 - v)
        weights.append(remaining)
        w = pm.Deterministic("weights", pt.as_tensor(weights))
        components = [
            factory(theta, None)
            for factory, theta in zip(ready, family.components(params), strict=True)
        ]
        for base_name in {b.name for b in family.bases}:
            slots = [j for j, b in enumerate(family.bases, start=1) if b.name == base_name]
            free = [p.name for p in family.bases[slots[0] - 1].free_parameters(
                family.bases[slots[0] - 1].default_fixed)]  # fmt: skip
            key = "loc" if "loc" in free else "scale" if "scale" in free else free[0]
            ordered = [params[f"{key}_{j}"] for j in slots]
            for index, (low, high) in enumerate(itertools.pairwise(ordered)):
                pm.Potential(
                    f"order_{base_name}_{key}_{index}", pt.switch(pt.lt(low, high), 0.0, -np.inf)
                )
        return pm.Mixture(name, w=w, comp_dists=components, observed=observed)

    return likelihood


# ------------------------------------------------------------------ priors
def _default_prior(family: Family, name: str, summary: Mapping[str, float]) -> PriorSpec:
    if isinstance(family, FiniteMixture):
        stem, _, index = name.rpartition("_")
        if stem == "w":  # stick-breaking fractions of a flat Dirichlet over the k weights
            return "Beta", {"alpha": 1.0, "beta": float(family.k - int(index))}
        return _default_prior(family.bases[int(index) - 1], stem, summary)
    own = family.default_prior(name, summary)
    if own is not None:
        return own
    spread = summary["spread"]
    if name == "loc":
        return "Normal", {"mu": summary["mean"], "sigma": 10 * spread}
    if name == "scale":
        return "LogNormal", {"mu": math.log(spread), "sigma": 2.0}
    if name == "p":
        return "Beta", {"alpha": 1.0, "beta": 1.0}
    parameter = family.parameter(name)
    if parameter.low >= 0:
        return "LogNormal", {"mu": 0.0, "sigma": 2.0}
    return "Normal", {"mu": 0.0, "sigma": 1.0}


def _prior(
    pm: Any, family: Family, label: str, name: str, summary: Mapping[str, float], priors: Mapping
) -> Any:
    dist, kwargs = (priors.get(label) or priors.get(family.name) or {}).get(name) or _default_prior(
        family, name, summary
    )
    try:
        return getattr(pm, dist)(name, **kwargs)
    except AttributeError:
        raise ParameterError(
            f"priors: PyMC has no distribution {dist!r} (for {label}.{name})"
        ) from None


# ------------------------------------------------------------------ one family
@dataclass
class _Outcome:
    elpd: Any = None  # ArviZ ELPDData over every observation
    posterior: Any = None
    seconds: float = math.nan
    notes: list[str] = dataclasses.field(default_factory=list)
    distinct_loo: Any = None  # PSIS-LOO over the distinct values, before expansion by counts


def _relative_efficiency(posterior: Any) -> float:
    """ArviZ's relative efficiency of the draws: mean bulk ESS of the variables over the draws (1 with one chain)."""
    posterior_group = posterior.posterior
    chains, draws = posterior_group.sizes["chain"], posterior_group.sizes["draw"]
    if chains == 1:
        return 1.0
    ess = posterior_group.azstats.ess(method="mean")
    r_eff = float(np.hstack([np.ravel(ess[v].values) for v in ess.data_vars]).mean())
    return r_eff / (chains * draws)


def _psis_loo(posterior: Any, name: str = "y") -> Any:
    """PSIS-LOO of the observed variable ``name``: :func:`klmodels.psis.psis_loo`, ArviZ's result."""
    from klmodels.psis import psis_loo

    log_lik = np.asarray(posterior.log_likelihood[name])
    chains, draws = log_lik.shape[:2]
    return psis_loo(log_lik.reshape(chains * draws, -1), _relative_efficiency(posterior))


def _pointwise_elpd(az: Any, loo: Any, counts: np.ndarray | None) -> Any:
    r"""LOO over every observation from LOO over distinct values (each counted c_v times).

    The effective number of parameters is :math:`p = \sum_j c_j p_j` from each distinct value's
    :math:`p_j = \mathrm{lppd}_j - \mathrm{elpd}_j` (``p_loo_i``; ``p`` itself counts each distinct
    value once).
    """
    if counts is None:
        return loo
    import xarray as xr

    elpd_i = np.asarray(loo.elpd_i).ravel()
    pareto_k = np.asarray(loo.pareto_k).ravel()
    expanded = np.repeat(elpd_i, counts)
    n = expanded.size
    p_loo = (
        float(np.dot(counts, np.asarray(loo.p_loo_i).ravel())) if loo.p_loo_i is not None else loo.p
    )
    return dataclasses.replace(
        loo,
        elpd=float(expanded.sum()),
        se=float(math.sqrt(n * expanded.var(ddof=1))),  # as ArviZ: sample variance
        p=p_loo,
        n_data_points=n,
        elpd_i=xr.DataArray(expanded, dims=["obs"]),
        pareto_k=xr.DataArray(np.repeat(pareto_k, counts), dims=["obs"]),
        log_weights=None,
        p_loo_i=None,
        influence_pareto_k=None,
        n_eff_i=None,
        approx_posterior=False,
    )


def _exact_elpd(pointwise: np.ndarray) -> Any:
    """A model whose posterior is one point: its LOO is the log-likelihood itself.

    For models with nothing to estimate, and for posteriors that never leave one point (randint's
    range on many values). ``pointwise`` holds every observation's log-likelihood (nats).
    """
    import xarray as xr
    from arviz_stats import ELPDDataLOO  # exact LOO: comparable with PSIS-LOO results

    n = pointwise.size
    return ELPDDataLOO(
        elpd=float(pointwise.sum()),
        se=float(math.sqrt(n * pointwise.var(ddof=1))),
        p=0.0,
        n_samples=1,
        n_data_points=n,
        scale="log",
        warning=False,
        good_k=0.7,
        elpd_i=xr.DataArray(pointwise, dims=["obs"]),
        pareto_k=xr.DataArray(np.zeros(n), dims=["obs"]),
    )


def _real_line(family: Family) -> bool:
    return family.kind == "continuous" and getattr(family, "support_kind", "real") == "real"


def _fixed_and_shift(fit: Any) -> tuple[dict[str, Any], float] | str:
    """The fixed parameters PyMC sees, and the shift of the data; a reason when not expressible.

    Real-line families keep loc as a parameter (shift 0); every other family is fitted to
    y = x - loc with loc fixed (a free threshold makes the posterior improper).
    """
    family = fit.family
    fixed = {k: v for k, v in fit.all_params.items() if k not in fit.params}
    if _real_line(family):
        return fixed, 0.0
    if "loc" in fit.params:
        return "not sampled: a free threshold (loc) makes the posterior improper here"
    shift = float(fixed.pop("loc", 0.0))
    if family.name == "chi2" and fixed.pop("scale", 1.0) != 1.0:
        return "not sampled: chi2 with a scale other than 1 has no PyMC builder"
    return fixed, shift


def _prior_summary(family: Family, y: np.ndarray, weights: np.ndarray | None) -> dict[str, float]:
    """``mean``, ``spread`` and ``min`` for the default priors.

    The spread is the standard deviation on the real line, otherwise the mean distance from the
    support's end (the mean of y = x - loc, or minus it for families bounded above).
    """
    centre = float(np.average(y, weights=weights))
    spread = float(np.sqrt(np.average((y - centre) ** 2, weights=weights)))
    return {
        "mean": centre,
        "spread": (spread if _real_line(family) else abs(centre)) or 1.0,
        "min": float(np.min(y)),
    }


@dataclass
class _FamilyModel:
    """One family's PyMC model on the data: the observed variable, the values it sees, the counts."""

    model: Any
    observed: Any
    y: np.ndarray
    counts: np.ndarray | None
    shift: float
    fixed: dict[str, Any]
    notes: list[str]
    summary: Mapping[str, float]

    @property
    def weights(self) -> np.ndarray:
        """How many observations each value of ``y`` stands for (1 each without counts)."""
        return self.counts if self.counts is not None else np.ones(self.y.size, dtype=np.int64)


@contextlib.contextmanager
def _quiet_pymc(progress: bool) -> Iterator[None]:
    """PyMC and PyTensor log each step of sampling; the caller asked for a result, not a log."""
    quiet = [logging.getLogger(name) for name in ("pymc", "pytensor")]
    levels = [logger.level for logger in quiet]
    try:
        for logger in quiet:
            logger.setLevel(logging.WARNING if progress else logging.ERROR)
        yield
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


def _family_model(
    label: str,
    fit: Fit,
    obs: Observations,
    priors: Mapping,
    summary: Mapping[str, float] | None = None,
) -> _FamilyModel | str:
    """Build one family's model (priors, likelihood) on exact data, or say why it cannot be built.

    ``summary`` fixes the data summary the default priors are scaled by (a refit without one
    observation keeps the full data's priors, so that its posterior is the LOO posterior).
    """
    pm, _ = _imports()
    family = fit.family
    builder = BUILDERS.get(family.name)
    if builder is None and isinstance(family, FiniteMixture):
        builder = _mixture_builder(family)
    if builder is None:
        if isinstance(family, FiniteMixture):
            return "a mixture needs every component in DISTRIBUTIONS: " + ", ".join(
                b.name for b in family.bases if b.name not in DISTRIBUTIONS
            )
        if isinstance(family, CustomFamily):
            return "a custom family needs a PyMC builder: klmodels.bayes.register_builder(name, builder)"
        return "no PyMC builder for this family"

    if family.kind == "discrete":
        values, prob = obs.distinct()
        counts: np.ndarray | None = np.rint(prob * obs.n_obs).astype(np.int64)
    elif obs.weights is not None:
        values, counts = obs.values, np.rint(obs.probabilities * obs.n_obs).astype(np.int64)
    else:
        values, counts = obs.values, None

    fixed: dict[str, Any]
    reparametrised = _REPARAMETRISED.get(family.name)
    if reparametrised is not None and set(fit.params) == reparametrised[0]:
        fixed, shift = {}, 0.0
    else:
        reparametrised = None
        shifted = _fixed_and_shift(fit)
        if isinstance(shifted, str):
            return shifted.removeprefix("not sampled: ")
        fixed, shift = shifted
    y = values - shift
    summary = summary or _prior_summary(family, y, counts)
    notes = []
    with pm.Model() as model:
        params: dict[str, Any] = dict(fixed)
        if reparametrised is not None:
            params.update(reparametrised[1](pm, y))
            notes.append(reparametrised[2])
            if priors.get(label) or priors.get(family.name):
                notes.append("priors= not used for it: its ends are sampled as gaps")
        else:
            for name in fit.params:
                params[name] = _prior(pm, family, label, name, summary, priors)
        observed = builder("y", params, y)
    return _FamilyModel(model, observed, y, counts, shift, fixed, notes, summary)


def _sample_family(
    label: str,
    fit: Fit,
    obs: Observations,
    priors: Mapping,
    sampling: Mapping[str, Any],
    plan: _LooPlan | None = None,
) -> _Outcome:
    """Sample one family's posterior and compute its LOO (over every observation, or ``plan``'s subsample)."""
    if fit.family.saturated:
        return _sample_saturated(obs, sampling)
    start = time.perf_counter()
    built = _family_model(label, fit, obs, priors)
    if isinstance(built, str):
        return _Outcome(notes=[f"not sampled: {built}"])
    outcome = _Outcome(notes=list(built.notes))
    outcome = _sample_posterior(
        outcome, built.model, built.observed, built.y, built.counts, sampling, start, plan
    )
    if outcome.distinct_loo is not None:
        _refit_flagged(outcome, label, fit, built, priors, sampling)
    return outcome


_MAX_REFITS = 10
"""The most observations with high Pareto k whose LOO is recomputed by leaving each out and refitting."""

_FOLDS = 10
"""Folds of the K-fold cross-validation that replaces PSIS-LOO when more values are flagged."""

_REFITS_DONE = "left out and refitted: exact LOO for them"
_KFOLD_DONE = "cross-validation instead of PSIS-LOO"
"""How a row says its high Pareto k were remedied (and PSIS's warnings about them are dropped)."""

_REMEDY_FAILED = (FitError, ValueError, RuntimeError)
"""What a refit may raise; the row then keeps PSIS-LOO and says the remedy failed."""


def _predictive_log_density(fit: Fit, posterior: Any, points: np.ndarray) -> np.ndarray:
    r""":math:`\ln \frac1S \sum_s p(x \mid \theta_s)` at each point x (nats), from the posterior's draws."""
    from scipy.special import logsumexp

    draws = {n: np.asarray(posterior.posterior[n]).ravel() for n in fit.params}
    n_draws = next(iter(draws.values())).size
    logp = np.array([
        fit.family.logpdf(points, {**fit.all_params, **{n: v[s] for n, v in draws.items()}})
        for s in range(n_draws)
    ])  # fmt: skip
    return logsumexp(logp.reshape(n_draws, -1), axis=0) - math.log(n_draws)


def _sample_on(
    label: str,
    fit: Fit,
    built: _FamilyModel,
    weights: np.ndarray,
    priors: Mapping,
    sampling: Mapping[str, Any],
) -> Any:
    """A cross-validation posterior: ``built``'s model on its values counted ``weights`` times.

    Values with weight 0 are left out; the priors stay the full data's.
    """
    pm, _ = _imports()
    kept = weights > 0
    rest = Observations.from_data(built.y[kept] + built.shift, weights=weights[kept])
    refit = _family_model(label, fit, rest, priors, summary=built.summary)
    if isinstance(refit, str):
        raise FitError(refit)
    with refit.model:
        _add_copies(pm, refit.observed, refit.y, refit.counts)
        return _draw(pm, refit.model, sampling)


def _folds(n_obs: int, k: int, seed: int | None) -> np.ndarray:
    """The fold (0 .. k - 1) of each observation: a random split into folds of equal size (within one)."""
    return np.random.default_rng(seed).permutation(np.arange(n_obs) % k)


def _kfold(
    outcome: _Outcome,
    label: str,
    fit: Fit,
    built: _FamilyModel,
    priors: Mapping,
    sampling: Mapping[str, Any],
) -> None:
    r"""K-fold cross-validation in place of PSIS-LOO (``_FOLDS`` folds of the observations).

    Each observation (a copy of a distinct value) falls in one random fold; for each fold the
    model is sampled on the others (the full data's priors) and each held-out observation
    scores :math:`\ln \frac1S \sum_s p(y_i \mid \theta^{(-f)}_s)`. As ArviZ's ``loo_kfold``,
    elpd is their sum and :math:`p = \mathrm{lppd} - \mathrm{elpd}` with lppd from the full
    posterior; se is :math:`\sqrt{N\,s^2}` with the sample variance of the elpd_i, as for the
    PSIS rows (ArviZ's K-fold divides by N). Leaving out a tenth of the data instead of one value
    makes K-fold slightly pessimistic against the LOO rows (about :math:`p / (2(K-1))` nats for a
    regular model).
    """
    import xarray as xr
    from arviz_stats.utils import ELPDDataLOOKFold

    loo = outcome.distinct_loo
    y, weights = built.y, built.weights
    column = np.repeat(np.arange(y.size), weights)  # the distinct value of each observation
    n_obs = column.size
    k = min(_FOLDS, n_obs)
    fold = _folds(n_obs, k, sampling.get("random_seed"))
    held = np.zeros((k, y.size), dtype=np.int64)
    np.add.at(held, (fold, column), 1)
    elpd_i = np.empty(n_obs)
    for f in range(k):
        posterior = _sample_on(label, fit, built, weights - held[f], priors, sampling)
        out = np.flatnonzero(held[f])
        by_value = np.full(y.size, np.nan)
        by_value[out] = _predictive_log_density(fit, posterior, y[out] + built.shift)
        elpd_i[fold == f] = by_value[column[fold == f]]
    lppd = (np.asarray(loo.elpd_i, dtype=float) + np.asarray(loo.p_loo_i, dtype=float)).ravel()
    p_i = lppd[column] - elpd_i
    outcome.elpd = ELPDDataLOOKFold(
        elpd=float(elpd_i.sum()),
        se=float(math.sqrt(n_obs * elpd_i.var(ddof=1))),
        p=float(p_i.sum()),
        n_samples=loo.n_samples,
        n_data_points=n_obs,
        scale="log",
        warning=False,
        good_k=loo.good_k,
        elpd_i=xr.DataArray(elpd_i, dims=["obs"]),
        n_folds=k,
        p_kfold_i=xr.DataArray(p_i, dims=["obs"]),
    )


def _refit_flagged(
    outcome: _Outcome,
    label: str,
    fit: Fit,
    built: _FamilyModel,
    priors: Mapping,
    sampling: Mapping[str, Any],
) -> None:
    r"""Exact LOO for the values PSIS flags (Pareto k above ArviZ's threshold), in place.

    For each flagged distinct value :math:`y_j`, one copy is left out, the model is sampled again
    on the rest (with the full data's priors) and
    :math:`\mathrm{elpd}_j = \ln \frac1S \sum_s p(y_j \mid \theta^{(-j)}_s)` replaces the PSIS
    estimate (for every copy of the value). With more than ``_MAX_REFITS`` flagged values the
    ELPD becomes ``_FOLDS``-fold cross-validation (:func:`_kfold`); families sampled in another
    parametrisation keep PSIS and say so.
    """
    _, az = _imports()
    loo = outcome.distinct_loo
    flagged = np.flatnonzero(np.asarray(loo.pareto_k).ravel() > loo.good_k)
    if flagged.size == 0:
        return
    family = fit.family
    if family.name in _REPARAMETRISED or isinstance(family, FiniteMixture):
        outcome.notes.append("exact refits for high Pareto k: not for this family")
        return
    start = time.perf_counter()
    if flagged.size > _MAX_REFITS:
        try:
            _kfold(outcome, label, fit, built, priors, sampling)
        except _REMEDY_FAILED as exc:
            outcome.notes.append(
                f"K-fold cross-validation for high Pareto k failed ({exc}); PSIS kept"
            )
            return
        _remedied(
            outcome,
            f"{flagged.size} values with Pareto k > {loo.good_k:.2f}, more than {_MAX_REFITS} "
            f"to refit one by one: ELPD by {outcome.elpd.n_folds}-fold {_KFOLD_DONE} "
            f"({time.perf_counter() - start:.1f} s)",
        )
        return

    y, counts, weights = built.y, built.counts, built.weights
    elpd_i = np.asarray(loo.elpd_i, dtype=float).ravel().copy()
    for j in flagged:
        left = weights.copy()
        left[j] -= 1
        try:
            posterior = _sample_on(label, fit, built, left, priors, sampling)
        except _REMEDY_FAILED as exc:
            outcome.notes.append(f"exact refits for high Pareto k failed ({exc}); PSIS kept")
            return
        elpd_i[j] = float(_predictive_log_density(fit, posterior, y[j : j + 1] + built.shift)[0])
    pareto_k = np.asarray(loo.pareto_k, dtype=float).ravel().copy()
    pareto_k[flagged] = 0.0  # exact: nothing left to smooth
    # lppd_j = elpd_j + p_j is the same for the refitted values: only their elpd changes
    lppd = np.asarray(loo.elpd_i, dtype=float).ravel() + np.asarray(loo.p_loo_i).ravel()
    exact = dataclasses.replace(
        loo,
        elpd=float(np.dot(weights, elpd_i)),
        se=float(math.sqrt(weights.sum() * np.repeat(elpd_i, weights.astype(int)).var(ddof=1))),
        p=float(np.dot(weights, lppd - elpd_i)),
        elpd_i=loo.elpd_i.copy(data=elpd_i.reshape(np.shape(loo.elpd_i))),
        pareto_k=loo.pareto_k.copy(data=pareto_k.reshape(np.shape(loo.pareto_k))),
        p_loo_i=loo.p_loo_i.copy(data=(lppd - elpd_i).reshape(np.shape(loo.p_loo_i))),
        warning=False,
    )
    outcome.distinct_loo = exact
    outcome.elpd = _pointwise_elpd(az, exact, counts)
    _remedied(
        outcome,
        f"{flagged.size} value(s) with Pareto k > {loo.good_k:.2f} {_REFITS_DONE} "
        f"({time.perf_counter() - start:.1f} s)",
    )


def _remedied(outcome: _Outcome, how: str) -> None:
    """Replace the row's high-Pareto-k warning by what was done about it."""
    outcome.notes = [n for n in outcome.notes if "Pareto k >" not in n]
    outcome.notes.append(how)


def prior_draws(
    data: Any,
    family: Candidate,
    *,
    draws: int = 100,
    random_seed: int | None = None,
    priors: Mapping[str, Mapping[str, PriorSpec]] | None = None,
    **options: Any,
) -> list[dict[str, float]]:
    """Parameter sets drawn from the priors :func:`compare` would use for ``family`` on ``data``.

    Each is a full set of scipy parameters (fixed ones and the data's shift included), so that
    ``family.freeze(params)`` is a model the prior considers plausible before seeing the data:
    what the default, data-scaled priors imply (see :func:`klmodels.plotting.plot_prior_predictive`).
    ``options`` go to :func:`klmodels.fit` (``support=``, fixed parameters, ...).
    """
    pm, _ = _imports()
    fit = plugin_fit(data, family, **options)
    if not isinstance(fit.observations, Observations) or not fit.observations.in_memory:
        raise NotInMemoryError("prior_draws needs the data in memory (compute a sample first)")
    built = _family_model(fit.family.name, fit, fit.observations, dict(priors or {}))
    if isinstance(built, str):
        raise FitError(f"{fit.family.name} has no PyMC model: {built}")
    model = built.model
    parameters = [v.name for v in [*model.free_RVs, *model.deterministics]]
    with model, _quiet_pymc(progress=False):  # the parameters only: a CustomDist cannot be drawn
        prior = pm.sample_prior_predictive(
            draws=draws, var_names=parameters, random_seed=random_seed
        ).prior
    names = [p.name for p in fit.family.parameters if p.name in prior]
    out = []
    for d in range(draws):
        params = {**fit.all_params, **built.fixed}
        params.update({n: float(np.asarray(prior[n]).reshape(-1)[d]) for n in names})
        if built.shift:
            params["loc"] = built.shift
        out.append(params)
    return out


def _sample_saturated(obs: Observations, sampling: Mapping[str, Any]) -> _Outcome:
    """The saturated model: a categorical over the distinct values with a flat Dirichlet prior."""
    pm, _ = _imports()
    _, prob = obs.distinct()
    counts = np.rint(prob * obs.n_obs).astype(np.int64)
    index = np.arange(counts.size)
    start = time.perf_counter()
    with pm.Model() as model:
        theta = pm.Dirichlet("p", a=np.ones(counts.size))
        observed = pm.Categorical("y", p=theta, observed=index)
    return _sample_posterior(_Outcome(), model, observed, index, counts, sampling, start)


def _draw(pm: Any, model: Any, sampling: Mapping[str, Any]) -> Any:
    """``pm.sample`` of ``model`` (the current model), with nutpie's chains on every core.

    When every parameter is continuous and a nutpie PyMC accepts is installed, nutpie samples
    (PyMC's own default there, unless its numba/JAX linker or other options rule nutpie out:
    ``nuts_sampler="pymc"`` keeps PyMC's sampler) with one thread per chain up to the cores
    (``cores=1`` would run the chains one after another). PyMC's own sampler keeps one
    process: starting processes costs it more than the chains of these small models gain.
    """
    options = dict(sampling)
    continuous = all(str(v.dtype).startswith("float") for v in model.free_RVs)
    if options.get("nuts_sampler") in (None, "nutpie") and continuous and _nutpie_usable():
        options["nuts_sampler"] = "nutpie"
        options["cores"] = max(1, min(options.get("chains", 4), os.cpu_count() or 1))
    return pm.sample(**options)


def _nutpie_usable() -> bool:
    """Whether nutpie is installed in a version this PyMC accepts (else PyMC's own sampler)."""
    if importlib.util.find_spec("nutpie") is None:
        return False
    try:
        from pymc.sampling.mcmc import _nutpie_meets_min_version
    except ImportError:  # PyMC no longer says: let it decide itself
        return False
    try:
        return bool(_nutpie_meets_min_version())
    except Exception:  # a nutpie that does not import
        return False


def _add_copies(
    pm: Any, observed: Any, values: np.ndarray, counts: np.ndarray | None, name: str = "copies"
) -> None:
    """The other c - 1 copies of each distinct value, as a potential in the current model.

    The observed variable sees each distinct value once; the potential adds the rest of its
    weight, so the posterior is that of all the copies at O(distinct values) per step.
    """
    if counts is not None and np.any(counts > 1):
        pm.Potential(name, pm.math.sum((counts - 1) * pm.logp(observed, values)))


_FULL_LOO_BYTES = 2**30
"""Above this size of the pointwise log-likelihood matrix (float64, draws x values), LOO is subsampled."""

_SUBSAMPLE_SIZE = 2_000
"""Observations in the subsample of subsampled PSIS-LOO, unless ``loo_subsample=`` says otherwise."""


@dataclass(frozen=True)
class _LooPlan:
    """How LOO is computed: over every value, or on one random subsample shared by every family.

    ``subsample`` is ``loo_subsample=`` of :func:`compare`: None (automatic: subsample when the
    pointwise log-likelihood matrix would exceed ``_FULL_LOO_BYTES``), False (never), True
    (always) or the subsample size.
    """

    subsample: int | bool | None = None
    seed: int = 0

    def indices(self, n_obs: int, n_columns: int, n_draws: int) -> np.ndarray | None:
        """The sampled observation indices, or None for LOO over every value."""
        from klmodels.subsample import observation_sample

        size = self.subsample
        if size is False or (size is None and 8.0 * n_columns * n_draws <= _FULL_LOO_BYTES):
            return None
        m = _SUBSAMPLE_SIZE if size is None or size is True else int(size)
        return observation_sample(n_obs, m, self.seed) if m < n_obs else None


def _log_likelihood_function(model: Any, observed: Any) -> tuple[Callable[..., Any], list[str]]:
    """``f(*draws, values)``: the observed variable's pointwise log-likelihood at any values.

    Returns the compiled function, vectorised over draws (one array per entry of the returned
    names, the model's free variables on their own scale, as stored in the posterior; output
    shape (draws, values)), and those names. Constants the model took from the data (the
    uniform's observed ends) stay the full data's.
    """
    pm, _ = _imports()
    pt = _pt()
    from pymc.distributions.shape_utils import change_dist_size
    from pymc.model.transform.conditioning import remove_value_transforms
    from pytensor.graph.replace import vectorize_graph

    untransformed = remove_value_transforms(model)
    variable = untransformed[observed.name]
    values = pt.tensor("values", shape=(None,), dtype=variable.dtype)
    pointwise = untransformed.replace_rvs_by_values(
        [pm.logp(change_dist_size(variable, values.shape), values)]
    )[0]
    inputs = untransformed.value_vars
    batched = {
        v: pt.tensor(f"{v.name}_draws", shape=(None, *v.type.shape), dtype=v.dtype) for v in inputs
    }
    function = untransformed.compile_fn(
        vectorize_graph(pointwise, replace=batched),
        inputs=[*batched.values(), values],
        on_unused_input="ignore",
        point_fn=False,
    )
    return function, [v.name for v in inputs]


def _one_point(outcome: _Outcome, loglik: np.ndarray, counts: np.ndarray | None) -> _Outcome:
    """A posterior that never leaves one point: LOO is that point's log-likelihood (per value)."""
    outcome.elpd = _exact_elpd(np.repeat(loglik, counts) if counts is not None else loglik)
    outcome.notes.append(
        "every draw is one point (the likelihood allows no other): LOO is its log-likelihood"
    )
    return outcome


def _subsampled_outcome(
    outcome: _Outcome,
    model: Any,
    observed: Any,
    y: np.ndarray,
    counts: np.ndarray | None,
    indices: np.ndarray,
) -> _Outcome:
    """Subsampled PSIS-LOO (:mod:`klmodels.subsample`) from the posterior in ``outcome``."""
    from klmodels.subsample import columns_of, subsampled_loo

    _, az = _imports()
    posterior = outcome.posterior
    function, names = _log_likelihood_function(model, observed)
    draws = [np.asarray(posterior.posterior[n]).reshape(-1) for n in names]
    mean = [
        np.rint(d.mean(keepdims=True)).astype(d.dtype)
        if d.dtype.kind in "iu"
        else d.mean(keepdims=True)
        for d in draws
    ]
    approx = np.asarray(function(*mean, y))[0]  # log density at the posterior mean: plpd
    if all(np.all(d == d[0]) for d in draws):  # one point: LOO is its log-likelihood
        return _one_point(outcome, approx, counts)
    columns = columns_of(indices, counts)
    distinct, inverse = np.unique(columns, return_inverse=True)
    log_lik = np.asarray(function(*draws, y[distinct]))
    loo = subsampled_loo(log_lik, inverse, approx, indices, counts, _relative_efficiency(posterior))
    outcome.elpd = loo
    outcome.notes.append(
        f"PSIS-LOO on a random sample of {indices.size:,} of {loo.n_data_points:,} observations "
        f"(difference estimator around the log density at the posterior mean; subsampling "
        f"SE {loo.subsampling_se:.2g} nats)"
    )
    outcome.notes += _diagnose(az, posterior, loo)
    return outcome


def _sample_posterior(
    outcome: _Outcome,
    model: Any,
    observed: Any,
    y: np.ndarray,
    counts: np.ndarray | None,
    sampling: Mapping[str, Any],
    start: float,
    plan: _LooPlan | None = None,
) -> _Outcome:
    """Count repeated values, sample the model, and estimate its ELPD by PSIS-LOO.

    LOO covers every value, or (``plan``) a random subsample of the observations when the
    pointwise log-likelihood of every value would not fit in memory.
    """
    pm, az = _imports()
    n_obs = int(counts.sum()) if counts is not None else y.size
    indices = (plan or _LooPlan(False)).indices(
        n_obs, y.size, sampling["draws"] * sampling["chains"]
    )
    with model:
        _add_copies(pm, observed, y, counts)
        posterior = _draw(pm, model, sampling)
        if indices is None:
            pm.compute_log_likelihood(posterior, model=model, progressbar=False)
    outcome.seconds = time.perf_counter() - start
    outcome.posterior = posterior
    if indices is not None:
        return _subsampled_outcome(outcome, model, observed, y, counts, indices)
    if plan is not None and plan.subsample not in (None, False):
        outcome.notes.append(f"loo_subsample: only {n_obs:,} observations; LOO over every value")
    loglik = np.asarray(posterior.log_likelihood[observed.name]).reshape(-1, y.size)
    if np.all(loglik == loglik[0]):  # every draw the same point: PSIS has nothing to smooth
        return _one_point(outcome, loglik[0], counts)
    loo = _psis_loo(posterior, observed.name)
    outcome.distinct_loo = loo
    outcome.elpd = _pointwise_elpd(az, loo, counts)
    outcome.notes += _diagnose(az, posterior, loo)
    return outcome


# ------------------------------------------------------------------ censored and truncated data
def _log_mass(pm: Any, dist: Any, low: Any, high: Any) -> Any:
    r""":math:`\ln(F(high) - F(low))` in PyTensor: by the cdf below the median, the survival side above."""
    pt = _pt()
    cdf_high = pm.logcdf(dist, high)
    # choose the pair before the difference: a switch after it would let the unused side's
    # NaN gradient (ln 0 where its two terms are equal) into the sampler's gradient
    by_cdf = pt.le(cdf_high, math.log(0.5))
    big = pt.switch(by_cdf, cdf_high, pm.logccdf(dist, low))
    small = pt.switch(by_cdf, pm.logcdf(dist, low), pm.logccdf(dist, high))
    return pm.math.logdiffexp(big, small)


def _log_inside(pm: Any, dist: Any, low: float, high: float) -> Any:
    """The log of the model's mass inside the truncation bounds (0 when there are none)."""
    if low == -math.inf and high == math.inf:
        return 0.0
    if low == -math.inf:
        return pm.logcdf(dist, high)
    if high == math.inf:
        return pm.logccdf(dist, low)
    return _log_mass(pm, dist, low, high)


def _censored_logp(
    factory: DistributionFactory,
    names: list[str],
    group: str,
    step: int,
    truncation: tuple[float, float],
) -> Callable[..., Any]:
    """The log-likelihood of one censoring group, as in :func:`klmodels.censored.contributions`.

    The observed value is x (exact), u (left: X <= u), l (right: X >= l) or l (interval, whose
    upper bounds come first among the arguments), or anything for ``certain`` (a bound at or
    below the support's start: probability 1 before truncation); ``step`` is 1 for whole numbers (P(X >= l) =
    S(l - 1)) and 0 otherwise.
    """

    def logp(value: Any, *args: Any) -> Any:
        pm, _ = _imports()
        pt = _pt()
        upper, args = (args[0], args[1:]) if group == "interval" else (None, args)
        dist = factory(dict(zip(names, args, strict=True)), value.shape)
        if group == "exact":
            out = pm.logp(dist, value)
        elif group == "left":
            out = pm.logcdf(dist, value)
        elif group == "right":
            out = pm.logccdf(dist, value - step)
        elif group == "certain":
            out = pt.zeros_like(value, dtype="float64")
        else:
            out = _log_mass(pm, dist, value - step, upper)
        return out - _log_inside(pm, dist, *truncation)

    return logp


def _whole_counts(weights: np.ndarray) -> np.ndarray:
    counts = np.rint(weights)
    if np.any(np.abs(counts - weights) > 1e-9 * np.maximum(1.0, weights)):
        raise ParameterError(
            "Bayesian LOO counts observations: the weights of censored data must be whole numbers "
            f"(got e.g. {weights[np.abs(counts - weights) > 0][0]:g}); round them or drop the weights"
        )
    return counts.astype(np.int64)


def _censoring_groups(
    obs: CensoredObservations, shift: float, *, start_at_zero: bool
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(group, bounds - shift, whole counts)`` for each non-empty group, in ``GROUPS`` order.

    For a family whose support starts at 0 (after the shift), an interval [l, u] with l <= 0 is
    the left-censored X <= u, and X >= l with l <= 0 is certain (group ``certain``): the cdf
    at the support's start is 0 in value but not in PyTensor's gradient (NaN), which would stop
    the sampler.
    """
    found: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}

    def add(group: str, bounds: np.ndarray, counts: np.ndarray) -> None:
        if bounds.shape[0]:
            kept = found.setdefault(group, ([], []))
            kept[0].append(bounds)
            kept[1].append(counts)

    for group in GROUPS:
        counts = _whole_counts(np.asarray(obs.weights[group], dtype=np.float64))
        bounds = getattr(obs, group)[counts > 0] - shift
        counts = counts[counts > 0]
        at_start = np.zeros(counts.size, dtype=bool)
        if start_at_zero and group in ("right", "interval"):
            at_start = (bounds[:, 0] if group == "interval" else bounds) <= 0
        if group == "interval":
            add("left", bounds[at_start, 1], counts[at_start])
        elif group == "right":
            add("certain", bounds[at_start], counts[at_start])
        add(group, bounds[~at_start], counts[~at_start])
    order = [*GROUPS, "certain"]
    return [
        (g, np.concatenate(found[g][0]), np.concatenate(found[g][1])) for g in order if g in found
    ]


def _sample_censored(
    label: str,
    fit: Any,
    obs: CensoredObservations,
    priors: Mapping,
    sampling: Mapping[str, Any],
) -> _Outcome:
    """Sample one family on censored or truncated data; LOO over every observation.

    Each censoring group is one observed ``pm.CustomDist`` whose log density is the group's
    contribution (density, log cdf, log survival function or log difference of cdfs, minus the
    log mass inside the truncation bounds); identical observations enter once, their other
    copies through a ``pm.Potential``, and LOO is expanded by the counts as for exact data.
    """
    pm, az = _imports()
    family = fit.family
    outcome = _Outcome()
    factory = DISTRIBUTIONS.get(family.name)
    if factory is None:
        reason = _NO_LOG_CDF.get(family.name) or (
            "a custom family needs a PyMC distribution with a log cdf: "
            "klmodels.bayes.register_builder(name, builder, distribution=factory)"
            if isinstance(family, CustomFamily)
            else "no PyMC distribution with a log cdf"
        )
        outcome.notes.append(f"not sampled (censored data need the cdf): {reason}")
        return outcome
    shifted = _fixed_and_shift(fit)
    if isinstance(shifted, str):
        outcome.notes.append(shifted)
        return outcome
    fixed, shift = shifted
    discrete = family.kind == "discrete"
    step = 1 if discrete else 0
    low, high = (bound - shift for bound in obs.truncation)
    if discrete:
        low, high = cdf_bounds_of_whole_numbers(low, high)
    stand_in = obs.stand_in()
    summary = _prior_summary(family, stand_in.values - shift, stand_in.weights)
    groups = _censoring_groups(obs, shift, start_at_zero=not _real_line(family))

    start = time.perf_counter()
    with pm.Model() as model:
        params: dict[str, Any] = dict(fixed)
        for name in fit.params:
            params[name] = _prior(pm, family, label, name, summary, priors)
        names = list(params)
        for group, bounds, counts in groups:
            observed, extra = (
                (bounds[:, 0], [bounds[:, 1]]) if group == "interval" else (bounds, [])
            )
            if discrete:
                observed = np.rint(observed).astype(np.int64)
            rv = pm.CustomDist(
                group,
                *extra,
                *[params[n] for n in names],
                logp=_censored_logp(factory, names, group, step, (low, high)),
                observed=observed,
                dtype="int64" if discrete else "floatX",
            )
            _add_copies(pm, rv, observed, counts, name=f"copies_{group}")
        posterior = _draw(pm, model, sampling)
        pm.compute_log_likelihood(posterior, model=model, progressbar=False)
    outcome.seconds = time.perf_counter() - start
    _one_log_likelihood(posterior, [g for g, _, _ in groups])
    outcome.posterior = posterior
    loo = _psis_loo(posterior)
    counts = np.concatenate([c for _, _, c in groups])
    outcome.elpd = _pointwise_elpd(az, loo, counts)
    outcome.notes += _diagnose(az, posterior, loo)
    return outcome


def _one_log_likelihood(posterior: Any, groups: list[str]) -> None:
    """Join the groups' pointwise log-likelihoods into one variable ``y`` (in ``GROUPS`` order)."""
    import xarray as xr

    by_group = posterior["log_likelihood"].to_dataset()
    parts = [
        by_group[g].rename({f"{g}_dim_0": "obs"}).drop_vars("obs", errors="ignore") for g in groups
    ]
    joined = xr.concat(parts, dim="obs") if len(parts) > 1 else parts[0]
    posterior["log_likelihood"] = xr.DataTree(xr.Dataset({"y": joined}, attrs=by_group.attrs))


def _diagnose(az: Any, posterior: Any, loo: Any) -> list[str]:
    notes = []
    stats = posterior["sample_stats"]
    if "diverging" in stats:
        divergent = int(np.asarray(stats["diverging"]).sum())
        if divergent:
            notes.append(f"{divergent} divergent transitions")
    rhat = az.rhat(posterior)
    worst = max((float(np.nanmax(np.asarray(rhat[v]))) for v in rhat.data_vars), default=math.nan)
    if worst > 1.01:
        notes.append(f"R-hat up to {worst:.3f} (> 1.01): chains disagree; sample longer")
    k = np.asarray(loo.pareto_k)
    bad = int((k > loo.good_k).sum())
    if bad:
        notes.append(
            f"{bad} {'sampled observations' if hasattr(loo, 'subsample_size') else 'distinct values'} "
            f"with Pareto k > {loo.good_k:.2f}: LOO unreliable for them"
        )
    return notes


# ------------------------------------------------------------------ the comparison
@dataclass(frozen=True)
class BayesComparison:
    """The result of :func:`compare`.

    Attributes
    ----------
    table : pandas.DataFrame
        ArviZ's comparison (rank, elpd, se, p, elpd_diff, dse, p_worse, diag_diff, diag_elpd,
        weight; with subsampled LOO also subsampling_dse) beside ``elpd_<unit>`` (ELPD per
        observation), ``loo_cross_entropy_<unit>`` (its negative), the plug-in ``kl_<unit>``,
        ``aicc`` and ``aicc_rank`` of :func:`klmodels.compare`, ``subsampling_se`` (NaN for
        LOO over every value), the seconds spent sampling, and a ``note`` per row. The weights
        are stacking weights, or pseudo-BMA weights when LOO was subsampled (stacking needs
        every observation's pointwise ELPD): ``table.attrs["weights"]`` says which.
    posteriors : Mapping[str, xarray.DataTree]
        Each sampled family's posterior (with its log-likelihood group, unless LOO was
        subsampled).
    plugin : ComparisonTable
        The maximum-likelihood comparison of the same families on the same data.
    loo : Mapping[str, arviz_stats.ELPDData]
        Each family's LOO result over every observation, as :func:`arviz.compare` took it
        (an ``ELPDDataLOOSubsample`` when subsampled).
    """

    table: pd.DataFrame
    posteriors: Mapping[str, Any]
    plugin: Any
    loo: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def _repr_html_(self) -> str:
        return str(self.table.to_html())

    def __repr__(self) -> str:
        return f"<BayesComparison of {len(self.table)} families>\n{self.table!r}"


def compare(
    data: Any,
    families: Candidate | Iterable[Candidate] | Mapping[str, Candidate] | None = None,
    *,
    weights: Any = None,
    support: tuple[float, float | None] | None = None,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    n_obs: float | None = None,
    kind: str | None = None,
    truncation: tuple[float | None, float | None] | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int | None = None,
    priors: Mapping[str, Mapping[str, PriorSpec]] | None = None,
    nuts_sampler: str | None = None,
    loo_subsample: int | bool | None = None,
    base: float = 2.0,
    nan_policy: NanPolicy = "raise",
    registry: Mapping[str, Family] | None = None,
    progress: bool = False,
    options: FitOptions | None = None,
) -> BayesComparison:
    r"""Compare families by Bayesian leave-one-out cross-validation (PSIS-LOO), next to the plug-in view.

    Parameters
    ----------
    data, families, weights, support, fixed, n_obs, kind, nan_policy, registry
        As for :func:`klmodels.compare` (the same families are fitted by maximum likelihood first,
        which fixes the candidates, their fixed parameters and the plug-in columns).
    truncation
        Known truncation bounds ``(low, high)``, as for :func:`klmodels.compare`. Censored data
        (:func:`klmodels.censored` or a ``scipy.stats.CensoredData``) are compared with each
        observation's contribution to the likelihood (density, cdf, survival function or a
        difference of cdfs, renormalised inside the truncation bounds), written in PyTensor
        through ``pymc.logcdf``/``pymc.logccdf``; families PyMC has no log cdf for keep their
        row with the reason. Weights of censored data must be whole numbers (counts).
    draws, tune, chains
        NUTS draws kept and discarded per chain, and the number of chains.
    random_seed
        Seed for reproducible sampling.
    priors
        ``{family: {parameter: (PyMC distribution name, kwargs)}}`` replacing the defaults.
    nuts_sampler
        ``"pymc"`` or ``"nutpie"``; default: nutpie when it is installed (PyMC's choice).
    loo_subsample
        PSIS-LOO on a simple random sample of the observations (Magnusson et al. 2019; see
        :mod:`klmodels.subsample`), for data too large for the pointwise log-likelihood of every
        value at every draw. None (default): subsample 2,000 observations when that matrix would
        exceed 1 GiB (about 33,000 distinct values at 4,000 draws; whole numbers count their
        distinct values, so large counted data keep exact LOO); True: always; False: never;
        an integer: that many observations (with no more observations than that, every value).
        Every family uses the same subsample, so :func:`arviz.compare` differences them on it
        (``subsampling_dse``). As in ArviZ, ``se`` estimates the usual standard error of the
        ELPD (the spread of the pointwise values) and ``subsampling_se`` the error the
        subsample adds: the total is about :math:`\sqrt{se^2 + subsampling\_se^2}`
        (ArviZ's ``p_worse`` uses ``dse`` alone); ``p`` is estimated from the sample too. The
        subsampling SE is itself estimated from the sample, and understates the error when a
        few values dominate the differences and the sample misses them: a larger subsample is
        the remedy. Subsampled posteriors carry no
        ``log_likelihood`` group, and their flagged values are not refitted. The saturated
        ``empirical`` model, families with nothing to estimate and censored data keep LOO
        over every value.
    base
        Logarithm base of the per-observation columns: 2 (bits, default).
    progress
        Show PyMC's progress bars.
    options
        A :class:`~klmodels.FitOptions` for the plug-in fits (as for :func:`klmodels.compare`);
        keywords given beside it override its fields.

    Returns
    -------
    BayesComparison
        ``.table`` (best first by ELPD), ``.posteriors`` and ``.plugin``.

    Raises
    ------
    MissingExtraError
        Without ``klmodels[bayes]``.
    NotInMemoryError
        For Dask data that stay on the cluster: more than 50,000 values that are not whole
        numbers (smaller data, and whole numbers as their value counts, come into memory).
    ParameterError
        For relative frequencies without ``n_obs`` (LOO is per observation), or a
        ``loo_subsample`` that is neither None, a bool nor a whole number of at least 2.
    """
    opts = FitOptions.of(
        options, support=support, fixed=fixed or {}, kind=kind, base=base,
        nan_policy=nan_policy, registry=registry,
    )  # fmt: skip
    base = opts.base
    whole = isinstance(loo_subsample, (int, np.integer)) and not isinstance(loo_subsample, bool)
    if not (
        loo_subsample is None or isinstance(loo_subsample, bool) or (whole and loo_subsample >= 2)
    ):
        raise ParameterError(
            f"loo_subsample={loo_subsample!r}: give None (automatic), True, False or a number "
            "of observations of at least 2"
        )
    censored_data = as_censored(
        data, weights, truncation, n_obs=n_obs, support=support, nan_policy=opts.nan_policy
    )
    obs: Observations | CensoredObservations
    if censored_data is not None:
        obs = censored_data
    else:
        exact = Observations.from_data(data, weights, n_obs=n_obs, nan_policy=opts.nan_policy)
        if not exact.in_memory:
            raise NotInMemoryError(
                f"Bayesian comparison evaluates the likelihood of every observation at every draw, "
                f"but these {exact.size:,} values stay on the Dask cluster. Compare a sample in "
                "memory, e.g. bayes.compare(series.sample(frac=0.01).compute(), ...), or use "
                "klm.compare (plug-in KL and AICc) on all of them"
            )
        obs = exact
    if obs.n_obs is None:
        raise ParameterError(
            "Bayesian LOO is per observation: pass n_obs= with relative-frequency weights"
        )
    _, az = _imports()
    log_base = as_log_base(base)
    unit = unit_name(base)
    plugin = plugin_compare(obs, families, options=opts.replace(criterion="aicc"))
    sampling: dict[str, Any] = {"draws": draws, "tune": tune, "chains": chains, "random_seed": random_seed,
                "cores": 1, "progressbar": progress, "compute_convergence_checks": False}  # fmt: skip
    if nuts_sampler is not None:
        sampling["nuts_sampler"] = nuts_sampler
    plan = _LooPlan(
        loo_subsample,
        seed=random_seed
        if random_seed is not None
        else int(np.random.default_rng().integers(2**31)),
    )
    priors = dict(priors or {})
    outcomes: dict[str, _Outcome] = {}
    with _quiet_pymc(progress):
        for label in plugin.index:
            fit = plugin.fits.get(label)
            if fit is None:
                outcomes[label] = _Outcome(
                    notes=["not sampled: the maximum-likelihood fit failed (see plugin)"]
                )
                continue
            if fit.k == 0:
                outcomes[label] = _Outcome(
                    notes=["nothing to estimate: exact log-likelihood, no sampling"]
                )
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    if isinstance(obs, CensoredObservations):
                        outcomes[label] = _sample_censored(label, fit, obs, priors, sampling)
                    else:
                        outcomes[label] = _sample_family(label, fit, obs, priors, sampling, plan)
                except ParameterError:
                    raise  # a mistake in the call (e.g. priors=), not a property of the family
                except (FitError, ValueError, RuntimeError, NotImplementedError) as exc:
                    outcomes[label] = _Outcome(notes=[f"sampling failed: {exc}"])
            refitted = any(
                _REFITS_DONE in note or _KFOLD_DONE in note for note in outcomes[label].notes
            )
            outcomes[label].notes += sorted(
                {
                    f"warning: {w.message}"
                    for w in caught
                    if not (refitted and "Pareto" in str(w.message))  # remedied by the refits
                }
            )

    # exact ELPD for models with nothing to estimate
    for label, outcome in outcomes.items():
        fit = plugin.fits.get(label)
        if fit is not None and fit.k == 0:
            counts = None
            if isinstance(obs, CensoredObservations):
                every = np.concatenate([np.asarray(obs.weights[g], dtype=float) for g in GROUPS])
                pointwise = np.repeat(fit.contributions(), _whole_counts(every))
                outcome.elpd = _exact_elpd(pointwise)
                continue
            if fit.kind == "discrete":
                _, prob = obs.distinct()
                counts = np.rint(prob * obs.n_obs).astype(np.int64)
            elif obs.weights is not None:
                counts = np.rint(obs.probabilities * obs.n_obs).astype(np.int64)
            loglik, _ = fit.pointwise()
            pointwise = np.repeat(loglik, counts) if counts is not None else loglik
            outcome.elpd = _exact_elpd(pointwise)

    compared = {label: o.elpd for label, o in outcomes.items() if o.elpd is not None}
    weighting = "stacking"
    table = pd.DataFrame(index=pd.Index(list(plugin.index), name="family"))
    if len(compared) >= 2:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # stacking needs every observation's elpd_i; on a subsample its weights are noisy
            # (0.45-0.94 for a model that takes 1.0 on all 20,000 values): pseudo-BMA instead
            if any(hasattr(e, "loo_subsample_observations") for e in compared.values()):
                weighting = "pseudo-bma"
            arviz_table = az.compare(compared, method=weighting, round_to="none")
        table = arviz_table.reindex(table.index)
        shared_notes = sorted({str(w.message) for w in caught})
    elif compared:
        label, elpd = next(iter(compared.items()))
        table.loc[label, ["rank", "elpd", "se", "p", "elpd_diff", "dse", "weight"]] = [
            0,
            elpd.elpd,
            elpd.se,
            elpd.p,
            0.0,
            0.0,
            1.0,
        ]
        shared_notes = []
    else:
        raise FitError(
            "no family could be sampled: "
            + "; ".join(f"{k}: {' '.join(v.notes)}" for k, v in outcomes.items())
        )
    n = obs.n_obs
    table[f"elpd_{unit}"] = table["elpd"] / n / log_base
    table[f"loo_cross_entropy_{unit}"] = -table[f"elpd_{unit}"]
    # censored data have no plug-in KL (exact and censored values are not on one scale)
    table[f"plugin_kl_{unit}"] = plugin.get(f"kl_{unit}", np.nan)
    table["plugin_aicc"] = plugin["aicc"]
    table["plugin_aicc_rank"] = plugin["aicc"].rank(method="min").astype("Int64")
    table["subsampling_se"] = pd.Series(
        {k: getattr(o.elpd, "subsampling_se", np.nan) for k, o in outcomes.items()}
    )
    table["sampling_s"] = pd.Series({k: o.seconds for k, o in outcomes.items()})
    table["note"] = (
        pd.Series({k: "; ".join(o.notes) for k, o in outcomes.items()})
        .reindex(table.index)
        .fillna("")
    )
    table = table.sort_values("elpd", ascending=False, na_position="last")
    table.attrs = {
        "n_obs": n,
        "base": base,
        "arviz_warnings": shared_notes,
        "draws": draws,
        "chains": chains,
        "weights": weighting,
    }
    posteriors = {k: o.posterior for k, o in outcomes.items() if o.posterior is not None}
    return BayesComparison(table, posteriors, plugin, compared)
