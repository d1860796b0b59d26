"""Configuration of extraction and splicing."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MergeConfig"]


class MergeConfig(BaseModel):
    """How tolerant extraction is and what a splice may change besides the symbol itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hoist_helpers: bool = Field(
        default=True,
        description="Copy helper functions/classes/constants (module level) and helper methods/attributes "
        "(class level) that the implementation uses and the module lacks.",
    )
    allow_signature_change: bool = Field(
        default=True,
        description="When the reply renames/adds/removes parameters, keep the reply's parameters (reported as a "
        "conflict) instead of raising SignatureChanged. Same names always keep the stub's parameters, "
        "annotations and defaults.",
    )
    imports: Literal["used", "all", "none"] = Field(
        default="used",
        description="Which reply imports to merge: only those binding a name the merged code uses, all of them, "
        "or none.",
    )
    auto_import_stdlib: bool = Field(
        default=True,
        description="Add `import X` when the code uses a standard-library module name X that nothing binds "
        "(models often forget `import math`).",
    )
    auto_import_aliases: dict[str, str] = Field(
        default_factory=lambda: {"np": "import numpy as np", "pd": "import pandas as pd"},
        description="Import lines added when the code uses one of these conventional aliases and nothing binds "
        "it (only with auto_import_stdlib on; the same 'forgot the import' failure).",
    )
    on_name_clash: Literal["rename", "keep_existing", "error"] = Field(
        default="rename",
        description="A module-level helper whose name is taken by a different definition: rename the helper "
        "(name_2, ...) and its uses, use the existing definition, or raise NameClash.",
    )
    on_import_conflict: Literal["keep_existing", "error"] = Field(
        default="keep_existing",
        description="A reply import binding a name the module binds differently: skip it (reported as a "
        "conflict) or raise ImportConflict.",
    )
    docstring: Literal["stub", "reply"] = Field(
        default="stub",
        description="Whose docstring the merged function carries. 'stub' keeps the outline's contract (and its "
        "doctests) and keeps the text edit small; the reply's is used when the stub has none.",
    )
    ambiguity: Literal["first", "last", "error"] = Field(
        default="first",
        description="Several different implementations in one reply: take the first, the last, or raise "
        "AmbiguousImplementation.",
    )
    accept_truncated: bool = Field(
        default=True,
        description="Repair code cut off mid-statement by dropping trailing lines until it parses (recorded in "
        "Extraction.repairs as 'trimmed_tail').",
    )
    borrow_implementations: bool = Field(
        default=True,
        description="assemble(): a symbol whose own reply holds no implementation of it takes the first one "
        "found in another symbol's reply of the batch (whole-class replies, or a method sent with the helper it "
        "calls). Its own reply is always preferred when usable.",
    )
    response_markers: tuple[str, ...] = Field(
        default=("### Response:",),
        description="Markers after which an instruction-tuned model's answer starts; text before the last "
        "marker (an echoed prompt with stubs) is ignored when the marker is present.",
    )
