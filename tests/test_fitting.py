"""Fit: immutability, the criteria against statsmodels and their formulas, fixed parameters, supports."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import klmodels as klm


def test_fit_is_immutable(worm_teeth_100):
    f = klm.fit(worm_teeth_100, "binom", n=10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.k = 3
    with pytest.raises(TypeError):
        f.params["p"] = 0.1


def test_issue_example_binomial_p(worm_teeth_100):
    f = klm.fit(worm_teeth_100, "binom", n=10)
    assert f.params == {"p": pytest.approx(0.544, abs=1e-12)}
    assert f.fixed == {"n": 10}
    assert f.all_params == {"n": 10, "p": pytest.approx(0.544), "loc": 0.0}
    assert f.freeze().args == () and f.freeze().kwds == {
        "n": 10,
        "p": pytest.approx(0.544),
        "loc": 0.0,
    }


def test_criteria_match_statsmodels_poisson(toxocara):
    sm = pytest.importorskip("statsmodels.api")
    y = toxocara.to_numpy()
    reference = sm.Poisson(y, np.ones((y.size, 1))).fit(disp=0)
    f = klm.fit(y, "poisson")
    assert f.loglik == pytest.approx(reference.llf, rel=1e-12)
    assert f.aic == pytest.approx(reference.aic, rel=1e-12)
    assert f.bic == pytest.approx(reference.bic, rel=1e-12)


def test_criteria_formulas(rng):
    x = rng.negative_binomial(3, 0.4, size=40)
    f = klm.fit(x, "nbinom")
    n, k, ll = 40, 2, f.loglik
    assert ll == pytest.approx(
        stats.nbinom.logpmf(x, f.params["n"], f.params["p"]).sum(), rel=1e-12
    )
    assert f.aic == pytest.approx(2 * k - 2 * ll)
    assert f.aicc == pytest.approx(2 * k - 2 * ll + 2 * k * (k + 1) / (n - k - 1))
    assert f.bic == pytest.approx(k * math.log(n) - 2 * ll)


def test_information_identities(rng):
    x = rng.poisson(3.0, size=500)
    f = klm.fit(x, "poisson")
    values, counts = np.unique(x, return_counts=True)
    p_hat = counts / counts.sum()
    q = stats.poisson.pmf(values, f.params["mu"])
    assert f.data_entropy_bits == pytest.approx(stats.entropy(p_hat, base=2), rel=1e-12)
    assert f.kl_bits == pytest.approx((p_hat * np.log2(p_hat / q)).sum(), rel=1e-10)
    assert f.cross_entropy_bits == pytest.approx(f.data_entropy_bits + f.kl_bits, rel=1e-12)
    assert f.loglik == pytest.approx(-500 * f.cross_entropy_bits * math.log(2), rel=1e-12)
    assert f.kl(base=math.e) == pytest.approx(f.kl_bits * math.log(2), rel=1e-12)


def test_pointwise_loglik_adds_up_to_the_total(rng):
    x = rng.geometric(0.3, size=200)
    f = klm.fit(x, "geom")
    loglik, weight = f.pointwise_loglik()
    assert f.n_obs * np.dot(weight, loglik) == pytest.approx(f.loglik, rel=1e-12)


def test_relative_frequencies_give_kl_but_no_criteria(worm_pmf):
    f = klm.fit(worm_pmf.index, "poisson", weights=worm_pmf)
    assert math.isfinite(f.kl_bits)
    assert all(math.isnan(v) for v in (f.loglik, f.aic, f.aicc, f.bic))
    assert "pass n_obs=" in f.note
    g = klm.fit(worm_pmf.index, "poisson", weights=worm_pmf, n_obs=100)
    assert g.kl_bits == f.kl_bits and math.isfinite(g.aicc)


def test_aicc_is_undefined_for_tiny_samples():
    f = klm.fit([0, 1, 9], "nbinom")
    assert math.isnan(f.aicc) and math.isfinite(f.aic)
    assert "AICc undefined: n_obs=3 <= k + 1 = 3" in f.note


def test_repr_shows_the_essentials(worm_teeth_100):
    text = repr(klm.fit(worm_teeth_100, "binom", n=10))
    assert text.startswith("<Fit binom: p=0.544; fixed n=10; k=1, n_obs=100, loglik=")
    assert "bits>" in text


@given(st.floats(0.05, 0.95), st.integers(5, 30))
def test_empirical_beats_every_family_on_kl(p, n):
    x = stats.binom.rvs(n, p, size=200, random_state=np.random.default_rng(n))
    empirical = klm.fit(x, "empirical")
    for family, fixed in (("binom", {"n": n}), ("poisson", {})):
        assert klm.fit(x, family, **fixed).kl_bits >= empirical.kl_bits == 0.0


# ---------------------------------------------------------------- fixed parameters and supports
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"q": 0.5},
            klm.ParameterError,
            "binom has no parameter 'q'; its parameters are n, p, loc",
        ),
        ({"n": 2.5}, klm.ParameterError, "binom: parameter n must be a whole number; got 2.5"),
        (
            {"n": 10, "p": 1.5},
            klm.ParameterError,
            "binom: parameter p=1.5 is outside its range [0, 1]",
        ),
        (
            {"n": 10, "support": (0, 12)},
            klm.ParameterError,
            "n=10 contradicts support=(0, 12), which implies n=12",
        ),
        ({"support": (0,)}, klm.ParameterError, "support must be a pair (low, high)"),
        ({"support": (0, 9.5)}, klm.ParameterError, "whole-number bounds"),
        ({"support": (5, 1)}, klm.ParameterError, "low <= high"),
        (
            {"support": (0, 5)},
            klm.DataError,
            "1 distinct values lie outside support=(0, 5) (e.g. 9)",
        ),
    ],
)
def test_bad_fixed_parameters_and_supports(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        klm.fit([1, 2, 9], "binom", **kwargs)


def test_support_with_open_upper_end():
    f = klm.fit([0, 1, 1, 3], "geom", support=(0, None))
    assert f.fixed == {"loc": -1}
    assert klm.fit([0, 1, 1, 3], "geom", support=(0, math.inf)).fixed == {"loc": -1}


def test_unknown_family_name():
    with pytest.raises(klm.UnknownFamilyError, match="Did you mean 'poisson'"):
        klm.fit([1, 2], "poison")


def test_candidates_must_be_models():
    with pytest.raises(klm.ParameterError, match="a candidate model must be a family name"):
        klm.fit([1, 2], 42)


def test_small_blas_runs_blas_on_one_thread_and_restores_it_each_time():
    """The thread pools are found once and limited on every entry; each exit restores them."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from klmodels.optimize import small_blas

    def blas_threads() -> list[int]:
        return [
            p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"
        ]

    before = blas_threads()
    assert before, "NumPy's BLAS is loaded"
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        outer = blas_threads()
        for _ in range(2):
            with small_blas():
                assert blas_threads() == [1] * len(before)
            assert blas_threads() == outer
    assert blas_threads() == before
