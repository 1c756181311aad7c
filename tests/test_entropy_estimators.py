"""The data's entropy: plug-in for discrete data, a tie-aware spacing estimate for continuous data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import klmodels as klm
from klmodels.entropy_estimators import binned_kl_nats, detie, differential_entropy_nats

from .conftest import DATA


def test_detie_spreads_copies_over_their_cell_and_keeps_singletons():
    out = detie(np.array([10.0, 20.0, 30.0]), np.array([1, 3, 2]))
    np.testing.assert_allclose(out, [10.0, 15 + 10 / 6, 20.0, 25 - 10 / 6, 27.5, 32.5])
    assert np.all(np.diff(out) > 0)


@pytest.mark.parametrize("seed", range(3))
def test_estimate_of_a_normal_sample_is_close_to_the_closed_form(seed):
    x = np.random.default_rng(seed).normal(5, 2, 20_000)
    value, note = differential_entropy_nats(klm.Observations.from_data(x))
    assert value == pytest.approx(stats.norm(5, 2).entropy(), abs=0.02)
    assert note == ""


def test_rounded_data_give_the_entropy_of_the_unrounded_distribution(rng):
    truth = stats.gamma(4, scale=14)
    x = np.round(truth.rvs(5000, random_state=rng) / 5) * 5  # recorded to 5 units, heavy ties
    with np.errstate(divide="ignore"):
        assert stats.differential_entropy(x) == -math.inf  # what scipy alone gives
    value, _ = differential_entropy_nats(klm.Observations.from_data(x))
    assert value == pytest.approx(truth.entropy(), abs=0.04)


def test_groundbeef_gets_a_finite_estimate():
    x = pd.read_csv(DATA / "groundbeef_serving.csv")["serving"]
    value, _ = differential_entropy_nats(klm.Observations.from_data(x))
    assert math.isfinite(value)
    assert 4.5 < value < 5.0


def test_small_samples_are_estimated_with_a_warning_note_and_tiny_ones_not_at_all():
    value, note = differential_entropy_nats(
        klm.Observations.from_data([1.0, 2.5, 3.1, 4.7, 5.2, 6.0])
    )
    assert math.isfinite(value) and "approximate" in note and "6 observations" in note
    value, note = differential_entropy_nats(klm.Observations.from_data([1.0, 2.5, 3.1]))
    assert math.isnan(value) and "from 3 observations" in note


def test_relative_frequencies_need_n_obs():
    value, note = differential_entropy_nats(klm.Observations.from_data([0.5, 1.5], [0.3, 0.7]))
    assert math.isnan(value) and "n_obs" in note


def test_continuous_kl_is_cross_entropy_minus_the_estimate_and_ranking_ignores_it(rng):
    x = rng.gamma(3.0, 2.0, 3000)
    table = klm.compare(x, ["gamma", "lognorm", "weibull_min"])
    entropy_bits = table.attrs["entropy_bits"]
    np.testing.assert_allclose(
        table["kl_bits"], table["cross_entropy_bits"] - entropy_bits, rtol=1e-12
    )
    np.testing.assert_allclose(
        table["dkl_bits"], table["cross_entropy_bits"] - table["cross_entropy_bits"].iloc[0]
    )
    assert table.index[0] == "gamma"
    assert abs(table.loc["gamma", "kl_bits"]) < 0.02  # the true family: close to zero either side


def test_binned_kl_matches_a_hand_computation_and_depends_on_the_bins(rng):
    x = rng.normal(size=4000)
    obs = klm.Observations.from_data(x)
    model = stats.norm(0.1, 1.1)
    counts, edges = np.histogram(x, bins=10)
    p = counts / counts.sum()
    q = np.diff(model.cdf(edges))
    assert binned_kl_nats(obs, model.cdf, 10) == pytest.approx(np.sum(p * np.log(p / q)), rel=1e-12)
    assert binned_kl_nats(obs, model.cdf, 10) != pytest.approx(
        binned_kl_nats(obs, model.cdf, 100), rel=0.05
    )
    assert binned_kl_nats(obs, stats.uniform(-1, 2).cdf, 10) == math.inf


def _positions_one_rank_at_a_time(ordered, ranks, logcdf, logsf):
    """The definition of the PIT positions of tied data, rank by rank (the oracle)."""
    values, counts = ordered.values, ordered.counts
    ends = np.cumsum(counts)
    cdf, sf = np.exp(logcdf(values)), np.exp(logsf(values))
    lower, value = [], []
    for r in ranks:
        c = int(np.searchsorted(ends, r, side="right"))
        is_lower = bool(logcdf(values[c : c + 1])[0] <= math.log(0.5))
        lower.append(is_lower)
        if counts[c] == 1:
            value.append(logcdf(values[c : c + 1])[0] if is_lower else logsf(values[c : c + 1])[0])
            continue
        share = (r - (ends[c] - counts[c]) + 0.5) / counts[c]
        last = values.size - 1
        below, above = max(c - 1, 0), min(c + 1, last)
        f_low = 2 * cdf[c] - cdf[above] if c == 0 else cdf[below]
        f_high = 2 * cdf[c] - cdf[below] if c == last else cdf[above]
        s_low = 2 * sf[c] - sf[above] if c == 0 else sf[below]
        s_high = 2 * sf[c] - sf[below] if c == last else sf[above]
        if is_lower:
            lo, hi = np.clip(0.5 * (f_low + cdf[c]), 0, 1), np.clip(0.5 * (cdf[c] + f_high), 0, 1)
            value.append(np.log(lo + share * (hi - lo)))
        else:
            lo, hi = np.clip(0.5 * (s_low + sf[c]), 0, 1), np.clip(0.5 * (sf[c] + s_high), 0, 1)
            value.append(np.log(lo - share * (lo - hi)))
    return np.array(lower), np.array(value)


@pytest.mark.parametrize("shape", ["zeros", "rounded", "few values", "one big tie"])
def test_tied_data_positions_equal_their_definition_rank_by_rank(shape):
    """Ties spread over their cell on the model's probability scale, singletons at their own
    tail probability: the vectorised positions (only tied ranks spread, a mask for the values
    needed) equal the definition evaluated one rank at a time."""
    from klmodels import entropy_estimators as ee
    from klmodels.data import Observations

    rng = np.random.default_rng(4)
    x = {
        "zeros": np.where(rng.uniform(size=3000) < 0.05, 0.0, rng.exponential(2, 3000)),
        "rounded": np.round(rng.normal(0, 1, 3000), 1),
        "few values": rng.integers(0, 4, 3000).astype(float),
        "one big tie": np.concatenate([rng.normal(size=2000), np.full(300, 0.25)]),
    }[shape]
    ordered = ee.OrderedSample.from_observations(Observations.from_data(x))
    ranks, _, _ = ee._rank_union(ordered.n, ee.MAX_TERMS)
    loc, scale = float(np.mean(x)), float(np.std(x))
    logcdf = lambda v: stats.norm.logcdf(v, loc, scale)  # noqa: E731
    logsf = lambda v: stats.norm.logsf(v, loc, scale)  # noqa: E731
    lower, value, _ = ee._probability_positions(ordered, ranks, logcdf, logsf)
    expected_lower, expected = _positions_one_rank_at_a_time(ordered, ranks, logcdf, logsf)
    np.testing.assert_array_equal(lower, expected_lower)
    np.testing.assert_allclose(value, expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize("rounded", [False, True])
def test_an_end_of_the_data_against_the_models_support_end_is_not_called_a_far_tail(rounded):
    """The skew-normal at its half-normal limit puts loc a hair below the minimum: F(min) = 3e-14
    by construction, not a data tail beyond the model's reach, so no 'kl may be underestimated'
    note; a value 40 sd out under a normal or logistic fit keeps it (and the same data's PIT on
    every value, with and without the check, give the same KL)."""
    from klmodels.entropy_estimators import pit_kl_nats

    x = np.abs(np.random.default_rng(1).normal(0, 2, 5_000))
    x = np.round(x, 2) if rounded else x
    table = klm.compare(x, ["skewnorm", "norm", "gamma"])
    assert table.index[0] == "skewnorm" and table.fits["skewnorm"].params["a"] > 1e12
    assert not table["note"].str.contains("underestimated").any()
    fit = table.fits["skewnorm"]
    family, params = fit.family, dict(fit.all_params)
    tails = (lambda v: family.logcdf(v, params), lambda v: family.logsf(v, params))
    obs = klm.Observations.from_data(x)
    unchecked = pit_kl_nats(obs, *tails, "skewnorm")
    checked = pit_kl_nats(obs, *tails, "skewnorm", logpdf=lambda v: family.logpdf(v, params))
    assert "underestimated" in unchecked.note and "underestimated" not in checked.note
    assert checked.value == unchecked.value
    outlier = np.random.default_rng(1).normal(0, 1, 5_000)
    outlier[0] = -40.0
    table = klm.compare(outlier, ["norm", "logistic"])
    assert table["note"].str.contains("data reach further into a tail").all()
    # far out against a fixed end (lognormal's 0, beta's 0): the density there is negligible,
    # so it is a far tail, not a wall, though F falls faster than f d (review)
    rng = np.random.default_rng(1)
    against_zero = np.r_[rng.lognormal(0, 1, 2_000), 1e-12]
    fit = klm.fit(against_zero, "lognorm")
    model = fit.freeze()
    kl = pit_kl_nats(
        klm.Observations.from_data(against_zero), model.logcdf, model.logsf, "lognorm",
        logpdf=model.logpdf,
    )  # fmt: skip
    assert "underestimated" in kl.note and "underestimated" in fit.note
    assert "underestimated" in klm.fit(np.r_[rng.beta(3, 2, 2_000), 1e-8], "beta").note
