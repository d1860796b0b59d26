"""The stub is the contract: what of a reply's definition survives a splice.

Kept from the stub: decorators (a dropped ``@staticmethod`` comes back), name,
return annotation, and the parameters with their annotations and defaults as
long as the reply kept the parameter names (a receiver ``self``/``cls`` added
or dropped by the model does not count).  Taken from the reply: the body, and
the parameters when it renamed them (reported, or refused by config).  The
docstring is the stub's unless configured otherwise.
"""

from __future__ import annotations

from typing import cast

import libcst as cst

from ._config import MergeConfig
from ._conflict_types import Conflict
from ._cst import docstring_of
from ._errors import SignatureChanged

__all__ = ["build_function"]

_RECEIVERS = ("self", "cls")


def _param_names(params: cst.Parameters) -> list[str]:
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    if isinstance(params.star_arg, cst.Param):
        names.append("*" + params.star_arg.name.value)
    names.extend(p.name.value for p in params.kwonly_params)
    if params.star_kwarg is not None:
        names.append("**" + params.star_kwarg.name.value)
    return names


def _strip_receiver(names: list[str]) -> list[str]:
    return names[1:] if names and names[0] in _RECEIVERS else names


def _with_receiver(stub: cst.Parameters, reply: cst.Parameters) -> cst.Parameters:
    """The reply's parameters with the stub's receiver (``self``/``cls``/none) in front."""
    positional = list(reply.params)
    if positional and positional[0].name.value in _RECEIVERS:
        positional = positional[1:]
    stub_pos = [*stub.posonly_params, *stub.params]
    if stub_pos and stub_pos[0].name.value in _RECEIVERS:
        positional.insert(0, stub_pos[0])
    return reply.with_changes(params=positional)


_INERT = (
    cst.Name, cst.Attribute, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString,
    cst.UnaryOperation, cst.BinaryOperation, cst.Tuple, cst.List, cst.Set, cst.Dict, cst.Element, cst.DictElement,
    cst.StarredElement, cst.Subscript, cst.SubscriptElement, cst.Index, cst.Ellipsis,
)  # expressions that evaluate without calling anything the reply wrote (no calls, lambdas, walruses, comprehensions)


def _code_run_at_definition(params: cst.Parameters) -> str | None:
    """A description of the first parameter default/annotation that runs code, or None."""
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    for extra in (params.star_arg, params.star_kwarg):
        if isinstance(extra, cst.Param):
            every.append(extra)
    for param in every:
        for what, node in (("default", param.default), ("annotation", param.annotation.annotation if param.annotation else None)):
            if node is None:
                continue
            bad = next((n for n in _walk(node) if isinstance(n, cst.BaseExpression) and not isinstance(n, _INERT)), None)
            if bad is not None:
                return f"the {what} of parameter {param.name.value!r} ({type(bad).__name__})"
    return None


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    out = [node]
    for child in node.children:
        out.extend(_walk(child))
    return out


def build_function(stub: cst.FunctionDef, impl: cst.FunctionDef, qualname: str, config: MergeConfig) -> tuple[cst.FunctionDef, list[Conflict]]:
    conflicts: list[Conflict] = []
    params = stub.params
    if _strip_receiver(_param_names(impl.params)) != _strip_receiver(_param_names(stub.params)):
        detail = f"parameters ({', '.join(_param_names(stub.params))}) -> ({', '.join(_param_names(impl.params))})"
        if not config.allow_signature_change:
            raise SignatureChanged(f"{qualname}: {detail}")
        params = _with_receiver(stub.params, impl.params)
        unsafe = _code_run_at_definition(params)
        if unsafe:
            # Defaults (and annotations, without ``from __future__ import annotations``) run when
            # the class is defined, i.e. whenever the module is imported: a reply must not smuggle
            # code into everyone's import through a parameter it added.
            raise SignatureChanged(f"{qualname}: {detail}; refused: {unsafe} would run when the module is imported")
        conflicts.append(Conflict("signature_change", qualname, detail))
    impl_body = impl.body
    if not isinstance(impl_body, cst.IndentedBlock):
        assert isinstance(impl_body, cst.SimpleStatementSuite)
        impl_body = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=impl_body.body)])
    stmts: list[cst.BaseStatement] = list(impl_body.body)
    stub_stmts = list(stub.body.body) if isinstance(stub.body, cst.IndentedBlock) else []
    stub_doc, impl_doc = docstring_of(stub_stmts), docstring_of(stmts)
    if stub_doc is not None and (config.docstring == "stub" or impl_doc is None):
        if impl_doc is not None:
            stmts = stmts[1:]
        stmts = [stub_doc, *stmts]
    indent = stub.body.indent if isinstance(stub.body, cst.IndentedBlock) else None
    body = cst.IndentedBlock(
        body=cast("list[cst.SimpleStatementLine | cst.BaseCompoundStatement]", stmts), indent=indent, header=impl_body.header
    )
    return stub.with_changes(params=params, body=body), conflicts
