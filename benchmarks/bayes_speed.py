"""Bayesian comparison speed: five continuous families on 5,000 values, 4 chains x 1,000 draws.

The comparison runs three times in one process: the first compiles the models; the second is the
warm time users see in a session (the default sampler: nutpie, installed with the bayes extra);
the third the same with PyMC's own NUTS. On the warm run's posteriors the PSIS-LOO step is timed
both ways: ArviZ's ``az.loo`` (one observation at a time) and ``klmodels.psis.psis_loo`` (all at
once), with their largest difference. "Before" is what the same comparison cost with PyMC's NUTS
and az.loo (the third run, its LOO swapped for ArviZ's time). Quote ratios: the machines are
shared. Needs the bayes extra.

Usage::

    python benchmarks/bayes_speed.py [--n 5000] [--draws 1000]
"""

from __future__ import annotations

import argparse
import time
import warnings

FAMILIES = ["gamma", "lognorm", "weibull_min", "expon", "invgauss"]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000)
    parser.add_argument("--draws", type=int, default=1_000)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    import arviz as az
    import numpy as np
    from scipy import stats

    from klmodels import bayes
    from klmodels.bayes import _psis_loo

    x = stats.gamma(2.0, scale=3.0).rvs(args.n, random_state=np.random.default_rng(1))
    options = {"draws": args.draws, "tune": args.draws, "chains": 4, "random_seed": 1}
    times, runs = [], []
    for sampler in (None, None, "pymc"):
        start = time.perf_counter()
        runs.append(bayes.compare(x, FAMILIES, nuts_sampler=sampler, **options))
        times.append(time.perf_counter() - start)
    result = runs[1]  # warm, default sampler
    sampling = float(runs[2].table["sampling_s"].sum())
    arviz_s = ours_s = 0.0
    largest = 0.0
    for posterior in result.posteriors.values():
        start = time.perf_counter()
        reference = az.loo(posterior, pointwise=True)
        arviz_s += time.perf_counter() - start
        start = time.perf_counter()
        ours = _psis_loo(posterior)
        ours_s += time.perf_counter() - start
        difference = np.abs(np.asarray(reference.elpd_i) - np.asarray(ours.elpd_i))
        largest = max(largest, float(np.max(difference)))
    before = times[2] - ours_s + arviz_s
    lines = [
        f"Bayesian comparison: {len(FAMILIES)} families, {args.n:,} values, 4 chains x {args.draws:,} draws",
        f"first run (compiling): {times[0]:.1f} s; warm: {times[1]:.1f} s (sampling "
        f"{float(result.table['sampling_s'].sum()):.1f} s); warm with PyMC's NUTS: {times[2]:.1f} s "
        f"(sampling {sampling:.1f} s)",
        f"PSIS-LOO of the {len(FAMILIES)} posteriors: ArviZ az.loo {arviz_s:.1f} s, klmodels {ours_s:.1f} s "
        f"({arviz_s / ours_s:.1f}x); largest elpd_i difference {largest:.1e} nats",
        f"before (PyMC's NUTS and az.loo): {before:.1f} s; now: {times[1]:.1f} s "
        f"({before / times[1]:.1f}x faster)",
    ]
    text = "\n".join(lines)
    print(text)
    return text


if __name__ == "__main__":
    main()
