"""``crdt-bench data``: fetch third-party benchmark data (the lead registers :data:`data_app`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ._classeval import ENV_VAR
from ._data import CLASSEVAL_COMMIT, DataConfig, download_classeval
from ._errors import DownloadError
from ._projects import ENV_VAR as PROJECTS_ENV_VAR
from ._projects_data import PROJECTS_COMMIT, download_projects

__all__ = ["data_app"]

data_app = typer.Typer(help="Fetch third-party benchmark data (pinned, sha256-verified).", no_args_is_help=True)


def _default_dest() -> Path:
    return Path(os.environ.get(ENV_VAR) or "classeval_data")


@data_app.command("classeval")
def classeval(
    dest: Annotated[
        Path | None, typer.Option("--dest", help=f"Directory to fill (default: ${ENV_VAR}, else ./classeval_data).")
    ] = None,
    mirror: Annotated[
        str | None,
        typer.Option("--mirror", help="Base URL replacing GitHub's raw URL at the pinned commit (same paths under it)."),
    ] = None,
    recorded: Annotated[bool, typer.Option("--recorded/--no-recorded", help="Also fetch the recorded generations (~31 MB).")] = True,
    force: Annotated[bool, typer.Option("--force", help="Fetch again even files already present and verified.")] = False,
) -> None:
    """Download ClassEval (FudanSELab/ClassEval at a pinned commit) and verify every file's sha256."""
    target = dest or _default_dest()
    typer.echo(f"ClassEval at commit {CLASSEVAL_COMMIT} -> {target}")
    try:
        root = download_classeval(target, DataConfig(mirror=mirror, recorded=recorded, force=force), progress=typer.echo)
    except DownloadError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(f"done: use it with --data-dir {root} or `export {ENV_VAR}={root.resolve()}`")


@data_app.command("projects")
def projects(
    dest: Annotated[
        Path | None, typer.Option("--dest", help=f"Directory to fill (default: ${PROJECTS_ENV_VAR}, else ./projects_data).")
    ] = None,
    mirror: Annotated[
        str | None,
        typer.Option("--mirror", help="Base URL replacing GitHub's raw URL at the pinned commit (same paths under it)."),
    ] = None,
    project: Annotated[list[str] | None, typer.Option("--project", help="Only this project id (repeatable), e.g. DevEval/chakin.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Fetch again even files already present and verified.")] = False,
) -> None:
    """Download the multi-file projects (Flitternie/CoCoder datasets at a pinned commit), verifying every sha256."""
    target = dest or Path(os.environ.get(PROJECTS_ENV_VAR) or "projects_data")
    typer.echo(f"CoCoder datasets at commit {PROJECTS_COMMIT} -> {target}")
    try:
        root = download_projects(target, DataConfig(mirror=mirror, force=force), only=project or None, progress=typer.echo)
    except DownloadError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(f"use it with --suite projects --data-dir {root} or `export {PROJECTS_ENV_VAR}={root.resolve()}`")
