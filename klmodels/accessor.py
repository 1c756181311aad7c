"""The pandas ``.kl`` accessor on Series and DataFrame: thin, stateless delegates to the API.

A Series accessed through ``.kl`` holds *observations* (raw values, or distinct values with
``weights=``). For a Series that *is* a distribution (index = outcome, values =
probability), use :func:`klmodels.entropy` and :func:`klmodels.kl_divergence` directly.

pandas builds a new accessor object on every attribute access, so these classes keep only
the pandas object and validate it cheaply.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Literal

import pandas as pd

from klmodels.censored import censored
from klmodels.data import NanPolicy, Observations
from klmodels.display import ComparisonTable
from klmodels.divergence import entropy, kl_divergence
from klmodels.errors import AccessorError, DataError, ParameterError
from klmodels.family import Candidate
from klmodels.fitting import Fit, fit
from klmodels.selection import compare, select

__all__ = ["DataFrameAccessor", "SeriesAccessor"]


PlotKind = Literal["fit", "loss", "qq", "pp", "comparison"]


def _plot(table: Any, kind: str, ax: Any) -> Any:
    from klmodels import plotting

    if kind == "fit":
        return plotting.plot_fit(table, ax=ax)
    if kind == "loss":
        return plotting.plot_information_loss(table, ax=ax)
    if kind in ("qq", "pp"):
        best = table.fits[next(label for label in table.index if label in table.fits)]
        return (plotting.plot_qq if kind == "qq" else plotting.plot_pp)(best, ax=ax)
    if kind == "comparison":
        return plotting.plot_comparison(table, axes=ax)
    raise ParameterError(f"kind must be one of fit, loss, qq, pp, comparison; got {kind!r}")


def _numeric(dtype: Any) -> bool:
    return (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)) and not (
        pd.api.types.is_complex_dtype(dtype)
    )


@pd.api.extensions.register_series_accessor("kl")
class SeriesAccessor:
    """``Series.kl``: information measures and model selection for a column of observations.

    Raises
    ------
    AccessorError
        On a Series that is not numeric or boolean (pandas' rule for unsuitable accessors).
    """

    def __init__(self, series: pd.Series):
        if not _numeric(series.dtype):
            raise AccessorError(
                f"the .kl accessor needs a numeric or boolean Series; this one has dtype {series.dtype}. "
                "Convert it first, e.g. s.astype(float)."
            )
        self._obj = series

    def observations(
        self, weights: Any = None, *, n_obs: float | None = None, nan_policy: NanPolicy = "raise"
    ) -> Observations:
        """The Series as validated :class:`~klmodels.Observations`."""
        return Observations.from_data(self._obj, weights, n_obs=n_obs, nan_policy=nan_policy)

    def entropy(
        self, weights: Any = None, *, base: float = 2.0, nan_policy: NanPolicy = "raise"
    ) -> float:
        """Entropy of the observed values' distribution (see :func:`klmodels.entropy`)."""
        return entropy(self.observations(weights, nan_policy=nan_policy), base=base)

    def divergence(
        self, other: Any, weights: Any = None, *, base: float = 2.0, nan_policy: NanPolicy = "raise"
    ) -> float:
        """D(these observations ‖ other): other is a Fit, a frozen scipy model, or a Series of observations."""
        if isinstance(other, pd.Series):
            other = Observations.from_data(other, nan_policy=nan_policy)
        return kl_divergence(self.observations(weights, nan_policy=nan_policy), other, base=base)

    def fit(self, family: Candidate, **kwargs: Any) -> Fit:
        """Fit one family (see :func:`klmodels.fit`; fixed parameters as keywords)."""
        return fit(self._obj, family, **kwargs)

    def compare(
        self, families: Candidate | Iterable[Candidate] | None = None, **kwargs: Any
    ) -> pd.DataFrame:
        """Rank families by information loss (see :func:`klmodels.compare`)."""
        return compare(self._obj, families, **kwargs)

    def select(self, families: Candidate | Iterable[Candidate] | None = None, **kwargs: Any) -> Fit:
        """The best fit (see :func:`klmodels.select`)."""
        best = select(self._obj, families, **kwargs)
        assert isinstance(best, Fit)  # a Series of exact values
        return best

    def bayes_compare(self, families: Any = None, **kwargs: Any) -> Any:
        """Bayesian LOO comparison (see :func:`klmodels.bayes.compare`; needs ``klmodels[bayes]``)."""
        from klmodels import bayes

        return bayes.compare(self._obj, families, **kwargs)

    def plot(
        self, kind: PlotKind = "fit", families: Any = None, *, ax: Any = None, **kwargs: Any
    ) -> Any:
        """Compare families and draw the result (see :mod:`klmodels.plotting`; needs ``klmodels[plot]``).

        ``kind``: ``"fit"`` (the best fits over the data), ``"loss"`` (information-loss chart),
        ``"qq"`` / ``"pp"`` (of the best fit), ``"comparison"`` (fit and loss side by side; ``ax``
        is then a pair of Axes). Other keywords go to :func:`klmodels.compare`.
        """
        return _plot(compare(self._obj, families, **kwargs), kind, ax)


@pd.api.extensions.register_dataframe_accessor("kl")
class DataFrameAccessor:
    """``DataFrame.kl``: the Series methods for a named column, and ``compare()`` over all numeric columns.

    ``weights`` may name a column of the DataFrame.

    Raises
    ------
    AccessorError
        On a DataFrame without numeric or boolean columns.
    """

    def __init__(self, frame: pd.DataFrame):
        if not any(_numeric(dtype) for dtype in frame.dtypes):
            raise AccessorError(
                "the .kl accessor needs a DataFrame with at least one numeric or boolean column; "
                f"this one has dtypes {dict(frame.dtypes.astype(str))}"
            )
        self._obj = frame

    def _column(self, column: Hashable) -> pd.Series:
        if column not in self._obj.columns:
            raise DataError(f"no column {column!r}; the columns are {list(self._obj.columns)}")
        return self._obj[column]

    def _weights(self, weights: Any) -> Any:
        """A column label (of any type, integers included) names a column; anything else is data."""
        if weights is None or not isinstance(weights, Hashable):
            return weights
        if weights in self._obj.columns:
            return self._obj[weights]
        if isinstance(weights, str):
            return self._column(weights)  # the error lists the columns
        raise DataError(
            f"weights={weights!r} is not a column; the columns are {list(self._obj.columns)}. "
            "Pass a column label, or one weight per row (a list, array or Series)"
        )

    def numeric_columns(self) -> list[Hashable]:
        """Names of the numeric and boolean columns."""
        return [c for c, dtype in self._obj.dtypes.items() if _numeric(dtype)]

    def entropy(self, column: Hashable, weights: Any = None, **kwargs: Any) -> float:
        """Entropy of one column's observations (``weights`` may be a column name)."""
        return self._column(column).kl.entropy(self._weights(weights), **kwargs)

    def fit(self, column: Hashable, family: Candidate, weights: Any = None, **kwargs: Any) -> Fit:
        """Fit one family to one column (see :func:`klmodels.fit`)."""
        return fit(self._column(column), family, weights=self._weights(weights), **kwargs)

    def select(
        self, column: Hashable, families: Any = None, weights: Any = None, **kwargs: Any
    ) -> Fit:
        """The best fit for one column (see :func:`klmodels.select`)."""
        best = select(self._column(column), families, weights=self._weights(weights), **kwargs)
        assert isinstance(best, Fit)  # a column of exact values
        return best

    def plot(self, column: Hashable, kind: PlotKind = "fit", families: Any = None, weights: Any = None, *,
             ax: Any = None, **kwargs: Any) -> Any:  # fmt: skip
        """Compare families for one column and draw the result (see :meth:`SeriesAccessor.plot`)."""
        table = compare(self._column(column), families, weights=self._weights(weights), **kwargs)
        return _plot(table, kind, ax)

    def bayes_compare(
        self, column: Hashable, families: Any = None, weights: Any = None, **kwargs: Any
    ) -> Any:
        """Bayesian LOO comparison for one column (see :func:`klmodels.bayes.compare`)."""
        from klmodels import bayes

        return bayes.compare(
            self._column(column), families, weights=self._weights(weights), **kwargs
        )

    def compare(
        self,
        column: Hashable | None = None,
        families: Candidate | Iterable[Candidate] | Mapping[str, Candidate] | None = None,
        weights: Any = None,
        *,
        left: Hashable | None = None,
        right: Hashable | None = None,
        event: Hashable | None = None,
        **kwargs: Any,
    ) -> pd.DataFrame:
        """Rank families for one column, or for every numeric column (see :func:`klmodels.compare`).

        With ``column=None`` the result has a (column, family) MultiIndex, one block per numeric
        column (the weights column, if named, is not compared).

        Censored data (see :func:`klmodels.censored`): ``left=`` and ``right=`` name the columns
        of the two bounds (NaN for an open end, equal for an exact value), or ``column`` holds
        times and ``event=`` names the column saying whether the event was observed.
        """
        w = self._weights(weights)
        if left is not None or right is not None:
            if column is not None or event is not None:
                raise ParameterError(
                    "give left= and right= columns, or a column with event=, not both"
                )
            if left is None or right is None:
                raise ParameterError("censored bounds need both left= and right= columns")
            data = censored(left=self._column(left), right=self._column(right), weights=w)
            return compare(data, families, **kwargs)
        if event is not None:
            if column is None:
                raise ParameterError(
                    "event= needs the column of times: frame.kl.compare('time', event='failed')"
                )
            data = censored(time=self._column(column), event=self._column(event), weights=w)
            return compare(data, families, **kwargs)
        if column is not None:
            return compare(self._column(column), families, weights=w, **kwargs)
        columns = [
            c
            for c in self.numeric_columns()
            if not (isinstance(weights, Hashable) and c == weights)
        ]
        tables = {}
        for c in columns:
            try:
                tables[c] = compare(self._obj[c], families, weights=w, **kwargs)
            except Exception as exc:
                exc.add_note(f"(while comparing families for column {c!r})")
                raise
        combined = ComparisonTable(
            pd.concat(tables, names=["column", "family"]),
            fits={(c, label): fit for c, t in tables.items() for label, fit in t.fits.items()},
        )
        first = next(iter(tables.values()), None)
        combined.attrs = {
            "unit": first.unit if first is not None else "bits",
            "by_column": {c: dict(t.attrs) for c, t in tables.items()},
        }
        return combined


_dask_registered = False


def register_dask_accessors() -> None:
    """Register the ``.kl`` accessor on Dask Series and DataFrames (idempotent).

    Done when klmodels is imported after ``dask.dataframe``, and when Dask data are first passed
    to klmodels; call it yourself to use ``ddf.kl`` before either happened.
    """
    global _dask_registered
    if _dask_registered:
        return
    from dask.dataframe.extensions import register_dataframe_accessor, register_series_accessor

    register_series_accessor("kl")(SeriesAccessor)
    register_dataframe_accessor("kl")(DataFrameAccessor)
    _dask_registered = True
