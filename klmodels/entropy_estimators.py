r"""The data's own entropy, which turns a model's cross-entropy into its KL divergence from the data.

For discrete data the entropy of the empirical distribution is exact (plug-in):
:math:`H(\hat p) = -\sum_x \hat p(x) \ln \hat p(x)`.

For continuous data the differential entropy :math:`h(p) = -\int p \ln p` must be estimated.
klmodels uses the m-spacing estimators of ``scipy.stats.differential_entropy`` (van Es (1992)
for n <= 10, Ebrahimi, Pflughoeft & Soofi (1994) up to 1000, Vasicek (1976) beyond; window
:math:`m = \lfloor \sqrt n + 1/2 \rfloor`), computed here with less memory and tested equal to
scipy's, after one preparation step for ties:

- **Ties are read as rounding.** The c copies of a value that occurs more than once are spread
  evenly over its cell, which reaches halfway to the neighbouring distinct values (the copies
  sit at the centres of c equal sub-intervals). Spacing estimators return -inf on tied data
  (a zero spacing); after this step they return the entropy of the continuous distribution
  the rounded values came from. On samples of a gamma(4, 14) of size 254 rounded to 1, 5, 10
  and 20 units the bias of the estimate is -0.001, +0.013, +0.024, +0.077 nats (200 samples
  each; the estimate's standard deviation is about 0.05 nats).
- **Small samples** make every spacing estimator biased low: on normal samples the mean error
  is about -0.26 nats at n = 10, -0.12 at n = 30, -0.02 at n = 100. Below 5 observations no
  estimate is made (NaN, with a note).

The estimate is the same for every model fitted to the same data, so it shifts every
``kl_bits`` by the same amount and **never changes a ranking**; differences in KL between
models equal differences in cross-entropy and need no entropy estimate at all.
"""

from __future__ import annotations

import math

import numpy as np

from klmodels.data import Observations
from klmodels.errors import ParameterError

__all__ = [
    "binned_kl_nats",
    "data_entropy_nats",
    "detie",
    "differential_entropy_nats",
    "spacing_entropy",
]

MIN_OBSERVATIONS = 5
SMALL_SAMPLE = 30


def detie(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Raw sorted observations with each tied value spread evenly over its rounding cell.

    Parameters
    ----------
    values
        Distinct values, sorted ascending.
    counts
        Whole-number count of each value.

    Returns
    -------
    numpy.ndarray
        ``counts.sum()`` values; a value seen once stays where it is.
    """
    counts = counts.astype(np.int64)
    if values.size == 1:
        return np.repeat(values, counts)
    gaps = np.diff(values)
    half_left = np.concatenate(([gaps[0]], gaps)) / 2
    half_right = np.concatenate((gaps, [gaps[-1]])) / 2
    step = (half_left + half_right) / counts  # distance between copies, per distinct value
    first = values - half_left + 0.5 * step  # where the first copy goes
    single = counts == 1
    first[single], step[single] = values[single], 0.0  # a value seen once stays where it is
    # position of each copy within its value's block (0, 1, ..., c - 1), built in place
    out = np.arange(counts.sum(), dtype=np.float64)
    out -= np.repeat(np.cumsum(counts) - counts, counts)
    out *= np.repeat(step, counts)
    out += np.repeat(first, counts)
    return out


def _spacings(sorted_x: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The m-spacings X(i+m) - X(i-m) with the sample's ends repeated beyond it, in three parts.

    The middle part is one array; the m spacings at each end are small. Nothing of size n is
    built besides the middle part (scipy pads a full copy of the data first).
    """
    middle = np.subtract(sorted_x[2 * m :], sorted_x[: -2 * m])
    left = sorted_x[m : 2 * m] - sorted_x[0]
    right = sorted_x[-1] - sorted_x[-2 * m : -m]
    return left, middle, right


def spacing_entropy(sorted_x: np.ndarray) -> float:
    r"""m-spacing estimate of differential entropy (nats) from sorted, tie-free observations.

    The same estimators, windows and choice by sample size as ``scipy.stats.differential_entropy``
    (van Es for n <= 10, Ebrahimi et al. for n <= 1000, Vasicek beyond; :math:`m = \lfloor \sqrt n
    + 1/2 \rfloor`), computed with one extra array instead of several (tested equal to scipy's).
    """
    n = sorted_x.size
    m = math.floor(math.sqrt(n) + 0.5)
    if not 2 <= 2 * m < n:
        return math.nan
    with np.errstate(divide="ignore"):
        if n <= 10:  # van Es (1992)
            d = sorted_x[m:] - sorted_x[:-m]
            term = float(np.log((n + 1) / m * d).sum()) / (n - m)
            return term + float(np.sum(1.0 / np.arange(m, n + 1))) + math.log(m) - math.log(n + 1)
        left, middle, right = _spacings(sorted_x, m)
        np.log(middle, out=middle)
        total = float(middle.sum())
        if n <= 1000:  # Ebrahimi, Pflughoeft & Soofi (1994): boundary weights c_i
            k = np.arange(m)
            c_left, c_right = 1 + k / m, 1 + (m - 1 - k) / m
            total += float(np.log(left / c_left).sum() + np.log(right / c_right).sum())
            total -= (n - 2 * m) * math.log(2.0)
            return total / n + math.log(n / m)
        # Vasicek (1976)
        total += float(np.log(left).sum() + np.log(right).sum())
        return total / n + math.log(n / (2 * m))


def differential_entropy_nats(obs: Observations) -> tuple[float, str]:
    """Estimate the differential entropy of continuous data, in nats, with a note on its quality.

    Returns
    -------
    value, note
        NaN with the reason when no estimate can be made (fewer than 5 observations, or
        relative-frequency weights without ``n_obs``).
    """
    if obs.weights is None:
        sorted_x = np.sort(obs.values)
        new_value = np.empty(sorted_x.size, dtype=bool)
        new_value[0] = True
        np.not_equal(sorted_x[1:], sorted_x[:-1], out=new_value[1:])
        if new_value.all():  # no ties: the sorted sample is all the estimator needs
            values, counts = sorted_x, None
        else:
            starts = np.flatnonzero(new_value)
            values, counts = sorted_x[starts], np.diff(np.append(starts, sorted_x.size))
        del new_value
    elif obs.has_counts:
        values, counts = obs.values, obs.weights
    elif obs.n_obs is not None:
        values, counts = obs.values, np.maximum(np.rint(obs.probabilities * obs.n_obs), 1)
    else:
        return (
            math.nan,
            "KL needs the data's entropy, which relative frequencies without n_obs= cannot give",
        )
    n = values.size if counts is None else int(counts.sum())
    if n < MIN_OBSERVATIONS:
        return (
            math.nan,
            f"no entropy estimate from {n} observations (at least {MIN_OBSERVATIONS}), so no KL",
        )
    if values.size == 1:
        return math.nan, "all values are equal: the data have no density, so no KL"
    sample = values if counts is None or values.size == n else detie(values, counts)
    value = spacing_entropy(sample)
    note = ""
    if n < SMALL_SAMPLE:
        note = (
            f"kl is approximate: the entropy estimate from {n} observations is biased low "
            "(about 0.1-0.25 nats), which raises every row's kl alike"
        )
    return value, note


def data_entropy_nats(obs: Observations, kind: str) -> tuple[float, str]:
    """The data's entropy in nats: plug-in for discrete data, estimated for continuous data."""
    if kind == "discrete":
        return obs.plugin_entropy_nats(), ""
    if not obs.in_memory:  # data on a Dask cluster: estimated from their random sample
        return obs.differential_entropy_nats()
    return differential_entropy_nats(obs)


def binned_kl_nats(obs: Observations, cdf: object, bins: int | str | np.ndarray) -> float:
    r"""KL divergence from the data's histogram to the model's probabilities of the same bins, in nats.

    .. math:: D(P_{\mathrm{hist}} \| Q) = \sum_j P_j \ln \frac{P_j}{Q_j},
        \qquad Q_j = F(e_{j+1}) - F(e_j)

    This is the quantity histogram-based tools mean by KL, in the right direction (data ‖ model).
    The model's mass outside the bins is a bin of its own with no data, which adds nothing;
    the value depends on the binning (more bins: more information in the histogram to lose).

    Parameters
    ----------
    obs
        The data.
    cdf
        The model's cumulative distribution function.
    bins
        A number of equal-width bins over the data's range, edges, or a NumPy rule (``"auto"``, ``"fd"``).
    """
    if isinstance(bins, str) and not obs.in_memory:
        raise ParameterError(
            f"bins={bins!r} is a rule that needs every value in memory; for data on a Dask cluster "
            "give a number of bins or the edges"
        )
    edges = np.histogram_bin_edges(
        obs.values if isinstance(bins, str) else np.array([obs.min, obs.max]), bins=bins
    )
    counts = obs.sample.histogram(edges)
    p = counts / counts.sum()
    q = np.diff(np.asarray(cdf(edges), dtype=np.float64))
    used = p > 0
    if np.any(q[used] <= 0):
        return math.inf
    return float(np.sum(p[used] * np.log(p[used] / q[used])))
