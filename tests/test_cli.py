"""The klmodels command, in process through click's test runner (one real subprocess smoke test):
every subcommand, every format, every error path."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import klmodels as klm
from klmodels.cli import run

from .conftest import DATA, ROOT

TOX = str(DATA / "toxocara_number.csv")


def klmodels(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess:
    """Run the command in this process (click's runner isolates stdin, stdout and stderr)."""
    with CliRunner().isolation(input=stdin) as (out, err, _), contextlib.chdir(ROOT):
        code = run(list(args))
    return subprocess.CompletedProcess(
        list(args), code, out.getvalue().decode(), err.getvalue().decode()
    )


def test_the_installed_command_runs_in_a_real_process():
    """The smoke test through a subprocess: the console script next to this interpreter, if any."""
    script = Path(sys.executable).with_name("klmodels")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "klmodels.cli"]
    result = subprocess.run(
        [*command, "compare", TOX, "-c", "number", "-f", "poisson", "--format", "csv"],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("family,") and "poisson" in result.stdout
    version = subprocess.run(
        [*command, "--version"], capture_output=True, text=True, timeout=120, check=False
    )
    assert version.returncode == 0 and "klmodels" in version.stdout


def test_help_has_examples():
    result = klmodels("--help")
    assert result.returncode == 0
    assert (
        "Examples:" in result.stdout
        and "klmodels compare data/toxocara_number.csv" in result.stdout
    )
    for command in ("compare", "fit", "entropy", "families"):
        sub = klmodels(command, "--help")
        assert sub.returncode == 0 and "Examples:" in sub.stdout


def test_compare_table_on_counts():
    result = klmodels("compare", str(DATA / "toxocara_number.csv"), "--column", "number")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("klmodels comparison of 10 families on n_obs=53, best first by aicc")
    assert "nbinom" in result.stdout.splitlines()[3]  # the best row comes first
    assert "notes:" in result.stdout and "binom: fit failed" in result.stdout


def test_compare_csv_and_json_carry_every_number(tmp_path):
    csv = klmodels("compare", str(DATA / "toxocara_number.csv"), "-c", "number", "--format", "csv")
    table = pd.read_csv(io.StringIO(csv.stdout), index_col="family")
    assert table.loc["poisson", "loglik"] == pytest.approx(-507.5334, abs=1e-4)
    assert json.loads(table.loc["poisson", "params"]) == {"mu": pytest.approx(8.679245, abs=1e-6)}
    out = klmodels("compare", str(DATA / "toxocara_number.csv"), "-c", "number", "--format", "json")
    payload = json.loads(out.stdout)
    assert payload["header"].startswith("klmodels comparison")
    rows = {row["family"]: row for row in payload["rows"]}
    assert rows["nbinom"]["loglik"] == pytest.approx(-159.3441, abs=1e-4)
    assert rows["binom"]["loglik"] is None and rows["binom"]["note"].startswith("fit failed")


def test_compare_with_weights_support_and_markdown():
    result = klmodels(
        "compare", str(DATA / "space_worms.csv"), "-c", "teeth", "-w", "share", "--support", "0", "10",
        "--n-obs", "100", "--format", "markdown", "--families", "binom,randint,poisson",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2].startswith("| family")
    assert any(line.startswith("| binom ") and "0.616535" in line for line in lines)


def test_compare_plot_writes_an_image(tmp_path):
    out = tmp_path / "fits.png"
    result = klmodels("compare", str(DATA / "groundbeef_serving.csv"), "-c", "serving", "--kind", "continuous",
                      "--plot", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000
    assert f"plot saved to {out}" in result.stderr


def test_compare_reads_parquet_and_standard_input(tmp_path):
    frame = pd.read_csv(DATA / "toxocara_number.csv")
    path = tmp_path / "worms.parquet"
    frame.to_parquet(path)
    parquet = klmodels("compare", str(path), "-c", "number", "--format", "csv")
    stdin = klmodels(
        "compare", "-", "-c", "number", "--format", "csv", stdin=frame.to_csv(index=False)
    )
    assert parquet.returncode == 0 and stdin.returncode == 0
    assert parquet.stdout == stdin.stdout


def test_fit_entropy_and_families():
    fit = klmodels("fit", str(DATA / "space_worms.csv"), "-c", "teeth", "-w", "share", "--family", "binom",
                   "--fixed", "n=10")  # fmt: skip
    assert fit.returncode == 0 and fit.stdout.startswith("<Fit binom: p=0.544; fixed n=10")
    fit_json = klmodels(
        "fit",
        str(DATA / "toxocara_number.csv"),
        "-c",
        "number",
        "--family",
        "nbinom",
        "--format",
        "json",
    )
    assert json.loads(fit_json.stdout)[0]["loglik"] == pytest.approx(-159.3441, abs=1e-4)
    entropy = klmodels("entropy", str(DATA / "space_worms.csv"), "-c", "teeth", "-w", "share")
    assert entropy.stdout.strip() == "3.26224 bits"
    families = klmodels("families", "--kind", "continuous", "--format", "csv")
    listed = pd.read_csv(io.StringIO(families.stdout), index_col="family")
    assert "gamma" in listed.index and set(listed["kind"]) == {"continuous"}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("compare", "missing.csv", "-c", "x"), 2, "error: no such file: missing.csv"),
        (("compare", TOX, "-c", "worms"), 2, "error: no data column 'worms'; the file has number"),
        (("compare", TOX), 2, "error: Missing option '-c' / '--column'."),
        (("compare", TOX, "-c", "number", "--criterion", "waic"), 2, "error: Invalid value for '--criterion'"),
        (("fit", TOX, "-c", "number", "--family", "binomial"), 1, "error: unknown family 'binomial'."),
        (("fit", TOX, "-c", "number", "--family", "binom", "--fixed", "n"), 2, "error: --fixed takes name=value"),
        (("fit", TOX, "-c", "number", "--family", "geom"), 1, "error: geom takes values from 1 up"),
        (("compare", TOX, "-c", "number", "--families", "geom,zipf"), 1, "error: no candidate family could be fitted"),
        (("frobnicate",), 2, "error: No such command 'frobnicate'."),
    ],
)  # fmt: skip
def test_errors_are_one_line_on_stderr_without_a_traceback(args, code, message):
    result = klmodels(*args)
    assert result.returncode == code
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(message)
    assert "Traceback" not in result.stderr


def test_non_numeric_column_is_a_clear_error(tmp_path):
    path = tmp_path / "words.csv"
    path.write_text("word\nalpha\nbeta\n")
    result = klmodels("compare", str(path), "-c", "word")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "error: data must be numeric or boolean; got dtype str (e.g. 'alpha')."
    )


def test_the_table_is_rounded_for_people_and_gof_is_offered():
    result = klmodels("compare", TOX, "-c", "number", "-f", "nbinom,poisson", "--digits", "2")
    assert result.returncode == 0, result.stderr
    poisson = next(line for line in result.stdout.splitlines() if line.startswith("poisson"))
    assert "1017.15" in poisson and "9.5" in poisson  # aicc to 2 decimals, dkl_bits to 2 digits
    beef = str(DATA / "groundbeef_serving.csv")
    gof = klmodels("compare", beef, "-c", "serving", "-f", "gamma", "--gof")
    assert gof.returncode == 0 and "ad_p" in gof.stdout


def test_quantiles_with_bootstrap_intervals_and_the_average():
    beef = str(DATA / "groundbeef_serving.csv")
    args = (
        "quantiles",
        beef,
        "-c",
        "serving",
        "-f",
        "gamma,lognorm",
        "-q",
        "0.05",
        "--exceed",
        "150",
    )
    result = klmodels(*args, "--n-boot", "20", "--format", "csv")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout)).set_index(["family", "quantity"])
    expected = klm.compare(pd.read_csv(beef)["serving"], ["gamma", "lognorm"]).average()
    assert table.loc[("average", "q0.05"), "estimate"] == pytest.approx(
        expected.ppf(0.05), rel=1e-9
    )
    assert "ranked first" in result.stderr
    only = klmodels(*args, "--n-boot", "20", "--average")
    assert only.returncode == 0 and "gamma" not in only.stdout and "average" in only.stdout
    assert klmodels("quantiles", beef, "-c", "serving").returncode == 2


def test_mixture_and_zero_model_families_by_name(tmp_path):
    path = tmp_path / "waits.csv"
    pd.read_csv(DATA / "old_faithful.csv").to_csv(path, index=False)
    fit = klmodels("fit", str(path), "-c", "waiting", "--family", "mix2:norm")
    assert fit.returncode == 0, fit.stderr
    assert fit.stdout.startswith("<Fit mix2:norm: loc_1=54.6")
    zeros = klmodels("compare", str(DATA / "toxocara_number.csv"), "-c", "number", "--families",
                     "zi_poisson,nbinom,mix2:poisson", "--format", "csv")  # fmt: skip
    assert zeros.returncode == 0, zeros.stderr
    ranked = list(pd.read_csv(io.StringIO(zeros.stdout))["family"])
    assert ranked[0] == "nbinom" and set(ranked) == {"nbinom", "zi_poisson", "mix2:poisson"}


def test_bootstrap_command_prints_the_apis_intervals_and_wins():
    result = klmodels("bootstrap", TOX, "-c", "number", "-f", "nbinom,poisson", "--n-boot", "30",
                      "--seed", "4", "--format", "csv")  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout), index_col=0).set_index(["family", "quantity"])
    expected = klm.bootstrap(pd.read_csv(TOX)["number"], ["nbinom", "poisson"], n_boot=30, rng=4)
    pd.testing.assert_frame_equal(
        table[["estimate", "lower", "upper", "se"]], expected.intervals[["estimate", "lower", "upper", "se"]],
        check_exact=False, rtol=1e-12,
    )  # fmt: skip
    assert table.loc[("nbinom", "n"), "ranked_first"] == expected.wins["nbinom"]
    shown = klmodels("bootstrap", TOX, "-c", "number", "-f", "nbinom,poisson", "--n-boot", "5")
    assert shown.returncode == 0 and "percentile intervals from 5 nonparametric" in shown.stdout


def test_bayes_command_prints_loo_beside_the_plug_in_view():
    pytest.importorskip("pymc")
    beef = str(DATA / "groundbeef_serving.csv")
    result = klmodels("bayes", beef, "-c", "serving", "-f", "gamma,lognorm", "--draws", "60",
                      "--tune", "60", "--chains", "2", "--format", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["header"].startswith(
        "PSIS-LOO (exact refits or K-fold where a note says), 2 chains x 60"
    )
    rows = {row["family"]: row for row in document["rows"]}
    assert set(rows) == {"gamma", "lognorm"}
    plugin = klm.compare(pd.read_csv(beef)["serving"], ["gamma", "lognorm"])
    for family, row in rows.items():
        assert row["plugin_aicc"] == pytest.approx(plugin.loc[family, "aicc"], rel=1e-9)
        # ELPD per observation near minus the plug-in cross-entropy (bits), as LOO and AIC agree
        assert row["elpd_bits"] == pytest.approx(
            -plugin.loc[family, "cross_entropy_bits"], abs=0.05
        )
    sampled = klmodels("bayes", beef, "-c", "serving", "-f", "gamma,lognorm", "--draws", "60",
                       "--tune", "60", "--chains", "2", "--loo-subsample", "100",
                       "--format", "json")  # fmt: skip
    assert sampled.returncode == 0, sampled.stderr
    document = json.loads(sampled.stdout)
    assert document["header"].startswith("PSIS-LOO on a random sample of 100 observations")
    assert document["header"].endswith("pseudo-bma weights")
    for row in document["rows"]:
        assert row["subsampling_se"] > 0
        assert row["elpd"] == pytest.approx(
            rows[row["family"]]["elpd"], abs=4 * row["subsampling_se"]
        )


@pytest.mark.dask
def test_compare_with_dask_reads_a_parquet_directory_on_a_cluster(tmp_path):
    """--dask local and --dask <scheduler address>: the same table as the in-memory comparison."""
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    values = pd.Series(np.random.default_rng(6).gamma(2.0, 3.0, 20_000), name="minutes")
    folder = tmp_path / "times"
    folder.mkdir()
    for part in range(4):
        values.iloc[part * 5_000 : (part + 1) * 5_000].to_frame().to_parquet(
            folder / f"{part}.parquet"
        )
    expected = klm.compare(values, ["gamma", "lognorm"])
    args = ("compare", str(folder), "-c", "minutes", "-f", "gamma,lognorm", "--format", "csv")
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        remote = klmodels(*args, "--dask", cluster.scheduler_address)
    local = klmodels(*args, "--dask", "local")
    for result in (remote, local):
        assert result.returncode == 0, result.stderr
        table = pd.read_csv(io.StringIO(result.stdout), index_col="family")
        assert list(table.index) == list(expected.index)
        np.testing.assert_allclose(table["loglik"], expected["loglik"], rtol=1e-9)
    censored = klmodels("compare", str(folder), "--left", "a", "--right", "b", "--dask", "local")
    assert censored.returncode == 2 and "exact observations" in censored.stderr


def test_compare_gof_on_censored_data_shows_the_statistics(tmp_path):
    frame = pd.DataFrame(
        {
            "low": [1.0, 2, np.nan, 3, 4, 2, 5, 6, 1, 3],
            "high": [2.0, 3, 1, 4, np.nan, 3, 6, 8, 2, 5],
        }
    )
    path = tmp_path / "c.csv"
    frame.to_csv(path, index=False)
    result = klmodels(
        "compare", str(path), "--left", "low", "--right", "high", "-f", "gamma,lognorm", "--gof"
    )
    assert result.returncode == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if line.lstrip().startswith("params"))
    assert {"ks", "cvm", "ad"} <= set(header.split())
    refused = klmodels("compare", str(path), "-c", "low", "--dask", "local", "--gof")
    assert refused.returncode == 2 and "--gof needs the data in memory" in refused.stderr
