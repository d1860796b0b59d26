"""Judge-cost worker (standalone script): judges the ClassEval tasks named on stdin, one per line.

Run by ``bench.micro.judge_cost`` with the interpreter of the checkout being
measured, so ``agents`` resolves to that checkout.  Uses only API that every
version of ``agents.judge`` has (load_tasks, load_recorded, extract_code,
judge_task).  Replies one JSON line per task: seconds, passed test classes.
"""

import json
import sys
import time

import anyio

from agents.judge import Sandbox, SandboxConfig, extract_code, judge_task, load_recorded, load_tasks


async def main() -> None:
    root, recorded = sys.argv[1], sys.argv[2]
    # --same-uid: judge as the caller's uid (both sides), for machines where a private uid cannot reach the interpreter.
    sandbox = Sandbox(SandboxConfig(drop_privileges=False)) if "--same-uid" in sys.argv[3:] else None
    tasks = {t.task_id: t for t in load_tasks(root)}
    predictions = load_recorded(recorded)
    for line in sys.stdin:
        task = tasks[line.strip()]
        code = extract_code(predictions[task.task_id], recorded)
        t0 = time.monotonic()
        verdict = await judge_task(task, code, sandbox=sandbox)
        seconds = time.monotonic() - t0
        passed = [o.passed for o in verdict.verdict.test_classes]
        print(json.dumps({"task": task.task_id, "seconds": seconds, "passed": passed, "tampered": bool(getattr(verdict.verdict, "tampered", []))}), flush=True)


anyio.run(main)
