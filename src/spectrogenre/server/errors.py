"""One shape for every error the API returns: {"error": code, "detail": message}, and the statuses it uses."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

access_log = logging.getLogger("uvicorn.access")

# Every error status the API answers, by machine-readable code (the OpenAPI schema lists them all).
CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 408: "request_timeout",
         413: "too_large", 415: "unsupported_media_type", 422: "unusable_audio", 499: "client_closed_request",
         503: "busy"}


class ErrorBody(BaseModel):
    error: str
    detail: str


def error_body(status: int, detail: str) -> bytes:
    """The bytes of error_response's body, for an answer sent below the app (limits, the HTTP protocol)."""
    return error_response(status, detail).body


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": CODES.get(status, "error"), "detail": detail}, status_code=status, headers=headers)


def client_file_name(filename: str | None) -> str:
    """An upload's file name as its client knows it, for messages (never a server path). Browsers and curl send a
    '"' in it as %22 (HTML's multipart form encoding), which is undone: only that, as '%' itself is sent as it is.
    A name longer than any file's is shortened."""
    name = Path((filename or "").replace("%22", '"')).name or "upload"
    # no file system names a file longer than 255 bytes: a longer one is shortened, its start and end kept, rather
    # than echoed whole into every message about it
    return name if len(name) <= _LONGEST_NAME else f"{name[:200]}...{name[-40:]}"


_LONGEST_NAME = 255


def responses(*statuses: int) -> dict:
    """OpenAPI `responses` for a route that can answer these error statuses."""
    return {status: {"model": ErrorBody, "description": CODES[status].replace("_", " ")} for status in statuses}


# A multipart part without a filename parameter is read as a text field, not a file; a large one stops at
# Starlette's 1 MB limit for text fields. (A part with filename="" is a file: its type is told by its Content-Type.)
NAMELESS_PART = ("the 'file' part has no file name, so it reads as text, not a file: send it with its "
                 "name (curl -F file=@song.mp3)")
OVERSIZED_TEXT_PART = ("a text part over 1 MB (a part without a file name reads as text): send the recording as part "
                       "'file' with its file name (curl -F file=@song.mp3)")
MALFORMED_MULTIPART = ("malformed multipart/form-data body (a part's head or a boundary is broken): send the recording "
                       "as part 'file' (curl -F file=@song.mp3)")


def log_client_gone(scope) -> None:
    """The access line of a request whose client left before its answer (part way through its upload, or while it
    was classified), as status 499: uvicorn logs an answer as it sends it, and sends nothing to a closed
    connection, so it would leave no line at all."""
    client = f"{scope['client'][0]}:{scope['client'][1]}" if scope.get("client") else "-"
    access_log.info('%s - "%s %s HTTP/%s" %d', client, scope["method"], scope["path"], scope.get("http_version", "1.1"),
                    499)


def install(app: FastAPI) -> None:
    # python-multipart logs each malformed body it refuses, bare, on stderr: the refusal is this server's 400 answer
    logging.getLogger("python_multipart").setLevel(logging.CRITICAL)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> JSONResponse:
        detail = str(err.detail)
        if err.status_code == 400 and detail.startswith("Part exceeded maximum size"):  # Starlette's text-part limit
            detail = OVERSIZED_TEXT_PART
        elif err.status_code == 400 and detail == "Invalid multipart data.":  # Starlette's words for any parse error
            detail = MALFORMED_MULTIPART
        return error_response(err.status_code, detail, getattr(err, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, err: RequestValidationError) -> JSONResponse:
        missing = [".".join(str(p) for p in e["loc"][1:]) for e in err.errors() if e.get("type") == "missing"]
        # a part without a file name (filename="") is read as a text field, not a file
        as_text = any("Expected UploadFile" in str(e.get("msg", "")) for e in err.errors())
        if missing:
            detail = f"missing form field {', '.join(missing)}: send the recording as multipart/form-data field 'file'"
        elif as_text:
            detail = NAMELESS_PART
        else:
            detail = "malformed request: send the recording as multipart/form-data field 'file'"
        return error_response(400, detail)
