"""Plots draw the right data (checked on the artists), return their Axes, and never show anything."""

from __future__ import annotations

import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import klmodels as klm
from klmodels import plotting

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_fit_draws_the_observed_bars_and_each_model_pmf(worm_teeth_100):
    uniform = klm.fit(worm_teeth_100, "randint", support=(0, 10))
    binomial = klm.fit(worm_teeth_100, "binom", n=10)
    ax = plotting.plot_fit([uniform, binomial])
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, np.bincount(worm_teeth_100) / 100)
    lines = ax.get_lines()
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_ydata(), np.full(11, 1 / 11))
    np.testing.assert_allclose(lines[1].get_ydata(), stats.binom.pmf(np.arange(11), 10, 0.544))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "randint: KL 0.197 bits" in labels and "binom: KL 0.617 bits" in labels


def test_plot_fit_for_continuous_data_draws_a_density_histogram_and_pdfs(rng, tmp_path):
    x = rng.gamma(3.0, 2.0, 500)
    table = klm.compare(x, ["gamma", "lognorm", "norm", "expon"])
    ax = plotting.plot_fit(table)
    widths = np.array([p.get_width() for p in ax.patches])
    heights = np.array([p.get_height() for p in ax.patches])
    assert (widths * heights).sum() == pytest.approx(1.0)  # a density histogram
    assert len(ax.get_lines()) == 3  # the best three
    gamma_line = ax.get_lines()[0]
    best = table.fits[table.index[0]]
    np.testing.assert_allclose(gamma_line.get_ydata(), np.exp(best.logpdf(gamma_line.get_xdata())))
    ax.figure.savefig(tmp_path / "fit.png")
    assert (tmp_path / "fit.png").stat().st_size > 10_000


def test_information_loss_bars_are_the_kl_column_with_standard_errors(rng):
    x = rng.negative_binomial(3, 0.4, 500)
    table = klm.compare(x, ["nbinom", "poisson", "geom", "zipf"], support=(0, None))
    ax = plotting.plot_information_loss(table)
    widths = [p.get_width() for p in ax.patches]
    shown = table["kl_bits"].dropna()
    np.testing.assert_allclose(sorted(widths), sorted(shown))
    assert [t.get_text() for t in ax.get_yticklabels()] == list(shown.index)  # best at the top
    errorbars = next(
        c for c in ax.containers if isinstance(c, matplotlib.container.ErrorbarContainer)
    )
    segments = errorbars.lines[2][0].get_segments()
    half_widths = [(seg[1][0] - seg[0][0]) / 2 for seg in segments]
    np.testing.assert_allclose(half_widths, table.loc[shown.index, "dkl_se_bits"])


def test_kl_curve_has_its_minimum_at_the_maximum_likelihood_value(worm_teeth_100):
    ax = plotting.plot_kl_curve(worm_teeth_100, "binom", "p", np.linspace(0.3, 0.8, 101), n=10)
    curve, marker = ax.get_lines()[0], ax.get_lines()[2]
    x, y = curve.get_xdata(), curve.get_ydata()
    assert x[np.argmin(y)] == pytest.approx(0.544, abs=0.005)
    assert marker.get_xdata()[0] == pytest.approx(0.544)
    assert marker.get_ydata()[0] == pytest.approx(y.min(), abs=1e-3)


def test_qq_and_pp_plots_put_a_good_fit_on_the_diagonal(rng):
    f = klm.fit(rng.normal(5, 2, 2000), "norm")
    qq = plotting.plot_qq(f)
    theoretical, observed = qq.get_lines()[0].get_xdata(), qq.get_lines()[0].get_ydata()
    assert np.corrcoef(theoretical, observed)[0, 1] > 0.998
    pp = plotting.plot_pp(f)
    empirical, model = pp.get_lines()[0].get_xdata(), pp.get_lines()[0].get_ydata()
    assert np.max(np.abs(empirical - model)) < 0.05


def test_asymmetry_bars_add_up_to_both_directions(worm_pmf):
    uniform = pd.Series(1 / 11, index=worm_pmf.index)
    ax = plotting.plot_asymmetry(worm_pmf, uniform, labels=("data", "uniform"))
    forward = sum(p.get_height() for p in ax.containers[0])
    backward = sum(p.get_height() for p in ax.containers[1])
    assert forward == pytest.approx(klm.kl_divergence(worm_pmf, uniform))
    assert backward == pytest.approx(klm.kl_divergence(uniform, worm_pmf))


def test_comparison_draws_two_panels_on_given_axes(rng):
    table = klm.compare(rng.gamma(3.0, 2.0, 300), ["gamma", "lognorm"])
    _, axes = plt.subplots(1, 2)
    returned = plotting.plot_comparison(table, axes=axes)
    assert returned.shape == (2,) and returned[0] is axes[0]
    assert returned[0].get_title() == "Observed data and fitted models"


def test_accessor_plots(worm_teeth_100, worms):
    ax = worm_teeth_100.kl.plot("loss", support=(0, 10))
    assert ax.get_title() == "Information loss, best first"
    ax = worms.kl.plot("teeth", "fit", ["binom", "randint"], weights="share", support=(0, 10))
    assert len(ax.get_lines()) == 2
    assert worm_teeth_100.kl.plot("qq", ["poisson"]).get_title() == "Q-Q plot: poisson"
    with pytest.raises(klm.ParameterError, match="kind must be one of"):
        worm_teeth_100.kl.plot("pie")


def test_plots_never_show_or_clear(monkeypatch, worm_teeth_100):
    calls = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: calls.append("show"))
    monkeypatch.setattr(plt, "clf", lambda *a, **k: calls.append("clf"))
    plotting.plot_fit(klm.fit(worm_teeth_100, "poisson"))
    assert calls == []


def test_missing_matplotlib_names_the_extra(monkeypatch, worm_teeth_100):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(klm.MissingExtraError, match=r"pip install 'klmodels\[plot\]'"):
        plotting.plot_fit(klm.fit(worm_teeth_100, "poisson"))


def test_qq_and_pp_envelopes_hold_data_from_the_model_and_not_groundbeef():
    from klmodels.plotting import _order_statistics_at, _plotting_positions, _simulated_refits

    x = stats.norm(3.0, 2.0).rvs(300, random_state=np.random.default_rng(4))
    fit = klm.fit(x, "norm")
    values, positions = _plotting_positions(fit.observations)
    at = _order_statistics_at(positions, x.size)
    gaps = np.vstack([d[at] - r.ppf(positions) for d, r in _simulated_refits(fit, 99, 1)])
    low, high = np.quantile(gaps, [0.025, 0.975], axis=0)
    deviation = values - fit.freeze().ppf(positions)
    inside = np.mean((deviation >= low) & (deviation <= high))
    assert inside > 0.85  # pointwise 95% bands: most points of data from the model fall inside
    ax = klm.plotting.plot_qq(fit, envelope=20, rng=1)
    assert any("envelope" in str(c.get_label()) for c in ax.collections)
    ax = klm.plotting.plot_pp(fit, envelope=20, rng=1)
    assert any("envelope" in str(c.get_label()) for c in ax.collections)
    with pytest.raises(klm.ParameterError, match="raw observations"):
        klm.plotting.plot_qq(klm.fit([1, 2, 2, 3], "poisson"), envelope=5)
    plt.close("all")


def test_the_averaged_model_is_drawn_over_the_data_for_both_kinds():
    x = stats.gamma(3.0, scale=2.0).rvs(300, random_state=np.random.default_rng(2))
    table = klm.compare(x, ["gamma", "weibull_min", "lognorm"])
    density, cdf = klm.plotting.plot_average(table)
    labels = {line.get_label() for line in density.get_lines()}
    assert "average" in labels and any(label.startswith("gamma x ") for label in labels)
    assert {"average", "empirical"} <= {line.get_label() for line in cdf.get_lines()}
    counts = klm.compare(np.random.default_rng(3).poisson(4, 200), ["poisson", "nbinom"])
    density, _ = klm.plotting.plot_average(counts)
    assert "average" in {line.get_label() for line in density.get_lines()}
    plt.close("all")
