"""Calibrated goodness of fit, side by side: klm.goodness_of_fit against scipy.stats.goodness_of_fit.

Same data (groundbeef serving sizes, 254 values), same families, same number of parametric-bootstrap
resamples. scipy computes one statistic per call; klmodels computes KS, Cramér-von Mises and
Anderson-Darling in one run. Two ratios: against scipy's Anderson-Darling run alone, and against the
three scipy runs that give the same three calibrated p-values. Each time is the best of three runs.
Quote ratios: the machines are shared.

Usage::

    python benchmarks/goodness.py [--resamples 200]
"""

from __future__ import annotations

import argparse
import functools
import math
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = {"gamma": stats.gamma, "weibull_min": stats.weibull_min, "lognorm": stats.lognorm}


def _best_of_three(run: Callable[[], Any]) -> float:
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=200)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    import klmodels as klm

    x = pd.read_csv(ROOT / "data" / "groundbeef_serving.csv")["serving"].to_numpy(float)
    lines = [
        f"Goodness of fit on groundbeef (254 values), {args.resamples} parametric-bootstrap resamples",
        f"{'family':12s} {'klmodels s':>10s} {'scipy AD s':>10s} {'ratio':>6s} {'scipy 3 s':>9s} "
        f"{'ratio':>6s} {'AD':>8s} {'klm AD p':>9s} {'scipy AD p':>10s}",
    ]
    for name, dist in FAMILIES.items():
        fit = klm.fit(x, name)
        klm_seconds = _best_of_three(
            lambda fit=fit: klm.goodness_of_fit(fit, resamples=args.resamples, rng=1)
        )
        ours = klm.goodness_of_fit(fit, resamples=args.resamples, rng=1)
        scipy_seconds, theirs = {}, None
        for statistic in ("ks", "cvm", "ad"):
            run = functools.partial(
                stats.goodness_of_fit, dist, x, known_params={"loc": 0.0}, statistic=statistic,
                n_mc_samples=args.resamples, rng=np.random.default_rng(1),
            )  # fmt: skip
            scipy_seconds[statistic] = _best_of_three(run)
            theirs = run() if statistic == "ad" else theirs
        all_three = sum(scipy_seconds.values())
        lines.append(
            f"{name:12s} {klm_seconds:10.3f} {scipy_seconds['ad']:10.3f} "
            f"{scipy_seconds['ad'] / klm_seconds:5.0f}x {all_three:9.3f} {all_three / klm_seconds:5.0f}x "
            f"{ours.ad:8.3f} {ours.ad_p:9.4f} {theirs.pvalue:10.4f}"
        )
    text = "\n".join(lines)
    print(text)
    return text


if __name__ == "__main__":
    main()
