r"""Entropy and KL divergence for data and models, on top of :mod:`klmodels.information`.

The public :func:`entropy` and :func:`kl_divergence` accept, besides plain distributions
(weights per outcome, handled by :mod:`klmodels.information`):

- :class:`~klmodels.Observations`: the empirical distribution of observed data,
- a :class:`~klmodels.Fit` or a frozen ``scipy.stats`` distribution: a model.

So ``kl_divergence(Observations.from_data(x), fit)`` is the information lost when the model
describes the data, :math:`D(\hat p \| q)`, the quantity ``compare`` ranks by, and
``kl_divergence(fit_a, fit_b)`` the information lost when one model stands in for another.

Between two models, :func:`model_kl` uses, in this order:

1. a **closed form** for the pairs that have one (normal, lognormal, exponential, gamma, beta,
   uniform, Laplace; Poisson, binomial, Bernoulli, geometric), with scipy's parameterisation;
2. **numerical integration** of :math:`\int_0^1 [\ln p(F_p^{-1}(u)) - \ln q(F_p^{-1}(u))]\,du`
   (adaptive Gauss-Kronrod on the probability scale of p), or of :math:`\int p \ln(p/q)\,dx`
   on the value scale when that fails (heavy tails), for continuous models; the **sum** over
   p's support (up to a tail mass of 1e-17) for discrete ones;
3. **Monte Carlo**, :math:`\frac1N \sum_j [\ln p(X_j) - \ln q(X_j)]` with :math:`X_j \sim p`,
   with its standard error, when integration does not converge. An estimate whose standard
   error is 10% of its value or more is not returned: the divergence is then probably
   infinite (a heavy-tailed p against a light-tailed q), and a ConvergenceError says so.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import integrate, special, stats

from klmodels import information
from klmodels.checks import check_frozen_model, check_rng, check_whole
from klmodels.data import Observations
from klmodels.errors import ConvergenceError, DataError, ParameterError
from klmodels.family import FrozenModel
from klmodels.fitting import Fit, data_entropy, fit_observations

__all__ = ["ModelKL", "entropy", "kl_divergence", "model_kl"]


def _is_model(x: Any) -> bool:
    return isinstance(x, Fit) or (hasattr(x, "dist") and hasattr(x, "args") and hasattr(x, "kwds"))


def _empirical_series(obs: Observations) -> pd.Series:
    values, prob = obs.distinct()
    return pd.Series(prob, index=values)


def entropy(p: Any, *, base: float = 2.0) -> float:
    r"""Shannon entropy of a distribution, or of observed discrete data.

    .. math:: H(p) = -\sum_x p(x) \log_b p(x)

    Parameters
    ----------
    p
        Weights per outcome (array-like, mapping or Series, normalised),
        :class:`~klmodels.Observations` for the entropy of the data (plug-in for whole
        numbers; for continuous data the differential entropy, estimated through the closest
        of a few reference models, see :func:`klmodels.fitting.data_entropy`), or a model (a
        Fit or frozen scipy distribution: its entropy, differential for a density, from scipy).
    base
        Logarithm base: 2 (default) gives bits, ``math.e`` nats.

    Returns
    -------
    float
        Entropy in units of ``base``.

    Examples
    --------
    >>> round(entropy([0.02, 0.03, 0.05, 0.14, 0.16, 0.15, 0.12, 0.08, 0.10, 0.08, 0.07]), 3)
    3.262
    """
    if _is_model(p):
        model = check_frozen_model(p.freeze() if isinstance(p, Fit) else p, "p")
        return float(model.entropy()) / information.as_log_base(base)
    if isinstance(p, Observations):
        log_base = information.as_log_base(base)
        if p.integer_valued:
            return p.plugin_entropy_nats() / log_base
        estimate = data_entropy(p)
        if math.isnan(estimate.value):
            raise DataError(f"no entropy estimate for these data: {estimate.note}")
        return estimate.value / log_base
    return information.pmf_entropy(p, base=base)


class _NoClosedForm(Exception):  # noqa: N818  (control flow, never escapes this module)
    """No closed form for this pair of models here: integrate or sum instead."""


class _NumericalFailed(Exception):  # noqa: N818  (control flow, never escapes this module)
    """Integration or summation did not reach its accuracy: fall back to Monte Carlo."""


@dataclass(frozen=True)
class _Parts:
    """A frozen scipy distribution taken apart: its name, shape parameters, loc and scale."""

    name: str
    shapes: tuple[float, ...]
    loc: float
    scale: float


def _parts(model: Any) -> _Parts:
    shapes, loc, scale = model.dist._parse_args(*model.args, **model.kwds)
    return _Parts(model.dist.name, tuple(float(s) for s in shapes), float(loc), float(scale))


def _kl_norm(p: _Parts, q: _Parts) -> float:
    r""":math:`\ln(\sigma_q/\sigma_p) + (\sigma_p^2 + (\mu_p - \mu_q)^2) / (2\sigma_q^2) - 1/2`."""
    return (
        math.log(q.scale / p.scale) + (p.scale**2 + (p.loc - q.loc) ** 2) / (2 * q.scale**2) - 0.5
    )


def _kl_lognorm(p: _Parts, q: _Parts) -> float:
    """The normal closed form on the log scale (ln X is normal: mean ln(scale), sd s); same loc only."""
    if p.loc != q.loc:
        raise _NoClosedForm
    return _kl_norm(
        _Parts("norm", (), math.log(p.scale), p.shapes[0]),
        _Parts("norm", (), math.log(q.scale), q.shapes[0]),
    )


def _kl_expon(p: _Parts, q: _Parts) -> float:
    if q.loc > p.loc:
        return math.inf
    return math.log(q.scale / p.scale) + (p.scale + p.loc - q.loc) / q.scale - 1


def _kl_gamma(p: _Parts, q: _Parts) -> float:
    if p.loc != q.loc:
        raise _NoClosedForm
    (a,), (b,) = p.shapes, q.shapes
    return (
        (a - b) * special.digamma(a) - special.gammaln(a) + special.gammaln(b)
        + b * (math.log(q.scale) - math.log(p.scale)) + a * (p.scale - q.scale) / q.scale
    )  # fmt: skip


def _kl_beta(p: _Parts, q: _Parts) -> float:
    if (p.loc, p.scale) != (q.loc, q.scale):
        raise _NoClosedForm
    (a1, b1), (a2, b2) = p.shapes, q.shapes
    return (
        special.betaln(a2, b2) - special.betaln(a1, b1) + (a1 - a2) * special.digamma(a1)
        + (b1 - b2) * special.digamma(b1) + (a2 - a1 + b2 - b1) * special.digamma(a1 + b1)
    )  # fmt: skip


def _kl_uniform(p: _Parts, q: _Parts) -> float:
    if p.loc < q.loc or p.loc + p.scale > q.loc + q.scale:
        return math.inf
    return math.log(q.scale / p.scale)


def _kl_laplace(p: _Parts, q: _Parts) -> float:
    gap = abs(p.loc - q.loc)
    return (
        math.log(q.scale / p.scale)
        + gap / q.scale
        + (p.scale / q.scale) * math.exp(-gap / p.scale)
        - 1
    )


def _kl_poisson(p: _Parts, q: _Parts) -> float:
    if p.loc != q.loc:
        raise _NoClosedForm
    (mu1,), (mu2,) = p.shapes, q.shapes
    if mu1 == 0:
        return mu2
    return mu1 * math.log(mu1 / mu2) + mu2 - mu1 if mu2 > 0 else math.inf


def _bernoulli_nats(p1: float, p2: float, trials: float = 1.0) -> float:
    return trials * float(
        special.xlogy(p1, p1)
        - special.xlogy(p1, p2)
        + special.xlogy(1 - p1, 1 - p1)
        - special.xlogy(1 - p1, 1 - p2)
    )


def _kl_binom(p: _Parts, q: _Parts) -> float:
    (n1, p1), (n2, p2) = p.shapes, q.shapes
    if p.loc != q.loc or n1 != n2:
        raise _NoClosedForm
    return _bernoulli_nats(p1, p2, n1)


def _kl_bernoulli(p: _Parts, q: _Parts) -> float:
    if p.loc != q.loc:
        raise _NoClosedForm
    return _bernoulli_nats(p.shapes[0], q.shapes[0])


def _kl_geom(p: _Parts, q: _Parts) -> float:
    if p.loc != q.loc:
        raise _NoClosedForm
    (p1,), (p2,) = p.shapes, q.shapes
    return (
        math.log(p1 / p2) + (1 - p1) / p1 * (math.log1p(-p1) - math.log1p(-p2))
        if p1 < 1
        else -math.log(p2)
    )


_CLOSED_FORMS: dict[str, Callable[[_Parts, _Parts], float]] = {
    "norm": _kl_norm, "lognorm": _kl_lognorm, "expon": _kl_expon, "gamma": _kl_gamma, "beta": _kl_beta,
    "uniform": _kl_uniform, "laplace": _kl_laplace, "poisson": _kl_poisson, "binom": _kl_binom,
    "bernoulli": _kl_bernoulli, "geom": _kl_geom,
}  # fmt: skip


@dataclass(frozen=True)
class ModelKL:
    """The KL divergence D(p‖q) between two models, with how it was computed.

    Attributes
    ----------
    value : float
        D(p‖q) in units of ``base``.
    se : float
        Monte Carlo standard error (0 for closed forms, an integration error bound otherwise).
    method : str
        ``"closed form"``, ``"numerical"`` or ``"monte carlo"``.
    base : float
        The logarithm base.
    """

    value: float
    se: float
    method: str
    base: float


def _closed_form(p: Any, q: Any) -> float:
    parts_p, parts_q = _parts(p), _parts(q)
    if parts_p.name != parts_q.name or parts_p.name not in _CLOSED_FORMS:
        raise _NoClosedForm
    return float(_CLOSED_FORMS[parts_p.name](parts_p, parts_q))


def _numerical(p: Any, q: Any, discrete: bool) -> tuple[float, float]:
    """D(p‖q) in nats by integration (continuous) or summation (discrete), and an error bound."""
    if discrete:
        low, high = (float(b) for b in p.support())
        if not math.isfinite(low):
            low = float(p.ppf(1e-17))
        if not math.isfinite(high):  # double until the tail beyond holds less than 1e-17
            high = low + 64.0
            while p.sf(high) > 1e-17 and high - low <= 10_000_000:
                high = low + 2 * (high - low)
        if not (math.isfinite(low) and math.isfinite(high)) or high - low > 10_000_000:
            raise _NumericalFailed
        k = np.arange(low, high + 1)
        lp, lq = p.logpmf(k), q.logpmf(k)
        mass = np.exp(lp)
        inside = mass > 0
        if np.any(np.isneginf(lq[inside])):
            return math.inf, 0.0
        return float(np.sum(mass[inside] * (lp[inside] - lq[inside]))), 1e-15
    q_low, q_high = q.support()
    p_low, p_high = p.support()
    if q_low > p_low or q_high < p_high:
        return math.inf, 0.0

    def on_probability_scale(u: float) -> float:
        x = p.ppf(u)
        return float(p.logpdf(x) - q.logpdf(x))

    def on_value_scale(x: float) -> float:
        log_p = p.logpdf(x)
        return float(math.exp(log_p) * (log_p - q.logpdf(x))) if math.isfinite(log_p) else 0.0

    # The probability scale suits most pairs; heavy tails of p (t, Cauchy) converge on the value scale.
    for integrand, low, high in ((on_probability_scale, 0.0, 1.0), (on_value_scale, p_low, p_high)):
        with warnings.catch_warnings():
            warnings.simplefilter("error", integrate.IntegrationWarning)
            try:
                with np.errstate(all="ignore"):
                    value, error = integrate.quad(
                        integrand, low, high, limit=400, epsabs=1e-13, epsrel=1e-12
                    )
            except integrate.IntegrationWarning:
                continue
        if math.isfinite(value) and error <= 1e-7 * max(1.0, abs(value)):
            return value, error
    raise _NumericalFailed


def _monte_carlo(p: Any, q: Any, discrete: bool, rng: Any, n_samples: int) -> tuple[float, float]:
    x = p.rvs(size=n_samples, random_state=np.random.default_rng(rng))
    with np.errstate(all="ignore"):
        d = (p.logpmf(x) - q.logpmf(x)) if discrete else (p.logpdf(x) - q.logpdf(x))
    if np.any(np.isposinf(d)):
        return math.inf, 0.0
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(n_samples))


def model_kl(
    p: Any,
    q: Any,
    *,
    base: float = 2.0,
    method: str = "auto",
    rng: np.random.Generator | int | None = None,
    n_samples: int = 200_000,
) -> ModelKL:
    r"""KL divergence D(p‖q) between two models (Fits or frozen scipy distributions).

    Parameters
    ----------
    p, q
        The reference and the approximating model, both discrete or both continuous.
    base
        Logarithm base: 2 (default) gives bits.
    method
        ``"auto"`` (closed form, else numerical, else Monte Carlo), or one of
        ``"closed form"``, ``"numerical"``, ``"monte carlo"`` to insist on it.
    rng
        Generator or seed for Monte Carlo.
    n_samples
        Monte Carlo sample size.

    Returns
    -------
    ModelKL
        The value in units of ``base``, its standard error (Monte Carlo) or error bound, and
        the method used. ``inf`` when q gives zero density where p has mass.

    Raises
    ------
    ParameterError
        For a discrete model against a continuous one, an unknown method, or a closed form
        asked for a pair that has none.
    ConvergenceError
        When neither integration nor Monte Carlo settles (the divergence is probably infinite).
    """
    log_base = information.as_log_base(base)
    p_model = check_frozen_model(p.freeze() if isinstance(p, Fit) else p, "p")
    q_model = check_frozen_model(q.freeze() if isinstance(q, Fit) else q, "q")
    n_samples = check_whole(n_samples, "n_samples", low=100, high=100_000_000)
    rng = check_rng(rng)
    discrete = isinstance(p_model.dist, stats.rv_discrete)
    if discrete != isinstance(q_model.dist, stats.rv_discrete):
        raise ParameterError(
            "KL between a discrete and a continuous model is undefined (a pmf and a density)"
        )
    methods = ("auto", "closed form", "numerical", "monte carlo")
    if method not in methods:
        raise ParameterError(f"method must be one of {', '.join(methods)}; got {method!r}")
    if method in ("auto", "closed form"):
        try:
            return ModelKL(_closed_form(p_model, q_model) / log_base, 0.0, "closed form", base)
        except _NoClosedForm:
            if method == "closed form":
                raise ParameterError(
                    f"no closed form for {p_model.dist.name} against {q_model.dist.name} with these locations; "
                    f"closed forms exist for same-family pairs of {', '.join(_CLOSED_FORMS)}"
                ) from None
    if method in ("auto", "numerical"):
        try:
            value, error = _numerical(p_model, q_model, discrete)
            return ModelKL(value / log_base, error / log_base, "numerical", base)
        except _NumericalFailed:
            if method == "numerical":
                raise ParameterError(
                    "numerical integration did not converge; use method='monte carlo'"
                ) from None
    value, se = _monte_carlo(p_model, q_model, discrete, rng, n_samples)
    if math.isfinite(value) and se >= 0.1 * max(abs(value), 1e-12):
        tried = "numerical integration failed and " if method == "auto" else ""
        raise ConvergenceError(
            f"D({p_model.dist.name} || {q_model.dist.name}) did not settle: {tried}Monte Carlo with "
            f"n_samples={n_samples:,} gives {value / log_base:.4g} with a standard error of "
            f"{se / log_base:.4g} (10% or more of the value). Increase n_samples; if the standard error "
            "does not shrink, the divergence is probably infinite (p has heavier tails than q)."
        )
    return ModelKL(value / log_base, se / log_base, "monte carlo", base)


def kl_divergence(p: Any, q: Any, *, base: float = 2.0) -> float:
    r"""Kullback-Leibler divergence D(p‖q), the information lost when q approximates p.

    .. math:: D(p \| q) = \sum_x p(x) \log_b \frac{p(x)}{q(x)}
        \quad\text{or}\quad \int p(x) \log_b \frac{p(x)}{q(x)}\,dx

    Parameters
    ----------
    p
        The reference: weights per outcome (array-like, mapping, Series),
        :class:`~klmodels.Observations` (the empirical distribution of the data), or a model
        (a :class:`~klmodels.Fit` or a frozen scipy distribution).
    q
        The approximation: weights per outcome, :class:`~klmodels.Observations`, a Fit, or a
        frozen scipy distribution.
    base
        Logarithm base: 2 (default) gives bits, ``math.e`` nats.

    Returns
    -------
    float
        The divergence in units of ``base``; ``inf`` when q gives zero probability to an
        outcome that p gives positive probability.

    Notes
    -----
    Two plain distributions are handled by :func:`klmodels.information.pmf_kl_divergence`
    (Series aligned on their index). Observations against observations compare the two
    empirical distributions, aligned on the observed values. Two models go through
    :func:`model_kl` (closed form, numerical, or Monte Carlo; use it to see the method and
    the standard error).

    Examples
    --------
    >>> round(kl_divergence([0.5, 0.5], [0.9, 0.1]), 4)
    0.737
    """
    log_base = information.as_log_base(base)
    if _is_model(p) and _is_model(q):
        return model_kl(p, q, base=base).value
    if isinstance(p, Observations):
        if isinstance(q, Observations):
            if not (p.integer_valued and q.integer_valued):
                raise ParameterError(
                    "KL between two samples of continuous data needs density estimates; compare "
                    "each sample with a fitted model instead"
                )
            return information.pmf_kl_divergence(
                _empirical_series(p), _empirical_series(q), base=base
            )
        if _is_model(q):
            model = FrozenModel(q.freeze() if isinstance(q, Fit) else q)
            return fit_observations(p, model, None, {}).kl_nats / log_base
        raise ParameterError(
            "with Observations as p, q must be Observations, a Fit or a frozen scipy distribution; "
            f"got {type(q).__name__}"
        )
    if _is_model(p) or _is_model(q) or isinstance(q, Observations):
        raise ParameterError(
            "kl_divergence takes two distributions (weights per outcome), two models, or "
            "Observations and a model; got "
            f"{type(p).__name__} and {type(q).__name__}"
        )
    return information.pmf_kl_divergence(p, q, base=base)
