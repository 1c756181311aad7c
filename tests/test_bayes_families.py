"""Every curated family has a PyMC model: the densities written in PyTensor equal scipy's, and the
posterior of each new family on a large simulated sample sits at the maximum-likelihood fit."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import special, stats

import klmodels as klm

pytest.importorskip("arviz")  # the test extra installs klmodels[bayes]; CI never skips
pt = pytest.importorskip("pytensor.tensor")
from klmodels import bayes  # noqa: E402

QUICK = {"draws": 300, "tune": 300, "chains": 2, "nuts_sampler": "pymc"}


def _tensor(value):
    return pt.as_tensor(np.asarray(value, dtype="float64"))


def _evaluated(function, x, params):
    return function(_tensor(x), **{k: _tensor(v) for k, v in params.items()}).eval()


@pytest.mark.parametrize(
    ("density", "log_cdf", "frozen", "params"),
    [
        (bayes._loggamma, bayes._loggamma_logcdf, stats.loggamma(2.5, 1.0, 2.0),
         {"c": 2.5, "loc": 1.0, "scale": 2.0}),
        (bayes._genextreme, bayes._genextreme_logcdf, stats.genextreme(0.3, 1.0, 2.0),
         {"c": 0.3, "loc": 1.0, "scale": 2.0}),
        (bayes._genextreme, bayes._genextreme_logcdf, stats.genextreme(-0.3, 1.0, 2.0),
         {"c": -0.3, "loc": 1.0, "scale": 2.0}),
        (bayes._genextreme, bayes._genextreme_logcdf, stats.genextreme(0.0, 1.0, 2.0),
         {"c": 0.0, "loc": 1.0, "scale": 2.0}),
        (bayes._weibull_max, bayes._weibull_max_logcdf, stats.weibull_max(1.7, scale=2.0),
         {"c": 1.7, "scale": 2.0}),
    ],
)  # fmt: skip
def test_pytensor_densities_and_log_cdfs_equal_scipys(density, log_cdf, frozen, params):
    x = frozen.rvs(25, random_state=np.random.default_rng(1))
    np.testing.assert_allclose(_evaluated(density, x, params), frozen.logpdf(x), rtol=1e-10)
    np.testing.assert_allclose(_evaluated(log_cdf, x, params), frozen.logcdf(x), rtol=1e-10)


def test_outside_the_support_the_density_is_minus_infinity_without_nan_gradients():
    c, loc, scale = _tensor(0.5), _tensor(0.0), _tensor(1.0)
    y = _tensor([-1.0, 1.0, 3.0])  # genextreme(0.5) ends at loc + scale / c = 2
    value = bayes._genextreme(y, c, loc, scale)
    assert np.isneginf(value.eval()[2]) and np.all(np.isfinite(value.eval()[:2]))
    gradient = pt.grad(pt.sum(value[:2]), c).eval()
    assert np.isfinite(gradient)
    shape = _tensor(1.5)
    outside = bayes._weibull_max(_tensor([-1.0, 0.5]), shape, _tensor(1.0))
    assert np.isneginf(outside.eval()[1])
    assert np.isfinite(pt.grad(outside[0], shape).eval())


def test_zeta_and_the_count_models_written_in_pytensor():
    for a in (1.01, 1.3, 2.0, 4.5, 25.0):
        assert float(bayes.zeta(_tensor(a)).eval()) == pytest.approx(special.zeta(a), rel=1e-13)
    k = np.arange(1.0, 30.0)
    np.testing.assert_allclose(_evaluated(bayes._zipf, k, {"a": 2.3}), stats.zipf(2.3).logpmf(k),
                               rtol=1e-12)  # fmt: skip
    counts = np.arange(0.0, 12.0)
    zi_geom = klm.families["zi_geom"].logpdf(counts, {"p": 0.3, "pi": 0.2})
    np.testing.assert_allclose(_evaluated(bayes._zero_geom, counts, {"p": 0.3, "pi": 0.2}), zi_geom)
    hurdle = klm.families["hurdle_binom"].logpdf(counts, {"n": 11, "p": 0.4, "pi": 0.1})
    np.testing.assert_allclose(
        _evaluated(bayes._hurdle_binom, counts, {"n": 11, "p": 0.4, "pi": 0.1}), hurdle, rtol=1e-12
    )


def test_every_curated_family_has_a_pymc_model():
    mixtures = {name for name in klm.families.to_frame().index if name.startswith("mix")}
    missing = [
        name
        for name in klm.families.to_frame().index
        if name not in bayes.BUILDERS and name not in mixtures and name != "empirical"
    ]
    assert missing == []  # mixtures are built from their components; "empirical" is saturated


@pytest.mark.parametrize(
    ("name", "frozen", "options"),
    [
        ("loggamma", stats.loggamma(2.0, loc=3.0, scale=1.5), {}),
        ("genextreme", stats.genextreme(0.2, loc=3.0, scale=1.5), {}),
        ("weibull_max", stats.weibull_max(2.0, scale=3.0), {}),
        ("uniform", stats.uniform(2.0, 5.0), {}),
        ("zipf", stats.zipf(2.4), {}),
        ("randint", stats.randint(3, 15), {}),
    ],
)
def test_the_posterior_of_each_new_family_sits_at_the_maximum_likelihood_fit(name, frozen, options):
    x = frozen.rvs(1_500, random_state=np.random.default_rng(7))
    result = bayes.compare(x, [name], random_seed=3, **QUICK, **options)
    row = result.table.loc[name]
    assert np.isfinite(row["elpd"]), row["note"]
    # a few divergences at a moving support end are expected; hundreds meant a wrong mode (genextreme
    # before its shape prior was bounded); short chains may leave R-hat above 1.01
    divergent = re.search(r"(\d+) divergent", row["note"])
    assert divergent is None or int(divergent.group(1)) <= 6, row["note"]
    fit = result.plugin.fits[name]
    posterior = result.posteriors[name].posterior
    for parameter, value in fit.params.items():
        mean = float(posterior[parameter].mean())
        sd = float(posterior[parameter].std())
        # within 3 posterior standard deviations, and within 5% where the posterior is wide
        assert abs(mean - value) <= max(3 * sd, 0.05 * abs(value) + 1e-9), (
            parameter,
            mean,
            value,
            sd,
        )
    # LOO per observation near minus the plug-in cross-entropy (AIC's view)
    assert row["elpd"] / x.size == pytest.approx(fit.loglik / x.size, abs=0.02)


def test_prior_draws_are_full_parameter_sets_and_follow_priors_given():
    x = np.random.default_rng(2).poisson(4.0, 200)
    sets = bayes.prior_draws(x, "poisson", draws=30, random_seed=1)
    assert len(sets) == 30 and all(s["loc"] == 0.0 and s["mu"] > 0 for s in sets)
    assert len({round(s["mu"], 12) for s in sets}) == 30  # draws, not one value
    narrow = {"poisson": {"mu": ("LogNormal", {"mu": np.log(4.0), "sigma": 0.01})}}
    tight = bayes.prior_draws(x, "poisson", draws=30, random_seed=1, priors=narrow)
    assert all(abs(s["mu"] - 4.0) < 0.2 for s in tight)
    lifetimes = stats.weibull_max(2.0, scale=3.0).rvs(100, random_state=np.random.default_rng(3))
    shifted = bayes.prior_draws(lifetimes, "weibull_max", draws=10, random_seed=1)
    assert all(set(s) == {"c", "loc", "scale"} and s["c"] > 0 and s["scale"] > 0 for s in shifted)


def test_plot_prior_predictive_draws_one_line_per_prior_draw():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from klmodels import plotting

    x = np.random.default_rng(4).gamma(2.0, 3.0, 150)
    ax = plotting.plot_prior_predictive(x, "gamma", draws=12, random_seed=0)
    grey = [
        line for line in ax.get_lines() if line.get_color() == "tab:gray" and len(line.get_xdata())
    ]
    assert len(grey) == 12
    assert "12 draws from the priors" in [t.get_text() for t in ax.get_legend().get_texts()]
    matplotlib.pyplot.close(ax.figure)


def test_values_with_high_pareto_k_are_refitted_and_their_loo_becomes_exact():
    """Poisson counts with an outlier and a conjugate gamma prior: exact LOO has a closed form (a
    negative binomial predictive), and the refitted row is closer to it than PSIS alone."""
    import arviz as az

    alpha, beta = 2.0, 0.5
    x = np.append(np.random.default_rng(5).poisson(3.0, 20), 22)
    priors = {"poisson": {"mu": ("Gamma", {"alpha": alpha, "beta": beta})}}
    result = bayes.compare(x, ["poisson"], priors=priors, draws=500, tune=500, chains=2,
                           random_seed=2, nuts_sampler="pymc")  # fmt: skip
    row = result.table.loc["poisson"]
    assert "1 value(s) with Pareto k" in row["note"] and "refitted" in row["note"]
    assert "Pareto distribution is greater" not in row["note"]  # the PSIS warning is remedied

    def exact_loo(i):
        rest = np.delete(x, i)
        a, b = alpha + rest.sum(), beta + rest.size
        return stats.nbinom.logpmf(x[i], a, b / (b + 1))

    exact = sum(exact_loo(i) for i in range(x.size))
    with pytest.warns(UserWarning, match="Pareto"):  # PSIS alone flags the outlier
        psis = az.loo(result.posteriors["poisson"], pointwise=True)  # over the distinct values
    _, counts = np.unique(x, return_counts=True)
    assert float(np.max(psis.pareto_k)) > psis.good_k  # the outlier was flagged
    psis_total = float(np.dot(counts, np.asarray(psis.elpd_i)))
    assert abs(row["elpd"] - exact) < 0.15
    assert abs(row["elpd"] - exact) < abs(psis_total - exact)


def test_the_gap_parametrisation_says_when_it_leaves_priors_unused():
    x = stats.uniform(2.0, 5.0).rvs(100, random_state=np.random.default_rng(1))
    fit = klm.fit(x, "uniform")
    asked = {"uniform": {"loc": ("Normal", {"mu": 0.0, "sigma": 1.0})}}
    built = bayes._family_model("uniform", fit, fit.observations, asked)
    assert "priors= not used for it" in " ".join(built.notes)
    assert "priors=" not in " ".join(
        bayes._family_model("uniform", fit, fit.observations, {}).notes
    )


def test_beyond_the_refit_budget_the_elpd_is_k_fold_cross_validation(monkeypatch):
    """With more flagged values than refits allowed, the row's ELPD is K-fold cross-validation:
    equal, within Monte Carlo error, to the closed form of the same folds (a Poisson with a
    conjugate gamma prior predicts a held-out count by a negative binomial)."""
    monkeypatch.setattr(bayes, "_MAX_REFITS", 0)  # the outlier alone exceeds the budget
    monkeypatch.setattr(bayes, "_FOLDS", 4)
    alpha, beta = 2.0, 0.5
    x = np.append(np.random.default_rng(5).poisson(3.0, 20), 22)
    priors = {"poisson": {"mu": ("Gamma", {"alpha": alpha, "beta": beta})}}
    result = bayes.compare(x, ["poisson"], priors=priors, draws=1000, tune=500,
                           chains=2, random_seed=2, nuts_sampler="pymc")  # fmt: skip
    row = result.table.loc["poisson"]
    assert "4-fold cross-validation instead of PSIS-LOO" in row["note"]
    assert "Pareto distribution is greater" not in row["note"]  # remedied, not only reported
    kfold = result.loo["poisson"]
    assert kfold.kind == "loo_kfold" and kfold.n_folds == 4 and kfold.n_data_points == x.size

    observations = np.sort(x)  # each distinct value's copies, in order: the folds' numbering
    folds = bayes._folds(x.size, 4, seed=2)
    exact = np.empty(x.size)
    for f in range(4):
        rest = observations[folds != f]
        a, b = alpha + rest.sum(), beta + rest.size
        exact[folds == f] = stats.nbinom.logpmf(observations[folds == f], a, b / (b + 1))
    ours = np.asarray(kfold.elpd_i)
    # the held-out outlier's predictive is a far-tail average over 2,000 draws: its Monte Carlo
    # error is about 0.3 nats; every other observation's is a few hundredths
    np.testing.assert_allclose(ours[:-1], exact[:-1], atol=0.06)
    assert ours[-1] == pytest.approx(exact[-1], abs=0.6)
    assert row["elpd"] == pytest.approx(exact.sum(), abs=0.7)
    assert row["se"] == pytest.approx(np.sqrt(x.size * exact.var(ddof=1)), rel=0.05)
    a, b = alpha + x.sum(), beta + x.size  # lppd: the full posterior's predictive
    lppd = stats.nbinom.logpmf(observations, a, b / (b + 1)).sum()
    assert row["p"] == pytest.approx(lppd - exact.sum(), abs=0.7)
