"""One self-contained HTML file to hand to a colleague: the data, the ranking, the pictures, the caveats.

:func:`report` compares families on the data (or takes a finished comparison table) and writes one
HTML file with everything inside it: the pictures are PNGs embedded as ``data:`` URIs, the style
is inline, and there are no scripts and no network resources, so the file opens the same offline,
in a mail attachment or years later. Sections: the data's summary; the ranked table with its
header (units, criterion, notes); "is the difference real" (each family's gap to the best with
its paired standard error and Vuong's p-value, in words); the fitted models over the data and
the information-loss chart; Q-Q and P-P plots of the best fit (raw continuous data) or the
fitted cdfs against Turnbull's estimate (censored data); and the optional parts asked for:
goodness of fit, bootstrap, Bayesian comparison.

The pictures are drawn on :class:`matplotlib.figure.Figure` objects, not through pyplot, so a
report changes no global plotting state.
"""

from __future__ import annotations

import base64
import datetime
import html
import inspect
import io
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from klmodels.censored import CensoredFit, CensoredObservations
from klmodels.display import ComparisonTable
from klmodels.errors import MissingExtraError, ParameterError
from klmodels.family import Family
from klmodels.fitting import Fit
from klmodels.selection import compare

__all__ = ["report"]

Candidate = str | Family | Any

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
.meta, .note { color: #666; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: right; }
th { background: #f6f6f6; } td:last-child { text-align: left; }
img { max-width: 100%; height: auto; display: block; margin: 0.8em 0; }
.verdict { margin: 0.3em 0; } .wide { overflow-x: auto; }
"""


def _figure_html(draw: Callable[[Any], None], size: tuple[float, float], alt: str) -> str:
    """Draw on a new matplotlib Figure and return it as an embedded PNG ``<img>``."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingExtraError("matplotlib", "plot", "The report's pictures") from None
    figure = Figure(figsize=size, layout="constrained")
    draw(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def _summary(table: ComparisonTable) -> pd.DataFrame:
    """The data's size, range, centre and spread, from the best fit's observations."""
    fit = next(table.fits[label] for label in table.index if label in table.fits)
    obs = fit.observations
    if isinstance(obs, CensoredObservations):
        rows: dict[str, Any] = {"observations": obs.n_obs, **obs.counts}
        low, high = obs.truncation
        if (low, high) != (-math.inf, math.inf):
            rows["truncation"] = f"({low:g}, {high:g})"
        return pd.DataFrame({"value": pd.Series(rows, dtype=object)})
    sample = obs.sample  # the library's own weighted reductions
    rows = {
        "observations": obs.n_obs if obs.n_obs is not None else "relative frequencies",
        "distinct values": obs.distinct()[0].size,
        "minimum": float(obs.min),
        "median": float(sample.median),
        "maximum": float(obs.max),
        "mean": float(sample.mean),
        "standard deviation": float(sample.sd),
        "kind": table.attrs.get("kind", ""),
    }
    shown = {k: f"{v:.6g}" if isinstance(v, float) else v for k, v in rows.items()}
    return pd.DataFrame({"value": pd.Series(shown, dtype=object)})


def _verdicts(table: ComparisonTable) -> list[str]:
    """Each family against the best, in words: the gap, its standard error, Vuong's p-value."""
    unit = table.unit
    gap, se = f"dkl_{unit}", f"dkl_se_{unit}"
    if gap not in table.columns or len(table) < 2:
        return []
    best = str(table.index[0])
    out = []
    for label, row in table.iloc[1:].iterrows():
        d, s = float(row[gap]), float(row[se])
        if not math.isfinite(d):
            out.append(f"{label}: {row.get('note') or 'no finite gap to the best'}")
            continue
        p = row.get("vuong_p", math.nan)
        p_text = f", Vuong p = {p:.3g}" if p is not None and math.isfinite(p) else ""
        real = (
            "a real difference"
            if math.isfinite(s) and d > 2 * s
            else "not distinguishable from the best on these data"
        )
        out.append(
            f"{label} loses {d:.4g} ± {s:.2g} {unit} per observation more than {best}{p_text}: "
            f"{real}."
        )
    return out


def _frame_html(frame: pd.DataFrame, digits: int = 4) -> str:
    shown = frame.copy()
    for column in shown.columns:
        if shown[column].dtype.kind == "f":
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.{digits}g}")
    return f'<div class="wide">{shown.to_html(escape=True, border=0)}</div>'


def _pictures(table: ComparisonTable) -> list[str]:
    from klmodels import plotting

    fits = [table.fits[label] for label in table.index if label in table.fits]
    if not fits:
        return []
    if isinstance(fits[0], CensoredFit):
        return [
            "<h2>Fitted cdfs against the nonparametric estimate</h2>",
            _figure_html(
                lambda fig: plotting.plot_censored(table, ax=fig.subplots()),
                (8, 4.8),
                "fitted cdfs against Turnbull's estimate",
            ),
        ]
    parts = [
        "<h2>The fitted models over the data</h2>",
        _figure_html(
            lambda fig: plotting.plot_comparison(table, axes=fig.subplots(1, 2)),
            (13, 4.8),
            "fitted models over the data, and the information lost by each",
        ),
    ]
    best = fits[0]
    if isinstance(best, Fit) and best.kind == "continuous" and best.observations.weights is None:

        def qq_pp(fig: Any) -> None:
            left, right = fig.subplots(1, 2)
            plotting.plot_qq(best, ax=left, envelope=99, rng=0)
            plotting.plot_pp(best, ax=right, envelope=99, rng=0)

        parts += [
            f"<h2>Q-Q and P-P plots of the best fit ({html.escape(best.name)})</h2>",
            '<p class="note">Grey: where 95% of samples drawn from the fit, each refitted, fall '
            "(99 simulations).</p>",
            _figure_html(qq_pp, (12, 4.8), f"Q-Q and P-P plots of {best.name}"),
        ]
    return parts


def _bootstrap_html(
    data: Any, families: Any, n_boot: int, rng: Any, kwargs: Mapping[str, Any]
) -> str:
    from klmodels.uncertainty import bootstrap

    result = bootstrap(data, families, n_boot=n_boot, rng=rng, **kwargs)
    wins = result.wins.rename("share of resamples ranked first").to_frame()
    return (
        f"<h2>Bootstrap ({n_boot} resamples)</h2>"
        f"<p>How often each family ranks first when the data are resampled, and "
        f"{result.confidence:.0%} percentile intervals of each estimate.</p>"
        + _frame_html(wins, 3)
        + _frame_html(result.intervals, 4)
    )


def _bayes_html(data: Any, families: Any, kwargs: Mapping[str, Any], draws: int) -> str:
    from klmodels import bayes

    result = bayes.compare(
        data, families, draws=draws, tune=draws, chains=2, random_seed=0, **kwargs
    )
    return (
        "<h2>Bayesian view: leave-one-out cross-validation</h2>"
        f"<p>PSIS-LOO with PyMC and ArviZ ({draws} draws in each of 2 chains); "
        "<code>loo_cross_entropy</code> is on the same per-observation scale as the plug-in "
        "information loss.</p>" + _frame_html(result.table, 4)
    )


def report(
    data: Any,
    path: str | Path,
    families: Candidate | Iterable[Candidate] | Mapping[str, Candidate] | None = None,
    *,
    title: str | None = None,
    gof: bool = False,
    bootstrap: int = 0,
    bayes: bool = False,
    bayes_draws: int = 500,
    rng: Any = 0,
    **compare_options: Any,
) -> Path:
    r"""Write a one-file HTML report of a comparison: data, ranking, pictures, optional parts.

    Parameters
    ----------
    data
        Anything :func:`klmodels.compare` takes (raw or weighted observations, censored data),
        or a finished comparison table (then ``families``, ``gof`` and the options are not used,
        and the bootstrap and Bayesian parts, which need the data, are not available).
    path
        Where to write the ``.html`` file (its folder must exist).
    families
        The candidates, as for :func:`klmodels.compare` (default: chosen by the data).
    title
        The report's heading (default: the data's name, or "klmodels report").
    gof
        Add the goodness-of-fit statistics (and, for exact data, calibrated p-values).
    bootstrap
        Number of nonparametric bootstrap resamples to add (0: none).
    bayes
        Add the Bayesian comparison (needs the ``bayes`` extra; samples ``bayes_draws`` draws
        after as many tuning steps in 2 chains per family).
    rng
        Seed of the bootstrap, the goodness-of-fit resamples and the simulation envelopes.
    **compare_options
        Passed to :func:`klmodels.compare` (``weights=``, ``support=``, ``truncation=``, ...).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ParameterError
        For a folder that does not exist, or optional parts asked of a finished table.
    """
    path = Path(path)
    if not path.parent.exists():
        raise ParameterError(
            f"cannot write the report to {str(path)!r}: the folder {str(path.parent)!r} does not "
            "exist; create it or choose another path"
        )
    if isinstance(data, ComparisonTable):
        if bootstrap or bayes:
            raise ParameterError(
                "bootstrap= and bayes= need the data, not a finished table: pass the data to "
                "klm.report (it runs the comparison itself)"
            )
        table = data
    else:
        table = compare(data, families, gof=gof, gof_rng=rng, **compare_options)
    if not isinstance(table, ComparisonTable) or not table.fits:
        raise ParameterError("klm.report takes data or a klmodels.compare(...) table with its fits")
    name = getattr(data, "name", None)
    heading = title or (f"klmodels report: {name}" if isinstance(name, str) else "klmodels report")
    from klmodels import __version__

    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        f"<h1>{html.escape(heading)}</h1>",
        f'<p class="meta">klmodels {html.escape(__version__)}, {stamp}</p>',
        "<h2>The data</h2>",
        _frame_html(_summary(table)),
        "<h2>Ranking</h2>",
        f'<div class="wide">{table._repr_html_()}</div>',
    ]
    verdicts = _verdicts(table)
    if verdicts:
        body += ["<h2>Is the difference real?</h2>"]
        body += [f'<p class="verdict">{html.escape(v)}</p>' for v in verdicts]
        body += [
            '<p class="note">A gap larger than twice its paired standard error is called real; '
            "Vuong's test asks the same of the two models' log-likelihood ratios.</p>"
        ]
    body += _pictures(table)
    if not isinstance(data, ComparisonTable):
        if bootstrap:
            from klmodels.uncertainty import bootstrap as run_bootstrap

            options = _accepted(run_bootstrap, compare_options)
            body.append(_bootstrap_html(data, families, bootstrap, rng, options))
        if bayes:
            from klmodels import bayes as bayesian

            options = _accepted(bayesian.compare, compare_options)
            fitted = {label: fit.family for label, fit in table.fits.items()}  # as ranked above
            body.append(_bayes_html(data, fitted, options, bayes_draws))
    document = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(heading)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
    path.write_text(document, encoding="utf-8")
    return path


def _accepted(function: Callable[..., Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of the comparison that ``function`` takes too (the same data, the same families)."""
    names = inspect.signature(function).parameters
    return {k: v for k, v in options.items() if k in names}
