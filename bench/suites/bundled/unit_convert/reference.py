"""Independent unit-conversion helpers (length, mass, temperature)."""

from __future__ import annotations

import re

LENGTH_IN_METRES = {
    "mm": 0.001,
    "cm": 0.01,
    "m": 1.0,
    "km": 1000.0,
    "in": 0.0254,
    "ft": 0.3048,
    "yd": 0.9144,
    "mi": 1609.344,
}
MASS_IN_GRAMS = {
    "mg": 0.001,
    "g": 1.0,
    "kg": 1000.0,
    "t": 1_000_000.0,
    "oz": 28.349523125,
    "lb": 453.59237,
}
TEMPERATURE_UNITS = ("C", "F", "K")
QUANTITY = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")


def convert_length(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a length between units of LENGTH_IN_METRES.

    >>> convert_length(1, "km", "m")
    1000.0
    >>> round(convert_length(12, "in", "ft"), 6)
    1.0
    >>> convert_length(1, "parsec", "m")
    Traceback (most recent call last):
    ...
    ValueError: unknown length unit 'parsec'
    """
    for unit in (from_unit, to_unit):
        if unit not in LENGTH_IN_METRES:
            raise ValueError(f"unknown length unit {unit!r}")
    return value * LENGTH_IN_METRES[from_unit] / LENGTH_IN_METRES[to_unit]


def convert_mass(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a mass between units of MASS_IN_GRAMS.

    >>> convert_mass(2.5, "kg", "g")
    2500.0
    >>> round(convert_mass(1, "lb", "oz"), 6)
    16.0
    >>> convert_mass(1, "stone", "kg")
    Traceback (most recent call last):
    ...
    ValueError: unknown mass unit 'stone'
    """
    for unit in (from_unit, to_unit):
        if unit not in MASS_IN_GRAMS:
            raise ValueError(f"unknown mass unit {unit!r}")
    return value * MASS_IN_GRAMS[from_unit] / MASS_IN_GRAMS[to_unit]


def convert_temperature(value: float, from_unit: str, to_unit: str) -> float:
    """Convert between Celsius ("C"), Fahrenheit ("F") and Kelvin ("K").

    >>> convert_temperature(100, "C", "F")
    212.0
    >>> round(convert_temperature(0, "K", "C"), 2)
    -273.15
    >>> convert_temperature(-300, "C", "K")
    Traceback (most recent call last):
    ...
    ValueError: below absolute zero: -300 C
    """
    for unit in (from_unit, to_unit):
        if unit not in TEMPERATURE_UNITS:
            raise ValueError(f"unknown temperature unit {unit!r}")
    if from_unit == "C":
        kelvin = value + 273.15
    elif from_unit == "F":
        kelvin = (value - 32) * 5 / 9 + 273.15
    else:
        kelvin = value
    if kelvin < 0:
        raise ValueError(f"below absolute zero: {value} {from_unit}")
    if to_unit == "C":
        return kelvin - 273.15
    if to_unit == "F":
        return (kelvin - 273.15) * 9 / 5 + 32
    return kelvin


def unit_kind(unit: str) -> str:
    """Which kind of quantity a unit measures.

    >>> unit_kind("ft"), unit_kind("oz"), unit_kind("K")
    ('length', 'mass', 'temperature')
    >>> unit_kind("lightyear")
    Traceback (most recent call last):
    ...
    ValueError: unknown unit 'lightyear'
    """
    if unit in LENGTH_IN_METRES:
        return "length"
    if unit in MASS_IN_GRAMS:
        return "mass"
    if unit in TEMPERATURE_UNITS:
        return "temperature"
    raise ValueError(f"unknown unit {unit!r}")


def parse_quantity(text: str) -> tuple[float, str]:
    """Read "<number> <unit>" (the space is optional).

    >>> parse_quantity("12.5 km")
    (12.5, 'km')
    >>> parse_quantity("-3C")
    (-3.0, 'C')
    >>> parse_quantity("km 12")
    Traceback (most recent call last):
    ...
    ValueError: not a quantity: 'km 12'
    """
    match = QUANTITY.match(text)
    if match is None:
        raise ValueError(f"not a quantity: {text!r}")
    return float(match.group(1)), match.group(2)


def format_quantity(value: float, unit: str, digits: int = 2) -> str:
    """Render a quantity rounded to `digits` decimals, without trailing zeros.

    >>> format_quantity(1.5, "km")
    '1.5 km'
    >>> format_quantity(3.0, "kg")
    '3 kg'
    >>> format_quantity(2.71828, "m", digits=3)
    '2.718 m'
    """
    text = f"{round(value, digits):.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return f"{text} {unit}"
