"""Downloading the projects data at a pinned commit, with sha256 checks (``crdt-bench data projects``).

Every file comes from the public repository Flitternie/CoCoder (Apache-2.0)
at commit :data:`PROJECTS_COMMIT` over raw URLs (``--mirror`` replaces the
base URL; the paths under it stay the upstream ones) and must match the
sha256 listed in ``projects_files.sha256`` beside this module: the
SHA256SUMS of the copy these projects were checked on, minus pytest caches.
Upstream layout -> local layout:

- ``datasets/<benchmark>/<project>/...`` -> ``<benchmark>/<project>/...``;
- ``code_team/common/copy_py_overrides.yaml`` -> ``copy_py_overrides.yaml``;
- ``datasets/dataset_extra_handling.md`` -> ``dataset_extra_handling.md``;
- ``LICENSE`` -> ``LICENSE.CoCoder``.

Each file is written through a temporary file and renamed into place only
when its hash matches (:func:`bench.suites._data._fetch`); files already
present with the right hash are not fetched again.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import httpx

from ._data import DataConfig, DataFile, _fetch, sha256_of
from ._errors import DownloadError

__all__ = ["PROJECTS_COMMIT", "PROJECTS_UPSTREAM", "download_projects", "projects_files"]

PROJECTS_COMMIT = "3ea363b9e2266260fa27c0df5c238c47ba41755e"
"""The CoCoder commit every pinned hash belongs to."""

PROJECTS_UPSTREAM = f"https://raw.githubusercontent.com/Flitternie/CoCoder/{PROJECTS_COMMIT}"
"""Default base URL: raw files of the public repository at the pinned commit."""

MANIFEST = Path(__file__).resolve().with_name("projects_files.sha256")
_TOP_LEVEL = {
    "copy_py_overrides.yaml": "code_team/common/copy_py_overrides.yaml",
    "dataset_extra_handling.md": "datasets/dataset_extra_handling.md",
    "LICENSE.CoCoder": "LICENSE",
}
_HINT = (
    "this machine may be offline or the URL wrong: point --data-dir or $PROJECTS_DATA at an existing copy of the "
    "projects data instead, or pass --mirror URL"
)


def _upstream(local: str) -> str:
    return _TOP_LEVEL.get(local, f"datasets/{local}")


def projects_files(manifest: Path = MANIFEST) -> tuple[DataFile, ...]:
    """Every file the download covers, with its pinned sha256, read from the manifest (``sha256  path`` lines)."""
    files: list[DataFile] = []
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        digest, _, local = line.partition("  ")
        local = local.strip()
        parts = local.split("/")
        if len(digest) != 64 or not local or local.startswith("/") or ".." in parts:
            raise DownloadError(f"{manifest}:{number}: not a 'sha256  relative/path' line: {line!r}")
        files.append(DataFile(local, _upstream(local), digest))
    return tuple(files)


def download_projects(
    dest: str | os.PathLike[str],
    config: DataConfig | None = None,
    *,
    only: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Fetch the projects data into ``dest`` (created if needed), verifying every file; returns ``dest``.

    ``only`` limits the download to these project ids (``"DevEval/chakin"``)
    plus the top-level files. Raises :class:`SourceUnreachable` (names the URL
    and how to do without the download) or :class:`ChecksumMismatch`; a failed
    file leaves nothing at its destination, verified files fetched before it stay.
    """
    config = config or DataConfig()
    say = progress or (lambda _line: None)
    root = Path(dest).expanduser()
    files = projects_files()
    if only is not None:
        known = sorted({"/".join(f.local.split("/")[:2]) for f in files if f.local not in _TOP_LEVEL})
        unknown = sorted(set(only) - set(known))
        if unknown:
            raise DownloadError(f"no such project(s) in the pinned data: {', '.join(unknown)}; known: {', '.join(known)}")
        files = tuple(f for f in files if f.local in _TOP_LEVEL or "/".join(f.local.split("/")[:2]) in only)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(f"cannot create {root}: {err}") from err
    base = (config.mirror or PROJECTS_UPSTREAM).rstrip("/")
    present = fetched = 0
    with httpx.Client(timeout=httpx.Timeout(config.timeout_s), follow_redirects=True) as client:
        for index, item in enumerate(files, 1):
            target = root / item.local
            if not config.force and target.is_file() and sha256_of(target) == item.sha256:
                present += 1
                continue
            # Quoted: a cookiecutter test file is named "{% if cookiecutter.generate_file == 'y' %}cheese.txt...".
            url = f"{base}/{urllib.parse.quote(item.upstream, safe='/')}"
            try:
                _fetch(client, url, item, target, pinned=f"CoCoder commit {PROJECTS_COMMIT}", hint=_HINT)
            except DownloadError:
                raise
            except OSError as err:  # the disk, not the network (SourceUnreachable is an OSError too)
                raise DownloadError(f"cannot write {target}: {err}") from err
            fetched += 1
            if fetched % 100 == 0:
                say(f"fetched {fetched} files ({index}/{len(files)} checked)")
    say(f"done: {fetched} fetched, {present} already present; all {len(files)} sha256 verified")
    return root
