"""Model families: the Family protocol, the built-in families and the registry.

``default_registry`` holds every built-in family under scipy's name and is read-only;
``klmodels.families`` is that registry.
"""

from klmodels.family.base import CustomFamily, Family, FrozenModel, Kind, Parameter, ScipyFamily
from klmodels.family.finite import FiniteMixture
from klmodels.family.generic import GenericScipyFamily
from klmodels.family.inflated import Hurdle, ZeroInflated
from klmodels.family.registry import (
    Candidate,
    Mixture,
    Registry,
    check_registry,
    default_registry,
    resolve,
)

__all__ = [
    "Candidate",
    "CustomFamily",
    "Family",
    "FiniteMixture",
    "FrozenModel",
    "GenericScipyFamily",
    "Hurdle",
    "Kind",
    "Mixture",
    "Parameter",
    "Registry",
    "ScipyFamily",
    "ZeroInflated",
    "check_registry",
    "default_registry",
    "resolve",
]
