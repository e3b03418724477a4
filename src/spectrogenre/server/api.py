"""/api: health, the model's description, and classification of an uploaded recording."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from pathlib import Path
from time import monotonic
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from spectrogenre.audio_io import AUDIO_EXTENSIONS, DecodeLimits, DecodeWarnings
from spectrogenre.errors import AudioError, AudioTooLong, WorkCancelled
from spectrogenre.inference import can_predict, classify_file
from spectrogenre.server.errors import client_file_name, log_client_gone, responses
from spectrogenre.verdicts import NO_MUSIC, reported

router = APIRouter(prefix="/api")


class Ranked(BaseModel):
    genre: str
    probability: float


class Window(BaseModel):
    start_s: float
    end_s: float
    genre: str = Field(description='the window\'s genre; "unsure" where its confidence is below unsure_below, as '
                                   'for the whole upload; "no music heard" for a quiet window')
    confidence: float | None = Field(description="the best guess's; null for a quiet window")
    best_guess: str | None = Field(description="the window's most likely genre, named even when unsure; null for a "
                                               "quiet window")


class Classification(BaseModel):
    """The verdict on one upload, by predict's rules."""

    status: Literal["genre", "unsure", "no music heard"]
    genre: str = Field(description='the verdict, as predict\'s JSON gives it: the genre, "unsure" below '
                                   'unsure_below (the best guesses are in top), or "no music heard"')
    confidence: float | None = Field(description="the best guess's mean probability; null when no music was heard "
                                                  "(0 would read as a measured confidence), as in predict's JSON")
    unsure_below: float = Field(description="below this confidence the status is unsure")
    probabilities: dict[str, float]
    top: list[Ranked]
    windows: list[Window] = Field(description="each window's own genre: the timeline")
    warnings: list[str] = Field(description="what decoding found wrong with this upload though it was classified "
                                            "(damage decoded past, a file cut short, samples far over full scale), "
                                            "each naming the file by its uploaded name, in predict's words; empty "
                                            "when none")


# Browsers upload recordings with a MIME type and often a generic file name ("blob").
SUFFIX_BY_TYPE = {
    "audio/webm": ".webm", "video/webm": ".webm", "audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp3": ".mp3",
    "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/wave": ".wav", "audio/flac": ".flac", "audio/x-flac": ".flac",
    "audio/mp4": ".m4a", "audio/x-m4a": ".m4a", "audio/aac": ".aac", "audio/opus": ".opus",
    # the other names browsers, phones and file managers give these formats
    "audio/vnd.wave": ".wav", "audio/mpeg3": ".mp3", "audio/x-mpeg-3": ".mp3", "audio/x-mpeg": ".mp3",
    "audio/aiff": ".aiff", "audio/x-aiff": ".aiff", "audio/x-aac": ".aac", "audio/x-ms-wma": ".wma",
    "audio/x-wavpack": ".wv", "audio/x-matroska": ".mka", "video/mp4": ".mp4", "audio/vorbis": ".ogg",
    "video/x-matroska": ".mka", "video/quicktime": ".mp4",  # a video's sound: ffmpeg finds the container by content
    # the formats only ffmpeg reads
    "audio/ac3": ".ac3", "audio/vnd.dts": ".dts", "audio/x-caf": ".caf", "audio/x-tta": ".tta",
    "audio/x-musepack": ".mpc", "audio/x-speex": ".spx", "audio/x-pn-realaudio": ".ra", "audio/x-dsf": ".dsf",
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
    # "x" first: a name that is only its extension (".mp3") has no suffix to pathlib, being a hidden file's name
    suffix = Path("x" + Path(upload.filename or "").name).suffix.lower()
    if can_predict(Path(f"x{suffix}")):
        return suffix
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type in SUFFIX_BY_TYPE:
        return SUFFIX_BY_TYPE[content_type]
    raise HTTPException(415, f"{client_file_name(upload.filename)}: unsupported file type "
                             f"{suffix or content_type or '(none)'}: send "
                             f"{', '.join(sorted(e.lstrip('.') for e in AUDIO_EXTENSIONS))}")


async def _set_when_disconnected(request: Request, gone: threading.Event) -> None:
    """Sets `gone` when the client disconnects: the body is read, so the next message can only be that."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
    gone.set()


@router.post("/classify", responses=responses(400, 405, 408, 413, 415, 422, 503))
async def classify_upload(request: Request, file: UploadFile) -> Classification:
    """Classify one recording (deleted as soon as it is classified).

    warnings: problems decoding found in a file it still classified (a file cut short, damage decoded
    past), naming the upload's file name. 413: larger than the upload limit, or more decoded audio than
    the duration limit; 422: not decodable audio, too short, or it took longer than the time limit; 503
    (Retry-After): every worker and queue place is taken.
    """
    settings, exported = request.app.state.settings, request.app.state.model
    if (parts := len((await request.form()).getlist("file"))) > 1:  # parsed once already: FastAPI keeps the last
        raise HTTPException(400, f"{parts} 'file' parts in one request: send one recording per request")
    suffix, name = upload_suffix(file), client_file_name(file.filename)
    with tempfile.TemporaryDirectory(prefix="spectrogenre-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"

        def said(problem: str) -> str:  # of this upload, by the client's name for it, never a server path
            return f"{name}: {problem.replace(str(path), name).replace(folder, '')}"

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
                # this request's own: work for others at once, in other threads, keeps its warnings apart; its log
                # line names the client as the access log does, so that the two can be matched
                client = f" from {request.client.host}:{request.client.port}" if request.client else ""
                warnings = DecodeWarnings(name=f"{name}{client}")
                limits = DecodeLimits(max_seconds=settings.max_duration_s, time_limit_s=settings.time_limit_s,
                                      cancelled=gone, warnings=warnings)
                limits.check_time(path)  # one that left while queued is not started
                started = monotonic()
                verdict = await run_in_threadpool(classify_file, path, exported, limits=limits)
                request.app.state.admission.served(monotonic() - started)  # for a busy server's Retry-After
        except WorkCancelled:
            log_client_gone(request.scope)
            raise HTTPException(499, f"{name}: the client closed the connection; the work was stopped") from None
        except AudioTooLong:
            raise HTTPException(413, f"{name}: more than the {settings.max_duration_s:g} s of audio this server "
                                     f"classifies per upload") from None
        except AudioError as err:
            raise HTTPException(422, said(err.problem)) from None
        finally:
            watcher.cancel()
    return Classification(
        status=verdict.status, genre=verdict.shown,
        confidence=None if verdict.status == NO_MUSIC else reported(verdict.confidence),
        unsure_below=exported.unsure_below,
        probabilities={g: reported(p) for g, p in verdict.probabilities.items()},
        top=[Ranked(genre=g, probability=reported(p)) for g, p in verdict.top(settings.top_k)],
        windows=verdict.windows, warnings=[said(problem) for problem in warnings.problems])
