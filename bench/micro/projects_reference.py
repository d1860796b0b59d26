"""Do the projects' references pass their own unit tests here, each in its own environment?

    python -m bench.micro.projects_reference --data-dir DIR [--project P ...] [--cache-dir DIR]
                                             [--offline --find-links DIR] [--markdown] [--json FILE]

(``--data-dir`` defaults to ``$PROJECTS_DATA``; ``--cache-dir`` to
``~/.cache/crdt-agents/judge-envs``.)  For each project: its requirements
installed once into a cached venv (from the package index, or only from
``--find-links`` with ``--offline``), then its reference modules and given
files judged on its unit tests by the real sandboxed judge with that venv's
interpreter.  One row per project: environment (reused or built, seconds,
failed requirements), unit tests passed / total, pass rate, judge seconds,
and why the reference does not pass when it does not.  Exit status 0 even
when references fail: this is a report, not a gate.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import anyio

from agents.judge import EnvConfig, Judge, ProjectEnvs
from bench.suites import ProjectsSuite, SuiteError
from bench.suites._projects_reference import ReferenceCheck, check_references

_DEFAULT_CACHE = Path("~/.cache/crdt-agents/judge-envs")


def _row(check: ReferenceCheck) -> dict[str, object]:
    env = "ok" if not check.failed_requirements else "failed: " + ", ".join(check.failed_requirements)
    return {
        "project": check.task_id,
        "env": env,
        "env_s": round(check.env_seconds, 1),
        "env_reused": check.env_reused,
        "passed": check.passed,
        "total": check.total,
        "skipped": check.skipped,
        "pass_rate": round(check.pass_rate, 4),
        "judge_s": round(check.judge_seconds, 1),
        "ok": check.ok,
        "reason": check.reason or "",
    }


def _markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| project | env | env s | unit tests passed / total (skipped) | pass rate | judge s | reference passes? |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        verdict = "yes" if r["ok"] else f"no: {r['reason']}"
        reused = " (cached)" if r["env_reused"] else ""
        lines.append(f"| {r['project']} | {r['env']} | {r['env_s']}{reused} | {r['passed']} / {r['total']} ({r['skipped']}) | {r['pass_rate']:.3f} | {r['judge_s']} | {verdict} |")
    return "\n".join(lines)


async def _main(args: argparse.Namespace) -> int:
    data = args.data_dir or os.environ.get("PROJECTS_DATA")
    try:
        suite = ProjectsSuite(data_dir=data, only=args.project or None)
        tasks = suite.load().tasks
    except SuiteError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    config = EnvConfig(
        cache_dir=Path(args.cache_dir).expanduser(),
        offline=args.offline,
        find_links=[Path(p) for p in args.find_links],
        pip_timeout_s=args.pip_timeout,
    )

    def progress(line: str) -> None:
        if args.verbose or line.startswith(("env ", "pip install")):
            print(f"  {line}", file=sys.stderr, flush=True)

    envs = ProjectEnvs(config, on_progress=progress)
    rows: list[dict[str, object]] = []

    def done(check: ReferenceCheck) -> None:
        row = _row(check)
        rows.append(row)
        print(f"{row['project']}: {row['passed']}/{row['total']} pass rate {row['pass_rate']:.3f}, env {row['env']} ({row['env_s']} s), judge {row['judge_s']} s{'' if check.ok else ' -- ' + str(row['reason'])}", file=sys.stderr, flush=True)

    started = time.monotonic()
    await check_references(tasks, envs, Judge(), on_result=done)
    print(_markdown(rows) if args.markdown else "\n".join(json.dumps(r) for r in rows))
    excluded = suite.excluded
    if excluded:
        print("\nexcluded from the suite: " + "; ".join(f"{k} ({v})" for k, v in excluded.items()), file=sys.stderr)
    print(f"{len(rows)} projects, {sum(1 for r in rows if r['ok'])} references pass, {time.monotonic() - started:.0f} s", file=sys.stderr)
    if args.json:
        Path(args.json).write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data-dir", help="projects data directory (default: $PROJECTS_DATA)")
    parser.add_argument("--project", action="append", default=[], help="only this project id (repeatable)")
    parser.add_argument("--cache-dir", default=str(_DEFAULT_CACHE), help="where per-project venvs are kept")
    parser.add_argument("--offline", action="store_true", help="install only from --find-links dirs (pip --no-index)")
    parser.add_argument("--find-links", action="append", default=[], help="a directory of wheels pip may use (repeatable)")
    parser.add_argument("--pip-timeout", type=float, default=900.0, help="seconds one pip run may take")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table instead of JSON lines")
    parser.add_argument("--json", help="also write the rows as JSON lines to this file")
    parser.add_argument("--verbose", action="store_true", help="show pip's output")
    return anyio.run(_main, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
