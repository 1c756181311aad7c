"""Trust on every input: each silent wrong answer and raw traceback found by trying the input space.

Each test here failed before the fix it guards (issue 10); the property-based module
(test_properties.py) checks the same invariants on generated data.
"""

from __future__ import annotations

import contextlib
import io
import math
import pickle
import subprocess
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import klmodels as klm
from klmodels.display import read_comparison

from .conftest import ROOT

WORM_SHARE = [0.02, 0.03, 0.05, 0.14, 0.16, 0.15, 0.12, 0.08, 0.10, 0.08, 0.07]


# ------------------------------------------------------------------ silent wrong answers
def test_relative_frequencies_of_continuous_values_rank_by_cross_entropy(rng):
    values = np.sort(rng.gamma(3, 2, 60))
    share = rng.dirichlet(np.ones(60))
    families = ["norm", "gamma", "lognorm", "weibull_min"]
    table = klm.compare(values, families, weights=share)
    assert table["kl_bits"].isna().all()  # no entropy without n_obs, and the note says so
    cross = table["cross_entropy_bits"].to_numpy()
    assert np.all(np.diff(cross) >= 0), "rows are in cross-entropy order"
    assert (table["dkl_bits"] >= 0).all() and table["dkl_bits"].iloc[0] == 0
    np.testing.assert_allclose(table["dkl_bits"], cross - cross[0], rtol=1e-9, atol=1e-12)
    best = klm.select(values, families, weights=share)
    assert best.name == table.index[0]
    assert "n_obs" in table["note"].iloc[0] and "cross-entropy" in table.header()


@pytest.mark.parametrize(
    ("truth", "family"),
    [
        (stats.cauchy(2, 3), "cauchy"),
        (stats.pareto(0.7), "pareto"),
        (stats.lognorm(2.5), "lognorm"),
        (stats.t(1.5, 1, 2), "t"),
    ],
)
def test_the_true_family_loses_about_nothing_even_with_heavy_tails(truth, family):
    values = []
    for seed in range(3):
        x = truth.rvs(3000, random_state=np.random.default_rng(seed))
        fit = klm.fit(x, family)
        assert fit.kl_se_bits < 0.01
        values.append(fit.kl_bits)
    assert abs(np.mean(values)) < 0.01  # a spacing estimate of the raw values gave -0.2 (Cauchy)


def test_kl_differences_in_a_table_are_the_exact_paired_differences(rng):
    x = rng.standard_t(2.5, 2000)
    table = klm.compare(x, ["t", "norm", "logistic", "cauchy"])
    np.testing.assert_allclose(
        table["kl_bits"] - table["kl_bits"].iloc[0], table["dkl_bits"], rtol=1e-9, atol=1e-12
    )
    assert abs(table.loc["t", "kl_bits"]) < 0.02


def test_one_huge_outlier_gives_a_positive_kl_with_a_note(rng):
    x = rng.gamma(2.0, 3.0, 3000)
    x[0] = 1e15
    table = klm.compare(x, ["gamma", "lognorm", "weibull_min"])
    assert (table["kl_bits"] > 0).all()  # was -1.4 bits for gamma
    assert "further into a tail" in table["note"].iloc[0]


def test_unbounded_likelihood_of_a_generic_threshold_family_is_reported():
    x = stats.burr12(0.6, 3).rvs(400, random_state=np.random.default_rng(4)) + 5.0
    fit = klm.fit(x, "burr12", support=(5, None))  # the textbook form from the declared start
    assert fit.all_params["loc"] == 5
    free = klm.families.copy()
    table = klm.compare(x, ["burr12", "lognorm"], free_loc=True, registry=free)
    row = table.loc["burr12"]
    if not math.isnan(row["loglik"]):  # an interior local maximum is allowed, an edge one is not
        edge = table.fits["burr12"].all_params["loc"]
        assert x.min() - edge > 1e-6 * np.ptp(x)
    else:
        assert "no maximum-likelihood estimate" in row["note"]


def test_generic_families_start_at_zero_by_default():
    x = stats.burr12(3, 2, scale=2).rvs(500, random_state=np.random.default_rng(1))
    assert klm.fit(x, "burr12").all_params["loc"] == 0
    assert klm.fit(x, "burr12").k == 3


def test_loggamma_reaches_its_normal_limit_or_says_it_drifts(rng):
    x = rng.normal(5, 2, 2000)
    normal, loggamma = klm.fit(x, "norm"), klm.fit(x, "loggamma")
    reached = loggamma.loglik >= normal.loglik - 1e-6 * abs(normal.loglik)
    assert reached or "drifts to its limit" in loggamma.note


def test_a_t_near_its_limit_is_evaluated_without_cancellation(rng):
    x = rng.normal(3, 2, 300) * 1e-300
    f = klm.fit(x, "t")
    n = klm.fit(x, "norm")
    assert f.loglik == pytest.approx(stats.t.logpdf(x, **f.all_params).sum(), rel=1e-9)
    assert f.loglik <= n.loglik + 1.0  # not 500 nats above its own limit


def test_unnormalised_custom_families_are_refused():
    x = np.random.default_rng(0).poisson(3, 300)
    triple = klm.CustomFamily(
        "triple",
        pmf=lambda k, mu: 3 * stats.poisson.pmf(k, mu),
        parameters={"mu": (0, 50)},
        support=(0, math.inf),
    )
    y = np.random.default_rng(0).normal(size=300)
    double = klm.CustomFamily(
        "double",
        pdf=lambda v, m: 2 * stats.norm.pdf(v, m),
        parameters={"m": (-5, 5)},
        support=(-math.inf, math.inf),
    )
    table = klm.compare(x, ["poisson", triple])
    assert "sums to 3, not 1" in table.loc["triple", "note"]
    table = klm.compare(y, ["norm", double])
    assert "integrates to 2, not 1" in table.loc["double", "note"]


def test_g_test_of_an_impossible_value_is_p_zero_and_options_are_checked():
    fit = klm.fit([0, 1, 1, 2, 7], stats.binom(5, 0.3))
    test = klm.g_test(fit)
    assert test.p_value == 0.0 and test.statistic == math.inf
    ok = klm.fit(np.random.default_rng(1).poisson(3, 200), "poisson")
    for bad in (-1, math.nan, "5", True):
        with pytest.raises(klm.ParameterError, match="min_expected"):
            klm.g_test(ok, min_expected=bad)
    assert klm.g_test(klm.fit([0, 1], "poisson"), min_expected=5).dof >= 0
    with pytest.raises(klm.ParameterError, match="takes a Fit"):
        klm.g_test("poisson")


# ------------------------------------------------------------------ magnitudes and dtypes
@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 2.0**1000])
def test_fits_are_scale_invariant_at_extreme_magnitudes(rng, scale):
    x = rng.gamma(3.0, 2.0, 400)
    families = ["gamma", "lognorm", "weibull_min", "norm", "logistic", "expon", "invgauss"]
    ref, scaled = klm.compare(x, families), klm.compare(x * scale, families)
    assert list(ref.index) == list(scaled.index)
    np.testing.assert_allclose(
        scaled["loglik"], ref["loglik"] - x.size * math.log(scale), rtol=1e-8
    )


def test_data_near_the_largest_float_do_not_overflow():
    table = klm.compare([1.7e308, 1.6e308, 1.5e308, 1.55e308, 1.65e308], ["norm", "gamma"])
    assert np.isfinite(table["loglik"]).all()


def test_too_little_resolution_for_a_log_density_is_refused(rng):
    x = 1e15 + rng.normal(0, 1, 50)
    table = klm.compare(x, ["norm", "lognorm"])
    assert "double precision cannot resolve" in table.loc["lognorm", "note"]
    assert np.isfinite(table.loc["norm", "loglik"])


def test_a_loc_a_hair_beyond_the_minimum_survives_the_way_back_from_the_frame():
    """1e15 + 1e6 * |N(0, 1)| rounded (79 ties at the minimum): the skew-normal's half-normal limit
    puts loc 1e-12 scales below the minimum in the frame, which rounded onto it in the data's units
    (floats 0.125 apart), costing ln 2 per tied minimum. The oracle: the same values at 0, whose
    log-likelihood differs by exactly n ln(1e6), to the float resolution there (0.125 / 1e6 a value)."""
    base = np.round(np.abs(np.random.default_rng(3).normal(size=20_000)), 2)
    near = klm.fit(base, "skewnorm")
    far = klm.fit(1e15 + 1e6 * base, "skewnorm")
    assert int((base == base.min()).sum()) == 79
    assert far.params["loc"] < 1e15 == base.min() * 1e6 + 1e15
    assert far.loglik == pytest.approx(near.loglik - base.size * math.log(1e6), abs=0.01)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
def test_small_integer_dtypes_do_not_wrap(dtype):
    info = np.iinfo(dtype)
    x = np.array([info.min, info.max, 0, 0, 1], dtype=dtype)
    obs = klm.Observations.from_data(x)
    assert obs.min == info.min and obs.max == info.max and obs.n_obs == 5


def test_one_huge_count_allocates_nothing_proportional_to_its_value(rng):
    """Poisson counts and one 10^12: the defaults finish (terabytes were allocated once); the
    beta-binomial's likelihood rises with n to its cap (towards the negative binomial: its
    profile's slope stays positive, 2e-18 at the cap, where the values' rounding, 1.4 nats, hides
    the rise), and with n given its G-test, which would sum the pmf over 10^12 integers, is
    skipped with that reason."""
    x = np.append(rng.poisson(3, 1000), 10**12)
    start = time.perf_counter()
    table = klm.compare(x)
    assert time.perf_counter() - start < 60  # terabytes before; seconds now
    assert "keeps rising with n" in table.loc["betabinom", "note"]
    given_n = klm.compare(x, ["betabinom", "nbinom"], fixed={"betabinom": {"n": 2e12}})
    assert "G-test skipped" in given_n.loc["betabinom", "note"]
    assert np.isfinite(given_n.loc["betabinom", "loglik"])


# ------------------------------------------------------------------ options
@pytest.mark.parametrize(
    "bins", [0, -3, [3.0, 1.0, 2.0], "bogus", 2.5, 10**9, [1.0], [0.0, np.inf], True]
)
def test_bad_bins_are_parameter_errors(rng, bins):
    with pytest.raises(klm.ParameterError, match="bins"):
        klm.compare(rng.gamma(2, 2, 100), ["gamma"], bins=bins)


def test_bins_must_cover_the_data(rng):
    with pytest.raises(klm.ParameterError, match="cover the data"):
        klm.compare(rng.gamma(2, 2, 100), ["gamma"], bins=[0.5, 1.0, 2.0])


def test_a_candidate_that_misbehaves_keeps_a_failed_row():
    x = np.random.default_rng(0).normal(size=200)
    support = (-math.inf, math.inf)

    def custom(name, pdf):
        return klm.CustomFamily(name, pdf=pdf, parameters={"m": (-1, 1)}, support=support)

    bad = {
        "raises": custom("raises", lambda v, m: 1 / 0),
        "shape": custom("shape", lambda v, m: np.ones(3)),
        "strings": custom("strings", lambda v, m: "x"),
        "nan": custom("nan", lambda v, m: np.full(v.shape, np.nan)),
    }
    table = klm.compare(x, {"norm": "norm", **bad})
    assert table.index[0] == "norm"
    assert "raised ZeroDivisionError" in table.loc["raises", "note"]
    assert "shape (3,)" in table.loc["shape", "note"]
    assert "must return numbers" in table.loc["strings", "note"]
    assert "NaN" in table.loc["nan", "note"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: klm.compare(range(11), weights=WORM_SHARE, n_obs="100"), "not a string"),
        (lambda: klm.compare(range(11), weights=WORM_SHARE, n_obs=1e308), "n_obs"),
        (lambda: klm.bootstrap([1, 2, 2, 3, 4, 5], ["poisson"], n_boot=5, criterion="foo"), "criterion"),
        (lambda: klm.bootstrap([1, 2, 2, 3, 4, 5], ["poisson"], n_boot=5, confidence="0.9"), "confidence"),
        (lambda: klm.bootstrap([1, 2, 2, 3, 4, 5], ["poisson"], n_boot=5, rng=1.5), "rng"),
        (lambda: klm.bootstrap(range(11), ["binom"], weights=WORM_SHARE, n_obs=0.5, support=(0, 10)), "at least 2"),
        (lambda: klm.model_kl(stats.norm(0, -1), stats.norm(0, 1)), "not a valid distribution"),
        (lambda: klm.model_kl([0.5, 0.5], [0.2, 0.8]), "frozen scipy.stats"),
        (lambda: klm.model_kl(stats.norm([0, 1], 1), stats.norm(0, 1)), "array parameters"),
        (lambda: klm.model_kl(stats.norm(), stats.t(3), method="monte carlo", n_samples=1), "n_samples"),
        (lambda: klm.model_kl(stats.norm(), stats.t(3), method="monte carlo", n_samples=10**12), "n_samples"),
        (lambda: klm.vuong(klm.fit([0, 1, 1, 2, 3], "poisson"), "poisson"), "must be a Fit"),
        (lambda: klm.compare([1, 2, 2, 3], registry={"poisson": 1}), "registry"),
        (lambda: klm.fit([1, 2, 2, 3], "poisson", registry=5), "registry"),
        (lambda: klm.CustomFamily("x", pmf=lambda v, p: v, parameters=["p"], support=(0, 5)), "parameters must map"),
        (lambda: klm.CustomFamily("x", pmf=lambda v, p: v, parameters={"p": (0, 1)},
                                  support=(0, 5), start={"p": 5}), "outside its range"),
        (lambda: klm.fit([1.0, 2.0, 3.5], stats.norm(0, -1)), "not a valid distribution"),
        (lambda: klm.compare(range(11), weights=WORM_SHARE, base=0.5), "greater than 1"),
        (lambda: klm.compare([1, 2, 3], n_jobs=0), "n_jobs"),
    ],
)  # fmt: skip
def test_bad_options_are_parameter_errors(call, message):
    with pytest.raises(klm.ParameterError, match=message):
        call()


def test_numpy_numbers_are_numbers():
    x = [1.5, 2.5, 3.5, 1.0, 2.0, 2.2, 3.1]
    assert len(klm.compare(x, ["norm"], n_jobs=np.int64(2))) == 1
    result = klm.bootstrap([1, 2, 2, 3, 4, 5], ["poisson"], n_boot=np.int64(4), rng=np.int64(3))
    assert result.n_boot == 4


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        ([[1, 2], [3]], klm.DataError, "nested sequences"),
        (None, klm.DataError, "None"),
        ({1, 2, 3}, klm.DataError, "set"),
        (np.array([-(2**62), 2**62]), klm.FitError, "2\\*\\*53"),
    ],
)
def test_bad_data_are_data_errors(data, error, message):
    with pytest.raises(error, match=message):
        klm.fit(data, "randint")


def test_generators_and_masked_arrays_are_observations():
    assert klm.Observations.from_data(v for v in [0, 1, 1, 2]).n_obs == 4
    masked = np.ma.masked_array([1.5, 2.5, 3.5, 99.0], mask=[0, 0, 0, 1])
    obs = klm.Observations.from_data(masked, nan_policy="omit")
    assert obs.max == 3.5  # the masked 99 is missing, not data
    with pytest.raises(klm.DataError, match="NaN or missing"):
        klm.Observations.from_data(masked)


def test_the_accessor_on_unusable_data_is_a_klmodels_error():
    with pytest.raises(klm.AccessorError, match="numeric or boolean"):
        _ = pd.Series(["a", "b"]).kl
    assert issubclass(klm.AccessorError, AttributeError)


def test_messages_give_the_right_reason_and_advice():
    with pytest.raises(klm.DataError, match="add up to more than a float"):
        klm.compare([1.0, 2.0], weights=[1e308, 1e308])
    with pytest.raises(klm.FitError, match=r"support=\(low, high\) with a whole-number high"):
        klm.fit([1.0, 2.0, 3.0, 4.5], "weibull_max")
    frame = pd.DataFrame({0: [0, 1, 2, 3], 1: [5, 3, 2, 1]})
    table = frame.kl.compare(0, weights=1)
    assert table.attrs["n_obs"] == 11  # column 1 as the weights, not the number 1
    with pytest.raises(klm.FitError, match=r"all values are equal \(-1.5\)"):
        klm.fit([-1.5] * 8, "norm")
    with pytest.raises(klm.FitError, match="takes values from 1 up"):
        klm.fit([0, 1, 1, 2, 3, 4], "yulesimon")
    fit = klm.fit(np.array([1, 2, 3, 10**7]), "zipfian")  # not "probability 0" on a wide range
    assert math.isfinite(fit.loglik)


def test_a_point_mass_at_the_edge_does_not_win_by_collapsing():
    table = klm.compare([0, 0, 0, 0, 0, 0.5, 1, 1.5, 2, 2.5])
    for family in ("lomax", "genpareto"):
        assert "point mass" in table.loc[family, "note"]
    assert table.index[0] == "expon"


# ------------------------------------------------------------------ results are values
def test_fits_tables_and_bootstrap_results_pickle(rng):
    x = rng.gamma(2, 3, 300)
    table = klm.compare(x, ["gamma", "lognorm", "pareto"], free_loc=True)
    again = pickle.loads(pickle.dumps(table))
    assert isinstance(again, klm.ComparisonTable) and again.equals(table)
    assert list(again.fits) == list(table.fits) and again.header() == table.header()
    fit = pickle.loads(pickle.dumps(table.fits["gamma"]))
    assert fit.params == table.fits["gamma"].params and fit.loglik == table.fits["gamma"].loglik
    boot = klm.bootstrap(x, ["gamma", "lognorm"], n_boot=4, rng=1)
    assert pickle.loads(pickle.dumps(boot)).wins.equals(boot.wins)


def test_a_table_round_trips_through_its_json_file(tmp_path, worms):
    for table in (
        klm.compare(worms["teeth"], weights=worms["share"], support=(0, 10), n_obs=100),
        klm.compare(np.random.default_rng(2).gamma(2, 3, 200), ["gamma", "lognorm", "pareto"], free_loc=True),
    ):  # fmt: skip
        path = table.save(tmp_path / "table.json")
        back = read_comparison(path)
        pd.testing.assert_frame_equal(pd.DataFrame(back), pd.DataFrame(table))
        assert back.header() == table.header()
    (tmp_path / "other.json").write_text('{"rows": []}')
    with pytest.raises(klm.DataError, match="not a klmodels comparison"):
        read_comparison(tmp_path / "other.json")


# ------------------------------------------------------------------ the command line
def _cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The command in this process (click's runner); stdout and stderr as bytes."""
    from click.testing import CliRunner

    from klmodels.cli import run

    with CliRunner().isolation(input=stdin) as (out, err, _), contextlib.chdir(ROOT):
        code = run(list(args))
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def test_cli_file_errors_are_one_line(tmp_path):
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 not really")
    csv_named_parquet = tmp_path / "table.parquet"
    csv_named_parquet.write_text("x\n1\n2\n")
    header_only = tmp_path / "header.csv"
    header_only.write_text("x,w\n")
    one = tmp_path / "one.csv"
    one.write_text("x\n5.5\n")
    data = tmp_path / "data.csv"
    pd.DataFrame({"x": np.random.default_rng(0).gamma(2, 2, 50)}).to_csv(data, index=False)
    cases = [
        (("compare", str(corrupt), "-c", "x"), "cannot read"),
        (("compare", str(csv_named_parquet), "-c", "x"), "Parquet"),
        (("compare", str(header_only), "-c", "x"), "no values"),
        (("entropy", str(one), "-c", "x"), "no entropy"),
        (("compare", str(data), "-c", "x", "--plot", "/proc/none/x.png"), "does not exist"),
        (
            ("compare", str(data), "-c", "x", "--plot", str(tmp_path / "x.xyz")),
            "cannot write a xyz image",
        ),
        (
            ("fit", str(data), "-c", "x", "--family", "gamma", "--fixed", "floc=0"),
            "no parameter 'floc'",
        ),
        (("compare", str(data), "-c", "x", "--bins", "0"), "--bins"),
    ]
    for args, message in cases:
        result = _cli(*args)
        err = result.stderr.decode()
        assert result.returncode != 0, args
        assert message in err and "Traceback" not in err, (args, err)
        assert len(err.strip().splitlines()) == 1, err
    result = _cli("compare", "-", "-c", "x", stdin=b"x\n\xff\xfe\x00\n")
    assert result.returncode == 1 and "not UTF-8" in result.stderr.decode()


def test_cli_entropy_of_one_whole_number_is_zero_not_minus_zero(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("x\n5\n")
    result = _cli("entropy", str(path), "-c", "x")
    assert result.returncode == 0 and result.stdout.decode().strip() == "0 bits"


def test_tables_read_back_from_the_cli_csv():
    result = _cli("compare", "data/toxocara_number.csv", "-c", "number", "--format", "csv")
    table = pd.read_csv(io.StringIO(result.stdout.decode()), index_col="family")
    assert "kl_se_bits" in table.columns


def test_the_generic_adapter_refuses_impossible_densities_and_circular_families():
    """powernorm's scipy log density cancels terms of 5e33 at c = 1e-35, scale = 7e-18 and came
    out as +2e18: the fit followed it to a log-likelihood of 3e21 on 300 lognormal values. scipy's
    vonmises is circular (its density repeats along the line; its cdf passes 1), which gave
    +24,902. Now powernorm lands next to the lognormal, and vonmises fails with the reason."""
    rng = np.random.default_rng(5)
    rng.beta(2, 5, 300)  # the draws of the sweep that found it
    x = rng.lognormal(1, 0.5, 300)
    table = klm.compare(x, ["lognorm", "powernorm", "vonmises"])
    lognorm = table.loc["lognorm", "loglik"]
    assert abs(table.loc["powernorm", "loglik"] - lognorm) < 50
    fit = table.fits["powernorm"]
    assert fit.loglik == pytest.approx(float(np.sum(fit.freeze().logpdf(x))), rel=1e-9)
    assert math.isnan(table.loc["vonmises", "loglik"])
    assert "not a probability distribution on the line" in table.loc["vonmises", "note"]
    assert "vonmises_line" in table.loc["vonmises", "note"]


def test_the_generic_adapters_guards_leave_real_signals_alone():
    """Second review of the guards above: an infinite density at a support's end still marks an
    unbounded likelihood with loc free (the ceiling had turned +inf into NaN, and gengamma at
    1e6 + gamma(0.5) draws was reported at an arbitrary point); a cdf scipy cannot compute
    (mielke's overflows to NaN) is not a sign of a circular family; loggamma's held c beyond its
    digits give FitErrors (an impossible log-likelihood), and a held scale of 1e-155 (OverflowError
    once) its c -> 0 limit."""
    from klmodels.family.generic import GenericScipyFamily

    shifted = stats.gamma(0.5).rvs(400, random_state=np.random.default_rng(7)) + 1e6
    with pytest.raises(klm.AllFamiliesFailedError, match="no maximum-likelihood estimate"):
        klm.compare(shifted, ["gengamma"], free_loc=True)
    heavy = np.random.default_rng(3).pareto(0.8, 300) + 1
    mielke = klm.fit(heavy, "mielke")
    assert math.isfinite(mielke.loglik) and "cdf is not defined" in mielke.note
    x = np.random.default_rng(3).normal(10, 2, 300)
    for held in ({"c": 1e12}, {"c": 1e300}):
        with pytest.raises(klm.FitError):
            klm.fit(x, "loggamma", **held)
    # a held scale of 1e-155 (OverflowError once, then a FitError): only c ~ 1e-156 fits the data,
    # the c -> 0 limit, the reflected exponential (its log-likelihood in closed form)
    tiny = klm.fit(x, "loggamma", scale=1e-155)
    theta = np.mean(x.max() - x)
    assert tiny.loglik == pytest.approx(-x.size * (math.log(theta) + 1), rel=1e-12)
    assert "drifts to its limit as c -> 0" in tiny.note
    with pytest.raises(klm.FitError, match="no parameters give the data a positive likelihood"):
        klm.fit(x, GenericScipyFamily("tukeylambda", time_budget=0.25), lam=1.0, scale=1.0)


def test_a_finite_support_generic_family_says_how_to_place_it_and_starts_around_the_data():
    """vonmises_line lives on [-pi, pi] * scale + loc: with loc and scale held at 0 and 1 the error
    names whole-number bounds that work (it said support=(low, high) of any kind, which support=
    refuses: it takes whole numbers); with them free, the start covers the data (it began at scale 1
    beside them and found no valid point; scipy's own fit returns -inf here)."""
    from klmodels.family import GenericScipyFamily

    x = np.random.default_rng(5).lognormal(1, 0.5, 300)
    with pytest.raises(klm.FitError, match=r"support=\(0, 11\)") as error:
        klm.fit(x, "vonmises_line")
    assert math.isfinite(klm.fit(x, "vonmises_line", support=(0, 11)).loglik)
    assert "GenericScipyFamily('vonmises_line').with_free('loc', 'scale')" in str(error.value)
    free = klm.fit(x, GenericScipyFamily("vonmises_line").with_free("loc", "scale"))
    assert math.isfinite(free.loglik)
    assert free.loglik == pytest.approx(float(np.sum(free.freeze().logpdf(x))), rel=1e-9)
