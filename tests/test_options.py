"""One options object for compare, select, bootstrap and the Bayesian comparison."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

import klmodels as klm

X = pd.Series(np.random.default_rng(3).gamma(2.0, 1.5, 400), name="x")


def test_options_are_frozen_and_checked_once():
    options = klm.FitOptions(criterion="bic", fixed={"gamma": {"a": 2.0}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.criterion = "aic"  # type: ignore[misc]
    with pytest.raises(TypeError):
        options.fixed["gamma"] = {}  # type: ignore[index]
    for bad, match in [
        ({"criterion": "waic"}, "criterion must be one of aicc, aic, bic, kl"),
        ({"kind": "mixed"}, "kind must be 'discrete', 'continuous' or None"),
        ({"nan_policy": "drop"}, "nan_policy must be 'raise' or 'omit'"),
        ({"base": 1.0}, "base must be a finite number greater than 1"),
        ({"fixed": {"gamma": 2}}, "fixed= maps each family to its fixed parameters"),
        ({"n_jobs": 0}, "n_jobs must be a positive whole number or -1"),
        ({"n_jobs": math.inf}, "n_jobs must be a positive whole number or -1"),
        ({"free_loc": "yes"}, "free_loc must be True or False"),
    ]:
        with pytest.raises(klm.ParameterError, match=match):
            klm.FitOptions(**bad)
    with pytest.raises(klm.ParameterError, match="unknown option"):
        klm.FitOptions.of(None, critrion="bic")


def test_keywords_beside_options_override_only_what_they_change():
    options = klm.FitOptions(criterion="bic", base=math.e)
    assert klm.FitOptions.of(options, criterion="aicc").criterion == "bic"  # the default: kept
    assert klm.FitOptions.of(options, criterion="aic").criterion == "aic"
    assert klm.FitOptions.of(options, base=2.0).base == math.e
    with pytest.raises(klm.ParameterError, match=r"options must be a klm\.FitOptions"):
        klm.FitOptions.of({"criterion": "bic"})


def test_the_same_options_give_the_same_answers_everywhere():
    options = klm.FitOptions(criterion="bic", base=math.e, fixed={"gamma": {"a": 2.0}})
    families = ["gamma", "lognorm", "expon"]
    by_options = klm.compare(X, families, options=options)
    by_keywords = klm.compare(
        X, families, criterion="bic", base=math.e, fixed={"gamma": {"a": 2.0}}
    )
    pd.testing.assert_frame_equal(by_options, by_keywords)
    assert by_options.attrs["criterion"] == "bic" and "kl_nats" in by_options
    assert by_options.loc["gamma", "fixed"]["a"] == 2.0
    best = klm.select(X, families, options=options)
    assert best.family.name == by_options.index[0]
    result = klm.bootstrap(X, families, n_boot=3, rng=1, options=options)
    assert set(result.wins.index) <= set(families) and result.n_boot == 3
