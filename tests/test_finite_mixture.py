"""Finite mixtures fitted by EM, against hand-written EM, direct maximisation and known truths."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, special, stats

import klmodels as klm
from klmodels.family.registry import Mixture


def _two_normals(rng, n=1500):
    return np.concatenate(
        [rng.normal(0.0, 1.0, int(0.6 * n)), rng.normal(4.0, 0.7, n - int(0.6 * n))]
    )


def _normal_mixture_loglik(x, loc1, scale1, loc2, scale2, w1):
    return float(
        special.logsumexp(
            [np.log(w1) + stats.norm.logpdf(x, loc1, scale1),
             np.log1p(-w1) + stats.norm.logpdf(x, loc2, scale2)], axis=0
        ).sum()
    )  # fmt: skip


def _hand_em_normals(x, loc, scale, w, iterations=5000):
    """Textbook EM for two normals (closed-form M-step), written independently of klmodels."""
    loc, scale, w = np.array(loc, float), np.array(scale, float), np.array(w, float)
    for _ in range(iterations):
        dens = w[:, None] * stats.norm.pdf(x[None, :], loc[:, None], scale[:, None])
        r = dens / dens.sum(axis=0)
        nk = r.sum(axis=1)
        loc = (r @ x) / nk
        scale = np.sqrt((r * (x[None, :] - loc[:, None]) ** 2).sum(axis=1) / nk)
        w = nk / x.size
    return loc, scale, w


def test_em_matches_a_hand_written_em_and_direct_maximisation(rng):
    x = _two_normals(rng)
    table = klm.compare(x, ["norm", "mix2:norm"])
    fit = table.fits["mix2:norm"]
    p = fit.params
    loc, scale, w = _hand_em_normals(x, [-1.0, 5.0], [1.0, 1.0], [0.5, 0.5])
    hand = _normal_mixture_loglik(x, loc[0], scale[0], loc[1], scale[1], w[0])
    assert table.loc["mix2:norm", "loglik"] == pytest.approx(hand, abs=1e-4)
    assert [p["loc_1"], p["loc_2"], p["w_1"]] == pytest.approx([loc[0], loc[1], w[0]], abs=1e-3)

    def negative(z):
        return -_normal_mixture_loglik(
            x, z[0], math.exp(z[1]), z[2], math.exp(z[3]), special.expit(z[4])
        )

    start = [
        p["loc_1"],
        math.log(p["scale_1"]),
        p["loc_2"],
        math.log(p["scale_2"]),
        special.logit(p["w_1"]),
    ]
    direct = optimize.minimize(negative, start, method="Nelder-Mead",
                               options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20_000})  # fmt: skip
    assert table.loc["mix2:norm", "loglik"] >= -direct.fun - 1e-4
    truth = _normal_mixture_loglik(x, 0.0, 1.0, 4.0, 0.7, 0.6)
    assert table.loc["mix2:norm", "loglik"] >= truth  # the MLE is at least the truth's likelihood


def test_parameters_are_recovered_ordered_by_location_and_counted_honestly(rng):
    x = np.concatenate([rng.normal(4.0, 0.7, 2000), rng.normal(0.0, 1.0, 3000)])  # high first
    table = klm.compare(x, ["mix2:norm", "mix3:norm", "mix:norm+gumbel_r"])
    p = table.fits["mix2:norm"].params
    assert p["loc_1"] < p["loc_2"]
    assert [p["loc_1"], p["scale_1"], p["loc_2"], p["scale_2"], p["w_1"]] == pytest.approx(
        [0.0, 1.0, 4.0, 0.7, 0.6], abs=0.08
    )
    assert table.loc["mix2:norm", "k"] == 5 and table.loc["mix3:norm", "k"] == 8
    assert table.loc["mix:norm+gumbel_r", "k"] == 5
    assert table.loc["mix3:norm", "loglik"] >= table.loc["mix2:norm", "loglik"] - 1e-3


def test_poisson_mixture_matches_hand_written_em(rng):
    x = np.concatenate([rng.poisson(2.0, 700), rng.poisson(9.0, 300)])
    table = klm.compare(x, ["poisson", "mix2:poisson", "nbinom"])
    lam, w = np.array([1.0, 12.0]), np.array([0.5, 0.5])
    for _ in range(3000):
        dens = w[:, None] * stats.poisson.pmf(x[None, :], lam[:, None])
        r = dens / dens.sum(axis=0)
        lam, w = (r @ x) / r.sum(axis=1), r.sum(axis=1) / x.size
    hand = float(
        np.log((w[:, None] * stats.poisson.pmf(x[None, :], lam[:, None])).sum(axis=0)).sum()
    )
    assert table.loc["mix2:poisson", "loglik"] == pytest.approx(hand, abs=1e-5)
    p = table.fits["mix2:poisson"].params
    assert [p["mu_1"], p["mu_2"]] == pytest.approx(sorted(lam), rel=1e-3)
    assert table.index[0] == "mix2:poisson"
    assert table.loc["mix2:poisson", "kl_bits"] >= 0


@pytest.mark.parametrize("seed", range(6))
def test_a_mixture_never_wins_by_bic_on_data_from_one_component_family(seed):
    rng = np.random.default_rng(seed)
    continuous = klm.compare(rng.normal(3.0, 2.0, 400), ["norm", "mix2:norm"], criterion="bic")
    assert continuous.index[0] == "norm"
    counts = klm.compare(rng.poisson(3.0, 400), ["poisson", "mix2:poisson"], criterion="bic")
    assert counts.index[0] == "poisson"


def test_a_collapsing_component_is_reported_never_ranked():
    x = np.repeat([1.0, 2.0], 40)  # two values: a component can sit on each with spread 0
    table = klm.compare(x, ["norm", "mix2:norm"])
    assert "collapsed" in table.loc["mix2:norm", "note"]
    assert np.isnan(table.loc["mix2:norm", "loglik"])
    assert table.index[0] == "norm"


def test_names_parse_and_bad_mixtures_are_clear_errors():
    from klmodels.family.registry import default_registry, resolve

    assert resolve("mix4:t", default_registry).name == "mix4:t"
    assert len(resolve("mix2:t", default_registry).parameters) == 7  # 2 x (df, loc, scale) + w_1
    assert Mixture(["norm", "gamma"]).name == "mix:norm+gamma"
    with pytest.raises(klm.ParameterError, match="k >= 2"):
        Mixture("norm", 1)
    with pytest.raises(klm.ParameterError, match="all be discrete or all continuous"):
        Mixture(["norm", "poisson"])
    with pytest.raises(klm.UnknownFamilyError):
        klm.compare([1.0, 2.0, 3.0], ["mix2:nosuchfamily"])


def test_mixtures_work_with_the_rest_of_the_library(rng):
    x = _two_normals(rng, 600)
    table = klm.compare(x, ["norm", "mix2:norm", "mix2:gamma"])
    assert table.loc["mix2:norm", "dkl_se_bits"] > 0 or table.index[0] == "mix2:norm"
    assert table.loc["norm", "vuong_p"] < 0.01  # the mixture is really better
    fit = table.fits["mix2:norm"]
    frozen = fit.freeze()
    by_family = math.exp(fit.family.logcdf(np.array([2.0]), fit.all_params)[0])
    assert frozen.cdf(2.0) == pytest.approx(by_family, rel=1e-12)
    assert frozen.sf(2.0) == pytest.approx(
        math.exp(fit.family.logsf(np.array([2.0]), fit.all_params)[0])
    )
    single = table.fits["norm"].freeze()
    divergence = klm.model_kl(frozen, single)
    from scipy import integrate

    by_quadrature = integrate.quad(
        lambda t: frozen.pdf(t) * math.log2(frozen.pdf(t) / single.pdf(t)), -12, 14, limit=200
    )[0]
    assert divergence.value == pytest.approx(by_quadrature, rel=1e-3, abs=divergence.se * 4)
    averaged = table.average()
    assert 0 < averaged.cdf(2.0) < 1
    boot = klm.bootstrap(x, ["norm", "mix2:norm"], n_boot=8, rng=1)
    assert boot.wins["mix2:norm"] == 1.0
    w_row = boot.intervals.loc[("mix2:norm", "w_1")]
    assert w_row["n_ok"] == 8 and w_row["lower"] < 0.6 < w_row["upper"]


def test_mixtures_fit_relative_frequencies_without_counting_observations(worm_pmf):
    table = klm.compare(worm_pmf.index.to_numpy(), ["mix2:poisson", "poisson"],
                        weights=worm_pmf.to_numpy(), support=(0, 10))  # fmt: skip
    assert table.index[0] == "mix2:poisson"  # shares: ranked by KL, no count to fail on
    assert table.loc["mix2:poisson", "kl_bits"] < table.loc["poisson", "kl_bits"]
    assert "observations" not in table.loc["mix2:poisson", "note"]
