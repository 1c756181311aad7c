"""Properties that hold on every input the API accepts, checked on generated data (hypothesis).

Data of every kind: dtypes (small and nullable integers, floats, booleans), sizes from 1 to a few
thousand, shapes (normal, skewed, heavy-tailed, bounded, counts, ties), magnitudes from 1e-300
to 1e300, weights (counts and relative frequencies), missing values. The invariants:

- only klmodels' own exceptions escape, and each is a subclass of the matching built-in;
- a score that is not finite comes with a note that says why;
- every reported log-likelihood equals scipy's recomputation at the reported parameters;
- discrete KL is never negative;
- the caller's objects are never modified;
- fits are scale-invariant: x * c ranks as x, with log-likelihoods shifted by n ln c;
- n_jobs=-1 gives the answer of n_jobs=1.

The examples are derandomized (tests/conftest.py) and few, to stay within the test budget.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import klmodels as klm

SHAPES = ("normal", "gamma", "lognormal_wide", "cauchy", "uniform", "pareto", "rounded", "constant")
COUNT_SHAPES = ("poisson", "nbinom", "binomial", "outlier", "zeros_heavy", "one_value")


def _continuous(shape: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if shape == "normal":
        return rng.normal(3.0, 2.0, n)
    if shape == "gamma":
        return rng.gamma(2.0, 3.0, n)
    if shape == "lognormal_wide":
        return rng.lognormal(0.0, 2.5, n)
    if shape == "cauchy":
        return rng.standard_cauchy(n)
    if shape == "uniform":
        return rng.uniform(0.05, 0.95, n)
    if shape == "pareto":
        return stats.pareto(0.9).rvs(n, random_state=rng)
    if shape == "rounded":
        return np.round(rng.gamma(4.0, 14.0, n) / 5) * 5 + 0.5
    return np.full(n, 2.5)


def _counts(shape: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if shape == "poisson":
        return rng.poisson(3.0, n)
    if shape == "nbinom":
        return rng.negative_binomial(0.8, 0.1, n)
    if shape == "binomial":
        return rng.binomial(10, 0.4, n)
    if shape == "outlier":
        return np.append(rng.poisson(2.0, max(n - 1, 1)), 10**9)
    if shape == "zeros_heavy":
        return np.where(rng.uniform(size=n) < 0.6, 0, rng.poisson(4.0, n))
    return np.full(n, 7)


@st.composite
def datasets(draw: st.DrawFn) -> dict:
    """Data of any kind the API accepts, with the options a user might pass."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    n = draw(st.sampled_from([1, 2, 3, 5, 12, 40, 200, 1500]))
    discrete = draw(st.booleans())
    if discrete:
        values = _counts(draw(st.sampled_from(COUNT_SHAPES)), n, rng)
        dtype = draw(st.sampled_from(["int64", "int16", "int8", "uint8", "Int64", "float64"]))
        if dtype in ("int8", "uint8", "int16"):
            info = np.iinfo(dtype)
            values = np.clip(values, max(info.min, -100), info.max)
        container = draw(st.sampled_from(["array", "series", "list"]))
        data = (
            pd.Series(values).astype(dtype)
            if container == "series" or dtype == "Int64"
            else (values.astype(dtype) if container == "array" else values.astype(dtype).tolist())
        )
    else:
        values = _continuous(draw(st.sampled_from(SHAPES)), n, rng)
        scale = 10.0 ** draw(st.sampled_from([0, -300, -150, -20, 20, 150, 290]))
        data = values * scale
        dtype = draw(st.sampled_from(["float64", "Float64", "float32"]))
        if dtype == "float32" and not (1e-30 < abs(scale) < 1e30):
            dtype = "float64"
        data = pd.Series(data).astype(dtype) if dtype != "float64" else data
    options: dict = {}
    if draw(st.booleans()) and n > 1:
        kind = draw(st.sampled_from(["counts", "frequencies"]))
        w = rng.integers(1, 5, n) if kind == "counts" else rng.dirichlet(np.ones(n))
        options["weights"] = w
        if kind == "frequencies" and draw(st.booleans()):
            options["n_obs"] = 50
    if draw(st.booleans()) and n > 2 and not discrete:
        data = np.asarray(data, dtype=np.float64).copy()
        data[0] = np.nan
        options["nan_policy"] = "omit"
    return {"data": data, "options": options, "discrete": discrete}


def _copy(value: object) -> object:
    if isinstance(value, (pd.Series, np.ndarray)):
        return value.copy()
    if isinstance(value, list):
        return list(value)
    return value


def _same(a: object, b: object) -> bool:
    if isinstance(a, pd.Series):
        return a.equals(b)
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b, equal_nan=True)
    return a == b


def _compare(data: object, **options: object) -> klm.ComparisonTable | None:
    """compare(), letting only klmodels' own exceptions through (as None)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return klm.compare(data, **options)
    except klm.KLModelsError as exc:
        builtin = (ValueError, KeyError, RuntimeError, ArithmeticError, TypeError, ImportError)
        assert isinstance(exc, builtin), f"{type(exc).__name__} has no built-in base"
        assert str(exc), "an error without a message"
        return None


def _recomputed_loglik(fit: klm.Fit) -> float:
    obs = fit.observations
    model = fit.freeze()
    with np.errstate(all="ignore"):
        if fit.kind == "discrete":
            values, prob = obs.distinct()
            return float(fit.n_obs * np.dot(prob, model.logpmf(values)))
        logpdf = model.logpdf(obs.values)
    weights = obs.probabilities
    return float(fit.n_obs * np.dot(weights, logpdf))


@settings(max_examples=40)
@given(datasets())
def test_only_klmodels_errors_escape_and_every_number_is_explained(case):
    data, options = case["data"], case["options"]
    before = {"data": _copy(data), **{k: _copy(v) for k, v in options.items()}}
    table = _compare(data, **options)
    assert _same(before["data"], data), "the caller's data were modified"
    for key, value in options.items():
        assert _same(before[key], value), f"the caller's {key} were modified"
    if table is None:
        return
    unit = table.unit
    for label, row in table.iterrows():
        for column in ("loglik", f"kl_{unit}", f"cross_entropy_{unit}"):
            value = row[column]
            if not (isinstance(value, float) and math.isfinite(value)):
                assert row["note"], f"{label}: {column}={value} without a note"
        if table.attrs["kind"] == "discrete" and math.isfinite(row[f"kl_{unit}"]):
            assert row[f"kl_{unit}"] >= -1e-12, f"{label}: discrete KL below 0"
    for label, fit in table.fits.items():
        if fit.n_obs is None or not math.isfinite(fit.loglik) or label == "empirical":
            continue
        assert fit.loglik == pytest.approx(_recomputed_loglik(fit), rel=1e-6, abs=1e-6), label


@settings(max_examples=12)
@given(
    shape=st.sampled_from(["normal", "gamma", "cauchy", "rounded"]),
    exponent=st.sampled_from([-300, -100, -8, 7, 100, 290]),
    seed=st.integers(0, 1000),
)
def test_fits_are_scale_invariant(shape, exponent, seed):
    x = _continuous(shape, 300, np.random.default_rng(seed))
    positive = bool(x.min() > 0)
    families = ["norm", "logistic", "laplace", "cauchy", "t", "gumbel_r"]
    if positive:
        families += ["gamma", "lognorm", "weibull_min", "expon", "invgauss", "fisk"]
    c = 10.0**exponent
    reference = klm.compare(x, families)
    scaled = klm.compare(x * c, families)
    assert list(scaled.index) == list(reference.index)
    shift = x.size * math.log(c)
    for label in reference.index:
        a, b = reference.loc[label, "loglik"], scaled.loc[label, "loglik"]
        if math.isnan(a):
            assert math.isnan(b)
            continue
        assert b == pytest.approx(a - shift, rel=1e-7, abs=1e-6 * x.size), label
        assert scaled.loc[label, "kl_bits"] == pytest.approx(
            reference.loc[label, "kl_bits"], abs=1e-4
        )


@settings(max_examples=6)
@given(case=datasets())
def test_parallel_fits_give_the_same_table(case):
    serial = _compare(case["data"], **case["options"])
    if serial is None:
        return
    parallel = klm.compare(case["data"], n_jobs=-1, **case["options"])
    pd.testing.assert_frame_equal(pd.DataFrame(serial), pd.DataFrame(parallel))
