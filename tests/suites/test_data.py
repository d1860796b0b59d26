"""``crdt-bench data classeval``: download from a mirror, verify sha256, write atomically, fail clearly.

The mirror is a real ``http.server`` on 127.0.0.1 serving copies of the real
data files (made at test time in a temp dir, in the upstream repository's
layout); nothing third-party is committed.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bench.suites import (
    CLASSEVAL_COMMIT,
    CLASSEVAL_FILES,
    ChecksumMismatch,
    ClassEvalSuite,
    DataConfig,
    DownloadError,
    SourceUnreachable,
    data_app,
    download_classeval,
)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def mirror_root(tmp_path: Path, classeval_dir: Path) -> Path:
    """The real data files copied into the upstream layout (recordings only for the tests that want them)."""
    root = tmp_path / "mirror"
    for item in CLASSEVAL_FILES:
        if item.recorded:
            continue
        target = root / item.upstream
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(classeval_dir / item.local, target)
    return root


def _serve(root: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=partial(server.serve_forever, poll_interval=0.05), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def mirror(mirror_root: Path) -> Iterator[str]:
    yield from _serve(mirror_root)


def _leftovers(dest: Path) -> list[str]:
    return sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())


def test_pinned_hashes_are_the_data_sets_own(classeval_dir: Path) -> None:
    sums: dict[str, str] = {}
    for line in (classeval_dir / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.strip()] = digest
    assert len(sums) == 11
    pinned = {f.local: f.sha256 for f in CLASSEVAL_FILES}
    assert {k: pinned[k] for k in sums} == sums  # every file SHA256SUMS lists, with the same hash
    assert set(pinned) - set(sums) == {"LICENSE", "official_pass_at_k_v1.0.0.json"}
    assert len(CLASSEVAL_COMMIT) == 40 and DataConfig().base_url.endswith(f"FudanSELab/ClassEval/{CLASSEVAL_COMMIT}")


def test_download_from_a_mirror_verifies_and_is_usable(mirror: str, tmp_path: Path, classeval_dir: Path) -> None:
    dest = tmp_path / "dest" / "classeval"
    lines: list[str] = []
    root = download_classeval(dest, DataConfig(mirror=mirror + "/", recorded=False), progress=lines.append)
    assert root == dest
    assert _leftovers(dest) == ["ClassEval_data.json", "LICENSE", "official_pass_at_k_v1.0.0.json"]
    for name in _leftovers(dest):
        assert (dest / name).read_bytes() == (classeval_dir / name).read_bytes()
    assert lines == [f"fetched {n} (sha256 verified)" for n in ("ClassEval_data.json", "LICENSE", "official_pass_at_k_v1.0.0.json")]
    # The result is a data directory the suite reads.
    assert len(ClassEvalSuite(data_dir=dest).load().tasks) == 89
    # Run again: verified files are not fetched a second time.
    lines.clear()
    download_classeval(dest, DataConfig(mirror=mirror, recorded=False), progress=lines.append)
    assert all(line.startswith("ok      ") and "already present" in line for line in lines) and len(lines) == 3


def test_tampered_file_is_rejected_and_nothing_is_left(mirror_root: Path, mirror: str, tmp_path: Path) -> None:
    served = mirror_root / "data" / "ClassEval_data.json"
    served.write_bytes(served.read_bytes().replace(b"AccessGatewayFilter", b"AccessGatewayFiltre", 1))
    dest = tmp_path / "dest"
    with pytest.raises(ChecksumMismatch, match=r"data/ClassEval_data\.json: sha256 [0-9a-f]{64} does not match the pinned 50a1ac0e") as info:
        download_classeval(dest, DataConfig(mirror=mirror, recorded=False))
    assert isinstance(info.value, DownloadError) and isinstance(info.value, ValueError)
    assert _leftovers(dest) == []  # no data file, no temporary .part file


def test_a_previous_good_file_survives_a_failed_refetch(mirror_root: Path, mirror: str, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    download_classeval(dest, DataConfig(mirror=mirror, recorded=False))
    good = (dest / "LICENSE").read_bytes()
    (mirror_root / "LICENSE").write_text("not MIT\n")
    with pytest.raises(ChecksumMismatch, match="LICENSE"):
        download_classeval(dest, DataConfig(mirror=mirror, recorded=False, force=True))
    assert (dest / "LICENSE").read_bytes() == good
    assert not any(p.name.endswith(".part") for p in dest.rglob("*"))


def test_recorded_generations_download(mirror_root: Path, classeval_dir: Path, tmp_path: Path) -> None:
    for item in CLASSEVAL_FILES:
        if item.recorded:
            (mirror_root / item.upstream).parent.mkdir(parents=True, exist_ok=True)
            (mirror_root / item.upstream).symlink_to(classeval_dir / item.local)
    dest = tmp_path / "dest"
    for url in _serve(mirror_root):
        download_classeval(dest, DataConfig(mirror=url))
    assert _leftovers(dest) == sorted(f.local for f in CLASSEVAL_FILES)
    assert all((dest / f.local).stat().st_size == (classeval_dir / f.local).stat().st_size for f in CLASSEVAL_FILES)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_mirror_names_the_url_and_the_alternatives(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{_closed_port()}/classeval"
    with pytest.raises(SourceUnreachable) as info:
        download_classeval(tmp_path / "dest", DataConfig(mirror=base, timeout_s=5))
    message = str(info.value)
    assert f"{base}/data/ClassEval_data.json" in message and "ConnectError" in message
    assert "--data-dir" in message and "$CLASSEVAL_DATA" in message
    assert isinstance(info.value, ConnectionError)
    assert _leftovers(tmp_path / "dest") == []


def test_missing_file_on_the_mirror_is_an_http_error(mirror_root: Path, mirror: str, tmp_path: Path) -> None:
    (mirror_root / "LICENSE").unlink()
    with pytest.raises(SourceUnreachable, match=r"GET http://127\.0\.0\.1:\d+/LICENSE answered HTTP 404"):
        download_classeval(tmp_path / "dest", DataConfig(mirror=mirror, recorded=False))
    assert _leftovers(tmp_path / "dest") == ["ClassEval_data.json"]  # verified before the failure; kept


def test_cli(mirror: str, tmp_path: Path) -> None:
    app = typer.Typer()
    app.add_typer(data_app, name="data")
    runner = CliRunner()
    dest = tmp_path / "cli"
    ok = runner.invoke(app, ["data", "classeval", "--dest", str(dest), "--mirror", mirror, "--no-recorded"])
    assert ok.exit_code == 0, ok.output
    assert "fetched ClassEval_data.json (sha256 verified)" in ok.output and f"CLASSEVAL_DATA={dest.resolve()}" in ok.output
    bad = runner.invoke(app, ["data", "classeval", "--dest", str(tmp_path / "x"), "--mirror", f"http://127.0.0.1:{_closed_port()}"])
    assert bad.exit_code == 1
    assert "error: cannot download http://127.0.0.1:" in bad.output and "--data-dir" in bad.output
