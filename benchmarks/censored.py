"""Censored data, side by side: klmodels against surpyval, lifelines and scipy on the same data, in one run.

The data of issue 13: Weibull(1.5, scale 10) lifetimes, 15% right-censored at a random inspection
before failure and 15% known only to a unit interval. Each tool ranks (or fits) the same families
on the same values; the log-likelihood each reached is recomputed with scipy from the tool's own
parameters, so all are scored alike. lifelines is timed on a tenth of the data (it takes minutes
on all of it), next to klmodels on that same tenth. Quote ratios: the machines are shared.

Usage (in an environment with klmodels, surpyval and lifelines: ``make bench`` builds one)::

    python benchmarks/censored.py [--n 100000]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
from scipy import stats

# klmodels name: (surpyval name, scipy frozen model from surpyval's parameters)
SURPYVAL = {
    "weibull_min": ("Weibull", lambda p: stats.weibull_min(p[1], scale=p[0])),
    "gamma": ("Gamma", lambda p: stats.gamma(p[0], scale=1 / p[1])),
    "lognorm": ("LogNormal", lambda p: stats.lognorm(p[1], scale=math.exp(p[0]))),
    "expon": ("Exponential", lambda p: stats.expon(scale=1 / p[0])),
    "norm": ("Normal", lambda p: stats.norm(p[0], p[1])),
    "logistic": ("Logistic", lambda p: stats.logistic(p[0], p[1])),
    "fisk": ("LogLogistic", lambda p: stats.fisk(p[1], scale=p[0])),
    "rayleigh": ("Rayleigh", lambda p: stats.rayleigh(scale=p[0])),
}


def make(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = stats.weibull_min(1.5, scale=10).rvs(n, random_state=rng)
    low, high = x.copy(), x.copy()
    u = rng.uniform(size=n)
    right, interval = u < 0.15, (u >= 0.15) & (u < 0.30)
    low[right] = (rng.uniform(0, 1, n) * x)[right]
    high[right] = np.nan
    low[interval], high[interval] = np.floor(x[interval]), np.floor(x[interval]) + 1
    return low, high


def loglik(frozen: object, low: np.ndarray, high: np.ndarray) -> float:
    exact, right = low == high, np.isnan(high)
    inside = ~exact & ~right
    with np.errstate(all="ignore"):
        return float(
            frozen.logpdf(low[exact]).sum() + frozen.logsf(low[right]).sum()
            + np.log(frozen.cdf(high[inside]) - frozen.cdf(low[inside])).sum()
        )  # fmt: skip


def timed(run):
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    import klmodels as klm

    low, high = make(args.n)
    families = list(SURPYVAL)
    data = klm.censored(left=low, right=high)
    lines = [
        f"Censored data: {args.n:,} Weibull lifetimes, 15% right- and 15% interval-censored; "
        f"{len(families)} families"
    ]
    seconds, table = timed(lambda: klm.compare(data, families))
    rows = {"klmodels": (seconds, {f: table.loc[f, "loglik"] for f in families})}

    try:
        import surpyval
    except ImportError:
        surpyval = None
    if surpyval is not None:
        xl = low.copy()
        xr = np.where(np.isnan(high), np.inf, high)

        def surpyval_all() -> dict[str, float]:
            out = {}
            for name, (theirs, frozen) in SURPYVAL.items():
                try:
                    model = getattr(surpyval, theirs).fit(xl=xl, xr=xr)
                    out[name] = loglik(frozen(list(model.params)), low, high)
                except Exception as exc:  # a tool's failure is a row, not a crash
                    out[name] = f"failed: {type(exc).__name__}"
            return out

        rows["surpyval"] = timed(surpyval_all)
        rows["surpyval fit_best"] = (timed(lambda: surpyval.fit_best(xl=xl, xr=xr))[0], {})

    def scipy_weibull() -> dict[str, float]:
        exact, right = low == high, np.isnan(high)
        inside = ~exact & ~right
        censored_data = stats.CensoredData(
            uncensored=low[exact], right=low[right],
            interval=np.column_stack([low[inside], high[inside]]),
        )  # fmt: skip
        return {
            "weibull_min": loglik(
                stats.weibull_min(*stats.weibull_min.fit(censored_data, floc=0)), low, high
            )
        }

    rows["scipy (weibull_min only)"] = timed(scipy_weibull)
    single, _ = timed(lambda: klm.fit_censored(data, klm.families["weibull_min"]))
    rows["klmodels (weibull_min only)"] = (single, {})

    small = args.n // 10
    low_s, high_s = make(small, seed=1)
    try:
        from lifelines.utils import find_best_parametric_model
    except ImportError:
        find_best_parametric_model = None
    lines_small = []
    if find_best_parametric_model is not None:
        upper = np.where(np.isnan(high_s), np.inf, high_s)
        lower = np.where(low_s == 0, 1e-9, low_s)
        lifelines_s, (model, _) = timed(
            lambda: find_best_parametric_model((lower, upper), censoring_type="interval")
        )
        klm_s, _ = timed(lambda: klm.compare(klm.censored(left=low_s, right=high_s), families))
        lines_small.append(
            f"on {small:,} values: lifelines find_best_parametric_model {lifelines_s:.2f} s "
            f"(picked {type(model).__name__}), klmodels {klm_s:.2f} s: "
            f"{lifelines_s / klm_s:.0f}x faster"
        )

    base = rows["klmodels"][0]
    lines.append(f"{'tool':28s} {'seconds':>8s} {'/klmodels':>10s}")
    for tool, (seconds, _) in rows.items():
        lines.append(f"{tool:28s} {seconds:8.2f} {seconds / base:9.1f}x")
    lines.extend(lines_small)
    lines.append(
        "\nlog-likelihood reached (nats; recomputed with scipy from each tool's parameters)"
    )
    lines.append(f"{'family':12s} {'klmodels':>14s} {'surpyval':>14s} {'klm - surpyval':>15s}")
    theirs = rows.get("surpyval", (0, {}))[1]
    for family in families:
        ours = rows["klmodels"][1][family]
        other = theirs.get(family)
        gap = f"{ours - other:15.1e}" if isinstance(other, float) else ""
        other_text = f"{other:14.3f}" if isinstance(other, float) else f"{other!s:>14s}"
        lines.append(f"{family:12s} {ours:14.3f} {other_text} {gap}")
    text = "\n".join(lines)
    print(text)
    return text


if __name__ == "__main__":
    main()
