"""How specific a stub name is: a common English word in prose is weak evidence of a reference."""

from __future__ import annotations

import re
from typing import Literal

Specificity = Literal["specific", "plain", "common"]

# One-word names that appear in ordinary docstring prose without referring to a
# method: verbs of everyday API vocabulary and frequent English words.
COMMON_WORDS = frozenset(
    """
    a add all an and any append apply are as at be begin build by calculate call can cancel change check clean clear
    close compare compute connect contains convert copy count create current data date decode default delete display
    do done draw each empty encode end enter equal error exists exit extend fetch file fill filter find first
    flush for format from get handle has hash help id if in index info init input insert is it item items key keys last
    left length line list load log lookup main make map match max merge min move name new next no not now number of off
    on one open or order output parse pay peek play pop post print process push put query read record reduce refresh
    register remove render replace report reset resolve result return right run save search select send set setup
    show size sort split start state status step stop store sum swap test text the time to top total type undo
    update use valid validate value values view visit wait with write
    """.split()
)

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def split_identifier(name: str) -> list[str]:
    """``get_jwt_user`` -> [get, jwt, user]; ``setNum`` -> [set, num]."""
    return [t.lower() for part in name.split("_") if part for t in _CAMEL.findall(part)]


def specificity(name: str, params: tuple[str, ...] = ()) -> Specificity:
    """``specific`` for several words or a private helper, ``common`` for an everyday word or a parameter's name."""
    if name in params:
        return "common"
    tokens = split_identifier(name)
    if len(tokens) >= 2 or (name.startswith("_") and not name.startswith("__")):
        return "specific"
    if not tokens or tokens[0] in COMMON_WORDS or len(tokens[0]) <= 2:
        return "common"
    return "plain"
