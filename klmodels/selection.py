r"""Fit several families to the same data, rank them, and say how much information each loses.

The ranking criterion is AICc by default. For n observations, k estimated parameters and
maximised log-likelihood :math:`\ell`:

.. math::

    \mathrm{AIC} = 2k - 2\ell, \qquad
    \mathrm{AICc} = \mathrm{AIC} + \frac{2k(k+1)}{n-k-1}, \qquad
    \mathrm{BIC} = k \ln n - 2\ell.

Since :math:`\ell = -n\,[H(\hat p) + D(\hat p \| q)]` in nats, AIC differences between two
models are :math:`2n` times their difference in KL divergence (nats) plus the parameter
penalty: ranking by AIC is ranking by estimated information loss, corrected for the
optimism of fitting k parameters to the same data (Akaike 1973; Burnham & Anderson 2002).
Akaike weights :math:`w_i = e^{-\Delta_i/2} / \sum_j e^{-\Delta_j/2}` turn the differences
:math:`\Delta_i` into relative support for each model.

Default candidates (``families=None``), by what the data look like:

==================================  ============================================================
data                                families
==================================  ============================================================
whole numbers                       every discrete family whose support can hold them, and the
                                    saturated ``empirical`` reference
continuous, inside (0, 1)           beta, uniform, and the positive set (the data may be
                                    proportions, or positive values on a small scale)
continuous, positive                lognorm, gamma, weibull_min, expon, invgauss, invgamma, fisk,
                                    lomax, pareto, rayleigh, halfnorm, norm, logistic
continuous, >= 0 with zeros         expon, halfnorm, lomax, genpareto, norm, logistic, laplace
continuous, any sign                norm, logistic, laplace, t, cauchy, gumbel_r, gumbel_l,
                                    genextreme, skewnorm, loggamma, uniform
==================================  ============================================================

``kind="continuous"`` treats whole numbers (e.g. weights rounded to the gram) as continuous.
Families added to a custom ``registry`` join the defaults of their kind.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from klmodels.censored import (
    CensoredFit,
    CensoredObservations,
    compare_censored,
    parse_truncation,
    turnbull_estimate,
)
from klmodels.checks import check_rng
from klmodels.data import NanPolicy, Observations
from klmodels.display import ComparisonTable
from klmodels.entropy_estimators import binned_kl_nats
from klmodels.errors import AllFamiliesFailedError, FitError, ParameterError
from klmodels.family import Candidate, Family, Kind, check_registry, default_registry, resolve
from klmodels.family.base import Support
from klmodels.fitting import (
    NO_N_OBS_NOTE,
    Estimated,
    Fit,
    estimate,
    failure_as_reason,
    finish,
    shared_entropy,
    validate_support,
    with_kl_se,
)
from klmodels.frozen import kept_as_is
from klmodels.goodness import censored_statistics, goodness_of_fit
from klmodels.information import as_log_base, unit_name
from klmodels.optimize import small_blas
from klmodels.options import Criterion, FitOptions
from klmodels.paired import Paired, difference, g_test, paired_many, vuong_from_pairs
from klmodels.protocols import ObservationsLike

__all__ = ["DEFAULT_FAMILIES", "Criterion", "compare", "default_candidates", "select"]


_POSITIVE = (
    "lognorm", "gamma", "weibull_min", "expon", "invgauss", "invgamma", "fisk", "lomax",
    "pareto", "rayleigh", "halfnorm", "norm", "logistic",
)  # fmt: skip

DEFAULT_FAMILIES: dict[str, tuple[str, ...]] = {
    # data inside (0, 1) may be proportions, or positive data on a small scale: both sets
    "unit_interval": ("beta", "uniform", *_POSITIVE),
    "positive": _POSITIVE,
    "non_negative": ("expon", "halfnorm", "lomax", "genpareto", "norm", "logistic", "laplace"),
    "real": (
        "norm", "logistic", "laplace", "t", "cauchy", "gumbel_r", "gumbel_l", "genextreme",
        "skewnorm", "loggamma", "uniform",
    ),
}  # fmt: skip
"""The default continuous candidates for each shape of data (see the module docstring)."""


def _labelled_candidates(
    families: Candidate | Iterable[Candidate] | Mapping[str, Candidate],
    registry: Mapping[str, Family],
) -> dict[str, Family]:
    if isinstance(families, Mapping):
        items = [(str(label), resolve(c, registry)) for label, c in families.items()]
    else:
        if isinstance(families, (str, Family)) or hasattr(families, "dist"):
            families = [families]
        items = [(f.name, f) for f in (resolve(c, registry) for c in families)]
    labelled: dict[str, Family] = {}
    for label, family in items:
        if label in labelled:
            raise ParameterError(
                f"two candidates are called {label!r}; pass a dict {{label: candidate}} to name them apart"
            )
        labelled[label] = family
    if not labelled:
        raise ParameterError(
            "families is empty: give at least one candidate, or None for the defaults"
        )
    return labelled


def _suits(family: Family, obs: ObservationsLike, support: Support | None) -> bool:
    """Whether a default family can describe data in this range (the family's own cheap check)."""
    low = obs.min if support is None else support[0]
    high = obs.max if support is None or support[1] is None else support[1]
    return family.can_hold(low, high, support is not None)


def data_shape(obs: ObservationsLike) -> str:
    """Which default set continuous data call for: unit_interval, positive, non_negative or real."""
    if obs.min > 0 and obs.max < 1:
        return "unit_interval"
    if obs.min > 0:
        return "positive"
    if obs.min >= 0:
        return "non_negative"
    return "real"


def default_candidates(
    obs: ObservationsLike,
    support: Support | None,
    registry: Mapping[str, Family],
    kind: Kind | None = None,
) -> tuple[dict[str, Family], Kind, dict[str, str]]:
    """The registry's families that suit the data, the kind chosen, and those left out (with why).

    Whole numbers call for discrete families unless ``kind="continuous"``; continuous data get
    the set of :data:`DEFAULT_FAMILIES` for their range.
    """
    if kind is None:
        kind = "discrete" if obs.integer_valued else "continuous"
    if kind not in ("discrete", "continuous"):
        raise ParameterError(f"kind must be 'discrete', 'continuous' or None; got {kind!r}")
    excluded: dict[str, str] = {}
    if kind == "discrete":
        if not obs.integer_valued:
            raise ParameterError("kind='discrete' needs whole-number data")
        chosen = {}
        for name, f in registry.items():
            if f.kind != "discrete" or not f.default_candidate:
                continue
            if _suits(f, obs, support):
                chosen[name] = f
            else:
                excluded[name] = "its support cannot hold the data"
    else:
        shape = data_shape(obs)
        wanted = DEFAULT_FAMILIES[shape]
        chosen = {name: registry[name] for name in wanted if name in registry}
        extra = {
            name: f
            for name, f in registry.items()
            if f.kind == "continuous" and name not in default_registry and name not in chosen
        }
        chosen.update(extra)
        excluded = {
            name: f"not a default for {shape.replace('_', ' ')} data"
            for name, f in registry.items()
            if f.kind == "continuous" and name not in chosen
        }
    if not chosen:
        raise ParameterError(
            f"the registry has no {kind} family that suits these data; pass families=[...]"
        )
    return chosen, kind, excluded


def _free_all_locations(family: Family) -> Family:
    """The full scipy parameterisation of a continuous family (loc, and scale where fixed, estimated)."""
    if family.kind != "continuous" or not family.default_fixed:
        return family
    return family.with_free(*family.default_fixed)


@dataclass(frozen=True)
class _Fitted:
    """Everything one pass of fitting the candidates produced."""

    obs: ObservationsLike
    results: dict[str, Fit | FitError]
    kind: Kind
    candidates: dict[str, Family]
    support: Support | None
    fixed: dict[str, Any]
    excluded: dict[str, str]


def fit_all(
    data: Any,
    families: Candidate | Iterable[Candidate] | Mapping[str, Candidate] | None,
    options: FitOptions,
    *,
    weights: Any = None,
    n_obs: float | None = None,
) -> _Fitted:
    """Fit every candidate; a FitError is kept in place of its Fit."""
    registry = check_registry(options.registry)
    obs = Observations.from_data(data, weights, n_obs=n_obs, nan_policy=options.nan_policy)
    supp = validate_support(options.support, obs)
    excluded: dict[str, str] = {}
    kind = options.kind
    if families is None:
        candidates, kind, excluded = default_candidates(obs, supp, registry, kind)
    else:
        candidates = _labelled_candidates(families, registry)
        kind = _one_kind(candidates)
    if options.free_loc:
        candidates = {label: _free_all_locations(f) for label, f in candidates.items()}
    fixed = dict(options.fixed)
    unknown = set(fixed) - set(candidates)
    if unknown:
        raise ParameterError(
            f"fixed= names {sorted(unknown)}, which are not among the candidates {list(candidates)}"
        )
    progress, n_jobs = options.progress, options.n_jobs

    def fit_one(label: str) -> Estimated | FitError:
        return estimate_or_reason(obs, candidates[label], supp, fixed.get(label, {}))

    labels = list(candidates)
    if not obs.in_memory:  # on a cluster: every family at once, their passes merged
        obs.prepare()

        def fit_shared(label: str) -> Estimated | FitError:
            with obs.shared_passes():
                return fit_one(label)

        fit_one_here, jobs = fit_shared, len(labels)
    else:
        fit_one_here, jobs = fit_one, n_jobs
    with small_blas():
        estimates = _estimate_all(labels, fit_one_here, jobs, progress)
        results = finish_all(obs, estimates, kind)
    return _Fitted(obs, results, kind, candidates, supp, fixed, excluded)


def _estimate_all(
    labels: list[str],
    fit_one: Any,
    n_jobs: int,
    progress: bool,
) -> dict[str, Estimated | FitError]:
    """Each candidate's estimate, in parallel threads when asked, with a progress bar when asked."""
    if n_jobs == 1:
        outcomes: Iterable[Estimated | FitError] = map(fit_one, labels)
    else:
        from joblib import Parallel, delayed  # type: ignore[import-untyped]  # no stubs

        # Threads: NumPy releases the GIL in the passes over the data, and nothing is copied.
        parallel = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")
        outcomes = parallel(delayed(fit_one)(label) for label in labels)
    if progress:
        from tqdm.auto import tqdm

        outcomes = tqdm(outcomes, total=len(labels), desc="fitting families", unit="family")
    return dict(zip(labels, outcomes, strict=True))


def estimate_or_reason(
    obs: Any, family: Family, support: Support | None, fixed: Mapping[str, Any]
) -> Estimated | FitError:
    """One candidate's estimate, or the reason it failed: a candidate never aborts a comparison.

    Invalid options (a ParameterError) still raise: they are the caller's mistake, not the
    family's. Anything else a family raises (a user's pmf that fails, returns strings or the
    wrong shape) becomes a failed row that says what happened.
    """
    return failure_as_reason(family, lambda: estimate(obs, family, support, fixed))


def finish_all(
    obs: Any, estimates: Mapping[str, Estimated | FitError], kind: str
) -> dict[str, Fit | FitError]:
    """Fits from estimates, continuous ones sharing one estimate of the data's entropy."""
    fitted = [e for e in estimates.values() if isinstance(e, Estimated)]
    entropy = shared_entropy(obs, fitted) if kind == "continuous" and fitted else None
    return {
        label: finish(obs, e, entropy) if isinstance(e, Estimated) else e
        for label, e in estimates.items()
    }


_BIN_RULES = ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt")
_MAX_BINS = 10_000_000


def _check_bins(bins: Any) -> Any:
    """``bins=`` as NumPy takes it, or a ParameterError that says what is allowed."""
    allowed = (
        f"a whole number of bins from 1 to {_MAX_BINS:,}, increasing finite edges, or one of the rules "
        f"{', '.join(_BIN_RULES)}"
    )
    if bins is None:
        return None
    if isinstance(bins, str):
        if bins not in _BIN_RULES:
            raise ParameterError(f"bins must be {allowed}; got the string {bins!r}")
        return bins
    if isinstance(bins, (bool, np.bool_)):
        raise ParameterError(f"bins must be {allowed}; got {bins!r}")
    if isinstance(bins, (int, np.integer)) or (
        isinstance(bins, (float, np.floating)) and float(bins).is_integer()
    ):
        if not 1 <= bins <= _MAX_BINS:
            raise ParameterError(f"bins must be {allowed}; got {bins!r}")
        return int(bins)
    if isinstance(bins, (float, np.floating)):
        raise ParameterError(f"bins must be {allowed}; got {bins!r}, which is not a whole number")
    try:
        edges = np.asarray(bins, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"bins must be {allowed}; got {type(bins).__name__}") from None
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.isfinite(edges)):
        raise ParameterError(f"bins as edges must be at least two finite numbers; got {bins!r}")
    if np.any(np.diff(edges) <= 0):
        raise ParameterError(
            f"bins as edges must increase strictly; got {bins!r}. Sort them first."
        )
    return edges


def score(fit: Fit, criterion: str) -> float:
    """The ranking key of a fit (lower is better); inf for NaN so that failures sort last.

    ``"kl"`` ranks by cross-entropy, which orders the fits exactly as their KL divergences (the
    data's entropy is the same for every row) and needs no entropy estimate.
    """
    value = -fit.mean_loglik_nats if criterion == "kl" else getattr(fit, criterion)
    return math.inf if math.isnan(value) else value


def _akaike_weights(delta: np.ndarray) -> np.ndarray:
    usable = np.isfinite(delta) | (delta == np.inf)
    out = np.full(delta.shape, np.nan)
    if not np.isfinite(delta).any():
        return out
    out[usable] = np.exp(-0.5 * np.where(np.isfinite(delta[usable]), delta[usable], np.inf))
    out[usable] /= out[usable].sum()
    return out


def _cell(params: Mapping[str, float]) -> Mapping[str, float]:
    """A fit's parameters for the table: a dict, or an immutable table as it is.

    The empirical model's shares (millions for many distinct counts) are not copied.
    """
    return params if kept_as_is(params) else dict(params)


def _row(
    label: str,
    result: Fit | FitError,
    pair: Paired | None,
    is_best: bool,
    scale: float,
    unit: str,
    bins: Any,
) -> dict:
    if isinstance(result, FitError):
        return {
            "family": label,
            "params": {},
            "fixed": {},
            "k": pd.NA,
            "note": f"fit failed: {result}",
        }
    row: dict[str, Any] = {
        "family": label,
        "params": _cell(result.params),
        "fixed": dict(result.fixed),
        "k": result.k,
        "loglik": result.loglik,
        f"cross_entropy_{unit}": result.cross_entropy_bits * scale,
        f"kl_{unit}": result.kl_bits * scale,
        f"kl_se_{unit}": result.kl_se_bits * scale,
        "aic": result.aic,
        "aicc": result.aicc,
        "bic": result.bic,
        "note": result.note,
    }
    if pair is not None:
        dkl, se = difference(pair)
        row[f"dkl_{unit}"] = dkl * scale
        row[f"dkl_se_{unit}"] = se * scale
        if result.kind == "continuous" and not is_best and math.isfinite(se):
            # the shared entropy estimate's error and this row's paired difference to the best
            row[f"kl_se_{unit}"] = math.hypot(result.kl_se_bits, se) * scale
        if not is_best and result.n_obs is not None:
            row["vuong_p"] = vuong_from_pairs(pair).p_value
    if result.kind == "discrete" and result.n_obs is not None:
        test = g_test(result)
        # a saturated model leaves no degrees of freedom: no test, shown as missing
        row.update(
            g_stat=test.statistic,
            g_dof=test.dof if test.dof > 0 else pd.NA,
            g_p=test.p_value,
            chi2=test.chi2,
            chi2_p=test.chi2_p,
        )
        if math.isnan(test.statistic) and test.note:
            row["note"] = "; ".join(filter(None, [row["note"], test.note]))
    if bins is not None:
        row[f"kl_binned_{unit}"] = (
            binned_kl_nats(result.observations, result.freeze().cdf, bins) / math.log(2) * scale
        )
    return row


def _table(
    results: Mapping[str, Fit | FitError], criterion: Criterion, base: float, kind: Kind, bins: Any
) -> pd.DataFrame:
    unit = unit_name(base)
    scale = math.log(2.0) / as_log_base(base)  # bits -> unit
    fits = {label: r for label, r in results.items() if isinstance(r, Fit)}
    order = sorted(
        results, key=lambda lbl: score(fits[lbl], criterion) if lbl in fits else math.inf
    )
    best = fits.get(order[0])
    fitted = [label for label in order if label in fits] if best is not None else []
    # every row against the best in one pass over the data
    pairs = (
        dict(zip(fitted, paired_many(best, [fits[lbl] for lbl in fitted]), strict=True))
        if best is not None
        else {}
    )
    rows = [
        _row(label, results[label], pairs.get(label), label == order[0], scale, unit, bins)
        for label in order
    ]
    columns = [
        "params", "fixed", "k", "loglik", f"cross_entropy_{unit}", f"kl_{unit}", f"kl_se_{unit}",
        f"dkl_{unit}", f"dkl_se_{unit}", "vuong_p", "aic", "aicc", "bic", "delta", "weight",
    ]  # fmt: skip
    if kind == "discrete":
        columns += ["g_stat", "g_dof", "g_p", "chi2", "chi2_p"]
    if bins is not None:
        columns.append(f"kl_binned_{unit}")
    columns.append("note")
    table = pd.DataFrame(rows).set_index("family").reindex(columns=columns)
    for column in columns:
        if column not in ("params", "fixed", "k", "g_dof", "note"):
            table[column] = table[column].astype("float64")
    table["k"] = table["k"].astype("Int64")
    if "g_dof" in table:
        table["g_dof"] = table["g_dof"].astype("Int64")
    table["note"] = table["note"].fillna("").astype(object)
    key_column = table[f"cross_entropy_{unit}"] if criterion == "kl" else table[criterion]
    key = key_column.to_numpy(dtype=np.float64, na_value=np.nan)
    best_key = np.nanmin(key) if np.isfinite(key).any() else np.nan
    table["delta"] = key - best_key
    table["weight"] = (
        np.full(len(table), np.nan)
        if criterion == "kl"
        else _akaike_weights(table["delta"].to_numpy())
    )
    table.index.name = "family"
    return table


def _one_kind(candidates: Mapping[str, Family]) -> Kind:
    """The one kind of the candidates; a ParameterError when discrete and continuous are mixed."""
    kinds = {f.kind for f in candidates.values()}
    if len(kinds) > 1:
        by_kind = {k: [n for n, f in candidates.items() if f.kind == k] for k in sorted(kinds)}
        raise ParameterError(
            "cannot rank discrete and continuous families together: a pmf and a density are on "
            f"different scales, so their likelihoods and KL values do not compare. Got {by_kind}"
        )
    (kind,) = kinds
    return kind


def as_censored(
    data: Any,
    weights: Any,
    truncation: Any,
    *,
    n_obs: float | None = None,
    support: Any = None,
    nan_policy: Any = "raise",
) -> CensoredObservations | None:
    """Censored or truncated data as :class:`CensoredObservations`; None for exact, untruncated data.

    Raises
    ------
    ParameterError
        For options that mean nothing for censored data (``support=``, ``n_obs=``,
        ``nan_policy="omit"``: NaN is an open end there) instead of ignoring them.
    """
    from_scipy = isinstance(data, stats.CensoredData)
    censored_input = from_scipy or isinstance(data, CensoredObservations)
    if censored_input or truncation is not None:
        if support is not None:
            raise ParameterError(
                "support= is for exact data; with censored or truncated data fix the parameters it "
                "would imply with fixed=, e.g. fixed={'binom': {'n': 20}}"
            )
        if censored_input and (n_obs is not None or nan_policy != "raise"):
            raise ParameterError(
                "n_obs= and nan_policy= do not apply to censored data: the number of observations "
                "is their total weight, and NaN marks an open end"
            )
    if isinstance(data, CensoredObservations):
        if weights is not None:
            raise ParameterError("give the weights to klm.censored(..., weights=), not to compare")
        if truncation is None:
            return data
        return dataclasses.replace(data, truncation=parse_truncation(truncation))
    if from_scipy:
        if weights is not None:
            raise ParameterError(
                "scipy's CensoredData carries no weights; use klm.censored(..., weights=)"
            )
        return CensoredObservations.from_scipy(data, truncation=truncation)
    if truncation is not None:
        return CensoredObservations.exact_only(
            data, weights, n_obs=n_obs, truncation=truncation, nan_policy=nan_policy
        )
    return None


def censored_candidates(
    obs: CensoredObservations, families: Any, options: FitOptions
) -> dict[str, Family]:
    registry = check_registry(options.registry)
    if families is None:
        candidates, _, _ = default_candidates(obs.stand_in(), None, registry, options.kind)
    else:
        candidates = _labelled_candidates(families, registry)
        _one_kind(candidates)
    if options.criterion == "kl":
        raise ParameterError(
            "criterion='kl' ranks by information loss, which censored data do not define (an exact "
            "value's density and a censored value's probability are not on one scale); use aicc, "
            "aic or bic"
        )
    if options.free_loc:
        candidates = {label: _free_all_locations(f) for label, f in candidates.items()}
    unknown = set(options.fixed) - set(candidates)
    if unknown:
        raise ParameterError(
            f"fixed= names {sorted(unknown)}, which are not among the candidates {list(candidates)}"
        )
    return candidates


def compare(
    data: Any,
    families: Candidate | Iterable[Candidate] | Mapping[str, Candidate] | None = None,
    *,
    weights: Any = None,
    support: tuple[float, float | None] | None = None,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    n_obs: float | None = None,
    base: float = 2.0,
    criterion: Criterion = "aicc",
    kind: Kind | None = None,
    free_loc: bool = False,
    bins: int | str | np.ndarray | None = None,
    nan_policy: NanPolicy = "raise",
    registry: Mapping[str, Family] | None = None,
    progress: bool = False,
    n_jobs: int = 1,
    options: FitOptions | None = None,
    truncation: tuple[float | None, float | None] | None = None,
    gof: bool = False,
    gof_resamples: int = 200,
    gof_rng: Any = None,
) -> ComparisonTable:
    r"""Fit each candidate family to the data and rank them by information loss.

    Parameters
    ----------
    data
        Raw observations, or distinct values when ``weights`` is given.
    families
        Candidates: registry names (or any other ``scipy.stats`` name), :class:`~klmodels.Family`
        objects or frozen scipy distributions, as a list or as a dict ``{label: candidate}``.
        ``None`` picks defaults by the shape of the data (see the module docstring).
    weights
        Counts, or relative frequencies such as probabilities, one per value of ``data``.
    support
        ``(low, high)``: the values the data can take. Fixes where families start (``loc``),
        the upper end of finite-support discrete ones (randint's range, binom's and
        betabinom's n) and the interval of ``beta`` and ``uniform``.
    fixed
        Parameters to hold fixed per family, e.g. ``{"nbinom": {"n": 2}}``.
    n_obs
        Number of observations behind relative-frequency weights (needed for AIC and BIC).
    base
        Logarithm base of the information columns: 2 (bits, default), ``math.e`` (nats).
        Their names carry the unit (``kl_bits``, ``kl_nats``, ...). ``loglik``, AIC, AICc and
        BIC are always in nats, as is conventional.
    criterion
        ``"aicc"`` (default), ``"aic"``, ``"bic"``, or ``"kl"`` (information loss alone, which
        ignores the number of parameters). Without ``n_obs`` only ``"kl"`` is available.
    kind
        ``"discrete"`` or ``"continuous"`` defaults; None decides by the data (whole numbers:
        discrete).
    free_loc
        Estimate ``loc`` (and ``scale`` where it is fixed by default, as for beta) of every
        continuous family: the full scipy parameterisation that ``scipy.stats.fit`` and
        fitter use. Off by default, which gives the textbook forms starting at 0.
    bins
        Also report ``kl_binned_<unit>``, the KL divergence from the data's histogram to the
        model's bin probabilities (a number of bins, edges, or a NumPy rule such as "fd").
        Continuous data only.
    nan_policy
        ``"raise"`` (default) or ``"omit"`` NaN values.
    registry
        Where names are looked up; default :data:`klmodels.families`.
    progress
        Show a progress bar over the families (tqdm).
    n_jobs
        Fit families in parallel threads (joblib); -1 uses every core. The results are the same
        as with 1.
    options
        A :class:`~klmodels.FitOptions` holding any of the options above at once (shared with
        :func:`select`, :func:`~klmodels.bootstrap` and :func:`klmodels.bayes.compare`);
        keywords given beside it override its fields.
    truncation
        ``(low, high)``, None for an open end: the data were only recorded inside these known
        bounds, so each model's density is renormalised by its mass inside them.
    gof, gof_resamples, gof_rng
        Add, for every continuous row, the Kolmogorov-Smirnov, Cramér-von Mises and
        Anderson-Darling statistics (``ks``, ``cvm``, ``ad``) and their p-values calibrated for
        estimated parameters by ``gof_resamples`` parametric-bootstrap refits (``ks_p``, ``cvm_p``,
        ``ad_p``; seeded by ``gof_rng``); see :func:`klmodels.goodness_of_fit`. Censored data:
        the statistics against Turnbull's estimate, without p-values (``attrs["gof_note"]``).

    Censored data: pass :func:`klmodels.censored` observations or a
    ``scipy.stats.CensoredData`` as ``data`` (see :mod:`klmodels.censored`); the table then has
    the criteria, the paired ``dkl`` with its SE and Vuong's test, and ``kl`` against Turnbull's
    estimate where it is defined (whole numbers, or no exact continuous values); no
    ``cross_entropy``.

    Returns
    -------
    ComparisonTable
        A pandas DataFrame with one row per candidate, best first, indexed by ``family`` (the
        label), whose ``.fits`` holds the Fit of each row. Columns:

        ========================  =======  ==================================================
        column                    dtype    meaning
        ========================  =======  ==================================================
        params                    object   dict of estimated parameters (the empirical
                                           row: a read-only Mapping ``p[<value>]`` of its
                                           shares, held as two arrays; pandas' exports write
                                           them all, ``dict(cell)`` gives the dict)
        fixed                     object   dict of parameters held fixed
        k                         Int64    number of estimated parameters
        loglik                    float64  maximised log-likelihood, nats (NaN without n_obs)
        cross_entropy_<unit>      float64  :math:`H(\hat p, q)` per observation
        kl_<unit>                 float64  :math:`D(\hat p \| q)` per observation: the
                                           information lost by the model (for continuous
                                           data: cross-entropy minus an estimate of the
                                           data's entropy, the same for every row, from the
                                           probability integral transform of the best fit)
        kl_se_<unit>              float64  standard error of kl (continuous: the entropy
                                           estimate's and the paired difference to the
                                           best row; discrete: the delta method's)
        dkl_<unit>                float64  kl minus the best row's kl; exact (no entropy
                                           estimate), from paired per-observation values
        dkl_se_<unit>             float64  standard error of dkl (paired differences)
        vuong_p                   float64  two-sided p-value of Vuong's test against the
                                           best row (AIC-corrected); small: the difference
                                           is real
        aic, aicc, bic            float64  the criteria above (NaN without n_obs)
        delta                     float64  criterion minus the best row's criterion (kl
                                           difference in <unit> when criterion="kl")
        weight                    float64  Akaike weight :math:`e^{-\Delta/2}/\sum e^{-\Delta/2}`
                                           (NaN for criterion="kl")
        chi2, chi2_p              float64  discrete data: Pearson's chi-square on the same
                                           pooled cells
        g_stat, g_dof, g_p        float64  discrete data: G-test of goodness of fit (cells
                                           pooled to expected counts >= 5; above 10,000
                                           distinct values, first grouped into 10,000 runs
                                           of about equal observed count)
        kl_binned_<unit>          float64  with ``bins``: D(histogram ‖ model's bin masses)
        note                      object   why a row failed, or what to beware of
        ========================  =======  ==================================================

        A family that cannot be fitted keeps its row with NaN scores and the reason in
        ``note``. A fully specified model that gives probability 0 to observed data has
        ``kl = inf`` and ``loglik = -inf`` (true values, explained in ``note``). ``attrs``
        holds ``entropy_<unit>`` (the data's entropy: ``cross_entropy = entropy + kl``),
        ``n_obs``, ``criterion``, ``base``, ``kind`` and, for the defaults, the families
        ``excluded`` and why.

    Raises
    ------
    DataError, ParameterError, UnknownFamilyError
        For bad data, options or names.
    AllFamiliesFailedError
        When no candidate could be fitted; the message lists each reason.

    Examples
    --------
    >>> import klmodels as klm
    >>> share = [0.02, 0.03, 0.05, 0.14, 0.16, 0.15, 0.12, 0.08, 0.10, 0.08, 0.07]
    >>> table = klm.compare(range(11), ["randint", "binom"], weights=share, support=(0, 10))
    >>> table.index.tolist()
    ['randint', 'binom']
    """
    opts = FitOptions.of(
        options, support=support, fixed=fixed or {}, criterion=criterion, kind=kind,
        free_loc=free_loc, base=base, nan_policy=nan_policy, registry=registry,
        progress=progress, n_jobs=n_jobs,
    )  # fmt: skip
    censored_data = as_censored(
        data, weights, truncation, n_obs=n_obs, support=support, nan_policy=nan_policy
    )
    if censored_data is not None:
        if bins is not None:
            raise ParameterError(
                "bins= is for exact continuous data; censored data have no histogram"
            )
        censored_table = compare_censored(
            censored_data, censored_candidates(censored_data, families, opts), opts
        )
        if gof:
            _add_goodness_of_fit(censored_table, censored_table.fits, gof_resamples, gof_rng)
        return censored_table
    criterion, base = opts.criterion, opts.base
    bins = _check_bins(bins)
    fitted = fit_all(data, families, opts, weights=weights, n_obs=n_obs)
    obs, results, used_kind = fitted.obs, fitted.results, fitted.kind
    if isinstance(bins, np.ndarray) and (bins[0] > obs.min or bins[-1] < obs.max):
        raise ParameterError(
            f"bins edges [{bins[0]:g}, {bins[-1]:g}] must cover the data [{obs.min:g}, {obs.max:g}]: "
            "a histogram that leaves values out misstates the information they carry"
        )
    if bins is not None and used_kind != "continuous":
        raise ParameterError(
            "bins= compares a histogram with a density: it is for continuous data only"
        )
    if all(isinstance(r, FitError) for r in results.values()):
        reasons = "; ".join(f"{label}: {r}" for label, r in results.items())
        raise AllFamiliesFailedError(f"no candidate family could be fitted to the data. {reasons}")
    used_criterion: Criterion = criterion
    if obs.n_obs is None and criterion != "kl":
        used_criterion = "kl"
    table = _table(results, used_criterion, base, used_kind, bins)
    unit = unit_name(base)
    entropy_nats = next(
        (r.data_entropy_nats for r in results.values() if isinstance(r, Fit)), math.nan
    )
    entropy_se_nats = next((r.kl_se_nats for r in results.values() if isinstance(r, Fit)), math.nan)
    table.attrs = {
        "unit": unit,
        f"entropy_{unit}": entropy_nats / as_log_base(base),
        f"entropy_se_{unit}": (
            entropy_se_nats / as_log_base(base) if used_kind == "continuous" else math.nan
        ),
        "n_obs": obs.n_obs,
        "criterion": used_criterion,
        "requested_criterion": criterion,
        "base": base,
        "kind": used_kind,
        "excluded": fitted.excluded,
    }
    if not obs.in_memory:  # data on a Dask cluster: how many times the partitions were read
        table.attrs["passes"] = obs.passes
        table.attrs["bytes_per_pass"] = obs.bytes_per_pass
    if used_criterion != criterion:
        table["note"] = table["note"].str.replace(
            NO_N_OBS_NOTE, f"ranked by kl; {criterion} needs n_obs="
        )
    se_column = table[f"kl_se_{unit}"] * (as_log_base(base) / math.log(2.0))
    fits = {
        label: with_kl_se(r, float(se_column[label]) * math.log(2.0))
        for label, r in results.items()
        if isinstance(r, Fit)
    }
    if gof:
        _add_goodness_of_fit(table, fits, gof_resamples, gof_rng)
    result = ComparisonTable(table, fits=fits)
    result.attrs = dict(table.attrs)
    return result


def _add_goodness_of_fit(
    table: pd.DataFrame, fits: Mapping[str, Fit | CensoredFit], resamples: int, rng: Any
) -> None:
    """Columns ks, cvm, ad and their calibrated p-values for every continuous row (in place).

    Censored rows get the statistics against Turnbull's estimate (computed once for the table)
    and no p-values; ``attrs["gof_note"]`` says so.
    """
    rng = check_rng(rng)
    columns = ("ks", "cvm", "ad", "ks_p", "cvm_p", "ad_p")
    for column in columns:
        table[column] = math.nan
    estimate = None
    for label, fit_ in fits.items():
        if fit_.family.kind != "continuous":
            continue
        if isinstance(fit_, CensoredFit):
            estimate = estimate or turnbull_estimate(fit_.observations)
            statistics, table.attrs["gof_note"] = censored_statistics(fit_, estimate)
            table.loc[label, ["ks", "cvm", "ad"]] = statistics
            continue
        result = goodness_of_fit(fit_, resamples=resamples, rng=rng)
        for column in columns:
            table.loc[label, column] = getattr(result, column)
        if result.note:
            notes = table["note"].to_dict()
            notes[label] = f"{notes[label]}; {result.note}" if notes[label] else result.note
            table["note"] = pd.Series(notes, dtype=object)


def select(
    data: Any,
    families: Candidate | Iterable[Candidate] | Mapping[str, Candidate] | None = None,
    *,
    weights: Any = None,
    support: tuple[float, float | None] | None = None,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    n_obs: float | None = None,
    criterion: Criterion = "aicc",
    kind: Kind | None = None,
    free_loc: bool = False,
    nan_policy: NanPolicy = "raise",
    registry: Mapping[str, Family] | None = None,
    progress: bool = False,
    n_jobs: int = 1,
    options: FitOptions | None = None,
    truncation: tuple[float | None, float | None] | None = None,
) -> Fit | CensoredFit:
    """The best :class:`~klmodels.Fit` by ``criterion``; the arguments are those of :func:`compare`.

    For censored data (:func:`klmodels.censored` or ``scipy.stats.CensoredData``), the best
    :class:`~klmodels.CensoredFit`.

    Raises
    ------
    AllFamiliesFailedError
        When no candidate could be fitted.
    """
    opts = FitOptions.of(
        options, support=support, fixed=fixed or {}, criterion=criterion, kind=kind,
        free_loc=free_loc, nan_policy=nan_policy, registry=registry, progress=progress,
        n_jobs=n_jobs,
    )  # fmt: skip
    censored_data = as_censored(
        data, weights, truncation, n_obs=n_obs, support=support, nan_policy=nan_policy
    )
    if censored_data is not None:  # the best row of the censored comparison
        table = compare_censored(
            censored_data, censored_candidates(censored_data, families, opts), opts
        )
        return table.fits[table.index[0]]
    criterion = opts.criterion
    fitted = fit_all(data, families, opts, weights=weights, n_obs=n_obs)
    fits = {label: r for label, r in fitted.results.items() if isinstance(r, Fit)}
    if not fits:
        reasons = "; ".join(f"{label}: {r}" for label, r in fitted.results.items())
        raise AllFamiliesFailedError(f"no candidate family could be fitted to the data. {reasons}")
    used = "kl" if fitted.obs.n_obs is None else criterion
    return min(fits.values(), key=lambda f: score(f, used))
