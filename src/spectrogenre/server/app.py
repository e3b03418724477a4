"""The FastAPI application: API routes, the export's model files, and the phone app."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from spectrogenre.inference import ExportedModel
from spectrogenre.server import api, errors
from spectrogenre.server.limits import Admission, RequestLimits
from spectrogenre.server.settings import ServerSettings
from spectrogenre.webapp import service_worker

STATIC = Path(__file__).parent / "static"


class HeadAsGet:
    """A HEAD request is routed as GET (monitors probe /api/health with HEAD); the server sends a HEAD
    answer's headers only, as HTTP asks, since it reads the method from its own copy of the request."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}
        await self.app(scope, receive, send)


class ApiPathWithoutSlash:
    """An API path with a trailing slash (POST /api/classify/) is served as the path itself: otherwise it
    falls through to the app's static files, which answer 405 or 404 and name no reason."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/api/") and path.endswith("/") and path.strip("/") != "api":
            path = "/" + path.strip("/")
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)


def create_app(settings: ServerSettings | None = None, exported: ExportedModel | None = None) -> FastAPI:
    """exported: settings.export_dir already loaded with an interpreter per worker; else loaded at startup."""
    settings = settings or ServerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Loaded once, with an interpreter per worker: requests never share one.
        app.state.model = exported or ExportedModel.load(settings.export_dir, copies=settings.workers)
        app.state.model.model.warm_up()  # before the first request, not on it
        app.state.working = asyncio.Semaphore(settings.workers)  # classifications at once (api.classify_upload)
        app.state.spec = json.loads((settings.export_dir / "spec.json").read_text())
        yield

    app = FastAPI(title="spectrogenre", summary="Name the genre of a 15-second clip.", lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.include_router(api.router)
    errors.install(app)

    def methods(path: str) -> set[str] | None:
        for route in api.router.routes:
            if isinstance(route, APIRoute) and route.path_regex.match(path):
                return set(route.methods) | ({"HEAD"} if "GET" in route.methods else set())
        return None

    app.state.admission = Admission(settings.workers + settings.queue, settings.workers)  # api.classify_upload times
    app.add_middleware(RequestLimits, settings=settings, methods=methods, admission=app.state.admission)
    app.add_middleware(HeadAsGet)
    app.add_middleware(ApiPathWithoutSlash)

    @app.middleware("http")
    async def cross_origin_isolated(request, call_next):
        """The headers that let the app run its model on several threads (SharedArrayBuffer): the page and
        everything it loads come from this server, so nothing is blocked by them."""
        response = await call_next(request)
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Cross-Origin-Embedder-Policy"] = "require-corp"
        return response

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """The interactive API docs, with Swagger UI from the app's vendor folder (no CDN: works offline)."""
        return get_swagger_ui_html(openapi_url=app.openapi_url, title="spectrogenre API",
                                   swagger_js_url="/vendor/swagger-ui/swagger-ui-bundle.js",
                                   swagger_css_url="/vendor/swagger-ui/swagger-ui.css",
                                   swagger_favicon_url="/icons/icon-192.png")

    @app.get("/model/{name}", include_in_schema=False)
    def model_file(name: str) -> FileResponse:
        """The export's spec and model files, for inference in the browser."""
        spec = app.state.spec
        allowed = {"spec.json", *spec["models"].values(), *spec.get("browser_models", {}).values()}
        if name not in allowed:
            raise HTTPException(404, f"{name} is not part of the export")
        # the browser asks again each time (a 304 when unchanged): a new export's spec and model arrive together
        return FileResponse(settings.export_dir / name, headers={"Cache-Control": "no-cache"})

    if STATIC.is_dir():
        worker = service_worker(STATIC)  # with the list of the app's files it caches at install

        @app.get("/sw.js", include_in_schema=False)
        def service_worker_script() -> Response:
            return Response(worker, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

        app.mount("/", StaticFiles(directory=STATIC, html=True), name="app")
    return app
