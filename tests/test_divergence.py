"""KL between models: closed forms against numerical integration and Monte Carlo; data against models."""

from __future__ import annotations

import math

import pytest
from scipy import stats

import klmodels as klm

PAIRS = [
    (stats.norm(1, 2), stats.norm(0, 1)),
    (stats.lognorm(0.5, scale=2), stats.lognorm(0.8, scale=3)),
    (stats.expon(scale=2), stats.expon(scale=3)),
    (stats.expon(loc=1, scale=2), stats.expon(loc=0.5, scale=3)),
    (stats.gamma(2, scale=3), stats.gamma(3.5, scale=1.5)),
    (stats.beta(2, 3), stats.beta(1.5, 5)),
    (stats.uniform(0.2, 0.5), stats.uniform(0, 1)),
    (stats.laplace(1, 2), stats.laplace(0, 1)),
    (stats.poisson(3), stats.poisson(5)),
    (stats.binom(10, 0.3), stats.binom(10, 0.6)),
    (stats.bernoulli(0.2), stats.bernoulli(0.7)),
    (stats.geom(0.3), stats.geom(0.5)),
]
IDS = [f"{p.dist.name}-{i}" for i, (p, _) in enumerate(PAIRS)]


@pytest.mark.parametrize(("p", "q"), PAIRS, ids=IDS)
def test_closed_form_equals_numerical_and_monte_carlo(p, q):
    closed = klm.model_kl(p, q, method="closed form")
    numerical = klm.model_kl(p, q, method="numerical")
    assert closed.method == "closed form" and numerical.method == "numerical"
    assert numerical.value == pytest.approx(closed.value, abs=1e-8)
    mc = klm.model_kl(p, q, method="monte carlo", rng=1, n_samples=100_000)
    assert abs(mc.value - closed.value) <= 5 * mc.se + 1e-12
    assert klm.kl_divergence(p, q) == closed.value


def test_closed_form_for_the_normal_by_hand():
    expected = math.log(1 / 2) + (4 + 1) / 2 - 0.5
    assert klm.model_kl(stats.norm(1, 2), stats.norm(0, 1), base=math.e).value == pytest.approx(
        expected
    )


def test_t_against_normal_integrates_on_the_value_scale():
    result = klm.model_kl(stats.t(3), stats.norm())
    cross = 0.5 * math.log(2 * math.pi) + 3 / 2  # E[x^2] = 3 under t(3)
    assert result.method == "numerical"
    assert result.value == pytest.approx((cross - stats.t(3).entropy()) / math.log(2), abs=1e-9)


def test_infinite_and_divergent_cases():
    assert klm.kl_divergence(stats.norm(), stats.uniform(-1, 2)) == math.inf
    assert klm.kl_divergence(stats.uniform(-1, 2), stats.norm()) < math.inf
    assert klm.kl_divergence(stats.poisson(3), stats.binom(5, 0.5)) == math.inf
    with pytest.raises(klm.ConvergenceError, match="probably infinite"):
        klm.model_kl(stats.cauchy(), stats.norm())


def test_kl_between_fits_and_with_observations(rng):
    x = rng.gamma(2.0, 2.0, 500)
    gamma, lognorm = klm.fit(x, "gamma"), klm.fit(x, "lognorm")
    assert klm.kl_divergence(gamma, gamma) == 0.0
    assert klm.kl_divergence(gamma, lognorm) > 0
    assert klm.kl_divergence(gamma, lognorm) != pytest.approx(
        klm.kl_divergence(lognorm, gamma), rel=0.01
    )
    obs = klm.Observations.from_data(x)
    assert klm.kl_divergence(obs, gamma) == pytest.approx(gamma.kl_bits, rel=1e-12)


def test_model_entropy_is_scipys():
    assert klm.entropy(stats.norm(0, 2), base=math.e) == pytest.approx(stats.norm(0, 2).entropy())


def test_bad_model_pairs():
    with pytest.raises(klm.ParameterError, match="discrete and a continuous"):
        klm.model_kl(stats.poisson(3), stats.norm(3, 1))
    with pytest.raises(klm.ParameterError, match="no closed form for gamma against norm"):
        klm.model_kl(stats.gamma(2), stats.norm(2, 1), method="closed form")
    with pytest.raises(klm.ParameterError, match="method must be"):
        klm.model_kl(stats.norm(), stats.norm(), method="exact")
    with pytest.raises(klm.ParameterError, match="two distributions"):
        klm.kl_divergence([0.5, 0.5], stats.norm())
