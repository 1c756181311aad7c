"""Observations: every accepted input form, compression to value counts, NaN policy, and every error."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import klmodels as klm
from klmodels import Observations


def test_raw_integers_are_compressed_to_sorted_value_counts():
    obs = Observations.from_data([3, 1, 3, 2, 3, 1])
    np.testing.assert_array_equal(obs.values, [1, 2, 3])
    np.testing.assert_array_equal(obs.weights, [2, 1, 3])
    assert obs.n_obs == 6
    assert obs.has_counts and obs.integer_valued


def test_values_with_counts_equal_the_raw_samples(rng):
    raw = rng.poisson(4.0, size=5000)
    values, counts = np.unique(raw, return_counts=True)
    a, b = Observations.from_data(raw), Observations.from_data(values, counts)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.n_obs == b.n_obs == 5000


def test_wide_integer_range_uses_the_sorting_path_with_the_same_result():
    raw = np.array([0, 10**12, 5, 10**12, 0, 0])
    obs = Observations.from_data(raw)
    np.testing.assert_array_equal(obs.values, [0, 5, 10**12])
    np.testing.assert_array_equal(obs.weights, [3, 1, 2])


def test_a_million_raw_integers_keep_only_their_distinct_values(rng):
    obs = Observations.from_data(rng.binomial(10, 0.5, size=1_000_000))
    assert obs.size == 11
    assert obs.n_obs == 1_000_000


def test_continuous_raw_data_stay_raw():
    obs = Observations.from_data([0.5, 1.5, 0.5])
    assert obs.weights is None
    assert obs.n_obs == 3
    assert not obs.integer_valued
    assert obs.mean == pytest.approx(2.5 / 3)


def test_weighted_continuous_values_merge_duplicates():
    obs = Observations.from_data([2.5, 0.5, 2.5], [1, 2, 3])
    np.testing.assert_array_equal(obs.values, [0.5, 2.5])
    np.testing.assert_array_equal(obs.weights, [2, 4])


def test_probabilities_leave_n_obs_unknown_and_counts_give_it():
    probs = Observations.from_data([0, 1, 2], [0.2, 0.3, 0.5])
    assert probs.n_obs is None and not probs.has_counts
    counts = Observations.from_data([0, 1, 2], [2, 3, 5])
    assert counts.n_obs == 10 and counts.has_counts
    np.testing.assert_allclose(probs.probabilities, counts.probabilities)


def test_n_obs_gives_relative_frequencies_a_sample_size():
    obs = Observations.from_data([0, 1], [0.25, 0.75], n_obs=40)
    assert obs.n_obs == 40.0


def test_zero_weights_are_dropped():
    obs = Observations.from_data([0, 1, 2], [1, 0, 1])
    np.testing.assert_array_equal(obs.values, [0, 2])


def test_nullable_and_boolean_dtypes():
    ints = pd.Series([1, 2, None, 2], dtype="Int64")
    obs = Observations.from_data(ints, nan_policy="omit")
    np.testing.assert_array_equal(obs.values, [1, 2])
    np.testing.assert_array_equal(obs.weights, [1, 2])
    booleans = Observations.from_data(pd.Series([True, False, True], dtype="boolean"))
    np.testing.assert_array_equal(booleans.values, [0, 1])
    floats = Observations.from_data(
        pd.Series([0.5, pd.NA, 1.5], dtype="Float64"), nan_policy="omit"
    )
    assert floats.n_obs == 2


def test_object_arrays_of_numbers_are_accepted():
    obs = Observations.from_data(np.array([1, 2.0, None], dtype=object), nan_policy="omit")
    np.testing.assert_array_equal(obs.values, [1, 2])


def test_omit_drops_values_with_nan_weights_too():
    obs = Observations.from_data([0, 1, 2, np.nan], [1, np.nan, 2, 3], nan_policy="omit")
    np.testing.assert_array_equal(obs.values, [0, 2])
    assert obs.n_obs == 3


def test_series_weights_are_matched_by_index_label():
    data = pd.Series([0, 1, 2], index=["a", "b", "c"])
    weights = pd.Series([5, 1, 1], index=["c", "a", "b"])
    obs = Observations.from_data(data, weights)
    np.testing.assert_array_equal(obs.weights, [1, 1, 5])


def test_the_series_name_is_kept():
    assert Observations.from_data(pd.Series([1, 2], name="teeth")).name == "teeth"


def test_observations_are_read_only_and_returned_unchanged():
    obs = Observations.from_data([1, 2, 2])
    with pytest.raises(ValueError, match="read-only"):
        obs.values[0] = 5
    assert Observations.from_data(obs) is obs


def test_callers_data_are_never_modified():
    array = np.array([3.0, 1.0, np.nan, 2.0])
    series = pd.Series([2, 2, 1], index=[10, 11, 12])
    weights = np.array([0.2, 0.3, 0.5])
    a, s, w = array.copy(), series.copy(), weights.copy()
    Observations.from_data(array, nan_policy="omit")
    Observations.from_data(series, weights)
    klm.compare(series, ["poisson", "geom"], weights=weights)
    np.testing.assert_array_equal(array, a)
    pd.testing.assert_series_equal(series, s)
    np.testing.assert_array_equal(weights, w)
    assert array.flags.writeable and weights.flags.writeable


def test_repr_says_what_is_inside():
    assert (
        repr(Observations.from_data([1, 2, 2]))
        == "<Observations: 2 weighted values in [1, 2], n_obs=3>"
    )


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        ([], {}, "data is empty"),
        ("abc", {}, "got the string 'abc'"),
        (["a", "b"], {}, "must be numbers; got strings such as 'a'. Convert them first"),
        (
            np.array(["a", 1], dtype=object),
            {},
            "must be numbers; got mixed-integer values such as 'a'",
        ),
        (pd.Series(["a", "b"]), {}, "must be numeric or boolean; got dtype"),
        (pd.Series(["1", "2"], dtype="category"), {}, "s.astype(float)"),
        ([np.nan, np.nan], {}, "all 2 values are NaN"),
        (
            [1.0, np.nan, 2.0],
            {},
            "1 NaN or missing values (first at position 1). Drop them first, or pass nan_policy='omit'",
        ),
        ([1.0, np.inf], {}, "infinite values"),
        (
            [1, 2],
            {"weights": [1, -1]},
            "weights must be >= 0; got 1 negative weights (first at position 1: -1.0)",
        ),
        ([1, 2], {"weights": [1, 2, 3]}, "got 3 weights for 2 values"),
        ([1, 2], {"weights": [0, 0]}, "all weights are 0"),
        ([1, 2], {"weights": [1, np.nan]}, "NaN or missing weights"),
        ([[1, 2], [3, 4]], {}, "one-dimensional; got an array of shape (2, 2)"),
        (5, {}, "got the single value 5"),
        (np.array([1 + 2j]), {}, "complex"),
        (pd.DataFrame({"a": [1], "b": [2]}), {}, "not a DataFrame with columns ['a', 'b']"),
    ],
)
def test_bad_data_raise_a_clear_data_error(data, kwargs, message):
    with pytest.raises(klm.DataError, match=re.escape(message)) as exc:
        Observations.from_data(data, **kwargs)
    assert isinstance(exc.value, ValueError)


def test_misaligned_series_weights_are_an_error():
    with pytest.raises(klm.DataError, match="different indexes"):
        Observations.from_data(pd.Series([1, 2], index=[0, 1]), pd.Series([1, 1], index=[5, 6]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"nan_policy": "drop"}, "nan_policy must be 'raise' or 'omit'; got 'drop'"),
        ({"n_obs": 10}, "n_obs= says how many observations"),
        (
            {"weights": [0.5, 0.5], "n_obs": -3},
            "n_obs must be a positive number of observations; got -3",
        ),
    ],
)
def test_bad_options_raise_parameter_error(kwargs, message):
    with pytest.raises(klm.ParameterError, match=re.escape(message)):
        Observations.from_data([1, 2], **kwargs)


def test_weights_cannot_be_applied_twice():
    with pytest.raises(klm.ParameterError, match="already an Observations"):
        Observations.from_data(Observations.from_data([1, 2]), [1, 1])
