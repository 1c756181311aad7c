"""Paired standard errors, Vuong's test, the G-test and the bootstrap, against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import klmodels as klm


@pytest.fixture
def two_fits(rng):
    x = rng.gamma(2.0, 1.5, 600)
    return x, klm.fit(x, "gamma"), klm.fit(x, "lognorm")


def test_paired_difference_and_its_standard_error_by_hand(two_fits):
    x, gamma, lognorm = two_fits
    d = stats.gamma.logpdf(x, **gamma.all_params) - stats.lognorm.logpdf(x, **lognorm.all_params)
    diff, se = klm.paired_difference(gamma, lognorm)
    assert diff == pytest.approx(d.mean() / math.log(2), rel=1e-10)
    assert se == pytest.approx(d.std() / math.sqrt(x.size) / math.log(2), rel=1e-10)
    assert diff == pytest.approx(lognorm.kl_bits - gamma.kl_bits, rel=1e-9)


def test_vuong_by_hand(two_fits):
    x, gamma, lognorm = two_fits
    d = stats.gamma.logpdf(x, **gamma.all_params) - stats.lognorm.logpdf(x, **lognorm.all_params)
    result = klm.vuong(gamma, lognorm)
    z = d.sum() / (math.sqrt(x.size) * d.std())  # equal k: no correction
    assert result.z == pytest.approx(z, rel=1e-10)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-8)
    assert result.correction == 0
    assert result.preferred == "gamma"
    reverse = klm.vuong(lognorm, gamma)
    assert reverse.z == pytest.approx(-result.z) and reverse.p_value == pytest.approx(
        result.p_value
    )


def test_vuong_applies_the_aic_correction(rng):
    x = rng.exponential(2.0, 300)
    gamma, expon = klm.fit(x, "gamma"), klm.fit(x, "expon")
    result = klm.vuong(gamma, expon)
    assert result.correction == 1.0
    d = stats.gamma.logpdf(x, **gamma.all_params) - stats.expon.logpdf(x, **expon.all_params)
    assert result.z == pytest.approx((d.sum() - 1) / (math.sqrt(x.size) * d.std()), rel=1e-9)


@given(st.integers(0, 50))
def test_vuong_of_a_model_against_itself_is_zero(seed):
    x = np.random.default_rng(seed).poisson(3.0, 100)
    f = klm.fit(x, "poisson")
    result = klm.vuong(f, f)
    assert result.z == 0.0 and result.p_value == 1.0 and result.preferred is None


def test_vuong_refuses_different_data_and_kinds(rng):
    a = klm.fit(rng.normal(size=50), "norm")
    b = klm.fit(rng.normal(size=50), "norm")
    with pytest.raises(klm.ParameterError, match="same observations"):
        klm.vuong(a, b)
    with pytest.raises(klm.ParameterError, match="alpha"):
        klm.vuong(a, a, alpha=2)


def test_g_test_against_scipy_power_divergence(rng):
    x = rng.poisson(4.0, 400)
    f = klm.fit(x, "poisson")
    result = klm.g_test(f)
    # rebuild the pooled cells independently: cut at observed values, pool to expected >= 5
    values, counts = np.unique(x, return_counts=True)
    model = stats.poisson(f.params["mu"])
    edges = np.append(values[1:] - 1, np.inf)
    cdf = model.cdf(edges)
    mass = np.diff(np.concatenate(([0.0], cdf)))
    observed, expected = [], []
    o_acc = e_acc = 0.0
    for o, e in zip(counts, 400 * mass, strict=True):
        o_acc, e_acc = o_acc + o, e_acc + e
        if e_acc >= 5:
            observed.append(o_acc)
            expected.append(e_acc)
            o_acc = e_acc = 0.0
    observed[-1] += o_acc
    expected[-1] += e_acc
    g, p = stats.power_divergence(observed, expected, ddof=1, lambda_="log-likelihood")
    assert result.statistic == pytest.approx(g, rel=1e-10)
    assert result.p_value == pytest.approx(p, rel=1e-8)
    assert result.dof == len(observed) - 2
    assert result.cells == len(observed)


@pytest.mark.parametrize(
    "name, values",
    [
        ("poisson", [0, 1, 2, 3, 5, 8, 13, 40]),
        ("nbinom", [0, 2, 3, 7, 30, 31, 200]),
        ("geom", [1, 2, 9, 10, 11, 60]),
        ("zipf", [1, 2, 3, 50, 10_000]),
        ("logser", [1, 2, 4, 8, 16]),
        ("poisson", [30, 31]),  # every cell's upper end above the median but the last
        ("poisson", [0]),  # one cell: all the mass
    ],
)
def test_g_test_cells_are_the_models_masses_between_the_observed_values(rng, name, values):
    """Each cell [v_j, v_{j+1} - 1] gets the model's mass there (tails to the end cells), to 1e-12."""
    from klmodels.paired import _cell_probabilities

    values = np.asarray(values, dtype=float)
    data = np.repeat(values, rng.integers(1, 5, values.size))
    fit = klm.fit(data, name) if name != "poisson" or values.size > 1 else klm.fit([0, 1, 1], name)
    dist = getattr(stats, name)(**dict(fit.all_params))
    upper = np.append(values[1:] - 1, np.inf)
    lower_cdf = np.concatenate(([0.0], dist.cdf(upper[:-1])))
    expected = np.where(
        dist.cdf(upper) <= 0.5,
        dist.cdf(upper) - lower_cdf,
        np.concatenate(([1.0], dist.sf(upper[:-1]))) - dist.sf(upper),
    )
    masses = _cell_probabilities(fit, values)
    np.testing.assert_allclose(masses, expected, rtol=1e-12, atol=1e-300)
    assert masses.sum() == pytest.approx(1.0, rel=1e-12)


def test_g_test_rejects_a_wrong_model_and_accepts_the_right_one(rng):
    x = rng.negative_binomial(2, 0.3, 2000)
    assert klm.g_test(klm.fit(x, "poisson")).p_value < 1e-10
    assert klm.g_test(klm.fit(x, "nbinom")).p_value > 0.001


def test_compare_reports_paired_errors_vuong_and_g(rng):
    x = rng.negative_binomial(3, 0.4, 800)
    table = klm.compare(x, ["nbinom", "poisson", "geom"], support=(0, None))
    best = table.index[0]
    assert best == "nbinom"
    assert table.loc[best, "dkl_bits"] == 0.0 and table.loc[best, "dkl_se_bits"] == 0.0
    assert math.isnan(table.loc[best, "vuong_p"])
    assert table.loc["poisson", "dkl_bits"] > 5 * table.loc["poisson", "dkl_se_bits"]
    assert table.loc["poisson", "vuong_p"] < 1e-6
    assert table.loc["poisson", "g_p"] < 1e-6


# ---------------------------------------------------------------- bootstrap
def test_nonparametric_bootstrap_intervals_cover_the_truth_and_count_wins(rng):
    x = rng.gamma(2.5, 3.0, 400)
    result = klm.bootstrap(x, ["gamma", "lognorm"], n_boot=60, rng=7)
    ci = result.intervals.loc[("gamma", "a")]
    assert ci["lower"] < 2.5 < ci["upper"]
    assert ci["lower"] < ci["estimate"] < ci["upper"]
    assert ci["n_ok"] == 60
    assert result.wins.sum() == pytest.approx(1.0)
    assert result.wins["gamma"] > result.wins["lognorm"]
    assert set(result.replicates["quantity"]) == {"a", "scale", "s", "kl_bits"}


def test_bootstrap_is_reproducible_with_a_seed(rng):
    x = rng.poisson(3.0, 200)
    a = klm.bootstrap(x, ["poisson", "nbinom"], n_boot=20, rng=3)
    b = klm.bootstrap(x, ["poisson", "nbinom"], n_boot=20, rng=3)
    np.testing.assert_array_equal(a.replicates["value"], b.replicates["value"])


def test_parametric_bootstrap_standard_error_matches_theory(rng):
    x = rng.poisson(5.0, 500)
    result = klm.bootstrap(x, ["poisson"], n_boot=200, method="parametric", rng=11)
    se_theory = math.sqrt(x.mean() / 500)  # Var(mean) of a Poisson sample
    assert result.intervals.loc[("poisson", "mu"), "se"] == pytest.approx(se_theory, rel=0.2)
    assert result.wins["poisson"] == 1.0


def test_bootstrap_errors():
    with pytest.raises(klm.ParameterError, match="method must be"):
        klm.bootstrap([1, 2, 3], ["poisson"], method="jackknife")
    with pytest.raises(klm.ParameterError, match="n_boot"):
        klm.bootstrap([1, 2, 3], ["poisson"], n_boot=1)
    with pytest.raises(klm.ParameterError, match="needs n_obs="):
        klm.bootstrap([0, 1, 2], ["poisson"], weights=[0.2, 0.3, 0.5], n_boot=5)


def test_g_test_cells_of_a_broken_cdf_take_each_cells_own_side():
    """A cdf that is NaN at one end (a numerically broken family): the cells on either side of
    that end still get their masses, from the survival function where the cdf has none."""
    from types import SimpleNamespace

    from klmodels.paired import _cell_probabilities_from_tails

    dist = stats.poisson(10.0)
    ends = np.arange(0.0, 30.0)
    broken = 1

    def logcdf(x, params):
        out = dist.logcdf(x)
        return np.where(x == ends[broken], np.nan, out)

    family = SimpleNamespace(logcdf=logcdf, logsf=lambda x, params: dist.logsf(x))
    masses = _cell_probabilities_from_tails(family, {}, ends)
    expected = np.diff(np.concatenate(([0.0], dist.cdf(ends), [1.0])))
    np.testing.assert_allclose(masses, expected, rtol=1e-10)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("poisson", {"mu": 40.0}),
        ("nbinom", {"n": 2.5, "p": 0.05}),
        ("binom", {"n": 400.0, "p": 0.3}),
        ("geom", {"p": 0.02}),
        ("betabinom", {"n": 500.0, "a": 2.0, "b": 5.0}),
        ("logser", {"p": 0.97}),
    ],
)
def test_g_test_cells_without_a_bisection_equal_the_bisections(name, params, monkeypatch):
    """Few cells take the cdf and sf at every end (each cell on its own end's side); many take a
    bisection for the median's position and one function per end: the same masses."""
    from klmodels import paired

    family = klm.families[name]
    params = {**params, "loc": 0.0}
    ends = np.unique(np.round(np.linspace(1, 350, 300)))
    direct = paired._cell_probabilities_from_tails(family, params, ends)
    monkeypatch.setattr(paired, "_DIRECT_ENDS", 0)
    bisected = paired._cell_probabilities_from_tails(family, params, ends)
    np.testing.assert_array_equal(direct, bisected)
    assert direct.sum() == pytest.approx(1.0, rel=1e-12)
