"""How results look in a terminal and a notebook: the comparison table and the fit.

:class:`ComparisonTable` is what :func:`klmodels.compare` returns: a pandas DataFrame (every
DataFrame operation works on it) that also carries the :class:`~klmodels.Fit` of each row in
``.fits`` and shows, above the numbers, what they mean: how many families, how many
observations, the ranking criterion, the unit and the data's entropy.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from klmodels.errors import ParameterError
from klmodels.frozen import FrozenMapping
from klmodels.mixture import mixture
from klmodels.tablefile import read_frame, write_comparison

__all__ = ["ComparisonTable", "fit_html"]


def _params_text(params: Any) -> str:
    if not isinstance(params, Mapping) or not params:
        return ""
    items = list(itertools.islice(params.items(), 4))  # not all: the empirical model has millions
    text = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in items)
    return text + (f", ... ({len(params) - 4} more)" if len(params) > 4 else "")


def _number(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.2e}"
        return f"{value:.{digits}f}"
    return str(value)


class ComparisonTable(pd.DataFrame):
    """The ranked comparison of families: a DataFrame with each row's Fit and a readable display.

    Attributes
    ----------
    fits : Mapping[str, Fit]
        The fitted model of each row that could be fitted, by label (``table.fits["gamma"]``);
        by ``(column, label)`` for the tables of several columns that ``frame.kl.compare()`` makes.
    """

    _metadata: ClassVar[list[str]] = ["fits"]  # pandas carries these attributes to derived frames
    fits: Mapping[
        Any, Any
    ]  # set in __init__ (an annotation only: pandas would take it as a column)

    @property
    def _constructor(self) -> type[ComparisonTable]:
        return ComparisonTable

    def __init__(self, *args: Any, fits: Mapping[Any, Any] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        object.__setattr__(self, "fits", FrozenMapping(fits or {}))

    @property
    def unit(self) -> str:
        """The unit of the information columns (bits, nats, ...), as the comparison recorded it."""
        if "unit" in self.attrs:
            return str(self.attrs["unit"])
        for column in self.columns:  # a table saved before the unit was recorded
            if (
                isinstance(column, str)
                and column.startswith("kl_")
                and not column.startswith("kl_binned")
            ):
                return column[3:]
        return "bits"

    def average(self) -> Any:
        r"""The table's models mixed by their Akaike weights: a frozen scipy distribution.

        .. math:: f(x) = \sum_k w_k f_k(x), \qquad w_k = e^{-\Delta_k/2} / \sum_j e^{-\Delta_j/2}

        under the table's criterion (AICc by default). Rows without a fit or without a finite,
        positive weight are left out; the result's ``used`` attribute names the rows mixed and
        ``mixing_weights`` their weights (renormalised). It has ``pdf``/``pmf``, ``cdf``, ``sf``,
        ``ppf``, ``isf``, ``rvs``, ``mean``, ``var``, ``interval`` (see :mod:`klmodels.mixture`).

        Raises
        ------
        ParameterError
            For a table without weights (``criterion="kl"``, or relative frequencies without
            ``n_obs``), a table of several columns, or no row with a positive weight.
        """
        if isinstance(self.index, pd.MultiIndex):
            raise ParameterError("average one column's comparison at a time: table.loc[column]")
        weights = (
            self["weight"].to_numpy(dtype=float, na_value=np.nan) if "weight" in self else None
        )
        if weights is None or not np.isfinite(weights).any():
            raise ParameterError(
                "this table has no Akaike weights to average with: compare with criterion='aicc' "
                "(or 'aic', 'bic'), and n_obs= for relative frequencies"
            )
        used = [
            label
            for label, w in zip(self.index, weights, strict=True)
            if label in self.fits and np.isfinite(w) and w > 0
        ]
        if not used:
            raise ParameterError("no fitted row has a positive weight to average")
        shares = np.array([weights[list(self.index).index(label)] for label in used])
        model = mixture([self.fits[label].freeze() for label in used], shares)
        model.used = tuple(used)
        model.mixing_weights = pd.Series(shares / shares.sum(), index=used, name="weight")
        return model

    def save(self, path: Any) -> Any:
        """Write the table and its attrs to a JSON file (see :mod:`klmodels.tablefile`).

        ``klm.read_comparison(path)`` reads it back (without ``.fits``, which need the data).
        """
        return write_comparison(self, path)

    def header(self) -> str:
        """One line on what the table holds and how to read it."""
        attrs = self.attrs
        if "by_column" in attrs:  # several columns, one comparison each (frame.kl.compare())
            columns = ", ".join(str(c) for c in attrs["by_column"])
            return (
                f"klmodels comparisons of {len(attrs['by_column'])} columns ({columns}), best first "
                f"within each; information in {self.unit} per observation; "
                "table.attrs['by_column'][column] holds each comparison's header data"
            )
        n = attrs.get("n_obs")
        n_text = "relative frequencies (no n_obs)" if n is None else f"n_obs={n:g}"
        criterion = attrs.get("criterion", "aicc")
        entropy = attrs.get(f"entropy_{self.unit}")
        entropy_text = (
            ""
            if entropy is None or math.isnan(entropy)
            else f"; data entropy {entropy + 0.0:.4f} {self.unit}"  # + 0.0: never "-0.0000"
        )
        by = (
            "kl (information loss; ranked by cross-entropy, the same order)"
            if criterion == "kl"
            else criterion
        )
        censoring = attrs.get("censoring")
        if censoring is not None:
            low, high = attrs.get("truncation", [None, None])
            parts = [f"{censoring[g]:g} {g}" for g in ("left", "right", "interval") if censoring[g]]
            entropy_text = "; censored: " + (", ".join(parts) or "none")
            if (low, high) != (None, None):
                entropy_text += f"; truncated to ({low}, {high})"
            entropy_text += "; " + attrs.get("kl_note", "no absolute kl")
            if "gof_note" in attrs:
                entropy_text += "; goodness of fit: " + attrs["gof_note"]
        return (
            f"klmodels comparison of {len(self)} families on {n_text}, best first by {by} "
            f"(lower is better); information in {self.unit} per observation{entropy_text}"
        )

    def _display_frame(self) -> pd.DataFrame:
        shown = pd.DataFrame(self).copy()
        for column in ("params", "fixed"):
            if column in shown:
                shown[column] = shown[column].map(_params_text)
        return shown

    def __repr__(self) -> str:
        return f"{self.header()}\n{self._display_frame()!r}"

    def _repr_html_(self) -> str:
        shown = self._display_frame()
        formatters = {
            c: (
                lambda v, d=2 if c in ("loglik", "aic", "aicc", "bic", "delta", "g_stat") else 4: (
                    _number(v, d)
                )
            )
            for c in shown.columns
            if c not in ("params", "fixed", "note", "k", "g_dof")
        }
        table = shown.to_html(formatters=formatters, na_rep="", escape=True, border=0)
        return f"<p><b>{html.escape(self.header())}</b></p>{table}"


def read_comparison(path: Any) -> ComparisonTable:
    """Read a table written by ``table.save(path)`` back into a :class:`ComparisonTable`.

    The columns, their dtypes and ``attrs`` come back; ``.fits`` (which need the data) do not.

    Raises
    ------
    DataError
        If the file is not a klmodels comparison (wrong format, version or JSON).
    """
    frame = read_frame(path)
    table = ComparisonTable(frame)
    table.attrs = frame.attrs
    return table


def fit_html(fit: Any) -> str:
    """A small HTML summary of a Fit for notebooks."""
    rows = [
        ("family", fit.name),
        ("estimated", _params_text(fit.params) or "(nothing)"),
        ("fixed", _params_text(dict(fit.fixed)) or "(nothing)"),
        ("k", fit.k),
        ("n_obs", "unknown" if fit.n_obs is None else f"{fit.n_obs:g}"),
        ("log-likelihood (nats)", _number(fit.loglik, 3)),
        ("cross-entropy (bits per observation)", _number(fit.cross_entropy_bits)),
        ("KL divergence D(data || model) (bits per observation)", _number(fit.kl_bits)),
        ("AIC / AICc / BIC", " / ".join(_number(v, 2) for v in (fit.aic, fit.aicc, fit.bic))),
    ]
    if fit.note:
        rows.append(("note", fit.note))
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in rows
    )
    return f"<table>{body}</table>"
