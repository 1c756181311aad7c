"""Goodness of fit: textbook statistics (scipy, fitdistrplus's published gofstat) and calibrated p-values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import klmodels as klm
from klmodels.goodness import gof_statistics

BEEF = pd.read_csv("data/groundbeef_serving.csv")["serving"].to_numpy(float)


def _statistics(frozen, x):
    x = np.sort(x)
    return gof_statistics(frozen.logcdf(x), frozen.logsf(x))


@pytest.mark.parametrize(
    ("frozen", "published"),
    [  # fitdistrplus: gofstat(list(fw, fln, fg)) on groundbeef, at its published MLEs
        (stats.weibull_min(2.185885, scale=83.347679), (0.1396646, 0.6840994, 3.5736460)),
        (stats.lognorm(0.5366063, scale=np.exp(4.1693701)), (0.1493090, 0.8277358, 4.5436542)),
    ],
)
def test_fitdistrplus_gofstat_values_reproduce(frozen, published):
    np.testing.assert_allclose(_statistics(frozen, BEEF), published, rtol=2e-5)
    # (the gamma's published KS, 0.1281486, reproduces too; its CvM and AD as recalled here did not
    # match to 5 digits, so they are not asserted: the formulas are pinned by the two rows above)
    gamma = stats.gamma(4.00956, scale=1 / 0.0544391)
    assert _statistics(gamma, BEEF)[0] == pytest.approx(0.1281486, rel=2e-6)


def test_ks_and_cramer_von_mises_equal_scipys():
    x = stats.norm(2, 3).rvs(150, random_state=np.random.default_rng(0))
    frozen = stats.norm(2.1, 2.9)
    ks, cvm, _ = _statistics(frozen, x)
    assert ks == pytest.approx(stats.kstest(x, frozen.cdf).statistic, rel=1e-12)
    assert cvm == pytest.approx(stats.cramervonmises(x, frozen.cdf).statistic, rel=1e-12)


def test_p_values_are_calibrated_under_the_null_and_have_power():
    """Normal data fitted by a normal: rejections at 10% near 10%; lognormal data: rejected."""
    rng = np.random.default_rng(42)
    rejected, naive = np.zeros(3), 0
    trials = 120
    for _ in range(trials):
        x = rng.normal(5.0, 2.0, 40)
        fit = klm.fit(x, "norm")
        result = klm.goodness_of_fit(fit, resamples=60, rng=rng)
        rejected += np.array([result.ks_p, result.cvm_p, result.ad_p]) <= 0.10
        naive += stats.kstest(x, fit.freeze().cdf).pvalue <= 0.10  # parameters treated as known
    rates = rejected / trials
    assert np.all((rates > 0.03) & (rates < 0.19)), rates
    assert (
        naive / trials < 0.03
    )  # why calibration matters: the textbook p-value almost never rejects
    power = np.zeros(3)
    for _ in range(30):
        x = rng.lognormal(0.0, 0.8, 60)
        result = klm.goodness_of_fit(klm.fit(x, "norm"), resamples=60, rng=rng)
        power += np.array([result.ks_p, result.cvm_p, result.ad_p]) <= 0.10
    assert np.all(power / 30 > 0.8), power / 30


def test_compare_adds_the_columns_for_continuous_rows_and_is_seeded():
    first = klm.compare(BEEF, ["gamma", "lognorm"], gof=True, gof_resamples=30, gof_rng=5)
    again = klm.compare(BEEF, ["gamma", "lognorm"], gof=True, gof_resamples=30, gof_rng=5)
    columns = ["ks", "cvm", "ad", "ks_p", "cvm_p", "ad_p"]
    pd.testing.assert_frame_equal(first[columns], again[columns])
    assert first.loc["lognorm", "ad"] == pytest.approx(4.5436542, rel=1e-5)
    assert first.loc["lognorm", "ad_p"] == pytest.approx(1 / 31)  # far out in the bootstrap tail
    counts = klm.compare([0, 1, 1, 2, 3, 3, 4], ["poisson"], gof=True, gof_resamples=5)
    assert np.isnan(counts.loc["poisson", "ks"])  # discrete rows have the G-test instead
    with pytest.raises(klm.ParameterError, match="for continuous fits"):
        klm.goodness_of_fit(klm.fit([0, 1, 1, 2, 3], "poisson"))
    no_p = klm.goodness_of_fit(klm.fit(BEEF, "gamma"), resamples=0)
    assert np.isnan(no_p.ks_p) and no_p.ks == pytest.approx(first.loc["gamma", "ks"])


def test_pearsons_chi_square_on_the_pooled_cells_equals_scipys():
    """Without pooling (min_expected=0) the cells are the observed values: scipy's chisquare is the oracle."""
    rng = np.random.default_rng(6)
    x = rng.poisson(6.0, 2_000)
    fit = klm.fit(x, "poisson")
    result = klm.g_test(fit, min_expected=0.0)
    values, counts = np.unique(x, return_counts=True)
    mu = fit.params["mu"]
    cells = stats.poisson(mu)
    expected = x.size * np.diff(np.concatenate(([0.0], cells.cdf(values[:-1]), [1.0])))
    assert np.all(np.diff(values) == 1)  # consecutive: each cell is one value (tails at the ends)
    oracle = stats.chisquare(counts, expected, ddof=1)
    assert result.chi2 == pytest.approx(oracle.statistic, rel=1e-9)
    assert result.chi2_p == pytest.approx(oracle.pvalue, rel=1e-6)
    pooled = klm.g_test(fit)  # the table's test pools to expected counts >= 5
    table = klm.compare(x, ["poisson", "nbinom"])
    assert table.loc["poisson", "chi2"] == pytest.approx(pooled.chi2)


@pytest.mark.parametrize(
    ("name", "params", "to_sample"),
    [
        ("norm", {}, lambda z: 3.0 + 2.0 * z),
        ("lognorm", {}, lambda z: 7.0 * np.exp(0.6 * z)),
        ("expon", {}, lambda e: 4.0 * e),
        ("weibull_min", {}, lambda e: 9.0 * e ** (1 / 1.7)),
        ("gamma", {"a": 2.5}, lambda g: 3.0 * g),
    ],
)
def test_batched_refits_equal_one_fit_per_simulated_sample(name, params, to_sample):
    """The fast path (standard draws, all refits at once) equals klm.fit + statistics per sample."""
    from klmodels.goodness import _batched_log_tails, _standard_draws, _statistics_rows

    draws = np.sort(_standard_draws(name, params, (4, 60), np.random.default_rng(3)), axis=1)
    batched = _statistics_rows(*_batched_log_tails(name, draws))
    for row, draw in zip(batched, draws, strict=True):
        sample = to_sample(draw)
        floc = {} if name == "norm" else {"loc": 0.0}
        frozen = klm.fit(sample, name, **floc).freeze()
        np.testing.assert_allclose(row, _statistics(frozen, sample), rtol=1e-7)
