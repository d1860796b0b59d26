"""Exceptions of the merge component (tree drawn in :mod:`merge`)."""

from __future__ import annotations

__all__ = [
    "MergeError",
    "ExtractError",
    "UnparsableReply",
    "EditNotApplied",
    "NoImplementationFound",
    "AmbiguousImplementation",
    "SpliceError",
    "UnparsableModule",
    "SymbolNotInModule",
    "SpliceConflict",
    "SignatureChanged",
    "ImportConflict",
    "NameClash",
    "InvalidMerge",
]


class MergeError(Exception):
    """Root of every error raised by :mod:`merge`."""


class ExtractError(MergeError):
    """A model reply holds no usable implementation of the requested symbol."""


class UnparsableReply(ExtractError):
    """No code in the reply parses, even after the repairs (fences, dedent, trimming)."""


class NoImplementationFound(ExtractError):
    """The reply's code parses but defines no non-stub implementation of the symbol."""


class AmbiguousImplementation(ExtractError):
    """Several different implementations of the symbol, and the policy is ``ambiguity="error"``."""


class SpliceError(MergeError):
    """The implementation cannot be spliced into the module."""


class UnparsableModule(SpliceError):
    """The target module itself does not parse (e.g. another agent is mid-edit)."""


class SymbolNotInModule(SpliceError, LookupError):
    """The module has no definition (stub or otherwise) with that qualified name."""


class SpliceConflict(SpliceError):
    """The merge would break the stub's contract or clobber an existing name."""


class SignatureChanged(SpliceConflict):
    """The reply changed the parameter names and ``allow_signature_change`` is off."""


class ImportConflict(SpliceConflict):
    """A reply import binds a name the module already binds to something else."""


class NameClash(SpliceConflict):
    """A helper to hoist has the name of a different existing definition (policy ``error``)."""


class InvalidMerge(MergeError):
    """The merged module does not compile; nothing was written."""



class EditNotApplied(ExtractError):
    """A reply meant as SEARCH/REPLACE edits whose blocks do not apply to the code they were asked against."""
