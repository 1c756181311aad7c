"""A comparison table on disk: one JSON file that reads back into the same table.

The format (``"format": "klmodels-comparison"``, version 1) is plain JSON, readable by any tool::

    {"format": "klmodels-comparison", "version": 1,
     "attrs": {...},                       # the table's attrs: criterion, base, n_obs, entropy, ...
     "index": "family",
     "columns": [{"name": "k", "dtype": "Int64"}, ...],
     "rows": [{"family": "gamma", "params": {"a": 4.0}, "k": 2, "loglik": -1253.6, ...}, ...]}

Numbers are written with full precision (17 significant digits); NaN and missing values as
``null``, infinities as the strings ``"inf"`` and ``"-inf"``. Reading restores the columns, their
dtypes and ``attrs``; the fitted models (``.fits``) need the data and are not stored: refit with
``klm.fit(data, family, **params)``, or pickle the table to keep them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from klmodels.errors import DataError

__all__ = ["FORMAT", "read_frame", "write_comparison"]

FORMAT = "klmodels-comparison"
VERSION = 1


def _encode(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if value == "inf":
        return math.inf
    if value == "-inf":
        return -math.inf
    return value


def write_comparison(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a comparison table (with its attrs) to ``path`` as JSON; returns the path."""
    index = table.index.name or "family"
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "attrs": _encode(dict(table.attrs)),
        "index": index,
        "columns": [{"name": str(c), "dtype": str(table[c].dtype)} for c in table.columns],
        "rows": [
            {index: str(label), **{str(c): _encode(v) for c, v in row.items()}}
            for label, row in zip(table.index, table.to_dict(orient="records"), strict=True)
        ],
    }
    target = Path(path)
    target.write_text(json.dumps(payload, indent=1, allow_nan=False), encoding="utf-8")
    return target


def read_frame(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`write_comparison` (or ``table.save``) as a plain DataFrame.

    :func:`klmodels.read_comparison` wraps it in a :class:`~klmodels.ComparisonTable`.

    Raises
    ------
    DataError
        If the file is not a klmodels comparison (wrong format, version or JSON).
    """
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path} is not a klmodels comparison file (JSON): {exc}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise DataError(f"{path} is not a klmodels comparison file (no 'format': {FORMAT!r})")
    if payload.get("version") != VERSION:
        raise DataError(
            f"{path} is version {payload.get('version')!r} of the comparison format; this klmodels "
            f"reads version {VERSION}"
        )
    index = payload["index"]
    columns = payload["columns"]
    rows = [{k: _decode(v) for k, v in row.items()} for row in payload["rows"]]
    frame = pd.DataFrame(rows, columns=[index, *(c["name"] for c in columns)]).set_index(index)
    for column in columns:
        name, dtype = column["name"], column["dtype"]
        if dtype == "object":
            frame[name] = frame[name].astype(object)
        elif dtype in ("Int64", "float64"):
            frame[name] = frame[name].astype("float64" if dtype == "float64" else "Int64")
    frame["note"] = (
        frame["note"].fillna("").astype(object) if "note" in frame else frame.get("note")
    )
    frame.attrs = _decode(payload.get("attrs", {}))
    return frame
