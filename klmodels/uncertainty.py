"""The bootstrap: how stable the ranking is, and how uncertain the information losses are.

It sits above :mod:`klmodels.selection`: every resample is fitted and scored the way
:func:`klmodels.compare` fits and scores the data.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from klmodels.censored import (
    GROUPS,
    CensoredFit,
    CensoredObservations,
    compare_censored,
    criteria,
    fit_censored,
)
from klmodels.checks import check_fraction, check_rng, check_whole
from klmodels.data import NanPolicy, Observations
from klmodels.errors import FitError, NotInMemoryError, ParameterError
from klmodels.family import Candidate, Family
from klmodels.fitting import Estimated, Fit, failure_as_reason, finish, shared_entropy
from klmodels.mixture import mixture
from klmodels.optimize import small_blas
from klmodels.options import FitOptions
from klmodels.protocols import ObservationsLike
from klmodels.selection import (
    as_censored,
    censored_candidates,
    estimate_or_reason,
    fit_all,
    score,
)

__all__ = ["BootstrapResult", "bootstrap"]


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap intervals for each family's parameters and information loss, and how often each wins.

    Attributes
    ----------
    intervals : pandas.DataFrame
        Indexed by (family, quantity), quantity being each parameter and ``kl_bits``; columns
        ``estimate`` (on the original data), ``lower``, ``upper`` (percentile interval),
        ``se`` (bootstrap standard deviation), ``n_ok`` (resamples where the family fitted).
    wins : pandas.Series
        Share of resamples in which each family ranked first (by the comparison's criterion).
    replicates : pandas.DataFrame
        Every resample's value: columns replicate, family, quantity, value.
    method : str
        ``"nonparametric"`` or ``"parametric"``.
    n_boot : int
        Number of resamples.
    confidence : float
        Coverage of the intervals.
    """

    intervals: pd.DataFrame
    wins: pd.Series
    replicates: pd.DataFrame
    method: str
    n_boot: int
    confidence: float


def _resample(obs: ObservationsLike, rng: np.random.Generator) -> Observations:
    """A nonparametric resample of the same size: multinomial counts on distinct values (O(distinct))."""
    if obs.n_obs is None:  # checked by bootstrap before any resample
        raise ParameterError("the bootstrap resamples observations, so it needs n_obs=")
    n = int(obs.n_obs)
    if obs.weights is None:
        return Observations.from_data(obs.values[rng.integers(0, obs.size, size=n)])
    counts = rng.multinomial(n, obs.probabilities)
    return Observations.from_data(obs.values, counts)


def _draw(fit: Fit, n: int, rng: np.random.Generator) -> Observations:
    """A parametric resample: n draws from the fitted model."""
    return Observations.from_data(
        np.asarray(fit.freeze().rvs(size=n, random_state=rng), dtype=np.float64)
    )


def bootstrap(
    data: Any,
    families: Candidate | Iterable[Candidate] | Mapping[str, Candidate] | None = None,
    *,
    n_boot: int = 200,
    method: str = "nonparametric",
    confidence: float = 0.95,
    rng: np.random.Generator | int | None = None,
    weights: Any = None,
    support: tuple[float, float | None] | None = None,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    n_obs: float | None = None,
    criterion: str = "aicc",
    kind: str | None = None,
    free_loc: bool = False,
    nan_policy: NanPolicy = "raise",
    registry: Mapping[str, Family] | None = None,
    progress: bool = False,
    options: FitOptions | None = None,
    truncation: tuple[float | None, float | None] | None = None,
    quantiles: Sequence[float] = (),
    exceedance: Sequence[float] = (),
) -> BootstrapResult:
    """Bootstrap the comparison: intervals for parameters and ``kl_bits``, and how often each family wins.

    With ``quantiles`` and ``exceedance``, also each family's quantiles (quantities ``q<level>``)
    and exceedance probabilities (``P(X>t)``), and those of the models averaged by their Akaike
    weights (row ``average``: the averaging is redone inside every replicate, so the uncertainty of
    which model is right is part of its interval).

    Parameters
    ----------
    data, families, weights, support, fixed, n_obs, criterion, kind, free_loc, nan_policy, registry
        As for :func:`klmodels.compare`.
    n_boot
        Number of resamples.
    method
        ``"nonparametric"``: resample the observations with replacement (multinomial counts on
        the distinct values, so O(distinct values) per resample). ``"parametric"``: draw n
        observations from each family's own fit and refit that family (its intervals); the
        win shares come from draws of the best-ranked model.
    confidence
        Coverage of the percentile intervals.
    rng
        A NumPy Generator or seed; resamples are reproducible with a seed.
    progress
        Show a progress bar over resamples.
    options
        A :class:`~klmodels.FitOptions` (as for :func:`klmodels.compare`); keywords given beside
        it override its fields.
    truncation
        Known truncation bounds, as for :func:`klmodels.compare`. Censored data
        (:func:`klmodels.censored`) are resampled with their censoring.

    Returns
    -------
    BootstrapResult

    Raises
    ------
    ParameterError
        For a bad method, n_boot or confidence, or data without a number of observations.
    """
    if method not in ("nonparametric", "parametric"):
        raise ParameterError(f"method must be 'nonparametric' or 'parametric'; got {method!r}")
    n_boot = check_whole(n_boot, "n_boot", low=2, high=1_000_000)
    confidence = check_fraction(confidence, "confidence")
    opts = FitOptions.of(
        options, support=support, fixed=fixed or {}, criterion=criterion, kind=kind,
        free_loc=free_loc, nan_policy=nan_policy, registry=registry,
    ).replace(progress=False)  # fmt: skip
    criterion = opts.criterion
    rng = check_rng(rng)
    levels = [check_fraction(q, "quantiles") for q in quantiles]
    thresholds = [float(t) for t in exceedance]
    censored_data = as_censored(
        data, weights, truncation, n_obs=n_obs, support=support, nan_policy=nan_policy
    )
    if censored_data is not None:
        if method != "nonparametric":
            raise ParameterError(
                "the parametric bootstrap of censored data would need a model of the censoring "
                "itself; use method='nonparametric' (observations resampled with their censoring)"
            )
        table = compare_censored(
            censored_data, censored_candidates(censored_data, families, opts), opts
        )
        return _bootstrap_censored(
            table, opts, n_boot, confidence, rng, progress, levels, thresholds
        )
    fitted = fit_all(data, families, opts, weights=weights, n_obs=n_obs)
    obs, results, candidates, supp, fixed_by = (
        fitted.obs,
        fitted.results,
        fitted.candidates,
        fitted.support,
        fitted.fixed,
    )
    if not obs.in_memory:
        raise NotInMemoryError(
            "the bootstrap refits every family to hundreds of resamples of all the values, which stay "
            "on the Dask cluster. Bootstrap a random sample in memory instead, e.g. "
            "klm.bootstrap(series.sample(frac=0.01).compute(), ...)"
        )
    if obs.n_obs is None:
        raise ParameterError(
            "the bootstrap resamples observations, so it needs n_obs= with relative frequencies"
        )
    n = round(obs.n_obs)
    if n < 2:
        raise ParameterError(
            f"the bootstrap resamples n_obs={obs.n_obs:g} observations; it needs at least 2"
        )
    originals = {label: r for label, r in results.items() if isinstance(r, Fit)}
    if not originals:
        raise FitError(
            "no candidate family could be fitted to the data, so there is nothing to bootstrap"
        )

    def refit_all(labels: Iterable[str], sample: Observations) -> dict[str, Fit | None]:
        """The families refitted to one resample, sharing its entropy estimate (no references)."""
        found = {
            label: estimate_or_reason(sample, candidates[label], supp, fixed_by.get(label, {}))
            for label in labels
        }
        ok = [e for e in found.values() if isinstance(e, Estimated)]
        continuous = bool(ok) and ok[0].family.kind == "continuous"
        entropy = shared_entropy(sample, ok, references=False) if continuous else None
        return {
            label: finish(sample, e, entropy) if isinstance(e, Estimated) else None
            for label, e in found.items()
        }

    def refit(label: str, sample: Observations) -> Fit | None:
        return refit_all([label], sample)[label]

    rows: list[tuple[int, str, str, float]] = []
    winners: list[str] = []
    steps: Iterable[int] = range(n_boot)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc=f"{method} bootstrap", unit="resample")
    best_label = min(originals, key=lambda lbl: score(originals[lbl], criterion))
    blas = small_blas()
    blas.__enter__()
    for b in steps:
        if method == "nonparametric":
            fits = refit_all(originals, _resample(obs, rng))
        else:
            fits = {
                label: refit(label, _draw(original, n, rng))
                for label, original in originals.items()
            }
            ranked = refit_all(originals, _draw(originals[best_label], n, rng))
            ok = {label: f for label, f in ranked.items() if f is not None}
            if ok:
                winners.append(min(ok, key=lambda lbl: score(ok[lbl], criterion)))
        for label, f in fits.items():
            if f is None:
                continue
            for key, value in f.params.items():
                rows.append((b, label, key, float(value)))
            rows.append((b, label, "kl_bits", f.kl_bits))
            if levels or thresholds:
                rows += [(b, label, k, v) for k, v in _predictions(f.freeze(), levels, thresholds)]
        if levels or thresholds:
            pool = fits if method == "nonparametric" else ranked
            averaged = _averaged({k: f for k, f in pool.items() if f is not None}, criterion)
            if averaged is not None:
                rows += [
                    (b, "average", k, v) for k, v in _predictions(averaged, levels, thresholds)
                ]
        if method == "nonparametric":
            ok = {label: f for label, f in fits.items() if f is not None}
            if ok:
                winners.append(min(ok, key=lambda lbl: score(ok[lbl], criterion)))

    blas.__exit__(None, None, None)
    replicates = pd.DataFrame(rows, columns=["replicate", "family", "quantity", "value"])
    estimates = {
        label: {
            **f.params,
            "kl_bits": f.kl_bits,
            **dict(_predictions(f.freeze(), levels, thresholds)),
        }
        for label, f in originals.items()
    }
    wins_of = list(estimates)
    if levels or thresholds:
        averaged = _averaged(originals, criterion)
        if averaged is not None:
            estimates["average"] = dict(_predictions(averaged, levels, thresholds))
    return _summarise(estimates, replicates, winners, method, n_boot, confidence, wins_of)


def _predictions(
    frozen: Any, levels: Sequence[float], thresholds: Sequence[float]
) -> list[tuple[str, float]]:
    """``(q<level>, quantile)`` and ``(P(X>t), exceedance probability)`` pairs of one model."""
    with np.errstate(all="ignore"):
        out = [(f"q{q:g}", float(frozen.ppf(q))) for q in levels]
        out += [(f"P(X>{t:g})", float(frozen.sf(t))) for t in thresholds]
    return out


def _averaged(fits: Mapping[str, Fit], criterion: str) -> Any:
    """The fits mixed by their Akaike weights under ``criterion`` (None when none has a score)."""
    return _mixed_by_scores(fits, {label: score(f, criterion) for label, f in fits.items()})


def _mixed_by_scores(fits: Mapping[str, Any], scores: Mapping[str, float]) -> Any:
    r"""The fits with a finite criterion mixed by their Akaike weights :math:`e^{-\Delta/2}`, or None."""
    finite = {label: s for label, s in scores.items() if math.isfinite(s)}
    if not finite:
        return None
    best = min(finite.values())
    weights = np.array([math.exp(-0.5 * (s - best)) for s in finite.values()])
    return mixture([fits[label].freeze() for label in finite], weights)


def _summarise(
    originals: Mapping[str, Mapping[str, float]],
    replicates: pd.DataFrame,
    winners: list[str],
    method: str,
    n_boot: int,
    confidence: float,
    contenders: Sequence[str] | None = None,
) -> BootstrapResult:
    """Percentile intervals and win shares from the replicates of each family's quantities."""
    tail = (1 - confidence) / 2
    summary = []
    for label, estimates in originals.items():
        for quantity, estimate in estimates.items():
            values = replicates.loc[
                (replicates["family"] == label) & (replicates["quantity"] == quantity), "value"
            ].to_numpy()
            finite = values[np.isfinite(values)]
            lower, upper = (
                np.quantile(finite, [tail, 1 - tail]) if finite.size else (math.nan, math.nan)
            )
            se = float(finite.std(ddof=1)) if finite.size > 1 else math.nan
            summary.append(
                (label, quantity, float(estimate), float(lower), float(upper), se, int(finite.size))
            )
    intervals = pd.DataFrame(
        summary, columns=["family", "quantity", "estimate", "lower", "upper", "se", "n_ok"]
    ).set_index(["family", "quantity"])
    wins = (
        pd.Series(winners, dtype=object)
        .value_counts(normalize=True)
        .reindex(list(contenders if contenders is not None else originals), fill_value=0.0)
    )
    wins.name = "win_share"
    return BootstrapResult(intervals, wins.astype(float), replicates, method, n_boot, confidence)


def _bootstrap_censored(
    table: Any,
    options: FitOptions,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
    progress: bool,
    levels: Sequence[float] = (),
    thresholds: Sequence[float] = (),
) -> BootstrapResult:
    """Resample observations with their censoring (multinomial counts over the stored rows), refit.

    Each resample draws n observations from the rows in proportion to their weights, so an
    interval-censored row stays interval-censored; every family is refitted by
    :func:`klmodels.fit_censored` and ranked by the table's criterion.
    """
    originals: dict[str, CensoredFit] = dict(table.fits)
    obs: CensoredObservations = next(iter(originals.values())).observations
    sizes = [obs.weights[g].size for g in GROUPS]
    weights = np.concatenate([obs.weights[g] for g in GROUPS])
    n = round(obs.n_obs)
    if n < 2:
        raise ParameterError(
            f"the bootstrap resamples {obs.n_obs:g} observations; it needs at least 2"
        )
    criterion = table.attrs["criterion"]
    rows: list[tuple[int, str, str, float]] = []
    winners: list[str] = []
    steps: Iterable[int] = range(n_boot)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="nonparametric bootstrap (censored)", unit="resample")
    for b in steps:
        counts = rng.multinomial(n, weights / weights.sum()).astype(np.float64)
        split = dict(zip(GROUPS, np.split(counts, np.cumsum(sizes)[:-1]), strict=True))
        sample = CensoredObservations(
            obs.exact, obs.left, obs.right, obs.interval, split, obs.truncation, obs.name
        )
        scores: dict[str, float] = {}
        refits: dict[str, CensoredFit] = {}
        for label, original in originals.items():
            fit = failure_as_reason(
                original.family,
                functools.partial(
                    fit_censored,
                    sample,
                    original.family,
                    dict(original.fixed),
                    near=original.params,
                ),
            )
            if isinstance(fit, FitError):
                continue
            for key, value in fit.params.items():
                rows.append((b, label, key, float(value)))
            scores[label] = criteria(fit.loglik, fit.k, n)[criterion]
            refits[label] = fit
            rows += [(b, label, q, v) for q, v in _predictions(fit.freeze(), levels, thresholds)]
        if scores:
            winners.append(min(scores, key=scores.__getitem__))
            mixed = _mixed_by_scores(refits, scores) if levels or thresholds else None
            if mixed is not None:
                rows += [(b, "average", q, v) for q, v in _predictions(mixed, levels, thresholds)]
    replicates = pd.DataFrame(rows, columns=["replicate", "family", "quantity", "value"])
    estimates = {
        label: {**fit.params, **dict(_predictions(fit.freeze(), levels, thresholds))}
        for label, fit in originals.items()
    }
    contenders = list(estimates)
    if levels or thresholds:
        akaike_weights = table["weight"].reindex(list(originals)).to_numpy(dtype=float)
        mixed = mixture([fit.freeze() for fit in originals.values()], np.nan_to_num(akaike_weights))
        estimates["average"] = dict(_predictions(mixed, levels, thresholds))
    return _summarise(
        estimates, replicates, winners, "nonparametric", n_boot, confidence, contenders
    )
