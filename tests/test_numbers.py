"""The number policy: display digits, round vs truncate, short exact values, carried digits."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import CONFIGS
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.numbers import (
    PLAIN_BELOW,
    NumberFormat,
    carry,
    or_scientific,
    setting_text,
)

TRUNCATE5 = NumberFormat(5, "truncate")
ROUND5 = NumberFormat(5, "round")


@pytest.mark.parametrize(
    ("value", "truncated", "rounded"),
    [
        (0.4518781254, "0.45187", "0.45188"),
        (0.0015996999, "0.00159", "0.00160"),
        (-0.1704461158, "-0.17044", "-0.17045"),
        (0.1948085469, "0.19480", "0.19481"),
        (0.41000000000000003, "0.41", "0.41"),  # exact up to binary noise: printed short
        (2.0, "2.0", "2.0"),
        (-0.0000049, "0.00000", "0.00000"),  # no negative zero
        (-0.0, "0.0", "0.0"),  # nor for a zero that carries a sign (delta of a dead unit)
        (1e20, "1.0e+20", "1.0e+20"),  # a plain decimal would show 4 made-up zeros
        (-1.1080579599813645e202, "-1.10805e+202", "-1.10806e+202"),  # not 203 digits wide
        (9.9999996e16, "9.99999e+16", "1.00000e+17"),  # rounded up to 10: not exactly 1e17
        (1.5e25, "1.5e+25", "1.5e+25"),  # exactly a shorter mantissa: short
        (9999999999999998.0, "9999999999999998.0", "9999999999999998.0"),  # below 1e16: whole
    ],
)
def test_display(value: float, truncated: str, rounded: str) -> None:
    assert TRUNCATE5.format(value) == truncated
    assert ROUND5.format(value) == rounded


@pytest.mark.parametrize(
    ("value", "digits", "fixed", "shown"),
    [
        (1e-7, 8, False, "0.0000001"),  # it was 1E-7: Decimal's str past six zeros
        (9.02e-7, 8, False, "0.00000090"),  # 9.0E-7
        (1.23e-9, 8, True, "0.00000000"),  # 0E-8
        (1e-12, 12, False, "0.000000000001"),  # 0.0: exactly 0.0 within the noise tolerance
    ],
)
def test_a_tiny_value_is_a_plain_decimal(value, digits: int, fixed: bool, shown: str) -> None:
    assert NumberFormat(digits, "round", fixed).format(value) == shown


@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(0, 12), st.booleans())
def test_every_float_prints_narrow_and_near(value: float, digits: int, cut: bool) -> None:
    """A number is printed whole at any width, so none may be wider than a narrow terminal:
    past PLAIN_BELOW in scientific notation, within a unit of its mantissa's last digit
    (1e200 printed as 201 digits, wrapped mid-number at 120 columns)."""
    for fixed in (False, True):
        shown = NumberFormat(digits, "truncate" if cut else "round", fixed).format(value)
        assert len(shown) <= 16 + 1 + 1 + digits, shown  # sign, 16 figures, point, decimals
        if "e" in shown:
            assert abs(value) >= PLAIN_BELOW
            mantissa, power = shown.split("e")
            assert 1 <= abs(float(mantissa)) < 10
            assert abs(value / 10.0 ** int(power) - float(mantissa)) <= 10.0**-digits * 1.000001


@pytest.mark.parametrize("cut", ["round", "truncate"])
def test_fixed_shows_an_exact_value_padded_not_its_binary_noise(cut) -> None:
    """0.2 − 0.225 − 0.3 is −0.32499999999999996 in binary: fixed prints −0.32500, as the
    short display prints −0.325 (truncating the noise printed −0.32499)."""
    assert NumberFormat(5, cut, fixed=True).format(0.2 - 0.225 - 0.3) == "-0.32500"
    assert NumberFormat(5, cut).format(0.2 - 0.225 - 0.3) == "-0.325"


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 12), st.booleans(), st.booleans())
def test_never_scientific_notation(value: float, digits: int, fixed: bool, cut: bool) -> None:
    """Below PLAIN_BELOW (here, up to a million) a value is a plain decimal."""
    shown = NumberFormat(digits, "truncate" if cut else "round", fixed).format(value)
    assert "E" not in shown and "e" not in shown, shown
    assert abs(float(shown) - value) <= 10**-digits + 1e-9 * max(1.0, abs(value))


def test_half_rounds_away_from_zero_on_the_decimal_string() -> None:
    assert NumberFormat(2, "round", fixed=True).format(0.125) == "0.13"
    assert NumberFormat(2, "round", fixed=True).format(-0.125) == "-0.13"
    assert NumberFormat(2, "round", fixed=True).format(2.675) == "2.68"  # binary 2.67499...


def test_fixed_pads_exact_values() -> None:
    assert NumberFormat(5, "truncate", fixed=True).format(0.41) == "0.41000"


def test_carry_is_calculator_rounding() -> None:
    assert carry(3.14 * 0.88, 2) == 2.76  # exact arithmetic 2.7632
    assert carry(0.165, 2) == 0.17
    assert carry(0.33 * 0.5, 2) == 0.17
    assert carry(1 / 3, None) == 1 / 3


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 8))
def test_truncation_never_moves_away_from_zero(value: float, digits: int) -> None:
    shown = float(NumberFormat(digits, "truncate", fixed=True).format(value))
    assert abs(shown) <= abs(value) + 1e-9 * max(1.0, abs(value))
    assert abs(value - shown) < 10**-digits + 1e-9 * max(1.0, abs(value))


def test_carry_passes_non_finite_values_through() -> None:
    """Overflow under calculator arithmetic is reported by id, not a crash (found by fuzzing)."""
    import math

    assert math.isinf(carry(float("inf"), 2)) and math.isnan(carry(float("nan"), 2))


@pytest.mark.parametrize(
    ("value", "text", "shown"),
    [
        (6.433e-06, "0.00001", "6.433e-06"),  # Adam's v: one figure at five decimals
        (0.000111, "0.00011", "1.110e-04"),  # two figures
        (0.00111, "0.00111", "0.00111"),  # three figures: as the tables print it
        (0.0001, "0.0001", "0.0001"),  # exactly the text: nothing lost
        (0.0, "0.0", "0.0"),
        (-3.1e-07, "-0.00000", "-3.100e-07"),
    ],
)
def test_an_update_quantity_keeps_three_significant_figures(
    value: float, text: str, shown: str
) -> None:
    assert or_scientific(value, text, figures=3) == shown


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1, "0.1"),
        (1e-8, "1e-08"),
        (0.9999999, "0.9999999"),
        (0.999, "0.999"),
        (2.0, "2"),
        (1 / 3, "1/3"),
        (0.1 + 0.2, "0.30000000000000004"),
    ],
)
def test_a_setting_prints_whole(value: float, text: str) -> None:
    """β₂ = 0.9999999 is not the 1 that `:g` would print."""
    assert setting_text(value) == text
    top, _, bottom = text.partition("/")
    assert (float(top) / float(bottom) if bottom else float(top)) == value


@settings(max_examples=400, deadline=None)
@given(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=15),
)
def test_a_display_is_the_value_to_half_a_unit_of_its_last_digit(value: float, digits: int):
    """Printed short or whole, never further than rounding puts it: at 15 digits the
    'exact shorter decimal' rule printed 0.601087878848 for 0.601087878847826…"""
    shown = Decimal(NumberFormat(digits, "round").format(value))
    assert abs(shown - Decimal(repr(value))) <= Decimal(5).scaleb(-digits - 1)


@settings(max_examples=400, deadline=None)
@given(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=15),
)
def test_a_truncated_display_never_rounds_up(value: float, digits: int):
    """0.12345678901239 at 13 digits, truncated, is 0.1234567890123 (it printed …124):
    never further from zero than the value but for a float's noise, and within a unit."""
    shown = Decimal(NumberFormat(digits, "truncate").format(value))
    exact = Decimal(repr(value))
    noise = Decimal("1e-12") * max(1, abs(exact))
    assert abs(shown) <= abs(exact) + noise
    assert abs(exact) - abs(shown) < Decimal(1).scaleb(-digits) + noise


@pytest.mark.parametrize(
    ("value", "digits", "rounding", "shown"),
    [
        (0.12345678901239, 13, "truncate", "0.1234567890123"),
        (-0.19174713544997102, 13, "truncate", "-0.1917471354499"),
        (0.6010878788483698, 15, "round", "0.601087878848370"),  # its 15 digits, all kept
        (0.41000000000000003, 15, "truncate", "0.410000000000000"),
    ],
)
def test_thirteen_to_fifteen_digits(value: float, digits: int, rounding: str, shown: str):
    assert NumberFormat(digits, rounding).format(value) == shown


def _updates(spec: Path) -> tuple[dict, list[list[dict]]]:
    """A run's header and each step's updates, from its JSON trace."""
    result = CliRunner().invoke(app, ["run", str(spec), "-f", "json"])
    assert result.exit_code == 0, result.output + result.stderr
    trace = json.loads(result.stdout)
    return trace["header"], [step["updates"] for step in trace["steps"]]


def _hand_calculated(header: dict, steps: list[list[dict]]) -> None:
    """Every update as a hand calculation makes it: Δw = η δ x (+ α Δw before) written down to
    the carried digits, then new = old + Δw, carried again."""
    places, rate, alpha = header["carry_digits"], header["learning_rate"], header["momentum"]
    before: dict[str, float] = {}
    for updates in steps:
        for u in updates:
            change = carry(-rate * u["gradient"] + alpha * before.get(u["param"], 0.0), places)
            assert (u["change"], u["new"]) == (change, carry(u["old"] + change, places)), u
            before[u["param"]] = change


def test_mitchells_change_is_carried_before_it_is_added(tmp_path: Path) -> None:
    """configs/mitchell-calculator.yaml: w_o1_h2 = −0.2, δ·x = 0.03, so Δw = 0.5 × 0.03 =
    0.015, written 0.02, and new = −0.18 (once new − old after rounding: Δ 0.01, new −0.19)."""
    spec = CONFIGS / "mitchell-calculator.yaml"
    header, steps = _updates(spec)
    (w,) = [u for u in steps[0] if u["param"] == "w_o1_h2"]
    assert (w["old"], -w["gradient"], w["change"], w["new"]) == (-0.2, 0.03, 0.02, -0.18)
    _hand_calculated(header, steps)
    # with momentum, over three steps: α Δw(n − 1) reads the Δw written down
    text = spec.read_text(encoding="utf-8") + "steps: 3\ntraining: {momentum: 0.5}\n"
    (tmp_path / "momentum.yaml").write_text(text, encoding="utf-8")
    _hand_calculated(*_updates(tmp_path / "momentum.yaml"))


def test_a_given_prints_as_written_where_the_display_is_shorter(tmp_path) -> None:
    """Dawood at one decimal, truncated: the givens 0.05, 0.25 and 0.95 print whole in every
    table (they printed 0.0, 0.2 and 0.9, and the forward sum 0.1 × 0.1 + 0.5 × 0.3 + 0.2);
    computed values keep the display's one decimal."""
    text = (CONFIGS / "dawood.yaml").read_text(encoding="utf-8")
    spec = tmp_path / "one-decimal.yaml"
    spec.write_text(text.replace("digits: 5,", "digits: 1,"), encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(spec), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)["display"]
    assert shown["target[o1]"] == "0.05" and shown["target[o2]"] == "0.95"
    assert shown["old[b1]"] == "0.25" and shown["old[b2]"] == "0.35"
    assert shown["net[h1]"] == "0.4"  # 0.41, computed: cut to the display's decimal
    assert shown["out[o1]"] == "0.7"  # 0.75136...


def test_only_the_givens_themselves_print_whole() -> None:
    fmt = NumberFormat(2, "round", fixed=True, written=frozenset({0.125}))
    assert fmt.format(0.125) == "0.125"
    assert fmt.format(0.1251) == "0.13" and fmt.format(0.5) == "0.50"
