"""PSIS-LOO over all observations at once equals ArviZ's per-observation PSIS-LOO."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

az = pytest.importorskip("arviz")  # the test extra installs klmodels[bayes]; CI never skips
from klmodels.psis import psis_loo  # noqa: E402


@pytest.mark.parametrize(
    ("n", "chains", "draws", "r_eff", "outlier"),
    [
        (300, 2, 500, 0.9, False),
        (400, 4, 1000, 0.7, True),  # an influential value: Pareto k high
        (60, 1, 200, 1.0, True),  # S r_eff <= 225: the tail is S / 5
        (120, 3, 400, 0.35, False),
    ],
)
def test_psis_loo_equals_arviz(n, chains, draws, r_eff, outlier):
    rng = np.random.default_rng(n)
    x = rng.gamma(2.0, 3.0, n)
    if outlier:
        x[0] = 90.0
    a = rng.normal(2.0, 0.08, (chains, draws))
    scale = rng.normal(3.0, 0.15, (chains, draws))
    log_lik = stats.gamma.logpdf(x[None, None, :], a[..., None], scale=scale[..., None])
    tree = az.from_dict({"posterior": {"a": a, "scale": scale}, "log_likelihood": {"y": log_lik}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ArviZ warns about high Pareto k
        expected = az.loo(tree, pointwise=True, reff=r_eff)
    ours = psis_loo(log_lik.reshape(chains * draws, n), r_eff)
    np.testing.assert_allclose(np.asarray(ours.elpd_i), np.asarray(expected.elpd_i), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(ours.pareto_k), np.asarray(expected.pareto_k), rtol=1e-10)
    for field in ("elpd", "se", "p", "good_k", "n_samples", "n_data_points", "warning"):
        assert getattr(ours, field) == pytest.approx(getattr(expected, field), rel=1e-10), field
    if outlier and chains > 1:  # the influential value is flagged, as ArviZ flags it
        assert ours.warning
