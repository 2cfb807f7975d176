"""Small CLI helpers."""

from __future__ import annotations

from mig_cli.cli.common import format_information


def test_format_information_groups_digits_and_shortens_huge_values():
    assert format_information(6976.194) == "6,976.19"
    assert format_information(0.5, 4) == "0.5000"
    assert format_information(1.5e12) == "1.5e+12"
    assert format_information(1.7976931348623157e308) == "1.798e+308"
    assert format_information(-2e13) == "-2e+13"
