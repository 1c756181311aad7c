"""Custom families, frozen scipy models as candidates, parameters, and the registry."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import stats

import klmodels as klm


def adhoc_family() -> klm.CustomFamily:
    return klm.CustomFamily(
        "adhoc",
        pmf=lambda x, p: np.where(x >= 6, p / 5, (1 - p) / 6),
        parameters={"p": (0.0, 1.0)},
        support=(0, 10),
    )


# ---------------------------------------------------------------- custom families
def test_adhoc_model_minimises_kl_at_the_share_of_six_or_more_teeth(worm_pmf):
    f = klm.fit(worm_pmf.index, adhoc_family(), weights=worm_pmf)
    # The KL-optimal p puts the observed mass of 6..10 teeth on that block: 0.45.
    assert f.params["p"] == pytest.approx(0.45, abs=1e-7)
    q = np.where(np.arange(11) >= 6, 0.45 / 5, 0.55 / 6)
    assert f.kl_bits == pytest.approx(stats.entropy(worm_pmf.to_numpy(), q, base=2), rel=1e-9)
    assert f.k == 1


def test_custom_logpmf_and_log_space_agree(worm_pmf):
    log_version = klm.CustomFamily(
        "adhoc_log",
        logpmf=lambda x, p: np.where(x >= 6, np.log(p / 5), np.log((1 - p) / 6)),
        parameters={"p": (0.0, 1.0)},
        support=(0, 10),
    )
    a = klm.fit(worm_pmf.index, adhoc_family(), weights=worm_pmf)
    b = klm.fit(worm_pmf.index, log_version, weights=worm_pmf)
    assert a.params["p"] == pytest.approx(b.params["p"], abs=1e-7)


def test_custom_family_freezes_to_a_scipy_distribution(worm_pmf):
    f = klm.fit(worm_pmf.index, adhoc_family(), weights=worm_pmf)
    frozen = f.freeze()
    np.testing.assert_allclose(frozen.pmf(np.arange(11)), np.exp(f.logpdf(np.arange(11))))
    assert frozen.pmf(np.arange(11)).sum() == pytest.approx(1.0)


def test_custom_family_gives_zero_outside_its_support():
    family = adhoc_family()
    assert family.logpdf(np.array([-1.0, 11.0, 2.5]), {"p": 0.5}).tolist() == [-math.inf] * 3


def test_a_pmf_that_does_not_sum_to_one_is_rejected(worm_pmf):
    bad = klm.CustomFamily(
        "bad", pmf=lambda x, p: np.full(x.shape, p), parameters={"p": (0, 1)}, support=(0, 10)
    )
    with pytest.raises(klm.FitError, match=r"the pmf sums to .*, not 1, over its support 0\.\.10"):
        klm.fit(worm_pmf.index, bad, weights=worm_pmf)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {},
            "give exactly one of pmf=, logpmf= (discrete) or pdf=, logpdf= (continuous); got none",
        ),
        ({"pmf": len, "pdf": len}, "got pmf, pdf"),
        ({"pmf": 3}, "pmf= must be a function"),
        ({"pmf": len, "parameters": {"p": (1, 0)}}, "has an empty range"),
        ({"pmf": len, "parameters": {"p": 5}}, "needs a range (low, high)"),
        ({"pmf": len, "support": (5, 1)}, "support must have low <= high"),
        ({"pmf": len, "start": {"q": 1}}, "start= names unknown parameters ['q']"),
    ],
)
def test_bad_custom_families_are_rejected(kwargs, message):
    args = {"parameters": {"p": (0, 1)}, "support": (0, 10), **kwargs}
    with pytest.raises(klm.ParameterError, match=re.escape(message)):
        klm.CustomFamily("x", **args)


# ---------------------------------------------------------------- frozen models
def test_frozen_binomial_from_the_post_is_a_model_with_no_parameters(worm_pmf):
    f = klm.fit(worm_pmf.index, stats.binom(10, 0.57), weights=worm_pmf)
    assert f.k == 0 and f.params == {}
    assert f.name == "binom(n=10, p=0.57)"
    expected = stats.entropy(worm_pmf.to_numpy(), stats.binom(10, 0.57).pmf(np.arange(11)), base=2)
    assert f.kl_bits == pytest.approx(expected, rel=1e-12)
    assert f.freeze().args == (10, 0.57)


def test_frozen_model_with_zero_probability_on_the_data_has_infinite_kl():
    f = klm.fit([0, 5, 11], stats.binom(10, 0.5))
    assert f.kl_bits == math.inf and f.loglik == -math.inf
    assert "probability 0 to 33.333% of the observations (e.g. 11)" in f.note


def test_frozen_model_labels_keyword_arguments():
    assert klm.FrozenModel(stats.poisson(mu=3, loc=1)).name == "poisson(mu=3, loc=1)"
    assert klm.FrozenModel(stats.norm(1.5, 2)).name == "norm(loc=1.5, scale=2)"


def test_frozen_model_rejects_non_distributions():
    with pytest.raises(klm.ParameterError, match=r"frozen scipy\.stats distribution"):
        klm.FrozenModel([1, 2, 3])


def test_frozen_model_has_nothing_to_fix():
    with pytest.raises(klm.ParameterError, match="has no parameter 'p'"):
        klm.fit([1, 2], stats.binom(10, 0.5), p=0.3)


# ---------------------------------------------------------------- parameters
def test_parameter_validation_messages():
    p = klm.Parameter("p", 0.0, 1.0, low_closed=True, high_closed=True)
    assert p.validate(0, "binom") == 0.0
    with pytest.raises(
        klm.ParameterError, match=re.escape("binom: parameter p=1.5 is outside its range [0, 1]")
    ):
        p.validate(1.5, "binom")
    n = klm.Parameter("n", 0, math.inf, low_closed=True, integer=True)
    with pytest.raises(klm.ParameterError, match=re.escape("must be a whole number; got 2.5")):
        n.validate(2.5, "binom")
    with pytest.raises(klm.ParameterError, match="must be a number; got 'ten'"):
        n.validate("ten", "binom")


# ---------------------------------------------------------------- registry
def test_the_builtin_registry_is_read_only():
    with pytest.raises(klm.ReadOnlyRegistryError, match="read-only") as exc:
        klm.families.register(adhoc_family())
    assert isinstance(exc.value, TypeError)
    with pytest.raises(klm.ReadOnlyRegistryError):
        klm.families.unregister("binom")


def test_a_copy_takes_new_families_and_compare_finds_them(worm_pmf):
    registry = klm.families.copy()
    registry.register(adhoc_family())
    assert "adhoc" in registry and "adhoc" not in klm.families
    table = klm.compare(
        worm_pmf.index, ["adhoc", "randint"], weights=worm_pmf, support=(0, 10), registry=registry
    )
    assert set(table.index) == {"adhoc", "randint"}
    with pytest.raises(klm.ParameterError, match="already registered; pass replace=True"):
        registry.register(adhoc_family())
    registry.register(adhoc_family(), replace=True)
    assert registry.unregister("adhoc").name == "adhoc"


def test_only_families_can_be_registered():
    with pytest.raises(klm.ParameterError, match="only Family objects"):
        klm.families.copy().register("norm")


def test_unknown_family_lists_known_names_and_suggests_close_ones():
    with pytest.raises(klm.UnknownFamilyError) as exc:
        klm.families["binomial"]
    message = str(exc.value)
    assert isinstance(exc.value, KeyError)
    assert message.startswith("unknown family 'binomial'. Did you mean 'binom'")
    assert "Known families: bernoulli, beta, betabinom, binom" in message


def test_registry_names_by_kind_and_table():
    assert "binom" in klm.families.names("discrete")
    assert klm.families.names("continuous") == [
        n for n, f in klm.families.items() if f.kind == "continuous"
    ]
    frame = klm.families.to_frame("discrete")
    assert frame.loc["binom", "parameters"] == "n, p, loc"
    assert frame.loc["binom", "fixed_by_default"] == "loc=0"
    with pytest.raises(klm.ParameterError, match="kind must be"):
        klm.families.names("mixed")


def test_held_parameters_are_a_view_not_a_copy():
    """What check_fit receives wraps the fit's parameters without reading them: the empirical
    family's are a lazy mapping with one entry per distinct value, and copying 255,620 of them
    took 0.65 s of a 0.6 s comparison (a regression caught by the benchmark)."""
    from collections.abc import Mapping

    from klmodels.family.base import HeldParameters

    class Counting(Mapping):
        reads = 0

        def __getitem__(self, key):
            Counting.reads += 1
            return 1.0

        def __iter__(self):
            return iter(["a", "b"])

        def __len__(self):
            return 2

    view = HeldParameters(Counting(), held={"b"})
    assert Counting.reads == 0 and view.held == {"b"} and len(view) == 2
    assert view["a"] == 1.0 and dict(view) == {"a": 1.0, "b": 1.0}
