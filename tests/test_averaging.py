"""table.average(): the compared models mixed by their Akaike weights, as a frozen distribution."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import klmodels as klm
from klmodels.mixture import mixture


@pytest.fixture(scope="module")
def table():
    x = stats.gamma(3.0, scale=2.0).rvs(400, random_state=np.random.default_rng(8))
    return klm.compare(x, ["gamma", "weibull_min", "lognorm", "expon"])


def test_the_average_is_the_weighted_mixture_of_the_rows(table):
    model = table.average()
    used = [label for label in table.index if table.loc[label, "weight"] > 0]
    assert model.used == tuple(used)
    w = table.loc[used, "weight"].to_numpy()
    w = w / w.sum()
    frozen = [table.fits[label].freeze() for label in used]
    x = np.linspace(0.1, 25, 60)
    np.testing.assert_allclose(
        model.pdf(x), sum(wk * f.pdf(x) for wk, f in zip(w, frozen, strict=True)), rtol=1e-12
    )
    np.testing.assert_allclose(
        model.cdf(x), sum(wk * f.cdf(x) for wk, f in zip(w, frozen, strict=True)), rtol=1e-12
    )
    np.testing.assert_allclose(
        model.sf(x), sum(wk * f.sf(x) for wk, f in zip(w, frozen, strict=True)), rtol=1e-12
    )
    assert model.mean() == pytest.approx(
        sum(wk * f.mean() for wk, f in zip(w, frozen, strict=True)), rel=1e-12
    )
    second = sum(wk * (f.var() + f.mean() ** 2) for wk, f in zip(w, frozen, strict=True))
    assert model.var() == pytest.approx(second - model.mean() ** 2, rel=1e-10)
    q = np.array([0.001, 0.05, 0.5, 0.95, 0.999])
    np.testing.assert_allclose(model.cdf(model.ppf(q)), q, rtol=1e-10)
    np.testing.assert_allclose(model.sf(model.isf(q)), q, rtol=1e-9)
    low, high = model.interval(0.9)
    assert model.cdf(low) == pytest.approx(0.05) and model.cdf(high) == pytest.approx(0.95)
    draws = model.rvs(size=20_000, random_state=3)
    assert stats.kstest(draws, model.cdf).pvalue > 0.01
    assert model.mixing_weights.sum() == pytest.approx(1.0)


def test_the_average_goes_where_frozen_models_go(table):
    model = table.average()
    other = table.fits["expon"].freeze()
    kl = klm.model_kl(model, other)
    assert kl.method == "numerical" and kl.value > 0.05
    monte_carlo = klm.model_kl(model, other, method="monte carlo", n_samples=200_000, rng=1)
    assert kl.value == pytest.approx(monte_carlo.value, abs=4 * monte_carlo.se + 1e-4)


def test_discrete_tables_average_to_a_pmf():
    worms = pd.read_csv("data/toxocara_number.csv")["number"]
    table = klm.compare(worms, ["nbinom", "geom", "logser"], support=(0, None))
    model = table.average()
    k = np.arange(0, 80)
    w = table.loc[list(model.used), "weight"].to_numpy()
    expected = sum(
        wk / w.sum() * table.fits[label].freeze().pmf(k)
        for wk, label in zip(w, model.used, strict=False)
    )
    np.testing.assert_allclose(model.pmf(k), expected, rtol=1e-12)
    median = model.ppf(0.5)
    assert model.cdf(median) >= 0.5 > model.cdf(median - 1)


def test_tables_without_weights_say_so():
    x = stats.norm.rvs(size=200, random_state=1)
    with pytest.raises(klm.ParameterError, match="no Akaike weights"):
        klm.compare(x, ["norm", "logistic"], criterion="kl").average()
    with pytest.raises(ValueError, match="cannot mix discrete and continuous"):
        mixture([stats.norm(), stats.poisson(2)], [0.5, 0.5])
    with pytest.raises(ValueError, match="weights must be finite"):
        mixture([stats.norm(), stats.norm(1)], [0.5, -1.0])
    assert math.isfinite(mixture([stats.norm()], [1.0]).logpdf(40.0))  # log-sum-exp, no underflow


def test_bootstrap_quantiles_and_exceedance_include_the_averaged_model(table):
    x = table.fits["gamma"].observations.values
    families = ["gamma", "weibull_min", "lognorm", "expon"]
    result = klm.bootstrap(x, families, n_boot=40, rng=3, quantiles=[0.05, 0.5], exceedance=[12.0])
    intervals = result.intervals
    for label in families:
        frozen = table.fits[label].freeze()
        assert intervals.loc[(label, "q0.05"), "estimate"] == pytest.approx(
            frozen.ppf(0.05), rel=1e-9
        )
        assert intervals.loc[(label, "P(X>12)"), "estimate"] == pytest.approx(
            frozen.sf(12.0), rel=1e-9
        )
    average = table.average()
    row = intervals.loc[("average", "q0.5")]
    assert row["estimate"] == pytest.approx(average.ppf(0.5), rel=1e-9)
    assert row["lower"] <= row["estimate"] <= row["upper"] and row["n_ok"] == 40
    assert "average" not in result.wins.index and result.wins.sum() == pytest.approx(1.0)
    with pytest.raises(klm.ParameterError):
        klm.bootstrap(x, families, n_boot=5, quantiles=[1.5])


def test_censored_bootstrap_quantiles_use_every_resample():
    fish = pd.read_csv("data/smokedfish.csv")
    data = klm.censored(left=fish["left"], right=fish["right"])
    result = klm.bootstrap(data, ["lognorm", "fisk"], n_boot=12, rng=1, quantiles=[0.5])
    assert set(result.intervals["n_ok"]) == {12}
    assert ("average", "q0.5") in result.intervals.index
