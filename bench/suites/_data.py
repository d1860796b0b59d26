"""Downloading ClassEval's data at a pinned commit, with sha256 checks (``crdt-bench data classeval``).

Every file comes from the public repository FudanSELab/ClassEval at commit
:data:`CLASSEVAL_COMMIT` over raw URLs (``--mirror`` replaces the base URL;
the paths under it stay the upstream ones) and must match the sha256 pinned
here. Upstream layout -> local layout:

- ``data/ClassEval_data.json`` -> ``ClassEval_data.json`` (the 100 tasks);
- ``LICENSE`` -> ``LICENSE`` (MIT);
- ``output/result_v1.0.0/pass_at_k_result.json`` -> ``official_pass_at_k_v1.0.0.json``
  (the authors' pass@1 figures for the recordings);
- ``output/model_output_v1.0.0/<Model>_<strategy>_greedy.json`` ->
  ``recorded/<Model>_<strategy>_greedy.json``: the recorded generations the
  ``replay`` model serves (GPT-4-Turbo and GPT-3.5-Turbo with method_C,
  method_I and class_H; WizardCoder-15B-V1.0 and instruct-codegen-16B with
  method_C and method_I). ``DataConfig.recorded=False`` skips them.

Each file is streamed to a temporary file beside its destination, hashed on
the way, and renamed into place only when its hash matches: a failure
(unreachable host, HTTP error, hash mismatch) leaves nothing half-written.
Files already present with the right hash are not fetched again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import httpx
from pydantic import BaseModel, Field

from ._errors import ChecksumMismatch, DownloadError, SourceUnreachable

__all__ = [
    "CLASSEVAL_COMMIT",
    "CLASSEVAL_FILES",
    "CLASSEVAL_UPSTREAM",
    "DataConfig",
    "DataFile",
    "download_classeval",
    "sha256_of",
]

CLASSEVAL_COMMIT = "eaeac44d0d5dcd8a95feec50726d66fedc73a98f"
"""The ClassEval commit (2024-10-24) every pinned hash belongs to."""

CLASSEVAL_UPSTREAM = f"https://raw.githubusercontent.com/FudanSELab/ClassEval/{CLASSEVAL_COMMIT}"
"""Default base URL: raw files of the public repository at the pinned commit."""

_CHUNK = 1 << 16


class DataFile(NamedTuple):
    """One file of the data set."""

    local: str
    """Path under the data directory."""
    upstream: str
    """Path under the base URL (the repository's own layout)."""
    sha256: str
    """Pinned hex digest."""
    recorded: bool = False
    """A recorded generation (optional: ``DataConfig.recorded``)."""


def _recording(name: str, digest: str) -> DataFile:
    return DataFile(f"recorded/{name}", f"output/model_output_v1.0.0/{name}", digest, recorded=True)


CLASSEVAL_FILES: tuple[DataFile, ...] = (
    DataFile("ClassEval_data.json", "data/ClassEval_data.json", "50a1ac0e4d0c238573c10c0ab11feae00b14a80ae9e4c9cc28148707ecf0b6a2"),
    DataFile("LICENSE", "LICENSE", "3898e13baf0cb8f383766a4e0ef8d9e0c9a55aa323dcc1eae9104081dc60ac0c"),
    DataFile(
        "official_pass_at_k_v1.0.0.json",
        "output/result_v1.0.0/pass_at_k_result.json",
        "c3fbc7f20dca8f613cce30117d5f9830baed62a75bdc4ed9088428ff4bbacba3",
    ),
    _recording("GPT-3.5-Turbo_class_H_greedy.json", "43866521c4a1d9222bb112ce33bb8d6cec8189beb351d9158ce5339550e81593"),
    _recording("GPT-3.5-Turbo_method_C_greedy.json", "6bb25a7f939a8a5b5bddf5a89a37bb4d26417efaa49ab6ddd3be388dc6d1922c"),
    _recording("GPT-3.5-Turbo_method_I_greedy.json", "da117113ea61b3c0a35807f863f9922c1afe23cbd2f294e2909cbab07242a34b"),
    _recording("GPT-4-Turbo_class_H_greedy.json", "b9ad65c884a5097d59f565ca487c8a31e1f30c49867a8bee287740e7728b8c02"),
    _recording("GPT-4-Turbo_method_C_greedy.json", "00e1eec40fa36033792d1e16c8528494038cbd1048ab39bc543e31196a3be806"),
    _recording("GPT-4-Turbo_method_I_greedy.json", "c3168181bb2ef83a60674ef9e81e12cd5f44503a1837dffd2bb28d57d59a12a0"),
    _recording("WizardCoder-15B-V1.0_method_C_greedy.json", "51057859f23bc360429b9cc29801bae41b998a2eecd9c072c3c1e2c9fda4f110"),
    _recording("WizardCoder-15B-V1.0_method_I_greedy.json", "43740d719523b4083b0e5a498037a44b2e9617173645f2198410fc79fbabb622"),
    _recording("instruct-codegen-16B_method_C_greedy.json", "1b212a7d456913396ab1216fcce48f674c053f4363930cbd19d633bb9fecaaea"),
    _recording("instruct-codegen-16B_method_I_greedy.json", "6aa93bb341888ae0cac2487d8e6ff958b4e0b259d15b3e4a693a0bb7288583c8"),
)
"""Every file the download covers, with its pinned sha256 (from the data's SHA256SUMS)."""


class DataConfig(BaseModel):
    """Where to download from and what."""

    mirror: str | None = Field(
        default=None,
        description="Base URL replacing the GitHub raw URL at the pinned commit; files are fetched as <mirror>/<upstream path>.",
    )
    recorded: bool = Field(default=True, description="Also fetch the recorded generations (recorded/, about 31 MB).")
    force: bool = Field(default=False, description="Fetch files again even when present with the right hash.")
    timeout_s: float = Field(default=60.0, gt=0, description="Connect/read timeout per request, in seconds.")

    @property
    def base_url(self) -> str:
        """The base URL files are fetched under (no trailing slash)."""
        return (self.mirror or CLASSEVAL_UPSTREAM).rstrip("/")


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


_OFFLINE_HINT = (
    "this machine may be offline or the URL wrong: point --data-dir or $CLASSEVAL_DATA at an existing copy of the "
    "ClassEval data instead, or pass --mirror URL"
)


def _fetch(
    client: httpx.Client,
    url: str,
    item: DataFile,
    target: Path,
    *,
    pinned: str = f"ClassEval commit {CLASSEVAL_COMMIT}",
    hint: str = _OFFLINE_HINT,
) -> None:
    """Stream ``url`` into ``target`` via a temporary file; rename only when the hash matches."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    temp = Path(temp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            try:
                with client.stream("GET", url) as response:
                    if response.status_code != 200:
                        raise SourceUnreachable(f"GET {url} answered HTTP {response.status_code}; {hint}")
                    for chunk in response.iter_bytes(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            except httpx.HTTPError as err:
                raise SourceUnreachable(f"cannot download {url}: {type(err).__name__}: {err}; {hint}") from err
        got = digest.hexdigest()
        if got != item.sha256:
            raise ChecksumMismatch(
                f"{url}: sha256 {got} does not match the pinned {item.sha256} for {item.local} "
                f"({pinned}); nothing was written to {target}"
            )
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def download_classeval(
    dest: str | os.PathLike[str],
    config: DataConfig | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Fetch ClassEval's data into ``dest`` (created if needed), verifying every file; returns ``dest``.

    Raises :class:`SourceUnreachable` (names the URL and how to do without
    the download) or :class:`ChecksumMismatch`; a failed file leaves nothing
    at its destination, files fetched before it stay (they are verified).
    """
    config = config or DataConfig()
    say = progress or (lambda _line: None)
    root = Path(dest).expanduser()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(f"cannot create {root}: {err}") from err
    files = [f for f in CLASSEVAL_FILES if config.recorded or not f.recorded]
    timeout = httpx.Timeout(config.timeout_s)
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        for item in files:
            target = root / item.local
            if not config.force and target.is_file() and sha256_of(target) == item.sha256:
                say(f"ok      {item.local} (already present, sha256 verified)")
                continue
            url = f"{config.base_url}/{item.upstream}"
            try:
                _fetch(client, url, item, target)
            except DownloadError:
                raise
            except OSError as err:  # the disk, not the network (SourceUnreachable is an OSError too)
                raise DownloadError(f"cannot write {target}: {err}") from err
            say(f"fetched {item.local} (sha256 verified)")
    return root
