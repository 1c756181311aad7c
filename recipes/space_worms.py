"""The space-worm story of Count Bayesie's "Kullback-Leibler Divergence Explained" (2017), with real numbers.
==========================================================================================================

Astronauts count the teeth of space worms (0 to 10) and want to send home a model with as
few numbers as possible. Which approximation loses the least information about what they saw?

Run it with `make demo` or `python recipes/space_worms.py`; add `--plot docs/space_worms.png` to draw
the picture in the README (needs `pip install 'klmodels[plot]'`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import klmodels as klm

# the script (the documentation gallery runs recipes without __file__, with it as sys.argv[0])
DATA = (
    Path(globals().get("__file__") or sys.argv[0]).resolve().parent.parent
    / "data"
    / "space_worms.csv"
)


def section(title: str) -> None:
    print(f"\n{title}\n{'-' * len(title)}")


def draw(data: klm.Observations, table: klm.ComparisonTable, path: str) -> None:
    """The post's pictures: the data against the uniform and binomial models, KL(p), every family's loss."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from klmodels import plotting

    fig, axes = plt.subplots(1, 3, figsize=(18, 5), constrained_layout=True)
    uniform = klm.fit(data, "randint", support=(0, 10))
    binomial = klm.fit(data, "binom", n=10)
    plotting.plot_fit([uniform, binomial], ax=axes[0])
    axes[0].set_title("Space worms: observed teeth, uniform and binomial models")
    plotting.plot_kl_curve(data, "binom", "p", np.linspace(0.2, 0.9, 141), ax=axes[1], n=10)
    plotting.plot_information_loss(table, ax=axes[2])
    fig.savefig(path, dpi=110)
    print(f"\npicture saved to {path}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--plot", metavar="PNG", help="also draw the post's pictures into this file"
    )
    args = parser.parse_args(argv)
    worms = pd.read_csv(DATA)
    observed = worms.set_index("teeth")["share"]
    teeth = observed.index.to_numpy()
    data = klm.Observations.from_data(worms["teeth"], worms["share"])

    section("1. What the astronauts saw")
    print(observed.to_frame().T.to_string())
    print(f"Entropy of the observations: H(P) = {klm.entropy(observed):.3f} bits per worm")

    section("2. Two approximations and the information they lose, D(P || Q)")
    uniform = pd.Series(1 / 11, index=teeth)
    binomial_post = pd.Series(stats.binom(10, 0.57).pmf(teeth), index=teeth)
    p_hat = klm.fit(data, "binom", n=10).params["p"]
    binomial_fit = pd.Series(stats.binom(10, p_hat).pmf(teeth), index=teeth)
    rows = {
        "uniform on 0..10": uniform,
        "binomial(10, p=0.57) as in the post": binomial_post,
        f"binomial(10, p={p_hat:.3f}) fitted": binomial_fit,
    }
    for label, q in rows.items():
        print(f"  {label:<38} D(P||Q) = {klm.kl_divergence(observed, q):.3f} bits")
    print("The uniform model loses less information than either binomial: it wins, as in the post.")

    section("3. KL is not symmetric: D(P||Q) != D(Q||P)")
    for label, q in rows.items():
        forward, backward = klm.kl_divergence(observed, q), klm.kl_divergence(q, observed)
        print(
            f"  {label:<38} D(P||Q) = {forward:.3f}   D(Q||P) = {backward:.3f}   "
            f"difference {klm.kl_asymmetry(observed, q):+.3f} bits"
        )
    print(
        "klmodels always measures D(data || model): the information lost when the model stands in for the data."
    )

    section("4. KL as a function of the binomial p: its minimum is the maximum-likelihood p")
    grid = np.linspace(0.01, 0.99, 99)
    kl = np.array([klm.kl_divergence(data, stats.binom(10, p)) for p in grid])
    for p in (0.1, 0.3, 0.5, 0.544, 0.57, 0.7, 0.9):
        value = klm.kl_divergence(data, stats.binom(10, p))
        bar = "#" * round(value * 8)
        print(f"  p = {p:<5}  D = {value:6.3f} bits  {bar}")
    fine = np.linspace(0.5, 0.6, 1001)
    best = fine[np.argmin([klm.kl_divergence(data, stats.binom(10, p)) for p in fine])]
    print(
        f"Grid minimum at p = {best:.4f}; closed-form MLE mean/10 = {p_hat:.4f} "
        f"(coarse grid minimum {grid[kl.argmin()]:.2f})"
    )

    section("5. The post's ad hoc model, optimised by KL")
    adhoc = klm.CustomFamily(
        "adhoc",
        pmf=lambda x, p: np.where(x >= 6, p / 5, (1 - p) / 6),
        parameters={"p": (0.0, 1.0)},
        support=(0, 10),
        summary="p spread evenly over 6..10 teeth, 1 - p over 0..5",
    )
    adhoc_fit = klm.fit(data, adhoc)
    print(
        f"  fitted p = {adhoc_fit.params['p']:.4f} (the observed share of worms with 6+ teeth is "
        f"{observed.loc[6:].sum():.2f}); D(P||Q) = {adhoc_fit.kl_bits:.3f} bits"
    )

    section("6. Every discrete family, ranked by information loss (no sample size: ranked by KL)")
    pd.set_option("display.width", 200)
    candidates = [*klm.families.names("discrete"), adhoc]
    candidates.remove("bernoulli")  # two outcomes cannot hold 0..10 teeth
    table = klm.compare(data, candidates, support=(0, 10), progress=sys.stderr.isatty())
    print(table[["k", "cross_entropy_bits", "kl_bits"]].round(4).to_string())
    print(f"Note on every row: {table['note'].iloc[0]!r}")
    print(
        f"Data entropy {table.attrs['entropy_bits']:.3f} bits = the saturated 'empirical' model's cross-entropy."
    )

    section("7. If these shares came from 100 worms: AICc weighs fit against parameters")
    table100 = klm.compare(
        worms["teeth"],
        candidates,
        weights=worms["share"],
        n_obs=100,
        support=(0, 10),
        progress=sys.stderr.isatty(),
    )
    print(table100[["k", "loglik", "kl_bits", "aicc", "delta", "weight"]].round(3).to_string())
    print(
        "With a sample size the saturated model pays for its 10 parameters; the ranking depends on n."
    )
    if args.plot:
        draw(data, table, args.plot)


if __name__ == "__main__":
    main()
