"""Semantic versioning: parsing, precedence, range constraints and bumps."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import NamedTuple

VERSION = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
COMPARATOR = re.compile(r"^(>=|<=|>|<|=|\^|~)?(.+)$")
ORDER_CHECKS: dict[str, Callable[[int], bool]] = {
    ">=": lambda order: order >= 0,
    "<=": lambda order: order <= 0,
    ">": lambda order: order > 0,
    "<": lambda order: order < 0,
    "=": lambda order: order == 0,
}


class Version(NamedTuple):
    """A parsed version."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...] = ()


def parse_version(text: str) -> Version:
    """Parse "MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]".

    >>> parse_version("1.4.0-rc.1+build.5")
    Version(major=1, minor=4, patch=0, prerelease=('rc', 1))
    >>> parse_version("01.0.0")
    Traceback (most recent call last):
    ...
    ValueError: not a semantic version: '01.0.0'
    """
    match = VERSION.match(text.strip())
    if match is None:
        raise ValueError(f"not a semantic version: {text!r}")
    major, minor, patch, pre = match.groups()
    prerelease = tuple(int(p) if p.isdigit() else p for p in pre.split(".")) if pre else ()
    return Version(int(major), int(minor), int(patch), prerelease)


def format_version(version: Version) -> str:
    """The canonical text of a version.

    >>> format_version(Version(2, 0, 1, ("beta", 2)))
    '2.0.1-beta.2'
    >>> format_version(Version(1, 2, 3))
    '1.2.3'
    """
    text = f"{version.major}.{version.minor}.{version.patch}"
    if version.prerelease:
        text += "-" + ".".join(str(p) for p in version.prerelease)
    return text


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 by semver precedence.

    >>> compare_versions("1.0.0-alpha", "1.0.0"), compare_versions("1.10.0", "1.9.9")
    (-1, 1)
    >>> compare_versions("1.0.0-alpha.1", "1.0.0-alpha.beta"), compare_versions("1.0.0+x", "1.0.0")
    (-1, 0)
    """
    va, vb = parse_version(a), parse_version(b)
    if va[:3] != vb[:3]:
        return -1 if va[:3] < vb[:3] else 1
    if va.prerelease == vb.prerelease:
        return 0
    if not va.prerelease or not vb.prerelease:
        return 1 if not va.prerelease else -1
    for x, y in zip(va.prerelease, vb.prerelease):
        if x == y:
            continue
        if isinstance(x, int) and isinstance(y, int):
            return -1 if x < y else 1
        if isinstance(x, int) or isinstance(y, int):
            return -1 if isinstance(x, int) else 1
        return -1 if x < y else 1
    return -1 if len(va.prerelease) < len(vb.prerelease) else 1


def satisfies(version: str, constraint: str) -> bool:
    """Whether a version meets every space-separated comparator of a constraint.

    >>> satisfies("1.4.2", ">=1.2.0 <2.0.0"), satisfies("2.0.0", "^1.2.0"), satisfies("0.3.1", "^0.2.0")
    (True, False, False)
    >>> satisfies("1.2.9", "~1.2.3"), satisfies("1.3.0-rc.1", ">=1.0.0")
    (True, False)
    """
    candidate = parse_version(version)
    parts = constraint.split()
    if not parts:
        raise ValueError("empty constraint")
    if candidate.prerelease and not any("-" in p for p in parts):
        return False
    for part in parts:
        match = COMPARATOR.match(part)
        assert match is not None
        op, bound = match.group(1) or "=", match.group(2)
        order = compare_versions(version, bound)
        if op in ("^", "~"):
            low = parse_version(bound)
            next_major = op == "^" and low.major > 0
            upper = f"{low.major + 1}.0.0" if next_major else f"{low.major}.{low.minor + 1}.0"
            if order < 0 or compare_versions(version, upper) >= 0:
                return False
        elif not ORDER_CHECKS[op](order):
            return False
    return True


def max_satisfying(versions: list[str], constraint: str) -> str | None:
    """The highest version meeting the constraint, or None.

    >>> max_satisfying(["1.2.3", "1.10.0", "2.0.0", "1.9.0"], "^1.0.0")
    '1.10.0'
    >>> max_satisfying(["0.1.0"], ">=1.0.0") is None
    True
    """
    matching = [v for v in versions if satisfies(v, constraint)]
    if not matching:
        return None
    return max(matching, key=functools.cmp_to_key(compare_versions))


def bump(version: str, part: str) -> str:
    """Increment one part, zeroing the lower ones and dropping any pre-release.

    >>> bump("1.2.3", "minor"), bump("1.2.3-rc.1", "patch"), bump("0.9.9", "major")
    ('1.3.0', '1.2.3', '1.0.0')
    """
    v = parse_version(version)
    if part == "major":
        return format_version(Version(v.major + 1, 0, 0))
    if part == "minor":
        return format_version(Version(v.major, v.minor + 1, 0))
    if part == "patch":
        return format_version(Version(v.major, v.minor, v.patch if v.prerelease else v.patch + 1))
    raise ValueError(f"part must be major, minor or patch, not {part!r}")
