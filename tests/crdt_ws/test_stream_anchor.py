"""A live stream never writes into another agent's code: it finds its run with context, or stops.

Issue 21j found chunks of trailscraper's ``download`` stream interleaved with
other code at the end of ``cli.py`` (the file no longer parsed).  The anchor
looked for what it had written alone, nearest to an offset remembered before
a neighbour's commit moved the text, and at that offset when even that failed:
a stream that had written only ``"        r"`` continued inside the neighbour's
new ``return`` lines.  Two real pycrdt replicas; every interleaving is spelled
out, so each run is the same.
"""

from __future__ import annotations

from pycrdt import Doc

from crdt_ws import Workspace, compiles, find_span

SKELETON = "class Jobs:\n    def first(self):\n        pass\n\n    def second(self):\n        pass\n\n    def third(self):\n        pass\n"
FIRST = "    def first(self):\n" + "".join(f"        if self.x{i}:\n            return {i}\n" for i in range(12)) + "        return None\n"
THIRD = "    def third(self):\n        return 'third'\n"


def _sync(*replicas: Workspace) -> None:
    for x in replicas:
        for y in replicas:
            if x is not y:
                y.doc.apply_update(x.doc.get_update(y.doc.get_state()))


def _pair() -> tuple[Workspace, Workspace]:
    a, b = Workspace("a", Doc(client_id=1)), Workspace("b", Doc(client_id=2))
    a.create_file("jobs.py", SKELETON)
    _sync(a, b)
    return a, b


def _stream_point(ws: Workspace, symbol: str) -> int:
    """The start of the stub's last line, where the implementer streams."""
    source = ws.read("jobs.py")
    span = find_span(source, symbol)
    return span.start + source[span.start : span.end].rstrip("\n").rfind("\n") + 1


def _commit(ws: Workspace, symbol: str, code: str) -> None:
    source = ws.read("jobs.py")
    span = find_span(source, symbol)
    ws.edit("jobs.py", span.start, span.end, code)


def test_a_commit_on_both_sides_of_a_short_run_does_not_pull_the_stream_into_it() -> None:
    a, b = _pair()
    with a.stream("jobs.py", _stream_point(a, "Jobs.second")) as writer:
        writer.write("        r")  # a few common characters: "        r" is in every ``return`` line below
        _sync(a, b)
        _commit(b, "Jobs.first", FIRST)  # the text before the run changes...
        _commit(b, "Jobs.third", THIRD)  # ...and the text after it
        _sync(a, b)
        writer.write("eturn 2\n")
        writer.write("        # done\n")
    _sync(a, b)
    source = a.read("jobs.py")
    assert source == b.read("jobs.py")
    assert FIRST in source and THIRD in source  # the neighbours' code is exactly as they committed it
    second = find_span(source, "Jobs.second")
    if writer.lost:
        assert source[second.start : second.end] == "    def second(self):\n        r        pass\n"
    else:
        assert source[second.start : second.end] == "    def second(self):\n        return 2\n        # done\n        pass\n"
        assert compiles(source)


def test_a_commit_on_one_side_keeps_the_stream_live_and_contiguous() -> None:
    a, b = _pair()
    with a.stream("jobs.py", _stream_point(a, "Jobs.second")) as writer:
        writer.write("        r")
        _sync(a, b)
        _commit(b, "Jobs.first", FIRST)  # only the text before the run changes: the text after it still finds it
        _sync(a, b)
        writer.write("eturn 2\n")
        _sync(a, b)
        _commit(b, "Jobs.third", THIRD)  # now only the text after it (the context moved with the last chunk)
        _sync(a, b)
        writer.write("        # done\n")
    source = a.read("jobs.py")
    assert compiles(source) and FIRST in source and THIRD in source and not writer.lost
    second = find_span(source, "Jobs.second")
    assert source[second.start : second.end] == "    def second(self):\n        return 2\n        # done\n        pass\n"


def test_a_run_deleted_under_the_stream_loses_the_anchor_and_nothing_lands_elsewhere() -> None:
    a, b = _pair()
    with a.stream("jobs.py", _stream_point(a, "Jobs.second")) as writer:
        writer.write("        value = 1\n")
        _sync(a, b)
        _commit(b, "Jobs.second", "    def second(self):\n        pass\n")  # someone put the stub back
        _commit(b, "Jobs.first", FIRST)
        _sync(a, b)
        before = a.read("jobs.py")
        writer.write("        return value\n")
        writer.write("        # more\n")
        assert a.read("jobs.py") == before and writer.lost  # dropped, not written at a remembered offset


TWINS = "def head():\n    pass\n\n\n" + "".join(
    f"class {name}:\n    def __init__(self, v):\n        pass\n\n    def __call__(self, v):\n        pass\n\n    def __repr__(self):\n        pass\n\n\n"
    for name in ("Range", "Length")
)


def test_streams_into_identical_classes_never_swap_after_a_commit_above_both() -> None:
    # voluptuous's validators: classes alike stub for stub.  Both streams began alike; a commit above both moved
    # the text, so the run nearest to where a's was is b's.  Each stream writes into its own class or stops.
    a, b, c = (Workspace(name, Doc(client_id=i)) for i, name in enumerate("abc", 1))
    a.create_file("jobs.py", TWINS)
    _sync(a, b, c)
    with a.stream("jobs.py", _stream_point(a, "Length.__call__")) as length, b.stream("jobs.py", _stream_point(b, "Range.__call__")) as range_:
        length.write("        r")
        range_.write("        r")
        _sync(a, b, c)
        head = find_span(c.read("jobs.py"), "head")
        c.edit("jobs.py", head.start, head.end, "def head():\n" + "    x = 1\n" * 40)
        _sync(a, b, c)
        length.write("eturn 'length'\n")
        _sync(a, b, c)
        range_.write("eturn 'range'\n")
        _sync(a, b, c)
    source = a.read("jobs.py")
    for symbol, writer, mine, theirs in (("Length.__call__", length, "'length'", "'range'"), ("Range.__call__", range_, "'range'", "'length'")):
        span = find_span(source, symbol)
        region = source[span.start : span.end]
        assert theirs not in region
        assert (mine in region) != writer.lost


def test_identical_streams_that_nothing_moved_stay_live() -> None:
    a, b = (Workspace(name, Doc(client_id=i)) for i, name in enumerate("ab", 1))
    a.create_file("jobs.py", TWINS)
    _sync(a, b)
    with a.stream("jobs.py", _stream_point(a, "Length.__call__")) as length, b.stream("jobs.py", _stream_point(b, "Range.__call__")) as range_:
        for chunk in ("        r", "eturn ", "1\n"):
            length.write(chunk)
            range_.write(chunk)
            _sync(a, b)
    source = a.read("jobs.py")
    assert not length.lost and not range_.lost and compiles(source)
    for symbol in ("Length.__call__", "Range.__call__"):
        span = find_span(source, symbol)
        assert source[span.start : span.end] == "    def __call__(self, v):\n        return 1\n        pass\n"
