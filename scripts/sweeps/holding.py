"""The holding sweep: hold each parameter at its free estimate; the refit must keep the maximum.

An oracle that needs no other implementation: the free fit's value of any one parameter, held,
leaves the free fit's log-likelihood (to 1e-6 relative). Found most of the wrong answers of
2026-12-01/02 (starts that ignored a held value, bounds meant for a drift the held fit cannot
reach, limits compared only when everything was free). Not a test: it takes about a minute.

Usage::

    .venv/bin/python scripts/sweeps/holding.py [--sizes 300,3000,60000] [--generic johnsonsu,...]

Prints one line per shortfall or exception and a count; exit status 1 when there is any.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np
from scipy import stats

import klmodels as klm
from klmodels.family.continuous import continuous_families


def shapes(n: int, seed: int) -> dict[str, np.ndarray]:
    """Six shapes of data: symmetric, heavy-tailed, positive skewed, bounded and left-skewed."""
    rng = np.random.default_rng(seed)
    return {
        "normal": rng.normal(5, 2, n),
        "t4": rng.standard_t(4, n),
        "lognormal": rng.lognormal(1, 0.5, n),
        "gamma2": rng.gamma(2, 1, n),
        "beta25": rng.beta(2, 5, n),
        "negated gamma": -rng.gamma(8, 1, n),
    }


def shortfalls(x: np.ndarray, family, label: str) -> list[str]:
    """Each parameter held at its free estimate: the lines for those that lose the maximum."""
    try:
        free = klm.fit(x, family)
    except klm.FitError:
        return []
    out = []
    for name, value in free.params.items():
        try:
            held = klm.fit(x, family, **{name: value})
        except Exception as error:  # a sweep reports whatever escapes
            out.append(f"{label} hold {name}={value:.6g}: {type(error).__name__}: {error}"[:200])
            continue
        short = free.loglik - held.loglik
        if short > 1e-6 * abs(free.loglik):
            out.append(f"{label} hold {name}={value:.6g}: {short:.4g} nats short")
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the sweep; the exit status is 1 when any held fit loses the maximum or raises."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="30,300,3000,60000")
    parser.add_argument(
        "--generic", default="johnsonsu,loguniform,truncnorm,norminvgauss,burr12,genlogistic"
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    lines, cases = [], 0
    for n in (int(float(s)) for s in args.sizes.split(",")):
        for shape, x in shapes(n, n + 1).items():
            for family in continuous_families():
                cases += 1
                lines += shortfalls(x, family, f"{family.name} {shape} n={n}")
                if "loc" in family.default_fixed and n <= 3000:  # the forms with loc free too
                    lines += shortfalls(
                        x, family.with_free("loc"), f"{family.name}+loc {shape} n={n}"
                    )
    generic_data = {
        "lognormal": stats.lognorm(0.5).rvs(300, random_state=1),
        "beta": stats.beta(2, 5).rvs(300, random_state=2),
    }
    for name in filter(None, args.generic.split(",")):
        for shape, x in generic_data.items():
            cases += 1
            lines += shortfalls(x, name, f"{name} (generic) {shape}")
    print("\n".join(lines))
    print(f"{cases} fits held parameter by parameter; {len(lines)} shortfalls or exceptions")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
