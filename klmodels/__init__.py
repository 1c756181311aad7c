"""klmodels: which probability model loses the least information about your data, and by how much.

Information measures are in bits unless ``base=`` says otherwise. Importing klmodels
registers the ``.kl`` accessor on pandas Series and DataFrame (and on Dask ones when
``dask.dataframe`` was imported first, or once Dask data were passed to klmodels, or after
``klmodels.accessor.register_dask_accessors()``).

Main entry points
-----------------
compare(data, families)      rank families by AICc / KL information loss (a DataFrame)
select(data, families)       the best Fit
fit(data, family, **fixed)   one maximum-likelihood (= minimum-KL) fit
entropy, cross_entropy, kl_divergence, kl_asymmetry, js_divergence, model_kl
vuong, paired_difference, g_test, bootstrap    is a difference real?
read_comparison(path)        a table saved with table.save(path)
families                     the read-only registry of built-in families (scipy's names)
"""

import sys as _sys

from klmodels import accessor as _accessor
from klmodels import data as _data
from klmodels.censored import CensoredFit, CensoredObservations, censored, fit_censored
from klmodels.data import Observations
from klmodels.display import ComparisonTable, read_comparison
from klmodels.divergence import ModelKL, entropy, kl_divergence, model_kl
from klmodels.errors import (
    AccessorError,
    AllFamiliesFailedError,
    ConvergenceError,
    DataError,
    FitError,
    KLModelsError,
    MissingExtraError,
    NotInMemoryError,
    ParameterError,
    ReadOnlyRegistryError,
    ScaleOutError,
    UnknownFamilyError,
)
from klmodels.family import (
    CustomFamily,
    Family,
    FrozenModel,
    Hurdle,
    Mixture,
    Parameter,
    Registry,
    ScipyFamily,
    ZeroInflated,
)
from klmodels.family import default_registry as families
from klmodels.fitting import Fit, fit
from klmodels.goodness import GoodnessOfFit, goodness_of_fit
from klmodels.information import cross_entropy, js_divergence, kl_asymmetry
from klmodels.options import FitOptions
from klmodels.paired import GTestResult, VuongResult, g_test, paired_difference, vuong
from klmodels.reporting import report
from klmodels.selection import compare, select
from klmodels.uncertainty import BootstrapResult, bootstrap

__version__ = "0.1.0"


def _observations_on_dask(data, weights, **options):
    """Dask collections become observations that stay on the cluster (loaded on first use)."""
    from klmodels.scaleout import observations_from_dask

    _accessor.register_dask_accessors()
    return observations_from_dask(data, weights, **options)


_data.register_dask_backend(_observations_on_dask)
if "dask.dataframe" in _sys.modules:  # Dask is already loaded: the accessor goes on its objects too
    _accessor.register_dask_accessors()

__all__ = [
    "AccessorError",
    "AllFamiliesFailedError",
    "BootstrapResult",
    "CensoredFit",
    "CensoredObservations",
    "ComparisonTable",
    "ConvergenceError",
    "CustomFamily",
    "DataError",
    "Family",
    "Fit",
    "FitError",
    "FitOptions",
    "FrozenModel",
    "GTestResult",
    "GoodnessOfFit",
    "Hurdle",
    "KLModelsError",
    "MissingExtraError",
    "Mixture",
    "ModelKL",
    "NotInMemoryError",
    "Observations",
    "Parameter",
    "ParameterError",
    "ReadOnlyRegistryError",
    "Registry",
    "ScaleOutError",
    "ScipyFamily",
    "UnknownFamilyError",
    "VuongResult",
    "ZeroInflated",
    "__version__",
    "bootstrap",
    "censored",
    "compare",
    "cross_entropy",
    "entropy",
    "families",
    "fit",
    "fit_censored",
    "g_test",
    "goodness_of_fit",
    "js_divergence",
    "kl_asymmetry",
    "kl_divergence",
    "model_kl",
    "paired_difference",
    "read_comparison",
    "report",
    "select",
    "vuong",
]

_OPTIONAL_SUBMODULES = ("bayes", "plotting", "scaleout")


def __getattr__(name: str):
    """Load the optional submodules on first use (``klm.bayes.compare``), as scipy does.

    ``import klmodels`` itself never imports PyMC, matplotlib or Dask.
    """
    if name in _OPTIONAL_SUBMODULES:
        import importlib

        return importlib.import_module(f"klmodels.{name}")
    raise AttributeError(f"module 'klmodels' has no attribute {name!r}")
