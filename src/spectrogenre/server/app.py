"""The FastAPI application: API routes, the export's model files, and the phone app."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from spectrogenre.inference import ExportedModel
from spectrogenre.server import api
from spectrogenre.server.settings import ServerSettings

STATIC = Path(__file__).parent / "static"


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    settings = settings or ServerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Loaded once: every request shares the interpreter and the spec.
        app.state.model = ExportedModel.load(settings.export_dir)
        app.state.spec = json.loads((settings.export_dir / "spec.json").read_text())
        yield

    app = FastAPI(title="spectrogenre", summary="Name the genre of a 15-second clip.", lifespan=lifespan)
    app.state.settings = settings
    app.include_router(api.router)

    @app.middleware("http")
    async def refuse_large_uploads(request: Request, call_next):
        """Answer 413 from the header, before a large body is received and spooled."""
        length = request.headers.get("content-length")
        if request.url.path.startswith("/api/") and length and int(length) > settings.max_upload_bytes + 64 * 1024:
            return JSONResponse({"detail": f"upload larger than {settings.max_upload_mb:g} MB"}, status_code=413)
        return await call_next(request)

    @app.get("/model/{name}", include_in_schema=False)
    def model_file(name: str) -> FileResponse:
        """The export's spec and model files, for inference in the browser."""
        spec = app.state.spec
        allowed = {"spec.json", *spec["models"].values(), *spec.get("browser_models", {}).values()}
        if name not in allowed:
            raise HTTPException(404, f"{name} is not part of the export")
        return FileResponse(settings.export_dir / name)

    if STATIC.is_dir():
        app.mount("/", StaticFiles(directory=STATIC, html=True), name="app")
    return app
