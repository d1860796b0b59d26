"""``crdt-bench data projects``: download from a local mirror, verify sha256, write atomically, fail clearly.

The mirror is a real ``http.server`` on 127.0.0.1 serving the real data files
linked into the upstream repository's layout in a temp dir; nothing
third-party is committed.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.suites import PROJECTS_COMMIT, ChecksumMismatch, DataConfig, DownloadError, ProjectsSuite, SourceUnreachable, data_app, download_projects
from bench.suites._projects_data import MANIFEST, PROJECTS_UPSTREAM, projects_files

SMALL = "DevEval/particle-swarm-optimization"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def projects_data() -> Path:
    env = os.environ.get("PROJECTS_DATA")
    path = Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "data" / "projects"
    if not (path / "SHA256SUMS").is_file():
        pytest.skip(f"projects data with SHA256SUMS not found at {path} (set PROJECTS_DATA)")
    return path


@pytest.fixture
def mirror_root(tmp_path: Path, projects_data: Path) -> Path:
    """The real files of the top level and one small project, copied into the upstream layout."""
    root = tmp_path / "mirror"
    for item in projects_files():
        if item.local.startswith(("CodeProjectEval/", "DevEval/")) and not item.local.startswith(SMALL + "/"):
            continue
        target = root / item.upstream
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((projects_data / item.local).read_bytes())
    return root


@pytest.fixture
def mirror(mirror_root: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(mirror_root)))
    thread = threading.Thread(target=partial(server.serve_forever, poll_interval=0.05), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _files(dest: Path) -> list[str]:
    return sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())


def test_manifest_is_the_data_sets_own_sha256sums(projects_data: Path) -> None:
    sums = {}
    for line in (projects_data / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        name = name.strip().removeprefix("./")
        if ".pytest_cache/" not in name and "__pycache__/" not in name:
            sums[name] = digest
    pinned = {f.local: f.sha256 for f in projects_files()}
    assert pinned == sums
    assert len(PROJECTS_COMMIT) == 40 and PROJECTS_UPSTREAM.endswith(f"Flitternie/CoCoder/{PROJECTS_COMMIT}")
    upstream = {f.local: f.upstream for f in projects_files()}
    assert upstream["copy_py_overrides.yaml"] == "code_team/common/copy_py_overrides.yaml"
    assert upstream[f"{SMALL}/config.json"] == f"datasets/{SMALL}/config.json"


def test_download_from_a_mirror_verifies_and_is_a_usable_suite(mirror: str, tmp_path: Path, projects_data: Path) -> None:
    dest = tmp_path / "dest"
    lines: list[str] = []
    download_projects(dest, DataConfig(mirror=mirror + "/"), only=[SMALL], progress=lines.append)
    got = _files(dest)
    expected = sorted(f.local for f in projects_files() if f.local.startswith(SMALL + "/") or "/" not in f.local)
    assert got == expected
    assert all((dest / name).read_bytes() == (projects_data / name).read_bytes() for name in got)
    assert lines[-1] == f"done: {len(expected)} fetched, 0 already present; all {len(expected)} sha256 verified"
    suite = ProjectsSuite(data_dir=dest).load()
    assert suite.ids == [SMALL] and suite.tasks[0].todos()
    lines.clear()
    download_projects(dest, DataConfig(mirror=mirror), only=[SMALL], progress=lines.append)
    assert lines == [f"done: 0 fetched, {len(expected)} already present; all {len(expected)} sha256 verified"]


def test_tampered_file_is_rejected_and_nothing_is_left(mirror_root: Path, mirror: str, tmp_path: Path) -> None:
    served = mirror_root / "datasets" / SMALL / "config.json"
    served.write_bytes(served.read_bytes() + b" ")
    dest = tmp_path / "dest"
    with pytest.raises(ChecksumMismatch, match=rf"{SMALL}/config\.json: sha256 [0-9a-f]{{64}} does not match the pinned") as info:
        download_projects(dest, DataConfig(mirror=mirror), only=[SMALL])
    assert f"CoCoder commit {PROJECTS_COMMIT}" in str(info.value)
    assert not (dest / SMALL / "config.json").exists()
    assert not any(p.name.endswith(".part") for p in dest.rglob("*"))


def test_missing_upstream_file_is_an_http_error_naming_the_url(mirror_root: Path, mirror: str, tmp_path: Path) -> None:
    (mirror_root / "LICENSE").unlink()
    with pytest.raises(SourceUnreachable, match=r"/LICENSE answered HTTP 404.*--data-dir.*\$PROJECTS_DATA"):
        download_projects(tmp_path / "dest", DataConfig(mirror=mirror), only=[SMALL])


def test_unknown_project_is_refused_before_any_download(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="no such project.*DevEval/nope.*known: .*DevEval/chakin"):
        download_projects(tmp_path / "dest", only=["DevEval/nope"])
    assert not (tmp_path / "dest").exists()


def test_offline_cli_says_to_use_data_dir(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = CliRunner().invoke(
        data_app, ["projects", "--dest", str(tmp_path / "d"), "--mirror", f"http://127.0.0.1:{port}", "--project", SMALL]
    )
    assert result.exit_code == 1
    assert "ConnectError" in result.output and "--data-dir" in result.output and "$PROJECTS_DATA" in result.output
    assert f"commit {PROJECTS_COMMIT}" in result.output


def test_manifest_rejects_paths_escaping_the_destination(tmp_path: Path) -> None:
    bad = tmp_path / "manifest"
    bad.write_text("0" * 64 + "  ../outside\n")
    with pytest.raises(DownloadError, match="not a 'sha256  relative/path' line"):
        projects_files(bad)
    assert MANIFEST.is_file()


def test_file_names_that_need_quoting_download(projects_data: Path, tmp_path: Path) -> None:
    project = "CodeProjectEval/cookiecutter"
    wanted = [f for f in projects_files() if f.local.startswith(project + "/") or "/" not in f.local]
    odd = [f for f in wanted if "{%" in f.local]
    assert odd  # cookiecutter's templated test file names
    root = tmp_path / "mirror"
    for item in wanted:
        (root / item.upstream).parent.mkdir(parents=True, exist_ok=True)
        (root / item.upstream).write_bytes((projects_data / item.local).read_bytes())
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=partial(server.serve_forever, poll_interval=0.05), daemon=True)
    thread.start()
    try:
        dest = download_projects(tmp_path / "dest", DataConfig(mirror=f"http://127.0.0.1:{server.server_address[1]}"), only=[project])
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert _files(dest) == sorted(f.local for f in wanted)
    assert all((dest / f.local).read_bytes() == (projects_data / f.local).read_bytes() for f in odd)
