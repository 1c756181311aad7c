"""The fitdistrplus example: serving sizes of ground beef, with Weibull, gamma, lognormal and the rest.
====================================================================================================

Delignette-Muller & Dutang (2015, J Stat Softw 64(4)) fit Weibull, gamma and lognormal by
maximum likelihood to 254 serving sizes (grams) eaten by French children under 5. This recipe
reproduces their fits, ranks every positive family by information loss, and asks the question
their table leaves open: is the gamma really better than the Weibull, or is the gap noise?

Run it with `python recipes/groundbeef.py`.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd

import klmodels as klm

# the script (the documentation gallery runs recipes without __file__, with it as sys.argv[0])
DATA = (
    Path(globals().get("__file__") or sys.argv[0]).resolve().parent.parent
    / "data"
    / "groundbeef_serving.csv"
)
PROGRESS = sys.stderr.isatty()

# fitdistrplus's published maximum-likelihood fits (loc = 0 forms), in scipy's parameters
PUBLISHED = {
    "weibull_min": ({"c": 2.185885, "scale": 83.347679}, -1255.225, 2514.449, 2521.524),
    "gamma": ({"a": 4.00956, "scale": 1 / 0.0544391}, -1253.625, 2511.250, 2518.325),
    "lognorm": ({"s": 0.53661, "scale": math.exp(4.16937)}, -1261.319, 2526.639, 2533.713),
}


def section(title: str) -> None:
    print(f"\n{title}\n{'-' * len(title)}")


def main() -> None:
    pd.set_option("display.width", 200)
    serving = pd.read_csv(DATA)["serving"]
    print(
        f"{serving.size} servings, {serving.nunique()} distinct values (heavy ties: 80 g appears "
        f"{(serving == 80).sum()} times), mean {serving.mean():.1f} g"
    )

    section("1. The published fits, reproduced")
    rows = []
    for name, (params, loglik, aic, bic) in PUBLISHED.items():
        f = klm.fit(serving, name)
        rows.append(
            {
                "family": name,
                "klmodels": ", ".join(f"{k}={v:.6g}" for k, v in f.params.items()),
                "fitdistrplus": ", ".join(f"{k}={v:.6g}" for k, v in params.items()),
                "loglik": round(f.loglik, 3),
                "published loglik": loglik,
                "aic": round(f.aic, 3),
                "published aic": aic,
                "bic": round(f.bic, 3),
                "published bic": bic,
            }
        )
    print(pd.DataFrame(rows).set_index("family").to_string())
    print(
        "Log-likelihoods, AIC and BIC agree to the published 3 decimals. The gamma shape differs in the\n"
        "4th digit (4.00834 vs 4.00956): ours solves the score equation exactly and has the higher\n"
        "likelihood (by 1e-5); R's optimiser stopped slightly short."
    )

    section("2. Every positive family, ranked by information loss")
    table = klm.compare(serving, kind="continuous", progress=PROGRESS)
    columns = [
        "k",
        "loglik",
        "kl_bits",
        "dkl_bits",
        "dkl_se_bits",
        "vuong_p",
        "aicc",
        "delta",
        "weight",
    ]
    print(table[columns].round(4).to_string())
    for name, note in table["note"].items():
        if note:
            print(f"  {name}: {note}")
    print(
        f"Data entropy (tie-aware spacing estimate): {table.attrs['entropy_bits']:.3f} bits. It shifts every kl "
        "alike; dkl and its standard error need no estimate at all."
    )

    section("3. Is the gamma really better than the Weibull?")
    gamma, weibull = klm.fit(serving, "gamma"), klm.fit(serving, "weibull_min")
    diff, se = klm.paired_difference(gamma, weibull)
    test = klm.vuong(gamma, weibull)
    print(f"The Weibull loses {diff:.4f} ± {se:.4f} bits per serving more than the gamma.")
    print(f"Vuong's test: z = {test.z:.2f}, p = {test.p_value:.2f}: ", end="")
    print(
        "the data cannot tell them apart."
        if test.preferred is None
        else f"{test.preferred} is closer."
    )
    between = klm.kl_divergence(gamma, weibull)
    print(
        f"D(gamma fit || Weibull fit) = {between:.4f} bits: the two models are close to each other too."
    )

    section("4. Bootstrap: how sure are the parameters, and how often does each family win?")
    boot = klm.bootstrap(
        serving, ["gamma", "weibull_min", "lognorm"], n_boot=200, rng=2015, progress=PROGRESS
    )
    print(boot.intervals.round(4).to_string())
    print("Share of resamples each family ranks first (AICc):")
    print(boot.wins.round(3).to_string())

    section("5. Histogram KL depends on the bins; the likelihood-based KL does not")
    orders = set()
    for bins in (5, 10, 20, 40):
        binned = klm.compare(serving, ["gamma", "weibull_min", "lognorm"], bins=bins)
        ranking = binned["kl_binned_bits"].sort_values()
        orders.add(tuple(ranking.index))
        values = ", ".join(f"{name} {value:.3f}" for name, value in ranking.items())
        print(f"  {bins:>3} bins: {values}")
    print(
        "More bins, more information in the histogram to lose: the binned KL grows with the bins "
        f"({len(orders)} distinct ranking{'s' if len(orders) > 1 else ''} over these binnings)."
    )


if __name__ == "__main__":
    main()
