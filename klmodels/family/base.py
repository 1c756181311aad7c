"""What a model family is: named parameters with domains, a log density, and a way to fit it.

A :class:`Family` declares its parameters as data (:class:`Parameter`: name, domain,
integer or not) and which of them are held fixed unless the user says otherwise
(``default_fixed``, e.g. ``loc = 0``). Fitting a family means maximising the mean
log-likelihood over the free parameters, which is the same as minimising the KL divergence
from the data to the model. A family supplies closed forms where it has them
(:meth:`Family.estimate`); otherwise :meth:`Family.estimate` falls back to the bounded
optimiser of :mod:`klmodels.optimize`, started from :meth:`Family.start`.

Three kinds of family live here:

- :class:`ScipyFamily`: a ``scipy.stats`` distribution under its scipy name;
- :class:`FrozenModel`: a frozen scipy distribution, a fully specified model with no free
  parameter (k = 0);
- :class:`CustomFamily`: a user's pmf or pdf with named, bounded parameters.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

from klmodels.errors import FitError, ParameterError
from klmodels.optimize import Domain, maximise
from klmodels.protocols import ObservationsLike

__all__ = [
    "CustomFamily",
    "Family",
    "FrozenModel",
    "Kind",
    "NotedEstimate",
    "Parameter",
    "ScipyFamily",
    "Support",
    "format_support",
    "log1mexp",
]


def log1mexp(x: Any) -> Any:
    r""":math:`\ln(1 - e^{x})` for x <= 0 without cancellation (Maechler 2012).

    ``log(-expm1(x))`` near 0 (x > -ln 2), where ``log1p(-exp(x))`` would lose all digits of a
    tiny :math:`1 - e^{x}`; ``log1p(-exp(x))`` below.
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(x > -math.log(2.0), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))
    return float(out) if out.ndim == 0 else out


class NotedEstimate(dict):
    """A family's estimate (parameter name to value) that carries notes for the fit's row.

    For what only the estimation knows, such as a search made on a subsample; :meth:`Family.diagnose`
    sees the data and the parameters but not how they were found.
    """

    def __init__(self, estimate: Mapping[str, float], notes: Sequence[str] = ()) -> None:
        super().__init__(estimate)
        self.notes = tuple(note for note in notes if note)


class HeldParameters(Mapping[str, float]):
    """A fit's parameter values (name to value) that also say which of them were held (``held``).

    What :meth:`Family.check_fit` receives: a held shape is the caller's choice, not a drift.
    A view, not a copy: the empirical family's values are a lazy mapping with one entry per
    distinct value (copying 255,620 of them took 0.65 s).
    """

    def __init__(self, params: Mapping[str, float], held: Iterable[str] = ()) -> None:
        self._params = params
        self.held = frozenset(held)

    def __getitem__(self, name: str) -> float:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)


Kind = Literal["discrete", "continuous"]
Support = tuple[float, float | None]


def format_support(support: Support) -> str:
    """``(low, high)`` as the user would write it, e.g. ``(0, 10)`` or ``(1, None)``."""
    low, high = support
    return f"({low:g}, {'None' if high is None else f'{high:g}'})"


@dataclass(frozen=True)
class Parameter:
    """One parameter of a family: its name, allowed range and whether it is a whole number.

    Attributes
    ----------
    name : str
        The scipy keyword name (e.g. ``"p"``, ``"loc"``).
    low, high : float
        The range of allowed values; a fitted value lies strictly inside it.
    low_closed, high_closed : bool
        Whether a *fixed* value may equal ``low`` / ``high`` (e.g. binomial p = 0).
    integer : bool
        True for whole-number parameters (a binomial ``n``, a shift of a discrete family).
    """

    name: str
    low: float = -math.inf
    high: float = math.inf
    low_closed: bool = False
    high_closed: bool = False
    integer: bool = False

    @property
    def domain(self) -> Domain:
        """The open interval used by the optimiser."""
        return Domain(self.low, self.high)

    def validate(self, value: Any, family: str) -> float:
        """Return ``value`` as float if it is allowed for this parameter, else raise ParameterError."""
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ParameterError(f"{family}: parameter {self.name} must be a number; got {value!r}")
        v = float(value)
        above = v > self.low or (self.low_closed and v == self.low)
        below = v < self.high or (self.high_closed and v == self.high)
        if not (math.isfinite(v) and above and below):
            raise ParameterError(
                f"{family}: parameter {self.name}={value!r} is outside its range {self.describe_range()}"
            )
        if self.integer and v != math.floor(v):
            raise ParameterError(
                f"{family}: parameter {self.name} must be a whole number; got {value!r}"
            )
        return v

    def describe_range(self) -> str:
        """The range in interval notation, e.g. ``[0, 1]`` or ``(0, inf)``."""
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        kind = " integer" if self.integer else ""
        return f"{left}{self.low:g}, {self.high:g}{right}{kind}"


class Family(ABC):
    """A parametric family of probability distributions that klmodels can fit and score.

    Subclasses set ``name``, ``kind`` and ``parameters`` and implement :meth:`logpdf`; they
    override :meth:`estimate` where a closed form or a faster exact solver exists.

    Attributes
    ----------
    name : str
        Registry key (scipy's name for scipy-backed families).
    kind : {"discrete", "continuous"}
        Whether :meth:`logpdf` is a log probability mass or a log density.
    parameters : tuple of Parameter
        Every parameter, including those usually held fixed.
    default_fixed : Mapping[str, float]
        Parameters held fixed unless the user fixes them to another value (e.g. ``loc = 0``).
    summary : str
        One line on what the family models.
    """

    name: str
    kind: Kind
    parameters: tuple[Parameter, ...]
    default_fixed: Mapping[str, float] = {}
    summary: str = ""
    location_scale: bool = False
    """Whether the family has scipy's ``loc`` and ``scale`` (then fits are made on standardised data)."""
    has_cdf: bool = False
    """Whether :meth:`logcdf` and :meth:`logsf` are cheap (a closed form or scipy's special functions)."""
    default_candidate: bool = True
    """Whether ``compare(data)`` without families may pick it (False: opt-in, by name)."""

    # ------------------------------------------------------------------ the model
    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of all parameters, in scipy's order."""
        return tuple(p.name for p in self.parameters)

    def parameter(self, name: str) -> Parameter:
        """The :class:`Parameter` called ``name``; ParameterError if there is none."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise ParameterError(
            f"{self.name} has no parameter {name!r}; its parameters are {', '.join(self.param_names) or 'none'}"
        )

    @abstractmethod
    def logpdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Log probability mass (discrete) or log density (continuous) at ``x``, in nats.

        Parameters
        ----------
        x
            Points at which to evaluate.
        params
            A value for every parameter in :attr:`param_names`.
        """

    def freeze(self, params: Mapping[str, float]) -> Any:
        """The scipy frozen distribution for a full set of parameters."""
        raise NotImplementedError(f"{self.name} has no scipy equivalent to freeze")

    def logcdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Log of the cumulative distribution function at ``x``."""
        with np.errstate(all="ignore"):
            return np.asarray(self.freeze(params).logcdf(x), dtype=np.float64)

    def logsf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Log of the survival function (1 - cdf, computed without cancellation) at ``x``."""
        with np.errstate(all="ignore"):
            return np.asarray(self.freeze(params).logsf(x), dtype=np.float64)

    # ------------------------------------------------------------------ fitting
    saturated: bool = False
    """Whether the family is the data's own frequencies (the saturated model, KL = 0)."""

    def default_prior(
        self, name: str, summary: Mapping[str, float]
    ) -> tuple[str, dict[str, float]] | None:
        """The Bayesian view's default prior for parameter ``name``, where this family has its own.

        ``(PyMC distribution name, keyword arguments)``, scaled by the data's ``summary``
        (``mean``, ``spread`` and ``min`` of the values the family sees); None: the generic rule
        of :mod:`klmodels.bayes` (by the parameter's name and range).
        """
        return None

    def can_hold(self, low: float, high: float, support_given: bool) -> bool:
        """Whether this family can describe data from ``low`` to ``high`` (a cheap check, no fitting).

        Used to choose default candidates; ``support_given`` says whether ``low``/``high`` come
        from the user's ``support=`` (which may shift the family) rather than from the data.
        """
        return True

    def params_from_support(self, support: Support) -> dict[str, float]:
        """Parameters implied by the declared range of the data (e.g. a binomial's ``n``).

        The default ties nothing to the support. Raises FitError when the family cannot
        have that support.
        """
        return {}

    def resolve_fixed(self, support: Support | None, fixed: Mapping[str, Any]) -> dict[str, float]:
        """Merge default, support-implied and user-given fixed parameters, and validate them.

        User-given values win over the defaults; a user value that contradicts the support
        raises ParameterError.
        """
        merged = dict(self.default_fixed)
        implied = self.params_from_support(support) if support is not None else {}
        merged.update(implied)
        for name, value in fixed.items():
            param = self.parameter(name)
            v = param.validate(value, self.name)
            if name in implied and implied[name] != v:
                assert support is not None  # only a support implies parameters
                raise ParameterError(
                    f"{self.name}: {name}={value!r} contradicts support={format_support(support)}, "
                    f"which implies {name}={implied[name]:g}; give one or the other"
                )
            merged[name] = v
        for name, value in merged.items():
            merged[name] = self.parameter(name).validate(value, self.name)
        return merged

    def free_parameters(self, fixed: Mapping[str, float]) -> tuple[Parameter, ...]:
        """The parameters that are estimated when ``fixed`` are held fixed."""
        return tuple(p for p in self.parameters if p.name not in fixed)

    def start(self, obs: ObservationsLike, fixed: Mapping[str, float]) -> dict[str, float]:
        """Starting values for the numerical optimiser (the middle of each domain by default)."""
        out = {}
        for p in self.free_parameters(fixed):
            if math.isfinite(p.low) and math.isfinite(p.high):
                out[p.name] = 0.5 * (p.low + p.high)
            elif math.isfinite(p.low):
                out[p.name] = p.low + 1.0
            elif math.isfinite(p.high):
                out[p.name] = p.high - 1.0
            else:
                out[p.name] = 0.0
        return out

    def estimate(self, obs: ObservationsLike, fixed: Mapping[str, float]) -> dict[str, float]:
        """Maximum-likelihood values of the free parameters.

        The default maximises the mean log-likelihood numerically (see
        :func:`klmodels.optimize.maximise`). Subclasses override it with closed forms.

        Raises
        ------
        FitError
            If the family cannot describe the data or the optimiser fails.
        """
        free = self.numerically_free(fixed)
        if not free:
            return {}
        sample = obs.sample_for(self.kind)

        def mean_loglik(free_values: dict[str, float]) -> float:
            return sample.average(lambda x: self.logpdf(x, {**fixed, **free_values}))

        params, _ = maximise(
            mean_loglik,
            {p.name: p.domain for p in free},
            self.start(obs, fixed),
            what=self.name,
        )
        return params

    def numerically_free(self, fixed: Mapping[str, float]) -> tuple[Parameter, ...]:
        """The free parameters, for a numerical optimiser (which cannot search whole numbers).

        Raises
        ------
        FitError
            If a whole-number parameter (a binomial n, ...) is free.
        """
        free = self.free_parameters(fixed)
        integer = [p.name for p in free if p.integer]
        if integer:
            raise FitError(
                f"{self.name}: whole-number parameter(s) {', '.join(integer)} cannot be estimated "
                f"numerically; fix them, e.g. {integer[0]}=..."
            )
        return free

    def n_free(self, estimated: Mapping[str, float]) -> int:
        """Number of estimated parameters, k in AIC and BIC."""
        return len(estimated)

    def diagnose(self, obs: ObservationsLike, params: Mapping[str, float]) -> list[str]:
        """Notes on a fit that the numbers alone do not show (e.g. a parameter at its boundary)."""
        return []

    def mean_loglik_from_moments(self, sample: Any, params: Mapping[str, float]) -> float | None:
        """The mean log-likelihood from the sample's cached moments, where a closed form exists.

        Used for data on a cluster, where it saves a pass over the data; None otherwise.
        """
        return None

    def check_fit(
        self, obs: ObservationsLike, params: Mapping[str, float], mean_loglik: float
    ) -> list[str]:
        """Checks of a finished fit that may refuse it (FitError) or add notes; none by default."""
        return []

    def _held_by_caller(self, fixed: Mapping[str, float]) -> dict[str, float]:
        """The parameters of ``fixed`` that the caller holds: those not at the family's defaults."""
        return {k: v for k, v in fixed.items() if self.default_fixed.get(k) != v}

    def _estimate_with_held_freed(
        self, obs: ObservationsLike, fixed: Mapping[str, float]
    ) -> dict[str, float] | None:
        """The estimate with the caller's held parameters free (the defaults kept), as a start.

        None when the caller holds nothing or that fit fails. A family's own starts know little
        of a held value; where it equals its free estimate, the free fit is where it peaks.
        """
        held = self._held_by_caller(fixed)
        if not held:
            return None
        try:
            return self.estimate(obs, {k: v for k, v in fixed.items() if k not in held})
        except FitError:
            return None

    def with_free(self, *names: str) -> Family:
        """The same family with ``names`` estimated instead of held at their defaults (e.g. ``"loc"``)."""
        import copy

        for name in names:
            self.parameter(name)
        variant = copy.copy(self)
        variant.default_fixed = {k: v for k, v in self.default_fixed.items() if k not in names}
        return variant

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} ({self.kind}; {', '.join(self.param_names) or 'no parameters'})>"


class ScipyFamily(Family):
    """A family backed by a ``scipy.stats`` distribution, under scipy's name and parameters.

    Parameters
    ----------
    name
        The scipy name (``"binom"``, ``"gamma"``, ...).
    parameters
        Every parameter, with domains, in scipy's keyword names.
    default_fixed
        Parameters held fixed unless given (e.g. ``{"loc": 0}``).
    summary
        One line on what the family models.
    dist
        The scipy distribution object; defaults to ``getattr(scipy.stats, name)``.
    """

    def __init__(
        self,
        name: str,
        parameters: tuple[Parameter, ...],
        *,
        default_fixed: Mapping[str, float] | None = None,
        summary: str = "",
        dist: Any = None,
    ):
        self.name = name
        self.dist = dist if dist is not None else getattr(stats, name)
        self.kind = "discrete" if isinstance(self.dist, stats.rv_discrete) else "continuous"
        self.parameters = parameters
        self.default_fixed = dict(default_fixed or {})
        self.summary = summary
        names = {p.name for p in parameters}
        self.location_scale = self.kind == "continuous" and {"loc", "scale"} <= names
        self.has_cdf = True

    def logpdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Log pmf or log pdf from scipy, in nats."""
        with np.errstate(all="ignore"):
            if self.kind == "discrete":
                return np.asarray(self.dist.logpmf(x, **params), dtype=np.float64)
            return np.asarray(self.dist.logpdf(x, **params), dtype=np.float64)

    def logcdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Log cdf from scipy."""
        with np.errstate(all="ignore"):
            return np.asarray(self.dist.logcdf(x, **params), dtype=np.float64)

    def logsf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Log survival function from scipy."""
        with np.errstate(all="ignore"):
            return np.asarray(self.dist.logsf(x, **params), dtype=np.float64)

    def freeze(self, params: Mapping[str, float]) -> Any:
        """``scipy.stats.<name>(**params)``, with whole-number parameters passed as int."""
        args = {k: int(v) if self.parameter(k).integer else v for k, v in params.items()}
        return self.dist(**args)


def _format_value(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, (float, np.floating)) else repr(v)


def frozen_label(frozen: Any) -> str:
    """A readable label for a frozen scipy distribution, e.g. ``binom(n=10, p=0.57)``."""
    dist = frozen.dist
    shape_names = [s.strip() for s in (dist.shapes or "").split(",") if s.strip()]
    positional = list(frozen.args)
    names = shape_names + (["loc"] if isinstance(dist, stats.rv_discrete) else ["loc", "scale"])
    parts = [f"{name}={_format_value(v)}" for name, v in zip(names, positional, strict=False)]
    parts += [f"{k}={_format_value(v)}" for k, v in frozen.kwds.items()]
    return f"{dist.name}({', '.join(parts)})"


class FrozenModel(Family):
    """A fully specified model from a frozen scipy distribution: nothing is estimated, k = 0.

    Parameters
    ----------
    frozen
        E.g. ``scipy.stats.binom(10, 0.57)``.
    name
        A label; defaults to the distribution with its arguments, e.g. ``binom(n=10, p=0.57)``.
    """

    parameters: tuple[Parameter, ...] = ()

    def __init__(self, frozen: Any, name: str | None = None):
        if not hasattr(frozen, "dist") or not isinstance(
            frozen.dist, (stats.rv_discrete, stats.rv_continuous)
        ):
            raise ParameterError(
                f"a fully specified model must be a frozen scipy.stats distribution such as "
                f"scipy.stats.binom(10, 0.5); got {type(frozen).__name__}"
            )
        from klmodels.checks import check_frozen_model

        check_frozen_model(frozen, "a fully specified model")
        self.frozen = frozen
        self.name = name or frozen_label(frozen)
        self.kind = "discrete" if isinstance(frozen.dist, stats.rv_discrete) else "continuous"
        self.summary = "a fully specified model (nothing estimated)"
        self.has_cdf = True

    def logpdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Log pmf or log pdf of the frozen distribution, in nats."""
        with np.errstate(all="ignore"):
            if self.kind == "discrete":
                return np.asarray(self.frozen.logpmf(x), dtype=np.float64)
            return np.asarray(self.frozen.logpdf(x), dtype=np.float64)

    def freeze(self, params: Mapping[str, float]) -> Any:
        """The frozen distribution itself."""
        return self.frozen


class CustomFamily(Family):
    """A family from the user's own pmf or pdf, with named bounded parameters, fitted by minimising KL.

    Exactly one of ``pmf``, ``logpmf`` (discrete) or ``pdf``, ``logpdf`` (continuous) is given.
    The function takes the points first and the parameters as keywords, and must accept
    NumPy arrays: ``pmf(x, p=0.3)``.

    Parameters
    ----------
    name
        The label of the family in tables.
    pmf, logpmf, pdf, logpdf
        The (log) probability mass or density function.
    parameters
        Each parameter's name and its open range ``(low, high)``; use ``math.inf`` for none.
    support
        The values the model can take, ``(low, high)``; ``high`` may be ``math.inf``. For a
        discrete family with a finite support, klmodels checks that the pmf sums to 1.
    start
        Starting values for the optimiser; defaults to the middle of each range.
    summary
        One line on what the family models.

    Examples
    --------
    The "ad hoc" model of the space-worm post: probability p spread evenly over 6..10 teeth,
    1 - p over 0..5.

    >>> import numpy as np
    >>> adhoc = CustomFamily(
    ...     "adhoc",
    ...     pmf=lambda x, p: np.where(x >= 6, p / 5, (1 - p) / 6),
    ...     parameters={"p": (0.0, 1.0)},
    ...     support=(0, 10),
    ... )
    """

    def __init__(
        self,
        name: str,
        *,
        parameters: Mapping[str, tuple[float, float]],
        support: tuple[float, float],
        pmf: Callable[..., Any] | None = None,
        logpmf: Callable[..., Any] | None = None,
        pdf: Callable[..., Any] | None = None,
        logpdf: Callable[..., Any] | None = None,
        start: Mapping[str, float] | None = None,
        summary: str = "",
    ):
        given = {
            k: f
            for k, f in {"pmf": pmf, "logpmf": logpmf, "pdf": pdf, "logpdf": logpdf}.items()
            if f is not None
        }
        if len(given) != 1:
            raise ParameterError(
                f"give exactly one of pmf=, logpmf= (discrete) or pdf=, logpdf= (continuous); got "
                f"{', '.join(given) or 'none'}"
            )
        ((which, function),) = given.items()
        if not callable(function):
            raise ParameterError(f"{which}= must be a function of (x, **params); got {function!r}")
        if not isinstance(name, str) or not name:
            raise ParameterError(f"a custom family needs a non-empty name; got {name!r}")
        self.name = name
        self.kind = "discrete" if which in ("pmf", "logpmf") else "continuous"
        self._function = function
        self._is_log = which.startswith("log")
        if not isinstance(parameters, Mapping):
            raise ParameterError(
                f"{name}: parameters must map each name to its range, e.g. "
                f"parameters={{'p': (0, 1)}}; got {type(parameters).__name__} {parameters!r}"
            )
        params = []
        for pname, bounds in parameters.items():
            try:
                low, high = (float(b) for b in bounds)
            except (TypeError, ValueError):
                raise ParameterError(
                    f"{name}: parameter {pname!r} needs a range (low, high); got {bounds!r}"
                ) from None
            if not low < high:
                raise ParameterError(
                    f"{name}: parameter {pname!r} has an empty range ({low}, {high})"
                )
            params.append(Parameter(pname, low, high))
        self.parameters = tuple(params)
        try:
            low, high = (float(b) for b in support)
        except (TypeError, ValueError):
            raise ParameterError(f"{name}: support must be (low, high); got {support!r}") from None
        if not low <= high:
            raise ParameterError(f"{name}: support must have low <= high; got {support!r}")
        self.support_range = (low, high)
        self._start = dict(start or {})
        unknown = set(self._start) - set(self.param_names)
        if unknown:
            raise ParameterError(f"{name}: start= names unknown parameters {sorted(unknown)}")
        for param in self.parameters:
            if param.name in self._start:
                value = self._start[param.name]
                if not (
                    isinstance(value, (int, float, np.integer, np.floating))
                    and param.low < value < param.high
                ):
                    raise ParameterError(
                        f"{name}: start value {param.name}={value!r} is outside its range "
                        f"{param.describe_range()}"
                    )
        self.summary = summary or f"custom {which}"

    def _inside(self, x: np.ndarray) -> np.ndarray:
        low, high = self.support_range
        inside = (x >= low) & (x <= high)
        if self.kind == "discrete":
            inside &= x == np.floor(x)
        return inside

    @property
    def _which(self) -> str:
        return ("log" if self._is_log else "") + ("pmf" if self.kind == "discrete" else "pdf")

    def logpdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """The user's function on its support (in logs), -inf outside it.

        Raises
        ------
        FitError
            If the function raises, or returns something other than one number per point.
        """
        x = np.asarray(x, dtype=np.float64)
        out = np.full(x.shape, -np.inf)
        inside = self._inside(x)
        if inside.any():
            points = x[inside]
            try:
                with np.errstate(all="ignore"):
                    result = self._function(points, **params)
            except Exception as exc:  # the user's code: any failure becomes this family's reason
                raise FitError(
                    f"{self.name}: its {self._which} raised {type(exc).__name__}: {exc}"
                ) from exc
            try:
                raw = np.asarray(result, dtype=np.float64)
            except (TypeError, ValueError):
                raise FitError(
                    f"{self.name}: its {self._which} must return numbers, one per point; it returned "
                    f"{type(result).__name__} {str(result)[:60]!r}"
                ) from None
            if raw.shape not in ((), points.shape):
                raise FitError(
                    f"{self.name}: its {self._which} returned an array of shape {raw.shape} for "
                    f"{points.size} points; it must return one value per point"
                )
            with np.errstate(all="ignore"):
                out[inside] = raw if self._is_log else np.log(raw)
        return out

    def start(self, obs: ObservationsLike, fixed: Mapping[str, float]) -> dict[str, float]:
        """The user's starting values, else the middle of each range."""
        return {
            **super().start(obs, fixed),
            **{k: v for k, v in self._start.items() if k not in fixed},
        }

    def check_fit(self, obs, params, mean_loglik):
        """Refuse a fit whose pmf does not sum (pdf does not integrate) to 1 at the fitted parameters.

        Returns a note when the total cannot be computed reliably (a slowly converging sum or
        integral); KL and likelihoods of an unnormalised model would be wrong without a word.
        """
        total, reliable = self._total(params)
        tolerance = 1e-6 if self.kind == "discrete" else 1e-4
        if reliable and not math.isclose(total, 1.0, rel_tol=tolerance, abs_tol=1e-9):
            low, high = self.support_range
            what, where = (
                ("sums", f"{low:g}..{high:g}")
                if self.kind == "discrete"
                else ("integrates", f"[{low:g}, {high:g}]")
            )
            raise FitError(
                f"{self.name}: the {self._which} {what} to {total:.6g}, not 1, over its support "
                f"{where} at {dict(params)}; KL and likelihoods would be wrong. "
                f"Normalise the {self._which}."
            )
        if not reliable:
            return [
                f"could not check that the {self._which} is normalised (the total was {total:.6g}); "
                "KL and likelihoods assume it is"
            ]
        return []

    _MAX_TERMS = 10_000_000

    def _total(self, params: Mapping[str, float]) -> tuple[float, bool]:
        """The total probability at ``params`` and whether it is reliable."""
        low, high = self.support_range
        if self.kind == "discrete":
            total, start, block = 0.0, low, 1 << 16
            while start <= high and start - low < self._MAX_TERMS:
                stop = min(start + block, high + 1)
                terms = np.exp(self.logpdf(np.arange(start, stop, dtype=np.float64), params))
                total += float(terms.sum())
                start = stop
                negligible = terms.size > 1 and terms[-1] <= 1e-17 * max(total, 1e-300)
                if math.isinf(high) and negligible and terms[-1] <= terms[-2]:
                    return total, True  # decreasing and negligible: the tail is done
                block = min(block * 2, 1 << 20)
            return total, start > high
        from scipy import integrate

        def density(t: float) -> float:
            return float(np.exp(self.logpdf(np.array([t]), params))[0])

        import warnings

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            total, error = integrate.quad(density, low, high, limit=200)
        return float(total), bool(error < 1e-6 * max(abs(total), 1.0))

    def freeze(self, params: Mapping[str, float]) -> Any:
        """A scipy distribution built from the pmf or pdf (``rv_discrete`` / ``rv_continuous``)."""
        function, is_log, names = self._function, self._is_log, self.param_names
        low, high = self.support_range

        def density(x: np.ndarray, *args: Any) -> np.ndarray:
            values = np.asarray(
                function(x, **dict(zip(names, args, strict=True))), dtype=np.float64
            )
            return np.exp(values) if is_log else values

        def in_range(*args: Any) -> Any:
            ok = np.ones(np.broadcast(*args).shape if args else (), dtype=bool)
            for param, value in zip(self.parameters, args, strict=True):
                ok &= (np.asarray(value) > param.low) & (np.asarray(value) < param.high)
            return ok

        base = stats.rv_discrete if self.kind == "discrete" else stats.rv_continuous
        method = "_pmf" if self.kind == "discrete" else "_pdf"
        rv_class = type(
            f"{self.name}_gen",
            (base,),
            {
                method: lambda self_, x, *args: density(x, *args),
                "_argcheck": lambda self_, *args: in_range(*args),
            },
        )
        rv = rv_class(a=low, b=high, name=self.name, shapes=", ".join(names) or None)
        return rv(**{k: params[k] for k in names})
