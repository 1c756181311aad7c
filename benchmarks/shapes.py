"""Every shape of data at every size: klmodels' default comparison against the one-pass floor and fitter.

For each shape that picks a default family set (unit interval, positive, non-negative with zeros,
real line, whole numbers with few and with many distinct values, counts with one far outlier) and
each size (10^5, 10^6, 10^7 by default), one fresh process measures the peak memory of
``klm.compare(x)`` with the default families above the data in one run, then times it in
unsampled runs: the best of three (fitter, on the same families in its own process: the best
of two at 10^5 values, one run above); in the same process the **floor**
is timed: one scipy ``logpdf``/``logpmf`` pass per fitted family at its fitted parameters (klmodels'
own where scipy's would take more than 10 times as long: its zipfian sums over n for every point),
plus one ``value_counts`` pass for whole numbers. fitter, where it has the same
families (continuous shapes), runs in its own process on the same data.

Usage (from bench.py, or alone in an environment with klmodels, fitter and psutil)::

    python benchmarks/shapes.py [--sizes 1e5,1e6,1e7] [--fitter-sizes 1e5,1e6] [--shapes ...]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

SHAPES = ["unit", "positive", "zeros", "real", "counts_few", "counts_many", "counts_outlier"]
CONTINUOUS_SHAPES = {"unit", "positive", "zeros", "real"}
DESCRIPTION = {
    "unit": "beta(2, 5): inside (0, 1)",
    "positive": "lognormal(1, 0.5)",
    "zeros": "exponential(2), 5% exact zeros",
    "real": "normal(5, 2)",
    "counts_few": "negative binomial(3, 0.3): ~60 distinct",
    "counts_many": "negative binomial(2, p): 10^4-10^6 distinct",
    "counts_outlier": "Poisson(4) and one 10^9",
}


def make(shape: str, n: int):
    import numpy as np

    rng = np.random.default_rng(1)
    if shape == "unit":
        return rng.beta(2, 5, n)
    if shape == "positive":
        return rng.lognormal(1, 0.5, n)
    if shape == "zeros":
        return np.where(rng.uniform(size=n) < 0.05, 0.0, rng.exponential(2, n))
    if shape == "real":
        return rng.normal(5, 2, n)
    if shape == "counts_few":
        return rng.negative_binomial(3, 0.3, n)
    if shape == "counts_many":
        return rng.negative_binomial(2, 20.0 / n, n)  # mean about n/10: distinct values grow with n
    if shape == "counts_outlier":
        return np.append(rng.poisson(4, n - 1), 10**9)
    raise SystemExit(f"unknown shape {shape!r}; choose from {SHAPES}")


def floor_seconds(x, table) -> float:
    """One log-density pass per fitted family at its parameters, plus value_counts for whole numbers."""
    import numpy as np
    import pandas as pd
    from scipy import stats

    total = 0.0
    discrete = table.attrs["kind"] == "discrete"
    for fit in table.fits.values():
        points = fit.observations.values if discrete else x
        start = time.perf_counter()
        with np.errstate(all="ignore"):
            fit.logpdf(points)
        passes = [time.perf_counter() - start]
        dist = getattr(stats, fit.family.name, None)
        if dist is not None:
            frozen = fit.freeze()
            scipy_pass = dist.logpmf if discrete else dist.logpdf
            probe = points[:20]  # few: a pathological pass (zipfian's sums over n) shows at once
            start = time.perf_counter()
            with np.errstate(all="ignore"):
                scipy_pass(probe, *frozen.args, **frozen.kwds)
            per_point = (time.perf_counter() - start) / max(probe.size, 1)
            if per_point * points.size < 10 * passes[0] + 0.01:  # scipy's own is not pathological
                start = time.perf_counter()
                with np.errstate(all="ignore"):
                    scipy_pass(points, *frozen.args, **frozen.kwds)
                passes = [time.perf_counter() - start]  # the floor is scipy's pass where usable
        total += passes[0]
    if discrete:
        start = time.perf_counter()
        pd.Series(x).value_counts()
        total += time.perf_counter() - start
    return total


def peak_extra_mib(sampler_class, run) -> float:
    """Peak resident memory above the level before ``run()``, from a run of its own.

    The sampler reads /proc every 20 ms in a thread (1.2 ms a reading, holding the GIL), which
    slowed a 0.25 s comparison to 0.43 s; times are therefore taken in a second, unsampled run.
    """
    sampler = sampler_class()
    baseline = sampler.rss()
    with sampler:
        run()
    return sampler.peak - baseline


def best_of(repeats: int, run):
    """The shortest time of ``repeats`` runs and the last run's result (the machines are shared)."""
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def worker(tool: str, shape: str, n: int) -> dict:
    warnings.simplefilter("ignore")
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench import MemorySampler

    x = make(shape, n)
    out: dict = {"tool": tool, "shape": shape, "n": n, "data_mib": x.nbytes / 2**20}
    if tool == "klmodels":
        import klmodels as klm

        klm.compare(x[:2000])  # imports and first-call costs outside the timing
        out["peak_extra_mib"] = peak_extra_mib(MemorySampler, lambda: klm.compare(x))
        out["seconds"], table = best_of(3, lambda: klm.compare(x))
        out["floor"] = floor_seconds(x, table)
        out["families"] = list(table.index)
        out["best"] = str(table.index[0])
        out["failed"] = int(table["loglik"].isna().sum())
    elif tool == "fitter":
        from fitter import Fitter

        import klmodels as klm
        from klmodels.selection import DEFAULT_FAMILIES, data_shape

        families = list(DEFAULT_FAMILIES[data_shape(klm.Observations.from_data(x))])

        def run_fitter():
            f = Fitter(x, distributions=families, timeout=3600)
            f.fit()
            return f

        out["peak_extra_mib"] = peak_extra_mib(MemorySampler, run_fitter)
        out["seconds"], f = best_of(2 if n <= 100_000 else 1, run_fitter)
        out["best"] = next(iter(f.get_best()))
    out["rows"] = int(np.asarray(x).size)
    return out


def run(tool: str, shape: str, n: int) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", tool, shape, str(n)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"tool": tool, "shape": shape, "n": n, "error": proc.stderr.strip()[-300:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(results: list[dict]) -> str:
    by = {(r["shape"], r["n"], r["tool"]): r for r in results}
    header = (
        f"{'shape':<15} {'n':>11} {'klmodels s':>10} {'floor s':>8} {'/floor':>7} {'peak MiB':>9} "
        f"{'data MiB':>8} {'fitter s':>9} {'fitter/klm':>10}  best"
    )
    lines = [header, "-" * len(header)]
    for shape, n in dict.fromkeys((r["shape"], r["n"]) for r in results):
        k = by.get((shape, n, "klmodels"), {})
        f = by.get((shape, n, "fitter"), {})
        if "error" in k or "seconds" not in k:
            lines.append(f"{shape:<15} {n:>11,} failed: {k.get('error', 'not run')[-80:]}")
            continue
        fitter_s = f.get("seconds", math.nan)
        ratio = fitter_s / k["seconds"] if "seconds" in f else math.nan
        fitter_text = f"{fitter_s:9.2f}" if "seconds" in f else f"{'-':>9}"
        ratio_text = f"{ratio:9.0f}x" if "seconds" in f else f"{'-':>10}"
        lines.append(
            f"{shape:<15} {n:>11,} {k['seconds']:10.2f} {k['floor']:8.3f} "
            f"{k['seconds'] / k['floor']:6.1f}x {k['peak_extra_mib']:9.0f} {k['data_mib']:8.0f} "
            f"{fitter_text} {ratio_text}  {k['best']}"
        )
    lines.append("")
    lines.append(
        "/floor: klmodels' time over one scipy log-density pass per fitted family at its "
        "parameters (+ one value_counts pass for whole numbers)."
    )
    lines.append(
        "peak MiB: resident memory above the level after imports and data during compare() "
        "(whole process tree for fitter)."
    )
    lines.append("shapes: " + "; ".join(f"{k}: {v}" for k, v in DESCRIPTION.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--sizes", default="1e5,1e6,1e7")
    parser.add_argument("--fitter-sizes", default="1e5")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        tool, shape, n = args.worker
        print(json.dumps(worker(tool, shape, int(n))))
        return ""
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    fitter_sizes = {int(float(s)) for s in args.fitter_sizes.split(",") if s}
    results = []
    for shape in args.shapes.split(","):
        for n in sizes:
            print(f"shapes: klmodels on {shape} n={n:,}...", file=sys.stderr, flush=True)
            results.append(run("klmodels", shape, n))
            if shape in CONTINUOUS_SHAPES and n in fitter_sizes:
                print(f"shapes: fitter on {shape} n={n:,}...", file=sys.stderr, flush=True)
                results.append(run("fitter", shape, n))
    text = report(results)
    print(f"machine: {os.cpu_count()} cores\n{text}")
    return text


if __name__ == "__main__":
    main()
