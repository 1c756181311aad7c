"""Shared fixtures: a seeded random generator, the bundled data sets, and hypothesis settings."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

# PyTensor's compile cache (C and numba) inside the project, ignored by git, so that repeated
# runs of the Bayesian tests reuse compiled models. Set before any test imports PyMC.
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / '.pytensor_cache'}")

# Deterministic property tests: the same examples on every run and every machine, so CI is
# reproducible; no deadline, because shared machines are noisy.
settings.register_profile(
    "klmodels",
    deadline=None,
    derandomize=True,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("klmodels")

WORM_SHARE = [0.02, 0.03, 0.05, 0.14, 0.16, 0.15, 0.12, 0.08, 0.10, 0.08, 0.07]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261126)


@pytest.fixture
def worms() -> pd.DataFrame:
    return pd.read_csv(DATA / "space_worms.csv")


@pytest.fixture
def worm_pmf(worms) -> pd.Series:
    return worms.set_index("teeth")["share"]


@pytest.fixture
def worm_teeth_100() -> pd.Series:
    """100 worms whose teeth follow the shares exactly (2 with 0 teeth, 3 with 1, ...)."""
    counts = np.rint(np.array(WORM_SHARE) * 100).astype(int)
    return pd.Series(np.repeat(np.arange(11), counts), name="teeth")


@pytest.fixture
def toxocara() -> pd.Series:
    return pd.read_csv(DATA / "toxocara_number.csv")["number"]


# ------------------------------------------------------------------ optional parts must not skip in CI
# `make test` sets KLMODELS_REQUIRE_OPTIONAL=1: there, a test skipped because an optional
# dependency (PyMC, ArviZ, Dask, statsmodels, ...) failed to import is a failure, as in arviz-stats.
REQUIRE_OPTIONAL = os.environ.get("KLMODELS_REQUIRE_OPTIONAL", "") not in ("", "0")


def _missing_dependency(report) -> bool:
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return False
    reason = str(report.longrepr[2])
    return "could not import" in reason or "No module named" in reason


def _fail_missing_dependency(report) -> None:
    if REQUIRE_OPTIONAL and _missing_dependency(report):
        report.outcome = "failed"
        report.longrepr = (
            f"KLMODELS_REQUIRE_OPTIONAL is set, so a missing optional dependency fails: "
            f"{report.longrepr[2]}. Install the test extra: pip install -e '.[test]'"
        )


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    _fail_missing_dependency(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    _fail_missing_dependency(report)
    return report
