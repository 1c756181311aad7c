r"""Is a difference in information loss real? Paired standard errors, Vuong's test, the G-test, the bootstrap.

Two models fitted to the same n observations lose information at rates that differ by

.. math:: \Delta = D(\hat p \| q_b) - D(\hat p \| q_a) = \frac{1}{n} \sum_i d_i,
    \qquad d_i = \ln q_a(x_i) - \ln q_b(x_i),

(the data's entropy cancels, so no entropy estimate enters). Its standard error comes from
the spread of the paired per-observation differences, :math:`\mathrm{se}(\Delta) = s_d /
\sqrt n`, as ArviZ does for ELPD differences. **Vuong's test** (Vuong 1989) turns the same
pairs into :math:`z = (\sum_i d_i - (k_a - k_b)) / (\sqrt n\, s_d)` (AIC-type correction for
the numbers of parameters), approximately standard normal when the two models are equally
close to the truth; :math:`s_d` is the standard deviation of the :math:`d_i` (divisor n).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from klmodels.checks import check_fraction, check_rng, check_whole
from klmodels.data import NanPolicy, Observations
from klmodels.errors import FitError, NotInMemoryError, ParameterError
from klmodels.family import Candidate, Family
from klmodels.fitting import Fit, framed_logpdf
from klmodels.optimize import small_blas

__all__ = [
    "BootstrapResult",
    "GTestResult",
    "VuongResult",
    "bootstrap",
    "g_test",
    "paired_difference",
    "vuong",
]

_LN2 = math.log(2.0)


@dataclass(frozen=True)
class _Paired:
    """Summary of the per-observation differences d = ln q_a - ln q_b (nats)."""

    mean: float
    sd: float
    n: float
    k_a: int
    k_b: int
    name_a: str
    name_b: str


def _check_pair(a: Fit, b: Fit) -> None:
    for name, fit in (("a", a), ("b", b)):
        if not isinstance(fit, Fit):
            raise ParameterError(
                f"{name} must be a Fit (from klm.fit, klm.select or a table's .fits); got "
                f"{type(fit).__name__}"
            )
    same = a.observations is b.observations or (
        np.array_equal(a.observations.values, b.observations.values)
        and (
            (a.observations.weights is None and b.observations.weights is None)
            or np.array_equal(a.observations.weights, b.observations.weights)
        )
    )
    if not same:
        raise ParameterError(
            "the two fits must be fitted to the same observations to be compared pairwise"
        )
    if a.kind != b.kind:
        raise ParameterError(
            f"cannot compare a {a.kind} model ({a.name}) with a {b.kind} one ({b.name}) pairwise: "
            "probabilities and densities are on different scales"
        )


def paired(a: Fit, b: Fit) -> _Paired:
    """The per-observation log-likelihood differences of two fits, summarised (one pass over the data)."""
    return paired_many(a, [b])[0]


def paired_many(a: Fit, others: Sequence[Fit]) -> list[_Paired]:
    r"""Summaries of :math:`d_i = \ln q_a(x_i) - \ln q_b(x_i)` for every b in ``others``, in one pass.

    The mean of :math:`d` is the difference of the fits' mean log-likelihoods; one pass over
    the data (a reduction, so it also runs on a Dask cluster) adds up
    :math:`(d_i - \bar d)^2` for every b at once, which is stable however close two models are.
    Differences that are not finite (a model ruling out an observation) give NaN.
    """
    for b in others:
        _check_pair(a, b)
    if not others:
        return []
    sample = a.observations.sample_for(a.kind)
    means = [a.mean_loglik_nats - b.mean_loglik_nats for b in others]
    usable = [i for i, m in enumerate(means) if math.isfinite(m)]
    model_a = (a.family, a.all_params, a.frame)  # what the workers need, not the data
    models = {i: (others[i].family, others[i].all_params, others[i].frame) for i in usable}

    def squares(x: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        la = framed_logpdf(*model_a, x)
        for i in usable:  # one row's array alive at a time
            d = la - framed_logpdf(*models[i], x) - means[i]
            yield i, d * d

    with np.errstate(invalid="ignore"):
        sums = sample.average_many(squares) if usable else {}
    n = math.nan if a.n_obs is None else float(a.n_obs)
    summaries = []
    for i, b in enumerate(others):
        square = sums.get(i, math.nan)
        if math.isfinite(square):
            mean, sd = means[i], math.sqrt(square)
        else:
            mean = sd = math.nan
        summaries.append(_Paired(mean, sd, n, a.k, b.k, a.name, b.name))
    return summaries


def _difference(p: _Paired) -> tuple[float, float]:
    se = p.sd / math.sqrt(p.n) if p.n > 0 else math.nan
    return p.mean / _LN2, se / _LN2


def paired_difference(a: Fit, b: Fit) -> tuple[float, float]:
    r"""How much more information b loses than a, per observation, in bits, with its standard error.

    Returns
    -------
    difference, se
        :math:`D(\hat p \| q_b) - D(\hat p \| q_a)` in bits per observation (positive when a
        is better) and :math:`s_d / \sqrt n` in bits. The standard error is NaN without
        ``n_obs``; both are NaN when a model gives zero probability to an observation.
    """
    return _difference(paired(a, b))


@dataclass(frozen=True)
class VuongResult:
    r"""Vuong's test of two non-nested models fitted to the same data.

    Attributes
    ----------
    z : float
        The statistic; positive favours model a. 0 for a model against itself.
    p_value : float
        Two-sided p-value for "both models are equally close to the truth".
    log_likelihood_ratio : float
        :math:`\sum_i d_i` in nats, before the correction.
    correction : float
        :math:`k_a - k_b` (the AIC-type penalty) subtracted from the ratio.
    omega : float
        Standard deviation of the per-observation differences :math:`d_i` (nats).
    n_obs : float
        Number of observations.
    preferred : str or None
        The name of the model the test prefers at level ``alpha``, or None.
    """

    z: float
    p_value: float
    log_likelihood_ratio: float
    correction: float
    omega: float
    n_obs: float
    preferred: str | None


def vuong(a: Fit, b: Fit, *, alpha: float = 0.05) -> VuongResult:
    r"""Vuong's (1989) test: is model a closer to the data-generating process than model b.

    .. math:: z = \frac{\sum_i [\ln q_a(x_i) - \ln q_b(x_i)] - (k_a - k_b)}{\sqrt{n}\, \omega}

    Parameters
    ----------
    a, b
        Fits of two families to the same observations (with counts, not relative frequencies).
    alpha
        Level at which ``preferred`` names a winner.

    Returns
    -------
    VuongResult

    Notes
    -----
    The test is meant for non-nested models. For nested ones (the exponential inside the
    gamma) a likelihood-ratio test is the right tool; Vuong's z is then conservative. When the
    two models give identical log-likelihoods for every observation, :math:`\omega = 0` and
    z = 0 (p = 1) unless the correction alone separates them.
    """
    return _vuong(paired(a, b), alpha)


def _vuong(p: _Paired, alpha: float = 0.05) -> VuongResult:
    alpha = check_fraction(alpha, "alpha")
    if math.isnan(p.n):
        raise ParameterError(
            "Vuong's test needs the number of observations: pass n_obs= with relative frequencies"
        )
    lr = p.n * p.mean
    correction = float(p.k_a - p.k_b)
    numerator = lr - correction
    if math.isnan(numerator):
        z = math.nan
    elif p.sd == 0:
        z = (
            0.0
            if abs(numerator) < 1e-12 * max(1.0, abs(lr))
            else math.copysign(math.inf, numerator)
        )
    else:
        z = numerator / (math.sqrt(p.n) * p.sd)
    p_value = 2 * stats.norm.sf(abs(z)) if not math.isnan(z) else math.nan
    preferred = None
    if not math.isnan(p_value) and p_value < alpha:
        preferred = p.name_a if z > 0 else p.name_b
    return VuongResult(z, float(p_value), lr, correction, p.sd, p.n, preferred)


@dataclass(frozen=True)
class GTestResult:
    r"""The G-test of goodness of fit of a discrete model.

    Attributes
    ----------
    statistic : float
        :math:`G = 2 \sum_j O_j \ln(O_j / E_j)` over the pooled cells.
    dof : int
        Cells - 1 - k, at least 0.
    p_value : float
        Upper tail of chi-squared(dof); NaN when dof is 0; 0 when the model gives probability 0
        to an observed value.
    cells : int
        Number of cells after pooling neighbours until every expected count is at least 5.
    note : str
        Why there is no test (no degrees of freedom left, or cells too wide to sum), or "".
    """

    statistic: float
    dof: int
    p_value: float
    cells: int
    note: str = ""


_MAX_SPAN = 1_000_000
"""The most integers whose probabilities the G-test sums for a family without a cheap cdf."""


def _cell_probabilities(fit: Fit, values: np.ndarray) -> np.ndarray | str:
    """Model probability of each cell [v_j, v_{j+1} - 1] (tails in the first and last), or why not.

    From the cdf and survival function where the family has cheap ones (the difference is taken
    on the side of the median, without cancellation); otherwise from sums of the pmf over the
    integers between the observed values, when there are at most a million of them.
    """
    family, params = fit.family, fit.all_params
    if family.has_cdf:
        ends = values[1:] - 1
        with np.errstate(all="ignore"):
            cdf = np.exp(family.logcdf(ends, params))
            sf = np.exp(family.logsf(ends, params))
        cdf_high, cdf_low = np.append(cdf, 1.0), np.concatenate(([0.0], cdf))
        sf_high, sf_low = np.append(sf, 0.0), np.concatenate(([1.0], sf))
        return np.clip(np.where(cdf_high <= 0.5, cdf_high - cdf_low, sf_low - sf_high), 0.0, None)
    try:
        start = float(fit.freeze().support()[0])
    except (NotImplementedError, ValueError, TypeError, AttributeError):
        start = -math.inf
    low = max(start, values[0] - _MAX_SPAN)
    span = values[-1] - low + 1
    if span > _MAX_SPAN:
        return (
            f"G-test skipped: {fit.name} has no closed-form cdf, and its cells cover "
            f"{span:.3g} integers (at most {_MAX_SPAN:,} are summed)"
        )
    masses = np.zeros(values.size)
    cells = np.arange(values.size)
    for first in range(0, int(span), 1 << 16):
        k = low + np.arange(first, min(first + (1 << 16), int(span)), dtype=np.float64)
        with np.errstate(all="ignore"):
            pmf = np.exp(family.logpdf(k, params))
        cell = np.clip(np.searchsorted(values, k, side="right") - 1, 0, values.size - 1)
        masses += np.bincount(cell, weights=np.nan_to_num(pmf), minlength=values.size)[cells]
    masses[-1] = max(
        1.0 - (masses.sum() - masses[-1]), masses[-1]
    )  # the upper tail, from the total
    return masses


def g_test(fit: Fit, *, min_expected: float = 5.0) -> GTestResult:
    r"""G-test (likelihood-ratio goodness of fit) of a discrete model against the observed counts.

    The integers are cut at the observed values into cells (every integer belongs to one,
    the tails to the first and last), neighbouring cells are pooled until each expected count
    :math:`E_j = n\,Q(\text{cell}_j)` is at least ``min_expected``, and
    :math:`G = 2\sum_j O_j \ln(O_j/E_j)` is referred to chi-squared with cells - 1 - k
    degrees of freedom. A model that gives probability 0 to an observed value is rejected
    outright (G = inf, p = 0). Cost: O(distinct values) with a closed-form cdf; otherwise the
    pmf is summed over at most a million integers, and beyond that the test is skipped
    (``statistic`` NaN, the reason in ``note``).

    Raises
    ------
    ParameterError
        For something that is not a Fit, a continuous model, data without counts, or a
        ``min_expected`` that is not a finite number >= 0.
    """
    if not isinstance(fit, Fit):
        raise ParameterError(
            f"g_test takes a Fit (from klm.fit or a table's .fits); got {type(fit).__name__}"
        )
    if fit.kind != "discrete":
        raise ParameterError(
            "the G-test is for discrete models; continuous data need a different test"
        )
    if (
        isinstance(min_expected, bool)
        or not isinstance(min_expected, (int, float, np.integer, np.floating))
        or not (math.isfinite(min_expected) and min_expected >= 0)
    ):
        raise ParameterError(
            f"min_expected must be a finite number >= 0 (5 is customary); got {min_expected!r}"
        )
    obs = fit.observations
    if fit.n_obs is None:
        raise ParameterError("the G-test needs counts: pass n_obs= with relative frequencies")
    values, prob = obs.distinct()
    observed = prob * fit.n_obs
    if fit.mean_loglik_nats == -math.inf:  # an observed value the model rules out
        dof = max(values.size - 1 - fit.k, 0)
        return GTestResult(math.inf, dof, 0.0, int(values.size))
    masses = _cell_probabilities(fit, values)
    if isinstance(masses, str):
        return GTestResult(math.nan, 0, math.nan, 0, masses)
    expected = fit.n_obs * masses
    pooled_o, pooled_e, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(observed, expected, strict=True):
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= min_expected and acc_e > 0:
            pooled_o.append(acc_o)
            pooled_e.append(acc_e)
            acc_o = acc_e = 0.0
    if acc_o or acc_e:
        if pooled_o:
            pooled_o[-1] += acc_o
            pooled_e[-1] += acc_e
        else:
            pooled_o, pooled_e = [acc_o], [acc_e]
    o, e = np.array(pooled_o), np.array(pooled_e)
    if np.any((e <= 0) & (o > 0)):
        return GTestResult(math.inf, max(int(o.size) - 1 - fit.k, 0), 0.0, int(o.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(o > 0, o * np.log(o / e), 0.0)
    statistic = max(float(2 * terms.sum()), 0.0)  # 0 up to rounding for a saturated model
    dof = int(o.size - 1 - fit.k)
    p = float(stats.chi2.sf(statistic, dof)) if dof > 0 else math.nan
    note = "" if dof > 0 else f"no degrees of freedom left ({o.size} cells, k={fit.k}): no test"
    return GTestResult(statistic, max(dof, 0), p, int(o.size), note)


# ------------------------------------------------------------------ bootstrap
@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap intervals for each family's parameters and information loss, and how often each wins.

    Attributes
    ----------
    intervals : pandas.DataFrame
        Indexed by (family, quantity), quantity being each parameter and ``kl_bits``; columns
        ``estimate`` (on the original data), ``lower``, ``upper`` (percentile interval),
        ``se`` (bootstrap standard deviation), ``n_ok`` (resamples where the family fitted).
    wins : pandas.Series
        Share of resamples in which each family ranked first (by the comparison's criterion).
    replicates : pandas.DataFrame
        Every resample's value: columns replicate, family, quantity, value.
    method : str
        ``"nonparametric"`` or ``"parametric"``.
    n_boot : int
        Number of resamples.
    confidence : float
        Coverage of the intervals.
    """

    intervals: pd.DataFrame
    wins: pd.Series
    replicates: pd.DataFrame
    method: str
    n_boot: int
    confidence: float


def _resample(obs: Observations, rng: np.random.Generator) -> Observations:
    """A nonparametric resample of the same size: multinomial counts on distinct values (O(distinct))."""
    n = int(obs.n_obs)
    if obs.weights is None:
        return Observations.from_data(obs.values[rng.integers(0, obs.size, size=n)])
    counts = rng.multinomial(n, obs.probabilities)
    return Observations.from_data(obs.values, counts)


def _draw(fit: Fit, n: int, rng: np.random.Generator) -> Observations:
    """A parametric resample: n draws from the fitted model."""
    return Observations.from_data(
        np.asarray(fit.freeze().rvs(size=n, random_state=rng), dtype=np.float64)
    )


def bootstrap(
    data: Any,
    families: Candidate | Iterable[Candidate] | Mapping[str, Candidate] | None = None,
    *,
    n_boot: int = 200,
    method: str = "nonparametric",
    confidence: float = 0.95,
    rng: np.random.Generator | int | None = None,
    weights: Any = None,
    support: tuple[float, float | None] | None = None,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    n_obs: float | None = None,
    criterion: str = "aicc",
    kind: str | None = None,
    free_loc: bool = False,
    nan_policy: NanPolicy = "raise",
    registry: Mapping[str, Family] | None = None,
    progress: bool = False,
) -> BootstrapResult:
    """Bootstrap the comparison: intervals for parameters and ``kl_bits``, and how often each family wins.

    Parameters
    ----------
    data, families, weights, support, fixed, n_obs, criterion, kind, free_loc, nan_policy, registry
        As for :func:`klmodels.compare`.
    n_boot
        Number of resamples.
    method
        ``"nonparametric"``: resample the observations with replacement (multinomial counts on
        the distinct values, so O(distinct values) per resample). ``"parametric"``: draw n
        observations from each family's own fit and refit that family (its intervals); the
        win shares come from draws of the best-ranked model.
    confidence
        Coverage of the percentile intervals.
    rng
        A NumPy Generator or seed; resamples are reproducible with a seed.
    progress
        Show a progress bar over resamples.

    Returns
    -------
    BootstrapResult

    Raises
    ------
    ParameterError
        For a bad method, n_boot or confidence, or data without a number of observations.
    """
    from klmodels.selection import _fit_all, _score

    if method not in ("nonparametric", "parametric"):
        raise ParameterError(f"method must be 'nonparametric' or 'parametric'; got {method!r}")
    n_boot = check_whole(n_boot, "n_boot", low=2, high=1_000_000)
    confidence = check_fraction(confidence, "confidence")
    if criterion not in ("aicc", "aic", "bic", "kl"):
        raise ParameterError(f"criterion must be one of aicc, aic, bic, kl; got {criterion!r}")
    rng = check_rng(rng)
    options = dict(
        support=support,
        fixed=fixed,
        nan_policy=nan_policy,
        registry=registry,
        kind=kind,
        free_loc=free_loc,
    )
    fitted = _fit_all(data, families, weights=weights, n_obs=n_obs, progress=False, **options)
    obs, results, candidates, supp, fixed_by = (
        fitted.obs,
        fitted.results,
        fitted.candidates,
        fitted.support,
        fitted.fixed,
    )
    if not obs.in_memory:
        raise NotInMemoryError(
            "the bootstrap refits every family to hundreds of resamples of all the values, which stay "
            "on the Dask cluster. Bootstrap a random sample in memory instead, e.g. "
            "klm.bootstrap(series.sample(frac=0.01).compute(), ...)"
        )
    if obs.n_obs is None:
        raise ParameterError(
            "the bootstrap resamples observations, so it needs n_obs= with relative frequencies"
        )
    n = round(obs.n_obs)
    if n < 2:
        raise ParameterError(
            f"the bootstrap resamples n_obs={obs.n_obs:g} observations; it needs at least 2"
        )
    originals = {label: r for label, r in results.items() if isinstance(r, Fit)}
    if not originals:
        raise FitError(
            "no candidate family could be fitted to the data, so there is nothing to bootstrap"
        )

    from klmodels.fitting import Estimated, finish, shared_entropy
    from klmodels.selection import estimate_or_reason

    def refit_all(labels: Iterable[str], sample: Observations) -> dict[str, Fit | None]:
        """The families refitted to one resample, sharing its entropy estimate (no references)."""
        found = {
            label: estimate_or_reason(sample, candidates[label], supp, fixed_by.get(label, {}))
            for label in labels
        }
        ok = [e for e in found.values() if isinstance(e, Estimated)]
        continuous = bool(ok) and ok[0].family.kind == "continuous"
        entropy = shared_entropy(sample, ok, references=False) if continuous else None
        return {
            label: finish(sample, e, entropy) if isinstance(e, Estimated) else None
            for label, e in found.items()
        }

    def refit(label: str, sample: Observations) -> Fit | None:
        return refit_all([label], sample)[label]

    rows: list[tuple[int, str, str, float]] = []
    winners: list[str] = []
    steps: Iterable[int] = range(n_boot)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc=f"{method} bootstrap", unit="resample")
    best_label = min(originals, key=lambda lbl: _score(originals[lbl], criterion))
    blas = small_blas()
    blas.__enter__()
    for b in steps:
        if method == "nonparametric":
            fits = refit_all(originals, _resample(obs, rng))
        else:
            fits = {
                label: refit(label, _draw(original, n, rng))
                for label, original in originals.items()
            }
            ranked = refit_all(originals, _draw(originals[best_label], n, rng))
            ok = {label: f for label, f in ranked.items() if f is not None}
            if ok:
                winners.append(min(ok, key=lambda lbl: _score(ok[lbl], criterion)))
        for label, f in fits.items():
            if f is None:
                continue
            for key, value in f.params.items():
                rows.append((b, label, key, float(value)))
            rows.append((b, label, "kl_bits", f.kl_bits))
        if method == "nonparametric":
            ok = {label: f for label, f in fits.items() if f is not None}
            if ok:
                winners.append(min(ok, key=lambda lbl: _score(ok[lbl], criterion)))

    blas.__exit__(None, None, None)
    replicates = pd.DataFrame(rows, columns=["replicate", "family", "quantity", "value"])
    tail = (1 - confidence) / 2
    summary = []
    for label, original in originals.items():
        estimates = {**original.params, "kl_bits": original.kl_bits}
        for quantity, estimate in estimates.items():
            values = replicates.loc[
                (replicates["family"] == label) & (replicates["quantity"] == quantity), "value"
            ].to_numpy()
            finite = values[np.isfinite(values)]
            lower, upper = (
                np.quantile(finite, [tail, 1 - tail]) if finite.size else (math.nan, math.nan)
            )
            se = float(finite.std(ddof=1)) if finite.size > 1 else math.nan
            summary.append(
                (label, quantity, float(estimate), float(lower), float(upper), se, int(finite.size))
            )
    intervals = pd.DataFrame(
        summary, columns=["family", "quantity", "estimate", "lower", "upper", "se", "n_ok"]
    ).set_index(["family", "quantity"])
    wins = (
        pd.Series(winners, dtype=object)
        .value_counts(normalize=True)
        .reindex(list(originals), fill_value=0.0)
    )
    wins.name = "win_share"
    return BootstrapResult(intervals, wins.astype(float), replicates, method, n_boot, confidence)
