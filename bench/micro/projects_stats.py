"""The ``projects`` suite in figures: modules, stubs, given files and requirements per project.

    python -m bench.micro.projects_stats --data-dir DIR [--markdown]

(``--data-dir`` defaults to ``$PROJECTS_DATA``.) Per included project: source
modules, TODOs (stubs across files), modules with no stub (declarations only),
stubs whose docstring came from the architecture design because the reference
has none, files given as they are, and the requirement distributions not
installed in this Python (a requirement's import name can differ from its
distribution name, so this reads installed distributions, not imports).
Excluded projects are listed with their reason. No model, no test run.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import sys
import time

from bench.suites import ProjectsSuite, SuiteError, Task

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
# Requirement lines naming standard-library modules (DevEval lists some): never a distribution to install.
_STDLIB = set(sys.stdlib_module_names)


def missing_requirements(task: Task) -> list[str]:
    """Requirement distributions of ``task`` not installed here (stdlib names ignored)."""
    missing: list[str] = []
    for line in task.requirements:
        found = _NAME.match(line)
        if not found or line.lstrip().startswith(("-", "#")):
            continue
        name = found.group(1)
        if name.lower() in _STDLIB:
            continue
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def rows(source: ProjectsSuite) -> list[dict[str, object]]:
    """One dict of figures per included project, in suite order."""
    described = source.described
    out: list[dict[str, object]] = []
    for task in source.load().tasks:
        out.append(
            {
                "project": task.id,
                "modules": len(task.modules),
                "todos": len(task.todos()),
                "no_stub_modules": sum(1 for m in task.modules if not m.stubs),
                "max_per_module": max(len(m.stubs) for m in task.modules),
                "from_design": described.get(task.id, 0),
                "given": len(task.given),
                "missing_text": ", ".join(missing_requirements(task)) or "-",
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The projects suite in figures: modules, stubs, given files, requirements.")
    parser.add_argument("--data-dir", default=os.environ.get("PROJECTS_DATA"), help="Projects data directory (default: $PROJECTS_DATA).")
    parser.add_argument("--markdown", action="store_true", help="Print Markdown tables (for docs/projects.md).")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    source = ProjectsSuite(data_dir=args.data_dir)
    try:
        table = rows(source)
    except SuiteError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    header = ["project", "modules", "TODOs", "modules w/o stub", "max TODOs/module", "docstring from design", "given files", "requirements not installed here"]
    lines = []
    for row in table:
        missing = str(row["missing_text"])
        lines.append([str(row["project"]), str(row["modules"]), str(row["todos"]), str(row["no_stub_modules"]),
                      str(row["max_per_module"]), str(row["from_design"]), str(row["given"]), missing])
    total = sum(int(str(r["todos"])) for r in table)
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header)]
        print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        for line in lines:
            print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
    print(f"\n{len(table)} projects, {total} TODOs; loaded in {elapsed:.1f} s")
    excluded = source.excluded
    print(f"excluded: {len(excluded)}" + "".join(f"\n- {k}: {v}" for k, v in excluded.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
