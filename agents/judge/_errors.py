"""The judge's exception tree (drawn in the package docstring)."""

from __future__ import annotations

from agents._errors import AgentsError


class JudgeError(AgentsError):
    """Root of every error the judge raises on purpose."""


class SandboxError(JudgeError):
    """The sandbox itself failed (not the code under test)."""


class SandboxSetupError(SandboxError):
    """The sandboxed process could not be prepared or spawned."""


class EnvSetupError(JudgeError):
    """A per-project environment could not be made (interpreter, venv or cache dir unusable)."""


class JudgeInputError(JudgeError, ValueError):
    """Bad input: malformed task, unknown test class, unusable file name."""


class DataError(JudgeError):
    """A benchmark data set is missing or malformed."""


class JudgeMisuseError(JudgeError, TypeError):
    """Visible checks and hidden tests were mixed up (e.g. hidden tests passed for feedback)."""


class PyrightError(JudgeError):
    """Talking to pyright failed."""


class PyrightStartError(PyrightError):
    """The pyright language server (or CLI) could not be started or initialised."""


class PyrightProtocolError(PyrightError):
    """pyright answered with an LSP error or a malformed message, or died mid-session."""


class PyrightTimeoutError(PyrightError, TimeoutError):
    """pyright did not answer within the configured time."""
