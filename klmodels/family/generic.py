"""Any other ``scipy.stats`` distribution, by name, through one generic adapter.

``klm.fit(x, "burr12")`` works although ``burr12`` is not in the registry: the adapter reads
the distribution's parameters and their domains from scipy (``_shape_info``) and estimates
every shape, ``loc`` and ``scale`` (scipy's own default; discrete ``loc`` stays 0): scipy's own
``fit`` first (continuous data), then a polish by the bounded optimiser of
:mod:`klmodels.optimize`, keeping the better, so the result is never below scipy's. It stops
with a FitError when the fit takes longer than its time budget (30 s by default) instead of
hanging a comparison. Registered families are faster and exact; this is the fallback.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import optimize, stats

from klmodels.errors import FitError, UnknownFamilyError
from klmodels.family.base import Parameter, ScipyFamily
from klmodels.optimize import maximise
from klmodels.protocols import ObservationsLike

__all__ = ["GenericScipyFamily", "scipy_distribution"]

DEFAULT_TIME_BUDGET = 30.0


class _OutOfTimeError(Exception):
    pass


class _SoftDeadlineError(Exception):
    """The time allowed for improving on scipy's own fit is up: keep the best point seen."""


def scipy_distribution(name: str) -> Any | None:
    """The scipy.stats distribution object called ``name``, or None if there is none."""
    dist = getattr(stats, name, None)
    return dist if isinstance(dist, (stats.rv_continuous, stats.rv_discrete)) else None


def _parameters(dist: Any) -> tuple[Parameter, ...]:
    out = []
    for info in dist._shape_info():
        low, high = (float(b) for b in info.domain)
        low_closed, high_closed = info.inclusive
        out.append(
            Parameter(info.name, low, high, low_closed, high_closed, integer=bool(info.integrality))
        )
    if isinstance(dist, stats.rv_discrete):
        out.append(Parameter("loc", integer=True))
    else:
        out += [Parameter("loc"), Parameter("scale", 0.0, math.inf)]
    return tuple(out)


def _check_usable(dist: Any, name: str) -> None:
    """Refuse scipy distributions the adapter cannot fit: array parameters, no shape information."""
    try:
        infos = dist._shape_info()
    except Exception:  # scipy's private helper: a distribution without it cannot be adapted
        infos = None
    shapes = [s.strip() for s in (dist.shapes or "").split(",") if s.strip()]
    if infos is None or [i.name for i in infos] != shapes:
        raise UnknownFamilyError(
            name,
            [],
            reason=(
                f"scipy.stats.{name} cannot be fitted by klmodels' generic adapter (its parameters are "
                "not scalar numbers with known ranges); wrap its density in a klm.CustomFamily"
            ),
        )


_MAX_LOG_DENSITY = 1000.0  # nats: above it, a log density is rounding, not a density


class GenericScipyFamily(ScipyFamily):
    """A scipy distribution fitted by numerical maximum likelihood under a time budget.

    Parameters
    ----------
    name
        A ``scipy.stats`` distribution name.
    time_budget
        Seconds the fit may take before it fails with a FitError.
    """

    def __init__(self, name: str, *, time_budget: float = DEFAULT_TIME_BUDGET):
        dist = scipy_distribution(name)
        if dist is None:
            raise KeyError(name)
        discrete = isinstance(dist, stats.rv_discrete)
        _check_usable(dist, name)
        low, high = float(dist.a), float(dist.b)
        if discrete:
            default_fixed = {"loc": 0.0}
        elif math.isfinite(low) and math.isfinite(high):
            default_fixed = {"loc": 0.0, "scale": 1.0}  # on its own interval, as beta is
        elif math.isfinite(low) or math.isfinite(high):
            default_fixed = {"loc": 0.0}  # starts (or ends) where the textbook form does
        else:
            default_fixed = {}
        super().__init__(
            name,
            _parameters(dist),
            default_fixed=default_fixed,
            summary=f"scipy.stats.{name} (generic adapter: numerical MLE)",
            dist=dist,
        )
        self.time_budget = time_budget
        self.support_ends = (low, high)

    def logpdf(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Scipy's log density; NaN where scipy fails or returns what no distribution can.

        NaN where scipy itself fails (an overflow inside it), and where its value is impossible:
        a log pmf above 0, or a log density above 1000 (a density at a float x can exceed
        1/(the smallest float) = e^745 only by cancellation: powernorm's log density at
        c = 1e-35, scale = 7e-18 came out as 2e18 from terms of 5e33 cancelling, and the
        optimiser followed it to a log-likelihood of 3e21). NaN makes those parameters invalid.
        """
        try:
            out = super().logpdf(x, params)
        except (ArithmeticError, ValueError):  # e.g. boost's "tgamma too large" inside nct
            return np.full(np.shape(x), np.nan)
        ceiling = 1e-9 if self.kind == "discrete" else _MAX_LOG_DENSITY
        # +inf passes: an infinite density at a support's end is real (and is how an unbounded
        # likelihood with loc free is recognised)
        return np.where(np.isfinite(out) & (out > ceiling), np.nan, out)

    def params_from_support(self, support: Any) -> dict[str, float]:
        """``loc`` (and ``scale`` on an interval) so that the family's support is the declared one."""
        if self.kind == "discrete":
            if not math.isfinite(self.support_ends[0]):
                raise FitError(
                    f"{self.name} lives on all the integers: support=(low, ...) cannot place its start; "
                    "fix loc= instead"
                )
            return {"loc": support[0] - self.support_ends[0]}
        low, high = support
        a, b = self.support_ends
        if math.isfinite(a) and math.isfinite(b):
            if high is None:
                raise FitError(f"{self.name} lives on an interval: support needs both ends")
            scale = (high - low) / (b - a)
            return {"loc": low - a * scale, "scale": scale}
        if math.isfinite(a):
            return {"loc": low - a} if a == 0 else {}
        if math.isfinite(b) and high is not None:
            return {"loc": high - b} if b == 0 else {}
        return {}

    def diagnose(self, obs, params):
        """Flag a shape parameter that ran to the edge of its range (the family drifts to a limit)."""
        notes = []
        for p in self.parameters:
            if p.name in ("loc", "scale") or p.name not in params:
                continue
            v = float(params[p.name])
            near_low = math.isfinite(p.low) and v - p.low <= 1e-8 * max(1.0, abs(p.low))
            near_high = math.isfinite(p.high) and p.high - v <= 1e-8 * max(1.0, abs(p.high))
            if near_low or near_high or abs(v) >= 1e8:
                notes.append(
                    f"{p.name}={v:.3g} is at the edge of its range {p.describe_range()}: the likelihood "
                    "has no interior maximum (the family drifts to a limiting form; compare that form)"
                )
        return notes

    def _check_support(self, obs: ObservationsLike, fixed: Mapping[str, float]) -> None:
        """A clear error when a fixed loc (and scale) puts the data outside the family's support."""
        if self.kind == "discrete" and "loc" in fixed:
            start = self.support_ends[0] + fixed["loc"]
            if obs.min < start:
                raise FitError(
                    f"{self.name} takes values from {start:g} up, but the data go down to {obs.min:g}. "
                    f"Pass support=({obs.min:g}, ...) to start it there, or choose another family."
                )
            return
        if self.kind != "continuous" or "loc" not in fixed:
            return
        a, b = self.support_ends
        scale = fixed.get("scale")
        low = (
            fixed["loc"] + a * scale
            if scale is not None
            else (fixed["loc"] if a == 0 else -math.inf)
        )
        high = (
            fixed["loc"] + b * scale
            if scale is not None
            else (fixed["loc"] if b == 0 else math.inf)
        )
        if obs.min < low or obs.max > high:
            where = f"[{low:g}, {high:g}]"
            raise FitError(
                f"{self.name} with {', '.join(f'{k}={v:g}' for k, v in fixed.items() if k in ('loc', 'scale'))} "
                f"lives on {where}, but the data span [{obs.min:g}, {obs.max:g}]. Pass whole-number "
                f"bounds around the data, support=({math.floor(obs.min):g}, {math.ceil(obs.max):g}), "
                f"or free loc (compare(..., free_loc=True), or fit(x, "
                f"klmodels.family.GenericScipyFamily({self.name!r}).with_free('loc', 'scale')))"
            )

    def check_fit(self, obs, params, mean_loglik):
        """Refuse a fit whose free threshold sits on the data where the density is infinite.

        With ``loc`` free, a density that is infinite at the end of its support (burr12 with
        c < 1, gamma-like shapes below 1) makes the likelihood grow without bound as that end
        approaches the smallest (largest) observation: there is no maximum-likelihood estimate,
        and the optimiser's last point is arbitrary.
        """
        if self.kind != "continuous" or "loc" in self.default_fixed or "loc" not in params:
            return []
        a, b = self.support_ends
        scale = params["scale"]
        spread = (obs.max - obs.min) or 1.0
        for end, edge_value, side in ((a, obs.min, 1.0), (b, obs.max, -1.0)):
            if not math.isfinite(end):
                continue
            edge = params["loc"] + end * scale
            if side * (edge_value - edge) > 1e-6 * spread:
                continue  # the support's end is clear of the data: an interior maximum
            steps = edge + side * scale * np.array([1e-6, 1e-9, 1e-12])
            with np.errstate(all="ignore"):
                density = self.logpdf(steps, params)
            rising = np.all(np.diff(density) > 1.0) or np.any(np.isposinf(density))
            if rising:
                raise FitError(
                    f"{self.name} with free loc has no maximum-likelihood estimate: its density is "
                    f"infinite at the {'lower' if side > 0 else 'upper'} end of its support for these "
                    "shapes, so the likelihood grows without bound as that end approaches the data. "
                    "Use the form with loc fixed (the default), or a support=."
                )
        return []

    def _starting_values(
        self, obs: ObservationsLike, fixed: Mapping[str, float]
    ) -> dict[str, float]:
        names = [p.name for p in self.parameters]
        start = dict.fromkeys(names, 1.0)
        if self.kind == "continuous":
            try:
                example = obs.sample.example()
                start.update(zip(names, map(float, self.dist._fitstart(example)), strict=True))
            except Exception:  # scipy's private helper may fail on odd data; the defaults stand
                start.update(loc=obs.sample.median, scale=obs.sample.sd or 1.0)
        for p in self.parameters:
            value = start[p.name]
            if not (p.low < value < p.high):
                start[p.name] = (
                    p.low + 1.0
                    if math.isfinite(p.low)
                    else (p.high - 1.0 if math.isfinite(p.high) else 0.0)
                )
        a, b = self.support_ends
        if (
            self.kind == "continuous"
            and math.isfinite(a)
            and math.isfinite(b)
            and b > a
            and not {"loc", "scale"} & fixed.keys()
            and not (
                start["loc"] + a * start["scale"] < obs.min
                and obs.max < start["loc"] + b * start["scale"]
            )
        ):  # an interval that misses the data has no likelihood: one 10% wider than their range
            start["scale"] = 1.1 * (obs.max - obs.min) / (b - a) or 1.0
            start["loc"] = 0.5 * (obs.min + obs.max) - 0.5 * (a + b) * start["scale"]
        return {**start, **fixed}

    def _scipy_fit(
        self, obs: ObservationsLike, fixed: Mapping[str, float], deadline: float
    ) -> dict[str, float] | None:
        """The fit of ``scipy.stats`` itself (continuous families, raw or counted data), stopped at the deadline."""
        if (
            self.kind != "continuous"
            or not obs.in_memory
            or not obs.has_counts
            or obs.n_obs is None
            or obs.n_obs > 10_000_000
        ):
            return None
        raw = (
            obs.values
            if obs.weights is None
            else np.repeat(obs.values, obs.weights.astype(np.int64))
        )

        def optimizer(func: Any, x0: Any, args: tuple = (), disp: int = 0) -> Any:
            def checked(*a: Any) -> float:
                if time.monotonic() > deadline:
                    raise _OutOfTimeError
                return func(*a)

            return optimize.fmin(checked, x0, args=args, disp=0)

        shapes = [p.name for p in self.parameters if p.name not in ("loc", "scale")]
        kwargs = {
            f"f{k}": v for k, v in fixed.items()
        }  # scipy's way to hold a parameter: floc=, fa=
        with np.errstate(all="ignore"):
            try:
                values = self.dist.fit(raw, optimizer=optimizer, **kwargs)
            except _OutOfTimeError:
                raise
            except Exception:  # scipy's fit fails on some data; the numerical path stands alone
                return None
        names = [*shapes, "loc", "scale"]
        return {k: float(v) for k, v in zip(names, values, strict=True) if k not in fixed}

    def estimate(self, obs: ObservationsLike, fixed: Mapping[str, float]) -> dict[str, float]:
        """Fit with scipy (under a deadline), polish with the bounded optimiser, and keep the better."""
        free = self.numerically_free(fixed)
        if not free:
            return {}
        self._check_support(obs, fixed)
        deadline = time.monotonic() + self.time_budget
        sample = obs.sample_for(self.kind)

        domains = {p.name: p.domain for p in free}
        names = [p.name for p in free]
        seen: dict[str, Any] = {"best": None, "soft": math.inf}

        def mean_loglik(free_values: dict[str, float]) -> float:
            now = time.monotonic()
            if now > deadline:
                raise _OutOfTimeError
            if now > seen["soft"]:
                raise _SoftDeadlineError
            with np.errstate(all="ignore"):
                value = sample.average(lambda v: self.logpdf(v, {**fixed, **free_values}))
            if math.isfinite(value) and (seen["best"] is None or value > seen["best"][1]):
                seen["best"] = (dict(free_values), value)
            return value

        def attempt(start: dict[str, float], polish: bool) -> None:
            with contextlib.suppress(FitError, _SoftDeadlineError):  # the best point seen stands
                maximise(mean_loglik, domains, start, what=self.name, polish=polish)

        try:
            began = time.monotonic()
            scipy_params = self._scipy_fit(obs, fixed, deadline)
            # after scipy's own fit, at most 3 times its time (+0.3 s) to improve on it
            seen["soft"] = time.monotonic() + 2 * (time.monotonic() - began) + 0.3
            if scipy_params is not None:
                at_scipy = {n: scipy_params[n] for n in names}
                mean_loglik(at_scipy)
                if seen["best"] is not None:
                    attempt(seen["best"][0], polish=False)  # quasi-Newton steps from scipy's answer
            start = self._starting_values(obs, fixed)
            if scipy_params is None:
                seen["soft"] = math.inf  # scipy failed: the full optimiser, under the hard budget
            attempt({n: start[n] for n in names}, polish=scipy_params is None)
            if self._held_by_caller(fixed):
                # the starts know little of what is held: no valid start at all (truncexpon's
                # b = 1 with its scale held is below the data's largest value / scale), or a
                # poorer local maximum (johnsonsu with its scale held at its free estimate, 623
                # nats short; truncnorm's a, 31-50): also from the fit with those parameters free
                polish = seen["best"] is None
                seen["soft"] = math.inf
                with contextlib.suppress(_OutOfTimeError):  # then the plain reason below
                    attempt(self._start_from_free_fit(obs, fixed, names), polish=polish)
            best = seen["best"]
        except _OutOfTimeError:
            raise FitError(
                f"{self.name}: the generic fit exceeded its time budget of {self.time_budget:g} s. "
                f"Give it more with klmodels.family.GenericScipyFamily({self.name!r}, "
                f"time_budget={4 * self.time_budget:g}) as the candidate"
            ) from None
        if best is None:
            raise FitError(f"{self.name}: no parameters give the data a positive likelihood")
        self._check_normalised(obs, {**fixed, **best[0]})
        return best[0]

    def _start_from_free_fit(
        self, obs: ObservationsLike, fixed: Mapping[str, float], names: list[str]
    ) -> dict[str, float]:
        """The estimate with the held parameters free, as a start for the others (else 1s)."""
        free_fit = self._estimate_with_held_freed(obs, fixed) or {}
        return {n: free_fit.get(n, 1.0) for n in names}

    def _check_normalised(self, obs: ObservationsLike, params: Mapping[str, float]) -> None:
        """A FitError when the fitted model's cdf leaves [0, 1] on the data: not a distribution.

        scipy's ``vonmises`` is circular: its density repeats every 2 pi scale along the line, so
        a likelihood of line data grows without bound as the scale shrinks (a log-likelihood of
        +24,902 on 300 values); its cdf passes 1 after one period. A cdf scipy cannot compute
        (NaN: mielke's overflows) says nothing, and cdfs by quadrature or series miss [0, 1] by
        up to 1e-3 (gausshyper 5e-7 above 1, geninvgauss 6.5e-4 below 0; review): beyond that only.
        """
        if self.kind != "continuous":
            return
        with np.errstate(all="ignore"):
            ends = np.asarray(self.dist.cdf(np.array([obs.min, obs.max]), **params), dtype=float)
        outside = np.isfinite(ends) & ((ends < -1e-3) | (ends > 1 + 1e-3))
        if not np.any(outside):
            return
        hint = " (for data on a line use vonmises_line)" if self.name == "vonmises" else ""
        raise FitError(
            f"{self.name} is not a probability distribution on the line at these parameters: its "
            f"cdf reaches {float(ends[outside][0]):.4g} (a circular or unnormalised form){hint}"
        )
