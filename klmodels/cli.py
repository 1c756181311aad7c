"""The ``klmodels`` command: a thin shell over :func:`klmodels.compare`, :func:`klmodels.fit` and friends.

Reads CSV or Parquet (``-`` reads CSV from standard input). A mistake (a missing column, a
bad option, data a family cannot fit) is reported as one line on standard error with a
non-zero exit status: 2 for usage, 1 for everything else. Progress bars appear when standard
error is a terminal.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import click
import pandas as pd

import klmodels as klm
from klmodels.errors import DataError, KLModelsError, MissingExtraError
from klmodels.family import Kind, resolve
from klmodels.options import Criterion

FORMATS = click.Choice(["table", "csv", "json", "markdown"])

EXAMPLES = """
\b
Examples:
  klmodels compare data/toxocara_number.csv --column number
  klmodels compare data/space_worms.csv -c teeth -w share --support 0 10 --n-obs 100
  klmodels compare servings.parquet -c serving --kind continuous --format markdown --plot fits.png
  klmodels compare 's3://bucket/times/*.parquet' -c minutes --dask tcp://scheduler:8786
  klmodels fit data/space_worms.csv -c teeth -w share --family binom --fixed n=10
  klmodels entropy data/space_worms.csv -c teeth -w share
  klmodels families --kind discrete
  klmodels quantiles data/groundbeef_serving.csv -c serving -q 0.05 -q 0.95 --exceed 150 --average
  klmodels report data/groundbeef_serving.csv -c serving -f gamma,lognorm,weibull_min -o report.html
  klmodels bootstrap data/toxocara_number.csv -c number -f nbinom,poisson --n-boot 200
  klmodels bayes data/groundbeef_serving.csv -c serving -f gamma,lognorm --draws 500
"""


def read_table(path: str) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame; ``-`` reads CSV from standard input.

    Raises
    ------
    DataError
        For a file that cannot be read as what its name says (corrupt Parquet, a CSV named
        .parquet, bytes that are not UTF-8 text, a file with no columns).
    """
    if path == "-":
        raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"standard input is not UTF-8 text (byte {exc.object[exc.start]:#04x} at position "
                    f"{exc.start}); convert it first, e.g. iconv -f latin1 -t utf-8"
                ) from None
        return _read_csv(io.StringIO(raw), "standard input")
    file = Path(path)
    if not file.exists():
        raise click.UsageError(f"no such file: {path}")
    if file.is_dir():
        raise click.UsageError(f"{path} is a directory; give a CSV or Parquet file")
    if file.suffix.lower() in (".parquet", ".pq"):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise MissingExtraError("pyarrow", "parquet", "Reading Parquet") from None
        try:
            return pd.read_parquet(file)
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise DataError(
                f"cannot read {path} as Parquet ({type(exc).__name__}: {exc}); is it a Parquet file? "
                "A CSV file needs a .csv name"
            ) from None
    return _read_csv(file, path)


def _read_csv(source: Any, name: str) -> pd.DataFrame:
    try:
        return pd.read_csv(source)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{name} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at position {exc.start}); "
            "convert it first, e.g. iconv -f latin1 -t utf-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{name} is empty: no columns to read") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"cannot read {name} as CSV: {exc}") from None


@contextlib.contextmanager
def data_source(path: str, scheduler: str | None) -> Iterator[Any]:
    """FILE as a pandas DataFrame, or, with ``--dask SCHEDULER``, as a Dask DataFrame on that cluster.

    ``SCHEDULER`` is a scheduler's address (``tcp://host:8786``) or ``local`` (a cluster of threads
    in this process). The Dask frame is read lazily with ``dask.dataframe.read_parquet`` (a file, a
    directory of files, a glob or a URL the workers can read), so the data never enter this
    process; the client is closed when the comparison is done.
    """
    if scheduler is None:
        yield read_table(path)
        return
    try:
        import dask.dataframe as dd
        from distributed import Client
    except ImportError:
        raise MissingExtraError("dask", "dask", "--dask") from None
    if "://" not in path and not any(ch in path for ch in "*?[") and not Path(path).exists():
        raise click.UsageError(f"no such file or directory: {path}")
    client = (
        Client(processes=False, dashboard_address=None)
        if scheduler == "local"
        else Client(scheduler, timeout="20s")
    )
    try:
        try:
            frame = dd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read {path} as Parquet with Dask ({exc})") from None
        yield frame
    finally:
        client.close()


def column_of(frame: pd.DataFrame, name: str | None, what: str) -> pd.Series | None:
    """The column called ``name`` (None when not asked for); a usage error naming the columns otherwise."""
    if name is None:
        return None
    if name not in frame.columns:
        raise click.UsageError(
            f"no {what} column {name!r}; the file has {', '.join(map(str, frame.columns))}"
        )
    if hasattr(frame, "npartitions"):  # a Dask frame: its values are checked where they are
        return frame[name]
    if frame[name].isna().all():
        raise DataError(
            f"the {what} column {name!r} has no values"
            + (" (the file has a header and no rows)" if frame.empty else " (every row is empty)")
        )
    return frame[name]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if hasattr(value, "item"):
        return value.item()
    return value


def render(frame: pd.DataFrame, fmt: str, header: str | None = None) -> str:
    """A DataFrame as a text table, CSV, JSON records or a Markdown table."""
    flat = frame.copy()
    for column in flat.columns:
        if flat[column].map(lambda v: isinstance(v, Mapping)).any():
            flat[column] = flat[column].map(
                lambda v: json.dumps(_jsonable(v)) if isinstance(v, Mapping) else v
            )
    if fmt == "csv":
        return flat.to_csv()
    if fmt == "json":
        records = [
            {
                str(frame.index.name or "name"): str(label),
                **{k: _jsonable(v) for k, v in row.items()},
            }
            for label, row in frame.iterrows()
        ]
        return json.dumps({"header": header, "rows": records} if header else records, indent=1)
    if fmt == "markdown":
        table = flat.to_markdown(floatfmt=".6g")
        return f"{header}\n\n{table}" if header else table
    with pd.option_context(
        "display.width", 250, "display.max_columns", 50, "display.max_colwidth", 60
    ):
        text = frame.to_string() if header is None else repr(frame)
    return text


_CRITERIA_COLUMNS = ("loglik", "aic", "aicc", "bic", "delta", "g_stat", "ks", "cvm", "ad")


def rounded(frame: pd.DataFrame, digits: int) -> pd.DataFrame:
    """Float columns as text for people: criteria to 2 decimals, the rest to ``digits`` significant digits."""
    shown = frame.copy()
    for column in shown.columns:
        if shown[column].dtype.kind != "f":
            continue
        pattern = "{:.2f}" if column in _CRITERIA_COLUMNS else f"{{:.{digits}g}}"
        shown[column] = shown[column].map(lambda v, p=pattern: "" if pd.isna(v) else p.format(v))
    return shown


def parse_fixed(items: Sequence[str], parameters: Sequence[str] | None = None) -> dict[str, float]:
    """``["n=10", "p=0.5"]`` as ``{"n": 10.0, "p": 0.5}``, checked against the family's parameters."""
    fixed = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise click.UsageError(f"--fixed takes name=value, e.g. --fixed n=10; got {item!r}")
        if parameters is not None and name not in parameters:
            raise click.UsageError(
                f"--fixed {name}=: the family has no parameter {name!r}; its parameters are "
                f"{', '.join(parameters) or 'none'}"
            )
        try:
            fixed[name] = float(value)
        except ValueError:
            raise click.UsageError(f"--fixed {name}= needs a number; got {value!r}") from None
    return fixed


def support_option(values: tuple[float, float] | None) -> tuple[float, float | None] | None:
    """``--support LOW HIGH`` as klmodels' support: whole numbers as int, inf as no upper end."""
    if not values:
        return None
    low, high = values
    as_int = [int(v) if float(v).is_integer() else v for v in (low, high)]
    return as_int[0], (None if math.isinf(high) else as_int[1])


def data_options(command: Any, *, column_required: bool = True) -> Any:
    """FILE, ``--column`` and ``--weights``: where every data command finds its observations."""
    options = [
        click.argument("file"),
        click.option(
            "-c",
            "--column",
            required=column_required,
            help="The column of observations (or of distinct values, with --weights; of times, "
            "with --event).",
        ),
        click.option(
            "-w", "--weights", help="A column of counts or relative frequencies for the values."
        ),
    ]
    for option in reversed(options):  # applied bottom-up: FILE comes first in the help
        command = option(command)
    return command


format_option = click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)


@click.group(
    epilog=EXAMPLES,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(klm.__version__, prog_name="klmodels")
def cli() -> None:
    """Which probability model loses the least information about your data, and by how much."""


families_option = click.option(
    "-f", "--families", help="Comma-separated family names (default: chosen by the data)."
)


def censoring_options(command: Any) -> Any:
    """``--left``/``--right`` (censored bounds) and ``--event`` (survival data)."""
    options = [
        click.option(
            "--left", "left_column", help="Censored data: the column of lower bounds (empty: none)."
        ),
        click.option(
            "--right",
            "right_column",
            help="Censored data: the column of upper bounds (empty: none).",
        ),
        click.option(
            "--event",
            "event_column",
            help="Survival data: 1/0 whether the event in --column was seen.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


truncation_option = click.option(
    "--truncation",
    nargs=2,
    type=float,
    help="LOW HIGH: values were only recorded inside these bounds (-inf/inf for an open end).",
)
support_option_flag = click.option(
    "--support",
    nargs=2,
    type=float,
    help="LOW HIGH: the values the data can take (inf for none above).",
)


def truncation_bounds(
    truncation: tuple[float, float] | None,
) -> tuple[float | None, float | None] | None:
    """``--truncation LOW HIGH`` as klm.compare's ``truncation=`` (None for an infinite end)."""
    if truncation is None:
        return None
    low, high = truncation
    return (None if math.isinf(low) else low, None if math.isinf(high) else high)


kind_option = click.option(
    "--kind",
    type=click.Choice(["discrete", "continuous"]),
    help="Treat the data as discrete or continuous.",
)
digits_option = click.option(
    "--digits", type=click.IntRange(min=1, max=17), default=4, show_default=True,
    help="Significant digits in the table format.",
)  # fmt: skip


def analysis_inputs(command: Any) -> Any:
    """FILE, --column, --weights, --families and the censoring options of the analysis commands."""
    for option in (
        censoring_options,
        families_option,
        functools.partial(data_options, column_required=False),
    ):
        command = option(command)
    return command


def model_options(command: Any) -> Any:
    """--truncation, --support and --kind: what the data are, for the analysis commands."""
    for option in (kind_option, support_option_flag, truncation_option):
        command = option(command)
    return command


def read_inputs(
    file: str, column: str | None, weights: str | None, families: str | None,
    left: str | None, right: str | None, event: str | None,
) -> tuple[Any, Any, list[str] | None]:  # fmt: skip
    """The data (a column, censored bounds or times with events), their weights, the family names."""
    frame = read_table(file)
    data, w = observations_of(frame, column, weights, left, right, event)
    return data, w, family_names(families)


def family_names(families: str | None) -> list[str] | None:
    """``--families a,b`` as a list of names (None: chosen by the data)."""
    return [n.strip() for n in families.split(",")] if families else None


@cli.command(epilog=EXAMPLES)
@analysis_inputs
@click.option(
    "--digits",
    type=click.IntRange(min=1, max=17),
    default=3,
    show_default=True,
    help="Significant digits of the per-observation columns in the table format (criteria: 2 decimals).",
)
@click.option(
    "--gof",
    is_flag=True,
    help="Add KS, Cramer-von Mises, Anderson-Darling and their calibrated p-values (200 resamples).",
)
@truncation_option
@support_option_flag
@click.option(
    "--n-obs", type=float, help="Number of observations behind relative-frequency weights."
)
@click.option(
    "--criterion",
    type=click.Choice(["aicc", "aic", "bic", "kl"]),
    default="aicc",
    show_default=True,
)
@kind_option
@click.option(
    "--free-loc", is_flag=True, help="Also estimate loc (the full scipy forms that fitter fits)."
)
@click.option(
    "--bins",
    type=click.IntRange(min=1),
    help="Also report the histogram KL with this many bins (continuous data).",
)
@click.option(
    "--base",
    type=float,
    default=2.0,
    show_default=True,
    help="Logarithm base: 2 bits, 2.718281828 nats.",
)
@format_option
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    help="Save the fits and the information-loss chart as an image.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar (default: when stderr is a terminal).",
)
@click.option(
    "--dask", "scheduler", metavar="SCHEDULER",
    help="Read FILE (Parquet: a file, a directory, a glob or a URL) with Dask on this scheduler "
    "(tcp://host:8786, or 'local') and compare it there, without loading it here.",
)  # fmt: skip
def compare(
    file: str, column: str | None, weights: str | None, families: str | None,
    left_column: str | None, right_column: str | None, event_column: str | None,
    digits: int, gof: bool, truncation: tuple[float, float] | None, support: tuple[float, float] | None,
    n_obs: float | None, criterion: Criterion, kind: Kind | None, free_loc: bool, bins: int | None, base: float,
    fmt: str, plot: str | None, progress: bool | None, scheduler: str | None,
) -> None:  # fmt: skip
    """Rank families by how much information they lose about COLUMN of FILE."""
    check_plot_path(plot)
    if scheduler and (left_column or right_column or event_column):
        raise click.UsageError(
            "--dask takes exact observations; censored data are compared in memory"
        )
    if scheduler and gof:
        raise click.UsageError(
            "--gof needs the data in memory (its resamples refit each value); drop --dask or --gof"
        )
    names = family_names(families)
    with data_source(file, scheduler) as frame:
        data, w = observations_of(frame, column, weights, left_column, right_column, event_column)
        table = klm.compare(
            data, names, weights=w, support=support_option(support), n_obs=n_obs,
            criterion=criterion, kind=kind, free_loc=free_loc, bins=bins, base=base,
            truncation=truncation_bounds(truncation),
            progress=sys.stderr.isatty() if progress is None else progress, gof=gof, gof_rng=0,
        )  # fmt: skip
    if fmt == "table":  # the essentials; csv, json and markdown carry every column
        unit = table.unit
        ranked_by = criterion if criterion != "kl" else "aicc"
        wanted = ["params", "k", f"kl_{unit}", f"dkl_{unit}", f"dkl_se_{unit}", "vuong_p", ranked_by,
                  "delta", "weight", "g_p", f"kl_binned_{unit}", "ks_p", "cvm_p", "ad_p"]  # fmt: skip
        if "censoring" in table.attrs:  # censored: the statistics, as there are no p-values
            wanted += ["ks", "cvm", "ad"]
        shown = rounded(table[[c for c in wanted if c in table.columns]], digits)
    else:
        shown = table
    click.echo(render(shown, fmt, header=table.header()))
    notes = {label: note for label, note in table["note"].items() if note}
    if fmt == "table" and notes:
        click.echo("\nnotes:")
        for label, note in notes.items():
            click.echo(f"  {label}: {note}")
    if plot:
        save_plot(table, plot)


def observations_of(
    frame: pd.DataFrame, column: str | None, weights: str | None,
    left: str | None, right: str | None, event: str | None,
) -> tuple[Any, Any]:  # fmt: skip
    """The data to compare and their weights: a column, censored bounds, or times with events."""
    w = column_of(frame, weights, "weights")
    if left is not None or right is not None:
        if left is None or right is None or column is not None or event is not None:
            raise click.UsageError(
                "censored bounds need --left and --right (and no --column or --event)"
            )
        bounds = (column_of(frame, left, "left"), column_of(frame, right, "right"))
        return klm.censored(left=bounds[0], right=bounds[1], weights=w), None
    if column is None:
        raise click.UsageError(
            "Missing option '-c' / '--column'. Censored data: --left and --right."
        )
    if event is not None:
        times, events = column_of(frame, column, "time"), column_of(frame, event, "event")
        return klm.censored(time=times, event=events, weights=w), None
    return column_of(frame, column, "data"), w


def check_plot_path(path: str | None) -> None:
    """Fail before any work when ``--plot`` names a format matplotlib cannot write, or no folder."""
    if not path:
        return
    try:
        import matplotlib
    except ImportError:
        raise MissingExtraError("matplotlib", "plot", "--plot") from None
    matplotlib.use("Agg")  # the command owns its process: draw off screen
    from matplotlib.backend_bases import FigureCanvasBase

    suffix = Path(path).suffix.lower().lstrip(".")
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix not in formats:
        raise click.UsageError(
            f"--plot {path}: cannot write a {suffix or 'suffix-less'} image; name the file with one "
            f"of {', '.join(sorted(formats))} (e.g. fits.png)"
        )
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise click.UsageError(f"--plot {path}: the folder {folder} does not exist")


def save_plot(table: Any, path: str) -> None:
    """Draw the comparison off screen (Agg) and save it to ``path``."""
    check_plot_path(path)
    import matplotlib.pyplot as plt

    from klmodels.plotting import plot_censored, plot_comparison

    if "censoring" in table.attrs:  # censored data: fitted cdfs against Turnbull's estimate
        figure = plot_censored(table).figure
    else:
        figure = plot_comparison(table).flat[0].figure
    try:
        figure.savefig(path, dpi=120)
    except OSError as exc:
        raise DataError(f"--plot {path}: cannot write the image ({exc.strerror or exc})") from None
    finally:
        plt.close(figure)
    click.echo(f"plot saved to {path}", err=True)


@cli.command(epilog=EXAMPLES)
@data_options
@click.option(
    "--family",
    required=True,
    help="A family name (klmodels families lists them; any scipy.stats name works).",
)
@click.option(
    "--fixed", multiple=True, help="Hold a parameter fixed, e.g. --fixed n=10 (repeatable)."
)
@click.option("--support", nargs=2, type=float, help="LOW HIGH: the values the data can take.")
@click.option(
    "--n-obs", type=float, help="Number of observations behind relative-frequency weights."
)
@format_option
def fit(
    file: str, column: str, family: str, fixed: tuple[str, ...], weights: str | None,
    support: tuple[float, float] | None, n_obs: float | None, fmt: str,
) -> None:  # fmt: skip
    """Fit one FAMILY to COLUMN of FILE by maximum likelihood (= minimum KL)."""
    frame = read_table(file)
    model = resolve(family, klm.families)
    result = klm.fit(
        column_of(frame, column, "data"), model, weights=column_of(frame, weights, "weights"),
        support=support_option(support), n_obs=n_obs, **parse_fixed(fixed, model.param_names),  # type: ignore[arg-type]  # parameter names, never fit()'s own keywords
    )  # fmt: skip
    row = {
        "params": dict(result.params), "fixed": dict(result.fixed), "k": result.k, "n_obs": result.n_obs,
        "loglik": result.loglik, "cross_entropy_bits": result.cross_entropy_bits, "kl_bits": result.kl_bits,
        "aic": result.aic, "aicc": result.aicc, "bic": result.bic, "note": result.note,
    }  # fmt: skip
    frame_out = pd.DataFrame([row], index=pd.Index([result.name], name="family"))
    if fmt == "table":
        click.echo(repr(result))
    else:
        click.echo(render(frame_out, fmt))


@cli.command(epilog=EXAMPLES)
@data_options
@click.option("--base", type=float, default=2.0, show_default=True)
def entropy(file: str, column: str, weights: str | None, base: float) -> None:
    """The entropy of COLUMN's observed distribution (plug-in for whole numbers, estimated otherwise)."""
    frame = read_table(file)
    obs = klm.Observations.from_data(
        column_of(frame, column, "data"), column_of(frame, weights, "weights")
    )
    from klmodels.fitting import data_entropy
    from klmodels.information import as_log_base, unit_name

    if obs.integer_valued:
        value, note = obs.plugin_entropy_nats(), ""
    else:
        estimate = data_entropy(obs)
        value, note = estimate.value, estimate.note
    if math.isnan(value):
        raise DataError(f"no entropy: {note or 'the estimate is not defined for these data'}")
    click.echo(f"{value / as_log_base(base) + 0.0:.6g} {unit_name(base)}")  # + 0.0: no "-0"
    if note:
        click.echo(f"note: {note}", err=True)


@cli.command(epilog=EXAMPLES)
@data_options
@click.option(
    "-f", "--families", help="Comma-separated family names (default: chosen by the data)."
)
@click.option(
    "-q", "--quantile", "levels", type=click.FloatRange(0, 1, min_open=True, max_open=True),
    multiple=True, help="A probability level (repeat the option for several).",
)  # fmt: skip
@click.option(
    "--exceed", "thresholds", type=float, multiple=True, help="A threshold t for P(X > t)."
)
@click.option(
    "--average", is_flag=True, help="Show only the models averaged by their Akaike weights."
)
@click.option("--n-boot", type=click.IntRange(min=2), default=200, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--digits", type=click.IntRange(min=1, max=17), default=4, show_default=True)
@format_option
def quantiles(
    file: str, column: str, weights: str | None, families: str | None, levels: tuple[float, ...],
    thresholds: tuple[float, ...], average: bool, n_boot: int, seed: int, digits: int, fmt: str,
) -> None:  # fmt: skip
    """Quantiles and exceedance probabilities of COLUMN's models, with bootstrap intervals.

    Each family's and the averaged model's (mixed by Akaike weights, the averaging redone in every
    resample, so that not knowing which model is right widens its interval).
    """
    if not levels and not thresholds:
        raise click.UsageError("give at least one -q LEVEL or --exceed T")
    frame = read_table(file)
    names = family_names(families)
    result = klm.bootstrap(
        column_of(frame, column, "data"), names, weights=column_of(frame, weights, "weights"),
        n_boot=n_boot, rng=seed, quantiles=list(levels), exceedance=list(thresholds),
        progress=sys.stderr.isatty(),
    )  # fmt: skip
    wanted = [f"q{q:g}" for q in levels] + [f"P(X>{t:g})" for t in thresholds]
    table = result.intervals[result.intervals.index.get_level_values("quantity").isin(wanted)]
    if average:
        table = table.loc[["average"]]
    shown = (
        rounded(table[["estimate", "lower", "upper", "se"]], digits) if fmt == "table" else table
    )
    header = (
        f"{n_boot} nonparametric bootstrap resamples, {result.confidence:.0%} percentile intervals; "
        f"ranked first: " + ", ".join(f"{k} {v:.0%}" for k, v in result.wins.items())
    )
    click.echo(render(shown.reset_index() if fmt != "table" else shown, fmt, header=None))
    click.echo(header, err=True)


@cli.command("bootstrap", epilog=EXAMPLES)
@analysis_inputs
@click.option("--n-boot", type=click.IntRange(min=2), default=200, show_default=True)
@click.option(
    "--method", type=click.Choice(["nonparametric", "parametric"]), default="nonparametric",
    show_default=True, help="Resample the data, or simulate from the best fit.",
)  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True)
@model_options
@digits_option
@format_option
def bootstrap_command(
    file: str, column: str | None, weights: str | None, families: str | None,
    left_column: str | None, right_column: str | None, event_column: str | None, n_boot: int,
    method: str, seed: int, truncation: tuple[float, float] | None,
    support: tuple[float, float] | None, kind: Kind | None, digits: int, fmt: str,
) -> None:  # fmt: skip
    """How often each family wins on resampled data, and intervals for its parameters and kl."""
    data, w, names = read_inputs(
        file, column, weights, families, left_column, right_column, event_column
    )
    result = klm.bootstrap(
        data, names, weights=w, n_boot=n_boot, method=method, rng=seed, kind=kind,
        truncation=truncation_bounds(truncation), support=support_option(support),
        progress=sys.stderr.isatty(),
    )  # fmt: skip
    intervals = result.intervals.copy()
    families_of_rows = intervals.index.get_level_values("family")
    intervals["ranked_first"] = result.wins.reindex(families_of_rows).to_numpy()
    header = (
        f"{result.confidence:.0%} percentile intervals from {n_boot} {method} resamples; "
        "ranked_first: the share of resamples in which the family ranked first"
    )
    if fmt == "table":
        click.echo(f"{header}\n{render(rounded(intervals, digits), fmt)}")
    else:
        click.echo(render(intervals.reset_index(), fmt, header=header))


@cli.command("bayes", epilog=EXAMPLES)
@analysis_inputs
@click.option("--draws", type=click.IntRange(min=10), default=1000, show_default=True)
@click.option("--tune", type=click.IntRange(min=10), default=1000, show_default=True)
@click.option("--chains", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--loo-subsample",
    type=click.IntRange(min=0),
    help="LOO on a random sample of this many observations (0: never; default: when the "
    "pointwise log-likelihoods of every value would pass 1 GiB).",
)
@model_options
@digits_option
@format_option
def bayes_command(
    file: str, column: str | None, weights: str | None, families: str | None,
    left_column: str | None, right_column: str | None, event_column: str | None, draws: int,
    tune: int, chains: int, seed: int, loo_subsample: int | None,
    truncation: tuple[float, float] | None,
    support: tuple[float, float] | None, kind: Kind | None, digits: int, fmt: str,
) -> None:  # fmt: skip
    """Compare families by Bayesian leave-one-out cross-validation (PyMC, ArviZ), beside AICc."""
    data, w, names = read_inputs(
        file, column, weights, families, left_column, right_column, event_column
    )
    if loo_subsample == 1:
        raise click.BadParameter(
            "give 0 (never) or at least 2 observations", param_hint="--loo-subsample"
        )
    result = klm.bayes.compare(
        data, names, weights=w, draws=draws, tune=tune, chains=chains, random_seed=seed,
        kind=kind, truncation=truncation_bounds(truncation), support=support_option(support),
        loo_subsample=False if loo_subsample == 0 else loo_subsample,
        progress=sys.stderr.isatty(),
    )  # fmt: skip
    sizes = {int(e.subsample_size) for e in result.loo.values() if hasattr(e, "subsample_size")}
    sampled = f" on a random sample of {sizes.pop():,} observations" if sizes else ""
    header = (
        f"PSIS-LOO{sampled} (exact refits or K-fold where a note says), {chains} chains x {draws} "
        "draws; elpd and loo_cross_entropy per observation beside the plug-in kl and AICc; "
        f"{result.table.attrs.get('weights', 'stacking')} weights"
    )
    if fmt == "table":
        click.echo(f"{header}\n{render(rounded(result.table, digits), fmt)}")
    else:
        click.echo(render(result.table, fmt, header=header))


@cli.command(epilog=EXAMPLES)
@click.option("--kind", type=click.Choice(["discrete", "continuous"]), help="Only this kind.")
@format_option
def families(kind: Kind | None, fmt: str) -> None:
    """The registry of built-in families (scipy's names); any other scipy.stats name works too."""
    click.echo(render(klm.families.to_frame(kind), fmt))


@cli.command(epilog=EXAMPLES)
@analysis_inputs
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False),
    help="The HTML file to write (one self-contained file).",
)  # fmt: skip
@click.option("--title", help="The report's heading (default: the column's name).")
@click.option("--gof", is_flag=True, help="Add goodness-of-fit statistics and p-values.")
@click.option(
    "--bootstrap", "n_boot", type=click.IntRange(min=0), default=0, show_default=True,
    help="Add a nonparametric bootstrap with this many resamples.",
)  # fmt: skip
@click.option("--bayes", is_flag=True, help="Add the Bayesian comparison (PyMC; slow).")
@model_options
def report(
    file: str, column: str | None, weights: str | None, families: str | None,
    left_column: str | None, right_column: str | None, event_column: str | None, output: str,
    title: str | None, gof: bool, n_boot: int, bayes: bool,
    truncation: tuple[float, float] | None, support: tuple[float, float] | None, kind: Kind | None,
) -> None:  # fmt: skip
    """Write a one-file HTML report of the comparison on COLUMN of FILE: data, ranking, pictures."""
    folder = Path(output).resolve().parent
    if not folder.is_dir():
        raise click.UsageError(f"--output {output}: the folder {folder} does not exist")
    check_plot_path("report.png")  # matplotlib is there, drawing off screen
    data, w, names = read_inputs(
        file, column, weights, families, left_column, right_column, event_column
    )
    path = klm.report(
        data, output, names, title=title, gof=gof, bootstrap=n_boot, bayes=bayes, weights=w,
        truncation=truncation_bounds(truncation), support=support_option(support), kind=kind,
    )  # fmt: skip
    click.echo(f"report written to {path}", err=True)


def run(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script: one error line on stderr instead of a traceback."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="klmodels",
            standalone_mode=False,
        )
    except click.exceptions.Abort:
        click.echo("error: interrupted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return exc.exit_code
    except (
        KLModelsError,
        OSError,
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
    ) as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    return 0


def main() -> None:
    """``python -m klmodels.cli``."""
    sys.exit(run())


if __name__ == "__main__":
    main()
