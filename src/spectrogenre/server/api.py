"""/api: health, the model's description, and classification of an uploaded recording."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from spectrogenre.audio_io import AUDIO_EXTENSIONS, DecodeLimits
from spectrogenre.errors import AudioError, AudioTooLong, WorkCancelled
from spectrogenre.inference import can_predict, classify_file
from spectrogenre.server.errors import responses
from spectrogenre.verdicts import NO_MUSIC

router = APIRouter(prefix="/api")



# Browsers upload recordings with a MIME type and often a generic file name ("blob").
SUFFIX_BY_TYPE = {
    "audio/webm": ".webm", "video/webm": ".webm", "audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp3": ".mp3",
    "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/wave": ".wav", "audio/flac": ".flac", "audio/x-flac": ".flac",
    "audio/mp4": ".m4a", "audio/x-m4a": ".m4a", "audio/aac": ".aac", "audio/opus": ".opus",
}


@router.get("/health", responses=responses(405))
def health(request: Request) -> dict:
    """Up, with the limits an upload must keep (the app offers the server for a file only within them)."""
    settings = request.app.state.settings
    return {"status": "ok", "genres": len(request.app.state.model.labels),
            "max_duration_s": settings.max_duration_s, "max_upload_mb": settings.max_upload_mb}


@router.get("/model", responses=responses(405))
def model_info(request: Request) -> dict:
    state = request.app.state
    spec = state.spec
    return {"labels": list(state.model.labels), "kind": spec["kind"], "version": spec["version"],
            "frontend": spec["frontend"], "silence": spec["silence"], "windows": spec["windows"],
            "verdict": spec["verdict"], "metrics": spec.get("evaluation")}


def upload_suffix(upload: UploadFile) -> str:
    suffix = Path(upload.filename or "").suffix.lower()
    if can_predict(Path(f"x{suffix}")):
        return suffix
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type in SUFFIX_BY_TYPE:
        return SUFFIX_BY_TYPE[content_type]
    raise HTTPException(415, f"unsupported file type {suffix or content_type or '(none)'}: send "
                             f"{', '.join(sorted(e.lstrip('.') for e in AUDIO_EXTENSIONS))}")


async def _set_when_disconnected(request: Request, gone: threading.Event) -> None:
    """Sets `gone` when the client disconnects: the body is read, so the next message can only be that."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
    gone.set()


def shown_name(upload: UploadFile) -> str:
    """The client's own file name for messages (never a server path)."""
    return Path(upload.filename or "").name or "upload"


@router.post("/classify", responses=responses(400, 405, 408, 413, 415, 422, 503))
async def classify_upload(request: Request, file: UploadFile) -> dict:
    """Classify one recording (deleted as soon as it is classified).

    413: larger than the upload limit, or more decoded audio than the duration limit; 422: not
    decodable audio, too short, or it took longer than the time limit; 503 (Retry-After): every
    worker and queue place is taken.
    """
    settings, exported = request.app.state.settings, request.app.state.model
    if (parts := len((await request.form()).getlist("file"))) > 1:  # parsed once already: FastAPI keeps the last
        raise HTTPException(400, f"{parts} 'file' parts in one request: send one recording per request")
    suffix, name = upload_suffix(file), shown_name(file)
    with tempfile.TemporaryDirectory(prefix="spectrogenre-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        with path.open("wb") as out:
            await run_in_threadpool(shutil.copyfileobj, file.file, out)
        if path.stat().st_size == 0:
            raise HTTPException(400, f"{name}: empty upload, no bytes received")
        gone = threading.Event()  # the client closed its connection: its work is dropped, queued or running
        watcher = asyncio.create_task(_set_when_disconnected(request, gone))
        try:
            # Queued uploads wait here holding only their file: `workers` are decoded and classified at
            # once, so memory is bounded by the workers, not the queue; the time limit starts now.
            async with request.app.state.working:
                limits = DecodeLimits(max_seconds=settings.max_duration_s, time_limit_s=settings.time_limit_s,
                                      cancelled=gone)
                limits.check_time(path)  # one that left while queued is not started
                verdict = await run_in_threadpool(classify_file, path, exported, limits=limits)
        except WorkCancelled:
            raise HTTPException(499, f"{name}: the client closed the connection; the work was stopped") from None
        except AudioTooLong:
            raise HTTPException(413, f"{name}: more than the {settings.max_duration_s:g} s of audio this server "
                                     f"classifies per upload") from None
        except AudioError as err:
            raise HTTPException(422, f"{name}: {err.problem.replace(str(path), name).replace(folder, '')}") from None
        finally:
            watcher.cancel()
    return {  # status: "genre", "unsure" or "no music heard"; verdict: what to tell a person; genre: the best guess
        "status": verdict.status, "verdict": verdict.shown, "genre": verdict.genre,
        # none when no music was heard, as predict's JSON says it: 0 would read as a measured confidence
        "confidence": None if verdict.status == NO_MUSIC else round(verdict.confidence, 4),
        "unsure_below": exported.unsure_below,
        "probabilities": {g: round(p, 4) for g, p in verdict.probabilities.items()},
        "top": [{"genre": g, "probability": round(p, 4)} for g, p in verdict.top(settings.top_k)],
        "windows": verdict.windows,
    }
