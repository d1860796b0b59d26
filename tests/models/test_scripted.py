"""scripted: reference implementations with seeded, reproducible libcst faults."""

from __future__ import annotations

import random
import re
from pathlib import Path

import libcst as cst
import pytest

from crdt_ws import parse_python
from agents.models import (
    FAULT_KINDS,
    ClassEvalReferences,
    ConfigError,
    DictReferences,
    LatencyConfig,
    ModelRequest,
    Reference,
    ScriptedConfig,
    ScriptedModel,
    UnknownRequest,
    inject_fault,
    resolve_model,
)

pytestmark = pytest.mark.anyio

INSTANT = LatencyConfig(profile="instant")
STACK_PUSH = "def push(self, item):\n    if len(self.items) >= 10:\n        raise OverflowError(\"full\")\n    self.items.append(item)\n"
REFS = DictReferences(
    {
        ("stack", "Stack.push"): STACK_PUSH,
        ("stack", "Stack.top"): Reference(
            code="def top(self):\n    return copy.deepcopy(self.items[-1])\n", imports=("import copy",)
        ),
    }
)
FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _code(reply: str) -> str:
    match = FENCE.search(reply)
    assert match is not None, f"reply has no python fence: {reply!r}"
    return match.group(1)


def _model(**config: object) -> ScriptedModel:
    return ScriptedModel(REFS, ScriptedConfig.model_validate({"latency": INSTANT, **config}))


async def test_clean_reply_looks_like_a_model_reply_with_reference_code() -> None:
    async with _model(fault_rate=0.0) as model:
        result = await model.complete(ModelRequest(task_id="stack", symbol="Stack.push"))
    assert result.text.splitlines()[0].endswith(":") and "`Stack.push`" in result.text.splitlines()[0]
    assert _code(result.text) == STACK_PUSH
    assert result.usage.fault is None and result.usage.offline and result.usage.provider == "scripted"
    assert "scripted" in result.usage.label and "offline" in result.usage.label


async def test_imports_travel_in_the_code_block() -> None:
    async with _model(fault_rate=0.0) as model:
        result = await model.complete(ModelRequest(task_id="stack", symbol="Stack.top"))
    assert _code(result.text).startswith("import copy\n\ndef top(self):")


async def test_faults_are_reproducible_by_seed_and_vary_with_it() -> None:
    async with _model(fault_rate=1.0) as model:
        texts = {}
        for seed in range(12):
            request = ModelRequest(task_id="stack", symbol="Stack.push", seed=seed)
            first, again = await model.complete(request), await model.complete(request)
            assert first.text == again.text and first.usage.fault == again.usage.fault
            assert first.usage.fault is not None and _code(first.text) != STACK_PUSH
            cst.parse_module(_code(first.text))  # faults are realistic: the code still parses
            texts[seed] = first.text
    assert len(set(texts.values())) > 3, "different seeds must give different faults"


async def test_fault_rate_is_respected_and_repairs_can_succeed() -> None:
    async with _model(fault_rate=0.5, seed=7) as model:
        faults = [
            (await model.complete(ModelRequest(task_id="stack", symbol="Stack.push", attempt=a))).usage.fault
            for a in range(100)
        ]
    faulty = sum(f is not None for f in faults)
    assert 30 <= faulty <= 70, f"{faulty}/100 faulty at rate 0.5"
    assert any(f is None for f in faults[1:]), "some later attempt comes out clean"


async def test_unseen_dependencies_raise_the_fault_rate_and_shown_ones_do_not() -> None:
    refs = DictReferences({("stack", "Stack.push"): Reference(code=STACK_PUSH, depends_on=("Stack.full", "Stack.size"))})
    model = ScriptedModel(refs, ScriptedConfig(fault_rate=0.1, blind_fault_rate=0.5, latency=INSTANT))

    async def faulty(shown: tuple[str, ...]) -> int:
        requests = [ModelRequest(task_id="stack", symbol="Stack.push", seed=s, shown=shown) for s in range(200)]
        return sum([(await model.complete(r)).usage.fault is not None for r in requests])

    async with model:
        blind, half, sighted = await faulty(()), await faulty(("Stack.full",)), await faulty(("Stack.full", "Stack.size"))
    # Expected rates: 1 - 0.9 * 0.5**k = 0.775, 0.55, 0.1 for k = 2, 1, 0 unseen dependencies.
    assert 130 <= blind <= 180 and 85 <= half <= 135 and 8 <= sighted <= 35, (blind, half, sighted)
    assert "per unseen dependency" in model.info.label


def test_every_fault_kind_changes_behaviour_as_named() -> None:
    code = "def f(xs, n):\n    import math\n    if len(xs) < n:\n        return math.floor(2)\n    return 0\n"
    rng = random.Random(0)
    for kind in FAULT_KINDS:
        result = inject_fault(code, kind, rng)
        assert result is not None, kind
        mutated, fault = result
        assert fault.kind == kind and mutated != code
        cst.parse_module(mutated)
    mutated, fault = inject_fault(code, "flip_comparison", random.Random(1)) or ("", None)
    assert "len(xs) >= n" in mutated and fault is not None and (fault.before, fault.after) == ("<", ">=")
    mutated, fault = inject_fault(code, "missing_import", random.Random(1)) or ("", None)
    assert "import math" not in mutated and "math.floor" in mutated
    mutated, fault = inject_fault(code, "wrong_callee", random.Random(3)) or ("", None)
    assert fault is not None and fault.after != fault.before and f"{fault.after}(" in mutated
    mutated, fault = inject_fault(code, "off_by_one", random.Random(1)) or ("", None)
    assert fault is not None and abs(int(fault.after) - int(fault.before)) == 1


def test_off_by_one_changes_results_when_executed() -> None:
    code = "def last_index(xs):\n    return len(xs) - 1\n"
    mutated, _ = inject_fault(code, "off_by_one", random.Random(5)) or ("", None)
    scope: dict[str, object] = {}
    exec(compile(mutated, "<fault>", "exec"), scope)  # noqa: S102 - our own generated test code
    assert scope["last_index"]([1, 2, 3]) != 2  # type: ignore[operator]


def test_inapplicable_fault_kind_returns_none_and_bad_kind_errors() -> None:
    assert inject_fault("def f():\n    return x\n", "off_by_one", random.Random(0)) is None
    with pytest.raises(ConfigError, match="unknown fault kind"):
        ScriptedModel(REFS, ScriptedConfig.model_construct(faults=("typo",), latency=INSTANT, fault_rate=1.0, seed=0, price_as=None)).reply(
            ModelRequest(task_id="stack", symbol="Stack.push")
        )


async def test_unknown_symbol_is_a_clear_error() -> None:
    async with _model() as model:
        with pytest.raises(UnknownRequest, match="known symbols: Stack.push, Stack.top"):
            await model.complete(ModelRequest(task_id="stack", symbol="Stack.pop"))
        with pytest.raises(UnknownRequest, match="per symbol"):
            await model.complete(ModelRequest(task_id="stack"))


async def test_classeval_references_feed_scripted(classeval_data: Path) -> None:
    refs = ClassEvalReferences(classeval_data)
    ref = refs.get("ClassEval_0", "AccessGatewayFilter.get_jwt_user")
    assert ref is not None and ref.code.startswith("def get_jwt_user(self, request):\n    ")
    assert ref.imports == ("import datetime",)
    async with resolve_model("scripted", fault_rate=0.0, latency=INSTANT, data_dir=classeval_data) as model:
        result = await model.complete(ModelRequest(task_id="ClassEval_0", symbol="AccessGatewayFilter.get_jwt_user"))
    assert _code(result.text) == "import datetime\n\n" + ref.code.rstrip() + "\n"


def _fault_all(classeval_data: Path, tasks: list[str]) -> tuple[int, int]:
    refs = ClassEvalReferences(classeval_data)
    model = ScriptedModel(refs, ScriptedConfig(fault_rate=1.0, latency=INSTANT))
    count = faulted = 0
    for task in tasks:
        for symbol in refs.symbols(task):
            reply = model.reply(ModelRequest(task_id=task, symbol=symbol))
            parse_python(_code(reply.text))
            count += 1
            faulted += reply.fault is not None
    return count, faulted


def test_classeval_references_parse_and_take_faults(classeval_data: Path) -> None:
    count, faulted = _fault_all(classeval_data, [f"ClassEval_{i}" for i in range(0, 100, 10)])
    assert count > 30 and faulted >= 0.85 * count, f"only {faulted}/{count} references had an applicable fault site"


@pytest.mark.slow
def test_all_410_classeval_references_parse_and_take_faults(classeval_data: Path) -> None:
    count, faulted = _fault_all(classeval_data, [f"ClassEval_{i}" for i in range(100)])
    assert count == 410
    assert faulted >= 0.9 * count, f"only {faulted}/{count} references had an applicable fault site"
