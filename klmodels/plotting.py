"""Pictures of information loss (extra ``klmodels[plot]``; matplotlib is imported only when a plot is drawn).

Every function takes ``ax=None`` (a new figure is made when None) and returns the Axes it drew
on; nothing here shows, saves or clears a figure: that is the caller's choice.

==========================  ====================================================================
function                    what it draws
==========================  ====================================================================
plot_fit                    observed frequencies (bars) or a histogram, and the fitted pmf/pdf
plot_information_loss       kl per family, best first, with the paired standard-error bars
plot_kl_curve               KL as a function of one parameter, with the minimum marked
plot_qq, plot_pp            quantile-quantile and probability-probability plots of a fit
plot_asymmetry              the two directions of KL, outcome by outcome
plot_comparison             plot_fit and plot_information_loss side by side (the CLI's --plot)
==========================  ====================================================================
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from klmodels.censored import CensoredFit, npmle
from klmodels.data import Observations
from klmodels.display import ComparisonTable
from klmodels.errors import MissingExtraError, ParameterError
from klmodels.family.finite import FiniteMixture
from klmodels.fitting import Fit, fit
from klmodels.protocols import ObservationsLike

__all__ = [
    "plot_asymmetry",
    "plot_average",
    "plot_censored",
    "plot_comparison",
    "plot_fit",
    "plot_information_loss",
    "plot_kl_curve",
    "plot_pp",
    "plot_prior_predictive",
    "plot_qq",
]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingExtraError("matplotlib", "plot", "Plotting") from None
    return plt


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    _, new = _pyplot().subplots(figsize=(7, 4.5))
    return new


def _fits(fits: Any, top: int | None) -> list[Fit]:
    """Fits from a Fit, a sequence of Fits, or a comparison table (its best ``top`` rows)."""
    if isinstance(fits, Fit):
        return [fits]
    if hasattr(fits, "fits") and hasattr(fits, "index"):  # a ComparisonTable
        ordered = [fits.fits[label] for label in fits.index if label in fits.fits]
        return ordered[: top or 3]
    out = list(fits)
    if not out or not all(isinstance(f, Fit) for f in out):
        raise ParameterError(
            "plot_fit takes a Fit, a list of Fits, or a klmodels.compare(...) table"
        )
    return out[:top] if top else out


def plot_fit(
    fits: Fit | Sequence[Fit] | Any, *, ax: Any = None, top: int | None = None, bins: Any = "auto"
) -> Any:
    """Observed data against fitted models: bars and pmf markers (discrete) or a histogram and pdfs.

    A mixture's weighted components are drawn as thin dashed curves under its density.

    Parameters
    ----------
    fits
        A Fit, several Fits of the same data, or a comparison table (its best 3 rows by default).
    ax
        Axes to draw on; a new figure when None.
    top
        How many fits of a table to draw.
    bins
        Histogram bins for continuous data (any ``numpy.histogram`` rule).

    Returns
    -------
    matplotlib.axes.Axes
    """
    chosen = _fits(fits, top)
    ax = _axes(ax)
    obs = chosen[0].observations
    label = obs.name or "value"
    if chosen[0].kind == "discrete":
        values, prob = obs.distinct()
        ax.bar(values, prob, color="0.78", edgecolor="0.45", label="observed", zorder=1)
        grid = np.arange(values.min(), values.max() + 1)
        for f in chosen:
            ax.plot(
                grid,
                np.exp(f.logpdf(grid)),
                marker="o",
                lw=1.5,
                ms=4,
                label=f"{f.name}: KL {f.kl_bits:.3f} bits",
                zorder=3,
            )
        ax.set_ylabel("probability")
    else:
        weights = obs.probabilities if obs.weights is not None else None
        if weights is not None and isinstance(bins, str):
            bins = _weighted_bin_edges(obs, bins)
        ax.hist(
            obs.values,
            bins=bins,
            weights=weights,
            density=True,
            color="0.85",
            edgecolor="0.55",
            label="observed",
            zorder=1,
        )
        low, high = obs.min, obs.max
        pad = 0.05 * (high - low or 1.0)
        grid = np.linspace(low - pad, high + pad, 400)
        for f in chosen:
            with np.errstate(all="ignore"):
                (line,) = ax.plot(
                    grid,
                    np.exp(f.logpdf(grid)),
                    lw=2,
                    label=f"{f.name}: KL {f.kl_bits:.3f} bits",
                    zorder=3,
                )
            _draw_components(ax, f, grid, line.get_color())
        ax.set_ylabel("density")
    ax.set_xlabel(label)
    ax.set_title("Observed data and fitted models")
    ax.legend(frameon=False, fontsize="small")
    return ax


def _weighted_bin_edges(obs: ObservationsLike, rule: str) -> np.ndarray:
    """Histogram edges by a NumPy rule for weighted values, which NumPy's rules refuse.

    Whole-number counts (up to a million observations) are expanded and the rule applied as to
    the raw data; otherwise the rule sees the distinct values.
    """
    values = obs.values
    if obs.has_counts and obs.n_obs is not None and obs.n_obs <= 1e6 and obs.weights is not None:
        values = np.repeat(values, np.rint(obs.weights).astype(np.int64))
    return np.histogram_bin_edges(values, bins=rule)


def _draw_components(ax: Any, fit_: Fit, grid: np.ndarray, color: Any) -> None:
    """A mixture's weighted components as thin dashed curves in the mixture's colour."""
    family = fit_.family
    if not isinstance(family, FiniteMixture):
        return
    params = fit_.all_params
    for weight, base, theta in zip(
        family.weights(params), family.bases, family.components(params), strict=True
    ):
        with np.errstate(all="ignore"):
            ax.plot(grid, weight * np.exp(base.logpdf(grid, theta)), lw=1, ls="--", color=color,
                    zorder=2)  # fmt: skip


def plot_information_loss(table: Any, *, ax: Any = None, column: str | None = None) -> Any:
    """Each family's information loss, best first, with the paired standard error of its gap to the best.

    Parameters
    ----------
    table
        A ``klmodels.compare(...)`` table.
    ax
        Axes to draw on; a new figure when None.
    column
        The column to draw: ``kl_<unit>`` (default) or ``dkl_<unit>``.

    Returns
    -------
    matplotlib.axes.Axes
        Failed families are left out (their reason is in the table's ``note``).
    """
    unit = ComparisonTable(table).unit if not isinstance(table, ComparisonTable) else table.unit
    if f"kl_{unit}" not in table.columns:
        raise ParameterError("plot_information_loss takes a klmodels.compare(...) table")
    column = column or f"kl_{unit}"
    rows = table[np.isfinite(table[column].to_numpy(dtype=float, na_value=np.nan))]
    ax = _axes(ax)
    se_column = f"dkl_se_{unit}"
    errors = rows[se_column].to_numpy(dtype=float) if se_column in rows else None
    positions = np.arange(len(rows))[::-1]
    ax.barh(positions, rows[column].to_numpy(dtype=float), xerr=errors, color="tab:blue", alpha=0.8,
            error_kw={"ecolor": "0.2", "capsize": 3})  # fmt: skip
    ax.set_yticks(positions, [str(i) for i in rows.index])
    values = rows[column].to_numpy(dtype=float)
    reach = values + (np.nan_to_num(errors) if errors is not None else 0.0)
    for y, value, end in zip(positions, values, reach, strict=True):
        ax.annotate(
            f"{value:.3f}",
            (max(end, value), y),
            xytext=(5, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
        )
    ax.set_xlabel(
        f"{column.replace('_', ' ')}: information lost per observation ({unit})\n"
        "error bars: standard error of the gap to the best"
    )
    ax.set_title("Information loss, best first")
    ax.margins(x=0.12)
    ax.axvline(0, color="0.3", lw=0.8)
    return ax


def plot_kl_curve(
    data: Any,
    family: Any,
    parameter: str,
    values: Iterable[float],
    *,
    ax: Any = None,
    weights: Any = None,
    support: Any = None,
    n_obs: float | None = None,
    **fixed: float,
) -> Any:
    """KL divergence from the data to a family as one parameter varies, with its minimum marked.

    Each point holds ``parameter`` at a value (the others at ``fixed``); the marked minimum is the
    maximum-likelihood fit of ``parameter`` with the same ``fixed`` values.

    Returns
    -------
    matplotlib.axes.Axes
    """
    obs = Observations.from_data(data, weights, n_obs=n_obs)
    grid = np.asarray(list(values), dtype=float)
    # typed Any: mypy cannot tell parameter names from fit()'s other keywords (nan_policy, ...)
    held: dict[str, Any] = fixed
    curve = np.array(
        [fit(obs, family, support=support, **{parameter: v, **held}).kl_bits for v in grid]
    )
    best = fit(obs, family, support=support, **held)
    ax = _axes(ax)
    ax.plot(grid, curve, lw=2, color="tab:blue", label=f"D(data || {best.name})")
    ax.axvline(best.params[parameter], color="tab:red", ls="--", lw=1)
    ax.plot([best.params[parameter]], [best.kl_bits], "o", color="tab:red",
            label=f"minimum: {parameter} = {best.params[parameter]:.4g}, {best.kl_bits:.3f} bits")  # fmt: skip
    ax.set_xlabel(parameter)
    ax.set_ylabel("KL divergence (bits)")
    ax.set_title(f"Information lost by {best.name} as {parameter} varies")
    ax.legend(frameon=False)
    return ax


def _plotting_positions(obs: ObservationsLike) -> tuple[np.ndarray, np.ndarray]:
    """Sorted values and their empirical cumulative probabilities at the midpoints of their weight."""
    values, prob = obs.distinct()
    cumulative = np.cumsum(prob)
    return values, cumulative - prob / 2


def _simulated_refits(fit_: Fit, envelope: int, rng: Any) -> list[tuple[np.ndarray, Any]]:
    """``envelope`` samples drawn from the fit, each sorted and paired with its own refitted model."""
    from klmodels.fitting import estimate

    obs = fit_.observations
    if fit_.kind != "continuous" or obs.weights is not None:
        raise ParameterError("envelopes need a continuous fit to raw observations (no weights)")
    rng = np.random.default_rng(rng)
    n, frozen = obs.values.size, fit_.freeze()
    fixed = {k: v for k, v in fit_.all_params.items() if k not in fit_.params}
    out = []
    for _ in range(envelope):
        draw = np.sort(np.asarray(frozen.rvs(size=n, random_state=rng), float))
        try:
            refit = estimate(Observations.from_data(draw), fit_.family, None, fixed)
        except Exception:  # a failed refit leaves a gap in the envelope, not an error
            continue
        out.append((draw, fit_.family.freeze(refit.all_params)))
    return out


def _order_statistics_at(positions: np.ndarray, n: int) -> np.ndarray:
    """Which of n sorted values sits at each plotting position (ties share one position)."""
    return np.clip(np.round(positions * n - 0.5).astype(int), 0, n - 1)


def _band(rows: list[np.ndarray], level: float) -> tuple[np.ndarray, np.ndarray]:
    stacked = np.vstack(rows)
    return tuple(np.nanquantile(stacked, [(1 - level) / 2, (1 + level) / 2], axis=0))


def plot_qq(
    fit_: Fit, *, ax: Any = None, envelope: int = 0, level: float = 0.95, rng: Any = None
) -> Any:
    r"""Quantile-quantile plot: the model's quantiles at the data's plotting positions against the data.

    ``envelope=B`` adds a pointwise ``level`` band from B samples simulated from the fit, each
    refitted (so the band accounts for the parameters having been estimated): the band of
    :math:`x^*_{(i)} - \hat F^{*-1}(p_i)` around the diagonal. Raw continuous data only.
    """
    values, positions = _plotting_positions(fit_.observations)
    model = fit_.freeze()
    theoretical = model.ppf(positions)
    ax = _axes(ax)
    if envelope:
        at = _order_statistics_at(positions, fit_.observations.values.size)
        gaps = [
            draw[at] - refit.ppf(positions)
            for draw, refit in _simulated_refits(fit_, envelope, rng)
        ]
        low, high = _band(gaps, level)
        ax.fill_between(theoretical, theoretical + low, theoretical + high, color="0.85",
                        label=f"{level:.0%} envelope ({len(gaps)} refitted simulations)")  # fmt: skip
    ax.plot(theoretical, values, "o", ms=3, alpha=0.7, label="data")
    finite = np.isfinite(theoretical)
    low = min(theoretical[finite].min(), values.min())
    high = max(theoretical[finite].max(), values.max())
    ax.plot([low, high], [low, high], color="tab:red", lw=1, label="y = x")
    ax.set_xlabel(f"{fit_.name} quantiles")
    ax.set_ylabel("observed quantiles")
    ax.set_title(f"Q-Q plot: {fit_.name}")
    ax.legend(frameon=False)
    return ax


def plot_pp(
    fit_: Fit, *, ax: Any = None, envelope: int = 0, level: float = 0.95, rng: Any = None
) -> Any:
    r"""Probability-probability plot: the model's CDF at the data against the empirical CDF.

    ``envelope=B`` adds a pointwise ``level`` band of :math:`\hat F^*(x^*_{(i)})` from B samples
    simulated from the fit and refitted. Raw continuous data only.
    """
    values, positions = _plotting_positions(fit_.observations)
    model_cdf = fit_.freeze().cdf(values)
    ax = _axes(ax)
    if envelope:
        at = _order_statistics_at(positions, fit_.observations.values.size)
        probabilities = [
            refit.cdf(draw[at]) for draw, refit in _simulated_refits(fit_, envelope, rng)
        ]
        low, high = _band(probabilities, level)
        ax.fill_between(positions, low, high, color="0.85",
                        label=f"{level:.0%} envelope ({len(probabilities)} refitted simulations)")  # fmt: skip
    ax.plot(positions, model_cdf, "o", ms=3, alpha=0.7, label="data")
    ax.plot([0, 1], [0, 1], color="tab:red", lw=1, label="y = x")
    ax.set_xlabel("empirical cumulative probability")
    ax.set_ylabel(f"{fit_.name} cumulative probability")
    ax.set_title(f"P-P plot: {fit_.name}")
    ax.legend(frameon=False)
    return ax


def plot_asymmetry(p: Any, q: Any, *, ax: Any = None, labels: tuple[str, str] = ("P", "Q")) -> Any:
    r"""Why D(P‖Q) != D(Q‖P): each outcome's contribution to both directions, side by side.

    Bars show :math:`p(x)\log_2\frac{p(x)}{q(x)}` and :math:`q(x)\log_2\frac{q(x)}{p(x)}`; their
    sums are the two divergences, given in the legend.

    Parameters
    ----------
    p, q
        Two distributions over the same outcomes (pandas Series aligned on their index, or arrays).
    labels
        Names for p and q.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import pandas as pd

    from klmodels import information

    if isinstance(p, pd.Series) and isinstance(q, pd.Series):
        p, q = p.align(q, join="outer", fill_value=0.0)
        outcomes = np.asarray(p.index)
    else:
        outcomes = np.arange(len(np.asarray(p)))
    pn = np.asarray(p, dtype=float) / np.sum(p)
    qn = np.asarray(q, dtype=float) / np.sum(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        forward = np.where(pn > 0, pn * np.log2(pn / qn), 0.0)
        backward = np.where(qn > 0, qn * np.log2(qn / pn), 0.0)
    a, b = labels
    ax = _axes(ax)
    width = 0.4
    x = np.arange(len(outcomes))
    d_pq, d_qp = information.pmf_kl_divergence(pn, qn), information.pmf_kl_divergence(qn, pn)
    ax.bar(
        x - width / 2, forward, width, label=f"D({a} || {b}) = {d_pq:.3f} bits", color="tab:blue"
    )
    ax.bar(
        x + width / 2, backward, width, label=f"D({b} || {a}) = {d_qp:.3f} bits", color="tab:orange"
    )
    ax.set_xticks(x, [str(o) for o in outcomes])
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_ylabel("contribution (bits)")
    ax.set_title("KL is not symmetric: each outcome's share of each direction")
    ax.legend(frameon=False)
    if not (math.isfinite(d_pq) and math.isfinite(d_qp)):
        ax.text(0.5, 0.9, "an infinite direction: one distribution gives 0 where the other does not",
                transform=ax.transAxes, ha="center")  # fmt: skip
    return ax


def plot_comparison(table: Any, *, axes: Sequence[Any] | None = None, top: int = 3) -> Any:
    """The fitted models over the data, and the information-loss chart, side by side.

    Parameters
    ----------
    table
        A ``klmodels.compare(...)`` table.
    axes
        Two Axes to draw on; a new figure with two panels when None.
    top
        How many of the best fits to draw over the data.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
    """
    if axes is None:
        _, axes = _pyplot().subplots(1, 2, figsize=(13, 4.8), constrained_layout=True)
    plot_fit(table, ax=axes[0], top=top)
    plot_information_loss(table, ax=axes[1])
    return np.asarray(axes)


def plot_censored(table: Any, *, ax: Any = None, top: int | None = 4) -> Any:
    """Fitted cdfs of censored data against Turnbull's nonparametric estimate.

    As fitdistrplus's ``cdfcompcens``: the nonparametric maximum-likelihood estimate
    (:func:`klmodels.censored.npmle`) is a staircase whose grey boxes are Turnbull's intervals,
    where the estimate does not say where the mass lies; each of the ``top`` best rows of the
    table adds its model's cdf. A positive range over more than two decades is drawn on a log
    scale.

    Returns
    -------
    matplotlib.axes.Axes
    """
    fits = [table.fits[label] for label in table.index if label in table.fits][:top]
    if not fits or not all(isinstance(f, CensoredFit) for f in fits):
        raise ParameterError("plot_censored takes the table klm.compare makes from censored data")
    estimate = npmle(fits[0].observations)
    finite = np.concatenate([estimate["low"], estimate["high"]])
    finite = finite[np.isfinite(finite)]
    low, high = float(finite.min()), float(finite.max())
    logx = low > 0 and high / low > 100
    span = (low / 3, high * 3) if logx else (low - 0.1 * (high - low), high + 0.1 * (high - low))
    ax = _axes(ax)
    before, previous = 0.0, span[0]
    for q, p, cdf in zip(
        estimate["low"].to_numpy(float), estimate["high"].to_numpy(float),
        estimate["cdf"].to_numpy(float), strict=True,
    ):  # fmt: skip
        left, right = max(float(q), span[0]), min(float(p), span[1])
        ax.plot([previous, left], [before, before], color="0.3", linewidth=1)  # flat between
        previous = right
        if right > left:
            ax.fill_between([left, right], before, cdf, color="0.85", linewidth=0)
        ax.plot([left, right], [before, before], color="0.3", linewidth=1)
        ax.plot([right, right], [before, cdf], color="0.3", linewidth=1)
        before = float(cdf)
    ax.plot([], [], color="0.3", label="nonparametric (Turnbull)")
    x = np.geomspace(*span, 400) if logx else np.linspace(*span, 400)
    for fit_ in fits:
        ax.plot(x, np.exp(fit_.family.logcdf(x, fit_.all_params)), label=fit_.name)
    if logx:
        ax.set_xscale("log")
    ax.set_xlim(*span)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("cumulative probability")
    ax.legend(frameon=False)
    return ax


def plot_average(table: Any, *, axes: Sequence[Any] | None = None) -> Any:
    """The Akaike-averaged model over the data: its density (or pmf) and its cdf against the data's.

    Left: the data's histogram (or observed frequencies) with the averaged density and each
    mixed model's, dashed and scaled by its weight. Right: the empirical cdf with the averaged and
    the mixed models' cdfs. Uses :meth:`klmodels.ComparisonTable.average`.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
    """
    average = table.average()
    fits = [table.fits[label] for label in average.used]
    obs = fits[0].observations
    values, prob = obs.distinct()
    if axes is None:
        _, axes = _pyplot().subplots(1, 2, figsize=(11, 4.2))
    density_ax, cdf_ax = axes[0], axes[1]
    discrete = fits[0].kind == "discrete"
    if discrete:
        density_ax.bar(values, prob, color="0.8", label="observed")
        grid = np.arange(values.min(), values.max() + 1)
        density_ax.plot(grid, average.pmf(grid), "o-", color="black", ms=3, label="average")
    else:
        bins = max(10, min(60, int(2 * round((obs.n_obs or values.size) ** (1 / 3)))))  # Rice rule
        density_ax.hist(values, bins=bins, weights=prob, density=True, color="0.8", label="data")
        grid = np.linspace(values.min(), values.max(), 400)
        density_ax.plot(grid, average.pdf(grid), color="black", lw=2, label="average")
    for fit_, weight in zip(fits, average.mixing_weights, strict=True):
        model = fit_.freeze()
        curve = model.pmf(grid) if discrete else model.pdf(grid)
        density_ax.plot(grid, weight * curve, "--", lw=1, label=f"{fit_.name} x {weight:.2f}")
        cdf_ax.plot(grid, model.cdf(grid), "--", lw=1, label=fit_.name)
    cdf_ax.step(values, np.cumsum(prob), where="post", color="0.4", label="empirical")
    cdf_ax.plot(grid, average.cdf(grid), color="black", lw=2, label="average")
    density_ax.set_title("averaged model over the data")
    cdf_ax.set_title("cumulative distribution")
    density_ax.legend(frameon=False, fontsize=8)
    cdf_ax.legend(frameon=False, fontsize=8)
    return np.asarray(axes)


def plot_prior_predictive(
    data: Any,
    family: Any,
    *,
    ax: Any = None,
    draws: int = 50,
    random_seed: int | None = 0,
    priors: Any = None,
    **options: Any,
) -> Any:
    """What the Bayesian comparison's priors imply: densities drawn from them over the data.

    Each thin line is the density (or pmf) of one parameter set drawn from the priors that
    :func:`klmodels.bayes.compare` would give ``family`` on ``data`` (the default data-scaled
    ones, or ``priors=``); the data and the maximum-likelihood fit are drawn as in
    :func:`plot_fit`. Weakly informative priors spread their lines around the data without
    excluding it. Needs the ``bayes`` extra; ``options`` go to :func:`klmodels.fit`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from klmodels import bayes
    from klmodels.fitting import fit as fit_one

    best = fit_one(data, family, **options)
    ax = plot_fit(best, ax=ax)
    sets = bayes.prior_draws(
        data, family, draws=draws, random_seed=random_seed, priors=priors, **options
    )
    obs = best.observations
    if best.kind == "discrete":
        grid = np.arange(obs.min, obs.max + 1)
    else:
        pad = 0.05 * (obs.max - obs.min or 1.0)
        grid = np.linspace(obs.min - pad, obs.max + pad, 400)
    top = ax.get_ylim()[1]
    for params in sets:
        with np.errstate(all="ignore"):
            density = np.exp(best.family.logpdf(grid, params))
        ax.plot(grid, np.clip(density, 0, 3 * top), color="tab:gray", lw=0.6, alpha=0.4, zorder=2)
    ax.plot([], [], color="tab:gray", lw=0.6, label=f"{len(sets)} draws from the priors")
    ax.set_ylim(0, 1.5 * top)
    ax.set_title(f"Prior predictive: {best.family.name}")
    ax.legend(frameon=False, fontsize="small")
    return ax
