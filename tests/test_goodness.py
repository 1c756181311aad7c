"""Goodness of fit: textbook statistics (scipy, fitdistrplus's published gofstat) and calibrated p-values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import klmodels as klm
from klmodels.goodness import gof_statistics

BEEF = pd.read_csv("data/groundbeef_serving.csv")["serving"].to_numpy(float)


def _statistics(frozen, x):
    x = np.sort(x)
    return gof_statistics(frozen.logcdf(x), frozen.logsf(x))


@pytest.mark.parametrize(
    ("frozen", "published"),
    [  # fitdistrplus: gofstat(list(fw, fln, fg)) on groundbeef, at its published MLEs
        (stats.weibull_min(2.185885, scale=83.347679), (0.1396646, 0.6840994, 3.5736460)),
        (stats.lognorm(0.5366063, scale=np.exp(4.1693701)), (0.1493090, 0.8277358, 4.5436542)),
    ],
)
def test_fitdistrplus_gofstat_values_reproduce(frozen, published):
    np.testing.assert_allclose(_statistics(frozen, BEEF), published, rtol=2e-5)
    # (the gamma's published KS, 0.1281486, reproduces too; its CvM and AD as recalled here did not
    # match to 5 digits, so they are not asserted: the formulas are pinned by the two rows above)
    gamma = stats.gamma(4.00956, scale=1 / 0.0544391)
    assert _statistics(gamma, BEEF)[0] == pytest.approx(0.1281486, rel=2e-6)


def test_ks_and_cramer_von_mises_equal_scipys():
    x = stats.norm(2, 3).rvs(150, random_state=np.random.default_rng(0))
    frozen = stats.norm(2.1, 2.9)
    ks, cvm, _ = _statistics(frozen, x)
    assert ks == pytest.approx(stats.kstest(x, frozen.cdf).statistic, rel=1e-12)
    assert cvm == pytest.approx(stats.cramervonmises(x, frozen.cdf).statistic, rel=1e-12)


def test_p_values_are_calibrated_under_the_null_and_have_power():
    """Normal data fitted by a normal: rejections at 10% near 10%; lognormal data: rejected."""
    rng = np.random.default_rng(42)
    rejected, naive = np.zeros(3), 0
    trials = 120
    for _ in range(trials):
        x = rng.normal(5.0, 2.0, 40)
        fit = klm.fit(x, "norm")
        result = klm.goodness_of_fit(fit, resamples=60, rng=rng)
        rejected += np.array([result.ks_p, result.cvm_p, result.ad_p]) <= 0.10
        naive += stats.kstest(x, fit.freeze().cdf).pvalue <= 0.10  # parameters treated as known
    rates = rejected / trials
    assert np.all((rates > 0.03) & (rates < 0.19)), rates
    assert (
        naive / trials < 0.03
    )  # why calibration matters: the textbook p-value almost never rejects
    power = np.zeros(3)
    for _ in range(30):
        x = rng.lognormal(0.0, 0.8, 60)
        result = klm.goodness_of_fit(klm.fit(x, "norm"), resamples=60, rng=rng)
        power += np.array([result.ks_p, result.cvm_p, result.ad_p]) <= 0.10
    assert np.all(power / 30 > 0.8), power / 30


def test_compare_adds_the_columns_for_continuous_rows_and_is_seeded():
    first = klm.compare(BEEF, ["gamma", "lognorm"], gof=True, gof_resamples=30, gof_rng=5)
    again = klm.compare(BEEF, ["gamma", "lognorm"], gof=True, gof_resamples=30, gof_rng=5)
    columns = ["ks", "cvm", "ad", "ks_p", "cvm_p", "ad_p"]
    pd.testing.assert_frame_equal(first[columns], again[columns])
    assert first.loc["lognorm", "ad"] == pytest.approx(4.5436542, rel=1e-5)
    assert first.loc["lognorm", "ad_p"] == pytest.approx(1 / 31)  # far out in the bootstrap tail
    counts = klm.compare([0, 1, 1, 2, 3, 3, 4], ["poisson"], gof=True, gof_resamples=5)
    assert np.isnan(counts.loc["poisson", "ks"])  # discrete rows have the G-test instead
    with pytest.raises(klm.ParameterError, match="for continuous fits"):
        klm.goodness_of_fit(klm.fit([0, 1, 1, 2, 3], "poisson"))
    no_p = klm.goodness_of_fit(klm.fit(BEEF, "gamma"), resamples=0)
    assert np.isnan(no_p.ks_p) and no_p.ks == pytest.approx(first.loc["gamma", "ks"])


def test_pearsons_chi_square_on_the_pooled_cells_equals_scipys():
    """Without pooling (min_expected=0) the cells are the observed values: scipy's chisquare is the oracle."""
    rng = np.random.default_rng(6)
    x = rng.poisson(6.0, 2_000)
    fit = klm.fit(x, "poisson")
    result = klm.g_test(fit, min_expected=0.0)
    values, counts = np.unique(x, return_counts=True)
    mu = fit.params["mu"]
    cells = stats.poisson(mu)
    expected = x.size * np.diff(np.concatenate(([0.0], cells.cdf(values[:-1]), [1.0])))
    assert np.all(np.diff(values) == 1)  # consecutive: each cell is one value (tails at the ends)
    oracle = stats.chisquare(counts, expected, ddof=1)
    assert result.chi2 == pytest.approx(oracle.statistic, rel=1e-9)
    assert result.chi2_p == pytest.approx(oracle.pvalue, rel=1e-6)
    pooled = klm.g_test(fit)  # the table's test pools to expected counts >= 5
    table = klm.compare(x, ["poisson", "nbinom"])
    assert table.loc["poisson", "chi2"] == pytest.approx(pooled.chi2)


@pytest.mark.parametrize(
    ("name", "params", "to_sample"),
    [
        ("norm", {}, lambda z: 3.0 + 2.0 * z),
        ("lognorm", {}, lambda z: 7.0 * np.exp(0.6 * z)),
        ("expon", {}, lambda e: 4.0 * e),
        ("weibull_min", {}, lambda e: 9.0 * e ** (1 / 1.7)),
        ("gamma", {"a": 2.5}, lambda g: 3.0 * g),
    ],
)
def test_batched_refits_equal_one_fit_per_simulated_sample(name, params, to_sample):
    """The fast path (standard draws, all refits at once) equals klm.fit + statistics per sample."""
    from klmodels.goodness import _batched_log_tails, _standard_draws, _statistics_rows

    draws = np.sort(_standard_draws(name, params, (4, 60), np.random.default_rng(3)), axis=1)
    batched = _statistics_rows(*_batched_log_tails(name, draws))
    for row, draw in zip(batched, draws, strict=True):
        sample = to_sample(draw)
        floc = {} if name == "norm" else {"loc": 0.0}
        frozen = klm.fit(sample, name, **floc).freeze()
        np.testing.assert_allclose(row, _statistics(frozen, sample), rtol=1e-7)


def _kaplan_meier(time, event):
    """The product-limit estimate of the cdf at each distinct event time (written out here)."""
    order = np.lexsort((1 - event, time))
    time, event = time[order], event[order]
    at_risk, surviving, steps = time.size, 1.0, []
    for t in np.unique(time):
        here = time == t
        deaths = int(event[here].sum())
        if deaths:
            surviving *= 1 - deaths / at_risk
            steps.append((t, 1 - surviving))
        at_risk -= int(here.sum())
    return steps


@pytest.mark.parametrize("last_is_censored", [True, False])
def test_censored_statistics_are_the_distances_from_kaplan_meier(last_is_censored):
    """Right-censored data: KS, CvM and AD equal sup|KM - F| and the integrals of (KM - F)^2 dF
    (divided by F(1 - F) for AD), computed here by quadrature over the KM steps, where KM is known."""
    from scipy import integrate

    rng = np.random.default_rng(11)
    x = rng.weibull(1.4, 80) * 10
    c = rng.uniform(2, 30, 80)
    time, event = np.minimum(x, c), (x <= c).astype(int)
    last = np.argmax(time)
    event[last] = 0 if last_is_censored else 1
    table = klm.compare(klm.censored(time=time, event=event), ["weibull_min", "lognorm"], gof=True)
    for name in ("weibull_min", "lognorm"):
        frozen = table.fits[name].freeze()
        steps = _kaplan_meier(time, event)
        jumps = np.array([0.0] + [t for t, _ in steps])
        levels = np.array([0.0] + [f for _, f in steps])
        end = time.max() if last_is_censored else frozen.isf(1e-14)  # (past it, under 1e-14)
        pieces = list(zip(jumps, np.append(jumps[1:], end), levels, strict=True))
        ks = max(max(abs(s - frozen.cdf(a)), abs(s - frozen.cdf(b))) for a, b, s in pieces)
        cvm = sum(integrate.quad(lambda t, s=s, f=frozen: (s - f.cdf(t)) ** 2 * f.pdf(t), a, b)[0]
                  for a, b, s in pieces)  # fmt: skip
        ad = sum(
            integrate.quad(
                lambda t, s=s, f=frozen: (s - f.cdf(t)) ** 2 * f.pdf(t)
                / (f.cdf(t) * f.sf(t)), a, b, limit=200,
            )[0]
            for a, b, s in pieces
        )  # fmt: skip
        n = time.size
        row = table.loc[name]
        np.testing.assert_allclose([row.ks, row.cvm, row.ad], [ks, n * cvm, n * ad], rtol=1e-6)
        assert np.isnan(row.ks_p)
    assert "no p-values for censored data" in table.header()


def test_censored_statistics_without_censoring_are_the_textbook_ones():
    x = stats.gamma(2.0, scale=3.0).rvs(120, random_state=np.random.default_rng(4))
    as_censored = klm.compare(
        klm.censored(time=x, event=np.ones(x.size)), ["gamma", "lognorm"], gof=True
    )
    exact = klm.compare(x, ["gamma", "lognorm"], gof=True, gof_resamples=0)
    for name in ("gamma", "lognorm"):
        assert as_censored.fits[name].params == pytest.approx(exact.fits[name].params, rel=1e-6)
        np.testing.assert_allclose(
            as_censored.loc[name, ["ks", "cvm", "ad"]].to_numpy(float),
            _statistics(exact.fits[name].freeze(), x),
            rtol=1e-5,
        )


def test_censored_statistics_use_the_truncated_model():
    """Data recorded only above 2: the distances are to the model truncated there (its cdf is 0 at 2)."""
    rng = np.random.default_rng(8)
    x = rng.lognormal(1.5, 0.5, 400)
    x = x[x > 2.0][:150]
    data = klm.censored(time=x, event=np.ones(x.size), truncation=(2.0, None))
    table = klm.compare(data, ["lognorm"], gof=True)
    frozen = table.fits["lognorm"].freeze()
    below = frozen.cdf(2.0)
    truncated_cdf = lambda t: (frozen.cdf(t) - below) / (1 - below)  # noqa: E731
    ks = stats.kstest(x, truncated_cdf).statistic
    cvm = stats.cramervonmises(x, truncated_cdf).statistic
    np.testing.assert_allclose(
        table.loc["lognorm", ["ks", "cvm"]].to_numpy(float), [ks, cvm], rtol=1e-6
    )
    assert klm.goodness_of_fit(table.fits["lognorm"]).ks == pytest.approx(ks, rel=1e-6)


def test_grouped_data_statistics_are_the_trapezoid_sums_over_the_cells():
    """Values known only to their unit cell: Turnbull's estimate is the cell proportions, and the
    statistics are the tails' integrals plus the trapezoid sums over the cells (written out here)."""
    x = stats.gamma(3.0, scale=2.0).rvs(400, random_state=np.random.default_rng(5))
    x = x[x < 12]  # every unit cell from 0 to 12 holds values (an empty one would be a gap)
    low = np.floor(x)
    assert np.unique(low).size == low.max() + 1 - low.min()
    table = klm.compare(klm.censored(left=low, right=low + 1), ["gamma"], gof=True)
    cdf = table.fits["gamma"].freeze().cdf
    edges = np.arange(low.min(), low.max() + 2)
    estimate = np.array([np.mean(x < e) for e in edges])  # the cell proportions, cumulated
    u = cdf(edges)
    g = (estimate - u) ** 2
    n = x.size
    cvm = n * (u[0] ** 3 / 3 + (1 - u[-1]) ** 3 / 3 + np.sum((g[:-1] + g[1:]) / 2 * np.diff(u)))
    h = np.divide(g, u * (1 - u), out=np.zeros_like(g), where=g > 0)  # 0 at a support end
    tails = -u[0] - np.log1p(-u[0]) + (-(1 - u[-1]) - np.log(u[-1]))  # int u/(1-u), (1-u)/u
    ad = n * (tails + np.sum((h[:-1] + h[1:]) / 2 * np.diff(u)))
    ks = np.max(np.abs(estimate - u))
    np.testing.assert_allclose(
        table.loc["gamma", ["ks", "cvm", "ad"]].to_numpy(float), [ks, cvm, ad], rtol=1e-7
    )


def test_censored_statistics_edge_cases_at_support_ends_and_truncation():
    # an exact value where the model's cdf is 0 makes A^2 infinite (as for exact data), not NaN
    x = np.random.default_rng(0).exponential(2.0, 50)
    x[0] = 0.0
    data = klm.censored(
        time=np.append(x, 3.0), event=np.append(np.ones(50), 0), truncation=(0, None)
    )
    assert np.isinf(klm.compare(data, ["expon"], gof=True).loc["expon", "ad"])
    # under truncation at 0, "at most 1" is the cell (0, 1]: the same statistics either way
    low = np.floor(stats.gamma(3.0, scale=2.0).rvs(200, random_state=np.random.default_rng(9)))
    as_left = np.where(low == 0, np.nan, low)
    left = klm.compare(
        klm.censored(left=as_left, right=low + 1, truncation=(0, None)), ["gamma"], gof=True
    )
    boxed = klm.compare(
        klm.censored(left=low, right=low + 1, truncation=(0, None)), ["gamma"], gof=True
    )
    np.testing.assert_allclose(left.loc["gamma", ["ks", "cvm", "ad"]].to_numpy(float),
                               boxed.loc["gamma", ["ks", "cvm", "ad"]].to_numpy(float), rtol=1e-4)  # fmt: skip


def test_g_test_pooling_terminates_and_counts_exact_thresholds():
    from klmodels.paired import _pooled

    _, e = _pooled(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 1e-300)
    np.testing.assert_array_equal(e, [1.0, 2.0, 3.0])  # a threshold below rounding: one per value
    assert _pooled(np.full(30, 1 / 3), np.full(30, 1 / 3), 1.0)[1].size == 10  # thirds make 1s


@given(
    expected=st.lists(
        st.one_of(st.floats(0.0, 20.0), st.sampled_from([0.0, 5.0, 1 / 3, 1e-300])),
        min_size=1,
        max_size=60,
    ),
    min_expected=st.sampled_from([5.0, 1.0, 0.0, 1e-300, 12.5]),
)
def test_g_test_pooling_equals_the_greedy_walk_cell_by_cell(expected, min_expected):
    """The pooled cells (runs of cells that close at once taken whole) equal the plain greedy
    walk written out cell by cell: a cell closes at the first end whose cumulated expected count
    reaches the threshold; the rest joins the last cell."""
    from klmodels.paired import _pooled

    e = np.asarray(expected)
    o = np.arange(1.0, e.size + 1)
    cum_e = np.concatenate([[0.0], np.cumsum(e)])
    cum_o = np.concatenate([[0.0], np.cumsum(o)])
    ends, start = [0], 0
    while True:  # the reference: one step per cell
        reach = cum_e[start] + min_expected
        reach = max(reach - 1e-12 * abs(reach), np.nextafter(cum_e[start], np.inf))
        q = next((j for j in range(start + 1, e.size + 1) if cum_e[j] >= reach), None)
        if q is None:
            break
        ends.append(q)
        start = q
    if cum_e[-1] != cum_e[ends[-1]] or cum_o[-1] != cum_o[ends[-1]]:
        ends = [*ends[:-1], e.size] if len(ends) > 1 else [0, e.size]
    pooled_o, pooled_e = _pooled(o, e, min_expected)
    np.testing.assert_array_equal(pooled_o, np.diff(cum_o[ends]))
    np.testing.assert_array_equal(pooled_e, np.diff(cum_e[ends]))


def test_g_test_on_many_distinct_values_groups_them_at_the_data_quantiles(monkeypatch):
    """Above _MAX_CELLS distinct values (lowered here to 40) the values are grouped into runs
    of about equal observed count before pooling. Oracle: the G statistic and Pearson's
    chi-square computed by hand on those cells from scipy's cdf, with k fitted parameters."""
    from klmodels import paired

    x = stats.nbinom(3, 0.02).rvs(5000, random_state=np.random.default_rng(3))
    x[:400] = 150  # one value with 8% of the data: the next value starts a new run
    fit = klm.fit(x, "nbinom")
    monkeypatch.setattr(paired, "_MAX_CELLS", 40)
    result = klm.g_test(fit)

    values, counts = np.unique(x, return_counts=True)
    assert values.size > 40
    share_before = (np.cumsum(counts) - counts) / counts.sum()
    run = np.floor(share_before * 40).astype(int)
    starts = np.flatnonzero(np.diff(run, prepend=-1))
    lower = values[starts]
    assert values[np.searchsorted(values, 150) + 1] in lower
    observed = np.add.reduceat(counts, starts).astype(float)
    dist = stats.nbinom(fit.params["n"], fit.params["p"])
    cdf_at_ends = np.concatenate(([0.0], dist.cdf(lower[1:] - 1), [1.0]))
    expected = x.size * np.diff(cdf_at_ends)
    assert expected.min() >= 5  # no pooling on these cells: the oracle stays simple
    g = 2 * np.sum(observed * np.log(observed / expected))
    pearson = np.sum((observed - expected) ** 2 / expected)
    assert result.cells == starts.size
    assert result.dof == starts.size - 1 - 2
    assert result.statistic == pytest.approx(g, rel=1e-9)
    assert result.chi2 == pytest.approx(pearson, rel=1e-9)
    assert result.p_value == pytest.approx(stats.chi2.sf(g, starts.size - 3), rel=1e-6)
    assert "runs of about equal observed counts" in result.note


def test_g_test_grouping_is_the_same_for_raw_values_and_their_frequencies(monkeypatch):
    """Cumulative counts that fall exactly on the grouping's multiples (here every fifth value)
    are on them for raw values and for relative frequencies times n_obs alike, whose sums
    carry rounding (found by review: the two forms of the same data got different cells)."""
    from klmodels import paired

    monkeypatch.setattr(paired, "_MAX_CELLS", 40)
    values = np.arange(200.0)
    raw = np.repeat(values, 20)
    by_raw = klm.g_test(klm.fit(raw, "nbinom"))
    shares = np.full(200, 0.005)
    by_frequency = klm.g_test(klm.fit(values, "nbinom", weights=shares, n_obs=4000))
    assert by_raw.cells == by_frequency.cells
    assert by_raw.statistic == pytest.approx(by_frequency.statistic, rel=1e-9)
