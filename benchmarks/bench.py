"""Side-by-side benchmark: klmodels against fitter and distfit on the same data, in one run.

Run it with ``make bench`` (which builds .venv-bench with klmodels, fitter, distfit and psutil)
or ``python benchmarks/bench.py`` in such an environment. Nothing is installed at import.

Every (tool, workload) pair runs in a fresh subprocess, so that imports and memory do not leak
between tools; inside it a thread samples the resident memory of the process and its children
(fitter fits in worker processes) every 20 ms. Times are the median of several repeats. The
log-likelihood each tool reached is recomputed for every family with scipy's ``logpdf`` from the
tool's own parameters, so all tools are scored the same way. The floor is one ``logpdf`` pass per
family (continuous) or one ``np.unique`` / ``value_counts`` pass (counts), measured in the same run.

Usage::

    python benchmarks/bench.py [--workloads gamma-100k,lognormal-1M,counts-10M,groundbeef]
                               [--tools klmodels,klmodels-free,fitter,distfit] [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

CONTINUOUS = [
    "norm",
    "lognorm",
    "gamma",
    "expon",
    "weibull_min",
    "beta",
    "t",
    "logistic",
    "uniform",
    "pareto",
]
WORKLOADS = ["gamma-100k", "lognormal-1M", "counts-10M", "groundbeef"]
TOOLS = ["klmodels", "klmodels-free", "fitter", "distfit", "floor"]


def make_data(workload: str):
    import numpy as np
    import pandas as pd
    from scipy import stats

    if workload == "gamma-100k":
        return stats.gamma(2.5, scale=3).rvs(
            100_000, random_state=np.random.default_rng(1)
        ), "continuous"
    if workload == "lognormal-1M":
        return stats.lognorm(0.5, scale=math.e).rvs(
            1_000_000, random_state=np.random.default_rng(2)
        ), "continuous"
    if workload == "counts-10M":
        return np.random.default_rng(3).negative_binomial(3, 0.3, size=10_000_000), "discrete"
    if workload == "groundbeef":
        return pd.read_csv(ROOT / "data" / "groundbeef_serving.csv")["serving"].to_numpy(
            dtype=float
        ), "continuous"
    raise SystemExit(f"unknown workload {workload!r}; choose from {WORKLOADS}")


class MemorySampler:
    """Peak resident memory (MiB) of this process and all its children, sampled every 20 ms."""

    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> float:
        import psutil

        total = self.process.memory_info().rss
        for child in self.process.children(recursive=True):
            with contextlib.suppress(psutil.Error):  # a child may end while we look
                total += child.memory_info().rss
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.02)

    def __enter__(self) -> MemorySampler:
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


def scipy_loglik(x, name: str, params) -> float:
    import numpy as np
    from scipy import stats

    dist = getattr(stats, name)
    with np.errstate(all="ignore"):
        if isinstance(params, dict):
            return float(dist.logpdf(x, **params).sum())
        return float(dist.logpdf(x, *params).sum())


def run_klmodels(x, kind: str, free: bool):
    import klmodels as klm

    if kind == "discrete":
        table = klm.compare(x, support=(0, None))
    else:
        table = klm.compare(x, CONTINUOUS, free_loc=free)
    return table


def worker(tool: str, workload: str, repeats: int) -> dict:
    warnings.simplefilter("ignore")
    import numpy as np

    x, kind = make_data(workload)
    out: dict = {"tool": tool, "workload": workload, "n": int(x.size), "data_mib": x.nbytes / 2**20}
    if kind == "discrete" and tool in ("fitter", "distfit"):
        out["skipped"] = (
            "fitter has no discrete families"
            if tool == "fitter"
            else "distfit's discrete mode fits only a binomial (it cannot rank count families)"
        )
        return out

    # import before measuring the baseline, so that the memory column shows the work, not imports
    if tool.startswith("klmodels") or tool == "floor":
        import klmodels  # noqa: F401
    elif tool == "fitter":
        from fitter import Fitter
    elif tool == "distfit":
        from distfit import distfit

    times, result, families = [], None, CONTINUOUS if kind == "continuous" else []
    sampler = MemorySampler()
    baseline = sampler.rss()
    with sampler:
        for _ in range(repeats):
            start = time.perf_counter()
            if tool in ("klmodels", "klmodels-free"):
                result = run_klmodels(x, kind, tool == "klmodels-free")
            elif tool == "fitter":
                f = Fitter(x, distributions=CONTINUOUS, timeout=3600)
                f.fit()
                result = f
            elif tool == "distfit":
                d = distfit(distr=CONTINUOUS, verbose=0)
                d.fit_transform(x, verbose=0)
                result = d
            elif tool == "floor":
                result = floor(x, kind)
            times.append(time.perf_counter() - start)
    out.update(times=times, median=statistics.median(times), peak_extra_mib=sampler.peak - baseline)

    logliks: dict[str, float | None] = {}
    if tool in ("klmodels", "klmodels-free"):
        out["best"] = str(result.index[0])
        families = list(result.index)
        for name, value in result["loglik"].items():
            logliks[name] = None if math.isnan(value) else float(value)
        out["notes"] = {name: note for name, note in result["note"].items() if note}
    elif tool == "fitter":
        out["best"] = next(iter(result.get_best()))
        for name in CONTINUOUS:
            params = result.fitted_param.get(name)
            logliks[name] = scipy_loglik(x, name, params) if params is not None else None
    elif tool == "distfit":
        out["best"] = result.model["name"]
        for _, row in result.summary.iterrows():
            logliks[row["name"]] = scipy_loglik(x, row["name"], row["params"])
    elif tool == "floor":
        out.update(result)
    out["logliks"] = {k: (v if v is None or np.isfinite(v) else None) for k, v in logliks.items()}
    out["families"] = families
    return out


def floor(x, kind: str) -> dict:
    """One pass per family at fixed parameters (continuous), or one counting pass (discrete)."""
    import numpy as np
    import pandas as pd
    from scipy import stats

    if kind == "discrete":
        series = pd.Series(x)
        start = time.perf_counter()
        np.unique(x, return_counts=True)
        unique = time.perf_counter() - start
        start = time.perf_counter()
        series.value_counts()
        counts = time.perf_counter() - start
        return {"unique_s": unique, "value_counts_s": counts}
    passes = {}
    for name in CONTINUOUS:
        dist = getattr(stats, name)
        params = dist._fitstart(x[:1000])
        start = time.perf_counter()
        with np.errstate(all="ignore"):
            dist.logpdf(x, *params).sum()
        passes[name] = time.perf_counter() - start
    return {"per_family_s": passes}


def run_worker(tool: str, workload: str, repeats: int) -> dict:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        tool,
        workload,
        "--repeats",
        str(repeats),
    ]
    proc = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        return {"tool": tool, "workload": workload, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def kind_of(workload: str) -> str:
    return "discrete" if workload.startswith("counts") else "continuous"


def report(results: list[dict]) -> str:
    lines = []
    by = {(r["workload"], r["tool"]): r for r in results}
    workloads = list(dict.fromkeys(r["workload"] for r in results))
    header = (
        f"{'workload':<14} {'tool':<14} {'median s':>9} {'vs klmodels':>12} {'vs floor':>9} "
        f"{'peak MiB':>9}  best family"
    )
    lines += [header, "-" * len(header)]
    for w in workloads:
        floor_run = by.get((w, "floor"), {})
        if "per_family_s" in floor_run:
            floor_time = sum(floor_run["per_family_s"].values())
        elif "value_counts_s" in floor_run:
            floor_time = min(floor_run["value_counts_s"], floor_run["unique_s"])
        else:
            floor_time = math.nan
        reference = by.get((w, "klmodels-free"), by.get((w, "klmodels"), {})).get(
            "median", math.nan
        )
        for tool in TOOLS:
            r = by.get((w, tool))
            if r is None:
                continue
            if "skipped" in r or "error" in r:
                reason = r.get("skipped") or r.get("error")
                lines.append(f"{w:<14} {tool:<14} {'-':>9} {'':>12} {'':>9} {'':>9}  {reason}")
                continue
            if tool == "floor":
                what = (
                    "(one pass per family)" if kind_of(w) == "continuous" else "(one counting pass)"
                )
                lines.append(
                    f"{w:<14} {'floor':<14} {floor_time:9.4f} {'':>12} {'1.0x':>9} {'':>9}  {what}"
                )
                continue
            ratio = r["median"] / reference if tool in ("fitter", "distfit") else math.nan
            vs_floor = r["median"] / floor_time
            lines.append(
                f"{w:<14} {tool:<14} {r['median']:9.3f} {('' if math.isnan(ratio) else f'{ratio:.1f}x'):>12} "
                f"{vs_floor:8.1f}x {r['peak_extra_mib']:9.0f}  {r.get('best', '')}"
            )
        lines.append("")
    lines.append(
        "vs klmodels: the competitor's time divided by klmodels' free-location run "
        "(the forms fitter and distfit fit)."
    )
    lines.append(
        "peak MiB: resident memory above the level after imports and data, whole process tree.\n"
    )
    for w in workloads:
        tools = [
            t
            for t in ("klmodels", "klmodels-free", "fitter", "distfit")
            if "logliks" in by.get((w, t), {})
        ]
        if not tools:
            continue
        families = list(dict.fromkeys(f for t in tools for f in by[(w, t)]["logliks"]))
        lines.append(
            f"log-likelihood reached on {w} (nats; recomputed with scipy from each tool's parameters)"
        )
        lines.append(
            f"{'family':<12} " + " ".join(f"{t:>16}" for t in tools) + f" {'free - best rival':>18}"
        )
        for fam in families:
            values = [by[(w, t)]["logliks"].get(fam) for t in tools]
            cells = " ".join(f"{'failed':>16}" if v is None else f"{v:16.3f}" for v in values)
            free = by.get((w, "klmodels-free"), {}).get("logliks", {}).get(fam)
            rivals = [by[(w, t)]["logliks"].get(fam) for t in ("fitter", "distfit") if t in tools]
            rivals = [v for v in rivals if v is not None]
            gap = "" if free is None or not rivals else f"{free - max(rivals):18.3f}"
            lines.append(f"{fam:<12} {cells} {gap}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--shapes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also the every-shape table (benchmarks/shapes.py)",
    )
    parser.add_argument("--shape-sizes", default="1e5,1e6,1e7")
    parser.add_argument("--fitter-sizes", default="1e5,1e6")
    for flag, (name, what) in SIDE_SCRIPTS.items():
        parser.add_argument(
            f"--{flag}",
            action=argparse.BooleanOptionalAction,
            default=True,
            help=f"also {what} (benchmarks/{name})",
        )
    parser.add_argument("--worker", nargs=2, metavar=("TOOL", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.repeats)))
        return
    results = []
    for workload in filter(None, args.workloads.split(",")):
        for tool in args.tools.split(","):
            repeats = 20 if workload == "groundbeef" else args.repeats
            print(
                f"running {tool} on {workload} ({repeats} repeats)...", file=sys.stderr, flush=True
            )
            results.append(run_worker(tool, workload, repeats))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(results, indent=1))
    text = report(results) if results else ""
    if args.shapes:
        import shapes

        print("running the every-shape table...", file=sys.stderr, flush=True)
        text += "\n\nEvery shape, every size: klm.compare(x) with the default families\n"
        text += shapes.main(["--sizes", args.shape_sizes, "--fitter-sizes", args.fitter_sizes])
    for flag, (name, what) in SIDE_SCRIPTS.items():
        if getattr(args, flag):
            print(f"running {what}...", file=sys.stderr, flush=True)
            text += "\n\n" + script(name)
    (RESULTS / f"bench-{stamp}.txt").write_text(text)
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}\n")
    print(text)


SIDE_SCRIPTS = {
    "dask": ("dask_passes.py", "the passes of a Dask comparison"),
    "censored": ("censored.py", "censored data against surpyval, lifelines and scipy"),
    "goodness": ("goodness.py", "calibrated goodness of fit against scipy.stats.goodness_of_fit"),
    "mixtures": ("mixtures.py", "mixtures: EM against the generic optimiser"),
    "bayes": ("bayes_speed.py", "the Bayesian comparison's time and PSIS-LOO against ArviZ's"),
    "bayes-large": ("bayes_large.py", "the Bayesian comparison on 10^6 values (subsampled LOO)"),
}
"""The other benchmark scripts ``make bench`` runs after the main table, by switch (each can be
turned off with ``--no-<switch>``): script and what it measures."""


def script(name: str) -> str:
    """Run another benchmark script of this folder in its own process and return what it printed."""
    command = [sys.executable, str(ROOT / "benchmarks" / name)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    return proc.stdout.strip() if proc.returncode == 0 else f"{name}: failed: {proc.stderr[-300:]}"


if __name__ == "__main__":
    main()
