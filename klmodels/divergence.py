r"""Entropy and KL divergence for data and models, on top of :mod:`klmodels.information`.

The public :func:`entropy` and :func:`kl_divergence` accept, besides plain distributions
(weights per outcome, handled by :mod:`klmodels.information`):

- :class:`~klmodels.Observations`: the empirical distribution of observed data,
- a :class:`~klmodels.Fit` or a frozen ``scipy.stats`` distribution: a model.

So ``kl_divergence(Observations.from_data(x), fit)`` is the information lost when the model
describes the data, :math:`D(\hat p \| q)`, the quantity ``compare`` ranks by.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from klmodels import information
from klmodels.data import Observations
from klmodels.errors import ParameterError
from klmodels.family import FrozenModel
from klmodels.fitting import Fit, fit_observations

__all__ = ["entropy", "kl_divergence"]


def _is_model(x: Any) -> bool:
    return isinstance(x, Fit) or (hasattr(x, "dist") and hasattr(x, "args") and hasattr(x, "kwds"))


def _empirical_series(obs: Observations) -> pd.Series:
    values, prob = obs.distinct()
    return pd.Series(prob, index=values)


def entropy(p: Any, *, base: float = 2.0) -> float:
    r"""Shannon entropy of a distribution, or of observed discrete data.

    .. math:: H(p) = -\sum_x p(x) \log_b p(x)

    Parameters
    ----------
    p
        Weights per outcome (array-like, mapping or Series, normalised), or
        :class:`~klmodels.Observations` for the entropy of the data's empirical
        distribution (plug-in estimate, whole-number data).
    base
        Logarithm base: 2 (default) gives bits, ``math.e`` nats.

    Returns
    -------
    float
        Entropy in units of ``base``.

    Examples
    --------
    >>> round(entropy([0.02, 0.03, 0.05, 0.14, 0.16, 0.15, 0.12, 0.08, 0.10, 0.08, 0.07]), 3)
    3.262
    """
    if isinstance(p, Observations):
        log_base = information.as_log_base(base)
        if not p.integer_valued:
            raise ParameterError(
                "the entropy of continuous data needs a density estimate; for whole-number data "
                "the plug-in entropy is used"
            )
        return p.plugin_entropy_nats() / log_base
    return information.entropy(p, base=base)


def kl_divergence(p: Any, q: Any, *, base: float = 2.0) -> float:
    r"""Kullback-Leibler divergence D(p‖q), the information lost when q approximates p.

    .. math:: D(p \| q) = \sum_x p(x) \log_b \frac{p(x)}{q(x)}

    Parameters
    ----------
    p
        The reference: weights per outcome (array-like, mapping, Series), or
        :class:`~klmodels.Observations` (the empirical distribution of the data).
    q
        The approximation: weights per outcome, :class:`~klmodels.Observations`, a
        :class:`~klmodels.Fit`, or a frozen scipy distribution.
    base
        Logarithm base: 2 (default) gives bits, ``math.e`` nats.

    Returns
    -------
    float
        The divergence in units of ``base``; ``inf`` when q gives zero probability to an
        outcome that p gives positive probability.

    Notes
    -----
    Two plain distributions are handled by :func:`klmodels.information.kl_divergence`
    (Series aligned on their index). Observations against observations compare the two
    empirical distributions, aligned on the observed values.

    Examples
    --------
    >>> round(kl_divergence([0.5, 0.5], [0.9, 0.1]), 4)
    0.737
    """
    log_base = information.as_log_base(base)
    if isinstance(p, Observations):
        if isinstance(q, Observations):
            if not (p.integer_valued and q.integer_valued):
                raise ParameterError(
                    "KL between two samples of continuous data needs density estimates; compare "
                    "each sample with a fitted model instead"
                )
            return information.kl_divergence(_empirical_series(p), _empirical_series(q), base=base)
        if _is_model(q):
            model = FrozenModel(q.freeze() if isinstance(q, Fit) else q)
            return fit_observations(p, model, None, {}).kl_nats / log_base
        raise ParameterError(
            "with Observations as p, q must be Observations, a Fit or a frozen scipy distribution; "
            f"got {type(q).__name__}"
        )
    if _is_model(p) or _is_model(q) or isinstance(q, Observations):
        raise ParameterError(
            "KL divergence between two models is not available yet; pass distributions "
            "(weights per outcome) or Observations and a model"
        )
    return information.kl_divergence(p, q, base=base)
