"""Rank families on 50 million observations that never enter the client's memory, with Dask.
=========================================================================================

The recipe writes a multi-file Parquet data set (50 files of 1,000,000 service times, written
one file at a time), starts a local Dask cluster of two worker processes (or connects to yours
with --scheduler), and compares six families on the Parquet column. Only per-partition sums,
value counts and a random sample of 1,000,000 values travel to the client; the recipe prints
the ranking, how many passes over the files it took, the time, and the peak memory of the
client process next to the size of the data.

Run it with `python recipes/dask_large.py` (needs `pip install 'klmodels[dask,parquet]'`).
With --check it then loads all the data into pandas and compares the two tables.

On a real cluster: start a scheduler and workers (e.g. `dask scheduler`, `dask worker
tcp://host:8786`), put the files where every worker can read them (S3, GCS, a shared disk),
and run `python recipes/dask_large.py --scheduler tcp://host:8786 --dir s3://bucket/path`.
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

import klmodels as klm

PROGRESS = sys.stderr.isatty()
FAMILIES = ["weibull_min", "gamma", "lognorm", "expon", "norm", "logistic"]
# the script (the documentation gallery runs recipes without __file__, with it as sys.argv[0])
DEFAULT_DIR = (
    Path(globals().get("__file__") or sys.argv[0]).resolve().parent.parent
    / ".cache"
    / "service_times"
)
TRUE = {"c": 1.3, "scale": 2.0}  # Weibull service times, minutes


def write_parquet(directory: Path, rows: int, files: int) -> None:
    """``files`` Parquet files of Weibull service times, written one at a time (bounded memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tqdm.auto import tqdm

    directory.mkdir(parents=True, exist_ok=True)
    per_file = rows // files
    for i in tqdm(range(files), desc="writing Parquet", unit="file", disable=not PROGRESS):
        path = directory / f"part-{i:04d}.parquet"
        if path.exists():
            continue
        rng = np.random.default_rng([2017, i])
        minutes = TRUE["scale"] * rng.weibull(TRUE["c"], per_file)
        pq.write_table(pa.table({"minutes": minutes}), path)


class PeakMemory:
    """Peak resident memory of this process while the block runs (sampled every 20 ms, Linux)."""

    def __init__(self) -> None:
        self.peak = self.start = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    @staticmethod
    def _rss() -> int:
        try:
            pages = int(Path("/proc/self/statm").read_text().split()[1])
        except OSError:  # not Linux: fall back on the peak of the whole run
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return pages * resource.getpagesize()

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000_000, help="observations to generate")
    parser.add_argument("--files", type=int, default=50, help="Parquet files (= partitions)")
    parser.add_argument("--dir", default=str(DEFAULT_DIR), help="where the Parquet files live")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes")
    parser.add_argument(
        "--persist", action="store_true", help="load the data into the workers' memory first"
    )
    parser.add_argument("--check", action="store_true", help="also compare in memory with pandas")
    args = parser.parse_args()

    import dask.dataframe as dd
    from distributed import Client, LocalCluster, wait

    directory = Path(args.dir)
    if "://" not in args.dir:
        write_parquet(directory, args.rows, args.files)
    if args.scheduler:
        client, cluster = Client(args.scheduler), None
    else:
        cluster = LocalCluster(
            n_workers=args.workers, threads_per_worker=1, silence_logs=logging.CRITICAL
        )
        client = Client(cluster)
    print(f"Dask dashboard: {client.dashboard_link}")

    minutes = dd.read_parquet(args.dir)["minutes"]
    if args.persist:  # every pass then reads the workers' memory instead of the files
        started = time.perf_counter()
        minutes = minutes.persist()
        wait(minutes)
        print(f"persisted in the workers' memory in {time.perf_counter() - started:.1f} s")
    data_bytes = args.rows * 8
    with PeakMemory() as memory:
        started = time.perf_counter()
        table = klm.compare(minutes, FAMILIES, progress=PROGRESS)
        elapsed = time.perf_counter() - started
    pd.set_option("display.width", 200)
    columns = ["params", "loglik", "kl_bits", "dkl_bits", "dkl_se_bits", "aicc", "weight"]
    print(f"\n{table.attrs['n_obs']:,.0f} service times in {minutes.npartitions} Parquet files")
    print(table[columns].to_string(float_format=lambda v: f"{v:.6g}"))
    if table["note"].iloc[0]:
        print(f"\nnote on the first row: {table['note'].iloc[0]}")
    print(f"\ntrue model: weibull_min {TRUE}")
    print(f"time: {elapsed:.1f} s for {table.attrs['passes']} passes over the files")
    print(
        f"client memory: {memory.start / 2**20:.0f} MiB before, peak {memory.peak / 2**20:.0f} MiB "
        f"during the comparison (+{(memory.peak - memory.start) / 2**20:.0f} MiB); "
        f"the data are {data_bytes / 2**20:,.0f} MiB as float64"
    )
    worker_peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    print(
        "worker peak memory: "
        + ", ".join(f"{kib / 2**10:.0f} MiB" for kib in worker_peaks.values())
    )

    if args.check:
        started = time.perf_counter()
        in_memory = pd.read_parquet(args.dir)["minutes"]
        expected = klm.compare(in_memory, FAMILIES)
        check_time = time.perf_counter() - started
        rel = ((table["loglik"] - expected.loc[table.index, "loglik"]) / expected["loglik"]).abs()
        print(f"\nin memory with pandas: {check_time:.1f} s; same order: "
              f"{list(table.index) == list(expected.index)}")  # fmt: skip
        print(f"largest relative loglik difference: {rel.max():.2e}")
        print(
            f"data entropy: {table.attrs['entropy_bits']:.6f} bits from the random sample, "
            f"{expected.attrs['entropy_bits']:.6f} bits from all values"
        )
    client.close()
    if cluster is not None:
        cluster.close()


if __name__ == "__main__":
    main()
