"""The exception hierarchy: every klmodels error is also the built-in a caller would catch."""

from __future__ import annotations

import pytest

import klmodels as klm
from klmodels import errors


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (klm.DataError, ValueError),
        (klm.ParameterError, ValueError),
        (klm.UnknownFamilyError, KeyError),
        (klm.FitError, RuntimeError),
        (klm.AllFamiliesFailedError, RuntimeError),
        (klm.ReadOnlyRegistryError, TypeError),
        (klm.MissingExtraError, ImportError),
    ],
)
def test_each_error_subclasses_the_base_and_its_builtin(error, builtin):
    assert issubclass(error, klm.KLModelsError)
    assert issubclass(error, builtin)


def test_all_families_failed_is_a_fit_error():
    assert issubclass(klm.AllFamiliesFailedError, klm.FitError)


def test_unknown_family_message_is_not_quoted_like_a_key():
    error = klm.UnknownFamilyError("gama", ["gamma", "norm"])
    assert str(error) == (
        "unknown family 'gama'. Did you mean 'gamma'? Known families: gamma, norm. "
        "Any other scipy.stats distribution name (e.g. 'burr12') works too; in Python, a Family "
        "object or a frozen scipy.stats distribution as well."
    )
    assert error.name == "gama" and error.known == ["gamma", "norm"]


def test_missing_extra_names_the_install_line():
    error = klm.MissingExtraError("pymc", "bayes", "Bayesian comparison")
    assert str(error) == (
        "Bayesian comparison needs the optional package 'pymc', which is not installed. "
        "Install it with: pip install 'klmodels[bayes]'"
    )
    assert error.name == "pymc"


def test_errors_module_exports_exactly_its_classes():
    public = {
        n for n, v in vars(errors).items() if isinstance(v, type) and issubclass(v, Exception)
    }
    assert set(errors.__all__) == public
