"""/api: health, the model's description, and classification of an uploaded recording."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from spectrogenre.audio_io import AUDIO_EXTENSIONS
from spectrogenre.errors import AudioError
from spectrogenre.inference import can_predict, classify, decode

router = APIRouter(prefix="/api")

# Browsers upload recordings with a MIME type and often a generic file name ("blob").
SUFFIX_BY_TYPE = {
    "audio/webm": ".webm", "video/webm": ".webm", "audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp3": ".mp3",
    "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/wave": ".wav", "audio/flac": ".flac", "audio/x-flac": ".flac",
    "audio/mp4": ".m4a", "audio/x-m4a": ".m4a", "audio/aac": ".aac", "audio/opus": ".opus",
}
READ_BLOCK = 1 << 20


@router.get("/health")
def health(request: Request) -> dict:
    return {"status": "ok", "genres": len(request.app.state.model.labels)}


@router.get("/model")
def model_info(request: Request) -> dict:
    state = request.app.state
    return {"labels": list(state.model.labels), "frontend": state.spec["frontend"],
            "silence": state.spec["silence"], "verdict": state.spec["verdict"], "metrics": state.spec.get("evaluation")}


def upload_suffix(upload: UploadFile) -> str:
    suffix = Path(upload.filename or "").suffix.lower()
    if can_predict(Path(f"x{suffix}")):
        return suffix
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type in SUFFIX_BY_TYPE:
        return SUFFIX_BY_TYPE[content_type]
    raise HTTPException(415, f"unsupported file type {suffix or content_type or '(none)'}: send "
                             f"{', '.join(sorted(e.lstrip('.') for e in AUDIO_EXTENSIONS))}")


@router.post("/classify")
async def classify_upload(request: Request, file: UploadFile) -> dict:
    """Classify one recording; it is deleted as soon as it is decoded."""
    settings, exported = request.app.state.settings, request.app.state.model
    suffix = upload_suffix(file)
    with tempfile.TemporaryDirectory(prefix="spectrogenre-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        size = 0
        with path.open("wb") as out:
            while block := await file.read(READ_BLOCK):
                size += len(block)
                if size > settings.max_upload_bytes:
                    raise HTTPException(413, f"upload larger than {settings.max_upload_mb:g} MB")
                out.write(block)
        if size == 0:
            raise HTTPException(400, "empty upload: no bytes received")
        try:
            audio = await asyncio.wait_for(
                run_in_threadpool(decode, path, sample_rate=exported.frontend.sample_rate,
                                  timeout_s=settings.decode_timeout_s),
                timeout=settings.decode_timeout_s)
        except AudioError as err:
            raise HTTPException(422, f"{file.filename or 'upload'}: {err.problem}") from None
        except asyncio.TimeoutError:
            raise HTTPException(422, f"decoding took longer than {settings.decode_timeout_s:g} s") from None
    try:
        verdict = await run_in_threadpool(classify, audio, exported, hop_seconds=settings.hop_seconds)
    except ValueError as err:
        raise HTTPException(422, f"{file.filename or 'upload'}: {err}") from None
    return {  # status: "genre", "unsure" or "no music heard"; verdict: what to tell a person; genre: the best guess
        "status": verdict.status, "verdict": verdict.shown, "genre": verdict.genre,
        "confidence": round(verdict.confidence, 4), "unsure_below": exported.unsure_below,
        "probabilities": {g: round(p, 4) for g, p in verdict.probabilities.items()},
        "top": [{"genre": g, "probability": round(p, 4)} for g, p in verdict.top(settings.top_k)],
        "windows": verdict.windows,
    }
