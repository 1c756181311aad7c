r"""Information measures between discrete distributions, in bits by default.

Every function takes distributions as non-negative weights over the same outcomes
(array-likes, mappings or pandas Series) and normalises them. Two Series are aligned on
their index: an outcome missing on one side has probability 0 there. Arrays are paired
by position. The logarithm base is ``base`` (2 gives bits, ``math.e`` nats).

All sums are taken in log space: a weight of 1e-320 or 1e300 neither underflows to 0 nor
overflows, and :math:`0 \log 0 = 0` by continuity.

Functions
---------
pmf_entropy      :math:`H(p) = -\sum_x p(x) \log p(x)`
cross_entropy    :math:`H(p, q) = -\sum_x p(x) \log q(x)`
pmf_kl_divergence :math:`D(p \| q) = \sum_x p(x) \log \frac{p(x)}{q(x)} = H(p, q) - H(p)`
kl_asymmetry     :math:`D(p \| q) - D(q \| p)`
js_divergence    :math:`\tfrac12 D(p \| m) + \tfrac12 D(q \| m)`, :math:`m = \tfrac12 (p + q)`

:func:`klmodels.entropy` and :func:`klmodels.kl_divergence` (module :mod:`klmodels.divergence`)
take models and observations as well and hand plain distributions to ``pmf_entropy`` and
``pmf_kl_divergence``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from klmodels.errors import DataError, ParameterError

__all__ = [
    "as_log_base",
    "cross_entropy",
    "js_divergence",
    "kl_asymmetry",
    "pmf_entropy",
    "pmf_kl_divergence",
    "unit_name",
]


def as_log_base(base: float) -> float:
    r"""Return :math:`\ln(\mathrm{base})`, the divisor that turns nats into units of ``base``.

    Parameters
    ----------
    base
        A finite number greater than 1 (2 for bits, ``math.e`` for nats, 10 for hartleys). A
        base below 1 would turn every information measure negative.

    Raises
    ------
    ParameterError
        If ``base`` is not such a number.
    """
    if isinstance(base, bool) or not isinstance(base, (int, float, np.integer, np.floating)):
        raise ParameterError(
            f"base must be a number such as 2 (bits) or math.e (nats); got {base!r}"
        )
    if not (math.isfinite(base) and base > 1):
        raise ParameterError(
            f"base must be a finite number greater than 1; got {base!r}. Use 2 for bits, math.e for "
            "nats, 10 for hartleys."
        )
    return math.log(base)


def unit_name(base: float) -> str:
    """Name the unit of information for a logarithm base: bits, nats, hartleys or ``base<b>``.

    Parameters
    ----------
    base
        The logarithm base.

    Returns
    -------
    str
        ``"bits"`` for 2, ``"nats"`` for e, ``"hartleys"`` for 10, else e.g. ``"base3"``.
    """
    as_log_base(base)
    for known, name in ((2.0, "bits"), (math.e, "nats"), (10.0, "hartleys")):
        if math.isclose(float(base), known, rel_tol=1e-12):
            return name
    return f"base{float(base):g}"


def _to_1d_weights(x: Any, name: str) -> np.ndarray:
    """Validate one distribution given positionally and return its weights as float64."""
    if isinstance(x, (str, bytes)):
        raise DataError(
            f"{name} must be probabilities or non-negative weights; got the string {x!r}"
        )
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"{name} must be numeric probabilities or non-negative weights; got {type(x).__name__} "
            f"that cannot be read as numbers ({exc})"
        ) from None
    if arr.ndim != 1:
        raise DataError(
            f"{name} must be one-dimensional (one weight per outcome); got an array of shape {arr.shape}"
        )
    if arr.size == 0:
        raise DataError(f"{name} is empty: a distribution needs at least one outcome")
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{name} has {int(bad.sum())} NaN or infinite entries (first at position {first}: "
            f"{arr[first]}); probabilities must be finite. Drop or fill them first."
        )
    if (arr < 0).any():
        first = int(np.flatnonzero(arr < 0)[0])
        raise DataError(
            f"{name} has {int((arr < 0).sum())} negative entries (first at position {first}: "
            f"{arr[first]}); probabilities and weights must be >= 0"
        )
    if not (arr > 0).any():
        raise DataError(f"{name} sums to 0: at least one outcome needs a positive weight")
    return arr


def _labelled(x: Any) -> tuple[list[Any], Any] | None:
    """``(outcomes, weights)`` when ``x`` carries labels (a pandas Series or a mapping), else None.

    A Series is recognised by its ``index`` and ``to_numpy`` (pandas is not imported here).
    """
    if isinstance(x, Mapping):
        outcomes, weights = list(x.keys()), list(x.values())
    elif hasattr(x, "index") and hasattr(x, "to_numpy") and getattr(x, "ndim", 1) == 1:
        outcomes, weights = list(x.index), x.to_numpy()
    else:
        return None
    if len(set(outcomes)) != len(outcomes):
        seen: set[Any] = set()
        dup = None
        for outcome in outcomes:  # the first outcome seen a second time
            if outcome in seen:
                dup = outcome
                break
            seen.add(outcome)
        raise DataError(
            f"the outcomes (index) of a distribution must be unique; {dup!r} appears more than once. "
            "Sum the duplicates first: s.groupby(level=0).sum()"
        )
    return outcomes, weights


def _aligned(p: tuple[list[Any], Any], q: tuple[list[Any], Any]) -> tuple[np.ndarray, np.ndarray]:
    """The weights of two labelled distributions over the union of their outcomes (0 where absent)."""
    p_w = _to_1d_weights(p[1], "p")
    q_w = _to_1d_weights(q[1], "q")
    outcomes = list(dict.fromkeys([*p[0], *q[0]]))
    position = {outcome: i for i, outcome in enumerate(outcomes)}
    p_all, q_all = np.zeros(len(outcomes)), np.zeros(len(outcomes))
    p_all[[position[o] for o in p[0]]] = p_w
    q_all[[position[o] for o in q[0]]] = q_w
    return p_all, q_all


def _log_normalise(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (probabilities, natural-log probabilities) of non-negative weights.

    Scales by the largest weight before summing so that neither huge nor subnormal weights
    overflow or vanish; the log of a zero weight is -inf.
    """
    scaled = weights / weights.max()
    total = scaled.sum()
    with np.errstate(divide="ignore"):
        log_p = np.log(scaled) - math.log(total)
    return scaled / total, log_p


def _one(p: Any, name: str = "p") -> tuple[np.ndarray, np.ndarray]:
    labelled = _labelled(p)
    weights = _to_1d_weights(labelled[1] if labelled is not None else p, name)
    return _log_normalise(weights)


def _pair(p: Any, q: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate and align two distributions; return p, log p, q, log q."""
    lp, lq = _labelled(p), _labelled(q)
    if lp is not None and lq is not None:
        p_w, q_w = _aligned(lp, lq)
    else:
        p_w = _to_1d_weights(lp[1] if lp is not None else p, "p")
        q_w = _to_1d_weights(lq[1] if lq is not None else q, "q")
    if p_w.shape != q_w.shape:
        raise DataError(
            f"p and q must have one weight per outcome each; got {p_w.size} and {q_w.size} entries. "
            "Pass two pandas Series to align them on their index."
        )
    return (*_log_normalise(p_w), *_log_normalise(q_w))


def _kl_nats(p: np.ndarray, log_p: np.ndarray, q: np.ndarray, log_q: np.ndarray) -> float:
    r"""D(p||q) in nats for normalised p, q over the same outcomes.

    Uses :math:`\sum_x [p \log(p/q) - p + q]`, whose terms are each >= 0, so rounding cannot
    make the total negative; it equals D(p||q) because p and q both sum to 1.
    """
    support = p > 0
    if np.any(np.isneginf(log_q[support])):
        return math.inf
    terms = p[support] * (log_p[support] - log_q[support]) - p[support] + q[support]
    return max(float(terms.sum() + q[~support].sum()), 0.0)


def pmf_entropy(p: Any, *, base: float = 2.0) -> float:
    r"""Shannon entropy of a discrete distribution.

    .. math:: H(p) = -\sum_x p(x) \log_b p(x)

    Parameters
    ----------
    p
        Non-negative weights per outcome (array-like, mapping or Series); normalised to sum to 1.
    base
        Logarithm base: 2 (default) gives bits, ``math.e`` nats.

    Returns
    -------
    float
        The entropy in units of ``base``; 0 for a point mass, :math:`\log_b K` for a uniform
        distribution over K outcomes.

    Raises
    ------
    DataError
        If ``p`` is empty, not one-dimensional, has negative, NaN or infinite entries, or sums to 0.

    Examples
    --------
    >>> pmf_entropy([0.5, 0.5])
    1.0
    """
    log_base = as_log_base(base)
    prob, log_p = _one(p)
    support = prob > 0
    return float(-(prob[support] * log_p[support]).sum()) / log_base


def cross_entropy(p: Any, q: Any, *, base: float = 2.0) -> float:
    r"""Cross-entropy of q relative to p: the average code length for data from p coded with q.

    .. math:: H(p, q) = -\sum_x p(x) \log_b q(x) = H(p) + D(p \| q)

    Parameters
    ----------
    p, q
        Non-negative weights per outcome; each is normalised. Two Series are aligned on their
        index (a missing outcome has probability 0), other inputs by position.
    base
        Logarithm base: 2 (default) gives bits, ``math.e`` nats.

    Returns
    -------
    float
        The cross-entropy in units of ``base``; ``inf`` where q(x) = 0 < p(x) for some x.
    """
    log_base = as_log_base(base)
    prob_p, _, _, log_q = _pair(p, q)
    support = prob_p > 0
    if np.any(np.isneginf(log_q[support])):
        return math.inf
    return float(-(prob_p[support] * log_q[support]).sum()) / log_base


def pmf_kl_divergence(p: Any, q: Any, *, base: float = 2.0) -> float:
    r"""Kullback-Leibler divergence D(p‖q): the information lost when q is used to approximate p.

    .. math:: D(p \| q) = \sum_x p(x) \log_b \frac{p(x)}{q(x)}

    The order matters: in klmodels ``p`` is the data and ``q`` the model. D(p‖q) >= 0, with
    equality only when p = q, and in general D(p‖q) != D(q‖p) (see :func:`kl_asymmetry`).

    Parameters
    ----------
    p
        The reference distribution (the data), as non-negative weights per outcome.
    q
        The approximating distribution (the model), over the same outcomes. Two Series are
        aligned on their index (a missing outcome has probability 0); other inputs by position.
    base
        Logarithm base: 2 (default) gives bits, ``math.e`` nats.

    Returns
    -------
    float
        The divergence in units of ``base``: ``inf`` when q(x) = 0 for an outcome with p(x) > 0
        (q cannot describe data it gives no probability to); outcomes with p(x) = 0 add nothing.

    Raises
    ------
    DataError
        If either input is empty, has negative, NaN or infinite entries, sums to 0, or the two
        arrays have different lengths.

    Examples
    --------
    >>> round(pmf_kl_divergence([0.5, 0.5], [0.9, 0.1]), 4)
    0.737
    """
    log_base = as_log_base(base)
    return _kl_nats(*_pair(p, q)) / log_base


def kl_asymmetry(p: Any, q: Any, *, base: float = 2.0) -> float:
    r"""How much the two directions of KL divergence differ: D(p‖q) - D(q‖p).

    Parameters
    ----------
    p, q
        Non-negative weights per outcome, aligned as in :func:`pmf_kl_divergence`.
    base
        Logarithm base: 2 (default) gives bits, ``math.e`` nats.

    Returns
    -------
    float
        Positive when approximating p by q loses more than approximating q by p. ``nan`` when
        both directions are infinite.
    """
    log_base = as_log_base(base)
    prob_p, log_p, prob_q, log_q = _pair(p, q)
    forward = _kl_nats(prob_p, log_p, prob_q, log_q)
    backward = _kl_nats(prob_q, log_q, prob_p, log_p)
    if math.isinf(forward) and math.isinf(backward):
        return math.nan
    return (forward - backward) / log_base


def js_divergence(p: Any, q: Any, *, base: float = 2.0) -> float:
    r"""Jensen-Shannon divergence: a symmetric, always finite relative of KL.

    .. math::

        \mathrm{JS}(p, q) = \tfrac12 D(p \| m) + \tfrac12 D(q \| m),
        \qquad m = \tfrac12 (p + q)

    Parameters
    ----------
    p, q
        Non-negative weights per outcome, aligned as in :func:`pmf_kl_divergence`.
    base
        Logarithm base: 2 (default) gives bits, ``math.e`` nats.

    Returns
    -------
    float
        A value between 0 (p = q) and :math:`\log_b 2` (disjoint supports): at most 1 bit.
        Its square root is a metric (the Jensen-Shannon distance).
    """
    log_base = as_log_base(base)
    prob_p, log_p, prob_q, log_q = _pair(p, q)
    m = 0.5 * (prob_p + prob_q)
    log_m = np.logaddexp(log_p, log_q) - math.log(2.0)
    half = 0.5 * (_kl_nats(prob_p, log_p, m, log_m) + _kl_nats(prob_q, log_q, m, log_m))
    return min(half, math.log(2.0)) / log_base
