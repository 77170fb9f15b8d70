"""Vietnamese (28.603,61) and plain (28603.61) numbers: read right, ambiguity refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_lib.common.numbers import NumberError, evidence, format_number, parse_number

values = st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False,
                     allow_infinity=False)


@given(values)
def test_vietnamese_format_round_trips(value):
    text = format_number(float(value), 2, "vi")
    assert parse_number(text).value == pytest.approx(float(value))


@given(values)
def test_plain_format_round_trips(value):
    text = f"{float(value):.2f}"
    assert parse_number(text, "plain").value == pytest.approx(float(value))


@given(st.integers(min_value=1000, max_value=10**9))
def test_grouped_integers_in_vietnamese_form(n):
    text = format_number(n, 0, "vi")
    assert parse_number(text).value == n
    assert parse_number(text.replace(".", " ")).value == n  # "1 600"


@pytest.mark.parametrize("text, value", [
    ("28.603,61", 28603.61), ("1.600", 1600), ("85,5%", 85.5), ("28603.61", 28603.61),
    ("1 600", 1600), ("1\u00a0600", 1600), ("0,77", 0.77), ("-3,5", -3.5), ("1.234.567", 1234567),
    ("1,234,567.5", 1234567.5), (" 42 ", 42), (1600, 1600), (85.5, 85.5),
])
def test_known_forms(text, value):
    assert parse_number(text).value == pytest.approx(value)


@pytest.mark.parametrize("text", ["1,600", "12,345"])
def test_ambiguous_comma_thousands_is_an_error_without_file_evidence(text):
    with pytest.raises(NumberError, match="ambiguous"):
        parse_number(text)


def test_file_convention_settles_ambiguity():
    assert parse_number("1,600", "plain").value == 1600
    assert parse_number("1,600", "vi").value == 1.6
    assert parse_number("1.600", "plain").value == 1.6


@pytest.mark.parametrize("text", ["abc", "", "12a", "1.2.3", "1,23,4", "--5", "1.6.0", float("nan")])
def test_not_numbers(text):
    with pytest.raises(NumberError):
        parse_number(text)


def test_contradiction_with_file_convention():
    with pytest.raises(NumberError, match="convention"):
        parse_number("28.603,61", "plain")


def test_evidence():
    assert evidence("85,5") == "vi" and evidence("85.5") == "plain"
    assert evidence("1.600") is None and evidence("85") is None


def test_format_number_languages():
    assert format_number(28603.61) == "28.603,61"
    assert format_number(28603.61, lang="en") == "28,603.61"
    assert format_number(None) == "–" and format_number(float("nan")) == "–"
    assert format_number(1600, 0) == "1.600"
