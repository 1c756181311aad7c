"""The README's quick start and every recipe run as written, and print the numbers they promise."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .conftest import ROOT


def run_python(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def readme_block(heading: str) -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {heading}", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_quick_start_runs_as_written():
    out = run_python("-c", readme_block("Quick start"))
    assert out.startswith("3.262244")
    assert "{'p': 0.53}" in out
    assert re.search(r"empirical\s+10\s+0\.000000", out)


def test_readme_lists_every_recipe():
    readme = (ROOT / "README.md").read_text()
    for recipe in sorted((ROOT / "recipes").glob("*.py")):
        assert f"`recipes/{recipe.name}`" in readme, recipe.name


def test_readme_shows_the_two_setup_commands_and_ci_runs_make_test():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


# What each recipe must print; a recipe not listed here must still run.
RECIPE_PROMISES = {
    "space_worms.py": [
        "H(P) = 3.262 bits",
        "uniform on 0..10                       D(P||Q) = 0.197 bits",
        "binomial(10, p=0.57) as in the post    D(P||Q) = 0.636 bits",
        "binomial(10, p=0.544) fitted           D(P||Q) = 0.617 bits",
        "at p = 0.5440; closed-form MLE mean/10 = 0.5440",
        "fitted p = 0.4500",
    ],
    "groundbeef.py": [
        "weibull_min  c=2.18561, scale=83.3467  c=2.18588, scale=83.3477 -1255.225         -1255.225",
        "gamma        a=4.00834, scale=18.3731  a=4.00956, scale=18.3692 -1253.625         -1253.625",
        "lognorm      s=0.53661, scale=64.6747  s=0.53661, scale=64.6747 -1261.319         -1261.319",
        "Vuong's test: z = 0.56, p = 0.57: the data cannot tell them apart.",
    ],
    "bayesian_worms.py": [
        "Ranking by ELPD: empirical, betabinom, nbinom, poisson, randint, binom",
        "The two rankings agree.",
    ],
    "toxocara.py": [
        "lambda = 8.679245, loglik = -507.5334, AIC = 1017.067",
        "loglik = -159.3441, AIC = 322.688",
        "The negative binomial ranks above the Poisson in 100% of resamples.",
        "Zero-inflating the negative binomial estimates pi = 0.000",
        "Vuong p against the plain negative binomial = 1.00.",
        "Check: zero-inflated Poisson log-likelihood -397.036977; written out and maximised by "
        "Nelder-Mead -397.036977.",
    ],
    "old_faithful.py": [
        "the two-normal mixture saves 0.271 ± 0.047 bits per waiting time",
        "klmodels EM log-likelihood -1034.001750; Nelder-Mead from there -1034.001750",
        "The mixture ranks first in 100% of 100 resamples.",
    ],
    "recidivism.py": [
        "klmodels' log-likelihood is never below scipy's beyond rounding",
        "invgauss: mu = ",  # the drift to a limit is said
    ],
    "detection_limits.py": [
        "<CensoredObservations: 1 exact, 57 left-, 3 right-, 42 interval-censored>",
        "<CensoredObservations: 19 exact, 0 left-, 60 right-, 29 interval-censored>",
        "klmodels' log-likelihood is never below theirs",
    ],
    "species_sensitivity.py": [
        "<CensoredObservations: 19 exact, 0 left-, 60 right-, 29 interval-censored>",
        "The averaged HC5 is 12.54 mS/cm",
    ],
    "dask_large.py": [
        "300,000 service times in 3 Parquet files",
        "same order: True",
        "largest relative loglik difference: ",
    ],
}

# Recipes whose defaults are too big for the test suite run on less data.
RECIPE_ARGS = {"dask_large.py": ["--rows", "300000", "--files", "3", "--check", "--dir"]}


@pytest.mark.parametrize("recipe", sorted(p.name for p in (ROOT / "recipes").glob("*.py")))
def test_every_recipe_runs_and_prints_what_it_promises(recipe, tmp_path):
    args = RECIPE_ARGS.get(recipe, [])
    out = run_python(f"recipes/{recipe}", *args, *([str(tmp_path)] if args else []))
    for promise in RECIPE_PROMISES.get(recipe, []):
        assert promise in out, promise


def test_readme_censored_and_options_examples_run_as_written():
    censored = run_python(
        "-c", readme_block("Censored and truncated data") + "\nprint(table.index[0])"
    )
    assert censored.strip().endswith("fisk")
    options = run_python("-c", readme_block("Options shared by every comparison"))
    assert options.strip() == "nbinom nbinom bic"


def test_readme_averaging_example_runs_as_written():
    out = run_python("-c", readme_block("Averaging the plausible models"))
    assert out.startswith("('gamma', 'weibull_min', 'lognorm')")


def test_readme_goodness_of_fit_example_runs_as_written():
    out = run_python("-c", readme_block("Is the best model good enough?"))
    assert "0.005" in out and "lognorm" in out


# Every ```python block of the README runs: the blocks with their own test above, and these, each with
# the names the README's text gives it (a Series, a model, a frame; a cluster and files for Dask).
README_CONTEXT = {
    "The `.kl` accessor": (
        "import pandas as pd, klmodels as klm\n"
        "frame = pd.read_csv('data/space_worms.csv')\n"
        "series = pd.read_csv('data/toxocara_number.csv')['number']\n"
        "model = klm.fit(series, 'nbinom')\n"
        "import matplotlib; matplotlib.use('Agg')\n"
    ),
    "Finite mixtures": "import pandas as pd, klmodels as klm\n",
    "Data larger than memory: Dask (optional extra)": (
        "from distributed import LocalCluster\n"
        "import numpy as np, pandas as pd, pathlib, tempfile\n"
        "cluster = LocalCluster(n_workers=1, processes=False, dashboard_address=None)\n"
        "folder = pathlib.Path(tempfile.mkdtemp())\n"
        "pd.DataFrame({'minutes': np.random.default_rng(0).weibull(1.5, 60_000) * 10})"
        ".to_parquet(folder / 'part.parquet')\n"
    ),
}
README_PLACEHOLDERS = {  # the README's stand-ins for the reader's own cluster and files
    '"tcp://scheduler-host:8786"': "cluster.scheduler_address",
    '"s3://bucket/service_times/"': "str(folder)",
}
TESTED_ABOVE = {
    "Quick start", "Censored and truncated data", "Options shared by every comparison",
    "Averaging the plausible models", "Is the best model good enough?",
}  # fmt: skip


def _readme_python_headings() -> list[str]:
    heading, found = None, []
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("## "):
            heading = line[3:]
        elif line.startswith("```python"):
            found.append(heading)
    return found


def test_every_python_block_of_the_readme_has_a_test():
    assert set(_readme_python_headings()) == TESTED_ABOVE | set(README_CONTEXT)


@pytest.mark.parametrize("heading", sorted(README_CONTEXT))
def test_readme_block_runs_with_the_names_its_text_gives(heading):
    code = readme_block(heading)
    for placeholder, stand_in in README_PLACEHOLDERS.items():
        code = code.replace(placeholder, stand_in)
    run_python("-c", README_CONTEXT[heading] + code)
