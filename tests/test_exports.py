"""The public surface: __all__ is complete and importable, and importing stays light and quiet."""

from __future__ import annotations

import subprocess
import sys

import klmodels


def test_all_has_no_duplicates_and_every_name_exists():
    # ruff's RUF022 keeps __all__ sorted; here: complete and importable
    assert len(set(klmodels.__all__)) == len(klmodels.__all__)
    for name in klmodels.__all__:
        assert hasattr(klmodels, name), name


def test_public_callables_are_exported():
    public = {
        name
        for name, value in vars(klmodels).items()
        if not name.startswith("_")
        and (callable(value) or name == "families")
        and not isinstance(value, type(klmodels))
    }
    assert public <= set(klmodels.__all__), public - set(klmodels.__all__)


def test_families_is_the_read_only_registry():
    assert isinstance(klmodels.families, klmodels.Registry)
    assert "binom" in klmodels.families


def test_import_is_quiet_and_does_not_pull_optional_packages():
    code = (
        "import sys, warnings; warnings.simplefilter('error'); import klmodels; "
        "heavy = [m for m in ('matplotlib', 'pymc', 'arviz', 'dask', 'statsmodels') if m in sys.modules]; "
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
    assert result.stderr == ""


def test_py_typed_marker_is_shipped():
    from importlib.resources import files

    assert files("klmodels").joinpath("py.typed").is_file()


def test_optional_submodules_load_on_first_use_and_not_before():
    code = (
        "import sys, klmodels as klm\n"
        "assert not {'pymc', 'matplotlib', 'dask'} & set(sys.modules), 'imported too early'\n"
        "assert callable(klm.bayes.compare) and callable(klm.plotting.plot_censored)\n"
        "assert 'pymc' not in sys.modules  # klmodels.bayes imports PyMC only when it samples\n"
        "assert callable(klm.censored)  # the function, not the module of the same name\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
