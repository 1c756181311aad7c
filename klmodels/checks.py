"""Validation of options shared across the API: each check names what was given, what is allowed and the fix.

Numbers may be Python or NumPy scalars (``np.int64(10)`` is a whole number); booleans are not
numbers here, and strings never are.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from klmodels.errors import ParameterError

__all__ = [
    "check_fraction",
    "check_frozen_model",
    "check_rng",
    "check_whole",
    "is_number",
]


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number (Python or NumPy scalar), not a bool or a string."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def check_whole(value: Any, name: str, *, low: int, high: int | None = None) -> int:
    """``value`` as an int if it is a whole number in [low, high]; a ParameterError otherwise."""
    allowed = (
        f"a whole number >= {low}" if high is None else f"a whole number from {low} to {high:,}"
    )
    if not is_number(value) or not math.isfinite(float(value)) or float(value) != int(value):
        raise ParameterError(f"{name} must be {allowed}; got {value!r}")
    whole = int(value)
    if whole < low or (high is not None and whole > high):
        raise ParameterError(f"{name} must be {allowed}; got {value!r}")
    return whole


def check_fraction(value: Any, name: str) -> float:
    """``value`` as a float strictly between 0 and 1; a ParameterError otherwise."""
    if not is_number(value) or not 0 < float(value) < 1:
        raise ParameterError(f"{name} must be a number between 0 and 1 (e.g. 0.95); got {value!r}")
    return float(value)


def check_rng(rng: Any) -> np.random.Generator:
    """A NumPy Generator from ``rng`` (a Generator, a non-negative whole-number seed, or None)."""
    if rng is None or isinstance(rng, (np.random.Generator, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.RandomState):
        return np.random.default_rng(rng.randint(0, 2**31))
    if is_number(rng) and float(rng).is_integer() and rng >= 0:
        return np.random.default_rng(int(rng))
    raise ParameterError(
        f"rng must be a numpy.random.Generator, a whole-number seed >= 0, or None; got {rng!r}"
    )


def check_frozen_model(model: Any, what: str = "a model") -> Any:
    """A frozen scipy.stats distribution with valid scalar parameters, or a ParameterError.

    Rejects multivariate distributions, array parameters (several models at once) and
    parameters outside the family's domain (a negative scale), which scipy would answer with NaN.
    """
    dist = getattr(model, "dist", None)
    if not isinstance(dist, (stats.rv_continuous, stats.rv_discrete)) or not hasattr(model, "args"):
        raise ParameterError(
            f"{what} must be a frozen scipy.stats distribution such as scipy.stats.norm(0, 1), or a Fit; "
            f"got {type(model).__name__}"
        )
    try:
        # private scipy API, absent from scipy-stubs
        shapes, loc, *rest = dist._parse_args(*model.args, **model.kwds)  # type: ignore[union-attr]
    except TypeError as exc:
        raise ParameterError(
            f"{what}: {dist.name} was frozen with wrong arguments ({exc})"
        ) from None
    values = [*shapes, loc, *rest]
    if any(np.ndim(v) != 0 for v in values):
        raise ParameterError(
            f"{what}: {dist.name} was frozen with array parameters (several models at once); "
            "give one model with scalar parameters"
        )
    floats = [float(v) for v in values]
    scale_ok = not rest or floats[-1] > 0
    if (
        not all(math.isfinite(v) for v in floats)
        or not scale_ok
        or not np.all(dist._argcheck(*shapes))
    ):
        raise ParameterError(
            f"{what}: {dist.name} with parameters {tuple(floats)} is not a valid distribution "
            "(parameters outside their domain, e.g. a scale <= 0)"
        )
    return model
