"""How results read in a terminal and a notebook: header with units, compact parameters, fits kept."""

from __future__ import annotations

import pandas as pd

import klmodels as klm


def test_comparison_table_header_states_units_criterion_and_entropy(worm_teeth_100):
    table = klm.compare(worm_teeth_100, ["binom", "poisson"], support=(0, 10))
    assert isinstance(table, klm.ComparisonTable) and isinstance(table, pd.DataFrame)
    assert table.header() == (
        "klmodels comparison of 2 families on n_obs=100, best first by aicc (lower is better); "
        "information in bits per observation; data entropy 3.2622 bits"
    )
    text = repr(table)
    assert text.splitlines()[0] == table.header()
    assert "p=0.544" in text and "{'p'" not in text  # parameters shown compactly


def test_relative_frequencies_and_nats_are_named(worms):
    table = klm.compare(
        worms["teeth"], ["binom"], weights=worms["share"], support=(0, 10), base=2.718281828459045
    )
    assert table.unit == "nats"
    assert "relative frequencies (no n_obs), best first by kl" in table.header()
    assert "information in nats per observation; data entropy 2.2612 nats" in table.header()


def test_html_has_the_header_and_formatted_numbers(worm_teeth_100):
    html = klm.compare(worm_teeth_100, ["binom", "poisson"], support=(0, 10))._repr_html_()
    assert html.startswith("<p><b>klmodels comparison of 2 families")
    assert "<td>0.6165</td>" in html  # kl_bits to 4 decimals
    fit_html = klm.fit(worm_teeth_100, "binom", n=10)._repr_html_()
    assert (
        "<td>p=0.544</td>" in fit_html
        and "KL divergence D(data || model) (bits per observation)" in fit_html
    )


def test_fits_travel_with_the_table_and_its_slices(worm_teeth_100):
    table = klm.compare(worm_teeth_100, ["binom", "poisson", "geom"], support=(0, 10))
    assert set(table.fits) == {"binom", "poisson", "geom"}
    assert table.fits["binom"].params["p"] == table.loc["binom", "params"]["p"]
    assert isinstance(table[["k", "kl_bits"]], klm.ComparisonTable)
    assert table[["k", "kl_bits"]].fits["poisson"] is table.fits["poisson"]
    failing = klm.compare(worm_teeth_100, ["geom", "poisson"])
    assert set(failing.fits) == {"poisson"}  # a family that failed has a row but no fit
