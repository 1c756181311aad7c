r"""Subsampled PSIS-LOO for large data (Magnusson, Andersen, Jonasson and Vehtari 2019).

With :math:`N` observations and :math:`S` posterior draws, PSIS-LOO needs the :math:`S \times N`
matrix of pointwise log-likelihoods: 32 GB for 4,000 draws of 10^6 values. The subsampled
estimate needs it for a simple random sample of :math:`m` observations only, plus one cheap
approximation :math:`\tilde\pi_i` of every observation's ELPD, here the point log predictive
density :math:`\ln p(y_i \mid \bar\theta)` at the posterior mean ("plpd"). The difference
estimator

.. math::

    \widehat{\mathrm{elpd}} = \sum_{i=1}^N \tilde\pi_i
    + \frac{N}{m} \sum_{j \in \text{sample}} (\mathrm{elpd}_j - \tilde\pi_j)

is unbiased, and its subsampling variance
:math:`N^2 (1 - m/N)\, s^2_{\mathrm{elpd} - \tilde\pi} / m` is small because the approximation
is close. ArviZ's ``diff_srs_estimator`` computes both the estimate and ``subsampling_se``, and
``se``, an estimate from the sample of the usual standard error of the ELPD (the spread of the
pointwise values over all N); the two are separate, the total error being about
:math:`\sqrt{se^2 + subsampling\_se^2}`. :func:`arviz.compare` then takes differences between
models on the same subsample (the ``subsampling_dse`` column).

This is :func:`arviz_stats.loo_subsample` with ``method="plpd"``, without the full
log-likelihood group ArviZ 1 still asks for (tested equal to it where that group fits in memory).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from klmodels.psis import psis_loo

__all__ = ["columns_of", "observation_sample", "subsampled_loo"]


def observation_sample(n_obs: int, size: int, seed: int | None) -> np.ndarray:
    """``size`` distinct observation indices out of ``n_obs``, drawn without replacement, sorted."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_obs, size=min(size, n_obs), replace=False))


def columns_of(indices: np.ndarray, counts: np.ndarray | None) -> np.ndarray:
    """The distinct value (column) of each observation index when value j is counted ``counts[j]`` times."""
    if counts is None:
        return indices
    return np.searchsorted(np.cumsum(counts), indices, side="right")


def subsampled_loo(
    log_lik: np.ndarray,
    columns: np.ndarray,
    approx: np.ndarray,
    indices: np.ndarray,
    counts: np.ndarray | None,
    r_eff: float,
) -> Any:
    r"""Subsampled PSIS-LOO as an ``arviz_stats.ELPDDataLOOSubsample``.

    Parameters
    ----------
    log_lik
        Pointwise log-likelihoods (nats) of the sampled distinct values, shape (draws, k).
    columns
        For each sampled observation (in ``indices`` order), its column in ``log_lik``.
    approx
        :math:`\tilde\pi` of every distinct value (nats), in the order ``counts`` refers to.
    indices
        The sampled observation indices (0 .. N - 1 over the observations, each distinct value
        repeated ``counts`` times).
    counts
        How often each distinct value was observed; None when every value is one observation.
    r_eff
        Relative efficiency of the draws, as for :func:`klmodels.psis.psis_loo`.

    Returns
    -------
    arviz_stats.ELPDDataLOOSubsample
        ``elpd``, ``se`` (the full data's, estimated), ``subsampling_se``, ``p`` (its simple-
        random-sampling estimate), ``elpd_i``/``pareto_k`` for every observation (NaN outside the
        sample), ``elpd_loo_approx`` and the sampled indices.
    """
    import xarray as xr
    from arviz_stats.utils import ELPDDataLOOSubsample

    loo = psis_loo(log_lik, r_eff)
    elpd_sample = np.asarray(loo.elpd_i, dtype=float).ravel()[columns]
    p_sample = np.asarray(loo.p_loo_i, dtype=float).ravel()[columns]
    k_sample = np.asarray(loo.pareto_k, dtype=float).ravel()[columns]
    approx_all = approx if counts is None else np.repeat(approx, counts)
    n_obs = approx_all.size
    sample = xr.DataArray(elpd_sample, dims=["obs"])
    elpd, subsampling_se, se = sample.azstats.diff_srs_estimator(
        lpd_approx_sample=xr.DataArray(approx_all[indices], dims=["obs"]),
        lpd_approx_all=xr.DataArray(approx_all, dims=["obs"]),
        n_data_points=n_obs,
    )
    p, _, _ = xr.DataArray(p_sample, dims=["obs"]).azstats.srs_estimator(n_data_points=n_obs)
    elpd_i = np.full(n_obs, np.nan)
    pareto_k = np.full(n_obs, np.nan)
    elpd_i[indices] = elpd_sample
    pareto_k[indices] = k_sample
    return ELPDDataLOOSubsample(
        elpd=float(elpd),
        se=float(se),
        p=float(p),
        n_samples=log_lik.shape[0],
        n_data_points=n_obs,
        scale="log",
        warning=bool(np.any(k_sample > loo.good_k)),
        good_k=loo.good_k,
        elpd_i=xr.DataArray(elpd_i, dims=["obs"]),
        pareto_k=xr.DataArray(pareto_k, dims=["obs"]),
        approx_posterior=False,
        subsampling_se=float(subsampling_se),
        subsample_size=int(indices.size),
        loo_subsample_observations=indices,
        elpd_loo_approx=xr.DataArray(approx_all, dims=["obs"]),
    )
