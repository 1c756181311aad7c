"""Zero-inflated and hurdle counts: hand-written likelihoods, closed forms and statsmodels as oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import optimize, special, stats

import klmodels as klm

RNG = np.random.default_rng(0)
N = 2_000
COUNTS = np.where(RNG.uniform(size=N) < 0.3, 0, RNG.poisson(3.0, N))


def test_zero_inflated_poisson_matches_the_hand_written_likelihood():
    def negative_loglik(theta):
        mu, pi = math.exp(theta[0]), 1 / (1 + math.exp(-theta[1]))
        p0 = pi + (1 - pi) * math.exp(-mu)
        positive = COUNTS[COUNTS > 0]
        return -((COUNTS == 0).sum() * math.log(p0)
                 + positive.size * math.log1p(-pi) + stats.poisson.logpmf(positive, mu).sum())  # fmt: skip

    best = optimize.minimize(negative_loglik, [1.0, 0.0], method="Nelder-Mead",
                             options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})  # fmt: skip
    fit = klm.fit(COUNTS, "zi_poisson")
    assert fit.loglik >= -best.fun - 1e-6
    assert fit.params["mu"] == pytest.approx(math.exp(best.x[0]), rel=1e-4)
    assert fit.params["pi"] == pytest.approx(1 / (1 + math.exp(-best.x[1])), rel=1e-4)
    assert fit.k == 2


def test_zero_inflated_poisson_equals_statsmodels():
    sm = pytest.importorskip("statsmodels.discrete.count_model")
    model = sm.ZeroInflatedPoisson(COUNTS, np.ones((N, 1)), exog_infl=np.ones((N, 1)))
    result = model.fit(disp=False, maxiter=200)
    assert klm.fit(COUNTS, "zi_poisson").loglik == pytest.approx(result.llf, abs=1e-4)


def test_the_hurdle_has_closed_form_zeros_and_a_zero_truncated_rest():
    fit = klm.fit(COUNTS, "hurdle_poisson")
    assert fit.params["pi"] == pytest.approx((COUNTS == 0).mean(), rel=1e-12)
    positive = COUNTS[COUNTS > 0]

    def truncated(mu):  # zero-truncated Poisson: the mean equation mu / (1 - e^-mu) = mean
        return mu / (1 - math.exp(-mu)) - positive.mean()

    assert fit.params["mu"] == pytest.approx(optimize.brentq(truncated, 1e-6, 50), rel=1e-6)
    model = fit.freeze()
    assert model.pmf(0) == pytest.approx(fit.params["pi"], rel=1e-9)
    assert model.pmf(np.arange(0, 40)).sum() == pytest.approx(1.0, abs=1e-9)


def test_the_zero_models_rank_and_say_when_there_is_no_inflation():
    table = klm.compare(COUNTS, ["poisson", "zi_poisson", "hurdle_poisson", "nbinom"])
    assert table.index[0] in ("zi_poisson", "hurdle_poisson")
    few_zeros = RNG.poisson(3.0, 1_500)
    few_zeros = np.where(
        (few_zeros == 0) & (np.arange(few_zeros.size) % 2 == 0), 1, few_zeros
    )  # fewer zeros than any Poisson
    fit = klm.fit(few_zeros, "zi_poisson")
    assert fit.params["pi"] == 0.0 and "inflation estimated at 0" in fit.note
    cdf = np.exp(klm.families["zi_poisson"].logcdf(np.arange(0, 30), dict(fit.all_params)))
    assert cdf[-1] == pytest.approx(1.0, abs=1e-9) and np.all(np.diff(cdf) >= -1e-15)
    assert "zi_geom" not in klm.compare(COUNTS).index  # opt-in: geom starts at 1


def test_vuong_cannot_separate_a_zero_inflation_estimated_at_zero_from_its_base(toxocara):
    # the inflated model's base parameters come from another optimiser: pointwise differences of
    # 1e-8 nats, whose tiny spread used to turn the parameter-count correction into z = -3e6
    inflated, plain = klm.fit(toxocara, "zi_nbinom"), klm.fit(toxocara, "nbinom")
    assert inflated.params["pi"] == 0
    test = klm.vuong(inflated, plain)
    assert test.z == 0 and test.p_value == 1 and test.preferred is None


def test_counts_from_zero_get_the_zero_models_by_default_and_a_needless_hurdle_says_so(rng):
    # Poisson(3) frequencies to the unit: exactly Poisson zeros, neither model is needed
    plain = np.repeat(
        np.arange(16), np.rint(2000 * stats.poisson.pmf(np.arange(16), 3.0)).astype(int)
    )
    table = klm.compare(plain)
    for name in ("zi_poisson", "hurdle_poisson", "zi_nbinom", "hurdle_nbinom"):
        assert name in table.index
    assert "zi_geom" not in table.index  # opt-in: scipy's geom starts at 1
    assert "indistinguishable from poisson" in table.loc["hurdle_poisson", "note"]
    assert klm.compare(plain + 1).index.str.startswith(("zi_", "hurdle_")).sum() == 0  # no zeros
    inflated = np.where(rng.random(plain.size) < 0.3, 0, plain)
    table = klm.compare(inflated)
    assert table.index[0] in ("zi_poisson", "hurdle_poisson")
    assert "indistinguishable" not in table.loc["hurdle_poisson", "note"]


def test_zero_inflated_binomial_with_known_n_matches_its_written_out_likelihood(rng):
    x = np.where(rng.random(800) < 0.25, 0, rng.binomial(10, 0.45, 800))
    table = klm.compare(x, ["binom", "zi_binom", "hurdle_binom"], support=(0, 10))
    assert table.loc["zi_binom", "fixed"] == {"n": 10}

    def negative(z):
        pi, p = special.expit(z)
        zero = np.log(pi + (1 - pi) * (1 - p) ** 10)
        return -float(np.where(x == 0, zero, np.log1p(-pi) + stats.binom.logpmf(x, 10, p)).sum())

    direct = optimize.minimize(negative, [0.0, 0.0], method="Nelder-Mead",
                               options={"xatol": 1e-10, "fatol": 1e-12})  # fmt: skip
    assert table.loc["zi_binom", "loglik"] >= -direct.fun - 1e-7
    assert [
        table.fits["zi_binom"].params["pi"],
        table.fits["zi_binom"].params["p"],
    ] == pytest.approx(special.expit(direct.x), abs=1e-5)
    assert table.index[-1] == "binom"


@pytest.mark.parametrize("name", ["zi_nbinom", "hurdle_nbinom"])
def test_the_subsample_stage_on_many_distinct_counts_reaches_the_one_stage_fit(name, monkeypatch):
    """Above 5,000 distinct counts a subsample's rough fit and Newton steps on all of them replace
    L-BFGS-B and Nelder-Mead on all of them: same parameters, same log-likelihood."""
    from klmodels.family import inflated

    rng = np.random.default_rng(2)
    x = rng.negative_binomial(1.5, 1.5 / (1.5 + 5_000), 60_000)
    x[:6_000] = 0
    assert np.unique(x).size > inflated._STAGE_DISTINCT
    staged = klm.fit(x, name)
    monkeypatch.setattr(inflated, "_STAGE_DISTINCT", 10**9)
    monkeypatch.setattr(inflated, "maximise_smooth", _nelder_mead_polished)
    one_stage = klm.fit(x, name)
    # Newton stops when its predicted gain is below 1e-10 nats per observation (measured: 3e-11)
    assert staged.loglik >= one_stage.loglik - 1e-10 * x.size
    for key, value in one_stage.params.items():  # a flat optimum: 1e-4 is 1/1000 of n's SE here
        assert staged.params[key] == pytest.approx(value, rel=1e-4)


def _nelder_mead_polished(objective, domains, start, *, what, rough=None):
    from klmodels.optimize import maximise

    return maximise(objective, domains, start, what=what, polish=True)


def test_a_hurdle_without_zeros_is_its_zero_truncated_base_and_never_beats_the_data():
    """pi = 0 (no zeros observed): the frozen model is the zero-truncated base, not the base; and a
    rate near 0 on data of 0s and 1s keeps kl >= 0 (1 - exp(-mu) is computed without cancellation)."""
    values = np.arange(11)
    weights = np.array([0, 3, 5, 8, 9, 7, 5, 3, 2, 1, 1], dtype=float)
    fit = klm.fit(values, "hurdle_poisson", weights=weights)
    assert fit.params["pi"] == 0.0
    frozen = fit.freeze()
    assert frozen.pmf(0) == 0.0
    np.testing.assert_allclose(
        np.log(frozen.pmf(values[1:])), fit.logpdf(values[1:].astype(float)), rtol=1e-10
    )
    assert fit.loglik == pytest.approx(
        float(np.dot(weights, frozen.logpmf(values).clip(-1e300))), rel=1e-10
    )
    zeros_and_ones = np.array([True, False, True, True, False, True, True, True, False, True])
    table = klm.compare(zeros_and_ones)
    assert table["kl_bits"].min() > -1e-12
    near_zero_rate = table.fits["hurdle_poisson"]  # mu ~ 1e-16: P(0) = 1 - 1e-16 in the base
    frozen_loglik = float(np.sum(near_zero_rate.freeze().logpmf(zeros_and_ones.astype(float))))
    assert frozen_loglik == pytest.approx(near_zero_rate.loglik, rel=1e-12)


def test_hurdle_nbinom_at_its_log_series_limit_says_so():
    """Log-series counts above a hurdle: in some samples the positive part's n runs to 0 (the
    zero-truncated negative binomial(n, p) tends to the log-series with parameter 1 - p), which
    the row now says; an interior n, or n fixed by the user, does not get the note. Oracle for the
    limit: scipy's logser at 1 - p, and its best fit to the positive counts."""
    from scipy import optimize, stats

    rng = np.random.default_rng(6)
    x = np.where(rng.uniform(size=2000) < 0.3, 0, rng.logseries(0.8, 2000))
    fit = klm.fit(x, "hurdle_nbinom")
    n, p = fit.params["n"], fit.params["p"]
    assert n < 1e-6
    assert f"the log-series (logser, p={1 - p:.4g})" in fit.note
    positive = x[x > 0]
    here = (
        stats.nbinom.logpmf(positive, n, p) - np.log(-np.expm1(stats.nbinom.logpmf(0, n, p)))
    ).mean()
    assert here <= stats.logser.logpmf(positive, 1 - p).mean() + 1e-9  # the note's claim
    best = optimize.minimize_scalar(
        lambda q: -stats.logser.logpmf(positive, q).mean(), bounds=(0.01, 0.99),
        method="bounded", options={"xatol": 1e-12},
    )  # fmt: skip
    assert here <= -best.fun + 1e-9 and abs((1 - p) - best.x) < 1e-4
    outlier = np.append(np.random.default_rng(3).poisson(4, 3000), 10**9)
    assert "drifts to its limit as n -> 0" in klm.fit(outlier, "hurdle_nbinom").note
    # p fixed where the likelihood has a maximum at n > 0 (found by review: the note said it had none)
    assert "log-series" not in klm.fit(x, "hurdle_nbinom", p=0.2146).note
    assert "log-series" not in klm.fit(x, "hurdle_nbinom", n=0.005).note  # n not estimated
    y = np.where(rng.uniform(size=3000) < 0.3, 0, rng.negative_binomial(0.5, 0.2, 3000))
    assert "log-series" not in klm.fit(y, "hurdle_nbinom").note


@given(
    rate=st.floats(0.05, 40.0),
    inflation=st.floats(0.0, 0.9),
    size=st.integers(5, 400),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=60)
def test_the_poisson_zero_models_closed_forms_equal_the_numerical_profile(
    rate, inflation, size, seed
):
    """zi_poisson and hurdle_poisson by Lambert's W equal the general path (the numerical profile
    likelihood over the rate) in log-likelihood, to 1e-9 nats per count, on any counts with a
    positive mean above 1; with zeros too few for any inflation, pi = 0 at the Poisson's mean."""
    rng = np.random.default_rng(seed)
    x = np.where(rng.uniform(size=size) < inflation, 0, rng.poisson(rate, size))
    assume(x[x > 0].size and x[x > 0].mean() > 1 + 1e-6)
    for name in ("zi_poisson", "hurdle_poisson"):
        family = klm.families[name]
        closed = klm.fit(x, name)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(type(family), "_closed_form_rate", lambda *args: None)
            general = klm.fit(x, name)
        assert closed.loglik >= general.loglik - 1e-9 * size, name
        assert closed.loglik == pytest.approx(general.loglik, abs=1e-6 * size), name
        assert closed.params["pi"] == pytest.approx(general.params["pi"], abs=1e-3), name
    zi = klm.fit(x, "zi_poisson")
    mu, pi, zeros = zi.params["mu"], zi.params["pi"], (x == 0).mean()
    if pi == 0.0:
        assert mu == pytest.approx(x.mean(), rel=1e-12)
        assert zeros <= math.exp(-klm.fit(x, "hurdle_poisson").params["mu"]) + 1e-12
    else:  # the likelihood equations: the mean and the share of zeros are matched exactly
        assert (1 - pi) * mu == pytest.approx(x.mean(), rel=1e-12)
        assert pi + (1 - pi) * math.exp(-mu) == pytest.approx(zeros, rel=1e-12)


def test_the_zero_truncated_poisson_rate_solves_its_mean_equation_near_the_branch_point():
    """mu / (1 - e^-mu) = m, also where Lambert's W loses digits (m just above 1) and far out."""
    from klmodels.family.inflated import _zero_truncated_poisson_mu

    for m in (1 + 1e-8, 1 + 1e-6, 1.001, 1.5, 3.0, 30.0, 800.0, 1e6):
        mu = _zero_truncated_poisson_mu(m)
        assert mu / -math.expm1(-mu) == pytest.approx(m, rel=1e-14), m
        if m < 1.01:  # mu ~ 2 (m - 1) near the branch point
            assert mu == pytest.approx(2 * (m - 1), rel=5 * (m - 1) + 1e-12)
    assert _zero_truncated_poisson_mu(1.0) is None and _zero_truncated_poisson_mu(0.5) is None


def test_the_zero_models_check_the_counts_and_take_a_base_held_whole():
    """Counts beyond 2^53 are refused as by the base itself (the closed form skipped the check;
    review); with every base parameter held, pi alone is estimated in closed form (it raised
    ValueError from the optimiser, as did nbinom itself with n and p given)."""
    huge = np.array([0.0] * 3 + [1e16, 2e16, 3e16])
    for name in ("poisson", "zi_poisson", "hurdle_poisson"):
        with pytest.raises(klm.FitError, match="2\\*\\*53"):
            klm.fit(huge, name)
    p0 = stats.nbinom.pmf(0, 2.0, 0.4)
    zeros = (COUNTS == 0).mean()
    zi = klm.fit(COUNTS, "zi_nbinom", n=2.0, p=0.4)
    assert zi.params == pytest.approx({"pi": (zeros - p0) / (1 - p0)}, rel=1e-12)
    hurdle = klm.fit(COUNTS, "hurdle_nbinom", n=2.0, p=0.4)
    assert hurdle.params == pytest.approx({"pi": zeros}, rel=1e-12)
    positive = COUNTS[COUNTS > 0]
    written_out = (
        (COUNTS == 0).sum() * math.log(zeros)
        + positive.size * math.log1p(-zeros)
        + (stats.nbinom.logpmf(positive, 2.0, 0.4) - math.log1p(-p0)).sum()
    )
    assert zi.loglik == pytest.approx(written_out, rel=1e-12)
    assert hurdle.loglik == pytest.approx(written_out, rel=1e-12)
    assert klm.fit(COUNTS, "zi_poisson", mu=2.5).params["pi"] > 0
    plain = klm.fit(COUNTS, "nbinom", n=2.0, p=0.4)
    assert plain.loglik == pytest.approx(stats.nbinom.logpmf(COUNTS, 2.0, 0.4).sum(), rel=1e-12)
