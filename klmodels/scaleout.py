r"""Scale-out: compare families on data that live on a Dask cluster.

Pass a Dask Series (a column of a Dask DataFrame, e.g. from ``dask.dataframe.read_parquet``)
wherever pandas data go: :func:`klmodels.compare`, :func:`klmodels.fit`,
:func:`klmodels.select`, the ``.kl`` accessor. The work runs where Dask runs it (the cluster
of the active ``distributed.Client``, else Dask's default scheduler) and the result is the
same table as for the same data in pandas. Nothing of Dask is imported unless Dask data are
passed; install it with ``pip install 'klmodels[dask]'``.

Only per-partition statistics come back to the client: sums of a few numbers per family
and partition, plus one bounded random sample. The passes over the data, in order:

1. **Summary** (1 pass). Row, NaN and infinity counts, weight checks, the extremes, the
   weighted central moments of :math:`x` (to the 4th) and of :math:`\ln x`, the means of
   :math:`x^2`, :math:`\ln(1-x)`, :math:`1/x`, combined across partitions with the pairwise
   formulas of Chan et al. and Pébay; and, while the values are whole numbers, each
   partition's value counts. **Whole-number data stop here**: their value counts (up to
   :data:`MAX_DISTINCT` distinct values) are exactly what every discrete family and the
   pandas path use, and everything that follows happens in memory.
2. Data with at most :data:`IN_MEMORY_LIMIT` observations are brought to the client (1 pass)
   and compared in memory, as pandas data would be.
3. **Random sample** (1 pass): :data:`SAMPLE_SIZE` observations drawn uniformly (all of them
   when there are fewer). It gives the data's entropy (the m-spacing estimator needs sorted
   values; the table's note says when it is estimated from a sample), starting values, the
   20,000-value subsample on which iterative fits start, and brackets for exact quantiles.
4. **Per family.** Closed-form estimators read the summary (no pass), or one pass for the
   statistics of transformed values such as :math:`\ln(x - \mathrm{loc})`; an exact median
   takes one pass (the values inside a narrow bracket). Iterative families (and free
   locations) fit the subsample in memory, then take quasi-Newton steps on all the data, each
   step one pass that returns the log-likelihood and its gradient summed over partitions
   (analytic scores, or central differences evaluated in the same pass). One pass then
   evaluates the fitted log-likelihood. Measured: 1 pass for norm, expon, lognorm, gamma;
   2 for laplace; 5 for weibull_min, gumbel_r, cauchy; 6 for logistic and t.
5. **Table** (1 pass): the paired standard errors and Vuong tests of every row against the
   best.

``table.attrs["passes"]`` reports how many passes a comparison took. Each pass reads the
partitions again unless they are in the cluster's memory: ``persist()`` data that fit there.
"""

from __future__ import annotations

import contextlib
import functools
import math
import pickle
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from klmodels.data import (
    NanPolicy,
    Observations,
    SampleSummaries,
    _readonly,
    checked_n_obs,
    is_dask_collection,
    subsample_with_extremes,
)
from klmodels.entropy_estimators import differential_entropy_nats
from klmodels.errors import (
    ConvergenceError,
    DataError,
    KLModelsError,
    MissingExtraError,
    NotInMemoryError,
    ParameterError,
    ScaleOutError,
)
from klmodels.protocols import Quantities
from klmodels.statistics import WeightedSample

__all__ = [
    "IN_MEMORY_LIMIT",
    "MAX_DISTINCT",
    "SAMPLE_SIZE",
    "DaskObservations",
    "DaskSample",
    "observations_from_dask",
]

SAMPLE_SIZE = 1_000_000
"""Size of the random sample that comes to the client (8 MB of float64)."""

IN_MEMORY_LIMIT = 50_000
"""Data with at most this many observations are compared in memory (as the pandas path does)."""

MAX_DISTINCT = 5_000_000
"""Whole-number data with more distinct values are not counted in memory."""

_SEED = 20171101  # the random sample is the same on every run over the same partitions


# ------------------------------------------------------------------ per-partition work
# These functions run on the workers, one call per partition: module-level, so that they
# pickle by reference, and they return a few numbers (or a bounded array), never the data.


def _columns(
    part: pd.Series | pd.DataFrame, weighted: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """The partition's values (and weights) as float64 arrays, NaN for missing."""
    if weighted:
        x = part["x"].to_numpy(dtype=np.float64, na_value=np.nan)
        w = part["w"].to_numpy(dtype=np.float64, na_value=np.nan)
        return x, w
    return part.to_numpy(dtype=np.float64, na_value=np.nan), None


def _usable(part: Any, weighted: bool, transform: Callable | None = None):
    """The rows that count: a value and a weight that are not NaN, and a positive weight."""
    x, w = _columns(part, weighted)
    keep = ~np.isnan(x)
    if w is not None:
        keep &= ~np.isnan(w) & (w > 0)
    if not keep.all():
        x = x[keep]
        w = None if w is None else w[keep]
    if transform is not None:
        x = transform(x)
    return x, w


def _first(mask: np.ndarray) -> int:
    hit = np.flatnonzero(mask)
    return int(hit[0]) if hit.size else -1


def _moments(x: np.ndarray, w: np.ndarray | None) -> dict[str, float] | None:
    """Total weight, extremes, central moments of x and ln x, and three other means of one block."""
    if x.size == 0:
        return None

    def total(v: np.ndarray) -> float:
        return float(v.sum() if w is None else np.dot(w, v))

    weight = float(x.size) if w is None else float(w.sum())
    mean = total(x) / weight
    d = x - mean
    d2 = d * d
    with np.errstate(divide="ignore", invalid="ignore"):
        log_x = np.log(x)
        log_mean = total(log_x) / weight
        log_m2 = total((log_x - log_mean) ** 2) if math.isfinite(log_mean) else math.nan
        log1m = total(np.log1p(-x))
        inv = total(1.0 / x)
    return {
        "weight": weight,
        "min": float(x.min()),
        "max": float(x.max()),
        "mean": mean,
        "m2": total(d2),
        "m3": total(d2 * d),
        "m4": total(d2 * d2),
        "sq": total(x * x),
        "log_mean": log_mean,
        "log_m2": log_m2,
        "log1m": log1m,
        "inv": inv,
    }


def _summarise(part: Any, index: int, weighted: bool, max_distinct: int) -> dict[str, Any]:
    """Pass 1: checks, moments, and value counts while the values are whole numbers."""
    x, w = _columns(part, weighted)
    nan_x = np.isnan(x)
    out: dict[str, Any] = {
        "rows": int(x.size),
        "nan_x": int(nan_x.sum()),
        "first_nan_x": _first(nan_x),
    }
    keep = ~nan_x
    if w is not None:
        nan_w = np.isnan(w)
        out.update(nan_w=int(nan_w.sum()), first_nan_w=_first(nan_w))
        keep &= ~nan_w
        inf_w = np.isinf(w) & keep
        negative = (w < 0) & keep
        out.update(
            inf_w=int(inf_w.sum()),
            negative=int(negative.sum()),
            first_negative=_first(negative),
            first_negative_value=float(w[negative][0]) if negative.any() else math.nan,
        )
        keep &= w > 0
    inf_x = np.isinf(x) & keep
    out.update(
        inf_x=int(inf_x.sum()),
        first_inf_x=_first(inf_x),
        first_inf_value=float(x[inf_x][0]) if inf_x.any() else math.nan,
    )
    x = x[keep]
    w = None if w is None else w[keep]
    out["usable"] = int(x.size)
    out["whole_weights"] = bool(w is None or np.all(w == np.floor(w)))
    if out["inf_x"] or out.get("inf_w") or out.get("negative"):
        return out  # the client raises; the moments would be meaningless
    out["moments"] = _moments(x, w)
    integer = x.size == 0 or Observations._all_integers(x)
    out["integer"] = integer
    if integer and x.size:
        distinct, inverse = np.unique(x, return_inverse=True)
        if distinct.size <= max_distinct:
            totals = np.bincount(inverse, weights=w, minlength=distinct.size).astype(np.float64)
            out["counts"] = (distinct, totals)
    return out


def _collect(part: Any, index: int, weighted: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """All usable rows (for data small enough to compare in memory)."""
    return _usable(part, weighted)


def _draw(
    part: Any, index: int, weighted: bool, rate: float | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """A random sample of the partition's observations; every usable row when ``rate`` is None.

    Raw rows are kept with probability ``rate``; a weighted row contributes a Poisson number
    of copies with mean ``rate * weight``, so both give about ``rate`` times the total weight
    in observations, drawn uniformly.
    """
    x, w = _usable(part, weighted)
    if rate is None:
        return x, w
    rng = np.random.default_rng([_SEED, index])
    if w is None:
        return x[rng.random(x.size) < rate], None
    return np.repeat(x, rng.poisson(rate * w)), None


def _sums(
    part: Any,
    index: int,
    weighted: bool,
    transform: Callable | None,
    f: Callable[[np.ndarray], Quantities],
) -> dict[Any, float]:
    """Weighted sums of the per-value quantities ``f`` returns (chunk by chunk within the partition)."""
    x, w = _usable(part, weighted, transform)
    if x.size == 0:
        return {}
    return WeightedSample(x, w).sum_many(f)


def _block_moments(part: Any, index: int, weighted: bool, transform: Callable | None):
    x, w = _usable(part, weighted, transform)
    return _moments(x, w)


def _first_where(
    part: Any, index: int, weighted: bool, transform: Callable | None, condition: Callable
) -> float:
    x, _ = _usable(part, weighted, transform)
    return WeightedSample(x).first_where(condition)


def _histogram(
    part: Any, index: int, weighted: bool, transform: Callable | None, edges: np.ndarray
) -> np.ndarray:
    x, w = _usable(part, weighted, transform)
    return np.histogram(x, bins=edges, weights=w)[0].astype(np.float64)


def _bracket(
    part: Any, index: int, weighted: bool, transform: Callable | None, low: float, high: float
) -> tuple[float, np.ndarray, np.ndarray]:
    """Weight below ``low``, and the distinct values in [low, high] with their weights."""
    x, w = _usable(part, weighted, transform)
    below = x < low
    inside = (x >= low) & (x <= high)
    weight_below = float(below.sum() if w is None else w[below].sum())
    distinct, inverse = np.unique(x[inside], return_inverse=True)
    totals = np.bincount(
        inverse, weights=None if w is None else w[inside], minlength=distinct.size
    ).astype(np.float64)
    return weight_below, distinct, totals


# ------------------------------------------------------------------ combining on the client
def _combine_moments(
    a: dict[str, float] | None, b: dict[str, float] | None
) -> dict[str, float] | None:
    r"""Merge the moments of two blocks (Chan et al. 1979; Pébay 2008), exactly as if computed at once.

    With weights :math:`n_a, n_b`, :math:`n = n_a + n_b` and :math:`\delta = \bar x_b - \bar x_a`:
    :math:`M_2 = M_{2a} + M_{2b} + \delta^2 n_a n_b / n`,
    :math:`M_3 = M_{3a} + M_{3b} + \delta^3 n_a n_b (n_a - n_b)/n^2 + 3\delta(n_a M_{2b} - n_b M_{2a})/n`,
    :math:`M_4 = M_{4a} + M_{4b} + \delta^4 n_a n_b (n_a^2 - n_a n_b + n_b^2)/n^3
    + 6\delta^2 (n_a^2 M_{2b} + n_b^2 M_{2a})/n^2 + 4\delta(n_a M_{3b} - n_b M_{3a})/n`.
    """
    if a is None or b is None:
        return a if b is None else b
    na, nb = a["weight"], b["weight"]
    n = na + nb
    delta = b["mean"] - a["mean"]
    m2 = a["m2"] + b["m2"] + delta * delta * na * nb / n
    m3 = (
        a["m3"] + b["m3"]
        + delta**3 * na * nb * (na - nb) / (n * n)
        + 3 * delta * (na * b["m2"] - nb * a["m2"]) / n
    )  # fmt: skip
    m4 = (
        a["m4"] + b["m4"]
        + delta**4 * na * nb * (na * na - na * nb + nb * nb) / n**3
        + 6 * delta * delta * (na * na * b["m2"] + nb * nb * a["m2"]) / (n * n)
        + 4 * delta * (na * b["m3"] - nb * a["m3"]) / n
    )  # fmt: skip
    log_a, log_b = a["log_mean"], b["log_mean"]
    if math.isfinite(log_a) and math.isfinite(log_b):
        log_delta = log_b - log_a
        log_mean = log_a + log_delta * nb / n
        log_m2 = a["log_m2"] + b["log_m2"] + log_delta * log_delta * na * nb / n
    else:
        with np.errstate(invalid="ignore"):
            log_mean = float(np.float64(na * log_a + nb * log_b) / n)
        log_m2 = math.nan
    return {
        "weight": n,
        "min": min(a["min"], b["min"]),
        "max": max(a["max"], b["max"]),
        "mean": a["mean"] + delta * nb / n,
        "m2": m2,
        "m3": m3,
        "m4": m4,
        "sq": a["sq"] + b["sq"],
        "log_mean": log_mean,
        "log_m2": log_m2,
        "log1m": a["log1m"] + b["log1m"],
        "inv": a["inv"] + b["inv"],
    }


def _merge_counts(
    blocks: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values (sorted) and total weights from per-partition value counts."""
    values = np.concatenate([b[0] for b in blocks])
    totals = np.concatenate([b[1] for b in blocks])
    distinct, inverse = np.unique(values, return_inverse=True)
    return distinct, np.bincount(inverse, weights=totals, minlength=distinct.size)


@dataclass(frozen=True)
class _Moments:
    """Combined moments of a whole sample, and the statistics the estimators read from them."""

    raw: dict[str, float]

    @property
    def weight(self) -> float:
        return self.raw["weight"]

    def mean_of(self, key: str) -> float:
        return self.raw[key] / self.raw["weight"]

    @property
    def var(self) -> float:
        return max(self.mean_of("m2"), 0.0)

    @property
    def var_log(self) -> float:
        value = self.mean_of("log_m2")
        return max(value, 0.0) if math.isfinite(value) else math.nan


def _run_jobs(part: Any, index: int, weighted: bool, jobs: list[tuple[Callable, tuple]]) -> list:
    """Several per-partition functions on one partition: one read of it serves them all."""
    with _heap_kept():
        return [func(part, index, weighted, *args) for func, args in jobs]


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
_GLIBC_MMAP_THRESHOLD = 128 * 1024  # glibc's default mmap threshold
_GLIBC_MMAP_THRESHOLD_MAX = 32 << 20  # the largest it accepts on 64-bit systems
_heap_lock = threading.Lock()
_heap_users = 0


@contextlib.contextmanager
def _heap_kept() -> Iterator[None]:
    """While a pass runs on a worker, let glibc keep freed memory for the next temporaries.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also fixes glibc's
    mmap threshold at 128 KiB: every array temporary of a chunk (256 KiB) is then mapped and
    unmapped, page faults and all, and a log density costs about three times as long as in the
    client (measured: 0.35 s against 0.10 s for 1,500 logs of 32,768 values, the six-family
    comparison's worker time 4.9 s against 1.8 s in one process). Within a pass the thresholds
    are raised (32 MiB mapped, 64 MiB trimmed); after it, Dask's setting is put back and the heap
    trimmed, so memory goes back to the system as Dask intends. Nothing changes where the
    variable is not set (glibc then adapts its thresholds itself) or without glibc.
    """
    global _heap_users
    import os

    settings: tuple[int, int] | None
    try:  # what to put back: the variables' values (glibc reads them as whole numbers)
        settings = (
            int(os.environ["MALLOC_TRIM_THRESHOLD_"]),
            int(os.environ.get("MALLOC_MMAP_THRESHOLD_", _GLIBC_MMAP_THRESHOLD)),
        )
    except (KeyError, ValueError):
        settings = None
    if settings is not None:
        trim, mmap = settings
        if not 0 <= trim < 2**31:  # mallopt takes an int: such a value could not be put back
            settings = None
        elif not 0 <= mmap <= _GLIBC_MMAP_THRESHOLD_MAX:  # ignored by glibc at start-up
            settings = (trim, _GLIBC_MMAP_THRESHOLD)
    libc = _glibc() if settings is not None else None
    if libc is None or settings is None:
        yield
        return
    trim, mmap = settings
    with _heap_lock:
        _heap_users += 1
        if _heap_users == 1:
            libc.mallopt(_M_MMAP_THRESHOLD, _GLIBC_MMAP_THRESHOLD_MAX)
            libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)
    try:
        yield
    finally:
        with _heap_lock:
            _heap_users -= 1
            if _heap_users == 0:
                libc.mallopt(_M_MMAP_THRESHOLD, mmap)
                libc.mallopt(_M_TRIM_THRESHOLD, trim)
                libc.malloc_trim(0)


@functools.cache
def _glibc() -> Any:
    """The C library through ctypes where it is glibc; None elsewhere (musl, macOS, Windows)."""
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        if not (hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim")):
            return None
    except OSError:
        return None
    libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    return libc


class _Partitions:
    """The partitions of one Dask collection and how to run functions on all of them.

    One call of :meth:`map` is one pass over the data. While several families are fitted at
    once (:meth:`shared`), the passes they ask for at the same time are merged: each thread's
    request waits until every fitting thread is waiting or done, then one pass computes every
    request on each partition. Families that take Newton steps on all the data thus step
    together, and a comparison's passes are those of its slowest family, not their sum.
    """

    def __init__(self, collection: Any, weighted: bool):
        self.parts = collection.to_delayed()
        self.weighted = weighted
        self.passes = 0
        self.bytes_per_pass: list[int] = []
        self._cond = threading.Condition()
        self._active = 0
        self._pending: list[tuple[Callable, tuple, dict]] = []

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        """Within this block the calling thread's passes are merged with other fitting threads'."""
        with self._cond:
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._run_pending()
                self._cond.notify_all()

    def map(self, func: Callable, *args: Any) -> list[Any]:
        """``func(partition, index, weighted, *args)`` on every partition (one pass over the data).

        Raises
        ------
        ScaleOutError
            When the computation fails on the cluster (after Dask's own retries); no partial
            result is ever returned.
        """
        with self._cond:
            if self._active == 0:
                return self._compute([(func, args)])[0]
            slot: dict[str, Any] = {}
            self._pending.append((func, args, slot))
            self._run_pending()
            while "result" not in slot and "error" not in slot:
                self._cond.wait()
            if "error" in slot:
                raise slot["error"]
            return slot["result"]

    def _run_pending(self) -> None:
        """Run the waiting requests as one pass once every fitting thread is waiting (lock held)."""
        if not self._pending or len(self._pending) < self._active:
            return
        batch, self._pending = self._pending, []
        try:
            results = self._compute([(func, args) for func, args, _ in batch])
        except Exception as exc:  # every waiting thread gets the failure
            for _, _, slot in batch:
                slot["error"] = exc
        else:
            for (_, _, slot), result in zip(batch, results, strict=True):
                slot["result"] = result
        self._cond.notify_all()

    def _compute(self, jobs: list[tuple[Callable, tuple]]) -> list[list[Any]]:
        """One pass: every job on every partition; a list per job of the partitions' results."""
        import dask

        tasks = [
            dask.delayed(_run_jobs, pure=False)(part, index, self.weighted, jobs)
            for index, part in enumerate(self.parts)
        ]
        self.passes += 1
        try:
            per_part = list(dask.compute(*tasks))
        except KLModelsError:
            raise
        except Exception as exc:
            raise ScaleOutError(
                f"the computation on the Dask cluster failed ({type(exc).__name__}: {exc}); no "
                "partial result was used. Check the workers (memory limits, crashes) and run it again."
            ) from exc
        self.bytes_per_pass.append(_size_of(per_part))
        return [[results[j] for results in per_part] for j in range(len(jobs))]


def _size_of(results: Any) -> int:
    """Bytes the partitions' results take when sent to the client (their pickled size)."""
    try:
        return len(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # an unpicklable result was not sent as a pickle: size unknown
        return -1


# ------------------------------------------------------------------ the distributed sample
class _Affine:
    """``sign * (x - shift) / scale`` (picklable, for the workers)."""

    def __init__(self, shift: float, scale: float, sign: float):
        self.shift, self.scale, self.sign = shift, scale, sign

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y = x - self.shift if self.shift else x
        if self.scale != 1.0:
            y = y / self.scale
        return -y if self.sign < 0 else y


class _Chain:
    """Functions applied one after the other."""

    def __init__(self, steps: tuple[Callable, ...]):
        self.steps = steps

    def __call__(self, x: np.ndarray) -> np.ndarray:
        for step in self.steps:
            x = step(x)
        return x

    def then(self, step: Callable) -> _Chain:
        return _Chain((*self.steps, step))


class DaskSample:
    """The values of a Dask collection as a sample: each statistic is a reduction over partitions.

    Implements what the estimators use of :class:`~klmodels.statistics.WeightedSample`
    (``average``, ``average_many``, ``first_where``, ``histogram``, the cached statistics,
    ``quantile``, ``median``, ``example``, ``affine``, ``transformed_by``); transforms are lazy
    and run on the workers. Each reduction is one pass over the data; all the moment-based
    statistics of one (transformed) sample come from a single pass.
    """

    def __init__(
        self,
        partitions: _Partitions,
        local: Callable[[], tuple[WeightedSample, bool]],
        transform: _Chain | None = None,
        moments: _Moments | None = None,
    ):
        self._partitions = partitions
        self._root_local = local
        self._transform = transform
        if moments is not None:
            self.__dict__["_moments"] = moments

    # -------------------------------------------------------------- reductions
    def _map(self, func: Callable, *args: Any) -> list[Any]:
        return self._partitions.map(func, self._transform, *args)

    @property
    def weight(self) -> float:
        """Total weight (the number of observations for raw data)."""
        return self._moments.weight

    def sum_many(self, f: Callable[[np.ndarray], Quantities]) -> dict[Any, float]:
        """Weighted sums of several per-value quantities, in one pass."""
        totals: dict[Any, float] = {}
        for block in self._map(_sums, f):
            for key, value in block.items():
                totals[key] = totals.get(key, 0.0) + value
        return totals

    def average_many(self, f: Callable[[np.ndarray], Quantities]) -> dict[Any, float]:
        """Weighted means of several per-value quantities, in one pass."""
        return {k: v / self.weight for k, v in self.sum_many(f).items()}

    def average(self, f: Callable[[np.ndarray], np.ndarray]) -> float:
        r"""The weighted mean :math:`\sum_i w_i f(x_i) / \sum_i w_i`, in one pass."""
        return self.average_many(lambda x: {0: f(x)})[0]

    def first_where(self, condition: Callable[[np.ndarray], np.ndarray]) -> float:
        """The first value (in partition order) where ``condition`` holds, or NaN."""
        found = [v for v in self._map(_first_where, condition) if not math.isnan(v)]
        return found[0] if found else math.nan

    def histogram(self, edges: np.ndarray) -> np.ndarray:
        """Total weight in each bin between consecutive ``edges`` (the last bin is closed)."""
        return np.sum(self._map(_histogram, np.asarray(edges, dtype=np.float64)), axis=0)

    # -------------------------------------------------------------- transforms
    def affine(self, shift: float = 0.0, scale: float = 1.0, sign: float = 1.0) -> DaskSample:
        """The sample ``sign * (x - shift) / scale`` (itself when nothing changes)."""
        if shift == 0.0 and scale == 1.0 and sign > 0:
            return self
        return self.transformed_by(_Affine(shift, scale, sign))

    def transformed_by(self, f: Callable[[np.ndarray], np.ndarray]) -> DaskSample:
        """The sample ``f(x)``, computed lazily on the workers."""
        chain = _Chain((f,)) if self._transform is None else self._transform.then(f)
        return DaskSample(self._partitions, self._root_local, chain)

    # -------------------------------------------------------------- statistics
    @cached_property
    def _moments(self) -> _Moments:
        combined = None
        for block in self._map(_block_moments):
            combined = _combine_moments(combined, block)
        if combined is None:
            raise DataError("no observation is left in the Dask data")
        return _Moments(combined)

    @property
    def min(self) -> float:
        """Smallest value."""
        return self._moments.raw["min"]

    @property
    def max(self) -> float:
        """Largest value."""
        return self._moments.raw["max"]

    @property
    def mean(self) -> float:
        r""":math:`\bar x`."""
        return self._moments.raw["mean"]

    @property
    def var(self) -> float:
        """Maximum-likelihood variance (divisor n)."""
        return self._moments.var

    @property
    def sd(self) -> float:
        """Square root of :attr:`var`."""
        return math.sqrt(self.var)

    @property
    def mean_sq(self) -> float:
        r""":math:`\overline{x^2}`."""
        return self._moments.mean_of("sq")

    @property
    def mean_log(self) -> float:
        r""":math:`\overline{\ln x}` (-inf with a zero, NaN with a negative value)."""
        return self._moments.raw["log_mean"]

    @property
    def var_log(self) -> float:
        r"""Variance of :math:`\ln x` (divisor n)."""
        return self._moments.var_log

    @property
    def mean_log1m(self) -> float:
        r""":math:`\overline{\ln(1 - x)}`."""
        return self._moments.mean_of("log1m")

    @property
    def mean_inv(self) -> float:
        r""":math:`\overline{1/x}`."""
        return self._moments.mean_of("inv")

    @property
    def skew(self) -> float:
        """Sample skewness :math:`m_3 / m_2^{3/2}` (0 for a constant sample)."""
        var = self.var
        return 0.0 if var == 0 else self._moments.mean_of("m3") / var**1.5

    @property
    def excess_kurtosis(self) -> float:
        """Sample excess kurtosis :math:`m_4 / m_2^2 - 3` (0 for a constant sample)."""
        var = self.var
        return 0.0 if var == 0 else self._moments.mean_of("m4") / var**2 - 3.0

    # -------------------------------------------------------------- the random sample
    @cached_property
    def _local(self) -> tuple[WeightedSample, bool]:
        """The random sample (transformed like this sample), and whether it is all of the data."""
        root, complete = self._root_local()
        if self._transform is None:
            return root, complete
        return WeightedSample(self._transform(root.x), root.w), complete

    def example(self, size: int = 10_000) -> np.ndarray:
        """Up to ``size`` values drawn at random (for starting values)."""
        local = self._local[0].x
        if local.size <= size:
            return local
        return local[np.random.default_rng(_SEED).choice(local.size, size, replace=False)]

    @cached_property
    def median(self) -> float:
        """Weighted median, exact."""
        return self.quantile(0.5)

    def quantile(self, q: float) -> float:
        """The ``q`` quantile, exactly as :meth:`WeightedSample.quantile` gives it on all the data.

        From the random sample, a bracket that holds the quantile with overwhelming probability
        (5 standard errors each side); one pass returns the weight below it and the distinct
        values inside it. A bracket that misses is widened (8 times, then 64, then everything).
        """
        local, complete = self._local
        if complete:  # the sample is all the data, in their order
            return local.quantile(q)
        m = local.x.size
        weighted = self._partitions.weighted
        for widen in (1.0, 8.0, 64.0, math.inf):
            delta = widen * (5 * math.sqrt(q * (1 - q) / m) + 10 / m)
            low = local.quantile(q - delta) if q - delta > 0 else -math.inf
            high = local.quantile(q + delta) if q + delta < 1 else math.inf
            below, values, weights = 0.0, [], []
            for part_below, part_values, part_weights in self._map(_bracket, low, high):
                below += part_below
                values.append(part_values)
                weights.append(part_weights)
            distinct, totals = _merge_counts(list(zip(values, weights, strict=True)))
            found = (
                _weighted_quantile(q, self.weight, below, distinct, totals)
                if weighted
                else _linear_quantile(q, self.weight, below, distinct, totals)
            )
            if found is not None:
                return found
        raise ConvergenceError(f"the {q} quantile could not be located in the Dask data")

    # -------------------------------------------------------------- not available
    @property
    def x(self) -> np.ndarray:
        """Not available: the values stay on the cluster."""
        raise _not_in_memory("the array of values")

    @property
    def w(self) -> np.ndarray:
        """Not available: the weights stay on the cluster."""
        raise _not_in_memory("the array of weights")


def _order_statistic(rank: int, below: float, distinct: np.ndarray, counts: np.ndarray):
    """The value of 0-based ``rank`` among all values, if it lies among ``distinct``."""
    if rank < below or distinct.size == 0:
        return None
    cumulative = below + np.cumsum(counts)
    if rank >= cumulative[-1]:
        return None
    return float(distinct[int(np.searchsorted(cumulative, rank, side="right"))])


def _linear_quantile(
    q: float, n: float, below: float, distinct: np.ndarray, counts: np.ndarray
) -> float | None:
    """NumPy's default ('linear') quantile of n raw values from a bracket of their order statistics."""
    n = round(n)
    virtual = n * q + (1.0 + q * (1.0 - 1.0 - 1.0)) - 1.0  # numpy's virtual index, alpha=beta=1
    previous = math.floor(virtual)
    if virtual >= n - 1:
        previous = following = n - 1
    elif virtual < 0:
        previous = following = 0
    else:
        following = previous + 1
    a = _order_statistic(previous, below, distinct, counts)
    b = _order_statistic(following, below, distinct, counts)
    if a is None or b is None:
        return None
    t = virtual - previous
    difference = b - a
    return b - difference * (1 - t) if t >= 0.5 else a + difference * t


def _weighted_quantile(
    q: float, total: float, below: float, distinct: np.ndarray, weights: np.ndarray
) -> float | None:
    """The smallest value whose cumulative weight reaches ``q`` of the total, if in the bracket."""
    if distinct.size == 0:
        return None
    target = q * total
    cumulative = below + np.cumsum(weights)
    if target <= below or target > cumulative[-1]:
        return None
    return float(distinct[int(np.searchsorted(cumulative, target))])


def _not_in_memory(what: str) -> NotInMemoryError:
    return NotInMemoryError(
        f"{what} needs every value in memory, but these data stay on the Dask cluster. Use the "
        "comparison table's columns, or work on a sample in memory, e.g. "
        "klm.fit(series.sample(frac=0.01).compute(), ...)"
    )


# ------------------------------------------------------------------ observations
class DaskObservations(SampleSummaries):
    """Observations that stay on a Dask cluster, summarised by reductions.

    It offers what the fitting engine uses of :class:`~klmodels.Observations`: ``n_obs``,
    ``size``, ``min``, ``max``, ``sample`` (a :class:`DaskSample`), ``thinned``, and the
    data's entropy. Everything that needs the individual values (``values``, ``distinct()``,
    ``Fit.pointwise()``, plots, the bootstrap, Bayesian comparison) raises
    :class:`~klmodels.NotInMemoryError`.

    Attributes
    ----------
    n_obs : float or None
        Number of observations (None for relative-frequency weights without ``n_obs=``).
    size : int
        Number of usable rows.
    name : str or None
        The column's name.
    """

    in_memory = False
    sample: DaskSample

    def __init__(
        self,
        partitions: _Partitions,
        moments: _Moments,
        *,
        rows: int,
        n_obs: float | None,
        from_counts: bool,
        name: str | None,
        integer_valued: bool = False,
    ):
        self._partitions = partitions
        self._moments = moments
        self.size = rows
        self.n_obs = n_obs
        self.name = name
        self._from_counts = from_counts
        self.integer_valued = integer_valued
        self.sample = DaskSample(partitions, self._local_sample, moments=moments)

    @property
    def weighted(self) -> bool:
        """Whether the rows carry weights."""
        return self._partitions.weighted

    @property
    def passes(self) -> int:
        """Passes over the data so far (each reads every partition once)."""
        return self._partitions.passes

    @property
    def bytes_per_pass(self) -> list[int]:
        """Bytes sent from the partitions to the client in each pass so far (pickled results)."""
        return list(self._partitions.bytes_per_pass)

    def shared_passes(self) -> Any:
        """A context in which this thread's passes merge with other fitting threads' (see _Partitions)."""
        return self._partitions.shared()

    def prepare(self) -> None:
        """Compute, before families are fitted in parallel, what all of them read first."""
        _ = self.sample._moments, self.local

    @property
    def has_counts(self) -> bool:
        """True for raw observations or whole-number counts; False for relative frequencies."""
        return self._from_counts

    @property
    def min(self) -> float:
        """Smallest observed value."""
        return self.sample.min

    @property
    def max(self) -> float:
        """Largest observed value."""
        return self.sample.max

    @cached_property
    def local(self) -> Observations:
        """The random sample in memory: every observation when there are at most SAMPLE_SIZE.

        A raw sample of about SAMPLE_SIZE observations drawn uniformly otherwise (weighted
        rows contribute in proportion to their weight), the same on every run.
        """
        total = self._moments.weight
        complete = self.local_is_complete
        rate = None if complete else SAMPLE_SIZE / total
        blocks = self._partitions.map(_draw, rate)
        values = np.concatenate([b[0] for b in blocks])
        if complete:
            weights = np.concatenate([b[1] for b in blocks]) if self.weighted else None
            n_obs = self.n_obs if self.weighted and not self._from_counts else None
            return Observations.from_data(values, weights, n_obs=n_obs, name=self.name)
        return Observations.from_data(values, name=self.name)

    @property
    def local_is_complete(self) -> bool:
        """Whether :attr:`local` holds every observation."""
        return self.size <= SAMPLE_SIZE

    def _local_sample(self) -> tuple[WeightedSample, bool]:
        return self.local.sample, self.local_is_complete

    def thinned(self, size: int) -> Observations:
        """About ``size`` observations drawn at random, plus the extremes, in memory (for a first fit).

        The data's smallest and largest values decide where families with a threshold or a
        support's end may start; they weigh 1/n each (see :func:`subsample_with_extremes`).
        """
        local = self.local
        if self.local_is_complete and (local.weights is not None or local.size <= size):
            return local
        chosen = local.values
        if local.weights is not None:  # a random sample of whole numbers, held as value counts
            chosen = np.repeat(local.values, local.weights.astype(np.int64))
        if chosen.size > size:
            chosen = chosen[np.random.default_rng(_SEED).choice(chosen.size, size, replace=False)]
        extremes = np.array([self.min, self.max])
        return subsample_with_extremes(chosen, extremes, max(self.size, 2 * chosen.size), self.name)

    def affine(self, shift: float, scale: float) -> _AffineDaskObservations:
        """The observations ``(x - shift) / scale``, computed lazily on the workers (for estimation)."""
        return _AffineDaskObservations(self, shift, scale)

    def differential_entropy_nats(self) -> tuple[float, str]:
        """The data's differential entropy (nats) from the random sample, with a note on its quality."""
        value, note = differential_entropy_nats(self.local)
        if self.local_is_complete or not math.isfinite(value):
            return value, note
        sampled = (
            f"kl: the data's entropy is estimated from a random sample of {self.local.size:,} of "
            f"the {self.n_obs or self.size:,.0f} observations (the same for every row; "
            "dkl and the ranking do not depend on it)"
        )
        return value, "; ".join(filter(None, [sampled, note]))

    # -------------------------------------------------------------- not available
    @property
    def values(self) -> np.ndarray:
        """Not available: the values stay on the cluster."""
        raise _not_in_memory("the individual values (Fit.pointwise, plots, the bootstrap, ...)")

    @property
    def weights(self) -> np.ndarray:
        """Not available: the weights stay on the cluster."""
        raise _not_in_memory("the array of weights")

    @property
    def probabilities(self) -> np.ndarray:
        """Not available: the weights stay on the cluster."""
        raise _not_in_memory("the array of probabilities")

    def distinct(self) -> tuple[np.ndarray, np.ndarray]:
        """Not available: too many distinct values to count in memory."""
        raise _not_in_memory(
            f"the distinct values (discrete families; the data have more than {MAX_DISTINCT:,}; "
            "pass kind='continuous' to compare densities)"
            if self.integer_valued
            else "the distinct values (discrete families, entropy of the values)"
        )

    def plugin_entropy_nats(self) -> float:
        """Not available for values left on the cluster."""
        raise _not_in_memory("the entropy of the distinct values")

    def __repr__(self) -> str:
        n = "unknown" if self.n_obs is None else f"{self.n_obs:g}"
        kind = "weighted" if self.weighted else "raw"
        label = f" {self.name!r}" if self.name else ""
        return (
            f"<DaskObservations{label}: {self.size} {kind} values in [{self.min:g}, {self.max:g}] "
            f"in {len(self._partitions.parts)} partitions, n_obs={n}>"
        )


class _AffineDaskObservations(SampleSummaries):
    """Dask observations seen through ``(x - shift) / scale``: what an estimator reads of them."""

    in_memory = False
    sample: DaskSample

    def __init__(self, base: DaskObservations, shift: float, scale: float):
        self._base, self._shift, self._scale = base, shift, scale
        self.sample = base.sample.affine(shift=shift, scale=scale)
        self.size, self.n_obs, self.name = base.size, base.n_obs, base.name
        self.integer_valued = False

    @property
    def has_counts(self) -> bool:
        """As the observations it views."""
        return self._base.has_counts

    @property
    def min(self) -> float:
        """Smallest transformed value."""
        return (self._base.min - self._shift) / self._scale

    @property
    def max(self) -> float:
        """Largest transformed value."""
        return (self._base.max - self._shift) / self._scale

    @property
    def local_is_complete(self) -> bool:
        """Whether the random sample holds every observation."""
        return self._base.local_is_complete

    @property
    def local(self) -> Observations:
        """The random sample in memory, transformed."""
        return self._base.local.affine(self._shift, self._scale)

    def thinned(self, size: int) -> Observations:
        """A random subsample in memory, transformed."""
        return self._base.thinned(size).affine(self._shift, self._scale)


# ------------------------------------------------------------------ entry point
def _dask_dataframe() -> Any:
    try:
        import dask.dataframe as dd
    except (
        ImportError
    ) as exc:  # pragma: no cover - Dask data imply Dask, but not its dataframe extra
        raise MissingExtraError(
            "dask[dataframe]", "dask", "Comparing families on Dask data"
        ) from exc
    return dd


def _as_series(data: Any, what: str) -> Any:
    dd = _dask_dataframe()
    if isinstance(data, dd.DataFrame):
        raise DataError(
            f"{what} must be one column, not a Dask DataFrame with columns {list(data.columns)[:5]}. "
            "Pass ddf['column'], or use ddf.kl.compare('column')."
        )
    if not isinstance(data, dd.Series):
        if getattr(data, "ndim", None) == 1 and hasattr(data, "chunks"):  # a Dask Array
            return dd.from_dask_array(data)
        raise DataError(
            f"{what} must be a Dask Series or a one-dimensional Dask Array; got {type(data).__name__}"
        )
    dtype = data.dtype
    numeric = pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    if not numeric or pd.api.types.is_complex_dtype(dtype):
        raise DataError(
            f"{what} must be numeric or boolean; got dtype {dtype!s}. "
            "Convert it first, e.g. series.astype(float)."
        )
    return data


def _position(summaries: list[dict], count: str, first: str) -> int:
    """Global position of the first flagged row from per-partition counts and offsets."""
    offset = 0
    for s in summaries:
        if s.get(count):
            return offset + s[first]
        offset += s["rows"]
    return -1


def observations_from_dask(
    data: Any,
    weights: Any = None,
    *,
    n_obs: float | None = None,
    nan_policy: NanPolicy = "raise",
    name: str | None = None,
) -> Observations | DaskObservations:
    """Validate a Dask Series (with optional weights) in one pass, and decide where the work runs.

    Same rules and messages as :meth:`klmodels.Observations.from_data`. Whole-number data come
    back as their value counts in memory, at most :data:`IN_MEMORY_LIMIT` observations as an
    in-memory :class:`~klmodels.Observations`; anything else as :class:`DaskObservations`.

    Raises
    ------
    DataError, ParameterError
        As :meth:`~klmodels.Observations.from_data`, and for weights that are not a Dask Series
        of the same DataFrame.
    ScaleOutError
        When the computation fails on the cluster.
    """
    if not is_dask_collection(data):
        raise DataError(
            "weights is a Dask collection but data is not; pass both from the same Dask DataFrame"
        )
    series = _as_series(data, "data")
    if name is None and series.name is not None:
        name = str(series.name)
    weighted = weights is not None
    if weighted:
        if not is_dask_collection(weights):
            raise DataError(
                "data is a Dask Series, so weights must be one too (a column of the same Dask "
                f"DataFrame); got {type(weights).__name__}"
            )
        w_series = _as_series(weights, "weights")
        try:
            collection = series.to_frame(name="x").assign(w=w_series)
        except Exception as exc:
            raise DataError(
                "data and weights must be columns of one Dask DataFrame (aligned partitions); "
                f"Dask could not line them up: {exc}"
            ) from exc
    else:
        if n_obs is not None:
            raise ParameterError(
                "n_obs= says how many observations stand behind relative-frequency weights, so it "
                "needs weights=; raw observations count themselves"
            )
        collection = series
    partitions = _Partitions(collection, weighted)
    summaries = partitions.map(_summarise, MAX_DISTINCT)
    rows = sum(s["rows"] for s in summaries)
    if rows == 0:
        raise DataError("data is empty: at least one observation is needed")
    nan_x = sum(s["nan_x"] for s in summaries)
    nan_w = sum(s.get("nan_w", 0) for s in summaries)
    if nan_x == rows:
        raise DataError(f"all {rows} values are NaN or missing")
    if (nan_x or nan_w) and nan_policy == "raise":
        what, count, first = ("values", "nan_x", "first_nan_x") if nan_x else (
            "weights", "nan_w", "first_nan_w"
        )  # fmt: skip
        raise DataError(
            f"data has {nan_x or nan_w} NaN or missing {what} (first at position "
            f"{_position(summaries, count, first)}). Drop them first, or pass nan_policy='omit' "
            "to ignore them."
        )
    inf_x = sum(s["inf_x"] for s in summaries)
    if inf_x:
        value = next(s["first_inf_value"] for s in summaries if s["inf_x"])
        raise DataError(
            f"data has {inf_x} infinite values (first at position "
            f"{_position(summaries, 'inf_x', 'first_inf_x')}: {value}); observations must be finite"
        )
    if any(s.get("inf_w") for s in summaries):
        raise DataError("weights must be finite; got infinite weights")
    negative = sum(s.get("negative", 0) for s in summaries)
    if negative:
        value = next(s["first_negative_value"] for s in summaries if s.get("negative"))
        raise DataError(
            f"weights must be >= 0; got {negative} negative weights (first at position "
            f"{_position(summaries, 'negative', 'first_negative')}: {value})"
        )
    usable = sum(s["usable"] for s in summaries)
    if usable == 0:
        raise DataError(
            "all weights are 0: at least one value needs a positive weight"
            if weighted
            else "no observation is left after dropping NaN values"
        )
    whole = all(s["whole_weights"] for s in summaries)
    given_n_obs = n_obs = checked_n_obs(n_obs)
    moments = None
    for s in summaries:
        moments = _combine_moments(moments, s["moments"])
    assert moments is not None  # some rows are usable, and those of a partition have moments
    if n_obs is None and whole:
        n_obs = moments["weight"]

    integer = all(s["integer"] for s in summaries)
    counted = [s["counts"] for s in summaries if "counts" in s]
    if integer and len(counted) == sum(1 for s in summaries if s["usable"]):
        distinct, totals = _merge_counts(counted)
        if distinct.size <= MAX_DISTINCT:
            return Observations(
                values=_readonly(distinct),
                weights=_readonly(totals),
                n_obs=n_obs,
                name=name,
                _from_counts=whole,
            )
    if usable <= IN_MEMORY_LIMIT:
        blocks = partitions.map(_collect)
        values = np.concatenate([b[0] for b in blocks])
        w = np.concatenate([b[1] for b in blocks]) if weighted else None
        return Observations.from_data(values, w, n_obs=given_n_obs, name=name)
    return DaskObservations(
        partitions,
        _Moments(moments),
        rows=usable,
        n_obs=n_obs,
        from_counts=whole,
        name=name,
        integer_valued=integer,
    )


# ------------------------------------------------------------------ the accessor on Dask objects
