"""Calibrated goodness of fit, side by side: klm.goodness_of_fit against scipy.stats.goodness_of_fit.

Same data (groundbeef serving sizes, 254 values), same families, same number of parametric-bootstrap
resamples. scipy computes one statistic per call (run here for Anderson-Darling); klmodels computes
KS, Cramér-von Mises and Anderson-Darling in one run. Quote ratios: the machines are shared.

Usage::

    python benchmarks/goodness.py [--resamples 200]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = {"gamma": stats.gamma, "weibull_min": stats.weibull_min, "lognorm": stats.lognorm}


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=200)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    import klmodels as klm

    x = pd.read_csv(ROOT / "data" / "groundbeef_serving.csv")["serving"].to_numpy(float)
    lines = [
        f"Goodness of fit on groundbeef (254 values), {args.resamples} parametric-bootstrap resamples",
        f"{'family':12s} {'klmodels s':>10s} {'scipy s':>9s} {'ratio':>7s} {'AD':>8s} "
        f"{'klm AD p':>9s} {'scipy AD p':>10s}",
    ]
    for name, dist in FAMILIES.items():
        fit = klm.fit(x, name)
        start = time.perf_counter()
        ours = klm.goodness_of_fit(fit, resamples=args.resamples, rng=1)
        klm_seconds = time.perf_counter() - start
        start = time.perf_counter()
        theirs = stats.goodness_of_fit(
            dist, x, known_params={"loc": 0.0}, statistic="ad", n_mc_samples=args.resamples,
            rng=np.random.default_rng(1),
        )  # fmt: skip
        scipy_seconds = time.perf_counter() - start
        lines.append(
            f"{name:12s} {klm_seconds:10.2f} {scipy_seconds:9.2f} {scipy_seconds / klm_seconds:6.0f}x "
            f"{ours.ad:8.3f} {ours.ad_p:9.4f} {theirs.pvalue:10.4f}"
        )
    text = "\n".join(lines)
    print(text)
    return text


if __name__ == "__main__":
    main()
