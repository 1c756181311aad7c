"""The one decision function that picks how a continuous family is estimated."""

from __future__ import annotations

import numpy as np
import pytest

import klmodels as klm
from klmodels.family.strategy import LARGE_SAMPLE, Traits, choose, choose_iterative

CLOSED = Traits(frozenset({"a", "scale"}), "closed form", "lower")
ROOT_IN_MEMORY = Traits(frozenset({"c", "scale"}), "root in memory", "lower")
ROOT = Traits(frozenset({"loc", "scale"}), "root", "real")
NONE = Traits(frozenset(), "none", "real")
DECREASING = Traits(frozenset({"scale"}), "closed form", "lower", decreasing_from_loc=True)
INTERVAL = Traits(frozenset({"a", "b"}), "closed form", "interval")

SMALL = {"in_memory": True, "weighted": False, "size": 1_000}
LARGE = {"in_memory": True, "weighted": False, "size": LARGE_SAMPLE + 1}
COUNTED = {"in_memory": True, "weighted": True, "size": 10 * LARGE_SAMPLE}
CLUSTER = {"in_memory": False, "weighted": False, "size": 1_000}


@pytest.mark.parametrize(
    ("traits", "free", "data", "path"),
    [
        (CLOSED, set(), SMALL, "nothing free"),
        (CLOSED, {"a", "scale"}, LARGE, "exact"),
        (CLOSED, {"a", "scale"}, CLUSTER, "exact"),
        (CLOSED, {"a", "scale", "loc"}, SMALL, "profile loc"),
        (CLOSED, {"a", "scale", "loc"}, LARGE, "subsample, then polish"),
        (ROOT_IN_MEMORY, {"c", "scale"}, LARGE, "exact"),
        (ROOT_IN_MEMORY, {"c", "scale"}, CLUSTER, "subsample, then polish"),
        (ROOT, {"loc", "scale"}, SMALL, "exact"),
        (ROOT, {"loc", "scale"}, LARGE, "subsample, then polish"),
        (ROOT, {"loc", "scale"}, COUNTED, "exact"),
        (NONE, {"loc", "scale"}, SMALL, "numerical"),
        (NONE, {"loc", "scale"}, LARGE, "subsample, then polish"),
        (DECREASING, {"scale", "loc"}, LARGE, "edge, then the rest"),
        (INTERVAL, {"a", "b", "loc", "scale"}, SMALL, "profile ends"),
        (CLOSED, {"a"}, SMALL, "numerical"),
    ],
)
def test_the_decision_table(traits, free, data, path):
    assert choose(traits, frozenset(free), **data) == path


def test_a_subsample_iterates_like_small_data():
    assert choose_iterative(ROOT, frozenset({"loc", "scale"})) == "exact"
    assert choose_iterative(CLOSED, frozenset({"a", "scale", "loc"})) == "profile loc"
    assert choose_iterative(NONE, frozenset({"df", "loc", "scale"})) == "numerical"


@pytest.mark.parametrize(
    ("name", "fixed", "size", "path"),
    [
        ("norm", {}, 200_000, "exact"),
        ("gamma", {}, 1_000, "exact"),
        ("gamma", {"loc": None}, 1_000, "profile loc"),
        ("expon", {"loc": None}, 1_000, "edge, then the rest"),
        ("weibull_min", {}, 200_000, "exact"),
        ("gumbel_r", {}, 200_000, "subsample, then polish"),
        ("t", {}, 1_000, "numerical"),
        ("loggamma", {}, 1_000, "numerical"),
        ("uniform", {}, 1_000, "exact"),
    ],
)
def test_each_family_declares_its_path(name, fixed, size, path):
    family = klm.families[name]
    data = klm.Observations.from_data(np.random.default_rng(0).gamma(3.0, 2.0, size) + 0.5)
    free_loc = {k: v for k, v in fixed.items() if v is not None}
    defaults = {
        k: v for k, v in family.default_fixed.items() if k not in fixed
    }  # None in `fixed` frees a default
    assert family.path(data, {**defaults, **free_loc}) == path
