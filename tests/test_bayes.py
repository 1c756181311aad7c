"""Bayesian comparison with real sampling (small draws, fixed seeds, PyMC's own NUTS)."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from scipy import stats

import klmodels as klm

az = pytest.importorskip("arviz")  # the test extra installs klmodels[bayes]; CI never skips
pytestmark = pytest.mark.bayes
pm = pytest.importorskip("pymc")
from klmodels import bayes  # noqa: E402

QUICK = {"draws": 200, "tune": 200, "chains": 2, "nuts_sampler": "pymc"}


@pytest.fixture(scope="module")
def worm_counts():
    share = np.array([0.02, 0.03, 0.05, 0.14, 0.16, 0.15, 0.12, 0.08, 0.10, 0.08, 0.07])
    return np.arange(11), np.rint(share * 300).astype(int)


@pytest.fixture(scope="module")
def worm_comparison(worm_counts):
    values, counts = worm_counts
    return bayes.compare(
        values,
        ["poisson", "binom", "randint", "empirical"],
        weights=counts,
        support=(0, 10),
        random_seed=7,
        **QUICK,
    )


def test_loo_on_counts_equals_loo_on_the_expanded_data_for_the_same_draws(
    worm_comparison, worm_counts
):
    values, counts = worm_counts
    posterior = worm_comparison.posteriors["poisson"]
    mu = np.asarray(posterior["posterior"]["mu"])  # (chain, draw)
    expanded = np.repeat(values, counts)
    loglik = stats.poisson.logpmf(expanded[None, None, :], mu[:, :, None])
    tree = az.from_dict({"posterior": {"mu": mu}, "log_likelihood": {"y": loglik}})
    direct = az.loo(tree, pointwise=True)
    row = worm_comparison.table.loc["poisson"]
    assert row["elpd"] == pytest.approx(direct.elpd, rel=1e-10)
    assert row["se"] == pytest.approx(direct.se, rel=1e-8)
    assert row["p"] == pytest.approx(direct.p, rel=1e-8)  # counted per observation, not per value


def test_the_counts_posterior_equals_the_expanded_posterior(worm_counts):
    """Sampling the expanded data gives the same ELPD within Monte Carlo error."""
    values, counts = worm_counts
    aggregated = bayes.compare(values, ["poisson"], weights=counts, random_seed=1, **QUICK)
    expanded = bayes.compare(np.repeat(values, counts), ["poisson"], random_seed=2, **QUICK)
    a, b = aggregated.table.loc["poisson", "elpd"], expanded.table.loc["poisson", "elpd"]
    assert a == pytest.approx(b, abs=0.5)  # LOO's Monte Carlo error is far below its se (~12)


def test_worm_table_columns_fixed_parameters_and_exact_rows(worm_comparison):
    table = worm_comparison.table
    for column in ("rank", "elpd", "se", "elpd_diff", "dse", "weight", "elpd_bits", "plugin_kl_bits",
                   "plugin_aicc_rank", "note"):  # fmt: skip
        assert column in table.columns
    assert table["weight"].sum() == pytest.approx(1.0)
    assert set(worm_comparison.posteriors["binom"]["posterior"].data_vars) == {
        "p"
    }  # n = 10 stays fixed
    assert "nothing to estimate" in table.loc["randint", "note"]
    assert table.loc["randint", "elpd"] == pytest.approx(
        worm_comparison.plugin.fits["randint"].loglik
    )
    # the saturated model loses nothing in sample; out of sample it pays for its 10 parameters
    assert table.index[0] in {"empirical", "poisson"}
    assert table.loc["binom", "rank"] == 3


def test_loo_and_aic_agree_and_elpd_per_observation_is_minus_the_cross_entropy(rng):
    x = rng.negative_binomial(3, 0.3, 400)
    result = bayes.compare(
        x, ["nbinom", "poisson", "geom"], support=(0, None), random_seed=11, **QUICK
    )
    table = result.table
    assert list(table.index) == list(result.plugin.index)  # the same ranking both ways
    for family in table.index:
        elpd_per_obs = table.loc[family, "elpd"] / 400
        cross_entropy_nats = result.plugin.loc[family, "cross_entropy_bits"] * math.log(2)
        assert elpd_per_obs == pytest.approx(-cross_entropy_nats, abs=table.loc[family, "se"] / 400)


def test_continuous_families_sample_with_their_scipy_parameters(rng):
    x = rng.gamma(2.5, 3.0, 300)
    result = bayes.compare(x, ["gamma", "lognorm", "norm"], random_seed=3, **QUICK)
    assert result.table.index[0] == "gamma"
    posterior = result.posteriors["gamma"]["posterior"]
    assert set(posterior.data_vars) == {"a", "scale"}
    mle = result.plugin.fits["gamma"].params
    assert float(posterior["a"].mean()) == pytest.approx(mle["a"], rel=0.15)
    assert float(posterior["scale"].mean()) == pytest.approx(mle["scale"], rel=0.15)


def test_priors_can_be_replaced(rng):
    x = rng.poisson(4.0, 30)
    strong = bayes.compare(x, ["poisson"], priors={"poisson": {"mu": ("Normal", {"mu": 20.0, "sigma": 0.1})}},
                           random_seed=5, **QUICK)  # fmt: skip
    assert float(strong.posteriors["poisson"]["posterior"]["mu"].mean()) > 15
    with pytest.raises(klm.ParameterError, match="PyMC has no distribution 'Normall'"):
        bayes.compare(
            x, ["poisson"], priors={"poisson": {"mu": ("Normall", {})}}, random_seed=5, **QUICK
        )


def test_families_without_a_pymc_model_keep_their_row_with_the_reason(rng):
    adhoc = klm.CustomFamily("adhoc", pmf=lambda x, p: np.where(x >= 6, p / 5, (1 - p) / 6),
                             parameters={"p": (0.0, 1.0)}, support=(0, 10))  # fmt: skip
    x = rng.integers(0, 11, 200)
    result = bayes.compare(
        x, ["poisson", "zipfian", adhoc], support=(0, 10), random_seed=9, **QUICK
    )
    assert "register_builder" in result.table.loc["adhoc", "note"]
    assert np.isnan(result.table.loc["adhoc", "elpd"])
    assert result.table.loc["zipfian", "elpd"] < 0  # zipfian is built as a PyMC CustomDist


def test_accessor_delegates(worm_counts):
    import pandas as pd

    values, counts = worm_counts
    frame = pd.DataFrame({"teeth": values, "n": counts})
    via_frame = frame.kl.bayes_compare("teeth", ["poisson"], weights="n", random_seed=4, **QUICK)
    direct = bayes.compare(values, ["poisson"], weights=counts, random_seed=4, **QUICK)
    assert via_frame.table.loc["poisson", "elpd"] == direct.table.loc["poisson", "elpd"]
    series = pd.Series(np.repeat(values, counts))
    assert series.kl.bayes_compare(["poisson"], random_seed=4, **QUICK).table.index[0] == "poisson"


def test_relative_frequencies_need_n_obs():
    with pytest.raises(klm.ParameterError, match="pass n_obs="):
        bayes.compare([0, 1, 2], ["poisson"], weights=[0.2, 0.3, 0.5])


def test_missing_extra_names_the_install_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymc", None)
    with pytest.raises(klm.MissingExtraError, match=r"pip install 'klmodels\[bayes\]'"):
        bayes.compare([1, 2, 3], ["poisson"])


def test_zero_inflated_counts_sample_with_pymcs_zero_inflated_and_hurdle_models(rng):
    # 30% structural zeros on top of Poisson(3) counts
    x = np.where(rng.random(400) < 0.3, 0, rng.poisson(3.0, 400))
    result = bayes.compare(x, ["poisson", "zi_poisson", "hurdle_poisson"], random_seed=3, **QUICK)
    table = result.table
    assert table.index[-1] == "poisson"  # LOO agrees with AICc: the zeros need their own part
    for family in ("zi_poisson", "hurdle_poisson"):
        mle = result.plugin.fits[family].params
        posterior = result.posteriors[family]["posterior"]
        assert float(posterior["pi"].mean()) == pytest.approx(mle["pi"], abs=0.05)
        assert float(posterior["mu"].mean()) == pytest.approx(mle["mu"], rel=0.1)
        elpd = table.loc[family, "elpd"]
        assert elpd == pytest.approx(result.plugin.fits[family].loglik - 2, abs=2.5)


def test_mixtures_sample_as_pymc_mixtures_with_ordered_components(rng):
    x = np.concatenate([rng.normal(0.0, 1.0, 180), rng.normal(5.0, 0.8, 120)])
    result = bayes.compare(x, ["norm", "mix2:norm"], random_seed=5, **QUICK)
    table = result.table
    assert table.index[0] == "mix2:norm"
    assert table.loc["mix2:norm", "elpd"] - table.loc["norm", "elpd"] > 20
    posterior = result.posteriors["mix2:norm"]["posterior"]
    mle = result.plugin.fits["mix2:norm"].params
    assert bool((posterior["loc_1"] < posterior["loc_2"]).all())  # no label switching
    for name in ("loc_1", "loc_2", "scale_1", "scale_2"):
        assert float(posterior[name].mean()) == pytest.approx(mle[name], abs=0.2)
    weights = posterior["weights"].mean(("chain", "draw")).values
    assert weights == pytest.approx([mle["w_1"], 1 - mle["w_1"]], abs=0.06)
