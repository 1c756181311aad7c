"""Numerical maximum likelihood: a bounded optimiser over real parameters and an integer search.

Families with closed forms never come here. The others maximise the mean log-likelihood
(minimise the cross-entropy, equivalently the KL divergence from the data) with:

- :func:`maximise`: real parameters mapped to an unconstrained space through their domain
  (logit for an interval, log for a half-line), L-BFGS-B from moment-based starting values,
  then a Nelder-Mead polish; the better of the two is kept.
- :func:`argmax_integer`: the profile over an integer parameter such as a binomial ``n``,
  searched by doubling then ternary search, which is exact for a unimodal profile.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from klmodels.errors import FitError

__all__ = ["Domain", "argmax_integer", "maximise"]

# A finite stand-in for -inf, so that L-BFGS-B keeps stepping instead of stopping on inf.
_PENALTY = 1e100


@dataclass(frozen=True)
class Domain:
    """The allowed open interval (low, high) of one real parameter, and its transforms."""

    low: float = -math.inf
    high: float = math.inf

    def to_free(self, x: float) -> float:
        """Map a value inside the domain to the real line."""
        lo, hi = self.low, self.high
        if math.isfinite(lo) and math.isfinite(hi):
            u = (x - lo) / (hi - lo)
            u = min(max(u, 1e-12), 1 - 1e-12)
            return float(special.logit(u))
        if math.isfinite(lo):
            return math.log(max(x - lo, 1e-300))
        if math.isfinite(hi):
            return math.log(max(hi - x, 1e-300))
        return float(x)

    def from_free(self, z: float) -> float:
        """Map a real number back into the domain."""
        lo, hi = self.low, self.high
        if math.isfinite(lo) and math.isfinite(hi):
            return float(lo + (hi - lo) * special.expit(z))
        if math.isfinite(lo):
            return lo + math.exp(min(z, 700.0))
        if math.isfinite(hi):
            return hi - math.exp(min(z, 700.0))
        return float(z)


def maximise(
    objective: Callable[[dict[str, float]], float],
    domains: Mapping[str, Domain],
    start: Mapping[str, float],
    *,
    what: str = "the model",
) -> tuple[dict[str, float], float]:
    """Maximise ``objective(params)`` over real parameters confined to their domains.

    Parameters
    ----------
    objective
        Returns the mean log-likelihood (nats per observation) for a dict of parameters; may
        return -inf or nan outside the region where the model describes the data.
    domains
        The free parameters, in order, with their open domains.
    start
        A starting value for each free parameter, inside its domain.
    what
        Names the model in error messages.

    Returns
    -------
    params, value
        The maximising parameters and the objective there.

    Raises
    ------
    FitError
        If no starting point or optimum gives a finite objective.
    """
    names: Sequence[str] = list(domains)

    def unpack(z: np.ndarray) -> dict[str, float]:
        return {name: domains[name].from_free(float(zi)) for name, zi in zip(names, z, strict=True)}

    def loss(z: np.ndarray) -> float:
        if not np.all(np.isfinite(z)):
            return _PENALTY
        with np.errstate(all="ignore"):
            value = objective(unpack(z))
        return -value if math.isfinite(value) else _PENALTY

    z0 = np.array([domains[name].to_free(float(start[name])) for name in names])
    best_z, best_loss = z0, loss(z0)
    if best_loss >= _PENALTY:
        raise FitError(
            f"cannot fit {what}: the data have zero likelihood at the starting values "
            f"{ {k: round(float(v), 6) for k, v in start.items()} }"
        )
    for method, options in (
        ("L-BFGS-B", {"maxiter": 2000}),
        ("Nelder-Mead", {"maxiter": 4000, "xatol": 1e-10, "fatol": 1e-14}),
    ):
        result = optimize.minimize(loss, best_z, method=method, options=options)
        if np.isfinite(result.fun) and result.fun < best_loss:
            best_z, best_loss = np.asarray(result.x, dtype=float), float(result.fun)
    if best_loss >= _PENALTY:
        raise FitError(
            f"cannot fit {what}: the optimiser found no parameters that describe the data"
        )
    return unpack(best_z), -best_loss


def argmax_integer(f: Callable[[int], float], low: int, cap: int) -> tuple[int, float, bool]:
    """Maximise ``f`` over the integers in [low, cap], assuming f is unimodal there.

    Probes low, low+1, low+2, low+4, ... until f stops increasing, then runs a ternary search
    in the bracket and checks the last few integers exhaustively.

    Parameters
    ----------
    f
        The function to maximise (e.g. a profile log-likelihood).
    low, cap
        The smallest and largest integers allowed.

    Returns
    -------
    argmax, maximum, at_cap
        ``at_cap`` is True when the maximum is at ``cap`` (the function may still increase
        beyond it: the caller decides what that means).
    """
    cache: dict[int, float] = {}

    def value(n: int) -> float:
        if n not in cache:
            v = f(n)
            cache[n] = v if math.isfinite(v) else -math.inf
        return cache[n]

    best_n, step, previous = low, 1, low
    while True:
        n = min(low + step, cap)
        if n == best_n:
            return best_n, value(best_n), best_n == cap
        if value(n) <= value(best_n):
            left, right = previous, n
            break
        previous, best_n = best_n, n
        if n == cap:
            return cap, value(cap), True
        step *= 2
    while right - left > 3:
        m1 = left + (right - left) // 3
        m2 = right - (right - left) // 3
        if value(m1) < value(m2):
            left = m1
        else:
            right = m2
    best_n = max(range(left, right + 1), key=value)
    return best_n, value(best_n), best_n == cap
