"""The command that serves the web page and the API: serve."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer

from propscope.cli.common import DatabaseOption, ModelOption, error_console, state
from propscope.errors import InputError


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 makes it reachable from other machines.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    model: ModelOption = None,
    db: DatabaseOption = None,
) -> None:
    """Serve the web page and the REST API (FastAPI) with the model loaded once.

    Open http://127.0.0.1:8000/ to paste an article, upload a file or give a URL; the API is
    under /api/v1 and described at /openapi.json; /corpus shows the dashboard of the corpus
    database (--db) with filters by outlet, technique and date. Limits (body size, text length,
    concurrency, time) are set with PROPSCOPE_API_* environment variables; see the README.

    Example: propscope serve --port 8000
    """
    import uvicorn

    from propscope.server.app import create_app

    settings = state(ctx).settings
    updates: dict[str, Path | str | None] = {"model": model, "db": db}
    settings = settings.model_copy(update={k: v for k, v in updates.items() if v is not None})
    check_port_free(host, port)
    application = create_app(settings)
    error_console.print(f"propscope: serving on http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(application, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)


def check_port_free(host: str, port: int) -> None:
    """Refuse early, in one line, a port another program already listens on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise InputError(
                f"cannot listen there ({error.strerror}); stop the other server or choose another --port",
                path=f"{host}:{port}",
            ) from None


def register(app: typer.Typer) -> None:
    app.command()(serve)
