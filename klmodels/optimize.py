"""Numerical maximum likelihood: a bounded optimiser over real parameters and an integer search.

Families with closed forms never come here. The others maximise the mean log-likelihood
(minimise the cross-entropy, equivalently the KL divergence from the data) with:

- :func:`maximise`: real parameters mapped to an unconstrained space through their domain
  (logit for an interval, log for a half-line), L-BFGS-B from moment-based starting values,
  then a Nelder-Mead polish; the better of the two is kept.
- :func:`argmax_integer`: the profile over an integer parameter such as a binomial ``n``,
  searched by probes at growing distances then a golden section, exact for a unimodal profile.
- :func:`argmax_integer_by_slope`: the same search where the profile's slope is known too
  (the beta-binomial's ``n``): fewer evaluations.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from scipy import optimize, special

from klmodels.errors import FitError

if TYPE_CHECKING:  # the options scipy-stubs accept for minimize (defined in the stubs only)
    from scipy.optimize._minimize import _MinimizeOptions

__all__ = [
    "Domain",
    "argmax_integer",
    "argmax_integer_by_slope",
    "gradient_fd",
    "hessian_fd",
    "maximise",
    "maximise_smooth",
    "newton_polish",
    "small_blas",
]

# A finite stand-in for -inf, so that L-BFGS-B keeps stepping instead of stopping on inf.
_PENALTY = 1e100


def small_blas() -> Any:
    """A context in which BLAS runs on one thread, restored on exit.

    The optimisers make thousands of BLAS calls on vectors of 2 to 5 numbers; a multi-threaded
    OpenBLAS wakes its threads for each, which made L-BFGS-B 130 times slower on a 2-core
    machine (48 ms against 0.36 ms for a 3-parameter problem, measured). The passes over the
    data are elementwise NumPy, which BLAS threads do not speed up.

    The thread pools are found once (threadpoolctl reads the process's memory map to find
    them: 1.5 ms, 6% of a whole comparison of ten count families) and the same controller
    limits them on every call.
    """
    return _blas_controller().limit(limits=1, user_api="blas")


@functools.cache
def _blas_controller() -> Any:
    """The controller (threadpoolctl) of the thread pools loaded in this process, found on first use."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


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
    polish: bool = True,
    nelder_mead_iterations: int = 4000,
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
    polish
        Follow L-BFGS-B with a Nelder-Mead run (robust to rough objectives, but costly);
        off when another polish follows (see :func:`newton_polish`).
    nelder_mead_iterations
        The polish's iteration limit.

    Returns
    -------
    params, value
        The maximising parameters and the objective there.

    Raises
    ------
    FitError
        If no starting point or optimum gives a finite objective.
    """

    def loss(z: np.ndarray) -> float:
        if not np.all(np.isfinite(z)):
            return _PENALTY
        with np.errstate(all="ignore"):
            value = objective(_from_free(domains, z))
        return -value if math.isfinite(value) else _PENALTY

    z0 = _to_free(domains, start)
    best_z, best_loss = z0, loss(z0)
    if best_loss >= _PENALTY:
        with np.errstate(all="ignore"):
            at_start = objective(_from_free(domains, z0))
        if math.isnan(at_start):
            raise FitError(
                f"cannot fit {what}: the log-likelihood is NaN at the starting values "
                f"{ {k: round(float(v), 6) for k, v in start.items()} } (the density returns NaN, or "
                "negative values)"
            )
        raise FitError(
            f"cannot fit {what}: the data have zero likelihood at the starting values "
            f"{ {k: round(float(v), 6) for k, v in start.items()} }"
        )
    methods: list[tuple[Literal["L-BFGS-B", "Nelder-Mead"], _MinimizeOptions]] = [
        ("L-BFGS-B", {"maxiter": 2000})
    ]
    if polish:
        methods.append(
            ("Nelder-Mead", {"maxiter": nelder_mead_iterations, "xatol": 1e-10, "fatol": 1e-14})
        )
    for method, options in methods:
        result = optimize.minimize(loss, best_z, method=method, options=options)
        if np.isfinite(result.fun) and result.fun < best_loss:
            best_z, best_loss = np.asarray(result.x, dtype=float), float(result.fun)
    if best_loss >= _PENALTY:
        raise FitError(
            f"cannot fit {what}: the optimiser found no parameters that describe the data"
        )
    return _from_free(domains, best_z), -best_loss


def maximise_smooth(
    objective: Callable[[dict[str, float]], float],
    domains: Mapping[str, Domain],
    start: Mapping[str, float],
    *,
    what: str = "the model",
    rough: Callable[[dict[str, float]], float] | None = None,
) -> tuple[dict[str, float], float]:
    """:func:`maximise` for a smooth objective: L-BFGS-B, then Newton steps instead of Nelder-Mead.

    The Newton polish uses central finite differences in the free coordinates (a gradient is 2k
    evaluations, the Hessian 4k^2) and usually converges in two or three steps, where
    Nelder-Mead takes a few hundred evaluations; if it does not converge, Nelder-Mead runs from
    its point as in :func:`maximise`. Each evaluation is a pass over the data, so on large
    tables of distinct values this is the difference between seconds and a fraction of one.

    ``rough``, when given, is the same mean log-likelihood on a subsample: L-BFGS-B and the
    Hessian that seeds the Newton steps use it, and only the Newton steps (with BFGS updates)
    pass over all the data.
    """
    params, value = maximise(rough or objective, domains, start, what=what, polish=False)

    def in_free(function: Callable[[dict[str, float]], float]) -> Callable[[np.ndarray], float]:
        def at(z: np.ndarray) -> float:
            if not np.all(np.isfinite(z)):
                return -math.inf
            with np.errstate(all="ignore"):
                out = function(_from_free(domains, z))
            return out if math.isfinite(out) else -math.inf

        return at

    full = in_free(objective)
    z = _to_free(domains, params)
    if rough is not None:
        value = full(z)
    seed = in_free(rough or objective)
    hessian = hessian_fd(lambda point: gradient_fd(seed, point), z)
    z_best, best, converged = newton_polish(
        full,
        lambda point: gradient_fd(full, point),
        z,
        hessian,
        hessian_at=lambda point: hessian_fd(lambda q: gradient_fd(full, q), point),
        max_steps=8,
        tolerance=1e-10,  # nats per observation: finite differences of a sum over many values
    )  # are noisy near 1e-13, and Newton steps below that cannot be told from the noise
    if not converged:
        return maximise(objective, domains, params, what=what, polish=True)
    if best < value:
        return params, value
    return _from_free(domains, z_best), best


def _from_free(domains: Mapping[str, Domain], z: np.ndarray) -> dict[str, float]:
    """Parameters (by name, in the order of ``domains``) from their free, unbounded coordinates."""
    return {name: domains[name].from_free(float(zi)) for name, zi in zip(domains, z, strict=True)}


def _to_free(domains: Mapping[str, Domain], params: Mapping[str, float]) -> np.ndarray:
    """The free, unbounded coordinates of ``params``, in the order of ``domains``."""
    return np.array([domains[name].to_free(float(params[name])) for name in domains])


def argmax_integer(
    f: Callable[[int], float],
    low: int,
    cap: int,
    *,
    flat: float = 0.0,
    noise: Callable[[int], float] | None = None,
) -> tuple[int, float, bool]:
    """Maximise ``f`` over the integers in [low, cap], assuming f is unimodal there.

    Probes low, low+1, low+4, low+16, ... until f stops increasing, then runs a golden-section
    search in the bracket and checks the last few integers exhaustively.

    Parameters
    ----------
    f
        The function to maximise (e.g. a profile log-likelihood).
    low, cap
        The smallest and largest integers allowed.

    flat
        Gains below ``flat`` times the value count as no gain: the search stops on a plateau
        instead of following rounding noise (a profile that is flat in the parameter).
    noise
        The rounding error of ``f`` at n, in its units, where it grows with n (a log-likelihood
        of a term like log n! carries about n ln n times the machine epsilon): gains below it
        count as no gain too.

    Returns
    -------
    argmax, maximum, at_cap
        ``at_cap`` is True when the maximum is at ``cap``, or the value at ``cap`` equals it
        to within the flatness and rounding: the function may still increase beyond the cap,
        and the caller decides what that means.
    """
    cache: dict[int, float] = {}

    def rounding(at: int) -> float:
        return noise(at) if noise is not None else 0.0

    def within(gain: float, reference: float, at: int) -> bool:
        """Whether ``gain`` is no gain: within the relative flatness or the rounding at ``at``."""
        if not math.isfinite(reference):  # from -inf: keep going (f may turn finite further on)
            return False
        return gain <= flat * abs(reference) + rounding(at)

    def tie(a: float, b: float, at: int) -> bool:
        """Whether two values are equal to within the flatness (at least 1e-13) or the rounding."""
        return abs(a - b) <= max(flat, 1e-13) * max(1.0, abs(a)) + rounding(at)

    def reaches_cap(best: int) -> bool:
        """Whether the maximum is at the cap, or the cap's value ties it (a rise to the cap)."""
        if best == cap:
            return True
        return cap in cache and math.isfinite(cache[cap]) and tie(cache[cap], cache[best], cap)

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
        if within(value(n) - value(best_n), value(best_n), n):
            left, right = previous, n
            break
        previous, best_n = best_n, n
        if n == cap:  # still rising at the cap: the maximum is in [previous, cap]
            left, right = previous, cap
            break
        step *= (
            4  # a bracket in log4(distance) probes; the golden section pays about half a probe more
        )
    # golden-section search on the integers: each step keeps one inner point, so it costs one
    # evaluation (a ternary search costs two for a smaller reduction)
    shrink = (math.sqrt(5.0) - 1.0) / 2.0

    def golden(left: int, right: int) -> tuple[int, int]:
        return right - round(shrink * (right - left)), left + round(shrink * (right - left))

    m1, m2 = golden(left, right)
    while right - left > 3:
        m1, m2 = min(max(m1, left + 1), right - 2), max(min(m2, right - 1), left + 2)
        if m1 >= m2:
            m2 = m1 + 1
        v1, v2 = value(m1), value(m2)
        if v1 == v2 == -math.inf:  # both outside where f is finite: towards the finite end
            if value(right) == value(left) == -math.inf:
                break
            if value(right) > value(left):
                left = m2
            else:
                right = m1
            m1, m2 = golden(left, right)
            continue
        if math.isfinite(v1) and math.isfinite(v2) and tie(v1, v2, m2):
            # equal values on a unimodal f: the maximum lies between them; stop early only on a
            # plateau (flat to rounding: the optimiser's noise, not the profile, would decide)
            middle = (m1 + m2) // 2
            if m1 < middle < m2 and tie(value(middle), v1, m2):
                break
            left, right = m1, m2
            m1, m2 = golden(left, right)
            continue
        if v1 < v2:  # the maximum is in [m1, right]; m2 stays an inner point
            left, m1, m2 = m1, m2, golden(m1, right)[1]
        else:  # in [left, m2]; m1 stays an inner point
            right, m1, m2 = m2, golden(left, m2)[0], m1
    else:  # the bracket is down to a few integers: try each
        for n in range(left, right + 1):
            value(n)
    best_n = max(cache, key=cache.__getitem__)  # the best seen (on a plateau, maybe outside)
    return best_n, value(best_n), reaches_cap(best_n)


def argmax_integer_by_slope(
    f: Callable[[int], tuple[float, float]],
    low: int,
    cap: int,
    *,
    flat: float = 0.0,
    noise: Callable[[int], float] | None = None,
    growth: int = 16,
) -> tuple[int, float, bool]:
    r"""Maximise ``f`` over the integers in [low, cap] from its values and slopes.

    ``f(n)`` returns the value at n and the slope there of a smooth unimodal function that
    equals f on the integers (a profile log-likelihood whose integer parameter is extended to
    the reals: by the envelope theorem its slope is the partial derivative at the inner
    maximum, one more pass over the data). The slope's sign says on which side the maximum
    lies, so no pair of values has to be compared (a comparison that rounding decides on a
    flat profile), and values and slopes together place the next probe.

    The maximum is bracketed by probing at distances 1, ``growth``, ``growth``\ :sup:`2`, ...
    above ``low`` until the slope turns negative (from low + 1 where f dips between low and
    low + 1 but is higher and rising at low + 1); the bracket [L, R] (slope > 0 at L, <= 0
    at R) then shrinks to the peak of the cubic Hermite interpolant of the values and slopes
    in :math:`u = \ln(n - low + 1)` (:func:`_hermite_maximum`), a bisection in u instead
    whenever the same end moved twice in a row. The search
    stops when R = L + 1, or when the two tangents at L and R (which bound a concave
    function from above) leave no more than the flatness and rounding to gain over the
    better end; while still rising it stops where the tangent leaves no more than that to
    gain before ``cap``. Where a value or a slope is not finite it falls back to
    :func:`argmax_integer` on the values.

    Parameters
    ----------
    f
        ``n -> (value, slope)``.
    low, cap, flat, noise
        As for :func:`argmax_integer`.
    growth
        The factor between the distances of successive bracketing probes.

    Returns
    -------
    argmax, maximum, at_cap
        As for :func:`argmax_integer`: ``at_cap`` when the best value seen is at ``cap``
        (the slope there is still positive) or ties the value at ``cap``.
    """
    cache: dict[int, tuple[float, float]] = {}

    def at(n: int) -> tuple[float, float]:
        if n not in cache:
            cache[n] = f(n)
        return cache[n]

    def tolerance(n: int, value: float) -> float:
        return flat * abs(value) + (noise(n) if noise is not None else 0.0)

    def finite(n: int) -> bool:
        return all(math.isfinite(v) for v in at(n))

    def result() -> tuple[int, float, bool]:
        best = max(cache, key=lambda n: cache[n][0])
        value = cache[best][0]
        tie = max(flat, 1e-13) * max(1.0, abs(value)) + tolerance(cap, 0.0)
        at_cap = best == cap or (cap in cache and abs(cache[cap][0] - value) <= tie)
        return best, value, at_cap

    def by_values() -> tuple[int, float, bool]:
        return argmax_integer(lambda n: at(n)[0], low, cap, flat=flat, noise=noise)

    if not finite(low):
        return by_values()
    left, distance = low, 1
    if at(low)[1] <= 0 or low == cap:  # falling from low on: low, unless low + 1 is higher
        if low == cap:
            return result()
        if not finite(low + 1):
            return by_values()
        if at(low + 1)[0] <= at(low)[0] or at(low + 1)[1] <= 0 or low + 1 == cap:
            return result()
        # higher at low + 1 and rising there: the smooth extension dips between the first two
        # integers (seen for the beta-binomial on a few counts), so the search starts at low + 1
        left, distance = low + 1, 2
    while True:  # bracket: left has a rising slope; stop where the slope falls or the cap
        n = min(low + distance, cap)
        if not finite(n):
            return by_values()
        value, slope = at(n)
        if slope <= 0:
            right = n
            break
        left = n
        if n == cap or slope * (cap - n) <= tolerance(n, value):  # rising to the cap, or flat
            return result()
        distance *= growth
    moved, bisect = "", False
    while right - left > 1:
        (v_left, s_left), (v_right, s_right) = at(left), at(right)
        better = max(v_left, v_right)
        width = right - left
        if v_right <= v_left + s_left * width and v_left <= v_right - s_right * width:
            # each end below the other's tangent, as on a concave f, which lies below both
            # tangents: at most the height where they meet to gain
            x = (v_right - v_left + s_left * left - s_right * right) / (s_left - s_right)
            if v_left + s_left * (x - left) - better <= tolerance(right, better):
                break
        u_left, u_right = math.log(left - low + 1), math.log(right - low + 1)
        g_left, g_right = s_left * (left - low + 1), s_right * (right - low + 1)  # slopes in u
        tau = (
            0.5 if bisect else _hermite_maximum(v_left, v_right, g_left, g_right, u_right - u_left)
        )
        u = u_left + tau * (u_right - u_left)
        middle = min(max(low - 1 + round(math.exp(u)), left + 1), right - 1)
        if not finite(middle):
            return by_values()
        side = "left" if at(middle)[1] > 0 else "right"
        if side == "left":
            left = middle
        else:
            right = middle
        bisect, moved = side == moved, side  # the same end moved twice: halve the bracket next
    return result()


def _hermite_maximum(v0: float, v1: float, g0: float, g1: float, width: float) -> float:
    r"""Where in [0, 1] the cubic with values v0, v1 and slopes g0 > 0 >= g1 at its ends peaks.

    The cubic Hermite interpolant on an interval of ``width`` has the derivative
    :math:`A\tau^2 + B\tau + C` with :math:`A = 6(v_0 - v_1) + 3w(g_0 + g_1)`,
    :math:`B = 6(v_1 - v_0) - w(4g_0 + 2g_1)`, :math:`C = w g_0`; its zero where the cubic
    falls (:math:`2A\tau + B < 0`). Kept within [0.05, 0.95] of the interval, and the middle
    where the values contradict the slopes (no such zero).
    """
    a = 6.0 * (v0 - v1) + 3.0 * width * (g0 + g1)
    b = 6.0 * (v1 - v0) - width * (4.0 * g0 + 2.0 * g1)
    c = width * g0
    if abs(a) < 1e-12 * (abs(b) + abs(c)):
        roots = [-c / b] if b != 0 else []
    else:
        disc = b * b - 4.0 * a * c
        if disc < 0:
            return 0.5
        sq = math.sqrt(disc)
        q = -0.5 * (b + math.copysign(sq, b))  # the stable pair of roots
        roots = [q / a, c / q] if q != 0 else []
    falling = [t for t in roots if 0.0 < t < 1.0 and 2.0 * a * t + b < 0]
    return min(max(falling[0], 0.05), 0.95) if falling else 0.5


def finite_difference_steps(theta: np.ndarray) -> np.ndarray:
    """Step sizes for central differences: 1e-5 relative, at least 1e-7."""
    return 1e-5 * np.maximum(np.abs(theta), 1e-2)


def gradient_fd(objective: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    """Central finite-difference gradient of ``objective`` at ``theta`` (2k evaluations)."""
    steps = finite_difference_steps(theta)
    grad = np.empty_like(theta)
    for i, h in enumerate(steps):
        e = np.zeros_like(theta)
        e[i] = h
        with np.errstate(invalid="ignore", over="ignore"):
            grad[i] = (objective(theta + e) - objective(theta - e)) / (2 * h)
    return grad


def hessian_fd(gradient: Callable[[np.ndarray], np.ndarray], theta: np.ndarray) -> np.ndarray:
    """Symmetrised central finite-difference Hessian from a gradient function (2k gradients)."""
    steps = finite_difference_steps(theta)
    columns = []
    for i, h in enumerate(steps):
        e = np.zeros_like(theta)
        e[i] = h
        with np.errstate(
            invalid="ignore", over="ignore"
        ):  # inf - inf: a Hessian newton_polish rejects
            columns.append((gradient(theta + e) - gradient(theta - e)) / (2 * h))
    hess = np.column_stack(columns)
    return np.asarray(0.5 * (hess + hess.T))


def _repaired_along_one_direction(
    curvature: np.ndarray,
    gradient: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
) -> np.ndarray | None:
    r"""A seed curvature B wrong along one direction, corrected there from the objective itself.

    A subsample's curvature can miss along one direction only (t near its normal limit: the
    subsample's likelihood drifts, so its curvature along ln df is negative where all the data
    peak). With v that direction's unit eigenvector, the curvature along it is measured by
    central differences of the gradient (two passes, against 2k for the whole matrix):
    :math:`c = -v^\top (g(\theta + hv) - g(\theta - hv)) / 2h`, and B gets c in place of its
    eigenvalue. Returns None when more than one eigenvalue is wrong, or the measured one too.
    """
    if not np.all(np.isfinite(curvature)):
        return None
    eigenvalues, vectors = np.linalg.eigh(curvature)
    if eigenvalues[1:].size and eigenvalues[1] <= 0:  # more than one direction wrong
        return None
    v = vectors[:, 0]
    h = 1e-5 * max(1.0, float(np.max(np.abs(theta))))  # z is well scaled: about 1 per unit
    with np.errstate(invalid="ignore", over="ignore"):
        measured = -float(v @ (gradient(theta + h * v) - gradient(theta - h * v))) / (2 * h)
    if not (math.isfinite(measured) and measured > 1e-12 * abs(float(eigenvalues[-1]))):
        return None
    return curvature + (measured - float(eigenvalues[0])) * np.outer(v, v)


def newton_polish(
    objective: Callable[[np.ndarray], float],
    gradient: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
    hessian: np.ndarray,
    *,
    hessian_at: Callable[[np.ndarray], np.ndarray] | None = None,
    value_and_gradient: Callable[[np.ndarray], tuple[float, np.ndarray]] | None = None,
    max_steps: int = 50,
    tolerance: float = 0.0,
) -> tuple[np.ndarray, float, bool]:
    r"""Maximise a smooth objective from a good start: quasi-Newton steps seeded with a Hessian.

    Used to finish, on all the data, a fit found on a subsample. The subsample's Hessian
    estimates the same expected curvature and seeds the iteration; BFGS updates (one gradient
    per step) correct it as the steps go, so convergence is superlinear at the cost of one
    pass of the gradient and about one of the objective per step. A seed that is not negative
    definite along one direction is measured along it (two gradients); otherwise, or if no
    ascent is found, the Hessian is recomputed with ``hessian_at`` (on all the data) once.
    Steps are halved until the objective rises. Iteration stops when the predicted gain
    :math:`\tfrac12 g^\top B^{-1} g` is below 1e-14 of the objective (or below ``tolerance``,
    nats per observation, when given).

    ``value_and_gradient``, when given, evaluates both at once (one pass over the data instead
    of two); it is used at the start and for the full Newton step, which is accepted most of
    the time.

    Returns
    -------
    theta, value, converged
        ``converged`` is False when the objective is not finite at the start, no usable
        (negative definite) Hessian is available, no ascent could be found, or the steps ran out.
    """
    g: np.ndarray | None = None
    if value_and_gradient is not None:
        value, g = value_and_gradient(theta)
    else:
        value = objective(theta)
    if not math.isfinite(value):
        return theta, value, False

    def positive_definite(b: np.ndarray) -> bool:
        return bool(np.all(np.isfinite(b)) and np.all(np.linalg.eigvalsh(b) > 0))

    refreshed = False

    def refresh(at: np.ndarray) -> np.ndarray | None:
        """The curvature measured anew on all the data, once per run; None when not possible."""
        nonlocal refreshed
        if refreshed or hessian_at is None:
            return None
        refreshed = True
        fresh = -hessian_at(at)
        return fresh if positive_definite(fresh) else None

    curvature = -hessian  # B, positive definite at a maximum
    if not positive_definite(curvature):
        repaired = _repaired_along_one_direction(curvature, gradient, theta)
        if repaired is None:
            repaired = refresh(theta)
            if repaired is None:
                return theta, value, False
        curvature = repaired
    if g is None:
        g = gradient(theta)
    for _ in range(max_steps):
        if not np.all(np.isfinite(g)):
            return theta, value, False
        try:
            step = np.linalg.solve(curvature, g)
        except np.linalg.LinAlgError:  # singular after the updates (seen once in 300 fits)
            fresh = refresh(theta)
            if fresh is None:
                return theta, value, False
            curvature = fresh
            continue
        gain = 0.5 * float(g @ step)
        if gain <= max(1e-14 * max(1.0, abs(value)), tolerance):
            return theta, value, True
        # superlinear convergence: after a full step with a gain this small, the next gain would be
        # below 1e-14 of the objective; accept it and stop (one pass fewer on all the data)
        last = gain <= 1e-12 * max(1.0, abs(value))
        t, g_new = 1.0, None
        while t > 1e-8:
            candidate = theta + t * step
            if t == 1.0 and value_and_gradient is not None:
                new, g_new = value_and_gradient(candidate)
            else:
                new, g_new = objective(candidate), None
            if math.isfinite(new) and new >= value:
                break
            t /= 2
        else:  # no ascent along this step: measure the curvature anew, once
            fresh = refresh(theta)
            if fresh is None:
                return theta, value, False
            curvature = fresh
            continue
        if last and t == 1.0:
            return candidate, new, True
        if g_new is None:
            g_new = gradient(candidate)
        s_k, y_k = candidate - theta, g - g_new  # y: change in the gradient of -objective
        sy = float(s_k @ y_k)
        if sy > 1e-12 * float(np.linalg.norm(s_k) * np.linalg.norm(y_k)):
            bs = curvature @ s_k
            curvature = curvature - np.outer(bs, bs) / float(s_k @ bs) + np.outer(y_k, y_k) / sy
        theta, value, g = candidate, new, g_new
    return theta, value, False
