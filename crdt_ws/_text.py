"""The one boundary between Python string indices and pycrdt's UTF-8 byte offsets.

pycrdt's ``Text`` counts UTF-8 bytes (Yjs in the browser counts UTF-16 code
units; the wire format carries neither, so peers still agree).  Everything
above this module speaks ``str`` indices; everything that touches ``Text``
positions goes through :class:`TextBuffer`.
"""

from __future__ import annotations

from pycrdt import Text

from ._symbols import SymbolSpan, find_span

__all__ = ["TextBuffer", "StreamAnchor", "to_bytes", "to_chars", "minimal_edit"]


def to_bytes(source: str, index: int) -> int:
    """Byte offset of character ``index`` in ``source``."""
    return len(source[:index].encode("utf-8"))


def to_chars(source: str, offset: int) -> int:
    """Character index of byte ``offset`` in ``source`` (clamped to a character boundary)."""
    return len(source.encode("utf-8")[:offset].decode("utf-8", "ignore"))


def minimal_edit(old: str, new: str) -> tuple[int, int, str]:
    """Smallest single replacement turning ``old`` into ``new``: ``(start, end, text)``.

    Trimming the common prefix and suffix keeps a region edit from deleting and
    reinserting text that did not change, which is what lets a concurrent edit
    inside an unchanged part of the region survive.
    """
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    return prefix, len(old) - suffix, new[prefix : len(new) - suffix]


class TextBuffer:
    """A ``pycrdt.Text`` addressed by Python string indices.

    Callers open the transaction (with their origin); the methods here read the
    current text inside it, so positions are computed against what is really
    there now, not against a copy that may have changed under the caller.
    """

    def __init__(self, text: Text) -> None:
        self.text = text

    @property
    def source(self) -> str:
        return str(self.text)

    def insert(self, index: int, chunk: str) -> None:
        if chunk:
            self.text.insert(to_bytes(self.source, index), chunk)

    def replace(self, start: int, end: int, new: str) -> None:
        """Replace ``source[start:end]`` with ``new`` using the minimal edit."""
        source = self.source
        a, b, chunk = minimal_edit(source[start:end], new)
        begin, stop = to_bytes(source, start + a), to_bytes(source, start + b)
        if stop > begin:
            del self.text[begin:stop]
        if chunk:
            self.text.insert(begin, chunk)

    def span(self, qualname: str) -> SymbolSpan:
        return find_span(self.source, qualname)

    def replace_symbol(self, qualname: str, new_block: str) -> SymbolSpan:
        """Replace the region of ``qualname`` (located now) with ``new_block``."""
        span = self.span(qualname)
        self.replace(span.start, span.end, new_block)
        return span

    def anchor(self, index: int) -> StreamAnchor:
        return StreamAnchor(self, index)


class StreamAnchor:
    """Where a streaming writer's next chunk goes, robust to concurrent edits.

    The anchor is content-addressed: it remembers the text around the
    insertion point (refreshed after every chunk) plus everything it has
    written, and before each chunk finds that run again.  Other replicas may
    insert or delete anywhere outside the run and the chunks still land
    contiguously.  The run is found with its context on both sides, failing
    that with one side, failing that alone: where it still is exactly where it
    last was, where it occurs only once (without both sides: if long enough
    to mean something), or, among several, where the text before it matches
    what was before the run furthest back.  When none of that
    holds (the run was
    deleted, or only a few common characters were written and a neighbour's
    commit changed both sides) the anchor is *lost* and writes nothing more:
    a chunk put at a remembered offset lands in whatever moved there, another
    agent's code (issue 21j: trailscraper's ``cli.py`` and a commit above a
    stream that had written ``"        r"``).  The stream's final commit
    replaces the region anyway, so a lost anchor costs only the live view.
    pycrdt's sticky indices are not used: in 0.14.13 they are created in one
    unit and reported in another, and panic at the end of the text (measured;
    see the closing note of the foundation issue).
    """

    _CONTEXT = 48
    _FAR = 512  # text before the run kept to tell identical contexts apart
    _MAX_HITS = 16
    _MIN_ALONE = 24  # a run found with one side of its context or none: this long at least, and only once in the text

    def __init__(self, buffer: TextBuffer, index: int) -> None:
        source = buffer.source
        if not 0 <= index <= len(source):
            raise IndexError(f"anchor index {index} outside the buffer (length {len(source)})")
        self._buffer = buffer
        self._last = index
        self._prefix = source[max(0, index - self._CONTEXT) : index]
        self._suffix = source[index : index + self._CONTEXT]
        self._far = source[max(0, index - self._FAR) : index]
        self._written = ""
        self.lost = False

    @property
    def index(self) -> int:
        """Current character index of the anchor (where it last was, once lost)."""
        found = None if self.lost else self._locate(self._buffer.source)
        return found if found is not None else min(self._last, len(self._buffer.source))

    def _locate(self, source: str) -> int | None:
        written, prefix, suffix = self._written, self._prefix, self._suffix
        if not (written or prefix or suffix):
            return min(self._last, len(source))  # opened on an empty buffer: nothing to lose yet
        if not (prefix or suffix):
            found = _nearest(source, written, self._last - len(written))  # a buffer that was empty: the run is all
            return None if found is None else found + len(written)
        # The run with what surrounds it on both sides; failing that (a neighbour's commit changed one side),
        # with the other side; failing that, alone.  A needle is taken where it still is exactly where the run
        # was last, or where it occurs only once (and, without both sides, is long enough to mean something).
        # Never the nearest of several: identical classes (voluptuous's validators, ``__init__`` ``__call__``
        # ``__repr__`` stubs one after another) give the same context to streams that begin alike, and after a
        # commit above both moved the text the nearest one is another agent's.
        probes = [(prefix + written + suffix, len(prefix) + len(written), 0)]
        probes += [(prefix + written, len(prefix) + len(written), self._MIN_ALONE), (written + suffix, len(written), self._MIN_ALONE)]
        probes += [(written, len(written), self._MIN_ALONE)] if written else [(prefix, len(prefix), self._MIN_ALONE), (suffix, 0, self._MIN_ALONE)]
        for needle, shift, least in probes:
            if len(needle) < max(least, 1):
                continue
            if self._last >= shift and source.startswith(needle, self._last - shift):
                return self._last
            found = self._pick(source, needle, shift)
            if found is not None:
                return found
        return None

    def _pick(self, source: str, needle: str, shift: int) -> int | None:
        """The end of the run in the one occurrence of ``needle``, or in the one whose text before it matches what
        was before the run furthest back (the class line of one of two identical classes); None when it is a tie."""
        hits: list[int] = []
        at = source.find(needle)
        while at >= 0 and len(hits) <= self._MAX_HITS:
            hits.append(at)
            at = source.find(needle, at + 1)
        if len(hits) == 1:
            return hits[0] + shift
        if not hits or len(hits) > self._MAX_HITS:
            return None
        run = len(self._written)
        scores = [_common_tail(source, hit + shift - run, self._far) for hit in hits]
        best = max(scores)
        if scores.count(best) > 1 or best < self._CONTEXT:
            return None
        return hits[scores.index(best)] + shift

    def write(self, chunk: str) -> None:
        """Insert ``chunk`` at the anchor; the next chunk goes right after it.  Dropped once the anchor is lost."""
        if not chunk or self.lost:
            return
        source = self._buffer.source
        at = self._locate(source)
        if at is None:
            self.lost = True
            return
        self._buffer.insert(at, chunk)
        self._written += chunk
        self._last = at + len(chunk)
        # The context is what surrounds the run now: a neighbour's commit next to it changes it between chunks.
        begin = at - (len(self._written) - len(chunk))
        self._prefix = source[max(0, begin - self._CONTEXT) : begin]
        self._far = source[max(0, begin - self._FAR) : begin]
        self._suffix = source[at : at + self._CONTEXT]


def _common_tail(source: str, end: int, context: str) -> int:
    """How many characters before ``source[end]`` equal the end of ``context``."""
    n = 0
    while n < len(context) and end - n - 1 >= 0 and source[end - n - 1] == context[-n - 1]:
        n += 1
    return n


def _nearest(source: str, needle: str, near: int) -> int | None:
    """Start of the occurrence of ``needle`` closest to ``near``, or None."""
    best: int | None = None
    start = source.find(needle)
    while start >= 0:
        if best is None or abs(start - near) < abs(best - near):
            best = start
        elif start > near:
            break
        start = source.find(needle, start + 1)
    return best
