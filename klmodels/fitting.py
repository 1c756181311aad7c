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

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from klmodels import statistics
from klmodels.data import NanPolicy, Observations
from klmodels.entropy_estimators import data_entropy_nats
from klmodels.errors import DataError, FitError, NotInMemoryError, ParameterError
from klmodels.family import Candidate, Family, default_registry, resolve
from klmodels.family.base import Support
from klmodels.statistics import WeightedSample

__all__ = ["NO_N_OBS_NOTE", "Fit", "fit", "fit_observations", "validate_support"]

_LN2 = math.log(2.0)
NO_N_OBS_NOTE = "weights are relative frequencies: pass n_obs= for loglik, AIC, AICc, BIC"


def _format_params(params: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:.6g}" for k, v in params.items())


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
    observations : Observations
        The data the model was fitted to.
    note : str
        Anything the numbers alone do not say (e.g. "pass n_obs= for AIC").
    """

    family: Family
    params: Mapping[str, float]
    fixed: Mapping[str, float]
    k: int
    n_obs: float | None
    mean_loglik_nats: float
    data_entropy_nats: float
    kl_nats: float
    observations: Observations
    note: str = ""

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
    def all_params(self) -> dict[str, float]:
        """Every parameter needed to evaluate the model: fixed (including defaults) and estimated."""
        return {**self.family.default_fixed, **self.fixed, **self.params}

    def freeze(self) -> Any:
        """The fitted model as a frozen ``scipy.stats`` distribution."""
        return self.family.freeze(self.all_params)

    def logpdf(self, x: Any) -> np.ndarray:
        """Log pmf (discrete) or log pdf (continuous) of the fitted model at ``x``, in nats."""
        return self.family.logpdf(np.asarray(x, dtype=np.float64), self.all_params)

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
            out[start : start + chunk] = self.family.logpdf(values[start : start + chunk], params)
        return out, sample

    def _repr_html_(self) -> str:
        from klmodels.display import fit_html

        return fit_html(self)

    def __repr__(self) -> str:
        n = "unknown" if self.n_obs is None else f"{self.n_obs:g}"
        fixed = f"; fixed {_format_params(self.fixed)}" if self.fixed else ""
        note = f"; note: {self.note}" if self.note else ""
        shown = dict(list(self.params.items())[:6])
        more = f", ... ({len(self.params) - 6} more)" if len(self.params) > 6 else ""
        return (
            f"<Fit {self.name}: {_format_params(shown)}{more}{fixed}; k={self.k}, n_obs={n}, "
            f"loglik={self.loglik:.6g} nats, KL={self.kl_bits:.6g} bits{note}>"
        )


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


def validate_support(support: Any, obs: Observations) -> Support | None:
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
    """Show whole-number parameters (a binomial n, a shift) as int, the others as float."""
    integer = {p.name for p in family.parameters if p.integer}
    return {k: int(v) if k in integer else float(v) for k, v in params.items()}


def fit_observations(
    obs: Observations,
    family: Family,
    support: Support | None,
    fixed: Mapping[str, Any],
    *,
    data_entropy: tuple[float, str] | None = None,
) -> Fit:
    """Fit ``family`` to validated observations (the engine behind :func:`fit` and compare).

    Raises
    ------
    ParameterError
        If ``fixed`` names unknown parameters or has values out of range.
    FitError
        If the family cannot describe the data or the optimiser fails.
    """
    all_fixed = family.resolve_fixed(support, fixed)
    estimated = _whole_numbers_as_int(family, family.estimate(obs, all_fixed))
    all_fixed = _whole_numbers_as_int(family, all_fixed)
    params = {**all_fixed, **estimated}
    shown_fixed = {
        k: v for k, v in all_fixed.items() if k in fixed or family.default_fixed.get(k) != v
    }
    entropy_nats, entropy_note = data_entropy or data_entropy_nats(obs, family.kind)
    notes = [entropy_note] if entropy_note else []

    sample = obs.sample_for(family.kind)
    mean_loglik, impossible, example = _mean_loglik(family, params, sample)
    if impossible > 0:
        if estimated:
            raise FitError(
                f"{family.name}: the fitted model gives probability 0 to observed values such as {example:g}"
            )
        mean_loglik, kl = -math.inf, math.inf
        notes.append(
            f"the model gives probability 0 to {impossible:.3%} of the observations (e.g. {example:g}), "
            "so D(data||model) is infinite"
        )
    elif family.kind == "discrete":
        # sum p (log p - log q) directly, so that the empirical model gets exactly 0
        kl = float(np.dot(sample.w, np.log(sample.w) - family.logpdf(sample.x, params)))
    else:
        kl = -mean_loglik - entropy_nats
    notes.extend(family.diagnose(obs, params))
    k = family.n_free(estimated)
    if obs.n_obs is None:
        notes.append(NO_N_OBS_NOTE)
    elif k > 0 and obs.n_obs - k - 1 <= 0:
        notes.append(f"AICc undefined: n_obs={obs.n_obs:g} <= k + 1 = {k + 1}")
    return Fit(
        family=family,
        params=MappingProxyType(dict(estimated)),
        fixed=MappingProxyType(shown_fixed),
        k=k,
        n_obs=obs.n_obs,
        mean_loglik_nats=mean_loglik,
        data_entropy_nats=entropy_nats,
        kl_nats=kl,
        observations=obs,
        note="; ".join(notes),
    )


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
    fam = resolve(family, default_registry if registry is None else registry)
    return fit_observations(obs, fam, validate_support(support, obs), fixed)
