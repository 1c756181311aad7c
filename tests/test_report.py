"""The one-file HTML report: its content, self-containment, the command, and a render in real Chromium."""

from __future__ import annotations

import os
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import klmodels as klm
from klmodels.cli import cli

BEEF = pd.read_csv("data/groundbeef_serving.csv")["serving"]
FAMILIES = ["gamma", "lognorm", "weibull_min"]


@pytest.fixture(scope="module")
def beef_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "beef.html"
    original = BEEF.copy()
    klm.report(BEEF, path, FAMILIES, gof=True, bootstrap=20)
    pd.testing.assert_series_equal(BEEF, original)  # the caller's data untouched
    return path


def test_the_report_holds_the_table_the_verdicts_and_embedded_pictures(beef_report):
    text = beef_report.read_text(encoding="utf-8")
    table = klm.compare(BEEF, FAMILIES)
    assert "klmodels report: serving" in text
    assert table.header() in text.replace("&#x27;", "'")
    for family in FAMILIES:
        assert f"<th>{family}</th>" in text
    # the verdicts quote the table's own numbers
    gap = table.loc["lognorm", "dkl_bits"]
    assert f"lognorm loses {gap:.4g} ± " in text and "a real difference" in text
    assert "weibull_min" in text and "not distinguishable from the best" in text
    # self-contained: pictures as data URIs, no scripts, nothing fetched from anywhere
    images = re.findall(r'<img alt="[^"]*" src="([^"]{0,40})', text)
    assert len(images) == 2 and all(src.startswith("data:image/png;base64,") for src in images)
    assert "<script" not in text and not re.search(r'(src|href)="(https?:)?//', text)
    assert "Bootstrap (20 resamples)" in text and "ks_p" in text


def test_censored_data_get_the_cdf_picture_and_a_finished_table_works(tmp_path):
    rng = np.random.default_rng(0)
    x, c = rng.weibull(1.5, 150) * 10, rng.uniform(0, 25, 150)
    data = klm.censored(time=np.minimum(x, c), event=(x <= c).astype(int))
    path = klm.report(data, tmp_path / "c.html", ["weibull_min", "lognorm"], gof=True)
    text = path.read_text(encoding="utf-8")
    assert "Fitted cdfs against the nonparametric estimate" in text and "right" in text
    assert "no p-values for censored data" in text
    table = klm.compare(pd.read_csv("data/toxocara_number.csv")["number"])
    text = klm.report(table, tmp_path / "t.html", title="Toxocara").read_text(encoding="utf-8")
    assert "<h1>Toxocara</h1>" in text and "Q-Q" not in text  # counts: no Q-Q plot
    with pytest.raises(klm.ParameterError, match="need the data"):
        klm.report(table, tmp_path / "u.html", bootstrap=10)
    with pytest.raises(klm.ParameterError, match="does not exist"):
        klm.report(BEEF, tmp_path / "missing" / "r.html")


def test_the_report_command_writes_the_file(tmp_path):
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        cli,
        ["report", "data/groundbeef_serving.csv", "-c", "serving", "-f", "gamma,lognorm",
         "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"report written to {out}" in result.output
    assert "<th>lognorm</th>" in out.read_text(encoding="utf-8")
    missing = CliRunner().invoke(
        cli, ["report", "data/groundbeef_serving.csv", "-c", "serving", "-o", "/no/such/r.html"]
    )
    assert missing.exit_code == 2 and "does not exist" in missing.output


def _chromium() -> str:
    path = os.environ.get("KLMODELS_CHROMIUM") or shutil.which("chromium")
    if path is None:
        pytest.skip("could not import a browser: no chromium (make test installs Debian's)")
    return path


def test_the_report_renders_in_headless_chromium(beef_report, tmp_path):
    """A real browser opens the file offline: every picture decodes, nothing is fetched, the
    ranked table shows one row per family, and the page is no wider than the window."""
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(beef_report.as_uri())
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
            )
            headings = page.locator("h2").all_inner_texts()
            ranked = page.locator("table.dataframe").nth(1).locator("tbody tr").count()  # 0: data
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            shot = page.screenshot(full_page=True)
        finally:
            browser.close()
    assert requests == [beef_report.as_uri()]
    assert len(images) == 2 and all(done and w > 500 and h > 200 for done, w, h in images)
    assert headings[:4] == ["The data", "Ranking", "Is the difference real?",
                            "The fitted models over the data"]  # fmt: skip
    assert ranked == len(FAMILIES)
    assert overflow <= 0
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 50_000


def test_the_bayesian_part_reports_loo_beside_the_plug_in_view(tmp_path):
    pytest.importorskip("pymc")
    x = pd.Series(np.random.default_rng(3).normal(10.0, 2.0, 60), name="x")
    families = {"normal": "norm", "logistic": "logistic"}  # labels that are not registry names
    path = klm.report(x, tmp_path / "b.html", families, bayes=True, bayes_draws=100)
    text = path.read_text(encoding="utf-8")
    assert "Bayesian view: leave-one-out cross-validation" in text
    assert "loo_cross_entropy_bits" in text and "elpd" in text and "<th>normal</th>" in text


def test_the_bootstrap_part_uses_the_comparisons_options(tmp_path):
    x = pd.Series(np.append(np.random.default_rng(8).gamma(2.0, 3.0, 80), np.nan), name="x")
    path = klm.report(x, tmp_path / "o.html", ["gamma", "lognorm"], bootstrap=5, nan_policy="omit",
                      criterion="bic")  # fmt: skip
    text = path.read_text(encoding="utf-8")
    assert "best first by bic" in text and "Bootstrap (5 resamples)" in text
