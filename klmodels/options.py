"""The options every comparison shares, checked once: :class:`FitOptions`.

:func:`klmodels.compare`, :func:`klmodels.select`, :func:`klmodels.bootstrap` and
:func:`klmodels.bayes.compare` take the same keywords (``support``, ``fixed``, ``criterion``, ...)
and pass them on as one frozen :class:`FitOptions`, built by :meth:`FitOptions.of` (which checks
each of them and says what is allowed). A new option is a field here, its check in
:meth:`FitOptions.__post_init__`, and the keyword in the public signatures that offer it.
``options=`` passes a whole set at once; keywords given beside it override its fields.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from klmodels.checks import is_number
from klmodels.errors import ParameterError
from klmodels.frozen import FrozenMapping
from klmodels.information import as_log_base

__all__ = ["CRITERIA", "Criterion", "FitOptions"]

Criterion = Literal["aicc", "aic", "bic", "kl"]
CRITERIA: tuple[Criterion, ...] = ("aicc", "aic", "bic", "kl")


@dataclass(frozen=True)
class FitOptions:
    """How candidates are fitted and scored; the keywords of :func:`klmodels.compare`.

    Attributes
    ----------
    support
        ``(low, high)``: the values the data can take (None: from the data).
    fixed
        Parameters to hold fixed per family, e.g. ``{"nbinom": {"n": 2}}``.
    criterion
        ``"aicc"``, ``"aic"``, ``"bic"`` or ``"kl"``.
    kind
        ``"discrete"``, ``"continuous"`` or None (decided by the data).
    free_loc
        Estimate ``loc`` (and a fixed ``scale``) of every continuous family.
    base
        Logarithm base of the information columns (2: bits).
    nan_policy
        ``"raise"`` or ``"omit"``.
    registry
        Where names are looked up (None: :data:`klmodels.families`).
    progress
        Show a progress bar.
    n_jobs
        Fit families in this many threads (-1: every core).
    """

    support: tuple[float, float | None] | None = None
    fixed: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    criterion: Criterion = "aicc"
    kind: Literal["discrete", "continuous"] | None = None
    free_loc: bool = False
    base: float = 2.0
    nan_policy: Literal["raise", "omit"] = "raise"
    registry: Mapping[str, Any] | None = None
    progress: bool = False
    n_jobs: int = 1

    def __post_init__(self) -> None:
        if self.criterion not in CRITERIA:
            raise ParameterError(
                f"criterion must be one of {', '.join(CRITERIA)}; got {self.criterion!r}"
            )
        if self.kind not in (None, "discrete", "continuous"):
            raise ParameterError(
                f"kind must be 'discrete', 'continuous' or None (decide by the data); got {self.kind!r}"
            )
        if self.nan_policy not in ("raise", "omit"):
            raise ParameterError(f"nan_policy must be 'raise' or 'omit'; got {self.nan_policy!r}")
        as_log_base(self.base)
        fixed = self.fixed if self.fixed is not None else {}
        if not isinstance(fixed, Mapping) or not all(
            isinstance(v, Mapping) for v in fixed.values()
        ):
            raise ParameterError(
                "fixed= maps each family to its fixed parameters, e.g. fixed={'binom': {'n': 10}}; "
                f"got {fixed!r}"
            )
        object.__setattr__(
            self, "fixed", FrozenMapping({k: FrozenMapping(dict(v)) for k, v in fixed.items()})
        )
        jobs = self.n_jobs
        if not (
            is_number(jobs)
            and math.isfinite(jobs)
            and (jobs == -1 or (jobs >= 1 and jobs == int(jobs) <= 1024))
        ):
            raise ParameterError(
                f"n_jobs must be a positive whole number or -1 (every core); got {jobs!r}"
            )
        object.__setattr__(self, "n_jobs", int(jobs))
        for flag in ("free_loc", "progress"):
            if not isinstance(getattr(self, flag), bool):
                raise ParameterError(f"{flag} must be True or False; got {getattr(self, flag)!r}")

    @classmethod
    def of(cls, options: FitOptions | None = None, **given: Any) -> FitOptions:
        """``options`` (default: all defaults) with the keywords in ``given`` replacing its fields.

        The public functions pass every keyword they were called with; against an explicit
        ``options``, only those that differ from the defaults of this class replace its fields.

        Raises
        ------
        ParameterError
            For an unknown option or a bad value (see :meth:`__post_init__`).
        """
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(given) - names
        if unknown:
            raise ParameterError(
                f"unknown option(s) {sorted(unknown)}; the options are {sorted(names)}"
            )
        if options is None:
            return cls(**given)
        if not isinstance(options, FitOptions):
            raise ParameterError(f"options must be a klm.FitOptions; got {type(options).__name__}")
        defaults = cls()
        changed = {k: v for k, v in given.items() if not _same(v, getattr(defaults, k))}
        return dataclasses.replace(options, **changed)

    def replace(self, **changes: Any) -> FitOptions:
        """A copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)


def _same(a: Any, b: Any) -> bool:
    """Whether a keyword was left at its default (so that it does not override ``options``)."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return len(a) == 0 and len(b) == 0
    return a is b or (type(a) is type(b) and a == b)
