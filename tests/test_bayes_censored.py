"""The Bayesian view of censored and truncated data: PyTensor likelihoods against scipy's."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import klmodels as klm
from klmodels.censored import contributions

pytest.importorskip("arviz")  # the test extra installs klmodels[bayes]; CI never skips
pytestmark = pytest.mark.bayes
pm = pytest.importorskip("pymc")
pytensor = pytest.importorskip("pytensor")
from klmodels import bayes  # noqa: E402

QUICK = {"draws": 200, "tune": 200, "chains": 2, "nuts_sampler": "pymc"}

# scipy's parameters for each family with a PyMC distribution (loc 0 where it has one)
PARAMETERS = {
    "bernoulli": {"p": 0.3}, "binom": {"n": 12, "p": 0.3}, "poisson": {"mu": 3.5},
    "geom": {"p": 0.3}, "nbinom": {"n": 2.5, "p": 0.4}, "norm": {"loc": 1.0, "scale": 2.0},
    "lognorm": {"s": 0.7, "scale": 2.0}, "expon": {"scale": 2.0}, "gamma": {"a": 2.5, "scale": 1.5},
    "weibull_min": {"c": 1.5, "scale": 2.0}, "t": {"df": 4.0, "loc": 1.0, "scale": 2.0},
    "logistic": {"loc": 1.0, "scale": 2.0}, "laplace": {"loc": 1.0, "scale": 2.0},
    "cauchy": {"loc": 1.0, "scale": 2.0}, "pareto": {"b": 2.5, "scale": 1.5},
    "invgauss": {"mu": 0.8, "scale": 2.0}, "invgamma": {"a": 3.0, "scale": 2.0},
    "gumbel_r": {"loc": 1.0, "scale": 2.0}, "halfnorm": {"scale": 2.0}, "chi2": {"df": 3.0},
    "lomax": {"c": 2.5, "scale": 2.0}, "rayleigh": {"scale": 2.0}, "fisk": {"c": 3.0, "scale": 2.0},
    "gumbel_l": {"loc": 1.0, "scale": 2.0}, "genpareto": {"c": -0.3, "scale": 2.0},
    "beta": {"a": 2.0, "b": 3.0}, "loggamma": {"c": 2.5, "loc": 1.0, "scale": 2.0},
    "genextreme": {"c": 0.3, "loc": 1.0, "scale": 2.0}, "weibull_max": {"c": 1.7, "scale": 2.0},
}  # fmt: skip


def test_every_distribution_with_a_log_cdf_is_checked_here():
    assert set(bayes.DISTRIBUTIONS) == set(PARAMETERS)


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_pytensor_log_density_cdf_and_survival_equal_scipys(name):
    params = PARAMETERS[name]
    frozen = getattr(stats, name)(**params)
    points = np.unique(frozen.ppf([1e-4, 0.1, 0.5, 0.9, 0.9999]))
    dist = bayes.DISTRIBUTIONS[name](params, points.shape)
    density = frozen.logpmf if hasattr(frozen, "logpmf") else frozen.logpdf
    terms = pytensor.function(
        [], [pm.logp(dist, points), pm.logcdf(dist, points), pm.logccdf(dist, points)]
    )()
    expected = [density(points), frozen.logcdf(points), frozen.logsf(points)]
    for got, want in zip(terms, expected, strict=True):
        finite = np.isfinite(want)  # the survival function is 0 at the top of bounded supports
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-6, atol=1e-9)
        assert np.all(got[~finite] == want[~finite])


def _mixed_weibull(rng, n=240):
    """Weibull times: exact, right-censored at 80%, interval [floor, floor + 1], left-censored."""
    x = stats.weibull_min(1.5, scale=2.0).rvs(n, random_state=rng)
    left, right = x.copy(), x.copy()
    u = rng.random(n)
    cut = u < 0.15
    left[cut], right[cut] = 0.8 * x[cut], np.inf
    boxed = (u >= 0.15) & (u < 0.35)  # includes intervals starting at 0
    left[boxed], right[boxed] = np.floor(x[boxed]), np.floor(x[boxed]) + 1
    below = (u >= 0.35) & (u < 0.45)
    left[below], right[below] = np.nan, np.ceil(x[below])
    return klm.censored(left=left, right=right)


def test_censored_weibull_loo_uses_each_observations_censored_likelihood(rng):
    data = _mixed_weibull(rng)
    result = bayes.compare(data, ["weibull_min", "expon", "skewnorm"], random_seed=4, **QUICK)
    table = result.table
    assert list(table.index[:2]) == ["weibull_min", "expon"]  # as the plug-in AICc ranks them
    assert "PyMC's SkewNormal has no log cdf" in table.loc["skewnorm", "note"]
    assert np.isnan(table.loc["skewnorm", "elpd"])
    # each draw's pointwise log-likelihood is klmodels' scipy-based contribution at that draw
    posterior = result.posteriors["weibull_min"]
    family, fixed = (
        result.plugin.fits["weibull_min"].family,
        result.plugin.fits["weibull_min"].fixed,
    )
    for chain, draw in [(0, 3), (1, 150)]:
        params = {
            **fixed,
            **{k: float(posterior["posterior"][k][chain, draw]) for k in ("c", "scale")},
        }
        expected = contributions(data, family, params)
        got = posterior["log_likelihood"]["y"].values[chain, draw]
        np.testing.assert_allclose(np.sort(got), np.sort(expected), rtol=1e-9, atol=1e-9)
    # ELPD = log-likelihood - effective parameters, roughly: LOO and the MLE agree
    fit = result.plugin.fits["weibull_min"]
    assert table.loc["weibull_min", "elpd"] == pytest.approx(fit.loglik - 2, abs=2.0)
    mean_c = float(posterior["posterior"]["c"].mean())
    assert mean_c == pytest.approx(fit.params["c"], rel=0.1)


def test_truncated_top_coded_counts_with_weights(rng):
    # zero-truncated Poisson counts, top-coded at "6 or more", given as distinct values with counts
    draws = stats.poisson(2.2).rvs(4000, random_state=rng)
    draws = draws[draws > 0][:300]
    values, counts = np.unique(np.minimum(draws, 6), return_counts=True)
    left = values.astype(float)
    right = np.where(values == 6, np.inf, values).astype(float)
    data = klm.censored(left=left, right=right, weights=counts, truncation=(1, None))
    result = bayes.compare(data, ["poisson", "geom"], random_seed=2, **QUICK)
    assert result.table.index[0] == "poisson"
    elpd = result.table.loc["poisson", "elpd"]
    fit = result.plugin.fits["poisson"]
    assert elpd == pytest.approx(fit.loglik - 1, abs=1.5)  # every one of the 300 counted
    posterior = result.posteriors["poisson"]
    mu = float(posterior["posterior"]["mu"][0, 10])
    expected = contributions(data, fit.family, {**fit.fixed, "mu": mu})
    got = posterior["log_likelihood"]["y"].values[0, 10]
    np.testing.assert_allclose(np.sort(got), np.sort(expected), rtol=1e-9, atol=1e-9)
    assert float(posterior["posterior"]["mu"].mean()) == pytest.approx(fit.params["mu"], rel=0.1)


def test_fractional_weights_are_refused():
    data = klm.censored(left=[1.0, 2.0, 3.0], right=[1.0, np.inf, 3.0], weights=[1.0, 0.5, 2.0])
    with pytest.raises(klm.ParameterError, match="whole numbers"):
        bayes.compare(data, ["expon"], random_seed=1, **QUICK)
