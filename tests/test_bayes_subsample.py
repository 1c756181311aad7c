"""Subsampled PSIS-LOO for large data: equal to ArviZ's ``loo_subsample`` where ArviZ can run
(the full log-likelihood group in memory), within its subsampling error of LOO over every value,
one subsample shared by every family, and the automatic switch by the size of the matrix."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats

pytest.importorskip("arviz")  # the test extra installs klmodels[bayes]; CI never skips
from klmodels import bayes
from klmodels.errors import ParameterError
from klmodels.subsample import columns_of, observation_sample

QUICK = {"draws": 250, "tune": 250, "chains": 2, "nuts_sampler": "pymc", "random_seed": 4}
FAMILIES = ["gamma", "lognorm"]


@pytest.fixture(scope="module")
def positive():
    return np.random.default_rng(11).gamma(2.0, 3.0, 2_000)


@pytest.fixture(scope="module")
def full_and_subsampled(positive):
    full = bayes.compare(positive, FAMILIES, loo_subsample=False, **QUICK)
    sub = bayes.compare(positive, FAMILIES, loo_subsample=300, **QUICK)
    return full, sub


def _plpd(family):
    """ArviZ's log_lik_fn for method="plpd": scipy's log density at the posterior means."""

    def log_lik_fn(observed, data):
        mean = {k: float(data.posterior[k]) for k in data.posterior.data_vars}
        shape = mean["a"] if family == "gamma" else mean["s"]
        logpdf = getattr(stats, family).logpdf(observed.values, shape, scale=mean["scale"])
        return xr.DataArray(logpdf, dims=observed.dims, coords=observed.coords)

    return log_lik_fn


@pytest.mark.parametrize("family", FAMILIES)
def test_subsampled_loo_equals_arviz_loo_subsample_on_the_same_draws(full_and_subsampled, family):
    from arviz_stats import loo_subsample

    full, sub = full_and_subsampled
    ours = sub.loo[family]
    indices = np.asarray(ours.loo_subsample_observations)
    assert indices.size == 300 and ours.subsample_size == 300
    # the same seed gives the same draws: ArviZ runs on the full run's log-likelihood group
    np.testing.assert_array_equal(
        full.posteriors[family].posterior["scale"], sub.posteriors[family].posterior["scale"]
    )
    assert "log_likelihood" not in sub.posteriors[family]  # never computed for every value
    arviz = loo_subsample(
        full.posteriors[family], observations=indices, method="plpd", var_name="y",
        log_lik_fn=_plpd(family), pointwise=True,
    )  # fmt: skip
    for field in ("elpd", "se", "subsampling_se", "p"):
        assert getattr(ours, field) == pytest.approx(getattr(arviz, field), rel=1e-9), field
    np.testing.assert_allclose(ours.elpd_loo_approx, arviz.elpd_loo_approx, rtol=1e-10)
    np.testing.assert_allclose(ours.elpd_i[indices], arviz.elpd_i[indices], rtol=1e-10)


def test_subsampled_elpd_is_within_its_subsampling_error_of_loo_over_every_value(
    full_and_subsampled,
):
    full, sub = full_and_subsampled
    for family in FAMILIES:
        row, exact = sub.table.loc[family], full.table.loc[family]
        assert 0 < row["subsampling_se"] < 2.0  # nats, on 2,000 values
        assert abs(row["elpd"] - exact["elpd"]) < 4 * row["subsampling_se"]
        assert row["se"] >= exact["se"] * 0.9
        assert "random sample of 300 of 2,000 observations" in row["note"]
    assert np.isnan(full.table["subsampling_se"]).all()
    # one subsample shared: ArviZ differences the families on it
    assert sub.table["subsampling_dse"].notna().all()
    assert list(sub.table.index) == list(full.table.index) == ["gamma", "lognorm"]
    assert sub.table.loc["lognorm", "elpd_diff"] == pytest.approx(
        full.table.loc["lognorm", "elpd_diff"], abs=4 * sub.table.loc["lognorm", "subsampling_dse"]
    )
    assert sub.table.attrs["weights"] == "pseudo-bma" and full.table.attrs["weights"] == "stacking"
    assert sub.table["weight"].sum() == pytest.approx(1.0)


def test_counted_values_are_subsampled_by_observation():
    counts = np.array([3, 1, 4, 1, 5])
    expanded = np.repeat(np.arange(counts.size), counts)
    indices = observation_sample(counts.sum(), 7, seed=2)
    np.testing.assert_array_equal(columns_of(indices, counts), expanded[indices])
    assert np.unique(indices).size == 7 and indices.max() < counts.sum()

    x = np.random.default_rng(3).negative_binomial(4, 0.08, 1_500)  # ~150 distinct values
    options = {"draws": 200, "tune": 200, "chains": 2, "nuts_sampler": "pymc", "random_seed": 1}
    full = bayes.compare(x, ["nbinom"], loo_subsample=False, **options).table.loc["nbinom"]
    sub = bayes.compare(x, ["nbinom"], loo_subsample=300, **options).table.loc["nbinom"]
    assert abs(sub["elpd"] - full["elpd"]) < 4 * sub["subsampling_se"]


def test_automatic_subsampling_follows_the_size_of_the_pointwise_matrix():
    auto = bayes._LooPlan(None, seed=0)
    assert auto.indices(n_obs=30_000, n_columns=30_000, n_draws=4_000) is None  # 0.9 GiB
    sampled = auto.indices(n_obs=10**6, n_columns=10**6, n_draws=4_000)
    assert sampled.size == bayes._SUBSAMPLE_SIZE
    assert (
        auto.indices(n_obs=10**7, n_columns=1_000, n_draws=4_000) is None
    )  # counts: 1,000 columns
    assert bayes._LooPlan(True, seed=0).indices(10_000, 10_000, 10).size == bayes._SUBSAMPLE_SIZE
    assert bayes._LooPlan(50, seed=0).indices(100, 100, 10).size == 50
    assert bayes._LooPlan(500, seed=0).indices(100, 100, 10) is None  # not smaller than the data
    assert bayes._LooPlan(False, seed=0).indices(10**6, 10**6, 4_000) is None
    np.testing.assert_array_equal(
        bayes._LooPlan(50, seed=3).indices(100, 100, 10),
        bayes._LooPlan(50, seed=3).indices(100, 100, 10),
    )


@pytest.mark.parametrize("bad", [1, 0, -5, 2.5, "auto"])
def test_a_bad_subsample_size_is_refused(positive, bad):
    with pytest.raises(ParameterError, match="loo_subsample"):
        bayes.compare(positive[:50], ["gamma"], loo_subsample=bad, **QUICK)
