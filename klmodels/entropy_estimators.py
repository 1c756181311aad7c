r"""The data's own entropy, which turns a model's cross-entropy into its KL divergence from the data.

For discrete data the entropy of the empirical distribution is exact (plug-in):
:math:`H(\hat p) = -\sum_x \hat p(x) \ln \hat p(x)`.

For continuous data the differential entropy :math:`h(p) = -\int p \ln p` must be estimated.
klmodels uses the m-spacing estimator of ``scipy.stats.differential_entropy`` (van Es (1992)
for n <= 10, Ebrahimi, Pflughoeft & Soofi (1994) up to 1000, Vasicek (1976) beyond; window
:math:`m = \lfloor \sqrt n + 1/2 \rfloor`) after one preparation step for ties:

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
from scipy import stats

from klmodels.data import Observations

__all__ = ["binned_kl_nats", "data_entropy_nats", "detie", "differential_entropy_nats"]

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
    low = np.repeat(values - half_left, counts)
    width = np.repeat(half_left + half_right, counts)
    # position of each copy within its value's block: 0, 1, ..., c - 1
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    spread = low + (offsets + 0.5) * width / np.repeat(counts, counts)
    return np.where(np.repeat(counts, counts) == 1, np.repeat(values, counts), spread)


def differential_entropy_nats(obs: Observations) -> tuple[float, str]:
    """Estimate the differential entropy of continuous data, in nats, with a note on its quality.

    Returns
    -------
    value, note
        NaN with the reason when no estimate can be made (fewer than 5 observations, or
        relative-frequency weights without ``n_obs``).
    """
    if obs.weights is None:
        values, counts = np.unique(obs.values, return_counts=True)
    elif obs.has_counts:
        values, counts = obs.values, obs.weights
    elif obs.n_obs is not None:
        values, counts = obs.values, np.maximum(np.rint(obs.probabilities * obs.n_obs), 1)
    else:
        return (
            math.nan,
            "KL needs the data's entropy, which relative frequencies without n_obs= cannot give",
        )
    n = int(counts.sum())
    if n < MIN_OBSERVATIONS:
        return (
            math.nan,
            f"no entropy estimate from {n} observations (at least {MIN_OBSERVATIONS}), so no KL",
        )
    if values.size == 1:
        return math.nan, "all values are equal: the data have no density, so no KL"
    sample = detie(values, counts) if values.size < n else values
    with np.errstate(divide="ignore", invalid="ignore"):
        value = float(stats.differential_entropy(sample))
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
    weights = obs.probabilities if obs.weights is not None else None
    counts, edges = np.histogram(obs.values, bins=bins, weights=weights)
    p = counts / counts.sum()
    q = np.diff(np.asarray(cdf(edges), dtype=np.float64))
    used = p > 0
    if np.any(q[used] <= 0):
        return math.inf
    return float(np.sum(p[used] * np.log(p[used] / q[used])))
