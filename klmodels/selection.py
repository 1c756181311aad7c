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
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from klmodels.data import NanPolicy, Observations
from klmodels.entropy_estimators import data_entropy_nats
from klmodels.errors import AllFamiliesFailedError, FitError, ParameterError
from klmodels.family import Candidate, Family, Kind, default_registry, resolve
from klmodels.family.base import Support
from klmodels.fitting import NO_N_OBS_NOTE, Fit, fit_observations, validate_support
from klmodels.information import as_log_base, unit_name

__all__ = ["Criterion", "compare", "select"]

Criterion = Literal["aicc", "aic", "bic", "kl"]
_CRITERIA = ("aicc", "aic", "bic", "kl")


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


def _suits(family: Family, obs: Observations, support: Support | None) -> bool:
    """Whether a default family can describe data in this range (a cheap check, no fitting)."""
    low = obs.min if support is None else support[0]
    if family.name == "bernoulli":
        high = obs.max if support is None or support[1] is None else support[1]
        return high - low <= 1
    natural_low = getattr(family, "natural_low", None)
    if natural_low is not None and support is None:
        return obs.min >= natural_low
    return True


def default_candidates(
    obs: Observations, support: Support | None, registry: Mapping[str, Family]
) -> tuple[dict[str, Family], Kind]:
    """The registry's families that suit the data: discrete ones for whole numbers.

    Families whose support cannot hold the data (bernoulli for more than two values,
    families starting at 1 for data with zeros and no ``support``) are left out.
    """
    kind: Kind = "discrete" if obs.integer_valued else "continuous"
    chosen = {name: f for name, f in registry.items() if f.kind == kind and _suits(f, obs, support)}
    if not chosen:
        raise ParameterError(
            f"the registry has no {kind} family that suits these data; pass families=[...] explicitly"
        )
    return chosen, kind


def _fit_all(
    data: Any,
    families: Candidate | Iterable[Candidate] | Mapping[str, Candidate] | None,
    *,
    weights: Any,
    support: Any,
    fixed: Mapping[str, Mapping[str, float]] | None,
    n_obs: float | None,
    nan_policy: NanPolicy,
    registry: Mapping[str, Family] | None,
    progress: bool,
) -> tuple[Observations, dict[str, Fit | FitError], Kind]:
    """Fit every candidate; a FitError is kept in place of its Fit."""
    registry = default_registry if registry is None else registry
    obs = Observations.from_data(data, weights, n_obs=n_obs, nan_policy=nan_policy)
    supp = validate_support(support, obs)
    if families is None:
        candidates, kind = default_candidates(obs, supp, registry)
    else:
        candidates = _labelled_candidates(families, registry)
        kinds = {f.kind for f in candidates.values()}
        if len(kinds) > 1:
            by_kind = {k: [n for n, f in candidates.items() if f.kind == k] for k in sorted(kinds)}
            raise ParameterError(
                "cannot rank discrete and continuous families together: a pmf and a density are on "
                f"different scales, so their likelihoods and KL values do not compare. Got {by_kind}"
            )
        (kind,) = kinds
    fixed = dict(fixed or {})
    if not all(isinstance(v, Mapping) for v in fixed.values()):
        raise ParameterError(
            "fixed= maps each family to its fixed parameters, e.g. fixed={'binom': {'n': 10}}; "
            f"got {fixed!r}"
        )
    unknown = set(fixed) - set(candidates)
    if unknown:
        raise ParameterError(
            f"fixed= names {sorted(unknown)}, which are not among the candidates {list(candidates)}"
        )
    data_entropy = data_entropy_nats(obs, kind)

    results: dict[str, Fit | FitError] = {}
    labels: Iterable[str] = candidates
    if progress:
        from tqdm.auto import tqdm

        labels = tqdm(list(candidates), desc="fitting families", unit="family")
    for label in labels:
        try:
            results[label] = fit_observations(
                obs, candidates[label], supp, fixed.get(label, {}), data_entropy=data_entropy
            )
        except FitError as exc:
            results[label] = exc
    return obs, results, kind


def _akaike_weights(delta: np.ndarray) -> np.ndarray:
    usable = np.isfinite(delta) | (delta == np.inf)
    out = np.full(delta.shape, np.nan)
    if not np.isfinite(delta).any():
        return out
    out[usable] = np.exp(-0.5 * np.where(np.isfinite(delta[usable]), delta[usable], np.inf))
    out[usable] /= out[usable].sum()
    return out


def _table(
    results: Mapping[str, Fit | FitError], obs: Observations, criterion: Criterion, base: float
) -> pd.DataFrame:
    unit = unit_name(base)
    scale = math.log(2.0) / as_log_base(base)  # bits -> unit
    rows = []
    for label, result in results.items():
        if isinstance(result, FitError):
            rows.append(
                {
                    "family": label,
                    "params": {},
                    "fixed": {},
                    "k": pd.NA,
                    "note": f"fit failed: {result}",
                }
            )
            continue
        rows.append(
            {
                "family": label,
                "params": dict(result.params),
                "fixed": dict(result.fixed),
                "k": result.k,
                "loglik": result.loglik,
                f"cross_entropy_{unit}": result.cross_entropy_bits * scale,
                f"kl_{unit}": result.kl_bits * scale,
                "aic": result.aic,
                "aicc": result.aicc,
                "bic": result.bic,
                "note": result.note,
            }
        )
    columns = [
        "params",
        "fixed",
        "k",
        "loglik",
        f"cross_entropy_{unit}",
        f"kl_{unit}",
        "aic",
        "aicc",
        "bic",
        "delta",
        "weight",
        "note",
    ]
    table = pd.DataFrame(rows).set_index("family").reindex(columns=columns)
    for column in ("loglik", f"cross_entropy_{unit}", f"kl_{unit}", "aic", "aicc", "bic"):
        table[column] = table[column].astype("float64")
    table["k"] = table["k"].astype("Int64")
    table["note"] = table["note"].fillna("").astype(object)

    key = table[f"kl_{unit}"] if criterion == "kl" else table[criterion]
    order = np.argsort(key.to_numpy(dtype=np.float64, na_value=np.nan), kind="stable")
    table = table.iloc[order]
    key = key.iloc[order].to_numpy(dtype=np.float64, na_value=np.nan)
    best = np.nanmin(key) if np.isfinite(key).any() else np.nan
    table["delta"] = key - best
    table["weight"] = (
        np.full(len(table), np.nan)
        if criterion == "kl"
        else _akaike_weights(table["delta"].to_numpy())
    )
    table.index.name = "family"
    return table


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
    nan_policy: NanPolicy = "raise",
    registry: Mapping[str, Family] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    r"""Fit each candidate family to the data and rank them by information loss.

    Parameters
    ----------
    data
        Raw observations, or distinct values when ``weights`` is given.
    families
        Candidates: registry names, :class:`~klmodels.Family` objects or frozen scipy
        distributions, as a list or as a dict ``{label: candidate}``. ``None`` picks the
        registry's families that suit the data (whole numbers: the discrete families whose
        support can hold them, plus the saturated ``empirical`` reference).
    weights
        Counts, or relative frequencies such as probabilities, one per value of ``data``.
    support
        ``(low, high)``: the values the data can take. Fixes where discrete families start
        and the upper end of finite-support ones (randint's range, binom's and betabinom's n).
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
    nan_policy
        ``"raise"`` (default) or ``"omit"`` NaN values.
    registry
        Where names are looked up; default :data:`klmodels.families`.
    progress
        Show a progress bar over the families (tqdm).

    Returns
    -------
    pandas.DataFrame
        One row per candidate, best first, indexed by ``family`` (the label). Columns:

        ========================  =======  ==================================================
        column                    dtype    meaning
        ========================  =======  ==================================================
        params                    object   dict of estimated parameters
        fixed                     object   dict of parameters held fixed
        k                         Int64    number of estimated parameters
        loglik                    float64  maximised log-likelihood, nats (NaN without n_obs)
        cross_entropy_<unit>      float64  :math:`H(\hat p, q)` per observation
        kl_<unit>                 float64  :math:`D(\hat p \| q)` per observation: the
                                           information lost by the model
        aic, aicc, bic            float64  the criteria above (NaN without n_obs)
        delta                     float64  criterion minus the best row's criterion (kl
                                           difference in <unit> when criterion="kl")
        weight                    float64  Akaike weight :math:`e^{-\Delta/2}/\sum e^{-\Delta/2}`
                                           (NaN for criterion="kl")
        note                      object   why a row failed, or what to beware of
        ========================  =======  ==================================================

        A family that cannot be fitted keeps its row with NaN scores and the reason in
        ``note``. A fully specified model that gives probability 0 to observed data has
        ``kl = inf`` and ``loglik = -inf`` (true values, explained in ``note``). ``attrs``
        holds ``entropy_<unit>`` (the data's entropy: ``cross_entropy = entropy + kl``),
        ``n_obs``, ``criterion``, ``base``, ``kind`` and, for the defaults, the families
        ``excluded`` as unsuitable.

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
    if criterion not in _CRITERIA:
        raise ParameterError(f"criterion must be one of {', '.join(_CRITERIA)}; got {criterion!r}")
    as_log_base(base)
    obs, results, kind = _fit_all(
        data,
        families,
        weights=weights,
        support=support,
        fixed=fixed,
        n_obs=n_obs,
        nan_policy=nan_policy,
        registry=registry,
        progress=progress,
    )
    if all(isinstance(r, FitError) for r in results.values()):
        reasons = "; ".join(f"{label}: {r}" for label, r in results.items())
        raise AllFamiliesFailedError(f"no candidate family could be fitted to the data. {reasons}")
    used_criterion: Criterion = criterion
    if obs.n_obs is None and criterion != "kl":
        used_criterion = "kl"
    table = _table(results, obs, used_criterion, base)
    unit = unit_name(base)
    entropy_nats = next(
        (r.data_entropy_nats for r in results.values() if isinstance(r, Fit)), math.nan
    )
    excluded = {}
    if families is None:
        reg = default_registry if registry is None else registry
        excluded = {
            n: "support cannot hold the data"
            for n, f in reg.items()
            if f.kind == kind and n not in results
        }
    table.attrs = {
        f"entropy_{unit}": entropy_nats / as_log_base(base),
        "n_obs": obs.n_obs,
        "criterion": used_criterion,
        "requested_criterion": criterion,
        "base": base,
        "kind": kind,
        "excluded": excluded,
    }
    if used_criterion != criterion:
        table["note"] = table["note"].str.replace(
            NO_N_OBS_NOTE, f"ranked by kl; {criterion} needs n_obs="
        )
    return table


def select(
    data: Any,
    families: Candidate | Iterable[Candidate] | Mapping[str, Candidate] | None = None,
    *,
    weights: Any = None,
    support: tuple[float, float | None] | None = None,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    n_obs: float | None = None,
    criterion: Criterion = "aicc",
    nan_policy: NanPolicy = "raise",
    registry: Mapping[str, Family] | None = None,
    progress: bool = False,
) -> Fit:
    """The best :class:`~klmodels.Fit` by ``criterion``; the arguments are those of :func:`compare`.

    Raises
    ------
    AllFamiliesFailedError
        When no candidate could be fitted.
    """
    if criterion not in _CRITERIA:
        raise ParameterError(f"criterion must be one of {', '.join(_CRITERIA)}; got {criterion!r}")
    obs, results, _ = _fit_all(
        data,
        families,
        weights=weights,
        support=support,
        fixed=fixed,
        n_obs=n_obs,
        nan_policy=nan_policy,
        registry=registry,
        progress=progress,
    )
    fits = {label: r for label, r in results.items() if isinstance(r, Fit)}
    if not fits:
        reasons = "; ".join(f"{label}: {r}" for label, r in results.items())
        raise AllFamiliesFailedError(f"no candidate family could be fitted to the data. {reasons}")
    used = "kl" if obs.n_obs is None else criterion

    def score(f: Fit) -> float:
        value = f.kl_nats if used == "kl" else getattr(f, used)
        return math.inf if math.isnan(value) else value

    return min(fits.values(), key=score)
