"""compare and select: the table's content, order, dtypes, failures, options, and raw == counts."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import klmodels as klm
from klmodels.selection import _akaike_weights

COLUMNS = [
    "params",
    "fixed",
    "k",
    "loglik",
    "cross_entropy_bits",
    "kl_bits",
    "kl_se_bits",
    "dkl_bits",
    "dkl_se_bits",
    "vuong_p",
    "aic",
    "aicc",
    "bic",
    "delta",
    "weight",
    "g_stat",
    "g_dof",
    "g_p",
    "chi2",
    "chi2_p",
    "note",
]


def test_issue_example_on_the_worm_shares(worms):
    table = klm.compare(worms["teeth"], weights=worms["share"], support=(0, 10))
    assert list(table.columns) == COLUMNS
    assert table.index.name == "family"
    assert table.loc["randint", "kl_bits"] == pytest.approx(0.197, abs=5e-4)
    assert table.loc["binom", "params"]["p"] == pytest.approx(0.544)
    assert table.attrs["entropy_bits"] == pytest.approx(3.262, abs=5e-4)
    assert table.attrs["criterion"] == "kl" and table.attrs["requested_criterion"] == "aicc"
    assert table.attrs["excluded"] == {"bernoulli": "its support cannot hold the data"}
    # no sample size: ranked by KL, criteria NaN, and every row says why
    assert table["kl_bits"].is_monotonic_increasing
    assert table["aicc"].isna().all() and table["weight"].isna().all()
    assert table["note"].str.contains("needs n_obs=").all()
    assert table.index[0] == "empirical" and table["kl_bits"].iloc[0] == 0.0


def test_dtypes_are_documented_ones(worm_teeth_100):
    table = klm.compare(worm_teeth_100, support=(0, 10))
    assert str(table["k"].dtype) == "Int64" and str(table["g_dof"].dtype) == "Int64"
    for column in (
        "loglik",
        "cross_entropy_bits",
        "kl_bits",
        "aic",
        "aicc",
        "bic",
        "delta",
        "weight",
    ):
        assert table[column].dtype == np.float64, column
    from klmodels.family.discrete import ObservedFrequencies

    shares = table["params"].map(lambda p: isinstance(p, ObservedFrequencies))
    assert list(table.index[shares]) == ["empirical"]
    assert table.loc[~shares, "params"].map(type).eq(dict).all()


def test_ranking_by_aicc_with_weights(worm_teeth_100):
    table = klm.compare(worm_teeth_100, support=(0, 10))
    assert table["aicc"].is_monotonic_increasing
    assert table["delta"].iloc[0] == 0.0
    assert table["weight"].sum() == pytest.approx(1.0)
    expected = np.exp(-table["delta"] / 2) / np.exp(-table["delta"] / 2).sum()
    np.testing.assert_allclose(table["weight"], expected)
    # the binomial has k = 1 and the loglik of the closed-form fit
    x = worm_teeth_100.to_numpy()
    assert table.loc["binom", "loglik"] == pytest.approx(
        stats.binom.logpmf(x, 10, x.mean() / 10).sum()
    )


def test_raw_samples_and_value_counts_give_the_same_table(rng):
    raw = rng.negative_binomial(2, 0.3, size=3000)
    values, counts = np.unique(raw, return_counts=True)
    a = klm.compare(raw)
    b = klm.compare(values, weights=counts)
    pd.testing.assert_frame_equal(a, b)


def test_counts_and_probabilities_with_n_obs_agree(worm_teeth_100, worms):
    a = klm.compare(worm_teeth_100, support=(0, 10))
    b = klm.compare(worms["teeth"], weights=worms["share"], support=(0, 10), n_obs=100)
    pd.testing.assert_frame_equal(a.drop(columns="params"), b.drop(columns="params"), rtol=1e-9)


@pytest.mark.parametrize("criterion", ["aic", "bic", "kl", "aicc"])
def test_every_criterion_sorts_ascending(worm_teeth_100, criterion):
    table = klm.compare(worm_teeth_100, support=(0, 10), criterion=criterion)
    column = "kl_bits" if criterion == "kl" else criterion
    assert table[column].is_monotonic_increasing
    assert table["delta"].to_numpy() == pytest.approx(
        (table[column] - table[column].min()).to_numpy()
    )
    assert table.attrs["criterion"] == criterion


def test_base_renames_and_rescales_the_information_columns(worm_teeth_100):
    bits = klm.compare(worm_teeth_100, ["poisson", "binom"], support=(0, 10))
    nats = klm.compare(worm_teeth_100, ["poisson", "binom"], support=(0, 10), base=math.e)
    assert "kl_nats" in nats.columns and "kl_bits" not in nats.columns
    np.testing.assert_allclose(nats["kl_nats"], bits["kl_bits"] * math.log(2))
    np.testing.assert_allclose(nats["aic"], bits["aic"])
    assert nats.attrs["entropy_nats"] == pytest.approx(bits.attrs["entropy_bits"] * math.log(2))


def test_a_family_that_cannot_fit_keeps_its_row_with_the_reason(worm_teeth_100):
    table = klm.compare(worm_teeth_100, ["binom", "poisson", "geom"])
    assert list(table.index) == ["poisson", "binom", "geom"]  # failures last, in the order given
    for failed in ("binom", "geom"):
        row = table.loc[failed]
        assert row["note"].startswith("fit failed: ")
        assert math.isnan(row["kl_bits"]) and math.isnan(row["aicc"]) and math.isnan(row["weight"])
        assert pd.isna(row["k"])
    assert "support=" in table.loc["geom", "note"]
    assert table.loc["poisson", "weight"] == 1.0


def test_a_model_with_zero_probability_on_the_data_is_infinite_not_silent():
    x = [0, 3, 11]
    table = klm.compare(x, {"binom(10, 0.5)": stats.binom(10, 0.5), "poisson": "poisson"})
    row = table.loc["binom(10, 0.5)"]
    assert row["kl_bits"] == math.inf and row["loglik"] == -math.inf
    assert "probability 0" in row["note"]
    assert row["weight"] == 0.0 and table.loc["poisson", "weight"] == 1.0


def test_all_failing_is_an_error_listing_each_reason():
    with pytest.raises(
        klm.AllFamiliesFailedError, match=r"geom: geom takes values from 1 up.*zipf: zipf takes"
    ) as exc:
        klm.compare([0, 1, 2], ["geom", "zipf"])
    assert isinstance(exc.value, RuntimeError)


def test_discrete_and_continuous_candidates_do_not_mix():
    with pytest.raises(
        klm.ParameterError, match="cannot rank discrete and continuous families together"
    ):
        klm.compare([1, 2, 3], ["poisson", stats.norm(2, 1)])


def test_fixed_parameters_per_family(worm_teeth_100):
    table = klm.compare(
        worm_teeth_100, ["binom", "nbinom"], fixed={"binom": {"n": 10}, "nbinom": {"n": 30}}
    )
    assert table.loc["binom", "fixed"] == {"n": 10}
    assert table.loc["nbinom", "fixed"] == {"n": 30} and table.loc["nbinom", "k"] == 1
    with pytest.raises(klm.ParameterError, match=re.escape("fixed= names ['poisson']")):
        klm.compare(worm_teeth_100, ["binom"], fixed={"poisson": {"mu": 1}})
    with pytest.raises(klm.ParameterError, match="maps each family to its fixed parameters"):
        klm.compare(worm_teeth_100, ["binom"], fixed={"n": 10})


def test_dict_candidates_carry_their_labels(worm_teeth_100):
    table = klm.compare(
        worm_teeth_100, {"post": stats.binom(10, 0.57), "fitted": "binom"}, support=(0, 10)
    )
    assert set(table.index) == {"post", "fitted"}
    assert table.loc["post", "kl_bits"] > table.loc["fitted", "kl_bits"]
    with pytest.raises(klm.ParameterError, match="two candidates are called 'binom'"):
        klm.compare(worm_teeth_100, ["binom", "binom"])


def test_default_families_suit_the_data():
    binary = klm.compare([0, 1, 1, 0, 1])
    assert "bernoulli" in binary.index
    counts = klm.compare([0, 1, 5, 3, 2, 8, 2])
    assert "bernoulli" not in counts.index and "geom" not in counts.index
    assert set(counts.attrs["excluded"]) >= {"bernoulli", "geom", "logser", "zipf", "zipfian"}


def test_select_returns_the_best_fit(worm_teeth_100):
    table = klm.compare(worm_teeth_100, support=(0, 10))
    best = klm.select(worm_teeth_100, support=(0, 10))
    assert best.name == table.index[0]
    assert best.aicc == pytest.approx(table["aicc"].iloc[0])
    by_kl = klm.select(worm_teeth_100, support=(0, 10), criterion="kl")
    assert by_kl.name == "empirical"


def test_progress_bar_is_opt_in(worm_teeth_100, capsys):
    klm.compare(worm_teeth_100, ["poisson", "binom"], support=(0, 10))
    assert capsys.readouterr().err == ""
    klm.compare(worm_teeth_100, ["poisson", "binom"], support=(0, 10), progress=True)
    assert "fitting families" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"criterion": "waic"}, "criterion must be one of aicc, aic, bic, kl; got 'waic'"),
        ({"base": 1}, "base must be a finite number greater than 1; got 1"),
        ({"families": []}, "families is empty"),
    ],
)
def test_bad_options(kwargs, message):
    with pytest.raises(klm.ParameterError, match=re.escape(message)):
        klm.compare([1, 2, 3], **kwargs)


@given(st.lists(st.floats(0, 50), min_size=1, max_size=8))
def test_akaike_weights_sum_to_one_and_follow_delta(deltas):
    delta = np.array(deltas) - min(deltas)
    w = _akaike_weights(delta)
    assert w.sum() == pytest.approx(1.0)
    assert np.all(np.diff(w[np.argsort(delta)]) <= 1e-15)


# ---------------------------------------------------------------- continuous data
def test_continuous_defaults_follow_the_shape_of_the_data(rng):
    positive = klm.compare(rng.gamma(2.0, 1.0, 300))
    assert set(positive.index) == set(klm.selection.DEFAULT_FAMILIES["positive"])
    assert positive.attrs["kind"] == "continuous"
    unit = klm.compare(rng.beta(2, 3, 300))
    assert set(unit.index) == set(klm.selection.DEFAULT_FAMILIES["unit_interval"])
    real = klm.compare(rng.normal(size=300))
    assert set(real.index) == set(klm.selection.DEFAULT_FAMILIES["real"])
    assert "gamma" in real.attrs["excluded"]


def test_kind_continuous_treats_whole_numbers_as_continuous():
    x = np.round(np.random.default_rng(5).gamma(4, 14, 300))
    table = klm.compare(x, kind="continuous")
    assert table.attrs["kind"] == "continuous" and "gamma" in table.index
    with pytest.raises(klm.ParameterError, match="kind must be"):
        klm.compare(x, kind="mixed")


def test_free_loc_fits_the_full_scipy_forms(rng):
    x = rng.gamma(2.5, 3.0, 500) + 5
    default = klm.compare(x, ["gamma", "expon"])
    free = klm.compare(x, ["gamma", "expon"], free_loc=True)
    assert default.loc["gamma", "k"] == 2 and free.loc["gamma", "k"] == 3
    assert free.loc["expon", "params"]["loc"] == x.min()
    assert (free["loglik"] >= default["loglik"]).all()


def test_bins_add_the_histogram_kl_for_continuous_data_only(rng):
    x = rng.normal(size=1000)
    table = klm.compare(x, ["norm", "logistic"], bins=20)
    assert (table["kl_binned_bits"] >= 0).all()
    with pytest.raises(klm.ParameterError, match="continuous data only"):
        klm.compare([1, 2, 3], ["poisson"], bins=5)


def test_custom_registry_families_join_the_defaults(rng):
    registry = klm.families.copy()
    registry.register(
        klm.CustomFamily(
            "shifted_expon",
            pdf=lambda x, rate: rate * np.exp(-rate * x),
            parameters={"rate": (0, 100)},
            support=(0, math.inf),
        )
    )
    table = klm.compare(rng.exponential(2.0, 200), registry=registry)
    assert "shifted_expon" in table.index
    row = table.loc["shifted_expon"]
    assert row["loglik"] == pytest.approx(table.loc["expon", "loglik"], rel=1e-6)
