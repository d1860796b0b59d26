"""``crdt-bench tasks``: one line per task of a suite."""

from __future__ import annotations

from pathlib import Path

from .suites import get_suite

__all__ = ["task_lines"]


def task_lines(suite_name: str, data_dir: Path | None = None) -> list[str]:
    """Header, one line per task (id, TODOs, expected coupling and schedule, title), and a total; each under 100 columns."""
    suite = get_suite(suite_name, data_dir=data_dir)
    lines = [f"{'task':<24} {'todos':>5}  {'coupling':<8} {'expects':<8} title"]
    todos = 0
    for task in suite.tasks:
        n = len(task.todos()) if task.is_multi_file else len(task.stubs())
        todos += n
        line = f"{task.id:<24} {n:>5}  {task.expected_coupling:<8} {task.expected_decision:<8} {task.title}"
        lines.append(line if len(line) <= 100 else line[:99] + "…")
    lines.append(f"{len(suite.tasks)} tasks, {todos} TODOs in suite {suite.name}")
    return lines
