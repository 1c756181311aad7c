r"""Fit one family to data by maximum likelihood, which is minimum KL divergence from the data.

For data with empirical distribution :math:`\hat p` and a model :math:`q_\theta`,

.. math::

    \frac{1}{n} \ell(\theta) = \sum_x \hat p(x) \ln q_\theta(x) = -H(\hat p, q_\theta)
    = -H(\hat p) - D(\hat p \| q_\theta),

so the parameters that maximise the log-likelihood :math:`\ell` are those that minimise the
cross-entropy :math:`H(\hat p, q_\theta)` and the information loss
:math:`D(\hat p \| q_\theta)`; :math:`H(\hat p)` does not depend on the model.
:func:`fit` returns a :class:`Fit` that holds all three on one scale.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from klmodels import statistics
from klmodels.data import NanPolicy, Observations
from klmodels.entropy_estimators import EntropyEstimate, differential_entropy, pit_kl_nats
from klmodels.errors import DataError, FitError, KLModelsError, NotInMemoryError, ParameterError
from klmodels.family import Candidate, Family, check_registry, default_registry, resolve
from klmodels.family.base import HeldParameters, Support
from klmodels.frozen import FrozenMapping, kept_as_is, plain
from klmodels.optimize import small_blas
from klmodels.protocols import ObservationsLike
from klmodels.statistics import WeightedSample

__all__ = [
    "NO_N_OBS_NOTE",
    "Estimated",
    "Fit",
    "data_entropy",
    "estimate",
    "finish",
    "fit",
    "fit_observations",
    "shared_entropy",
    "validate_support",
    "with_kl_se",
]

_LN2 = math.log(2.0)
NO_N_OBS_NOTE = (
    "weights are relative frequencies: pass n_obs= for loglik, AIC, AICc, BIC, standard errors "
    "and Vuong's test"
)


def _format_params(params: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:.6g}" for k, v in params.items())


def merged(fixed: Mapping[str, float], params: Mapping[str, float]) -> Mapping[str, float]:
    """``{**fixed, **params}``; an immutable table of shares alone is returned as it is."""
    if not fixed and kept_as_is(params):
        return params
    return {**fixed, **plain(params)}


@dataclass(frozen=True, repr=False, eq=False)
class Fit:
    r"""A fitted model and how much information it loses about the data (immutable).

    Attributes
    ----------
    family : Family
        The family that was fitted.
    params : Mapping[str, float]
        The estimated parameters (maximum likelihood).
    fixed : Mapping[str, float]
        The parameters held fixed (given by the user or implied by ``support``), without
        the family's defaults such as ``loc = 0`` unless they were changed.
    k : int
        Number of estimated parameters.
    n_obs : float or None
        Number of observations; None when the data were relative frequencies without ``n_obs``.
    mean_loglik_nats : float
        :math:`\sum_x \hat p(x) \ln q(x)`, the log-likelihood per observation, in nats.
    data_entropy_nats : float
        :math:`H(\hat p)` for discrete data (plug-in). NaN when not available.
    kl_nats : float
        :math:`D(\hat p \| q)` in nats per observation; ``inf`` when the model gives zero
        probability to an observed value.
    observations : ObservationsLike
        The data the model was fitted to.
    note : str
        Anything the numbers alone do not say (e.g. "pass n_obs= for AIC").
    kl_se_nats : float
        Standard error of ``kl_nats`` as an estimate of the fitted model's KL divergence from the
        distribution the data came from (nats): for continuous data the entropy estimate's, for
        discrete data the delta method's :math:`\mathrm{sd}(\ln \hat p - \ln q)/\sqrt n`. NaN
        when not available.
    """

    family: Family
    params: Mapping[str, float]
    fixed: Mapping[str, float]
    k: int
    n_obs: float | None
    mean_loglik_nats: float
    data_entropy_nats: float
    kl_nats: float
    observations: ObservationsLike
    note: str = ""
    kl_se_nats: float = math.nan
    frame: tuple[float, float] = (0.0, 1.0)
    """``(shift, scale)`` of the standardised coordinates the fit was made (and is evaluated) in."""

    # -------------------------------------------------------------- identity
    @property
    def name(self) -> str:
        """The family's name."""
        return self.family.name

    @property
    def kind(self) -> str:
        """``"discrete"`` or ``"continuous"``."""
        return self.family.kind

    @property
    def all_params(self) -> Mapping[str, float]:
        """Every parameter needed to evaluate the model: fixed (including defaults) and estimated.

        A new dict on every call (changing it does not change the fit); for a model whose
        only parameters are an immutable table (the empirical model's shares), that table.
        """
        return merged({**self.family.default_fixed, **plain(self.fixed)}, self.params)

    def freeze(self) -> Any:
        """The fitted model as a frozen ``scipy.stats`` distribution."""
        return self.family.freeze(self.all_params)

    def logpdf(self, x: Any) -> np.ndarray:
        """Log pmf (discrete) or log pdf (continuous) of the fitted model at ``x``, in nats.

        Evaluated in the standardised coordinates the fit was made in (exactly equivalent, and
        free of overflow for data near 1e300 or 1e-300).
        """
        return framed_logpdf(self.family, self.all_params, self.frame, x)

    def logcdf(self, x: Any) -> np.ndarray:
        """Log cumulative distribution function of the fitted model at ``x``."""
        z, params = _to_frame(self.family, self.all_params, self.frame, x)
        return self.family.logcdf(z, params)

    def logsf(self, x: Any) -> np.ndarray:
        """Log survival function (1 - cdf, without cancellation) of the fitted model at ``x``."""
        z, params = _to_frame(self.family, self.all_params, self.frame, x)
        return self.family.logsf(z, params)

    # -------------------------------------------------------------- information, in bits
    @property
    def cross_entropy_bits(self) -> float:
        r""":math:`H(\hat p, q) = -\sum_x \hat p(x) \log_2 q(x)`, bits per observation."""
        return -self.mean_loglik_nats / _LN2

    @property
    def kl_bits(self) -> float:
        r""":math:`D(\hat p \| q)`, the information lost per observation, in bits."""
        return self.kl_nats / _LN2

    @property
    def kl_se_bits(self) -> float:
        """Standard error of :attr:`kl_bits`, bits per observation (see ``kl_se_nats``)."""
        return self.kl_se_nats / _LN2

    @property
    def data_entropy_bits(self) -> float:
        r""":math:`H(\hat p)`, the data's entropy, in bits."""
        return self.data_entropy_nats / _LN2

    def kl(self, base: float = 2.0) -> float:
        r""":math:`D(\hat p \| q)` per observation in units of ``base`` (2: bits, e: nats)."""
        from klmodels.information import as_log_base

        return self.kl_nats / as_log_base(base)

    # -------------------------------------------------------------- likelihood criteria
    @property
    def loglik(self) -> float:
        r"""Total log-likelihood :math:`\ell = n \sum_x \hat p(x) \ln q(x)` in nats; NaN without n_obs."""
        return math.nan if self.n_obs is None else self.n_obs * self.mean_loglik_nats

    @property
    def aic(self) -> float:
        r"""Akaike's criterion :math:`\mathrm{AIC} = 2k - 2\ell`; NaN without n_obs."""
        return 2 * self.k - 2 * self.loglik

    @property
    def aicc(self) -> float:
        r""":math:`\mathrm{AICc} = \mathrm{AIC} + \frac{2k(k+1)}{n-k-1}`; NaN when n <= k + 1 or n unknown."""
        if self.n_obs is None:
            return math.nan
        if self.k == 0:
            return self.aic
        if self.n_obs - self.k - 1 <= 0:
            return math.nan
        return self.aic + 2 * self.k * (self.k + 1) / (self.n_obs - self.k - 1)

    @property
    def bic(self) -> float:
        r"""Schwarz's criterion :math:`\mathrm{BIC} = k \ln n - 2\ell`; NaN without n_obs."""
        if self.n_obs is None:
            return math.nan
        return self.k * math.log(self.n_obs) - 2 * self.loglik

    # -------------------------------------------------------------- per observation
    def pointwise_loglik(self) -> tuple[np.ndarray, np.ndarray]:
        """Log-likelihood of each stored value (nats) and the value's probability under the data.

        Returns
        -------
        loglik, weight
            ``loglik[i] = ln q(values[i])`` and ``weight[i]`` the share of observations at
            ``values[i]``; the total log-likelihood is ``n_obs * (weight @ loglik)``.
        """
        loglik, sample = self.pointwise()
        return loglik, sample.w if sample.w is not None else self.observations.probabilities

    def pointwise(self) -> tuple[np.ndarray, WeightedSample]:
        """Log-likelihood of each stored value (nats), and the values with their weights.

        Like :meth:`pointwise_loglik`, without building an array of equal weights for raw data.
        """
        if not self.observations.in_memory:
            raise NotInMemoryError(
                f"Fit.pointwise() returns one value per observation, but the "
                f"{self.observations.size:,} values stay on the Dask cluster; the fit's loglik, KL and the comparison "
                "table's dkl_se and vuong_p are computed there"
            )
        sample = self.observations.sample_for(self.kind)
        values = sample.x
        params = self.all_params
        out = np.empty(values.size)
        chunk = statistics.CHUNK  # one output array; the log density's temporaries stay chunk-sized
        for start in range(0, values.size, chunk):
            out[start : start + chunk] = framed_logpdf(
                self.family, params, self.frame, values[start : start + chunk]
            )
        return out, sample

    def _repr_html_(self) -> str:
        from klmodels.display import fit_html

        return fit_html(self)

    def __repr__(self) -> str:
        n = "unknown" if self.n_obs is None else f"{self.n_obs:g}"
        fixed = f"; fixed {_format_params(self.fixed)}" if self.fixed else ""
        note = f"; note: {self.note}" if self.note else ""
        shown = dict(itertools.islice(self.params.items(), 6))
        more = f", ... ({len(self.params) - 6} more)" if len(self.params) > 6 else ""
        return (
            f"<Fit {self.name}: {_format_params(shown)}{more}{fixed}; k={self.k}, n_obs={n}, "
            f"loglik={self.loglik:.6g} nats, KL={self.kl_bits:.6g} bits{note}>"
        )


def params_in_frame(params: Mapping[str, float], frame: tuple[float, float]) -> dict[str, float]:
    """Parameters in standardised coordinates ``z = (x - shift) / scale``."""
    shift, scale = frame
    out = dict(params)
    if "loc" in out:
        out["loc"] = (out["loc"] - shift) / scale
    if "scale" in out:
        out["scale"] = out["scale"] / scale
    return out


def _to_frame(
    family: Family, params: Mapping[str, float], frame: tuple[float, float], x: Any
) -> tuple[np.ndarray, Mapping[str, float]]:
    x = np.asarray(x, dtype=np.float64)
    if frame == (0.0, 1.0):
        return x, merged({}, params)
    shift, scale = frame
    return (x - shift) / scale, params_in_frame(params, frame)


def framed_logpdf(
    family: Family, params: Mapping[str, float], frame: tuple[float, float], x: Any
) -> np.ndarray:
    r"""Log density at ``x`` computed in the frame ``z = (x - shift) / scale``: :math:`\ln q_z(z) - \ln s`."""
    z, inner = _to_frame(family, params, frame, x)
    out = family.logpdf(z, inner)
    return out if frame[1] == 1.0 else out - math.log(frame[1])


def _mean_loglik(
    family: Family, params: Mapping[str, float], sample: WeightedSample
) -> tuple[float, float, float]:
    """Mean log-likelihood (nats), with the share of observations the model rules out and one of them.

    The mean is over the observations the model gives a positive density; the share is their
    complement (by weight). One pass when the mean is finite (the usual case); a second one
    sorts out -inf from NaN otherwise, and a third finds an example of an impossible value.

    Raises
    ------
    FitError
        If the log density is NaN anywhere (parameters invalid for the family).
    """
    known = statistics.known_mean(sample, params)
    if known is not None:  # the estimator's last step computed it already
        return known, 0.0, math.nan
    with np.errstate(invalid="ignore"):
        mean = sample.average(lambda x: family.logpdf(x, params))
    if math.isfinite(mean):
        return mean, 0.0, math.nan

    def terms(x: np.ndarray) -> dict[str, np.ndarray]:
        logq = family.logpdf(x, params)
        impossible = np.isneginf(logq)
        return {
            "loglik": np.where(impossible, 0.0, logq),
            "impossible": impossible.astype(np.float64),
            "nan": np.isnan(logq).astype(np.float64),
        }

    with np.errstate(invalid="ignore"):
        sums = sample.average_many(terms)
    if sums["nan"] > 0 or math.isnan(sums["loglik"]):
        raise FitError(
            f"{family.name}: the log density is NaN at {_format_params(params)}; the parameters are "
            "invalid for this family"
        )
    example = math.nan
    if sums["impossible"] > 0:
        example = sample.first_where(lambda x: np.isneginf(family.logpdf(x, params)))
    return sums["loglik"], sums["impossible"], example


def validate_support(support: Any, obs: ObservationsLike) -> Support | None:
    """Check ``support=(low, high)`` and that every observation lies inside it.

    ``high`` may be None or ``inf`` for a support without an upper end.

    Raises
    ------
    ParameterError
        If ``support`` is not a pair of whole numbers with low <= high.
    DataError
        If some observations lie outside it.
    """
    if support is None:
        return None
    try:
        low, high = support
    except (TypeError, ValueError):
        raise ParameterError(
            f"support must be a pair (low, high), e.g. support=(0, 10); got {support!r}"
        ) from None
    if high is not None and math.isinf(float(high)) and float(high) > 0:
        high = None
    for bound in (low, high):
        if bound is None and bound is high:
            continue
        if isinstance(bound, bool) or not isinstance(bound, (int, float, np.integer, np.floating)):
            raise ParameterError(f"support bounds must be numbers; got {support!r}")
        if not math.isfinite(float(bound)) or float(bound) != math.floor(float(bound)):
            raise ParameterError(
                f"support=(low, high) takes whole-number bounds (it fixes where discrete families live); "
                f"got {support!r}"
            )
    low = float(low)
    high = None if high is None else float(high)
    if high is not None and high < low:
        raise ParameterError(f"support must have low <= high; got {support!r}")
    upper = math.inf if high is None else high
    if obs.min < low or obs.max > upper:
        example = obs.min if obs.min < low else obs.max
        how_many = "some values lie outside"  # data on a Dask cluster are not counted again
        if obs.in_memory:
            outside = (obs.values < low) | (obs.values > upper)
            how_many = f"{int(outside.sum())} distinct values lie outside"
        raise DataError(
            f"{how_many} support={support!r} (e.g. {example:g}); widen the support or check the data"
        )
    return (low, high)


def _whole_numbers_as_int(family: Family, params: Mapping[str, float]) -> dict[str, float]:
    """Show whole-number parameters (a binomial n, a shift) as int, the others as float.

    An immutable table of shares (the empirical model's) is returned as it is.
    """
    if kept_as_is(params):
        return params  # type: ignore[return-value]
    integer = {p.name for p in family.parameters if p.integer}
    return {k: int(v) if k in integer else float(v) for k, v in params.items()}


_TYPICAL = 2.0**20  # data whose magnitude lies within 2^-20 .. 2^20 are fitted as they are


def _standardising(obs: Any, family: Family, fixed: Mapping[str, float]) -> tuple[float, float]:
    """The shift and the power-of-2 scale that bring the data to magnitude 1 for estimation.

    The scale is a power of 2, so dividing by it is exact: a fit of ``x * 2**k`` is the fit of
    ``x`` with loc and scale times ``2**k``. The shift (the median) is used only for a free
    ``loc`` and data whose centre lies far from 0 compared with their spread.
    """
    if family.kind != "continuous" or not family.location_scale:
        return 0.0, 1.0
    low, high = obs.min, obs.max
    shift = 0.0
    if "loc" not in fixed:
        # any central value serves; on a cluster the random sample's median costs no pass
        centre = obs.sample.median if obs.in_memory else obs.local.sample.median
        half_width = max(abs(0.5 * high - 0.5 * centre), abs(0.5 * centre - 0.5 * low))
        if abs(centre) > 2 * _TYPICAL * half_width:
            shift = centre
    width = max(abs(0.5 * high - 0.5 * shift), abs(0.5 * shift - 0.5 * low)) * 2
    if width == 0 or 1 / _TYPICAL <= width <= _TYPICAL:
        return shift, 1.0
    return shift, math.ldexp(1.0, math.frexp(width)[1] - 1)  # 2**1023 at most: no overflow


def _estimate_parameters(
    obs: Any, family: Family, fixed: Mapping[str, float]
) -> tuple[dict[str, float], tuple[float, float]]:
    """The family's estimate, made on standardised data when the data's magnitude calls for it.

    Returns the estimate in the data's units and the frame ``(shift, scale)`` it was made in.
    """
    frame = _standardising(obs, family, fixed)
    if frame == (0.0, 1.0):
        return family.estimate(obs, fixed), frame
    shift, scale = frame
    framed = obs.affine(shift, scale)
    estimated = family.estimate(framed, params_in_frame(fixed, frame))
    if "scale" in estimated:
        estimated["scale"] = scale * estimated["scale"]
    if "loc" in estimated:
        estimated["loc"] = _loc_in_data_units(family, estimated, fixed, framed, obs, frame)
    overflow = [k for k, v in estimated.items() if not math.isfinite(v)]
    if overflow:
        raise FitError(
            f"{family.name}: the fitted {', '.join(overflow)} overflows floating point on data of "
            f"this magnitude (up to {max(abs(obs.min), abs(obs.max)):.3g}); divide the data by a "
            "power of 10 and compare again"
        )
    return estimated, frame


def _loc_in_data_units(
    family: Family,
    estimated: Mapping[str, float],
    fixed: Mapping[str, float],
    framed: Any,
    obs: Any,
    frame: tuple[float, float],
) -> float:
    """The estimate's ``loc`` (made in the frame) in the data's units, kept beyond the data's end.

    A loc estimated a hair beyond the smallest (or largest) value can round onto it on the way
    back (1e15 + data: floats there are 0.125 apart); then each value tied with it can lose the
    density the fit gave it (skewnorm at its half-normal limit, loc 1e-12 scales below the
    minimum: ln 2 per tied minimum, 55 nats on 79 ties). Of the converted loc and the next
    float beyond that end, the one with the higher likelihood is kept (in memory: one pass
    each). On data whose spread is near the float spacing neither is the frame's point (ten
    values 1e15 + 1 or 2: loc 0.2 scales below the minimum; review).
    """
    shift, scale = frame
    loc = estimated["loc"]
    converted = shift + scale * loc
    beyond = (
        math.nextafter(obs.min, -math.inf)
        if loc < framed.min and not converted < obs.min
        else math.nextafter(obs.max, math.inf)
        if loc > framed.max and not converted > obs.max
        else None
    )
    if beyond is None or not obs.in_memory:
        return converted

    def mean_loglik(at: float) -> float:
        with np.errstate(all="ignore"):
            value = obs.sample.average(
                lambda x: family.logpdf(x, {**fixed, **estimated, "loc": at})
            )
        return value if math.isfinite(value) else -math.inf

    return beyond if mean_loglik(beyond) > mean_loglik(converted) else converted


_COLLAPSE = 1e3  # a density above this many times 1 / (the data's range) at a tied value


def _ties_at(obs: Any, value: float) -> float:
    """How many observations equal ``value`` (their total weight times n for weighted data)."""
    if not obs.in_memory:
        return 0.0  # on a cluster: not counted (the check is about small, tied data sets)
    if obs.weights is not None:
        index = int(np.searchsorted(obs.values, value))
        hit = index < obs.size and obs.values[index] == value
        return float(obs.weights[index]) if hit and obs.has_counts else (2.0 if hit else 0.0)
    return float(np.count_nonzero(obs.values == value))


def _check_not_collapsed(
    obs: Any, family: Family, params: Mapping[str, float], frame: tuple[float, float]
) -> None:
    """Refuse a fit that piles its density onto a tied end of the data (an unbounded likelihood).

    Repeated values at the smallest (or largest) observation, such as exact zeros, are a point
    mass that a density can only match by growing without bound there (lomax or genpareto with
    the scale going to 0): the likelihood has no maximum and the optimiser's last point is an
    artefact of floating point.
    """
    spread = obs.max - obs.min
    if not spread > 0:
        return
    ceiling = math.log(_COLLAPSE / spread)
    for end in (obs.min, obs.max):
        with np.errstate(all="ignore"):
            density = float(framed_logpdf(family, params, frame, np.array([end]))[0])
        if density > ceiling and _ties_at(obs, end) >= 2:
            raise FitError(
                f"{family.name} has no maximum-likelihood estimate here: {_ties_at(obs, end):g} "
                f"observations equal {end:g}, a point mass that the density can only match by growing "
                "without bound there (the likelihood is unbounded). Model the repeated value "
                "separately (e.g. a hurdle: the share of exact values, and a density for the rest), "
                "or compare families whose density stays bounded there"
            )


@dataclass(frozen=True)
class Estimated:
    """A family's maximum-likelihood fit before the data's entropy turns cross-entropy into KL."""

    family: Family
    params: dict[str, float]
    shown_fixed: dict[str, float]
    all_fixed: dict[str, float]
    mean_loglik: float
    impossible: float
    example: float
    notes: tuple[str, ...]
    frame: tuple[float, float] = (0.0, 1.0)

    @property
    def all_params(self) -> Mapping[str, float]:
        """Every parameter: fixed (including defaults) and estimated."""
        return merged(self.all_fixed, self.params)


def estimate(
    obs: Any, family: Family, support: Support | None, fixed: Mapping[str, Any]
) -> Estimated:
    """Fit ``family`` by maximum likelihood and compute its mean log-likelihood (one pass).

    Raises
    ------
    ParameterError
        If ``fixed`` names unknown parameters or has values out of range.
    FitError
        If the family cannot describe the data or the optimiser fails.
    """
    all_fixed = family.resolve_fixed(support, fixed)
    if family.kind == "continuous" and obs.min == obs.max and family.free_parameters(all_fixed):
        raise FitError(
            f"{family.name}: all values are equal ({obs.min:g}); a continuous density cannot fit"
        )
    with statistics.remembering():
        return _estimate(obs, family, fixed, all_fixed)


def _estimate(
    obs: Any, family: Family, fixed: Mapping[str, Any], all_fixed: dict[str, float]
) -> Estimated:
    raw_estimate, frame = _estimate_parameters(obs, family, all_fixed)
    estimate_notes = getattr(raw_estimate, "notes", ())  # a NotedEstimate's, from the search
    estimated = _whole_numbers_as_int(family, raw_estimate)
    all_fixed = _whole_numbers_as_int(family, all_fixed)
    params = merged(all_fixed, estimated)
    shown_fixed = {
        k: v for k, v in all_fixed.items() if k in fixed or family.default_fixed.get(k) != v
    }
    from_moments = (
        family.mean_loglik_from_moments(obs.sample, params)
        if not obs.in_memory and frame == (0.0, 1.0) and family.kind == "continuous"
        else None
    )
    if from_moments is not None and math.isfinite(from_moments):  # no pass over a cluster's data
        mean_loglik, impossible, example = from_moments, 0.0, math.nan
    elif frame == (0.0, 1.0):
        sample = obs.sample_for(family.kind)
        mean_loglik, impossible, example = _mean_loglik(family, params, sample)
    else:  # in the standardised frame: the same numbers, without overflow
        shift, scale = frame
        inner = obs.affine(shift, scale).sample_for(family.kind)
        mean_loglik, impossible, example = _mean_loglik(
            family, params_in_frame(params, frame), inner
        )
        mean_loglik -= math.log(scale)
        example = shift + scale * example
    if impossible > 0 and estimated:
        raise FitError(
            f"{family.name}: the fitted model gives probability 0 to observed values such as {example:g}"
        )
    if family.kind == "continuous" and estimated and math.isfinite(mean_loglik):
        _check_not_collapsed(obs, family, params, frame)
    with_held = HeldParameters(params, all_fixed)
    notes = [*estimate_notes, *family.diagnose(obs, with_held)]
    notes.extend(family.check_fit(obs, with_held, mean_loglik))
    return Estimated(
        family,
        estimated,
        shown_fixed,
        all_fixed,
        mean_loglik,
        impossible,
        example,
        tuple(notes),
        frame,
    )


def _in_memory(obs: Any) -> tuple[ObservationsLike, str]:
    """The observations in memory (a random sample of data on a Dask cluster), with a note."""
    if obs.in_memory:
        return obs, ""
    if obs.local_is_complete:
        return obs.local, ""
    return obs.local, (
        f"kl: the data's entropy is estimated from a random sample of {obs.local.size:,} of the "
        f"{obs.n_obs or obs.size:,.0f} observations (dkl and the ranking do not depend on it)"
    )


def model_kl_estimate(obs: Any, est: Estimated) -> EntropyEstimate:
    """The KL divergence of one continuous fit from the data (nats), from its own PIT where it can."""
    local, sampled = _in_memory(obs)
    family, params, frame = est.family, est.all_params, est.frame
    if family.has_cdf:
        kl = pit_kl_nats(
            local,
            lambda x: family.logcdf(*_to_frame(family, params, frame, x)),
            lambda x: family.logsf(*_to_frame(family, params, frame, x)),
            family.name,
            logpdf=lambda x: framed_logpdf(family, params, frame, x),
        )
    else:  # a user's density without a cdf: the data's own entropy, from spacings of the values
        h = differential_entropy(local)
        kl = EntropyEstimate(-est.mean_loglik - h.value, h.se, h.note)
    return EntropyEstimate(kl.value, kl.se, "; ".join(filter(None, [sampled, kl.note])))


_REFERENCES = {"real": ("norm", "laplace"), "positive": ("lognorm", "gamma"), "heavy": ("cauchy",)}
_HEAVY_KURTOSIS = 20.0


def reference_estimates(obs: Any, present: Iterable[str] = ()) -> list[Estimated]:
    """Cheap reference fits through which the data's entropy can be estimated (continuous data).

    The normal and the Laplace; the lognormal and the gamma for positive data; the Cauchy when
    the sample's excess kurtosis exceeds 20. Families in ``present`` (already fitted) are skipped;
    a reference that cannot be fitted is left out.
    """
    names = list(_REFERENCES["real"])
    if obs.min > 0:
        names += _REFERENCES["positive"]
    if obs.sample.excess_kurtosis > _HEAVY_KURTOSIS:
        names += _REFERENCES["heavy"]
    out = []
    for name in names:
        if name in present:
            continue
        try:
            out.append(estimate(obs, default_registry[name], None, {}))
        except FitError:
            continue
    return out


def shared_entropy(
    obs: Any, estimates: Iterable[Estimated], *, references: bool = True
) -> EntropyEstimate:
    r"""The data's differential entropy (nats), estimated once for continuous fits of the same data.

    :math:`\hat h(p) = -\bar\ell_{best} - \hat D(p \| q_{best})`, with the KL of the fit with the
    highest likelihood estimated from its probability integral transform (nearly uniform when
    the model is close). The candidates are the given fits and, with ``references``, a few cheap
    reference fits (:func:`reference_estimates`), so that the estimate is a property of the data:
    every fit of the same data gets the same entropy (through the same closest model), and kl
    differences equal the exact differences of cross-entropies.
    """
    estimates = list(estimates)
    local, _ = _in_memory(obs)  # data on a cluster: everything below on their random sample
    if references:
        present = {e.family.name for e in estimates if not e.shown_fixed}
        estimates += reference_estimates(local, present)
    usable = [e for e in estimates if math.isfinite(e.mean_loglik) and e.impossible == 0]
    if not usable:
        return differential_entropy(local)
    with_cdf = [e for e in usable if e.family.has_cdf] or usable
    best = max(with_cdf, key=lambda e: e.mean_loglik)
    kl = model_kl_estimate(obs, best)
    mean_loglik = best.mean_loglik
    if local is not obs:  # the same sample for both terms: no pass over the cluster's data
        sample = local.sample_for(best.family.kind)
        with np.errstate(all="ignore"):
            mean_loglik = sample.average(
                lambda x: framed_logpdf(best.family, best.all_params, best.frame, x)
            )
    return EntropyEstimate(-mean_loglik - kl.value, kl.se, kl.note)


def data_entropy(obs: Any) -> EntropyEstimate:
    """The differential entropy of continuous data (nats), through the closest reference model.

    See :func:`shared_entropy`: the PIT of the best of a few cheap reference fits (normal,
    Laplace; lognormal and gamma for positive data; Cauchy for heavy tails), which stays accurate
    on heavy tails where a spacing estimate of the values alone is biased.
    """
    return shared_entropy(obs, [])


def _discrete_kl(obs: Any, est: Estimated) -> tuple[float, float, float]:
    """Plug-in entropy, KL (computed directly, so the empirical model gets exactly 0) and its SE."""
    sample = obs.sample_for("discrete")
    seen = sample.w > 0  # values whose share underflows to 0 (weights 1e-300 beside 1e300) add 0
    with np.errstate(divide="ignore"):
        log_ratio = np.log(sample.w[seen]) - est.family.logpdf(sample.x[seen], est.all_params)
    kl = float(np.dot(sample.w[seen], log_ratio))
    entropy = obs.plugin_entropy_nats()
    se = math.nan
    if obs.n_obs is not None and math.isfinite(kl):
        spread = float(np.dot(sample.w[seen], (log_ratio - kl) ** 2))
        se = math.sqrt(max(spread, 0.0) / obs.n_obs)
    return entropy, kl, se


def finish(obs: Any, est: Estimated, entropy: EntropyEstimate | None = None) -> Fit:
    """The Fit of an estimate: KL from the data's entropy (shared, or estimated for this fit alone)."""
    family = est.family
    notes = list(est.notes)
    mean_loglik = est.mean_loglik
    kl_se = math.nan
    if family.kind == "discrete":
        entropy_nats, kl, kl_se = _discrete_kl(obs, est)
    elif est.impossible > 0:
        h = entropy if entropy is not None else EntropyEstimate(math.nan, math.nan)
        entropy_nats, kl = h.value, math.inf
    else:
        if entropy is None:
            entropy = shared_entropy(obs, [est])
        entropy_nats, kl, kl_se = entropy.value, -mean_loglik - entropy.value, entropy.se
        if entropy.note:
            notes.insert(0, entropy.note)
    if est.impossible > 0:
        mean_loglik, kl = -math.inf, math.inf
        notes.append(
            f"the model gives probability 0 to {est.impossible:.3%} of the observations "
            f"(e.g. {est.example:g}), so D(data||model) is infinite"
        )
    k = family.n_free(est.params)
    if obs.n_obs is None:
        notes.append(NO_N_OBS_NOTE)
    elif k > 0 and obs.n_obs - k - 1 <= 0:
        notes.append(f"AICc undefined: n_obs={obs.n_obs:g} <= k + 1 = {k + 1}")
    return Fit(
        family=family,
        params=est.params if kept_as_is(est.params) else FrozenMapping(est.params),
        fixed=FrozenMapping(est.shown_fixed),
        k=k,
        n_obs=obs.n_obs,
        mean_loglik_nats=mean_loglik,
        data_entropy_nats=entropy_nats,
        kl_nats=kl,
        observations=obs,
        note="; ".join(notes),
        kl_se_nats=kl_se,
        frame=est.frame,
    )


def fit_observations(
    obs: Any,
    family: Family,
    support: Support | None,
    fixed: Mapping[str, Any],
    *,
    entropy: EntropyEstimate | None = None,
) -> Fit:
    """Fit ``family`` to validated observations (the engine behind :func:`fit` and compare).

    ``entropy`` is the data's differential entropy shared by a comparison; without it a
    continuous fit's KL is estimated from its own probability integral transform.

    Raises
    ------
    ParameterError
        If ``fixed`` names unknown parameters or has values out of range.
    FitError
        If the family cannot describe the data or the optimiser fails.
    """
    return finish(obs, estimate(obs, family, support, fixed), entropy)


def with_kl_se(fit: Fit, kl_se_nats: float) -> Fit:
    """The same fit with another standard error of its KL (a comparison adds the paired part)."""
    return replace(fit, kl_se_nats=kl_se_nats)


def fit(
    data: Any,
    family: Candidate,
    *,
    weights: Any = None,
    support: tuple[float, float | None] | None = None,
    n_obs: float | None = None,
    nan_policy: NanPolicy = "raise",
    registry: Mapping[str, Family] | None = None,
    **fixed: float,
) -> Fit:
    r"""Fit one family to data by maximum likelihood (= minimum KL divergence from the data).

    Parameters
    ----------
    data
        Raw observations, or distinct values when ``weights`` is given (see
        :meth:`klmodels.Observations.from_data`).
    family
        A registry name such as ``"binom"``, a :class:`~klmodels.Family`, or a frozen scipy
        distribution (a fully specified model: nothing is estimated).
    weights
        Counts or relative frequencies of the values in ``data``.
    support
        ``(low, high)``: the values the data can take. Sets the shift of discrete families
        and the upper end of finite-support ones (randint's range, binom's and betabinom's n).
    n_obs
        The number of observations behind relative-frequency weights.
    nan_policy
        ``"raise"`` (default) or ``"omit"``.
    registry
        Where to look up family names; default :data:`klmodels.families`.
    **fixed
        Parameters to hold fixed, in scipy's names (e.g. ``n=10`` for ``binom``).

    Returns
    -------
    Fit
        Estimated parameters, log-likelihood (nats), cross-entropy and KL divergence (bits per
        observation), AIC, AICc, BIC.

    Raises
    ------
    DataError, ParameterError, UnknownFamilyError
        For bad data, options or family names.
    FitError
        When the family cannot be fitted to these data; the message says why.

    Examples
    --------
    >>> import klmodels as klm
    >>> f = klm.fit([3, 5, 6, 4, 7], "binom", n=10)
    >>> round(f.params["p"], 2)
    0.5
    """
    obs = Observations.from_data(data, weights, n_obs=n_obs, nan_policy=nan_policy)
    fam = resolve(family, check_registry(registry))
    with small_blas():
        return fit_observations(obs, fam, validate_support(support, obs), fixed)


def failure_as_reason[T](family: Family, run: Callable[[], T]) -> T | FitError:
    """``run()``, or why it failed as a :class:`FitError`: one candidate never aborts a comparison.

    Invalid options (a ParameterError) still raise: they are the caller's mistake, not the
    family's. Anything else a family raises (a user's pmf that fails, returns strings or the
    wrong shape) becomes a failed row that says what happened.
    """
    try:
        return run()
    except FitError as exc:
        return exc
    except ParameterError:
        raise
    except (
        KLModelsError,
        ArithmeticError,
        ValueError,
        TypeError,
        LookupError,
        RuntimeError,
    ) as exc:
        return FitError(f"{family.name}: fitting raised {type(exc).__name__}: {exc}")
