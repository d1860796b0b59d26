"""Name-token evidence: a docstring describes what another stub does without naming it.

``remove_stop_words`` is needed by a stub whose docstring says "... and remove
all the stop words ...". Each stub name is split into words, stemmed, stripped
of filler words (get, is, with...) and of the class's domain vocabulary (words
most of the class's docstrings use, e.g. "email" in an email client); when every
remaining word occurs in another stub's prose, that stub probably uses it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from ._models import CouplingConfig, Edge
from ._outline import Definition
from ._words import COMMON_WORDS, split_identifier

# Words of a stub name that say nothing about what it does.
FILLER = frozenset(
    "a an and all any as at be by can do does for from get has have in into is it of on one or the to with more "
    "new current calculate compute make check if not no".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


@functools.lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """A crude suffix stripper, enough to match "punctuations" with "punctuation", "values" with "value"."""
    w = word.lower()
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not (suffix == "s" and w.endswith("ss")):
            w = w[: -len(suffix)] + repl
            break
    return w[:-1] if w.endswith("e") and len(w) > 4 else w


def prose_words(lines: list[str]) -> list[str]:
    """Stemmed words of prose, with identifiers split (so ``self.stop_words`` yields stop, word)."""
    out: list[str] = []
    for raw in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", "\n".join(lines)):
        out += [stem(t) for t in split_identifier(raw)] if "_" in raw or not raw.isalpha() else [stem(raw)]
    return out


def _adjacent(needle: list[str], hay: list[str]) -> bool:
    k = len(needle)
    return any(hay[i : i + k] == needle for i in range(len(hay) - k + 1))


def token_edges(stubs: list[Definition], prose: dict[str, list[str]], config: CouplingConfig, skip: set[tuple[str, str]]) -> Iterator[Edge]:
    """``doc_tokens`` edges; ``prose`` maps qualname -> prose lines, ``skip`` holds pairs already named explicitly."""
    words = {q: prose_words(lines) for q, lines in prose.items()}
    by_class: dict[str | None, list[Definition]] = {}
    for d in stubs:
        by_class.setdefault(d.owner, []).append(d)
    for members in by_class.values():
        n = len(members)
        df: dict[str, int] = {}
        for d in members:
            for w in set(words[d.qualname]):
                df[w] = df.get(w, 0) + 1
        domain = {w for w, c in df.items() if n >= 3 and c / n > config.domain_word_fraction}
        for dst in members:
            if dst.name.startswith("__"):
                continue
            name = [stem(t) for t in split_identifier(dst.name)]
            content = [t for t in name if t not in FILLER and t not in domain and len(t) > 2]
            if not content:
                continue
            private = dst.name.startswith("_")
            for src in members:
                if src is dst or (src.qualname, dst.qualname) in skip:
                    continue
                hay = words[src.qualname]
                # A docstring describes its own stub: words of src's own name are no evidence.
                have = set(hay) - {stem(t) for t in split_identifier(src.name)}
                matched = [t for t in content if t in have]
                if not matched:
                    continue
                coverage = len(matched) / len(content)
                if coverage < 1.0 and not (private and coverage >= 0.5):
                    continue
                if len(content) >= 2 and coverage == 1.0:
                    weight = config.w_doc_tokens_phrase if _adjacent(content, hay) else config.w_doc_tokens_all
                elif content[0] in COMMON_WORDS and len(content) == 1:
                    weight = config.w_doc_tokens_one / 2
                else:
                    weight = config.w_doc_tokens_one
                if private:
                    weight = min(1.0, weight + config.w_private_bonus)
                yield Edge(
                    src=src.qualname, dst=dst.qualname, kind="doc_tokens", weight=round(weight, 4),
                    evidence=f"docstring of {src.qualname} uses the words of '{dst.name}': {', '.join(matched)}",
                )
