"""The measurement scripts behind auto's figures: the outline-only ceiling probe and the blind/context risks."""

from __future__ import annotations

from pathlib import Path

import anyio
import numpy as np
import pytest

from bench.micro.coupling_ceiling import best_precision
from bench.micro.coupling_ceiling import main as ceiling_main


def test_best_precision_picks_the_most_precise_threshold_that_keeps_recall() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    truth = np.array([True, False, True, True, False])
    threshold, p, r = best_precision(scores, truth, recall=0.6)
    # 0.7 keeps 2 of 3 true edges at P 2/3; 0.2 keeps all 3 at P 3/4, the better one.
    assert (p, r) == (0.75, 1.0) and 0.2 >= threshold > 0.1
    assert best_precision(scores, np.zeros(5, dtype=bool)) == (1.0, 0.0, 0.0)  # nothing to find: no threshold qualifies


def test_ceiling_probe_reports_both_halves(classeval_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ceiling_main(["--data", str(classeval_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["even (fitted on)", "odd (held out)"]
    assert all("R 0.6" in line or "R 0.7" in line or "R 0.8" in line or "R 0.9" in line or "R 1.0" in line for line in lines)


@pytest.mark.slow
def test_risks_are_measured_per_kind_of_method(classeval_dir: Path) -> None:
    from bench.micro.classeval_risks import measure

    figures = anyio.run(measure, "GPT-4-Turbo", "even", classeval_dir)
    (dep, worse_dep, better_dep), (ind, worse_ind, better_ind) = figures["dependent"], figures["independent"]
    assert dep > 30 and ind > 100 and 0 <= worse_dep <= dep and 0 <= better_ind <= ind
    from agents.scheduler import DecisionConfig

    # DecisionConfig's defaults come from this measurement (5/43 and 7/146 on an idle machine; a test class
    # that times out under load can move a count by one).
    assert abs(worse_dep / dep - DecisionConfig().blind_risk) < 0.03
    assert abs(worse_ind / ind - DecisionConfig().context_risk) < 0.02
