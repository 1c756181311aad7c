"""Information measures against scipy, closed forms, the worm numbers, and their algebraic properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

import klmodels as klm
from klmodels import information as info

from .conftest import WORM_SHARE


def distributions(size: int | None = None, min_size: int = 1, max_size: int = 12):
    """Non-negative weight vectors with a positive sum (some entries may be exactly 0)."""
    shape = st.just(size) if size is not None else st.integers(min_size, max_size)
    weights = st.one_of(st.just(0.0), st.floats(1e-6, 1e6))
    return shape.flatmap(lambda n: arrays(np.float64, n, elements=weights)).filter(
        lambda a: a.sum() > 0
    )


def pairs():
    return st.integers(1, 12).flatmap(lambda n: st.tuples(distributions(n), distributions(n)))


# ---------------------------------------------------------------- oracles
def test_worm_numbers_from_the_issue(worm_pmf):
    assert klm.entropy(worm_pmf) == pytest.approx(3.262, abs=5e-4)
    uniform = pd.Series(1 / 11, index=range(11))
    assert klm.kl_divergence(worm_pmf, uniform) == pytest.approx(0.197, abs=5e-4)


@given(distributions())
def test_entropy_equals_scipy(p):
    for base in (2, math.e, 10):
        assert info.pmf_entropy(p, base=base) == pytest.approx(
            stats.entropy(p, base=base), rel=1e-10, abs=1e-12
        )


@given(pairs())
def test_kl_equals_scipy_rel_entr(pq):
    p, q = pq
    pn, qn = p / p.sum(), q / q.sum()
    expected = special.rel_entr(pn, qn).sum() / math.log(2)
    got = info.pmf_kl_divergence(p, q)
    if math.isinf(expected):
        assert math.isinf(got)
    else:
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


@given(pairs())
def test_js_equals_the_entropy_identity_and_scipy(pq):
    p, q = pq
    pn, qn = p / p.sum(), q / q.sum()
    m = (pn + qn) / 2
    identity = (
        stats.entropy(m, base=2) - (stats.entropy(pn, base=2) + stats.entropy(qn, base=2)) / 2
    )
    assert info.js_divergence(p, q) == pytest.approx(identity, rel=1e-7, abs=1e-10)
    with np.errstate(invalid="ignore"):  # scipy takes sqrt of a rounding-negative value when p == q
        distance = jensenshannon(p, q, base=2)
    if np.isfinite(distance):
        assert info.js_divergence(p, q) == pytest.approx(distance**2, rel=1e-7, abs=1e-10)


def test_closed_form_kl_of_two_bernoullis():
    a, b = 0.3, 0.6
    expected = a * math.log2(a / b) + (1 - a) * math.log2((1 - a) / (1 - b))
    assert klm.kl_divergence([a, 1 - a], [b, 1 - b]) == pytest.approx(expected, rel=1e-14)


def test_entropy_of_uniform_is_log_k_and_of_point_mass_is_zero():
    assert klm.entropy(np.ones(8)) == pytest.approx(3.0, rel=1e-15)
    assert klm.entropy([0, 0, 5, 0]) == 0.0


# ---------------------------------------------------------------- properties
@given(pairs())
def test_kl_is_non_negative(pq):
    assert info.pmf_kl_divergence(*pq) >= 0.0


@given(distributions())
def test_kl_of_a_distribution_with_itself_is_zero(p):
    assert info.pmf_kl_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    assert info.pmf_kl_divergence(p, 3.7 * p) == pytest.approx(0.0, abs=1e-12)


@given(pairs())
def test_cross_entropy_is_entropy_plus_kl(pq):
    p, q = pq
    h_pq = info.cross_entropy(p, q)
    kl = info.pmf_kl_divergence(p, q)
    if math.isinf(kl):
        assert math.isinf(h_pq)
    else:
        assert h_pq == pytest.approx(info.pmf_entropy(p) + kl, rel=1e-9, abs=1e-9)


@given(pairs())
def test_bits_are_nats_over_ln2(pq):
    p, q = pq
    nats = info.pmf_kl_divergence(p, q, base=math.e)
    bits = info.pmf_kl_divergence(p, q, base=2)
    if math.isinf(nats):  # q = 0 where p > 0: infinite in every unit
        assert math.isinf(bits)
    else:
        assert bits == pytest.approx(nats / math.log(2), rel=1e-12, abs=1e-15)


@given(pairs(), st.randoms(use_true_random=False))
def test_invariant_to_relabelling_outcomes(pq, random):
    p, q = pq
    order = list(range(len(p)))
    random.shuffle(order)
    for f in (info.pmf_kl_divergence, info.cross_entropy, info.js_divergence):
        a, b = f(p, q), f(p[order], q[order])
        assert a == b or a == pytest.approx(b, rel=1e-12, abs=1e-14)


@given(pairs())
def test_js_is_symmetric_and_at_most_one_bit(pq):
    p, q = pq
    assert info.js_divergence(p, q) == pytest.approx(info.js_divergence(q, p), rel=1e-12, abs=1e-15)
    assert 0.0 <= info.js_divergence(p, q) <= 1.0


def test_js_of_disjoint_distributions_is_one_bit():
    assert klm.js_divergence([1, 0], [0, 1]) == pytest.approx(1.0, rel=1e-15)


def test_asymmetry_is_visible_and_equals_the_difference(worm_pmf):
    uniform = np.full(11, 1 / 11)
    forward = klm.kl_divergence(worm_pmf.to_numpy(), uniform)
    backward = klm.kl_divergence(uniform, worm_pmf.to_numpy())
    assert forward != pytest.approx(backward, abs=1e-3)
    assert klm.kl_asymmetry(worm_pmf.to_numpy(), uniform) == pytest.approx(
        forward - backward, rel=1e-12
    )


def test_asymmetry_is_nan_when_both_directions_are_infinite():
    assert math.isnan(klm.kl_asymmetry([1, 0], [0, 1]))


# ---------------------------------------------------------------- zeros, infinities, extremes
def test_kl_is_infinite_where_q_is_zero_and_p_is_not():
    assert klm.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert klm.cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert klm.kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(1.0)


def test_tiny_and_huge_weights_neither_underflow_nor_overflow():
    p = np.array([1e-310, 3e-310])  # subnormal weights
    q = np.array([1e300, 1e308])  # their sum overflows
    expected = info.pmf_kl_divergence([1, 3], [1e-8, 1])
    assert info.pmf_kl_divergence(p, q) == pytest.approx(expected, rel=1e-10)
    assert np.isfinite(info.pmf_entropy(q))


def test_probabilities_far_below_double_precision_keep_their_log():
    # q(0) = 1e-320 relative to q(1): its log is still -736.8, so D stays finite and exact.
    p, q = [0.5, 0.5], [1e-320, 1.0]
    expected = 0.5 * (math.log(0.5) - math.log(1e-320)) + 0.5 * math.log(0.5)
    assert info.pmf_kl_divergence(p, q, base=math.e) == pytest.approx(expected, rel=1e-6)


# ---------------------------------------------------------------- pandas alignment
def test_two_series_are_aligned_on_their_index():
    p = pd.Series({"a": 0.2, "b": 0.8})
    q = pd.Series({"b": 0.5, "a": 0.5})
    assert klm.kl_divergence(p, q) == pytest.approx(info.pmf_kl_divergence([0.2, 0.8], [0.5, 0.5]))


def test_an_outcome_missing_on_one_side_has_probability_zero():
    p = pd.Series({"a": 0.5, "b": 0.5})
    q = pd.Series({"a": 0.5, "c": 0.5})
    assert klm.kl_divergence(p, q) == math.inf
    only_a = pd.Series({"a": 1.0})
    assert klm.kl_divergence(only_a, p) == pytest.approx(1.0)


def test_mappings_are_distributions_over_their_keys():
    assert klm.kl_divergence({"x": 1, "y": 1}, {"y": 3, "x": 1}) == pytest.approx(
        info.pmf_kl_divergence([1, 1], [1, 3])
    )


def test_inputs_are_not_mutated():
    p = np.array([1.0, 2.0, 3.0])
    s = pd.Series([3.0, 2.0, 1.0], index=[2, 1, 0])
    p_copy, s_copy = p.copy(), s.copy()
    klm.kl_divergence(p, s.to_numpy())
    klm.entropy(s)
    np.testing.assert_array_equal(p, p_copy)
    pd.testing.assert_series_equal(s, s_copy)


def test_worm_share_list_from_conftest_matches_the_csv(worm_pmf):
    np.testing.assert_allclose(worm_pmf.to_numpy(), WORM_SHARE)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("p", "message"),
    [
        ([0.5, -0.1, 0.6], "negative entries (first at position 1"),
        ([0.5, np.nan], "NaN or infinite entries"),
        ([0.5, np.inf], "NaN or infinite entries"),
        ([], "is empty"),
        ([0.0, 0.0], "sums to 0"),
        ([[0.5, 0.5], [0.5, 0.5]], "one-dimensional"),
        ("abc", "got the string 'abc'"),
        (["a", "b"], "cannot be read as numbers"),
    ],
)
def test_bad_distributions_raise_a_clear_data_error(p, message):
    with pytest.raises(klm.DataError, match=__import__("re").escape(message)) as exc:
        klm.entropy(p)
    assert isinstance(exc.value, ValueError)


def test_length_mismatch_names_both_lengths():
    with pytest.raises(klm.DataError, match="got 2 and 3 entries"):
        klm.kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5])


def test_duplicate_outcomes_in_a_series_are_an_error():
    with pytest.raises(klm.DataError, match="appears more than once"):
        klm.entropy(pd.Series([0.5, 0.5], index=["a", "a"]))


@pytest.mark.parametrize("base", [1, 0, -2, math.inf, "2", None, True])
def test_bad_base_raises_parameter_error(base):
    with pytest.raises(klm.ParameterError, match="base"):
        klm.entropy([0.5, 0.5], base=base)


@pytest.mark.parametrize(
    ("base", "unit"), [(2, "bits"), (math.e, "nats"), (10, "hartleys"), (3, "base3")]
)
def test_unit_names(base, unit):
    assert info.unit_name(base) == unit
