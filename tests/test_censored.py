"""Censored and truncated observations, against scipy's censored fits and hand-written likelihoods."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

import klmodels as klm
from klmodels.censored import _log_mass_between, contributions


@pytest.fixture(scope="module")
def failures():
    """Weibull lifetimes: 15% right-censored at a random inspection, 15% known to a unit interval."""
    rng = np.random.default_rng(7)
    n = 1_500
    x = stats.weibull_min(1.5, scale=10).rvs(n, random_state=rng)
    low, high = x.copy(), x.copy()
    u = rng.uniform(size=n)
    right, interval = u < 0.15, (u >= 0.15) & (u < 0.30)
    low[right] = rng.uniform(0, 1, n)[right] * x[right]
    high[right] = np.nan
    low[interval], high[interval] = np.floor(x[interval]), np.floor(x[interval]) + 1
    scipy_data = stats.CensoredData(
        uncensored=low[~right & ~interval],
        right=low[right],
        interval=np.column_stack([low[interval], high[interval]]),
    )
    return low, high, scipy_data


def _scipy_loglik(dist, params, low, high):
    f = dist(*params)
    exact = low == high
    right = np.isnan(high)
    inside = ~exact & ~right
    return (
        f.logpdf(low[exact]).sum()
        + f.logsf(low[right]).sum()
        + np.log(f.cdf(high[inside]) - f.cdf(low[inside])).sum()
    )


@pytest.mark.parametrize("name", ["weibull_min", "gamma", "lognorm", "expon"])
def test_never_below_scipys_censored_fit(failures, name):
    low, high, scipy_data = failures
    table = klm.compare(
        klm.censored(left=low, right=high), ["weibull_min", "gamma", "lognorm", "expon"]
    )
    dist = getattr(stats, name)
    params = dist.fit(scipy_data, floc=0)
    assert table.loc[name, "loglik"] >= _scipy_loglik(dist, params, low, high) - 1e-6
    # and the reported loglik is the likelihood at the reported parameters (hand-written)
    fit = table.fits[name]
    assert table.loc[name, "loglik"] == pytest.approx(
        _scipy_loglik(dist, (*fit.freeze().args,), low, high)
        if not fit.freeze().kwds
        else _scipy_loglik(lambda *a: fit.freeze(), (), low, high),
        rel=1e-10,
    )


def test_scipy_censored_data_and_bounds_give_the_same_table(failures):
    low, high, scipy_data = failures
    by_bounds = klm.compare(klm.censored(left=low, right=high), ["weibull_min", "gamma"])
    by_scipy = klm.compare(scipy_data, ["weibull_min", "gamma"])
    np.testing.assert_allclose(by_scipy["loglik"], by_bounds["loglik"], rtol=1e-9)
    right = int(np.isnan(high).sum())
    exact = int((low == high).sum())
    expected = {"exact": exact, "left": 0, "right": right, "interval": low.size - exact - right}
    assert by_bounds.attrs["censoring"] == expected


def test_the_paired_columns_follow_from_the_contributions(failures):
    low, high, _ = failures
    table = klm.compare(klm.censored(left=low, right=high), ["weibull_min", "gamma", "expon"])
    best = table.index[0]
    n = table.attrs["n_obs"]
    for label in table.index:
        expected = (table.loc[best, "loglik"] - table.loc[label, "loglik"]) / n / math.log(2)
        assert table.loc[label, "dkl_bits"] == pytest.approx(expected, abs=1e-12)
    assert table.loc[best, "dkl_bits"] == 0 and np.isnan(table.loc[best, "vuong_p"])
    assert table.loc["expon", "vuong_p"] < 1e-6 and table.loc["expon", "dkl_se_bits"] > 0
    assert table["weight"].sum() == pytest.approx(1.0)
    right = int(np.isnan(high).sum())
    interval = int((~np.isnan(high) & (low < high)).sum())
    assert f"censored: {right} right, {interval} interval" in table.header()


def test_top_coded_counts_against_a_hand_written_likelihood():
    """Counts recorded as "10 or more": P(X >= 10) = S(9) for the Poisson."""
    rng = np.random.default_rng(3)
    x = rng.poisson(6.0, 800).astype(float)
    top = x >= 10
    low, high = x.copy(), x.copy()
    low[top], high[top] = 10.0, np.nan
    fit = klm.fit_censored(klm.censored(left=low, right=high), klm.families["poisson"])

    def negative_loglik(mu):
        return -(stats.poisson.logpmf(x[~top], mu).sum() + top.sum() * stats.poisson.logsf(9, mu))

    best = optimize.minimize_scalar(
        negative_loglik, bounds=(1, 20), method="bounded", options={"xatol": 1e-10}
    )
    assert fit.params["mu"] == pytest.approx(best.x, rel=1e-6)
    assert fit.loglik == pytest.approx(-best.fun, rel=1e-10)


def test_detection_limits_match_scipys_left_censored_fit():
    rng = np.random.default_rng(11)
    x = stats.lognorm(0.8, scale=2.0).rvs(600, random_state=rng)
    limit = 1.0
    below = x < limit
    data = klm.censored(left=np.where(below, np.nan, x), right=np.where(below, limit, x))
    assert data.counts["left"] == below.sum()
    fit = klm.fit_censored(data, klm.families["lognorm"])
    params = stats.lognorm.fit(
        stats.CensoredData(uncensored=x[~below], left=np.full(below.sum(), limit)), floc=0
    )
    f = stats.lognorm(*params)
    scipy_ll = f.logpdf(x[~below]).sum() + below.sum() * f.logcdf(limit)
    assert fit.loglik >= scipy_ll - 1e-6
    assert fit.params["s"] == pytest.approx(params[0], rel=1e-3)


def test_truncation_renormalises_by_the_mass_inside():
    """Normal data seen only above 0: against the hand-written truncated likelihood."""
    rng = np.random.default_rng(5)
    x = stats.norm(1.0, 2.0).rvs(20_000, random_state=rng)
    x = x[x > 0][:1_500]
    table = klm.compare(x, ["norm", "logistic"], truncation=(0, None))
    fit = table.fits["norm"]

    def negative_loglik(theta):
        mu, log_sigma = theta
        sigma = math.exp(log_sigma)
        return -(stats.norm.logpdf(x, mu, sigma).sum() - x.size * stats.norm.logsf(0, mu, sigma))

    best = optimize.minimize(negative_loglik, [1.0, math.log(2.0)], method="Nelder-Mead",
                             options={"xatol": 1e-9, "fatol": 1e-10, "maxiter": 5_000})  # fmt: skip
    assert table.loc["norm", "loglik"] >= -best.fun - 1e-6
    assert fit.params["loc"] == pytest.approx(best.x[0], abs=2e-3)
    assert table.attrs["truncation"] == [0.0, None]
    untruncated = klm.compare(x, ["norm"])
    assert untruncated.loc["norm", "params"]["loc"] > fit.params["loc"] + 0.3  # truncation matters


def test_interval_mass_in_the_far_tail_is_computed_without_cancellation():
    norm = klm.families["norm"]
    params = {"loc": 0.0, "scale": 1.0}
    far = _log_mass_between(norm, params, np.array([10.0, -11.0]), np.array([11.0, -10.0]))
    expected = math.log(stats.norm.sf(10) - stats.norm.sf(11))
    np.testing.assert_allclose(far, [expected, expected], rtol=1e-12)
    data = klm.censored(left=[10.0, 0.0], right=[11.0, 0.0])
    assert np.all(np.isfinite(contributions(data, norm, params)))


def test_survival_data_are_right_censored_bounds():
    time = np.array([2.0, 3.5, 4.0, 7.0, 9.5])
    event = np.array([1, 0, 1, 1, 0])
    by_event = klm.censored(time=time, event=event)
    by_bounds = klm.censored(left=time, right=np.where(event == 1, time, np.nan))
    np.testing.assert_array_equal(by_event.right, by_bounds.right)
    np.testing.assert_array_equal(by_event.exact, [2.0, 4.0, 7.0])
    frame = pd.DataFrame({"time": time, "failed": event.astype(bool), "n": [1, 2, 1, 1, 3]})
    table = frame.kl.compare("time", ["expon", "weibull_min"], event="failed", weights="n")
    assert table.attrs["n_obs"] == 8 and table.attrs["censoring"]["right"] == 5
    bounds = pd.DataFrame({"low": time, "high": np.where(event == 1, time, np.nan)})
    same = bounds.kl.compare(families=["expon", "weibull_min"], left="low", right="high")
    assert same.attrs["censoring"]["right"] == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"left": [1.0, 3.0], "right": [2.0, 2.0]}, klm.DataError, "left > right"),
        ({"left": [np.nan, 1.0], "right": [np.nan, 1.0]}, klm.DataError, "NaN on both sides"),
        ({"left": [1.0, 2.0], "right": [1.0]}, klm.DataError, "one bound per observation"),
        (
            {"left": [1.0], "right": [1.0], "weights": [-1.0]},
            klm.DataError,
            "weights must be finite and >= 0",
        ),
        ({"time": [1.0, 2.0], "event": [1, 2]}, klm.DataError, "event must be 1/0 or True/False"),
        ({"left": [1.0], "right": [1.0], "truncation": (2.0, None)}, klm.DataError, "outside"),
        (
            {"left": [1.0], "right": [1.0], "truncation": (3.0, 2.0)},
            klm.ParameterError,
            "low < high",
        ),
        ({"left": [1.0]}, klm.ParameterError, "needs left= and right="),
        ({"time": [1.0], "left": [1.0]}, klm.ParameterError, "not both"),
    ],
)
def test_bad_censored_input_gets_a_clear_error(kwargs, error, match):
    with pytest.raises(error, match=match):
        klm.censored(**kwargs)


def test_families_that_cannot_fit_keep_their_row_and_the_callers_arrays_are_untouched(failures):
    low, high, _ = failures
    low_copy, high_copy = low.copy(), high.copy()
    table = klm.compare(klm.censored(left=low, right=high), ["weibull_min", "beta"])
    assert "fit failed" in table.loc["beta", "note"] and np.isnan(table.loc["beta", "loglik"])
    np.testing.assert_array_equal(low, low_copy)
    np.testing.assert_array_equal(high, high_copy)
    with pytest.raises(klm.ParameterError, match="bins= is for exact"):
        klm.compare(klm.censored(left=low, right=high), ["gamma"], bins=10)


def test_the_command_line_reads_bounds_and_survival_columns(tmp_path):
    import io

    from click.testing import CliRunner

    from klmodels.cli import run

    path = tmp_path / "failures.csv"
    path.write_text(
        "low,high,time,failed\n1.2,1.2,1.2,1\n2.0,,2.0,0\n3.1,3.1,3.1,1\n,0.5,0.5,1\n"
        "4.0,5.0,4.5,1\n6.5,6.5,6.5,1\n2.2,2.2,2.2,1\n7.0,,7.0,0\n"
    )

    def command(*args):
        with CliRunner().isolation() as (out, err, _):
            code = run([*args])
        return code, out.getvalue().decode(), err.getvalue().decode()

    code, out, _ = command(
        "compare",
        str(path),
        "--left",
        "low",
        "--right",
        "high",
        "-f",
        "expon,gamma",
        "--format",
        "csv",
    )
    assert code == 0
    table = pd.read_csv(io.StringIO(out), index_col="family")
    expected = klm.compare(
        klm.censored(
            left=[1.2, 2.0, 3.1, np.nan, 4.0, 6.5, 2.2, 7.0],
            right=[1.2, np.nan, 3.1, 0.5, 5.0, 6.5, 2.2, np.nan],
        ),
        ["expon", "gamma"],
    )
    np.testing.assert_allclose(table.loc[expected.index, "loglik"], expected["loglik"], rtol=1e-12)
    code, out, _ = command(
        "compare",
        str(path),
        "-c",
        "time",
        "--event",
        "failed",
        "-f",
        "expon",
        "--truncation",
        "0",
        "inf",
    )
    assert code == 0 and "censored: 2 right" in out
    code, _, err = command("compare", str(path), "--left", "low", "-f", "expon")
    assert code == 2 and "need --left and --right" in err


def test_select_returns_the_best_censored_fit_and_other_functions_say_where_censored_data_go(
    failures,
):
    low, high, _ = failures
    data = klm.censored(left=low, right=high)
    best = klm.select(data, ["weibull_min", "gamma", "expon"])
    assert isinstance(best, klm.CensoredFit) and best.name == "weibull_min"
    assert best.loglik == klm.compare(data, ["weibull_min"]).loc["weibull_min", "loglik"]
    with pytest.raises(klm.DataError, match=r"censored observations are ranked by klm\.compare"):
        klm.fit(data, "gamma")


def test_the_bootstrap_resamples_observations_with_their_censoring(failures):
    low, high, _ = failures
    data = klm.censored(left=low[:300], right=high[:300])
    result = klm.bootstrap(data, ["weibull_min", "expon"], n_boot=20, rng=4)
    table = klm.compare(data, ["weibull_min", "expon"])
    c = result.intervals.loc[("weibull_min", "c")]
    assert c["estimate"] == pytest.approx(table.fits["weibull_min"].params["c"])
    assert c["lower"] < c["estimate"] < c["upper"] and c["n_ok"] == 20
    assert result.wins.sum() == pytest.approx(1.0) and result.wins["weibull_min"] > 0.9
    again = klm.bootstrap(data, ["weibull_min", "expon"], n_boot=20, rng=4)
    pd.testing.assert_frame_equal(result.replicates, again.replicates)  # seeded
    with pytest.raises(klm.ParameterError, match="model of the censoring"):
        klm.bootstrap(data, ["expon"], n_boot=5, method="parametric")


def test_turnbulls_estimate_is_kaplan_meier_for_right_censored_times():
    from klmodels.censored import npmle

    rng = np.random.default_rng(9)
    time = np.round(rng.exponential(10.0, 300)) + 1
    event = (rng.uniform(size=300) < 0.6).astype(int)
    estimate = npmle(klm.censored(time=time, event=event))
    survival, expected = 1.0, {}
    for t in np.unique(time[event == 1]):  # the Kaplan-Meier product, written out
        at_risk = (time >= t).sum()
        survival *= 1 - ((time == t) & (event == 1)).sum() / at_risk
        expected[t] = 1 - survival
    got = estimate.set_index("high")["cdf"].reindex(list(expected))
    np.testing.assert_allclose(got.to_numpy(), list(expected.values()), atol=1e-9)
    assert estimate["mass"].sum() == pytest.approx(1.0)


def test_turnbulls_estimate_on_interval_data_puts_mass_on_innermost_intervals():
    from klmodels.censored import npmle

    # [0, 2], [1, 3], [4, 5] exact 4.5: innermost intervals [1, 2] and [4.5, 4.5]
    data = klm.censored(left=[0.0, 1.0, 4.0, 4.5], right=[2.0, 3.0, 5.0, 4.5])
    estimate = npmle(data)
    assert list(zip(estimate["low"], estimate["high"], strict=True)) == [(1.0, 2.0), (4.5, 4.5)]
    np.testing.assert_allclose(estimate["mass"], [0.5, 0.5], atol=1e-9)


def test_the_censored_picture_draws_every_fit_and_the_estimate(tmp_path, failures):
    import matplotlib

    matplotlib.use("Agg")
    from klmodels.plotting import plot_censored

    low, high, _ = failures
    table = klm.compare(klm.censored(left=low, right=high), ["weibull_min", "gamma", "expon"])
    ax = plot_censored(table)
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"weibull_min", "gamma", "expon", "nonparametric (Turnbull)"} <= set(labels)
    with pytest.raises(klm.ParameterError, match="censored data"):
        plot_censored(klm.compare(low[low > 0], ["gamma"]))
    matplotlib.pyplot.close("all")


@pytest.mark.parametrize("a", [1, 3, 40])
def test_gamma_tails_hold_their_precision_where_scipys_underflow(a):
    """Integer shapes have closed forms: Q(n, y) = e^-y sum_{k<n} y^k/k!, P(n, y) = e^-y sum_{k>=n} y^k/k!."""
    from scipy.special import gammaln, logsumexp

    gamma = klm.families["gamma"]
    params = {"a": float(a), "scale": 2.0, "loc": 0.0}
    y = np.array([1e-9, 1e-3, 0.5, 5.0, 60.0, 900.0, 3000.0])
    k_low, k_high = np.arange(a)[:, None], np.arange(a, a + 400)[:, None]
    log_q = logsumexp(k_low * np.log(y) - gammaln(k_low + 1), axis=0) - y
    log_p = logsumexp(k_high * np.log(y) - gammaln(k_high + 1), axis=0) - y
    finite = y < 700  # the upper series needs many terms far out; compare P where it is small
    np.testing.assert_allclose(gamma.logsf(2.0 * y, params), log_q, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        gamma.logcdf(2.0 * y[finite], params), log_p[finite], rtol=1e-9, atol=1e-12
    )


def test_review_findings_truncation_kinds_and_options_are_not_silently_wrong():
    # relative frequencies with truncation keep their n_obs (and need one)
    table = klm.compare([1.0, 2.5, 4.0], ["expon", "lognorm"], weights=[0.5, 0.3, 0.2], n_obs=1000,
                        truncation=(0.5, None))  # fmt: skip
    assert table.attrs["n_obs"] == pytest.approx(1000)
    with pytest.raises(klm.ParameterError, match="need n_obs="):
        klm.compare([1.0, 2.5], ["expon"], weights=[0.5, 0.5], truncation=(0.5, None))
    # discrete and continuous families are never ranked together
    counts = klm.censored(left=[1.0, 2.0, 10.0], right=[1.0, 2.0, np.nan])
    with pytest.raises(klm.ParameterError, match="cannot rank discrete and continuous"):
        klm.compare(counts, ["poisson", "norm"])
    # options that mean nothing for censored data are refused, not ignored
    for bad in ({"support": (0, 20)}, {"n_obs": 10}, {"criterion": "kl"}):
        with pytest.raises(klm.ParameterError):
            klm.compare(counts, ["poisson"], **bad)
    # every row at AICc = inf (3 observations, 2 parameters) still ranks the fitted ones first
    tiny = klm.compare(counts, ["poisson", "nbinom"])
    assert tiny.index[0] in tiny.fits


def test_discrete_truncation_includes_whole_bounds_rounded_inwards():
    """Zero-truncated Poisson: truncation=(1, None), (0.5, None) and the hand-written likelihood agree."""
    rng = np.random.default_rng(2)
    x = rng.poisson(1.0, 3_000)
    x = x[x > 0].astype(float)
    fits = [
        klm.compare(x, ["poisson"], truncation=t).fits["poisson"].params["mu"]
        for t in ((1, None), (0.5, None))
    ]

    def negative_loglik(mu):
        return -(stats.poisson.logpmf(x, mu).sum() - x.size * stats.poisson.logsf(0, mu))

    best = optimize.minimize_scalar(negative_loglik, bounds=(0.01, 10), method="bounded",
                                    options={"xatol": 1e-10})  # fmt: skip
    np.testing.assert_allclose(fits, [best.x, best.x], rtol=1e-5)


def test_censored_values_alone_without_a_maximum_are_said_so():
    table = klm.compare(klm.censored(left=[np.nan] * 5, right=[1.0, 2.0, 2.5, 3.0, 4.0]), ["norm"])
    assert "without a maximum" in table.loc["norm", "note"]


def test_exact_rows_given_as_censored_data_give_the_exact_comparisons_logliks():
    """left == right for every row: the censored likelihood is the exact one (a second method)."""
    x = stats.gamma(2.5, scale=3.0).rvs(400, random_state=np.random.default_rng(12))
    families = ["gamma", "weibull_min", "lognorm", "expon"]
    exact = klm.compare(x, families)
    as_censored = klm.compare(klm.censored(left=x, right=x), families)
    np.testing.assert_allclose(
        as_censored.loc[families, "loglik"], exact.loc[families, "loglik"], rtol=1e-9
    )
    counts = np.random.default_rng(1).poisson(3.0, 300).astype(float)
    discrete = klm.compare(klm.censored(left=counts, right=counts), ["poisson", "geom"])
    np.testing.assert_allclose(
        discrete.loc[["poisson", "geom"], "loglik"],
        klm.compare(counts, ["poisson", "geom"]).loc[["poisson", "geom"], "loglik"],
        rtol=1e-9,
    )


@settings(max_examples=40)
@given(
    st.lists(st.floats(0.05, 50.0), min_size=3, max_size=40),
    st.lists(st.sampled_from(["exact", "left", "right", "interval"]), min_size=40, max_size=40),
    st.floats(0.01, 5.0),
)
def test_any_censoring_pattern_gives_a_table_or_a_klmodels_error(values, kinds, width):
    x = np.asarray(values)
    low, high = x.copy(), x.copy()
    for i, kind in enumerate(kinds[: x.size]):
        if kind == "left":
            low[i] = np.nan
        elif kind == "right":
            high[i] = np.nan
        elif kind == "interval":
            high[i] = x[i] + width
    before = (low.copy(), high.copy())
    try:
        table = klm.compare(klm.censored(left=low, right=high), ["weibull_min", "lognorm", "expon"])
    except klm.KLModelsError:
        return
    np.testing.assert_array_equal(low, before[0])
    np.testing.assert_array_equal(high, before[1])
    for label in table.index:
        loglik = table.loc[label, "loglik"]
        assert np.isfinite(loglik) or table.loc[label, "note"], label  # a number, or why not
    assert table["weight"].sum() == pytest.approx(1.0)


# ------------------------------------------------------------------ kl against Turnbull's estimate
def test_kl_of_exact_truncated_counts_is_the_plug_in_kl_of_the_truncated_model(rng):
    # zero-truncated counts seen exactly: Turnbull's estimate is the empirical pmf, and kl is
    # sum p log(p / q) with q the Poisson renormalised to 1, 2, ...
    draws = stats.poisson(2.2).rvs(3000, random_state=rng)
    values, counts = np.unique(draws[draws > 0], return_counts=True)
    data = klm.censored(left=values, right=values, weights=counts, truncation=(1, None))
    table = klm.compare(data, ["poisson", "geom"])
    p = counts / counts.sum()
    assert table.attrs["saturated_loglik"] == pytest.approx(float(counts @ np.log(p)), rel=1e-12)
    for family in ("poisson", "geom"):
        frozen = table.fits[family].freeze()
        q = frozen.pmf(values) / frozen.sf(0)
        expected = float(p @ np.log2(p / q))
        assert table.loc[family, "kl_bits"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert "kl against Turnbull's estimate" in repr(table)


def test_current_status_isotonic_route_is_the_maximum_the_em_iteration_approaches(rng):
    from klmodels.censored import _current_status_loglik, _turnbull, _turnbull_bounds

    # by hand: failed by 1, alive at 2, failed by 3 -> F(1) = F(2) = 1/2 (pooled), F(3) = 1
    tiny = klm.censored(left=[np.nan, 2.0, np.nan], right=[1.0, np.nan, 3.0])
    assert _current_status_loglik(tiny) == pytest.approx(-2 * math.log(2), rel=1e-12)
    times = np.round(rng.uniform(0, 20, 60), 1)  # ties included
    failed = stats.weibull_min(1.5, scale=10).rvs(60, random_state=rng) <= times
    data = klm.censored(left=np.where(failed, np.nan, times), right=np.where(failed, times, np.nan))
    exact = _current_status_loglik(data)
    bounds = _turnbull_bounds(data, discrete=False)
    *_, early, _ = _turnbull(bounds, tol=1e-13, max_iter=50)
    *_, late, _ = _turnbull(bounds, tol=1e-13, max_iter=5000)
    assert early <= late <= exact + 1e-9  # EM climbs towards the isotonic maximum
    assert exact - late < 1e-3


@pytest.mark.parametrize("seed", range(6))
def test_kl_is_never_negative_on_censored_counts_and_on_censored_continuous_values(seed):
    rng = np.random.default_rng(seed)
    x = rng.negative_binomial(3, 0.4, 400).astype(float)
    low, high = x.copy(), x.copy()
    u = rng.uniform(size=x.size)
    high[u < 0.2] = np.inf  # "x or more"
    low[(u >= 0.2) & (u < 0.4)] -= rng.integers(0, 3, x.size)[(u >= 0.2) & (u < 0.4)]
    low = np.maximum(low, 0)
    counts = klm.compare(klm.censored(left=low, right=high), ["poisson", "nbinom", "geom"])
    assert counts["kl_bits"].notna().sum() >= 2
    assert np.all(counts["kl_bits"].dropna() >= -1e-9)  # geom (from 1) fails on zeros
    y = stats.gamma(2.0, scale=3.0).rvs(300, random_state=rng)
    boxes = klm.censored(left=np.floor(y), right=np.floor(y) + rng.integers(1, 3, y.size))
    continuous = klm.compare(boxes, ["gamma", "weibull_min", "lognorm", "expon"])
    assert np.all(continuous["kl_bits"].dropna() >= -1e-9)
    assert continuous.attrs["saturated_loglik"] >= continuous["loglik"].max()


def test_exact_continuous_values_have_no_absolute_kl(failures):
    low, high, _ = failures
    table = klm.compare(klm.censored(left=low, right=high), ["weibull_min"])
    assert "kl_bits" not in table.columns
    assert "exact and censored values are not on one scale" in repr(table)
