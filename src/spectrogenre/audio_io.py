"""Reading and writing audio files: decode to mono at a target rate, streamed.

Every decoding problem becomes an AudioError naming the file, so a caller can report
it and carry on with the next file.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from spectrogenre.errors import AudioError
from spectrogenre.resampler import resample

# Formats libsndfile decodes by itself (no ffmpeg needed).
SNDFILE_EXTENSIONS = frozenset({".mp3", ".wav", ".flac", ".ogg", ".oga", ".aif", ".aiff", ".aifc", ".w64"})
# Formats decoded through ffmpeg, where it is installed (libsndfile does not read them).
FFMPEG_EXTENSIONS = frozenset({".webm", ".weba", ".opus", ".m4a", ".m4b", ".mp4", ".aac", ".alac", ".wma", ".mka",
                               ".wv", ".ape"})
AUDIO_EXTENSIONS = SNDFILE_EXTENSIONS | FFMPEG_EXTENSIONS
# Formats whose header states the exact frame count, so a short read means truncation.
_EXACT_LENGTH_FORMATS = frozenset({"WAV", "WAVEX", "FLAC", "AIFF"})
# An MP3's frame count is an estimate (Xing header or bitrate): allow this much shortfall.
_ESTIMATED_LENGTH_TOLERANCE = 0.02
# libsndfile keeps reading a WAV/AIFF whose data chunk is cut short, but logs the mismatch.
_SHORT_CHUNK = re.compile(r"^(?:data|SSND)\s*:\s*(\d+) \(should be (\d+)\)", re.MULTILINE)

BLOCK_FRAMES = 1 << 18  # ~6 s at 44.1 kHz: bounded memory, few Python calls


def is_audio_file(path: Path) -> bool:
    """Whether `path` is named as a format the pipeline decodes (itself or through ffmpeg)."""
    return path.suffix.lower() in AUDIO_EXTENSIONS


def missing_decoder(path: Path) -> str | None:
    """Why this machine cannot decode `path`'s format, or None when it can."""
    if path.suffix.lower() in FFMPEG_EXTENSIONS and shutil.which("ffmpeg") is None:
        return f"{path.suffix} needs ffmpeg, which is not installed (Debian: apt install ffmpeg)"
    return None


def iter_mono_blocks(path: Path, *, block_frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
    """Decode `path` to mono float32 at its own rate, yielding 1-D blocks (rate: sf.info).

    Raises AudioError for an unreadable, corrupt, truncated, empty or non-finite file,
    possibly after some blocks were yielded.
    """
    if path.stat().st_size == 0:
        raise AudioError(path, "is empty (0 bytes)")
    try:
        handle = sf.SoundFile(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise AudioError(path, f"cannot be decoded: corrupt or not a {path.suffix or 'known'} audio file ({_short(err)})") from None
    with handle:
        _check_chunk_sizes(path, handle)
        decoded = 0
        while True:
            try:
                block = handle.read(block_frames, dtype="float32", always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as err:
                raise AudioError(path, f"decoding failed after {decoded} frames ({_short(err)})") from None
            last = len(block) < block_frames
            decoded += len(block)
            mono = mix_to_mono(block)
            if not np.isfinite(mono).all():
                raise AudioError(path, "contains NaN or infinite samples")
            if len(mono):
                yield np.ascontiguousarray(mono, dtype=np.float32)
            if last:
                break
        if decoded == 0:
            raise AudioError(path, "contains no audio samples (zero length)")
        exact = handle.format in _EXACT_LENGTH_FORMATS
        expected = handle.frames if exact else int(handle.frames * (1 - _ESTIMATED_LENGTH_TOLERANCE))
        if decoded < expected:
            raise AudioError(path, f"truncated: header declares {handle.frames} frames, only {decoded} decoded")


def mix_to_mono(block: np.ndarray) -> np.ndarray:
    """The mean of the channels of (frames, channels) float32: block.mean(axis=1), bit for bit, ~15x faster.

    numpy sums fewer than 8 values in order, starting from 0, as this does column by column;
    from 8 channels on it sums pairwise, so those blocks take the mean itself.
    """
    channels = block.shape[1]
    if channels == 1:
        return block[:, 0]
    if channels >= 8:
        return block.mean(axis=1)
    return sum(block[:, c] for c in range(channels)) / np.float32(channels)


def _check_chunk_sizes(path: Path, handle: sf.SoundFile) -> None:
    for declared, present in _SHORT_CHUNK.findall(handle.extra_info):
        declared, present = int(declared), int(present)
        if present < declared < 0xFFFFFFFF:  # 0xFFFFFFFF: a streamed file with no final size
            raise AudioError(path, f"truncated: data chunk declares {declared} bytes, only {present} present")


def read_mono(path: Path, *, sample_rate: int, timeout_s: float | None = None) -> np.ndarray:
    """The whole file as mono float32 at `sample_rate` (the front end's resampler), shape (n,).

    Channels are averaged block by block, so memory holds the mono track, not the stereo one.
    Formats libsndfile cannot read go through ffmpeg (`timeout_s` bounds it); every caller,
    the pipeline and predict alike, decodes through here.
    """
    path = Path(path)
    if path.suffix.lower() in FFMPEG_EXTENSIONS:
        return _read_mono_with_ffmpeg(path, sample_rate=sample_rate, timeout_s=timeout_s)
    blocks = list(iter_mono_blocks(path))
    return resample(np.concatenate(blocks), orig_sr=sf.info(str(path)).samplerate, target_sr=sample_rate)


def _read_mono_with_ffmpeg(path: Path, *, sample_rate: int, timeout_s: float | None) -> np.ndarray:
    if (problem := missing_decoder(path)) is not None:
        raise AudioError(path, problem)
    if path.stat().st_size == 0:
        raise AudioError(path, "is empty (0 bytes)")
    with tempfile.TemporaryDirectory(prefix="spectrogenre-ffmpeg-") as folder:
        wav = Path(folder) / "decoded.wav"
        try:  # to a float WAV at the file's own rate and channels: the front end's mono mix and resampler do the rest
            result = subprocess.run([shutil.which("ffmpeg"), "-nostdin", "-v", "error", "-i", str(path), "-vn",
                                     "-c:a", "pcm_f32le", str(wav)], capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise AudioError(path, f"decoding took longer than {timeout_s:g} s") from None
        if result.returncode != 0 or not wav.exists():
            message = result.stderr.decode(errors="replace").strip().splitlines()
            raise AudioError(path, f"cannot be decoded: {message[-1] if message else 'ffmpeg failed'}")
        try:
            return read_mono(wav, sample_rate=sample_rate)
        except AudioError as err:
            raise AudioError(path, err.problem) from None


def read_segment(handle: sf.SoundFile, start: int, stop: int) -> np.ndarray:
    """Samples [start, stop) of an open mono file as float32 (stop - start,)."""
    handle.seek(start)
    data = handle.read(stop - start, dtype="float32", always_2d=False)
    if len(data) != stop - start:
        raise AudioError(handle.name, f"expected {stop - start} samples at {start}, read {len(data)}")
    return data


@contextlib.contextmanager
def atomic_flac_writer(path: Path, *, sample_rate: int) -> Iterator[sf.SoundFile]:
    """A mono 16-bit FLAC writer that only appears at `path` once fully written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with sf.SoundFile(str(tmp), "w", samplerate=sample_rate, channels=1, format="FLAC", subtype="PCM_16") as out:
            yield out
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _short(err: Exception) -> str:
    return str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
