"""Bayesian comparison on 10^6 values: subsampled PSIS-LOO where the full matrix cannot be held.

Three continuous families on 1,000,000 gamma draws, 4 chains x 1,000 draws. Full PSIS-LOO would need
the pointwise log-likelihood of every value at every draw: 4,000 x 10^6 float64 = 32 GB, more than
this machine's memory; ``klmodels.bayes.compare`` switches to a 2,000-observation subsample with
Magnusson et al.'s difference estimator (see ``klmodels.subsample``). Prints the time (sampling and
LOO), the process's peak memory against the data's size, the ELPD per observation with its
subsampling standard error beside the maximum-likelihood log-likelihood per observation, and the
ranking against the plug-in AICc ranking. Needs the bayes extra.

Usage::

    python benchmarks/bayes_large.py [--n 1000000] [--draws 1000]
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

FAMILIES = ["gamma", "weibull_min", "lognorm"]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--draws", type=int, default=1_000)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    import numpy as np
    from scipy import stats

    from klmodels import bayes

    x = stats.gamma(2.0, scale=3.0).rvs(args.n, random_state=np.random.default_rng(1))
    start = time.perf_counter()
    result = bayes.compare(x, FAMILIES, draws=args.draws, tune=args.draws, chains=4, random_seed=1)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = result.table
    full_gb = 8 * args.n * 4 * args.draws / 1e9
    lines = [
        f"Bayesian comparison on {args.n:,} values: {len(FAMILIES)} families, 4 chains x {args.draws:,} draws",
        f"full PSIS-LOO would hold {full_gb:,.0f} GB of log-likelihoods; subsampled: "
        f"{int(result.loo[FAMILIES[0]].subsample_size):,} observations",
        f"time {seconds:.0f} s (sampling {table['sampling_s'].sum():.0f} s); peak memory "
        f"{peak_mib:,.0f} MiB for {x.nbytes / 2**20:,.0f} MiB of data",
        "family        elpd/obs (nats)  subsampling se  se       ML loglik/obs  rank  AICc rank",
    ]
    for label, row in table.iterrows():
        loglik = result.plugin.fits[label].loglik / args.n
        lines.append(
            f"{label:<13} {row['elpd'] / args.n:>15.5f}  {row['subsampling_se']:>14.3f}  "
            f"{row['se']:>7.1f}  {loglik:>13.5f}  {int(row['rank']):>4}  {int(row['plugin_aicc_rank']):>9}"
        )
    text = "\n".join(lines)
    print(text)
    return text


if __name__ == "__main__":
    main()
