"""The exceptions klmodels raises, and nothing else.

Every exception is a subclass of :class:`KLModelsError` *and* of the built-in that a
caller would catch without knowing klmodels, so ``except ValueError`` keeps working::

    KLModelsError
    ├── DataError(ValueError)            the observations cannot be used as given
    ├── ParameterError(ValueError)       a fixed parameter, support or option is invalid
    ├── UnknownFamilyError(KeyError)     a family name that no registry knows
    ├── FitError(RuntimeError)           a family could not be fitted to the data
    │   └── AllFamiliesFailedError       no candidate in a comparison could be fitted
    ├── ConvergenceError(ArithmeticError) a numerical value that would not settle
    ├── ReadOnlyRegistryError(TypeError) an attempt to change the built-in registry
    ├── NotInMemoryError(TypeError)      per-value work asked of data left on a Dask cluster
    ├── AccessorError(AttributeError)    the .kl accessor on a Series or DataFrame it cannot use
    ├── ScaleOutError(RuntimeError)      a Dask computation failed (no partial result is used)
    └── MissingExtraError(ImportError)   an optional dependency is not installed

Messages say what was given, what is allowed, and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AccessorError",
    "AllFamiliesFailedError",
    "ConvergenceError",
    "DataError",
    "FitError",
    "KLModelsError",
    "MissingExtraError",
    "NotInMemoryError",
    "ParameterError",
    "ReadOnlyRegistryError",
    "ScaleOutError",
    "UnknownFamilyError",
]


class KLModelsError(Exception):
    """Base class of every exception raised on purpose by klmodels."""


class DataError(KLModelsError, ValueError):
    """The observations are empty, non-numeric, NaN, negative-weighted or otherwise unusable."""


class ParameterError(KLModelsError, ValueError):
    """A fixed parameter, a support, or an option has a value that is not allowed."""


class UnknownFamilyError(KLModelsError, KeyError):
    """A family name that the registry does not know.

    Parameters
    ----------
    name
        The name that was asked for.
    known
        The names that are known; the message lists them and the closest matches.
    reason
        Why the name cannot be used, when it names something that is not usable as a family.
    """

    def __init__(self, name: str, known: Iterable[str], *, reason: str | None = None):
        self.name = name
        self.known = sorted(known)
        close = difflib.get_close_matches(str(name), self.known, n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        self.message = reason or (
            f"unknown family {name!r}.{hint} Known families: {', '.join(self.known)}. "
            "Any other scipy.stats distribution name (e.g. 'burr12') works too; in Python, a Family "
            "object or a frozen scipy.stats distribution as well."
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        # KeyError.__str__ would print the message in quotes, as if it were a key.
        return self.message


class FitError(KLModelsError, RuntimeError):
    """A family could not be fitted to the data (outside its support, optimiser failure, ...)."""


class AllFamiliesFailedError(FitError):
    """Every candidate in a comparison failed to fit; the message lists each reason."""


class ConvergenceError(KLModelsError, ArithmeticError):
    """A numerical integral or Monte Carlo estimate did not settle; the message says what it suggests."""


class ReadOnlyRegistryError(KLModelsError, TypeError):
    """The built-in registry ``klmodels.families`` cannot be changed; copy it first."""


class NotInMemoryError(KLModelsError, TypeError):
    """Something that needs every value (a plot, the bootstrap, per-observation values) was asked of Dask data."""


class AccessorError(KLModelsError, AttributeError):
    """``.kl`` on a Series or DataFrame it cannot use (pandas' rule: an AttributeError)."""


class ScaleOutError(KLModelsError, RuntimeError):
    """A computation on the Dask cluster failed (e.g. workers kept dying); no partial result was used."""


class MissingExtraError(KLModelsError, ImportError):
    """An optional dependency is missing; the message names the ``pip install`` line."""

    def __init__(self, package: str, extra: str, purpose: str):
        self.package = package
        self.extra = extra
        super().__init__(
            f"{purpose} needs the optional package {package!r}, which is not installed. "
            f"Install it with: pip install 'klmodels[{extra}]'",
            name=package,
        )
