"""Discrete families: scipy as oracle for densities and fits, closed forms, published fits, failure reasons."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from scipy import special, stats

import klmodels as klm
from klmodels.family.discrete import discrete_families

# name, true scipy parameters, fixed parameters for the fit, scipy.stats.fit bounds
CASES = [
    ("bernoulli", {"p": 0.3}, {}, {"p": (0, 1), "loc": (0, 0)}),
    ("binom", {"n": 12, "p": 0.35}, {"n": 12}, {"n": (12, 12), "p": (0, 1), "loc": (0, 0)}),
    (
        "betabinom",
        {"n": 12, "a": 2.0, "b": 3.0},
        {"n": 12},
        {"n": (12, 12), "a": (0.01, 100), "b": (0.01, 100), "loc": (0, 0)},
    ),
    ("poisson", {"mu": 3.7}, {}, {"mu": (0, 50), "loc": (0, 0)}),
    ("geom", {"p": 0.25}, {}, {"p": (0, 1), "loc": (0, 0)}),
    ("nbinom", {"n": 3.0, "p": 0.4}, {}, {"n": (0.01, 100), "p": (0, 1), "loc": (0, 0)}),
    ("logser", {"p": 0.8}, {}, {"p": (0, 1), "loc": (0, 0)}),
    ("zipf", {"a": 2.2}, {}, {"a": (1, 20), "loc": (0, 0)}),
    ("zipfian", {"a": 1.3, "n": 30}, {"n": 30}, {"a": (0, 20), "n": (30, 30), "loc": (0, 0)}),
]
IDS = [c[0] for c in CASES]


def sample(name, params, size, rng):
    return getattr(stats, name).rvs(**params, size=size, random_state=rng)


@pytest.mark.parametrize(("name", "params", "fixed", "bounds"), CASES, ids=IDS)
def test_logpdf_is_scipys_logpmf(name, params, fixed, bounds, rng):
    family = klm.families[name]
    x = np.arange(-1, 40)
    expected = getattr(stats, name).logpmf(x, **params)
    if name == "zipfian":  # its own O(1) normaliser: equal to scipy's to the last bit or two
        np.testing.assert_allclose(family.logpdf(x, {**params, "loc": 0}), expected, rtol=4e-16)
    else:
        np.testing.assert_array_equal(family.logpdf(x, {**params, "loc": 0}), expected)


@pytest.mark.parametrize(("name", "params", "fixed", "bounds"), CASES, ids=IDS)
def test_fit_is_at_least_as_good_as_scipy_fit(name, params, fixed, bounds, rng):
    x = sample(name, params, 1500, rng)
    ours = klm.fit(x, name, **fixed)
    theirs = stats.fit(getattr(stats, name), x, bounds=bounds)
    scipy_loglik = getattr(stats, name).logpmf(x, *theirs.params).sum()
    assert ours.loglik >= scipy_loglik - 1e-9 * abs(scipy_loglik)
    # and our log-likelihood is the one the frozen model gives
    assert ours.loglik == pytest.approx(ours.freeze().logpmf(x).sum(), rel=1e-12)


@pytest.mark.parametrize(("name", "params", "fixed", "bounds"), CASES, ids=IDS)
def test_fit_is_a_local_maximum(name, params, fixed, bounds, rng):
    """No small step in any estimated parameter raises the log-likelihood (a second, independent check)."""
    x = sample(name, params, 1500, rng)
    f = klm.fit(x, name, **fixed)
    dist = getattr(stats, name)
    for key, value in f.params.items():
        if klm.families[name].parameter(key).integer:
            continue
        for step in (-1e-4, 1e-4):
            moved = {**f.all_params, key: value * (1 + step)}
            with np.errstate(all="ignore"):
                assert dist.logpmf(x, **moved).sum() <= f.loglik + 1e-9 * abs(f.loglik)


@pytest.mark.parametrize(("name", "params", "fixed", "bounds"), CASES, ids=IDS)
@pytest.mark.parametrize("scale", [0.6, 1.0])
def test_mle_recovers_the_true_parameters(name, params, fixed, bounds, scale, rng):
    true = {
        k: (v if k in fixed or (k == "n" and name == "binom") else v * scale)
        for k, v in params.items()
    }
    if name == "zipf":
        true["a"] = 1 + (params["a"] - 1) * scale + 0.3
    x = sample(name, true, 40_000, rng)
    f = klm.fit(x, name, **fixed)
    for key, value in f.params.items():
        assert value == pytest.approx(true[key], rel=0.08), key


def test_closed_forms(rng):
    x = rng.poisson(2.0, 300)
    assert klm.fit(x, "poisson").params["mu"] == pytest.approx(x.mean(), rel=1e-14)
    assert klm.fit(x + 1, "geom").params["p"] == pytest.approx(1 / (x + 1).mean(), rel=1e-14)
    assert klm.fit(x, "binom", n=20).params["p"] == pytest.approx(x.mean() / 20, rel=1e-14)
    b = rng.integers(0, 2, 50)
    assert klm.fit(b, "bernoulli").params["p"] == pytest.approx(b.mean(), rel=1e-14)


def test_logser_solves_its_mean_equation(rng):
    x = stats.logser.rvs(0.9, size=500, random_state=rng)
    p = klm.fit(x, "logser").params["p"]
    assert -p / ((1 - p) * math.log1p(-p)) == pytest.approx(x.mean(), rel=1e-12)


# ---------------------------------------------------------------- published and independent fits
def test_toxocara_matches_fitdistrplus(toxocara):
    """Delignette-Muller & Dutang (2015), fitdistrplus on data set toxocara."""
    poisson = klm.fit(toxocara, "poisson")
    assert poisson.params["mu"] == pytest.approx(8.679245, abs=5e-7)
    assert poisson.loglik == pytest.approx(-507.5334, abs=5e-4)
    assert (poisson.aic, poisson.bic) == (
        pytest.approx(1017.067, abs=5e-4),
        pytest.approx(1019.037, abs=5e-4),
    )
    nbinom = klm.fit(toxocara, "nbinom")
    n, p = nbinom.params["n"], nbinom.params["p"]
    assert n * (1 - p) / p == pytest.approx(8.6802520, rel=2e-4)  # R's optim stopped slightly short
    assert n == pytest.approx(0.3971457, rel=1e-3)
    assert nbinom.loglik == pytest.approx(-159.3441, abs=5e-4)
    assert (nbinom.aic, nbinom.bic) == (
        pytest.approx(322.6882, abs=5e-4),
        pytest.approx(326.6288, abs=5e-4),
    )
    published = stats.nbinom.logpmf(toxocara, 0.3971457, 0.3971457 / (0.3971457 + 8.6802520)).sum()
    assert nbinom.loglik >= published


def test_nbinom_matches_statsmodels(toxocara):
    sm = pytest.importorskip("statsmodels.api")
    y = toxocara.to_numpy()
    result = sm.NegativeBinomial(y, np.ones_like(y, dtype=float)).fit(disp=0, maxiter=500)
    ours = klm.fit(y, "nbinom")
    assert ours.loglik == pytest.approx(result.llf, abs=1e-6)
    alpha = result.params[-1]
    assert ours.params["n"] == pytest.approx(1 / alpha, rel=1e-4)


def test_binomial_n_is_the_exhaustive_profile_maximum(rng):
    x = rng.binomial(20, 0.4, size=3000)
    f = klm.fit(x, "binom")
    mean = x.mean()
    grid = np.arange(x.max(), 400)
    profile = [stats.binom.logpmf(x, n, mean / n).sum() for n in grid]
    assert f.params["n"] == grid[int(np.argmax(profile))]
    assert f.k == 2


def test_binomial_with_free_n_on_overdispersed_data_fails_with_the_reason(worm_teeth_100):
    with pytest.raises(
        klm.FitError, match=r"variance \(6\.326\) is not below its mean \(5\.44\).*support="
    ):
        klm.fit(worm_teeth_100, "binom")


def test_betabinomial_on_binomial_data_fails_towards_the_binomial_limit(rng):
    x = rng.binomial(10, 0.5, size=5000)
    x = x[(x > 2) & (x < 8)]  # under-dispersed
    with pytest.raises(klm.FitError, match="binomial limit"):
        klm.fit(x, "betabinom", n=10)


def test_nbinom_on_underdispersed_data_fails_towards_the_poisson_limit(rng):
    with pytest.raises(klm.FitError, match="Poisson limit"):
        klm.fit(rng.binomial(10, 0.5, 500), "nbinom")


def test_binomial_n_just_below_the_search_cap_is_found():
    """An n whose profile peaks just below the search's cap (10^7) is an estimate, not 'n exceeds
    the cap' (found by review of a shortcut that said so), and its log-likelihood is the maximum's.

    Oracle: the exact integer maximum from the increments f(n+1) - f(n) = sum ln(1 + k/(n+1-k))
    + N ln(1-p), which do not cancel (log pmfs at n = 10^7 carry about 4e-8 nats of rounding
    each, so the profile's own values cannot tell neighbours apart: the previous oracle, scipy's
    log pmfs at three neighbours, named n = 9,988,660, 16 below the true maximum)."""
    x = np.random.default_rng(0).binomial(9_990_000, 0.001, 2000).astype(float)
    fit = klm.fit(x, "binom", p=0.001)

    def increment(n: int) -> float:
        return float(np.sum(np.log1p(x / (n + 1 - x)))) + x.size * math.log1p(-0.001)

    low, high = int(x.max()), 10**7
    while high - low > 1:  # the first n where the profile stops rising
        middle = (low + high) // 2
        low, high = (middle, high) if increment(middle) > 0 else (low, middle)
    best, found = high, int(fit.params["n"])
    shortfall = abs(sum(increment(n) for n in range(min(best, found), max(best, found))))
    assert found < 10**7
    assert shortfall < 1e-3  # nats in all, against a standard error of n of about 2,000


def test_betabinomial_with_free_n_finds_n(rng):
    x = stats.betabinom.rvs(15, 3, 2, size=4000, random_state=rng)
    f = klm.fit(x, "betabinom")
    assert f.params["n"] == 15
    assert f.k == 3


def test_betabinomial_rising_to_its_negative_binomial_limit_says_so(rng):
    """Poisson counts and one far value: the profile over n rises to the cap (100 x the largest
    value) towards the negative binomial; the fit fails with that reason instead of reporting an
    n that is only the cap's neighbour, and a comparison keeps the row with it."""
    x = np.append(rng.poisson(4, 2000), 10**9)
    with pytest.raises(klm.FitError, match=r"keeps rising with n.*negative binomial.*nbinom"):
        klm.fit(x, "betabinom")
    table = klm.compare(x, ["betabinom", "nbinom"])
    assert "keeps rising" in table.loc["betabinom", "note"]
    assert np.isfinite(table.loc["nbinom", "loglik"])


@pytest.fixture(scope="module")
def many_counts():
    """100,000 negative-binomial counts with 25,000 distinct values, as distinct values and shares."""
    x = np.random.default_rng(1).negative_binomial(2, 20.0 / 100_000, 100_000)
    y, counts = np.unique(x, return_counts=True)
    return y.astype(float), counts / counts.sum()


def test_betabinomial_profile_from_a_poor_start_equals_the_fit_from_the_moments(many_counts):
    """Found in the n search: from the previous n's (a, b), Newton's 100 steps at twice the n
    ended short of the maximum (0.39 nats per observation low) and bent the search; now such a
    fit starts again from the moments."""
    y, prob = many_counts
    family = klm.families["betabinom"]
    n = 4_275_833.0
    from_moments = family._fit_ab(y, prob, n)
    from_previous = family._fit_ab(y, prob, n, (2.002854247604928, 436.4628342056514))
    assert from_previous[1] == pytest.approx(from_moments[1], abs=1e-12)
    assert from_previous[0]["b"] == pytest.approx(from_moments[0]["b"], rel=1e-8)


def test_betabinomial_profile_rounding_bound_covers_the_scatter(many_counts):
    """Adjacent n on a flat profile differ by rounding only: within the bound the search uses."""
    y, prob = many_counts
    family = klm.families["betabinom"]
    n0 = 3_831_853
    values = [family._fit_ab(y, prob, float(n))[1] for n in range(n0, n0 + 6)]
    bound = family.profile_rounding(y, prob, n0)
    assert 0 < max(values) - min(values) <= 2 * bound
    assert family.profile_rounding(y, prob, 100) < 1e-12  # small n: no visible rounding


def test_betabinomial_search_on_a_subsample_says_so_in_the_row(monkeypatch):
    """With more distinct values than the search's subsample, n is searched on the subsample and
    the fit's note says so (the note was made, then dropped before it reached the row)."""
    family = klm.families["betabinom"]
    x = stats.betabinom.rvs(5000, 3, 2, size=3000, random_state=np.random.default_rng(5))
    assert klm.fit(x, "betabinom").note == ""
    monkeypatch.setattr(type(family), "_SUBSAMPLE", 500)
    fit = klm.fit(x, "betabinom")
    assert "n searched on a subsample of 500 observations" in fit.note
    table = klm.compare(x, ["betabinom", "nbinom"])
    assert "n searched on a subsample" in table.loc["betabinom", "note"]


def _betabinomial_cases():
    """Count data of the kinds whose profile over n differs in shape: a peak near the largest value,
    a peak hundreds of values above it, under-dispersion (the binomial limit) and a flat rise."""
    out = {}
    for seed in range(3):
        r = np.random.default_rng(seed)
        out[f"betabinom(20, 2, 3) #{seed}"] = r.binomial(20, r.beta(2, 3, 3000))
        out[f"betabinom(500, 0.5, 4) #{seed}"] = r.binomial(500, r.beta(0.5, 4, 5000))
        out[f"poisson(7) #{seed}"] = r.poisson(7, 2000)
        out[f"binomial(30, 0.4) #{seed}"] = r.binomial(30, 0.4, 2000)
        out[f"nbinom(3, 0.2) #{seed}"] = r.negative_binomial(3, 0.2, 4000)
        out[f"betabinom(1e6, 5, 50) #{seed}"] = r.binomial(10**6, r.beta(5, 50, 3000))
    return out


BETABINOMIAL_CASES = _betabinomial_cases()


@pytest.mark.parametrize("case", list(BETABINOMIAL_CASES))
def test_betabinomial_n_search_by_slope_reaches_the_search_by_values(case):
    """The search over n by the profile's slope (about half the profile fits) reaches at least the
    maximum of the search by values alone (the golden section on the integers it replaced), to
    within the profile's rounding, or fails as that one does."""
    from klmodels.optimize import argmax_integer

    x = BETABINOMIAL_CASES[case]
    y, counts = np.unique(x, return_counts=True)
    y, prob = y.astype(float), counts / counts.sum()
    family = klm.families["betabinom"]
    low = int(y[-1])

    def by_values():
        n, value, at_cap = argmax_integer(
            lambda m: family._fit_ab(y, prob, float(m))[1],
            low,
            100 * low + 1000,
            flat=1e-10,
            noise=lambda m: family.profile_rounding(y, prob, m),
        )
        return None if at_cap or family._fit_ab(y, prob, float(n))[0] is None else (n, value)

    try:
        estimate = family._mle(y, prob, {}, {"n", "a", "b"})
    except klm.FitError:
        assert by_values() is None
        return
    reference = by_values()
    assert reference is not None
    n, a, b = (estimate[k] for k in ("n", "a", "b"))
    value = float(np.dot(prob, stats.betabinom.logpmf(y, n, a, b)))
    slack = 1e-10 * abs(value) + 2 * family.profile_rounding(y, prob, max(int(n), reference[0]))
    assert value >= reference[1] - slack


@pytest.mark.parametrize(
    ("x", "outcome"),
    [
        ([42, 47, 41, 47, 39, 38, 100], "keeps rising"),
        ([291, 286, 306, 304, 340, 319, 302, 252, 272, 300, 319, 343], -55.5368),
        ([3, 3, 3], "binomial limit"),
    ],
)
def test_betabinomial_search_past_a_dip_between_the_first_two_integers(x, outcome):
    """Found by review: n extended to the reals, the profile can dip between the largest value
    and the next integer (its slope negative at the largest value, the next integer higher and
    rising), where the search by slope stopped at once: n = max + 1, 2.4 nats below n = 11,000
    (first data) and 0.38 nats below n = 386 (second). And on constant data the binomial limit's
    slope, at p = 1, raised ValueError from math.log1p(-1)."""
    if isinstance(outcome, str):
        with pytest.raises(klm.FitError, match=outcome):
            klm.fit(x, "betabinom")
    else:
        fit = klm.fit(x, "betabinom")
        assert fit.params["n"] == 386
        assert fit.loglik == pytest.approx(outcome, abs=1e-4)


def test_betabinomial_n_search_equals_the_exhaustive_argmax():
    """On counts whose profile peaks a few hundred above the largest value, every n from the
    largest value to past the peak is fitted: the search lands on the best of them."""
    x = BETABINOMIAL_CASES["betabinom(500, 0.5, 4) #0"]
    y, counts = np.unique(x, return_counts=True)
    y, prob = y.astype(float), counts / counts.sum()
    family = klm.families["betabinom"]
    found = family._mle(y, prob, {}, {"n", "a", "b"})
    grid = np.arange(int(y[-1]), 2 * int(found["n"]) + 50)
    profile = [family._fit_ab(y, prob, float(n))[1] for n in grid]
    assert found["n"] == grid[int(np.argmax(profile))]


@pytest.mark.parametrize(
    "case", ["betabinom(500, 0.5, 4) #1", "binomial(30, 0.4) #0", "nbinom(3, 0.2) #2"]
)
def test_betabinomial_profile_slope_is_the_derivative_of_the_profile(case):
    """The envelope theorem's slope (the partial derivative in n at the inner maximum) equals a
    central difference of the profile itself, n extended to the reals, inside the beta-binomial
    and at its binomial limit (binomial counts, for n near the largest value)."""
    x = BETABINOMIAL_CASES[case]
    y, counts = np.unique(x, return_counts=True)
    y, prob = y.astype(float), counts / counts.sum()
    family = klm.families["betabinom"]
    kinds = set()
    for n in (float(y[-1]) + 3.5, 2.0 * y[-1] + 0.25, 50.0 * y[-1]):
        ab, _ = family._fit_ab(y, prob, n)
        kinds.add(ab is None)

        def central(h, n=n):
            return (family._fit_ab(y, prob, n + h)[1] - family._fit_ab(y, prob, n - h)[1]) / (2 * h)

        slope = family.profile_slope(y, prob, n, ab)
        if n < 10 * y[-1]:  # Richardson from h = n/1000: error O(h^4)
            difference = (4 * central(5e-4 * n) - central(1e-3 * n)) / 3
            assert slope == pytest.approx(difference, rel=1e-4)
        else:  # far out the profile is flat and its values round: a wider step
            assert slope == pytest.approx(central(1e-2 * n), rel=1e-3)
    if case.startswith("binomial"):
        assert True in kinds  # the binomial limit's slope was checked too


def test_digamma_difference_keeps_its_digits_where_the_digammas_do_not():
    """psi(x + d) - psi(x) against the sum of 1/(x + j), j < d, for whole d (math.fsum): 1e-15
    relative for x from 1 to 1e15, where subtracting scipy's two digammas keeps 1e-3 at x = 1e12."""
    from klmodels.family.discrete import digamma_difference

    for x in (1.0, 37.5, 9999.0, 1e4, 3e5, 1e9, 1e12, 1e15):
        for d in (1, 2, 7, 250, 3000):
            exact = math.fsum(1.0 / (x + j) for j in range(d))
            got = float(digamma_difference(np.array([x]), np.array([float(d)]))[0])
            assert got == pytest.approx(exact, rel=2e-12 if x < 1e4 else 1e-15), (x, d)
            down = float(digamma_difference(np.array([x + d]), np.array([-float(d)]))[0])
            assert down == pytest.approx(-exact, rel=2e-12 if x < 1e4 else 1e-15), (x, d)
    values = digamma_difference(np.array([5.0, 2e6]), np.array([0.5, 0.5]))
    assert values[0] == pytest.approx(special.digamma(5.5) - special.digamma(5.0), rel=1e-14)
    assert values[1] == pytest.approx(math.log1p(0.5 / 2e6), rel=1e-6)


# ---------------------------------------------------------------- supports and shifts
def test_support_shifts_families_that_start_at_one(worm_teeth_100):
    f = klm.fit(worm_teeth_100, "geom", support=(0, 10))
    assert f.fixed == {"loc": -1}
    x = worm_teeth_100.to_numpy()
    assert f.params["p"] == pytest.approx(1 / (x.mean() + 1))
    assert f.loglik == pytest.approx(stats.geom.logpmf(x, f.params["p"], loc=-1).sum())


def test_data_below_a_family_start_fail_with_advice(worm_teeth_100):
    message = "geom takes values from 1 up, but the data go down to 0. Pass support=(0, ...)"
    with pytest.raises(klm.FitError, match=re.escape(message)):
        klm.fit(worm_teeth_100, "geom")


def test_randint_bounds_are_fitted_or_fixed(worm_teeth_100):
    free = klm.fit(worm_teeth_100, "randint")
    assert free.params == {"low": 0, "high": 11} and free.k == 2
    fixed = klm.fit(worm_teeth_100, "randint", support=(0, 12))
    assert fixed.params == {} and fixed.k == 0 and fixed.fixed == {"low": 0, "high": 13}
    assert fixed.kl_bits > free.kl_bits


def test_zipfian_n_is_the_largest_value(rng):
    x = stats.zipfian.rvs(1.1, 40, size=2000, random_state=rng)
    assert klm.fit(x, "zipfian").params["n"] == x.max()


def test_discrete_families_reject_non_integers():
    with pytest.raises(klm.FitError, match="whole numbers"):
        klm.fit([0.5, 1.5], "poisson")


def test_bernoulli_support_must_have_two_values():
    with pytest.raises(klm.FitError, match="two outcomes"):
        klm.fit([0, 1, 5], "bernoulli", support=(0, 5))


def test_binomial_with_n_below_the_data_fails():
    with pytest.raises(klm.FitError, match=re.escape("cannot produce the data's largest value")):
        klm.fit([1, 2, 9], "binom", n=5)


# ---------------------------------------------------------------- the empirical reference
def test_empirical_is_the_saturated_model(worm_teeth_100):
    f = klm.fit(worm_teeth_100, "empirical")
    assert f.kl_bits == 0.0
    assert f.k == 10
    assert f.cross_entropy_bits == pytest.approx(stats.entropy(np.bincount(worm_teeth_100), base=2))
    frozen = f.freeze()
    np.testing.assert_allclose(frozen.pmf(np.arange(11)), np.bincount(worm_teeth_100) / 100)


def test_registry_order_and_kinds():
    names = [f.name for f in discrete_families()]
    assert names == [
        "randint",
        "bernoulli",
        "binom",
        "betabinom",
        "poisson",
        "geom",
        "nbinom",
        "logser",
        "zipf",
        "zipfian",
        "empirical",
    ]
    assert all(f.kind == "discrete" for f in discrete_families())


def test_the_empirical_shares_behave_as_the_dict_of_names_they_replace(tmp_path):
    """The empirical model's parameters are two arrays behind the ``p[<value>]`` mapping: the same
    names, order, look-ups and equality as the dict, immutable, picklable, and never expanded into
    one Python entry per value by a comparison."""
    import pickle

    from klmodels.family.discrete import ObservedFrequencies
    from klmodels.tablefile import read_frame, write_comparison

    x = np.array([0, 3, 3, 7, 7, 7, 12])
    fit = klm.fit(x, "empirical")
    shares = fit.params
    assert isinstance(shares, ObservedFrequencies)
    expected = {"p[0]": 1 / 7, "p[3]": 2 / 7, "p[7]": 3 / 7, "p[12]": 1 / 7}
    assert list(shares) == list(expected) and len(shares) == 4
    assert shares == expected and dict(shares) == pytest.approx(expected)
    assert shares["p[7]"] == pytest.approx(3 / 7)
    for missing in ("p[5]", "p[7.5]", "q[7]", "p[", 7):
        with pytest.raises(KeyError):
            shares[missing]
    assert "p[3]" in shares and "p[4]" not in shares and "p[3.0]" not in shares  # only its names
    assert list(shares.values()) == pytest.approx(list(expected.values()))  # Mapping's methods
    assert dict(shares.items()) == pytest.approx(expected)
    with pytest.raises((AttributeError, TypeError)):
        shares.points = np.zeros(4)
    with pytest.raises(ValueError):
        shares.shares[0] = 1.0  # read-only arrays
    assert pickle.loads(pickle.dumps(shares)) == shares
    assert fit.all_params is shares  # nothing else to merge
    np.testing.assert_allclose(fit.logpdf(np.array([3, 4])), [np.log(2 / 7), -np.inf])

    many = np.random.default_rng(0).negative_binomial(2, 2e-5, 200_000)  # ~100,000 distinct
    table = klm.compare(many, ["empirical", "nbinom"])
    cell = table.loc["empirical", "params"]
    assert isinstance(cell, ObservedFrequencies) and len(cell) == np.unique(many).size
    from klmodels.display import _params_text

    assert _params_text(cell).endswith(f"... ({len(cell) - 4} more)")  # shown by its first shares
    small = klm.compare(x, ["empirical", "poisson"])  # pandas' own exports write every share
    exported = json.loads(small.to_json(orient="index"))["empirical"]["params"]
    assert exported == pytest.approx(expected)
    csv_row = next(line for line in small.to_csv().splitlines() if line.startswith("empirical"))
    assert all(name in csv_row for name in expected)
    path = write_comparison(table, tmp_path / "t.json")
    assert read_frame(path).loc["empirical", "params"] == pytest.approx(dict(cell))


EDGE_VALUES = np.array(
    [-3, -1, 0, 1, 2, 2.5, 3, 7, 10, 11, 50, 1e6, 1e300, np.inf, -np.inf, np.nan]
)
EDGE_SHAPES = {
    "poisson": [{"mu": m} for m in (0, 1e-300, 0.5, 3, 1e6, -1, np.nan, np.inf)],
    "geom": [{"p": p} for p in (1e-300, 0.3, 1, 0, 1.5, np.nan)],
    "nbinom": [
        {"n": n, "p": p}
        for n in (1e-16, 0.5, 3, 1e10, 0, -1, np.inf, np.nan)
        for p in (1e-12, 0.3, 1, 0, 1.2)
    ],
    "binom": [{"n": n, "p": p} for n in (0, 10, 10.5, 1e7, -1, np.nan) for p in (0, 0.3, 1, 1.1)],
    "betabinom": [
        {"n": n, "a": a, "b": b}
        for n in (0, 10, 10.5, 1e7)
        for a in (1e-3, 2, 1e8, 0)
        for b in (0.5, 50, -1)
    ],
}


@pytest.mark.parametrize("name", list(EDGE_SHAPES))
def test_direct_log_pmf_formulas_equal_scipys_everywhere(name):
    """The log pmfs evaluated without scipy's per-call checks equal scipy's logpmf bit for bit at
    whole numbers, non-integers, both ends of the support, +-inf and NaN, for valid and invalid
    shapes (those go to scipy) and three shifts."""
    family = klm.families[name]
    for shapes in EDGE_SHAPES[name]:
        for loc in (0.0, 2.0, -1.0):
            ours = family.logpdf(EDGE_VALUES, {**shapes, "loc": loc})
            with np.errstate(all="ignore"):
                theirs = getattr(stats, name).logpmf(EDGE_VALUES, **shapes, loc=loc)
            np.testing.assert_array_equal(ours, theirs, err_msg=f"{name} {shapes} loc={loc}")


def test_direct_log_pmf_formulas_equal_scipys_at_random_shapes():
    """Bit for bit at 400 random shapes per family (NumPy's log, as scipy's: math.log differs
    in the last bit for about 0.3% of arguments)."""
    k = np.arange(0.0, 60.0)
    # shapes where math.log and NumPy's log differ in the last bit (found by review)
    for name, shapes in [
        ("geom", {"p": 0.9833347065534214}),
        ("nbinom", {"n": 2.5, "p": 0.4820070503608178}),
        ("betabinom", {"n": 9169.0, "a": 2.0, "b": 3.0}),
    ]:
        ours = klm.families[name].logpdf(k, {**shapes, "loc": 0.0})
        np.testing.assert_array_equal(ours, getattr(stats, name).logpmf(k, **shapes))
    rng = np.random.default_rng(12)
    for _ in range(400):
        p, n, a, b = rng.uniform(), rng.uniform(0.01, 50), rng.uniform(0.1, 9), rng.uniform(0.1, 9)
        trials = float(rng.integers(60, 10**6))
        for name, shapes in [
            ("geom", {"p": p}),
            ("nbinom", {"n": n, "p": p}),
            ("betabinom", {"n": trials, "a": a, "b": b}),
            ("binom", {"n": trials, "p": p}),
            ("poisson", {"mu": n}),
        ]:
            ours = klm.families[name].logpdf(k, {**shapes, "loc": 0.0})
            np.testing.assert_array_equal(ours, getattr(stats, name).logpmf(k, **shapes))
