"""Reading and writing audio files: decode to mono at a target rate, streamed.

Every decoding problem becomes an AudioError naming the file, so a caller can report
it and carry on with the next file. Work is bounded for any file: a header's sample rate
and channel count are checked before any buffer is sized, and `stream_mono` decodes in
blocks, stopping at a caller's limits on duration and time (DecodeLimits).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import mutagen
import mutagen.mp3
import numpy as np
import soundfile as sf

from spectrogenre.errors import AudioError, AudioTooLong, WorkCancelled, WorkTimeout
from spectrogenre.mpeg_frames import ends_inside_a_frame, first_frames, synchsafe
from spectrogenre.quiet import native_stderr_silenced
from spectrogenre.resampler import StreamResampler

# Formats libsndfile decodes by itself (no ffmpeg needed).
SNDFILE_EXTENSIONS = frozenset({".mp3", ".wav", ".wave", ".flac", ".ogg", ".oga", ".aif", ".aiff", ".aifc", ".w64"})
# Formats decoded through ffmpeg, where it is installed (libsndfile does not read them).
FFMPEG_EXTENSIONS = frozenset({".webm", ".weba", ".opus", ".m4a", ".m4b", ".mp4", ".aac", ".alac", ".wma", ".mka",
                               ".wv", ".ape", ".mp2", ".ac3", ".dts", ".caf", ".spx", ".tta", ".mpc", ".shn", ".dsf",
                               ".dff", ".ra", ".rm", ".m4r", ".3gp", ".3ga", ".amr"})
AUDIO_EXTENSIONS = SNDFILE_EXTENSIONS | FFMPEG_EXTENSIONS
# Music no decoder may read, and why: a library's file of one is music left out, never a file that is not music
# (a cover, a playlist).
_UNREAD_BECAUSE = {".m4p": ".m4p is an iTunes Store purchase protected against copying (DRM): no decoder may read it; "
                           "use an unprotected copy (the store's newer download, or the CD)"}
UNREAD_AUDIO_EXTENSIONS = frozenset(_UNREAD_BECAUSE)
# libsndfile's frame count for a stream whose length it cannot tell (a chained Ogg file): unknown, not long
_UNKNOWN_FRAMES = 0x7FFFFFFFFFFFFFFF
# Formats whose header states the exact frame count, so a short read means truncation.
_EXACT_LENGTH_FORMATS = frozenset({"WAV", "WAVEX", "FLAC", "AIFF"})
# MPEG audio inside one of those (an MP3 in a WAV, as some broadcast tools write): its count is libmpg123's
# estimate, as for an MP3 file, and a short read may be damage a decoder can skip
_MPEG_SUBTYPES = frozenset({"MPEG_LAYER_I", "MPEG_LAYER_II", "MPEG_LAYER_III"})
# Formats that store samples as they are: a short read is bytes missing, never damage a decoder could skip.
_PCM_FORMATS = frozenset({"WAV", "WAVEX", "AIFF", "W64"})
# An MP3's frame count is an estimate (Xing header or bitrate): allow this much shortfall.
_ESTIMATED_LENGTH_TOLERANCE = 0.02
# libsndfile keeps reading a WAV/AIFF whose data chunk is cut short, but logs the mismatch (an AIFF's chunks
# indented under its FORM line).
_SHORT_CHUNK = re.compile(r"^\s*(?:data|SSND)\s*:\s*(\d+) \(should be (\d+)\)", re.MULTILINE)
_WAV_DATA_SIZE = re.compile(r"^data\s*:\s*(\d+)", re.MULTILINE)
# The two WAVs for files past 4 GB (a long broadcast or field recording) state their length where libsndfile does not
# compare it with the bytes there: RF64 in its ds64 chunk (libsndfile logs the mismatch), Sony's W64 in its data
# chunk, whose size counts the chunk's own 24-byte header
_RF64_FRAMES_SHORT = re.compile(r"Calculated frame count (\d+) does not match value from 'ds64' chunk of (\d+)")
_W64_DATA_HEADER = 24
# A WAV's or AIFF's data size damaged to less than its samples: libsndfile reads that many, then finds what follows
# is no chunk. More such bytes than the data, and more than a tag or padding takes, are the file's audio
_JUNK_AFTER_DATA = re.compile(r"^\s*(?:data|SSND)\s*:\s*(\d+)\s*$.*?"
                              r"(?:Unknown chunk marker|Chunk size \d+ > file length)", re.MULTILINE | re.DOTALL)
_JUNK_AFTER_DATA_SLACK = 64 * 1024
# Chunk headers read to find a WAV's or AIFF's data chunk (libsndfile's own headers put it third or so)
_CHUNKS_READ = 1000
# A WAV's fmt chunk, as libsndfile's log gives it: a frame's size is stated thrice (channels x sample width, the
# block align, the bytes a second over the rate)
# libsndfile's description of a WAV header; a field it finds wrong is followed by "(should be N)"
_WAV_FRAME_FIELDS = re.compile(r"^\s*Block Align\s*:\s*(\d+)[^\n]*$.*?^\s*Bit Width\s*:\s*(\d+)[^\n]*$.*?"
                               r"^\s*Bytes/sec\s*:\s*(\d+)", re.MULTILINE | re.DOTALL)
_SAMPLE_BYTES = {"PCM_S8": 1, "PCM_U8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8,
                 "ULAW": 1, "ALAW": 1}
# A FLAC frame's header and footer, and its subframes' headers, beyond its samples: bytes enough for hundreds
_FLAC_FRAMES_SLACK = 64 * 1024
# No MP3 holds more than 320 kbps (MPEG-1 Layer III's top rate): a Xing/Info header whose byte count over its frame
# count comes to more is a frame count damaged low, at which libsndfile would stop
_MP3_MOST_BITRATE = 320_000 * 1.1
# An MP3's bytes, less its ID3v2 tag, beyond what its header's frame count and bitrate account for (a tenth, and
# this for an ID3v1 or APEv2 tag at its end): enough to have ffprobe count the frames the file holds
_MP3_BYTES_SLACK = 16 * 1024
# WAV data sizes that state no length: a writer that cannot go back to fill in the size leaves a placeholder,
# and players read such a file to its end, as this does. Near the format's limits, past the file's own size:
# 0xFFFFFFFF (ffmpeg and sox writing to a pipe), 0x7FFFF000 (arecord's, replaced only when it stops cleanly),
# 0x7FFFFFFF and the like (streaming servers, recorder apps); and 0: a recorder that stopped (crashed, lost power)
# before it wrote the size. libsndfile reads the first up to the file's end; it takes 0 at its word (no samples),
# so such a file is decoded by ffmpeg, which reads on.
_PLACEHOLDER_DATA_SIZE_FROM = 0x7FFF0000  # 2 GiB less 64 KiB


def _data_size_unstated(size: int, path: Path) -> bool:
    """Whether a WAV's data size `size` is a placeholder for `path`'s (see _PLACEHOLDER_DATA_SIZE_FROM)."""
    return size == 0 or (size >= _PLACEHOLDER_DATA_SIZE_FROM and size > path.stat().st_size)

BLOCK_FRAMES = 1 << 18  # ~6 s at 44.1 kHz: bounded memory, few Python calls
# What a real recording's header can say. Outside these, a header is lying (a 1 GHz rate would size
# the resampler's filter at hundreds of millions of taps; a 1 Hz one stretches 2 KB to minutes).
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 4_000, 768_000
MAX_CHANNELS = 64
# The problem of a file whose decoding ends the process decoding it (concat's and scan --decode's pools find it)
ENDED_ITS_PROCESS = ("cannot be decoded: decoding it ended the process that ran it, a crash in the decoder or the "
                     "system's memory limit (a damaged file: try playing it; or one longer than the memory allows: "
                     "a Dask worker's --memory-limit)")
# A damaged file decoded on past the damage may miss at most this share of the frames its header declares:
# a glitch costs a fraction of a second; more is a file cut short, refused as truncated.
MAX_LOST_FRACTION = 0.1
# A lossy decoder's output passes full scale by a little on loud masters (MP3: peaks near 1.1); a float
# file scaled past it (a DAW's export with its gain up) is the case worth a word
FAR_OVER_FULL_SCALE = 2.0
# ...and its samples pass it again and again, through its loud passages. Samples that pass it in one place only are a
# glitch (a frame decoded from damaged bytes: a burst of a few ms, at up to tens of times full scale), not a file too
# loud: scaling it down would mend nothing. Counted in half seconds, of which one glitch fills one or two
_OVER_SCALE_STRETCH_S = 0.5
_OVER_SCALE_STRETCHES = 3
# MPEG-4 containers state their length (the moov atom's track durations), as an Ogg stream does (its last page's
# granule position), WavPack and Monkey's Audio (their sample counts), ASF (a WMA's play duration) and Matroska
# where its writer could go back to fill in the segment's duration (ffmpeg, mkvmerge; not a WebM written live,
# which states none): a decode that falls short of it is a file cut short or damaged, held to MAX_LOST_FRACTION as
# MP3 and FLAC are. A raw .aac's length is an estimate from its bitrate.
# (.m4r: a ringtone; .3gp, .3ga: a phone's recording)
_MP4_EXTENSIONS = frozenset({".m4a", ".m4b", ".mp4", ".alac", ".m4r", ".3gp", ".3ga"})
_STREAM_LENGTH_EXTENSIONS = _MP4_EXTENSIONS | {".wv", ".ape"}  # ffprobe's stream duration is their header's
_MATROSKA_EXTENSIONS = frozenset({".webm", ".weba", ".mka"})  # the segment's, not the stream's
_ASF_EXTENSIONS = frozenset({".wma"})  # ffmpeg estimates it from the file's size: mutagen reads the header's
# What mutagen raises for a file it cannot parse: its own errors, and, for some damaged (or unusual: a WavPack at
# a rate outside its table) headers, Python's
MUTAGEN_ERRORS = (mutagen.MutagenError, OSError, ValueError, IndexError, KeyError, EOFError)
# ffmpeg's log lines start with the component that wrote them: "[aac @ 0x55a38bb90840] "
_FFMPEG_COMPONENT = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\] ")
# ffmpeg's raw output (which keeps no timestamps) complains of an undamaged Ogg Vorbis stream's, whose packets'
# ffmpeg estimates within a page, a few ms off: not damage
_FFMPEG_OUTPUT = re.compile(r"^\[f32le @ 0x[0-9a-f]+\] ")
# ...and of a cover picture it could not decode (ffmpeg decodes an attached picture to probe it, -vn or not):
# the audio is whole
_FFMPEG_PICTURE = re.compile(r"^\[(?:mjpeg|png|bmp|gif|webp|tiff|jpeg2000) @ 0x[0-9a-f]+\] ")
# libsndfile decodes an Ogg stream on past pages that fail their checksum, saying so only in its log (ogg.c)
_OGG_SKIPPED = re.compile(r"^Ogg ?: Skipped \d+ bytes looking for the next page", re.MULTILINE)
# ...and where the last pages fail it, takes the last page it can read for the stream's end, saying only this
_OGG_JUNK_AT_END = "Ogg: Junk after the last page."
# A jump in a decode's frame timestamps shorter than this is rounding (ffprobe prints microseconds), not audio missing
_LEAST_GAP_S = 0.005
# Ogg pages (RFC 3533): a header's flags byte marks the stream's last page; no page is larger than this
_OGG_END_OF_STREAM = 0x04
_OGG_MAX_PAGE_BYTES = 27 + 255 + 255 * 255

logger = logging.getLogger(__name__)


@dataclass
class DecodeWarnings:
    """The warnings one file's decode logs (damage decoded past, a file cut short, samples far over full scale),
    kept for a caller that answers them with its result, as the server does an upload's: `problems` holds each
    as the log's line says it after the file's name. `name`: what the file is called where its path is a stand-in
    (an upload's temporary copy), said beside the path in the log."""

    name: str | None = None
    problems: list[str] = field(default_factory=list)
    # False: kept for the caller to say, not logged (a cluster's task: its log is a worker's, which no one reads)
    logged: bool = True


@dataclass(frozen=True)
class DecodeLimits:
    """Bounds on one file's work: at most `max_seconds` of audio (AudioTooLong past it) and `time_limit_s`
    from `started` (WorkTimeout past it), checked block by block. None: no bound. Setting `cancelled`
    stops the work at the next check (WorkCancelled). `warnings`, where given, keeps the warnings logged
    about the file (DecodeWarnings): each request's own, as `cancelled` is, so work done at once never mixes."""

    max_seconds: float | None = None
    time_limit_s: float | None = None
    started: float = field(default_factory=time.monotonic)
    cancelled: threading.Event = field(default_factory=threading.Event)
    warnings: DecodeWarnings | None = field(default=None, compare=False)

    def warn(self, path, problem: str) -> None:
        """Logs `path: problem` (predict shows the log's warnings on stderr), and keeps `problem` in `warnings`."""
        kept = self.warnings
        named = str(path) if kept is None or kept.name is None else f"{path} ({kept.name})"
        if kept is None or kept.logged:
            logger.warning("%s: %s", _one_line(named), problem)
        if kept is not None:
            kept.problems.append(problem)

    def remaining_s(self) -> float | None:
        return None if self.time_limit_s is None else self.time_limit_s - (time.monotonic() - self.started)

    def check_time(self, path) -> None:
        if self.cancelled.is_set():
            raise WorkCancelled(path, "stopped: no one waits for the answer any more")
        remaining = self.remaining_s()
        if remaining is not None and remaining <= 0:
            raise WorkTimeout(path, f"took longer than the {self.time_limit_s:g} s allowed: stopped")

    def check_length(self, path, seconds: float) -> None:
        if self.max_seconds is not None and seconds > self.max_seconds:
            raise AudioTooLong(path, f"longer than the {self.max_seconds:g} s of audio allowed")


NO_LIMITS = DecodeLimits()


class BoundedReads(io.FileIO):
    """A file whose reads ask for no more bytes than are left in it. mutagen reads a chunk by asking for as many
    bytes as its header states, and Python sizes its buffer to the request first: a damaged size of 4 GB was a
    MemoryError on a machine that cannot lend that much, where a short read gets mutagen's own error."""

    def read(self, size: int | None = -1) -> bytes:
        if size is not None and size > 0:
            size = min(size, max(os.fstat(self.fileno()).st_size - self.tell(), 0))
        return super().read(size)


class SndfileInput(io.BufferedReader):
    """A file opened for libsndfile (soundfile's reads through Python). A seek the system refuses (a damaged
    chunk's size sends libsndfile to an offset near 2**63) answers where the file stands, and libsndfile then says
    the file is damaged: raised, the error came out of cffi's callback as a traceback on stderr."""

    def __init__(self, path, *, start: int = 0):
        """start: the byte libsndfile is shown as the file's first (an MP3's first frame, past bytes it cannot
        place)."""
        super().__init__(io.FileIO(path, "rb"))
        self.start = start
        super().seek(start)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        try:
            return super().seek(offset + self.start if whence == io.SEEK_SET else offset, whence) - self.start
        except (OSError, OverflowError):
            return self.tell()

    def tell(self) -> int:
        return super().tell() - self.start


def _one_line(text: str) -> str:
    """`text` with what a log line must not hold (a newline, a terminal's escape codes: a name a client chose)
    written as escapes."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def with_mutagen(read, path: Path):
    """`read` (mutagen.File, a format's class such as mutagen.mp3.MP3, APEv2) of `path`, through BoundedReads; what
    it raises for a file it cannot parse is in MUTAGEN_ERRORS."""
    with BoundedReads(path) as file:  # named as given: mutagen's messages quote the name, which callers strip
        return read(file)


def is_audio_file(path: Path) -> bool:
    """Whether `path` is named as a format the pipeline decodes (itself or through ffmpeg)."""
    return path.suffix.lower() in AUDIO_EXTENSIONS


def is_music_file(path: Path) -> bool:
    """Whether `path` is named as music: in a format the pipeline decodes, or in one it does not (unread_format)."""
    return is_audio_file(path) or path.suffix.lower() in UNREAD_AUDIO_EXTENSIONS


def unread_format(path: Path) -> str | None:
    """Why `path`, named as audio in a format the pipeline does not decode, is left out; None for any other name."""
    return _UNREAD_BECAUSE.get(path.suffix.lower())


def unreadable(path: Path) -> str | None:
    """Why `path` is not a regular file this process can read (said the way a person would), or None.

    Checked before any decoder opens it: a FIFO would block the reader forever.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            return f"broken symbolic link: it points to {os.readlink(path)}, which does not exist"
        return "no such file"
    except PermissionError:
        return "cannot be read: permission denied (on a folder above it)"
    except OSError as err:
        return f"cannot be read: {err.strerror or err}"
    kinds = {stat.S_ISDIR: "is a folder, not an audio file", stat.S_ISFIFO: "is a named pipe (FIFO), not a file: not read",
             stat.S_ISSOCK: "is a socket, not a file: not read", stat.S_ISCHR: "is a device, not a file: not read",
             stat.S_ISBLK: "is a device, not a file: not read"}
    for is_kind, problem in kinds.items():
        if is_kind(mode):
            return problem
    try:
        with open(path, "rb"):
            pass
    except PermissionError:
        return "cannot be read: permission denied"
    except OSError as err:
        return f"cannot be read: {err.strerror or err}"
    return None


def missing_decoder(path: Path) -> str | None:
    """Why this machine cannot decode `path`'s format, or None when it can."""
    if path.suffix.lower() in FFMPEG_EXTENSIONS and shutil.which("ffmpeg") is None:
        return f"{path.suffix} needs ffmpeg, which is not installed (Debian: apt install ffmpeg)"
    return None


def check_stream_format(path: Path, *, sample_rate: int, channels: int) -> None:
    """Refuse a header whose sample rate or channel count no recording has, before anything is sized by it."""
    if not MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE:
        raise AudioError(path, f"header claims a sample rate of {sample_rate:,} Hz; real recordings have "
                               f"{MIN_SAMPLE_RATE:,} to {MAX_SAMPLE_RATE:,} Hz")
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioError(path, f"header claims {channels} channels; 1 to {MAX_CHANNELS} are accepted")


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[sf.SoundFile]:
    """`path` opened by libsndfile, its header checked (check_stream_format); AudioError if it is empty or
    libsndfile cannot parse it. libsndfile reads it through a Python file: its own open refuses a path of
    1024 bytes or more (Linux allows 4096), and the name's bytes need not be UTF-8."""
    with contextlib.ExitStack() as stack:
        try:
            file = stack.enter_context(SndfileInput(path))
        except OSError as err:
            raise AudioError(path, f"cannot be read: {err.strerror or err}") from None
        try:
            with mpeg_quiet(path):
                handle = sf.SoundFile(file)
        except (sf.LibsndfileError, RuntimeError, TypeError) as err:
            if path.stat().st_size == 0:
                raise AudioError(path, "is empty (0 bytes)") from None
            if (handle := _mp3_from_its_first_frame(path, stack)) is None:
                raise _cannot_open(path, err) from None
        with handle:
            check_stream_format(path, sample_rate=handle.samplerate, channels=handle.channels)
            _check_frame_size(path, handle)
            yield handle


def _mp3_from_its_first_frame(path: Path, stack: contextlib.ExitStack) -> sf.SoundFile | None:
    """An MP3 libsndfile could not open, opened from its first MPEG audio frame, as players and ffmpeg play it
    (mpeg_frames.first_frames: an ID3v2.4 tag with a footer, padding or damage between the tags and the frames);
    None for any other file, or where libsndfile cannot open it from there either. Skipped bytes that are neither
    tags nor their padding are said where the file is decoded (_junk_skipped)."""
    if path.suffix.lower() != ".mp3" or (first := first_frames(path)) is None or first.offset == 0:
        return None
    try:
        with mpeg_quiet(path):
            return sf.SoundFile(stack.enter_context(SndfileInput(path, start=first.offset)))
    except (sf.LibsndfileError, RuntimeError, TypeError, OSError):
        return None


def _junk_skipped(path: Path, limits: DecodeLimits) -> None:
    """Says, as a warning, bytes between an MP3's tags (and their padding) and its first frame, which either
    decoder passes over: damage at its start may have cost audio."""
    with contextlib.suppress(OSError):
        if (first := first_frames(path)) is not None and first.unknown:
            limits.warn(path, f"{first.unknown:,} bytes that are neither tag nor audio lie before its first audio frame: "
                              f"skipped (a damaged start may have cost its first moments)")


def _check_frame_size(path: Path, handle: sf.SoundFile) -> None:
    """Refuse a WAV whose channel count or sample width contradicts the frame size its block align and byte rate
    agree on: libsndfile goes by the first two, and would read a header damaged there as noise, or as the song at
    half speed. (One of the other two wrong alone, as some writers leave it, is harmless: libsndfile ignores them.)"""
    if handle.format not in ("WAV", "WAVEX") or (width := _SAMPLE_BYTES.get(handle.subtype)) is None:
        return
    if (found := _WAV_FRAME_FIELDS.search(handle.extra_info)) is None:
        return
    align, _bits, per_second = (int(value) for value in found.groups())
    said = "its block align and byte rate say"
    if align == 0 and per_second % handle.samplerate == 0:  # no block align (none has 0): the byte rate's frames
        align, said = per_second // handle.samplerate, "its block align is 0, and its byte rate says"
    if align and align != handle.channels * width and align * handle.samplerate == per_second:
        raise AudioError(path, f"damaged header: its {handle.channels} channel(s) of {width * 8}-bit samples "
                               f"({handle.subtype}) make {handle.channels * width}-byte frames, but {said} "
                               f"{align}-byte frames: its samples cannot be told apart (use a good copy)")


@contextlib.contextmanager
def _opened_or_for_ffmpeg(path: Path) -> Iterator[sf.SoundFile | None]:
    """`path` opened by libsndfile (_opened), or None where libsndfile cannot open it and it holds a format only
    ffmpeg decodes (held_for_ffmpeg); libsndfile's AudioError for any other file it cannot open."""
    with contextlib.ExitStack() as stack:
        try:
            handle = stack.enter_context(_opened(path))
        except AudioError:
            if held_for_ffmpeg(path) is None:
                raise
            handle = None
        yield handle


def audio_by_content(path: Path) -> bool:
    """Whether `path`, whatever its name, holds audio a decoder here knows by its content: libsndfile opens it, or
    ffmpeg knows its format (held_for_ffmpeg). For a file given by name that is not named as audio (a video's
    `.mkv` or `.mov`, a download without a suffix)."""
    try:
        with _opened_or_for_ffmpeg(path):
            return True
    except AudioError:
        return False


# Formats whose header states all decoding will find (channels, width, rate, the data's size): the library scan
# checks every such file's, as decoding would, where a tag reader's length would pass a header no decoder takes
HEADER_CHECKED = frozenset({".wav", ".wave", ".aif", ".aiff", ".aifc", ".w64"})


def undecodable(path: Path) -> str | None:
    """Why `path`'s header already shows it cannot be decoded (empty, not the format its name says, an
    impossible rate or channel count, a data chunk cut short), or None. Only the header is read; formats decoded
    through ffmpeg are not checked."""
    if path.suffix.lower() not in SNDFILE_EXTENSIONS:
        return None
    try:
        with _opened_or_for_ffmpeg(path) as handle:
            if handle is not None:
                _check_chunk_sizes(path, handle)
            return None
    except AudioError as err:
        return err.problem


def iter_mono_blocks(path: Path, *, block_frames: int = BLOCK_FRAMES,
                     limits: DecodeLimits = NO_LIMITS) -> Iterator[np.ndarray]:
    """Decode `path` to mono float32 at its own rate, yielding 1-D blocks (rate: sf.info).

    A file damaged part way (a stretch of bad bytes in an MP3, FLAC or Ogg file) is decoded on past
    the damage by ffmpeg, where it is installed, as a player would (see _past_the_damage). Raises
    AudioError for an unreadable, corrupt, truncated, empty or non-finite file, or an impossible
    header (check_stream_format), possibly after some blocks were yielded.
    """
    with _opened(path) as handle:
        if (unread := _unread_after_data(handle, _check_chunk_sizes(path, handle))) is not None:
            limits.warn(path, unread)
        decoded = 0
        while True:
            try:
                with mpeg_quiet(path, handle):
                    block = handle.read(block_frames, dtype="float32", always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as err:
                # the block is read whole or not at all: the damage is somewhere in it
                end_s = min(decoded + block_frames, handle.frames) / handle.samplerate
                where = f"between {decoded / handle.samplerate:.1f} s and {end_s:.1f} s"
                yield from _past_the_damage(path, handle, decoded=decoded, where=where, reason=_short(err),
                                            limits=limits)
                return
            if handle.format == "OGG" and (skipped := _OGG_SKIPPED.findall(handle.extra_info)):
                # libsndfile went on past damaged pages, but its frames no longer follow the file's time: past the
                # damage they skip ahead, and in a later block may fall back and repeat a stretch, so its count
                # reaches the stated length with nothing seemingly lost, or stops short of it at a place that is
                # not the damage's. The block is dropped and ffmpeg decodes from its start, as after one that failed
                end_s = min(decoded + block_frames, handle.frames) / handle.samplerate
                where = f"between {decoded / handle.samplerate:.1f} s and {end_s:.1f} s"
                yield from _past_the_damage(path, handle, decoded=decoded, where=where,
                                            reason=f"libsndfile: {skipped[-1]}", limits=limits)
                return
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
        if handle.format == "OGG" and _OGG_JUNK_AT_END in handle.extra_info:
            _check_ogg_end(path, decoded_s=decoded / handle.samplerate, limits=limits)
        if handle.frames >= _UNKNOWN_FRAMES:  # no length to hold the decode to (a chained Ogg file: see stream_mono)
            return
        exact = handle.format in _EXACT_LENGTH_FORMATS and handle.subtype not in _MPEG_SUBTYPES
        declared = handle.frames
        if not exact and decoded < declared * (1 - _ESTIMATED_LENGTH_TOLERANCE):
            declared = _mp3_frames(path, handle)
        if decoded < (declared if exact else declared * (1 - _ESTIMATED_LENGTH_TOLERANCE)):
            truncated = AudioError(path, f"truncated: header declares {declared} frames, only {decoded} decoded")
            if handle.format in _PCM_FORMATS and handle.subtype not in _MPEG_SUBTYPES:  # nothing to decode past
                raise truncated
            # libmpg123 may stop at damage without a word: the same as a decoder that says so
            yield from _past_the_damage(path, handle, decoded=decoded, where=f"at {decoded / handle.samplerate:.1f} s",
                                        reason="the decoder stopped early", limits=limits, without_ffmpeg=truncated,
                                        declared=declared)


def _mp3_without_frame_count(path: Path) -> bool:
    """Whether `path` is an MP3 whose first frame holds no frame count (no Xing/Info/VBRI header: the CBR files
    of older encoders, or a VBR file stripped of it). libsndfile then reads only as many frames as it estimates
    from the file's size and first bitrate, which can stop minutes early, so ffmpeg, which reads to the end,
    decodes it where it is installed."""
    if path.suffix.lower() != ".mp3":
        return False
    try:
        return with_mutagen(mutagen.mp3.MP3, path).info.bitrate_mode == mutagen.mp3.BitrateMode.UNKNOWN
    except MUTAGEN_ERRORS:
        return False  # not an MP3 mutagen can parse: libsndfile says what is wrong with it


def _mp3_understated(path: Path, *, stated_s: float) -> str | None:
    """Why `path`, an MP3 with a frame count (Xing/Info/VBRI), holds more frames than the count (`stated_s`), at
    which libsndfile stops; None where it does not, or mutagen cannot parse it. A count damaged low states a
    bitrate no MP3 has; MP3 files joined end to end (cat a.mp3 b.mp3) keep the first one's count, at a bitrate that looks right, but
    bytes past it, whose frames ffprobe then counts (demuxing the whole file: a fraction of decoding it)."""
    try:
        mp3 = with_mutagen(mutagen.mp3.MP3, path)
    except MUTAGEN_ERRORS:
        return None
    bitrate = mp3.info.bitrate
    if bitrate > _MP3_MOST_BITRATE:
        return (f"its header states {stated_s:.1f} s, far less than its frames hold (a damaged frame count: "
                f"{bitrate / 1000:,.0f} kbps, where an MP3 holds at most 320)")
    stream_bytes = path.stat().st_size - (getattr(mp3.tags, "size", 0) or 0)  # an ID3v2 tag's, cover included
    if stream_bytes <= bitrate / 8 * stated_s * 1.1 + _MP3_BYTES_SLACK:
        return None
    held_s = _mp3_seconds_held(path, mp3.info)
    if held_s is None or held_s <= stated_s * 1.1 + 1:
        return None
    return (f"its header states {stated_s:.1f} s, but its frames hold {held_s:.1f} s (a damaged frame count, or MP3 "
            f"files joined end to end, which keep the first one's)")


def _mp3_seconds_held(path: Path, info: mutagen.mp3.MPEGInfo) -> float | None:
    """The seconds of the MPEG audio frames ffprobe finds in `path` (None without ffprobe, or where it fails)."""
    if shutil.which("ffmpeg") is None:
        return None
    try:
        probe = subprocess.run([_ffprobe(), "-v", "quiet", "-count_packets", "-select_streams", "a:0",
                                "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", ffmpeg_input(path)],
                               capture_output=True, timeout=60, check=False)
        frames = int(probe.stdout.decode(errors="replace").strip().strip(","))
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    samples = 384 if info.layer == 1 else 1152 if info.layer == 2 or info.version == 1 else 576
    return frames * samples / info.sample_rate


def _mp3_frames(path: Path, handle: sf.SoundFile) -> int:
    """The frames an MP3 holds by its own account. Without a frame count in its first frame (Xing/Info/VBRI:
    CBR files from older encoders), libsndfile estimates it from the file's size, tags included, so a
    cover picture reads as minutes of missing audio; mutagen's length leaves the tags out. Other formats,
    and an MP3 mutagen cannot parse: libsndfile's count."""
    if handle.format != "MP3":
        return handle.frames
    try:
        seconds = with_mutagen(mutagen.mp3.MP3, path).info.length
    except MUTAGEN_ERRORS:
        return handle.frames
    return min(handle.frames, int(seconds * handle.samplerate))


def _past_the_damage(path: Path, handle: sf.SoundFile, *, decoded: int, where: str, reason: str,
                     limits: DecodeLimits, without_ffmpeg: AudioError | None = None,
                     declared: int | None = None) -> Iterator[np.ndarray]:
    """The rest of a file whose decoding failed or stopped after `decoded` frames (the damage is `where`, said
    in seconds): ffmpeg decodes from there, skipping the damaged frames as a player does, and the file is named
    on the log (stderr by default) with where the audio goes missing (_largest_gap; failing that, `where`) and
    how much. Without ffmpeg (then `without_ffmpeg`, if given), if it finds nothing past the damage, or if more
    than MAX_LOST_FRACTION of the frames the header declares is missing (a file cut short, not a glitch),
    AudioError says where the file broke."""
    at_s = decoded / handle.samplerate
    broke = AudioError(path, f"decoding failed {where}, where the file is damaged ({reason})")
    if shutil.which("ffmpeg") is None:
        raise without_ffmpeg or broke
    # ffmpeg's demuxer finds a time by searching the file's bytes for frames' timestamps, which in a damaged file can
    # land in the damage: its FLAC one then gives up ("read_timestamp() failed in the middle"), writing nothing, and
    # exits 0. Failing the seek, ffmpeg decodes from the start and drops what comes before the time by the frames'
    # own timestamps (-ss after -i), reading no timestamp the damage may hold: the frames already yielded
    for seek in (True, False):
        try:
            for block in _ffmpeg_stream(path, channels=handle.channels, limits=limits,
                                        start_s=decoded / handle.samplerate, seek=seek):
                decoded += len(block)
                yield block
            break
        except (AudioTooLong, WorkTimeout):
            raise
        except AudioError:
            if not seek:
                raise broke from None
    declared = handle.frames if declared is None else declared
    if handle.format == "OGG" and (stated_s := ogg_stated_seconds(path)) is not None and not ogg_cut_short(path):
        # libsndfile counts an Ogg stream from the first page it can read to the last: a damaged first or last page
        # is left out of its count as well as its decode, and its loss would not show
        declared = max(declared, round(stated_s * handle.samplerate))
    lost = max(declared - decoded, 0)
    if lost > MAX_LOST_FRACTION * declared:
        raise AudioError(path, f"truncated or damaged: header declares {declared} frames, only {decoded} "
                               f"decoded (decoding failed {where}: {reason})")
    rate = handle.samplerate
    gap = _largest_gap(path, rate=rate, limits=limits)
    if gap and gap[0] < at_s < gap[0] + gap[1]:
        # ffmpeg's FLAC parser drops good frames before the damage that libsndfile decoded: this decode has those
        gap = (at_s, gap[0] + gap[1] - at_s)
    # the decode's shortfall counts frames, the gap in its timestamps counts time: each sees what the other can
    # miss (an MP3's timestamps are counted, so show only the frames that failed; frames decoded on past an Ogg
    # hole that libsndfile did not log count a stretch twice), and neither counts missing audio twice
    lost = max(lost, round(gap[1] * rate) if gap else 0)
    limits.warn(path, f"damaged {f'at {gap[0]:.1f} s' if gap else where} ({reason}); decoded on past the damage "
                      f"with ffmpeg, {lost / rate:.1f} s of {declared / rate:.1f} s lost")


def _largest_gap(path: Path, *, rate: int, limits: DecodeLimits, stream: int | None = None
                 ) -> tuple[float, float] | None:
    """(where, seconds) of the largest stretch ffmpeg's decode of `path` leaves out, by its frames' timestamps:
    each frame should start where the last ended. None where none is missing. The timestamps are the container's
    where it has them (an Ogg page's granule position, an MP4 index, a FLAC frame's number), so the gap is the
    audio the damage cost; an MP3's are counted from the frames found, so only frames that failed to decode show.
    The file is decoded once more, to a line a frame: for a file already found damaged."""
    try:
        probe = subprocess.run([_ffprobe(), "-v", "quiet", "-select_streams", "a:0" if stream is None else str(stream),
                                "-show_entries",
                                "frame=pts_time,nb_samples", "-of", "compact=p=0", ffmpeg_input(path)],
                               capture_output=True, timeout=limits.remaining_s(), check=False)
    except subprocess.TimeoutExpired:
        raise WorkTimeout(path, f"took longer than the {limits.time_limit_s:g} s allowed: stopped") from None
    gap, end = None, None
    for line in probe.stdout.decode(errors="replace").splitlines():
        frame = dict(entry.partition("=")[::2] for entry in line.split("|"))
        try:
            start, samples = float(frame["pts_time"]), int(frame["nb_samples"])
        except (KeyError, ValueError):  # N/A: a frame without a timestamp says nothing about a gap
            continue
        if end is not None and start - end > max(gap[1] if gap else 0, _LEAST_GAP_S):
            gap = (end, start - end)
        end = start + samples / rate
    return gap


def _ffprobe() -> str:
    return shutil.which("ffprobe") or str(Path(shutil.which("ffmpeg")).with_name("ffprobe"))


# ffprobe's names for the containers and codecs libsndfile reads itself: a file it cannot open that holds one of
# these is damaged, and stays refused in libsndfile's words, never handed on to a second decoder
_SNDFILE_CONTAINERS = frozenset({"wav", "w64", "aiff", "flac", "mp3"})
_SNDFILE_OGG_CODECS = frozenset({"vorbis", "opus"})
_PROBED_BY_CONTENT = 51  # ffprobe's score past a guess from the file's name alone (AVPROBE_SCORE_EXTENSION, 50)


def held_for_ffmpeg(path: Path) -> str | None:
    """The format `path` holds, as ffprobe names it, where that is one only ffmpeg decodes though the name is one
    libsndfile reads: FLAC in Ogg (`.oga`), and files whose name is not their format (a WMA or MP4 named `.mp3`,
    WebM named `.ogg`), which players play whatever their names. None where ffmpeg is not installed, or it finds
    no audio stream, or only a format libsndfile reads. Asked only of a file libsndfile could not open."""
    if shutil.which("ffmpeg") is None:
        return None
    try:
        probe = subprocess.run([_ffprobe(), "-v", "quiet", "-show_entries",
                                "format=format_name,probe_score:stream=codec_type,codec_name", "-of", "json",
                                ffmpeg_input(path)], capture_output=True, timeout=60, check=False)
        found = json.loads(probe.stdout or b"{}")
    except (subprocess.TimeoutExpired, OSError, ValueError):
        return None
    container = str(found.get("format", {}).get("format_name", ""))
    codecs = [stream.get("codec_name") for stream in found.get("streams", []) if stream.get("codec_type") == "audio"]
    if not codecs or int(found.get("format", {}).get("probe_score", 0)) < _PROBED_BY_CONTENT:
        return None
    if container in _SNDFILE_CONTAINERS or (container == "ogg" and codecs[0] in _SNDFILE_OGG_CODECS):
        return None
    return f"{codecs[0]} in {container.split(',')[0]}"


def mpeg_quiet(path: Path, handle: sf.SoundFile | None = None):
    """libmpg123 writes its complaints about damaged frames to stderr itself, opening a file or reading it:
    silenced for MPEG audio (by its detected format once open, by its name before), as the file's problems
    that matter surface as AudioError."""
    mpeg = handle.format == "MP3" if handle is not None else path.suffix.lower() == ".mp3"
    return native_stderr_silenced() if mpeg else contextlib.nullcontext()


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


def _check_chunk_sizes(path: Path, handle: sf.SoundFile) -> tuple[int, int] | None:
    """Raise AudioError for a header whose sizes the file contradicts; return _after_data's measure, which the
    decode says where it is short of a refusal (_unread_after_data)."""
    for declared, present in _SHORT_CHUNK.findall(handle.extra_info):
        declared, present = int(declared), int(present)
        if present < declared and not _data_size_unstated(declared, path):
            raise AudioError(path, f"truncated: data chunk declares {declared} bytes, only {present} present")
    if handle.format == "RF64" and (found := _RF64_FRAMES_SHORT.search(handle.extra_info)) \
            and int(found[1]) < int(found[2]):
        raise AudioError(path, f"truncated: its ds64 chunk declares {int(found[2])} frames, only {found[1]} present")
    if handle.format == "W64" and (found := _WAV_DATA_SIZE.search(handle.extra_info)) \
            and (width := _SAMPLE_BYTES.get(handle.subtype)) is not None:
        declared, present = int(found[1]) - _W64_DATA_HEADER, handle.frames * handle.channels * width
        if present < declared - handle.channels * width:  # a last frame's bytes short: padding, not audio
            raise AudioError(path, f"truncated: data chunk declares {declared} bytes, only {present} present")
    if handle.format in _PCM_FORMATS and (found := _JUNK_AFTER_DATA.search(handle.extra_info)):
        stated, size = int(found[1]), path.stat().st_size
        if not _data_size_unstated(stated, path) and size > 2 * stated + _JUNK_AFTER_DATA_SLACK:
            raise _data_size_damaged(path, handle, stated=stated, following=size - stated)
    # libsndfile's log names bytes that are not chunks only where they do not start with zeros (a quiet start)
    if (after := _after_data(path, handle)) is not None and after[1] > after[0] + _JUNK_AFTER_DATA_SLACK:
        raise _data_size_damaged(path, handle, stated=after[0], following=after[1])
    return after


def _data_size_damaged(path: Path, handle: sf.SoundFile, *, stated: int, following: int) -> AudioError:
    return AudioError(path, f"damaged header: its data chunk states {stated:,} bytes "
                            f"({handle.frames / handle.samplerate:.1f} s), but {following / 1e6:.1f} MB that are not "
                            f"chunks follow it: where its audio ends cannot be told (use a good copy)")


def _after_data(path: Path, handle: sf.SoundFile) -> tuple[int, int] | None:
    """(the bytes of samples its data chunk states, the bytes after that chunk that are not chunks) of a WAV or
    AIFF, from its chunks' headers; a raw ID3v2 tag after the data (a tagger's) counts as a chunk. None for another
    format, a data size that is a placeholder (_data_size_unstated), or no data chunk among its first _CHUNKS_READ."""
    if handle.format not in ("WAV", "WAVEX", "AIFF"):
        return None
    order, data_id, data_header = ("big", b"SSND", 8) if handle.format == "AIFF" else ("little", b"data", 0)
    size = path.stat().st_size
    with open(path, "rb") as file:
        def chunk_at(at: int) -> tuple[bytes, int, int]:
            """(its name, its stated length, where the next begins) of the chunk at `at`."""
            file.seek(at)
            head = file.read(10)
            if head[:3] == b"ID3" and len(head) == 10:  # its size counts neither its header nor its footer
                length = synchsafe(head[6:10]) + (10 if head[5] & 0x10 else 0)
                return b"ID3", length, at + 10 + length
            length = int.from_bytes(head[4:8], order) if len(head) >= 8 else size
            return head[:4], length, at + 8 + length + (length & 1)  # a chunk of odd length is padded

        at = 12
        for _ in range(_CHUNKS_READ):
            name, length, at = chunk_at(at)
            if name == data_id:
                stated = length - data_header
                break
        else:
            return None
        if _data_size_unstated(stated, path):
            return None
        while at + 8 <= size:  # whole chunks after the data: a LIST of tags, a cover, a tagger's id3
            name, length, end = chunk_at(at)
            if not all(0x20 <= c <= 0x7E for c in name) or end > size + 1:
                break
            at = end
    return stated, max(0, size - at)


def _unread_after_data(handle: sf.SoundFile, after: tuple[int, int] | None) -> str | None:
    """What to say of a WAV or AIFF (`after`: its _after_data) whose data is followed by more bytes that are not
    chunks than a tag or padding takes (_JUNK_AFTER_DATA_SLACK), but not more than the data (then it is refused:
    _check_chunk_sizes): its data size damaged low, or a recording stopped before its header was brought up to
    date. They are not read (where audio would end in them cannot be told), but said, with what they would hold as
    audio; None for any other file."""
    if after is None or (unread := after[1]) <= _JUNK_AFTER_DATA_SLACK:
        return None
    width = _SAMPLE_BYTES.get(handle.subtype)
    as_audio = f", {unread / (width * handle.channels * handle.samplerate):.1f} s more if they are audio" if width else ""
    return (f"{unread:,} bytes that are not chunks follow its data ({handle.frames / handle.samplerate:.1f} s, as its "
            f"header states{as_audio}): not read (its data size damaged, or a recording stopped before its header "
            f"was brought up to date: a good copy may hold all of it)")


def _wav_data_size_unstated(path: Path, handle: sf.SoundFile) -> bool:
    """Whether `handle` (`path`) is a WAV whose data chunk's size is a placeholder (_data_size_unstated)."""
    size = _WAV_DATA_SIZE.search(handle.extra_info) if handle.format in ("WAV", "WAVEX") else None
    return size is not None and _data_size_unstated(int(size[1]), path)


@dataclass(frozen=True)
class SndfileHeader:
    """What the header of a file libsndfile reads says beside its audio.
    length_unstated: its header states no length where its format has one (a FLAC written to a pipe: its
    STREAMINFO's sample count 0; a WAV whose data size is a placeholder, _data_size_unstated); a tag
    reader takes these at their word: no audio, or hours of it.
    metadata: libsndfile's strings (a WAV's RIFF INFO list: title, artist, album, genre, ...)."""

    length_unstated: bool = False
    metadata: dict[str, str] = field(default_factory=dict)


def sndfile_header(path: Path) -> SndfileHeader:
    """`path`'s SndfileHeader, from one open (a library scan reads every WAV's); SndfileHeader() for formats
    libsndfile does not read and for files it cannot parse."""
    if path.suffix.lower() not in SNDFILE_EXTENSIONS:
        return SndfileHeader()
    try:
        with _opened(path) as handle:
            return SndfileHeader(_unstated_length(path, handle) is not None or _wav_data_size_unstated(path, handle),
                                 handle.copy_metadata())
    except AudioError:
        return SndfileHeader()


def _unstated_length(path: Path, handle: sf.SoundFile) -> str | None:
    """Why libsndfile cannot decode `handle` (`path`) to its end, its header stating no length or far too short a
    one; None where it can (a placeholder it reads past: a WAV's 0xFFFFFFFF or 0x7FFFF000) or the length is stated."""
    if handle.format == "FLAC" and handle.frames >= _UNKNOWN_FRAMES:
        return "its header states no length (a FLAC written to a pipe), and libsndfile fails at its end"
    if handle.format == "FLAC" and (frame_bytes := handle.channels * _SAMPLE_BYTES.get(handle.subtype, 4)) and \
            (audio_bytes := _flac_audio_bytes(path)) > handle.frames * frame_bytes * 1.1 + _FLAC_FRAMES_SLACK:
        # FLAC's frames hold at most the samples raw, and a little: libsndfile stops at the count, ffmpeg reads on
        return (f"its header states {handle.frames / handle.samplerate:.1f} s, far less than its "
                f"{audio_bytes / 1e6:.1f} MB of audio frames hold (a damaged header)")
    if handle.format == "MP3" and (understated := _mp3_understated(
            path, stated_s=handle.frames / handle.samplerate)) is not None:
        return understated
    if handle.frames == 0 and _wav_data_size_unstated(path, handle):
        return ("its header's data size is 0 (left so by a recording stopped before it finished its header, or "
                "no audio at all)")
    return None


def _flac_audio_bytes(path: Path) -> int:
    """The bytes of a FLAC file's audio frames: those after its metadata blocks (and an ID3v2 tag before them,
    which some taggers write); 0 where the blocks cannot be walked."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(0)
            start = handle.read(10)
            if start[:3] == b"ID3" and len(start) == 10:  # its size after a 10-byte header
                handle.seek(10 + synchsafe(start[6:10]))
            else:
                handle.seek(0)
            if handle.read(4) != b"fLaC":
                return 0
            while len(header := handle.read(4)) == 4:
                handle.seek(int.from_bytes(header[1:], "big"), os.SEEK_CUR)
                if header[0] & 0x80:  # the last metadata block
                    return max(size - handle.tell(), 0)
    except OSError:
        pass
    return 0


def read_mono(path: Path, *, sample_rate: int, timeout_s: float | None = None) -> np.ndarray:
    """The whole file as mono float32 at `sample_rate` (the front end's resampler), shape (n,).

    Every caller, the pipeline and predict alike, decodes through stream_mono: the same
    samples whether joined here or taken block by block.
    """
    return np.concatenate([np.zeros(0, np.float32), *stream_mono(path, sample_rate=sample_rate,
                                                                  limits=DecodeLimits(time_limit_s=timeout_s))])


def stream_mono(path: Path, *, sample_rate: int, limits: DecodeLimits = NO_LIMITS) -> Iterator[np.ndarray]:
    """The file as mono float32 blocks at `sample_rate`, decoded, mixed and resampled a block at a time.

    Channels are averaged block by block, so memory holds a block, not the track. Formats
    libsndfile cannot read stream from an ffmpeg process, killed when the time limit passes.
    Raises AudioError (AudioTooLong, WorkTimeout past `limits`), possibly after some blocks.
    """
    path = Path(path)
    no_frame_count = _mp3_without_frame_count(path)  # read once: which decoder, and whether a cut can be told
    opened, mpeg_audio = None, no_frame_count
    if path.suffix.lower() not in FFMPEG_EXTENSIONS and not (no_frame_count and shutil.which("ffmpeg")):
        with _opened_or_for_ffmpeg(path) as info:
            if info is not None:
                opened = info.samplerate, info.frames, _unstated_length(path, info)
                mpeg_audio = info.format == "MP3"
    if opened is None:
        rate, blocks = _ffmpeg_blocks(path, limits)
    else:
        rate, frames, unstated = opened
        if unstated is not None:  # libsndfile would stop short of the end: ffmpeg reads to it
            if shutil.which("ffmpeg") is None:
                raise AudioError(path, f"{unstated}; ffmpeg decodes it to its end, and is not installed "
                                       f"(Debian: apt install ffmpeg)")
            if 0 < frames < _UNKNOWN_FRAMES:  # a length stated, wrong: said, as the file's own is not to be trusted
                limits.warn(path, f"{unstated}; decoded to its end with ffmpeg")
            rate, blocks = _ffmpeg_blocks(path, limits)
        else:
            if 0 < frames < _UNKNOWN_FRAMES:  # a header that already says too long is refused before decoding
                limits.check_length(path, frames / rate)
            blocks = iter_mono_blocks(path, limits=limits)
    if mpeg_audio:
        _junk_skipped(path, limits)
    with contextlib.closing(blocks):  # stopped early (a limit, an error): an ffmpeg decoder is killed at once
        framed = no_frame_count or path.suffix.lower() in _FRAMES_WITHOUT_LENGTH
        yield from _checked_and_resampled(path, blocks, rate=rate, sample_rate=sample_rate, limits=limits,
                                          framed_without_length=framed)


def _checked_and_resampled(path: Path, blocks: Iterator[np.ndarray], *, rate: int, sample_rate: int,
                           limits: DecodeLimits, framed_without_length: bool) -> Iterator[np.ndarray]:
    resampler, decoded, said_over = StreamResampler(orig_sr=rate, target_sr=sample_rate), 0, False
    over: set[int] = set()  # the half seconds with samples far over full scale, until there are enough to say so
    first, peak = 0, 0.0
    stretch = max(round(rate * _OVER_SCALE_STRETCH_S), 1)
    for block in blocks:
        if not said_over and len(block) and (block_peak := float(np.abs(block).max())) > FAR_OVER_FULL_SCALE:
            loud = np.flatnonzero(np.abs(block) > FAR_OVER_FULL_SCALE)
            first, peak = first if over else decoded + int(loud[0]), max(peak, block_peak)
            over.update(np.unique((decoded + loud) // stretch).tolist())
            if len(over) >= _OVER_SCALE_STRETCHES:
                said_over = True
                limits.warn(path, f"samples far over full scale from {first / rate:.1f} s ({peak:.1f} times it, "
                                  f"{20 * np.log10(peak):+.0f} dB); every path clips them at full scale, as a 16-bit "
                                  f"copy would, which distorts: scale the file down")
        decoded += len(block)
        limits.check_length(path, decoded / rate)
        limits.check_time(path)
        if len(out := resampler.push(block)):
            yield out
    if len(out := resampler.finish()):
        yield out
    if (framed_without_length or _is_ogg(path)) and (zeros := zero_tail_bytes(path)) >= ZERO_TAIL_BYTES \
            and not ogg_ended_before(path, zeros):
        limits.warn(path, f"its last {zeros / 1024:,.0f} KB are zero bytes, where the stream stops: a copy or "
                          f"download that stopped part way (one that made the file its full size first), so the file "
                          f"is cut short: only its first {decoded / rate:.1f} s are there")
    elif ogg_cut_short(path):
        limits.warn(path, f"the Ogg stream stops without its end-of-stream mark, so the file is cut short (a copy "
                          f"or download that stopped): only its first {decoded / rate:.1f} s are there")
    elif framed_without_length and ends_inside_a_frame(path):  # an MP3 with a frame count is held to it
        limits.warn(path, f"the {path.suffix[1:].upper()} ends part way through a frame, so the file is cut short (a "
                          f"copy or download that stopped): its first {decoded / rate:.1f} s are there; its header "
                          f"states no length, so how much is missing is not known")
    elif path.suffix.lower() not in FFMPEG_EXTENSIONS and ogg_chained(path):  # ffmpeg (Opus) reads every stream
        limits.warn(path, f"a chained Ogg file (streams one after another: joined files, a radio recording); the "
                          f"decoder reads the first only: {decoded / rate:.1f} s")


# Formats of frames one after another whose files state no length, as an MP3 without a frame count: MPEG Layer II,
# raw AAC (ADTS). A cut shows as their last frame's end past the file's (mpeg_frames.py)
_FRAMES_WITHOUT_LENGTH = frozenset({".mp2", ".aac"})
# Zero bytes at the end of a compressed stream this long are no audio (an encoder writes silence as frames, and
# tags are not zeros): a file a download or copy made its full size first (torrent clients, some copy tools) and
# filled part way. An MP3 with a frame count and every other format with a stated length are held to it instead.
ZERO_TAIL_BYTES = 4096


def zero_tail_bytes(path: Path) -> int:
    """How many bytes at the end of `path` are zeros."""
    with open(path, "rb") as file:
        end = file.seek(0, os.SEEK_END)
        at = end
        while at > 0:
            start = max(at - 65536, 0)
            file.seek(start)
            block = file.read(at - start)
            if (stripped := len(block.rstrip(b"\0"))) > 0:
                return end - start - stripped
            at = start
        return end


def _is_ogg(path: Path) -> bool:
    """Whether `path` starts as an Ogg stream (Vorbis, Opus, FLAC in Ogg), whatever its name."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"OggS"
    except OSError:
        return False


def ogg_cut_short(path: Path) -> bool:
    """Whether `path` is an Ogg stream (Vorbis, Opus, FLAC in Ogg) whose last page lacks the end-of-stream flag
    that encoders set on the last page, or is not whole (its header's segment sizes reach past the file's end).
    No header states an Ogg file's length, and its pages decode up to a cut, so this is what shows one."""
    if (pages := _ogg_first_and_last_page(path)) is None:
        return False
    _, tail, last = pages
    if last < 0:  # no page in the last page's worth of bytes: something else follows the stream
        return False
    if (page := _ogg_page(tail, last)) is None:
        return True  # cut inside the last page's header
    flags, end = page
    return not flags & _OGG_END_OF_STREAM or end > len(tail)


def _ogg_page(data: bytes, at: int) -> tuple[int, int] | None:
    """(its header's flags, where it ends) of the Ogg page whose header starts at `at` in `data`, by its segment
    table; None where `data` ends inside the header or the table."""
    header = data[at:at + 27]
    lacing = data[at + 27:at + 27 + header[26]] if len(header) == 27 else b""
    if len(header) < 27 or len(lacing) < header[26]:
        return None
    return header[5], at + 27 + len(lacing) + sum(lacing)


def ogg_ended_before(path: Path, zeros: int) -> bool:
    """Whether `path` is an Ogg stream whose last page before its last `zeros` bytes is whole and marked as the
    stream's end: the zeros then follow a stream that ended (a tool's padding), not one a stopped download cut."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            start = max(size - zeros - _OGG_MAX_PAGE_BYTES, 0)
            handle.seek(start)
            # the last page's worth before the zeros, and as far into them as that page could reach
            tail = handle.read(min(size, size - zeros + _OGG_MAX_PAGE_BYTES) - start)
    except OSError:
        return False
    last = tail.rfind(b"OggS\x00", 0, size - zeros - start)
    if last < 0 or (page := _ogg_page(tail, last)) is None or not page[0] & _OGG_END_OF_STREAM:
        return False
    # the page may end in zero bytes of its own: it ends among the zeros, not before them
    return size - zeros - start <= page[1] <= size - start


def ogg_chained(path: Path) -> bool:
    """Whether `path` is a chained Ogg file (streams one after another: joined files, a radio recording): its
    last page belongs to another stream (serial number) than its first. Decoders stop after the first."""
    if (pages := _ogg_first_and_last_page(path)) is None:
        return False
    first, tail, last = pages
    serial = tail[last + 14:last + 18] if last >= 0 else b""
    return len(first) >= 18 and len(serial) == 4 and serial != first[14:18]


def _check_ogg_end(path: Path, *, decoded_s: float, limits: DecodeLimits) -> None:
    """For an Ogg stream whose last pages libsndfile could not read (_OGG_JUNK_AT_END: it ends the stream at the
    last page it could, and counts its length to there, so nothing seems lost): the length the file's own last page
    states (ogg_stated_seconds), and the rule for MP3 and FLAC: more than MAX_LOST_FRACTION of it missing is
    AudioError, less is named on the log with the seconds lost. A file cut short is named so in its own words
    (_checked_and_resampled); bytes after a whole stream (a tag appended to it) lose nothing."""
    stated_s = ogg_stated_seconds(path)
    if ogg_cut_short(path) or stated_s is None or stated_s <= decoded_s * (1 + _ESTIMATED_LENGTH_TOLERANCE):
        return
    lost_s = stated_s - decoded_s
    if lost_s > MAX_LOST_FRACTION * stated_s:
        raise AudioError(path, f"truncated or damaged: its last page states {stated_s:.1f} s, only {decoded_s:.1f} s "
                               f"decoded (the pages after it are damaged)")
    limits.warn(path, f"damaged at {decoded_s:.1f} s: the pages after it are damaged, {lost_s:.1f} s of "
                      f"{stated_s:.1f} s lost")


def ogg_stated_seconds(path: Path) -> float | None:
    """The length the last page of `path`'s Ogg Vorbis or Opus stream states (its granule position: Vorbis' frames
    at the stream's rate; Opus' at 48 kHz, less its pre-skip), read from the page's header whether or not the page
    is whole or passes its checksum; None for another codec, a chained file or no Ogg stream."""
    if (pages := _ogg_first_and_last_page(path)) is None or ogg_chained(path):
        return None
    _, tail, last = pages
    try:
        with open(path, "rb") as handle:
            first = handle.read(27 + 255 + 19)  # the first page's header, segment table and the codec's id header
    except OSError:
        return None
    packet = first[27 + first[26]:] if len(first) > 27 else b""
    granule = tail[last + 6:last + 14] if last >= 0 else b""
    if len(granule) < 8 or granule == b"\xff" * 8:  # -1: no packet ends on the page
        return None
    frames = int.from_bytes(granule, "little")
    if packet[:7] == b"\x01vorbis" and len(packet) >= 16 and (rate := int.from_bytes(packet[12:16], "little")):
        return frames / rate
    if packet[:8] == b"OpusHead" and len(packet) >= 12:
        return max(frames - int.from_bytes(packet[10:12], "little"), 0) / 48_000
    return None


def _ogg_first_and_last_page(path: Path) -> tuple[bytes, bytes, int] | None:
    """(the file's first 27 bytes, its last page's worth of bytes, where the last page header starts in them or
    -1) for a file that starts as an Ogg stream; None for any other."""
    try:
        with open(path, "rb") as handle:
            first = handle.read(27)
            if first[:4] != b"OggS":
                return None
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(size - _OGG_MAX_PAGE_BYTES, 0))
            tail = handle.read()
    except OSError:
        return None
    last = tail.rfind(b"OggS")
    while last >= 0 and tail[last + 4:last + 5] != b"\x00":  # the pattern inside a page's data, not a header
        last = tail.rfind(b"OggS", 0, last)
    return first, tail, last


def _ffmpeg_blocks(path: Path, limits: DecodeLimits) -> tuple[int, Iterator[np.ndarray]]:
    """(the stream's rate, its mono blocks) from ffmpeg's float output on a pipe, at the stream's own rate and
    channels (the mono mix and resampler are the project's)."""
    if (problem := missing_decoder(path)) is not None:
        raise AudioError(path, problem)
    if path.stat().st_size == 0:
        raise AudioError(path, "is empty (0 bytes)")
    try:
        entries = "stream=index,codec_type,sample_rate,channels,duration:stream_disposition=default:format=duration"
        probe = subprocess.run([_ffprobe(), "-v", "error", "-show_entries", entries, "-of", "json", ffmpeg_input(path)],
                               capture_output=True, timeout=limits.remaining_s() or 60, check=False)
    except subprocess.TimeoutExpired:
        raise WorkTimeout(path, "took too long to read its header: stopped") from None
    try:
        found = json.loads(probe.stdout or b"{}")
    except ValueError:
        found = {}
    audio = [stream for stream in found.get("streams", []) if stream.get("codec_type") == "audio"]
    # the stream marked as the default, as players choose (a second language, a commentary beside it); else the first
    defaults = [stream for stream in audio if stream.get("disposition", {}).get("default")]
    chosen = (defaults or audio or [{}])[0]
    try:
        rate, channels, index = int(chosen["sample_rate"]), int(chosen["channels"]), int(chosen["index"])
    except (KeyError, TypeError, ValueError):
        message = probe.stderr.decode(errors="replace").strip().splitlines()
        if path.suffix.lower() in _MP4_EXTENSIONS and any("moov atom not found" in line for line in message):
            raise AudioError(path, f"truncated or not a valid {path.suffix} file: its index (moov atom) is missing, "
                                   f"as in a file cut short that was to end with it") from None
        if message and _strip_path(message[-1], path).endswith("End of file"):  # ffmpeg's word for a file cut short
            raise AudioError(path, "truncated: it ends before its header could be read (ffmpeg: End of file)") from None
        raise AudioError(path, f"cannot be decoded: {_strip_path(message[-1], path) if message else 'no audio stream'}"
                         ) from None
    check_stream_format(path, sample_rate=rate, channels=channels)
    if len(audio) > 1:
        limits.warn(path, f"holds {len(audio)} audio streams: only stream {index} "
                          f"({'its default' if defaults else 'the first'}) is read")
    # Matroska states its duration for the segment, not the stream: the container's is the fallback there
    stated_s = _stated_seconds(path, stream_s=str(chosen.get("duration", "N/A")),
                               container_s=str(found.get("format", {}).get("duration", "N/A")))
    decode_errors: list[str] = []
    blocks = _ffmpeg_stream(path, channels=channels, limits=limits, decode_errors=decode_errors, stream=index)
    if stated_s is None or stated_s <= 0:
        return rate, _named_if_damaged(path, blocks, rate=rate, decode_errors=decode_errors, limits=limits,
                                       stream=index)
    return rate, _held_to_stated_length(path, blocks, rate=rate, stated_s=stated_s, decode_errors=decode_errors,
                                        limits=limits, stream=index)


def _stated_seconds(path: Path, *, stream_s: str, container_s: str) -> float | None:
    """The length `path`'s container states, in seconds, from ffprobe's stream and container durations (its text:
    "N/A" where none is stated) or, for ASF, its header; None where it states none, or only an estimate."""
    suffix = path.suffix.lower()
    if suffix in _ASF_EXTENSIONS:
        try:
            return getattr(getattr(with_mutagen(mutagen.File, path), "info", None), "length", None) or None
        except MUTAGEN_ERRORS:
            return None  # a header mutagen cannot parse: ffmpeg's decode says what is wrong with it
    if _is_ogg(path) and not ogg_cut_short(path):
        # ffprobe's is the last page it can read: where the last pages are damaged, the last page's own is more
        with contextlib.suppress(ValueError):
            return max(float(stream_s), ogg_stated_seconds(path) or 0.0)
    stated = [stream_s] if suffix in _STREAM_LENGTH_EXTENSIONS or _is_ogg(path) else \
        [stream_s, container_s] if suffix in _MATROSKA_EXTENSIONS else []
    for text in stated:
        with contextlib.suppress(ValueError):  # "N/A"
            return float(text)
    return None


def _held_to_stated_length(path: Path, blocks: Iterator[np.ndarray], *, rate: int, stated_s: float,
                           decode_errors: list[str], limits: DecodeLimits, stream: int) -> Iterator[np.ndarray]:
    """`blocks`, ffmpeg's decode of a file whose container states its length (`stated_s`), then the rule for
    MP3 and FLAC: more than MAX_LOST_FRACTION of it missing is AudioError (a file cut short, or badly damaged);
    less, where ffmpeg met damage (`decode_errors`, filled as it ends) or a stretch is missing, is named on the
    log with where (_largest_gap) and the seconds lost."""
    decoded = 0
    with contextlib.closing(blocks):
        for block in blocks:
            decoded += len(block)
            yield block
    declared = round(stated_s * rate)
    lost = max(declared - decoded, 0)
    said = f" (ffmpeg: {decode_errors[0]})" if decode_errors else ""
    if lost > MAX_LOST_FRACTION * declared:
        raise AudioError(path, f"truncated or damaged: its header states {stated_s:.1f} s, only {decoded / rate:.1f} "
                               f"s decoded{said}")
    if decoded > (1 + MAX_LOST_FRACTION) * declared + rate:
        # its length is not what the header says (an MP4 index whose sample durations are damaged): what is lost
        # cannot be counted against it
        limits.warn(path, f"its header states {stated_s:.1f} s, but {decoded / rate:.1f} s decoded: the header is "
                          f"damaged, and how much audio was lost is not known")
        return
    if decode_errors or lost > _ESTIMATED_LENGTH_TOLERANCE * declared:
        gap = _largest_gap(path, rate=rate, limits=limits, stream=stream)
        limits.warn(path, f"damaged{f' at {gap[0]:.1f} s' if gap else ''} ({len(decode_errors)} decoding error(s)"
                          f"{f', the first: {decode_errors[0]}' if decode_errors else ''}); decoded on past the damage "
                          f"with ffmpeg, {lost / rate:.1f} s of {stated_s:.1f} s lost")


def _named_if_damaged(path: Path, blocks: Iterator[np.ndarray], *, rate: int, decode_errors: list[str],
                      limits: DecodeLimits, stream: int) -> Iterator[np.ndarray]:
    """`blocks`, ffmpeg's decode of a file not held to a stated length (an MP3 without a frame count, whose length
    is estimated from its size; a WebM written live, with none), then, where ffmpeg met damage (`decode_errors`,
    filled as it ends) and its decode leaves a gap (_largest_gap), the file named on the log with where. How much
    was lost cannot be told without a length to hold the decode to: the log says so rather than guess."""
    decoded = 0
    with contextlib.closing(blocks):
        for block in blocks:
            decoded += len(block)
            yield block
    # a complaint with no gap in the audio is about something else ffmpeg read (a cover picture it could not decode)
    if decode_errors and (gap := _largest_gap(path, rate=rate, limits=limits, stream=stream)):
        limits.warn(path, f"damaged at {gap[0]:.1f} s ({len(decode_errors)} decoding error(s), the first: "
                          f"{decode_errors[0]}); decoded on past the damage with ffmpeg to {decoded / rate:.1f} s; "
                          f"how much was lost is not known")


def _ffmpeg_stream(path: Path, *, channels: int, limits: DecodeLimits, start_s: float = 0.0, seek: bool = True,
                   stream: int | None = None, decode_errors: list[str] | None = None) -> Iterator[np.ndarray]:
    """The file's audio stream numbered `stream` (None: its first) from `start_s` seconds, as mono float32 blocks at its own rate: sought there
    (`seek`), or decoded from the start with what comes before dropped. ffmpeg goes on past damage, saying so on its
    stderr: those lines go in `decode_errors`, where given, once it ends."""
    start = ["-ss", f"{start_s:.6f}"] if start_s else []
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen([shutil.which("ffmpeg"), "-nostdin", "-v", "error", *(start if seek else []), "-i",
                                    ffmpeg_input(path), *([] if seek else start), "-vn",
                                    "-map", "0:a:0" if stream is None else f"0:{stream}", "-f", "f32le", "-c:a",
                                    "pcm_f32le", "pipe:1"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors)
        remaining = limits.remaining_s()
        watchdog = threading.Timer(max(remaining, 0), process.kill) if remaining is not None else None
        if watchdog:
            watchdog.start()
        try:
            frame_bytes, decoded = 4 * channels, 0
            while chunk := process.stdout.read(BLOCK_FRAMES * frame_bytes):
                usable = len(chunk) // frame_bytes * frame_bytes
                block = np.frombuffer(chunk[:usable], dtype=np.float32).reshape(-1, channels)
                mono = mix_to_mono(block)
                if not np.isfinite(mono).all():
                    raise AudioError(path, "contains NaN or infinite samples")
                decoded += len(mono)
                limits.check_time(path)
                yield np.ascontiguousarray(mono, dtype=np.float32)
            process.wait()
            limits.check_time(path)
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip().splitlines()
            if process.returncode != 0:
                raise AudioError(path, f"cannot be decoded: {_strip_path(message[-1], path) if message else 'ffmpeg failed'}")
            if decode_errors is not None:
                decode_errors += [_FFMPEG_COMPONENT.sub("", _strip_path(line, path)) for line in message
                                  if not line.lstrip().startswith("Last message repeated")
                                  and not _FFMPEG_OUTPUT.match(line) and not _FFMPEG_PICTURE.match(line)]
            if decoded == 0:
                raise AudioError(path, "contains no audio samples (zero length)")
        finally:
            if watchdog:
                watchdog.cancel()
            if process.poll() is None:
                process.kill()
            process.stdout.close()
            process.wait()


def ffmpeg_input(path: Path) -> str:
    """`path` as ffmpeg and ffprobe are given it: absolute, with the file protocol named, so that a name starting
    with "-" is not taken for an option, nor one with a colon ("Act 1: Overture.mp3") for another protocol."""
    return "file:" + os.path.abspath(path)


def _strip_path(message: str, path: Path) -> str:
    """An ffmpeg message without the file's path (the caller's error names the file its own way)."""
    for name in (ffmpeg_input(path), str(path)):
        message = message.replace(f"{name}: ", "").replace(name, "the file")
    return message.strip()


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
        # through a Python file, as _opened reads: libsndfile's own open refuses a path of 1024 bytes or more
        with open(tmp, "wb") as file, sf.SoundFile(file, "w", samplerate=sample_rate, channels=1, format="FLAC",
                                                   subtype="PCM_16") as out:
            yield out
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _cannot_open(path: Path, err: Exception) -> AudioError:
    """libsndfile could not open `path`: corrupt, or not the format its name says. Its reason follows without
    the file it repeats; a WAV header stating a rate of 0 Hz (libsndfile: "SF_INFO struct incomplete") is said as
    check_stream_format says any impossible rate."""
    reason = re.sub(r"^Error opening <.*>: ", "", _short(err))  # <_io.BufferedReader name=...>: the file _opened gives
    # what libsndfile says of a file whose start it cannot place (a cut MP3, garbage after its tag): the file is
    # there and regular, as _opened made sure
    reason = reason.replace("File does not exist or is not a regular file (possibly a pipe?).",
                            "no audio header or frame where it should start")
    if "SF_INFO struct incomplete" in reason and (stated := _wav_fmt(path)) is not None:
        try:
            check_stream_format(path, sample_rate=stated[0], channels=stated[1])
        except AudioError as impossible:
            return impossible
    return AudioError(path, f"cannot be decoded: corrupt or not a {path.suffix or 'known'} audio file"
                            + (f" ({reason})" if reason else ""))


def _wav_fmt(path: Path) -> tuple[int, int] | None:
    """(sample rate, channels) as a WAV's fmt chunk states them, for a file that starts as a WAV; else None."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64 * 1024)
    except OSError:
        return None
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE" or (at := head.find(b"fmt ", 12)) < 0 or len(head) < at + 16:
        return None
    return int.from_bytes(head[at + 12:at + 16], "little"), int.from_bytes(head[at + 10:at + 12], "little")


def _short(err: Exception) -> str:
    return str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
