"""Finite mixtures and zero-inflated counts: klmodels' EM against the generic optimiser, in one run.

For each model and size, klmodels fits the family (``klm.fit(x, "mix2:norm")``: EM from four
starts, the best run to convergence) and the generic route fits the same likelihood: the family's
log-density maximised by L-BFGS-B over unconstrained coordinates (log scales, logit weights),
started from the same equal-weight split EM starts from. Both log-likelihoods are printed; quote
the ratio of times, the machines are shared.

Usage::

    python benchmarks/mixtures.py
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import optimize, special

import klmodels as klm
from klmodels.data import Observations
from klmodels.family.finite import _starts


def _data(model: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if model == "mix2:norm":
        return np.where(rng.random(n) < 0.6, rng.normal(0, 1, n), rng.normal(4, 0.7, n))
    if model == "mix2:gamma":
        return np.where(rng.random(n) < 0.5, rng.gamma(2, 1, n), rng.gamma(20, 0.5, n))
    if model == "mix2:poisson":
        return np.where(rng.random(n) < 0.7, rng.poisson(2, n), rng.poisson(12, n)).astype(float)
    raise ValueError(model)


def _generic(family, obs, start: dict[str, float]) -> tuple[float, float]:
    """L-BFGS-B on the mean log-likelihood in free coordinates; (seconds, log-likelihood)."""
    names = list(start)
    domains = {p.name: p.domain for p in family.parameters}
    values, prob = obs.distinct()

    def point(z: np.ndarray) -> dict[str, float]:
        out = {}
        for name, x in zip(names, z, strict=True):
            out[name] = special.expit(x) if name.startswith("w_") else domains[name].from_free(x)
        return out

    def negative(z: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            value = -float(np.dot(prob, family.logpdf(values, point(z))))
        return value if math.isfinite(value) else 1e300

    z0 = np.array([special.logit(v) if n.startswith("w_") else domains[n].to_free(v)
                   for n, v in start.items()])  # fmt: skip
    begin = time.perf_counter()
    result = optimize.minimize(negative, z0, method="L-BFGS-B")
    return time.perf_counter() - begin, -result.fun * obs.n_obs


def main() -> str:
    rng = np.random.default_rng(2026)
    lines = [
        "Mixtures: EM (klmodels) against the generic optimiser (L-BFGS-B on the same likelihood)",
        f"{'model':14s} {'n':>8s} {'EM s':>8s} {'generic s':>10s} {'generic/EM':>11s} "
        f"{'EM loglik':>14s} {'EM - generic':>13s}",
    ]
    for model, n in [("mix2:norm", 1_000), ("mix2:norm", 10_000), ("mix2:norm", 100_000),
                     ("mix2:gamma", 10_000), ("mix2:poisson", 10_000)]:  # fmt: skip
        x = _data(model, n, rng)
        begin = time.perf_counter()
        fit = klm.fit(x, model)
        em_seconds = time.perf_counter() - begin
        family = fit.family
        obs = Observations.from_data(x)
        values, prob = obs.distinct()
        labels = _starts(values, prob, family.k)[0]
        responsibilities = np.zeros((family.k, values.size))
        responsibilities[labels, np.arange(values.size)] = 1.0
        spread = float(np.sqrt(np.dot(prob, (values - np.dot(prob, values)) ** 2)))
        start = family._maximisation(values, prob, float(n), responsibilities, spread)
        generic_seconds, generic_loglik = _generic(family, obs, start)
        lines.append(
            f"{model:14s} {n:8,d} {em_seconds:8.2f} {generic_seconds:10.2f} "
            f"{generic_seconds / em_seconds:10.1f}x {fit.loglik:14.3f} {fit.loglik - generic_loglik:13.3f}"
        )
    text = "\n".join(lines)
    return text


if __name__ == "__main__":
    print(main())
