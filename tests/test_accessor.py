"""The .kl accessor: the same numbers as the API, stateless, and AttributeError on unsuitable objects."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import klmodels as klm


def test_issue_examples(worms, worm_teeth_100):
    via_accessor = worms.kl.compare("teeth", weights="share", support=(0, 10))
    direct = klm.compare(worms["teeth"], weights=worms["share"], support=(0, 10))
    pd.testing.assert_frame_equal(via_accessor, direct)
    assert worm_teeth_100.kl.fit("binom", n=10).params == {"p": pytest.approx(0.544)}


def test_series_entropy_and_divergence(worm_teeth_100, worms):
    assert worm_teeth_100.kl.entropy() == pytest.approx(3.262, abs=5e-4)
    assert worms.kl.entropy("teeth", weights="share") == pytest.approx(3.262, abs=5e-4)
    uniform = stats.randint(0, 11)
    assert worm_teeth_100.kl.divergence(uniform) == pytest.approx(0.197, abs=5e-4)
    fit = worm_teeth_100.kl.fit("binom", n=10)
    assert worm_teeth_100.kl.divergence(fit) == pytest.approx(fit.kl_bits, rel=1e-12)
    other = pd.Series([0, 10, 5, 5])
    assert other.kl.divergence(worm_teeth_100) == pytest.approx(
        klm.kl_divergence(
            pd.Series([0.25, 0.5, 0.25], index=[0, 5, 10]), worm_teeth_100.value_counts()
        ),
        rel=1e-12,
    )


def test_series_compare_and_select(worm_teeth_100):
    table = worm_teeth_100.kl.compare(support=(0, 10))
    pd.testing.assert_frame_equal(table, klm.compare(worm_teeth_100, support=(0, 10)))
    assert worm_teeth_100.kl.select(support=(0, 10)).name == table.index[0]


def test_dataframe_compare_over_every_numeric_column(rng):
    frame = pd.DataFrame(
        {
            "counts": rng.poisson(3, 300),
            "flags": rng.integers(0, 2, 300).astype(bool),
            "label": ["a"] * 300,
        }
    )
    table = frame.kl.compare()
    assert table.index.names == ["column", "family"]
    assert set(table.index.get_level_values("column")) == {"counts", "flags"}
    pd.testing.assert_frame_equal(
        table.loc["counts"], klm.compare(frame["counts"]), check_names=False
    )
    assert "bernoulli" in table.loc["flags"].index


def test_dataframe_fit_and_select(worms):
    f = worms.kl.fit("teeth", "binom", weights="share", n=10)
    assert f.params["p"] == pytest.approx(0.544)
    assert (
        worms.kl.select("teeth", ["binom", "randint"], weights="share", support=(0, 10)).name
        == "randint"
    )


def test_errors_name_the_column(worms):
    with pytest.raises(
        klm.DataError, match="no column 'legs'; the columns are \\['teeth', 'share'\\]"
    ):
        worms.kl.compare("legs")
    frame = pd.DataFrame({"good": [0, 1, 2], "bad": [0.5, 1.5, 2.5]})
    with pytest.raises(klm.AllFamiliesFailedError) as exc:
        frame.kl.compare(families=["poisson"])
    assert "(while comparing families for column 'bad')" in exc.value.__notes__


def test_unsuitable_objects_raise_attribute_error():
    with pytest.raises(
        AttributeError, match="needs a numeric or boolean Series; this one has dtype"
    ):
        pd.Series(["a", "b"]).kl  # noqa: B018
    with pytest.raises(AttributeError, match="at least one numeric or boolean column"):
        pd.DataFrame({"a": ["x"]}).kl  # noqa: B018
    assert not hasattr(pd.Series(["a"]), "kl")


def test_accessor_is_stateless_and_leaves_the_frame_alone(worms):
    before = worms.copy()
    accessor = worms.kl
    assert vars(accessor) == {"_obj": worms}
    worms.kl.compare("teeth", weights="share", support=(0, 10))
    pd.testing.assert_frame_equal(worms, before)
    assert worms.attrs == {}


def test_series_with_nulls_follow_nan_policy():
    s = pd.Series([1, 2, None, 2], dtype="Int64")
    with pytest.raises(klm.DataError, match="nan_policy='omit'"):
        s.kl.fit("poisson")
    assert s.kl.fit("poisson", nan_policy="omit").params["mu"] == pytest.approx(5 / 3)
    assert np.isfinite(s.kl.entropy(nan_policy="omit"))


def test_comparing_every_column_keeps_each_comparisons_header_and_fits():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"a": rng.gamma(2.0, 1.0, 300), "b": rng.normal(0.0, 1.0, 300)})
    table = frame.kl.compare(families=["norm", "logistic"], base=math.e)
    assert isinstance(table, klm.ComparisonTable)
    assert table.unit == "nats" and "2 columns (a, b)" in table.header()
    one = frame.kl.compare("a", ["norm", "logistic"], base=math.e)
    assert table.attrs["by_column"]["a"] == one.attrs
    assert table.fits[("a", one.index[0])].loglik == pytest.approx(one.fits[one.index[0]].loglik)
    assert set(table.fits) == {(c, f) for c in "ab" for f in ("norm", "logistic")}
