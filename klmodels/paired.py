r"""Is a difference in information loss real? Paired standard errors, Vuong's test, the G-test.

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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from klmodels.checks import check_fraction
from klmodels.errors import ParameterError
from klmodels.fitting import Fit, framed_logpdf
from klmodels.statistics import run_starts

__all__ = [
    "GTestResult",
    "Paired",
    "VuongResult",
    "difference",
    "g_test",
    "paired",
    "paired_difference",
    "paired_many",
    "vuong",
    "vuong_from_pairs",
]

_LN2 = math.log(2.0)


@dataclass(frozen=True)
class Paired:
    r"""Summary of the per-observation differences :math:`d_i = \ln q_a(x_i) - \ln q_b(x_i)` (nats).

    ``mean`` and ``sd`` (divisor n) of the :math:`d_i` over ``n`` observations, the numbers of
    free parameters ``k_a``, ``k_b`` and the two rows' names.
    """

    mean: float
    sd: float
    n: float
    k_a: int
    k_b: int
    name_a: str
    name_b: str


def _same_weights(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Whether two observations carry the same weights (None: each value counts once)."""
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(a, b)


def _check_pair(a: Fit, b: Fit) -> None:
    for name, fit in (("a", a), ("b", b)):
        if not isinstance(fit, Fit):
            raise ParameterError(
                f"{name} must be a Fit (from klm.fit, klm.select or a table's .fits); got "
                f"{type(fit).__name__}"
            )
    same = a.observations is b.observations or (
        np.array_equal(a.observations.values, b.observations.values)
        and _same_weights(a.observations.weights, b.observations.weights)
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


def paired(a: Fit, b: Fit) -> Paired:
    """The per-observation log-likelihood differences of two fits, summarised (one pass over the data)."""
    return paired_many(a, [b])[0]


def paired_many(a: Fit, others: Sequence[Fit]) -> list[Paired]:
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
        summaries.append(Paired(mean, sd, n, a.k, b.k, a.name, b.name))
    return summaries


def difference(p: Paired) -> tuple[float, float]:
    r"""The difference in information loss :math:`\Delta = \bar d` and its standard error, in bits.

    :math:`\mathrm{se}(\Delta) = s_d / \sqrt n`; both are NaN-free only when ``n`` is known.
    """
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
    return difference(paired(a, b))


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
    return vuong_from_pairs(paired(a, b), alpha)


_SAME_MODEL_NATS = 1e-6  # per observation: pointwise differences below this are optimiser noise


def vuong_from_pairs(p: Paired, alpha: float = 0.05) -> VuongResult:
    """Vuong's test from already summarised paired differences (see :func:`vuong`)."""
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
    elif p.sd < _SAME_MODEL_NATS:
        # the same pointwise log-likelihoods up to the optimisers' precision (e.g. an inflation
        # estimated at 0, a mixture whose components coincide): the data cannot tell the models
        # apart, whatever their parameter counts (Vuong's statistic is degenerate when omega = 0);
        # a constant difference of a visible size separates them perfectly
        z = 0.0 if abs(p.mean) < _SAME_MODEL_NATS else math.copysign(math.inf, numerator)
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
    chi2, chi2_p : float
        Pearson's :math:`X^2 = \sum_j (O_j - E_j)^2 / E_j` on the same pooled cells, and its
        p-value on the same degrees of freedom.
    """

    statistic: float
    dof: int
    p_value: float
    cells: int
    note: str = ""
    chi2: float = math.nan
    chi2_p: float = math.nan


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
        return _cell_probabilities_from_tails(family, params, values[1:] - 1)
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


def _cell_probabilities_from_tails(family: Any, params: Any, ends: np.ndarray) -> np.ndarray:
    """Cell probabilities from the cdf at the cells' upper ends below the median, the sf above.

    Cell j ends at ``ends[j]`` (the last cell at +inf, the first starts at -inf). A cell whose
    upper end has cdf <= 1/2 is the difference of two cdf values, any other the difference of two
    survival-function values (no cancellation on either side). The cdf is monotone, so the
    ends with cdf <= 1/2 come first; a bisection with scalar calls finds where they stop, and
    each end then costs one special-function evaluation instead of two. Where the cdf is NaN
    somewhere or not monotone (a numerically broken family), every cell takes the side of its
    own upper end, or the other side where that one is not finite, from both functions at
    every end.
    """

    def cdf(points: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.exp(family.logcdf(points, params))

    def sf(points: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.exp(family.logsf(points, params))

    if (
        ends.size <= _DIRECT_ENDS
    ):  # few cells: both functions at every end cost less than a bisection
        return _on_each_ends_side(cdf(ends), sf(ends))
    below, above = 0, ends.size  # the ends before `below` have cdf <= 1/2, those from `above` not
    while below < above:
        middle = (below + above) // 2
        if cdf(ends[middle : middle + 1])[0] <= 0.5:
            below = middle + 1
        else:
            above = middle
    lower_cdf = cdf(ends[:below])
    upper_sf = sf(ends[max(below - 1, 0) :])  # from the last end below the median
    if not (
        np.all(np.isfinite(lower_cdf))
        and np.all(np.isfinite(upper_sf))
        and np.all(np.diff(lower_cdf) >= 0)
        and np.all(np.diff(upper_sf) <= 0)
    ):  # a cdf that is NaN somewhere or not monotone: each cell on the side of its own upper end
        return _on_each_ends_side(cdf(ends), sf(ends))
    masses = np.empty(ends.size + 1)
    masses[:below] = np.diff(lower_cdf, prepend=0.0)
    sf_low = upper_sf if below > 0 else np.concatenate(([1.0], upper_sf))
    masses[below:] = sf_low - np.append(sf_low[1:], 0.0)
    return np.clip(masses, 0.0, None)


_MAX_CELLS = 10_000
"""Above this many distinct values the G-test first groups them into this many cells."""


def _grouped_at_quantiles(
    values: np.ndarray, observed: np.ndarray, cells: int
) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive distinct values grouped into at most ``cells`` runs of about equal observed count.

    A run starts at the first value whose cumulative share of the observations before it
    reaches the next multiple of ``1/cells`` (a value holding more than that share ends its
    run). Returns each run's first value (the cells' lower ends, as for distinct values)
    and its observed count. The cells depend on the data only through their quantiles, the
    usual construction for a chi-square test of fit (Moore & Spruill 1975).
    """
    before = np.cumsum(observed) - observed
    # a cumulative count on a multiple of n/cells up to rounding counts as on it (the same
    # cells for raw values and for their relative frequencies times n_obs)
    group = np.floor(before / observed.sum() * cells + 1e-9).astype(np.int64)
    starts = run_starts(group)
    return values[starts], np.add.reduceat(observed, starts)


_DIRECT_ENDS = 2048
"""Up to this many cell ends the G-test evaluates the cdf and sf at all of them (no bisection)."""


def _on_each_ends_side(all_cdf: np.ndarray, all_sf: np.ndarray) -> np.ndarray:
    """Cell probabilities, each cell on the side of its own upper end (the other where not finite).

    For a monotone cdf the same values as the bisection's (the cells below the median from the
    cdf, the others from the sf); for a broken one (NaN, not monotone) a usable side per cell.
    """
    cdf_high, cdf_low = np.append(all_cdf, 1.0), np.concatenate(([0.0], all_cdf))
    sf_high, sf_low = np.append(all_sf, 0.0), np.concatenate(([1.0], all_sf))
    by_cdf, by_sf = cdf_high - cdf_low, sf_low - sf_high
    use_cdf = ((cdf_high <= 0.5) & np.isfinite(by_cdf)) | ~np.isfinite(by_sf)
    return np.clip(np.where(use_cdf, by_cdf, by_sf), 0.0, None)


def _pooled(
    observed: np.ndarray, expected: np.ndarray, min_expected: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""Neighbouring cells pooled from the left until each expected count is >= ``min_expected``.

    Greedy: a cell closes as soon as its expected count reaches ``min_expected`` (and is > 0);
    what is left at the end joins the last cell. The cells are found by following, from each
    cell's start p, the first end q with :math:`C_q - C_p \ge m` (cumulative expected counts C,
    one vectorised search for every p), so the Python loop runs once per pooled cell, not per value.
    """
    cum_e = np.concatenate([[0.0], np.cumsum(expected)])
    cum_o = np.concatenate([[0.0], np.cumsum(observed)])
    # a cell from p closes at the first q > p whose cumulated expected count reaches the threshold;
    # the threshold is at least one rounding step above C_p (a min_expected below the rounding of
    # C would otherwise find q = p and never move on), and sums within 1e-12 relative of it count
    # as reaching it (a loop adding thirds must not lose a cell to rounding)
    reach = cum_e + min_expected
    reach = np.maximum(reach - 1e-12 * np.abs(reach), np.nextafter(cum_e, np.inf))
    close = np.searchsorted(cum_e, reach, side="left")
    close_at = close.tolist()
    size = expected.size
    ends, start = [0], 0
    while (start := close_at[start]) <= size:
        ends.append(start)
    last = ends[-1]
    if cum_e[size] != cum_e[last] or cum_o[size] != cum_o[last]:  # the rest joins the last cell
        ends = [*ends[:-1], size] if len(ends) > 1 else [0, size]
    cuts = np.asarray(ends)
    return np.diff(cum_o[cuts]), np.diff(cum_e[cuts])


def g_test(fit: Fit, *, min_expected: float = 5.0) -> GTestResult:
    r"""G-test (likelihood-ratio goodness of fit) of a discrete model against the observed counts.

    The integers are cut at the observed values into cells (every integer belongs to one,
    the tails to the first and last), neighbouring cells are pooled until each expected count
    :math:`E_j = n\,Q(\text{cell}_j)` is at least ``min_expected``, and
    :math:`G = 2\sum_j O_j \ln(O_j/E_j)` is referred to chi-squared with cells - 1 - k
    degrees of freedom. A model that gives probability 0 to an observed value is rejected
    outright (G = inf, p = 0). Above 10,000 distinct values, the values are first grouped into
    10,000 runs of about equal observed count (cells cut at the data's quantiles; ``note`` says
    so), which keeps the test's cost at that of 10,000 cells and its power (each cell still
    holds many observations). Cost: O(distinct values) with a closed-form cdf; otherwise the
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
    grouped = ""
    if values.size > _MAX_CELLS:  # cells of about equal observed counts, cut at observed values
        distinct = values.size
        values, observed = _grouped_at_quantiles(values, observed, _MAX_CELLS)
        grouped = (
            f"G-test cells: {values.size:,} runs of about equal observed counts "
            f"(of {distinct:,} distinct values), then pooled"
        )
    if fit.mean_loglik_nats == -math.inf:  # an observed value the model rules out
        dof = max(values.size - 1 - fit.k, 0)
        return GTestResult(math.inf, dof, 0.0, int(values.size), grouped, math.inf, 0.0)
    masses = _cell_probabilities(fit, values)
    if isinstance(masses, str):
        return GTestResult(math.nan, 0, math.nan, 0, "; ".join(filter(None, [grouped, masses])))
    expected = fit.n_obs * masses
    o, e = _pooled(observed, expected, min_expected)
    if np.any((e <= 0) & (o > 0)):
        return GTestResult(
            math.inf, max(int(o.size) - 1 - fit.k, 0), 0.0, int(o.size), grouped, math.inf, 0.0
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(o > 0, o * np.log(o / e), 0.0)
    statistic = max(float(2 * terms.sum()), 0.0)  # 0 up to rounding for a saturated model
    pearson = float(np.sum((o - e) ** 2 / e))
    dof = int(o.size - 1 - fit.k)
    p = float(stats.chi2.sf(statistic, dof)) if dof > 0 else math.nan
    pearson_p = float(stats.chi2.sf(pearson, dof)) if dof > 0 else math.nan
    note = "" if dof > 0 else f"no degrees of freedom left ({o.size} cells, k={fit.k}): no test"
    note = "; ".join(filter(None, [grouped, note]))
    return GTestResult(statistic, max(dof, 0), p, int(o.size), note, pearson, pearson_p)


# ------------------------------------------------------------------ bootstrap
