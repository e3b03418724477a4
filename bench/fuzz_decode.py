"""Fuzz the decoding and tag-reading paths with damaged files: does bad input get a clear error, never a crash?

    python -m bench.fuzz_decode --cases 300 --seed 1 --out fuzz.json

Small valid seed files of every format the product reads are made with ffmpeg and mutagen (a few seconds of
a synthetic tune; tagged variants with a cover picture), then mutated (cut short, bytes flipped, blocks zeroed
or made random, chunks duplicated or removed, header fields set to extreme values). Each mutant goes through
each entry point in a child process of its own (forked from this one once its imports are done), under a wall
timeout and an address-space limit: concat's decode (read_mono), predict's predict_file, read_tags, scan's
per-file checks, and the server's /api/classify (in process, through FastAPI's TestClient). Each outcome is
ok, error (AudioError naming the file: the documented answer), unexpected (a traceback: a bug), timeout,
signal (a native crash) or memory (the limit hit). Suspicious ok results are flagged: a file decoded without
a word though a tenth of its audio or more is missing or changed, a genre named for a file that decodes to
silence, a file whose bytes changed by being read. The cases follow from --seed alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import soundfile as sf

SEED_SECONDS = 16.0  # past predict's 15 s clip, so that a mutant that decodes whole is classified
SEED_RATE = 44_100
WALL_TIMEOUT_S = 60.0
MEMORY_LIMIT_BYTES = 2 << 30
ENTRY_POINTS = ("decode", "predict", "tags", "scan", "server")
# A decode this far from the seed's (in length, or in the share of 50 ms frames whose level differs by more than
# 6 dB) without a warning or an error is a damaged file passed off as whole
SILENT_DAMAGE_FRACTION = 0.1
SILENT_PEAK = 1e-4
# Seeds whose header states no length (an MP3 without a frame count, a WebM as recorders write it): a decode that
# stops short of the seed's is not checked, as the README says, so it is listed apart from the findings
NO_STATED_LENGTH = frozenset({"mp3_cbr_noxing", "mp3_vbr_noxing", "mp3_ape", "webm"})

# name: (suffix, ffmpeg output options); every encode bit-exact, so a seed is the same bytes on every run
FORMATS = {
    "wav16": (".wav", ["-c:a", "pcm_s16le"]),
    "wav24": (".wav", ["-c:a", "pcm_s24le"]),
    "wavfloat": (".wav", ["-c:a", "pcm_f32le"]),
    "aiff": (".aiff", ["-c:a", "pcm_s16be"]),
    "flac": (".flac", ["-c:a", "flac"]),
    "mp3_cbr": (".mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
    "mp3_cbr_noxing": (".mp3", ["-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0"]),
    "mp3_vbr": (".mp3", ["-c:a", "libmp3lame", "-q:a", "4"]),
    "mp3_vbr_noxing": (".mp3", ["-c:a", "libmp3lame", "-q:a", "4", "-write_xing", "0"]),
    "ogg_vorbis": (".ogg", ["-c:a", "libvorbis", "-q:a", "3"]),
    "opus": (".opus", ["-c:a", "libopus", "-b:a", "64k"]),
    "m4a_aac": (".m4a", ["-c:a", "aac", "-b:a", "128k"]),
    "alac": (".m4a", ["-c:a", "alac"]),
    "wma": (".wma", ["-c:a", "wmav2", "-b:a", "128k"]),
    "webm": (".webm", ["-c:a", "libopus", "-b:a", "64k"]),
    "wv": (".wv", ["-c:a", "wavpack"]),
    "ape": (".ape", ["-c:a", "ape"]),  # ffmpeg has no APE encoder: left out where it fails
}
TAGS = {"genre": "Jazz", "album": "Fuzz Album", "artist": "Fuzz Artist"}
COVER = bytes(range(256)) * 12  # 3 KB standing in for a JPEG: tag readers keep a picture's bytes as they are


def tune(seconds: float = SEED_SECONDS, rate: int = SEED_RATE) -> np.ndarray:
    """A few seconds of stereo music-like signal: a bass line and chords with overtones, a hi-hat of noise."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    notes = [220.0, 261.6, 329.6, 392.0, 349.2, 293.7, 246.9, 196.0]
    beat = (t * 4).astype(int)  # four notes a second
    freq = np.array(notes)[beat % len(notes)]
    phase = 2 * np.pi * np.cumsum(freq) / rate
    envelope = np.exp(-6 * (t * 4 % 1))
    voice = sum(np.sin(k * phase) / k for k in (1, 2, 3, 4)) * envelope
    bass = np.sin(phase / 2) * 0.6
    hat = rng.standard_normal(len(t)) * np.exp(-40 * (t * 8 % 1)) * 0.15
    left, right = 0.3 * (voice + bass) + hat, 0.3 * (0.8 * voice + bass) + hat
    return np.stack([left, right], axis=1).astype(np.float32) * 0.8


def make_seeds(folder: Path, *, seconds: float = SEED_SECONDS, formats: list[str] | None = None) -> dict[str, Path]:
    """Each format's seed (`formats`, default every one), and tagged variants, in `folder`: {name: path}."""
    import mutagen
    from mutagen.apev2 import APEv2
    from mutagen.flac import Picture
    from mutagen.id3 import APIC, ID3, TALB, TCON, TPE1
    from mutagen.mp4 import MP4Cover

    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "source.wav"
    sf.write(source, tune(seconds), SEED_RATE, subtype="PCM_16")
    seeds = {}
    for name, (suffix, options) in FORMATS.items():
        if formats is not None and name not in formats:
            continue
        out = folder / f"{name}{suffix}"
        done = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-fflags", "+bitexact",
                               "-flags:a", "+bitexact", "-map_metadata", "-1", *options, str(out)],
                              capture_output=True, check=False)
        if done.returncode == 0:
            seeds[name] = out
        else:
            out.unlink(missing_ok=True)
    # tagged variants: each container's own tag block, with a cover picture where it holds one
    tagged = {}
    if "mp3_cbr" in seeds:
        path = tagged["mp3_id3_cover"] = folder / "mp3_id3_cover.mp3"
        shutil.copy(seeds["mp3_cbr"], path)
        id3 = ID3()
        id3.add(TCON(encoding=3, text=[TAGS["genre"]]))
        id3.add(TALB(encoding=3, text=[TAGS["album"]]))
        id3.add(TPE1(encoding=3, text=[TAGS["artist"]]))
        id3.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="cover", data=COVER))
        id3.save(path)
    if "mp3_vbr_noxing" in seeds:  # APEv2 alone, as foobar2000 and Mp3tag can write it
        path = tagged["mp3_ape"] = folder / "mp3_ape.mp3"
        shutil.copy(seeds["mp3_vbr_noxing"], path)
        ape = APEv2()
        ape.update({"Genre": TAGS["genre"], "Album": TAGS["album"], "Artist": TAGS["artist"]})
        ape.save(path)
    if "flac" in seeds:
        path = tagged["flac_vorbis_cover"] = folder / "flac_vorbis_cover.flac"
        shutil.copy(seeds["flac"], path)
        audio = mutagen.File(path)
        audio.update(TAGS)
        picture = Picture()
        picture.type, picture.mime, picture.data = 3, "image/jpeg", COVER
        audio.add_picture(picture)
        audio.save()
    for name in ("ogg_vorbis", "opus"):
        if name in seeds:
            path = tagged[f"{name}_tags"] = folder / f"{name}_tags{seeds[name].suffix}"
            shutil.copy(seeds[name], path)
            audio = mutagen.File(path)
            audio.update(TAGS)
            audio.save()
    if "m4a_aac" in seeds:
        path = tagged["m4a_tags_cover"] = folder / "m4a_tags_cover.m4a"
        shutil.copy(seeds["m4a_aac"], path)
        audio = mutagen.File(path)
        audio.update({"\xa9gen": [TAGS["genre"]], "\xa9alb": [TAGS["album"]], "\xa9ART": [TAGS["artist"]],
                      "covr": [MP4Cover(COVER, imageformat=MP4Cover.FORMAT_JPEG)]})
        audio.save()
    for name, suffix in (("wav_info", ".wav"), ("wma_tags", ".wma")):  # RIFF INFO list, ASF attributes
        base = "wav16" if suffix == ".wav" else "wma"
        if base in seeds:
            path = tagged[name] = folder / f"{name}{suffix}"
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(seeds[base]), "-c", "copy",
                            "-fflags", "+bitexact", *[a for k, v in TAGS.items() for a in ("-metadata", f"{k}={v}")],
                            str(path)], check=True)
    if "wav16" in seeds:  # an ID3 chunk in a WAV (foobar2000, Mp3tag)
        path = tagged["wav_id3"] = folder / "wav_id3.wav"
        shutil.copy(seeds["wav16"], path)
        audio = mutagen.File(path)
        audio.add_tags()
        audio.tags.add(TCON(encoding=3, text=[TAGS["genre"]]))
        audio.tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="cover", data=COVER))
        audio.save()
    return {**seeds, **tagged}


# ---- mutations: each (data, rng) -> (mutated bytes, what was done) ----

def _span(rng: random.Random, size: int, *, header: bool) -> tuple[int, int]:
    """(offset, length) of a block in the header (first 4 KB) or anywhere."""
    top = min(size, 4096) if header else size
    start = rng.randrange(max(top, 1))
    return start, max(1, min(size - start, rng.choice([1, 4, 16, 64, 512, 4096, size // 10])))


def truncate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    where = rng.choice(["header", "body", "tail"])
    size = len(data)
    at = {"header": lambda: rng.randrange(min(size, 4096)), "body": lambda: rng.randrange(size),
          "tail": lambda: rng.randrange(int(size * 0.8), size)}[where]()
    return data[:at], f"cut at byte {at} of {size}"


def flip_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    out, count = bytearray(data), rng.choice([1, 2, 8, 64, 512])
    header = rng.random() < 0.5
    for _ in range(count):
        i = rng.randrange(min(len(out), 4096) if header else len(out))
        out[i] ^= rng.randrange(1, 256)
    return bytes(out), f"{count} byte(s) flipped in the {'header' if header else 'file'}"


def fill_block(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    header, zero = rng.random() < 0.5, rng.random() < 0.5
    start, length = _span(rng, len(data), header=header)
    block = bytes(length) if zero else rng.randbytes(length)
    return data[:start] + block + data[start + length:], \
        f"{length} bytes at {start} {'zeroed' if zero else 'made random'}"


def repeat_or_remove(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    spans = structure(data)
    if not spans:
        start, length = _span(rng, len(data), header=False)
        spans = [("block", start, length)]
    name, start, length = rng.choice(spans)
    if rng.random() < 0.5:
        return data[:start + length] + data[start:start + length] + data[start + length:], \
            f"{name} ({length} bytes at {start}) repeated"
    return data[:start] + data[start + length:], f"{name} ({length} bytes at {start}) removed"


def extreme_field(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    found = fields(data)
    if not found:
        return flip_bytes(data, rng)
    name, offset, fmt = rng.choice(found)
    width = struct.calcsize(fmt)
    bits = 8 * width
    value = rng.choice([0, 1, 2, 3, 7, 255, (1 << bits) - 1, (1 << (bits - 1)) - 1, 1 << (bits - 1), 0x7FFFF000,
                        1_000_000, 768_001, 65]) & ((1 << bits) - 1)
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out), f"{name} set to {value}"


MUTATIONS = {"truncate": truncate, "flip_bytes": flip_bytes, "fill_block": fill_block,
             "repeat_or_remove": repeat_or_remove, "extreme_field": extreme_field}


def structure(data: bytes) -> list[tuple[str, int, int]]:
    """The file's chunks as (name, offset, length): RIFF/AIFF chunks, MP4 top-level and moov atoms, FLAC metadata
    blocks, Ogg pages, ID3 tag; [] where none is known."""
    spans = []
    if data[:4] in (b"RIFF", b"FORM"):
        little = data[:4] == b"RIFF"
        at = 12
        while at + 8 <= len(data):
            size = struct.unpack("<I" if little else ">I", data[at + 4:at + 8])[0]
            spans.append((data[at:at + 4].decode("latin-1"), at, min(8 + size + (size & 1), len(data) - at)))
            at += 8 + size + (size & 1)
    elif data[4:8] in (b"ftyp", b"moov", b"mdat", b"free"):
        def atoms(start, end, depth):
            at = start
            while at + 8 <= end:
                size = struct.unpack(">I", data[at:at + 4])[0]
                kind = data[at + 4:at + 8]
                if size < 8:
                    break
                spans.append((kind.decode("latin-1"), at, min(size, end - at)))
                if depth < 4 and kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta"):
                    atoms(at + 8, min(at + size, end), depth + 1)
                at += size
        atoms(0, len(data), 0)
    elif data[:4] == b"fLaC":
        at = 4
        while at + 4 <= len(data):
            size = int.from_bytes(data[at + 1:at + 4], "big")
            spans.append((f"flac block {data[at] & 0x7F}", at, min(4 + size, len(data) - at)))
            if data[at] & 0x80:
                break
            at += 4 + size
    elif data[:4] == b"OggS":
        at = 0
        while (at := data.find(b"OggS", at)) >= 0 and at + 27 <= len(data):
            segments = data[at + 27:at + 27 + data[at + 26]]
            length = 27 + len(segments) + sum(segments)
            spans.append(("ogg page", at, min(length, len(data) - at)))
            at += max(length, 1)
    if data[:3] == b"ID3" and len(data) >= 10:
        size = sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(data[6:10]))
        spans.append(("ID3v2 tag", 0, min(10 + size, len(data))))
    return spans


def fields(data: bytes) -> list[tuple[str, int, str]]:
    """Header fields as (name, offset, struct format) whose extreme values a reader must survive."""
    found = []

    def at(marker: bytes, offsets: dict[str, tuple[int, str]], *, start: int = 0):
        where = data.find(marker, start)
        if where >= 0:
            found.extend((f"{marker.decode('latin-1')}.{name}", where + off, fmt)
                         for name, (off, fmt) in offsets.items()
                         if where + off + struct.calcsize(fmt) <= len(data))

    if data[:4] == b"RIFF":
        found.append(("RIFF size", 4, "<I"))
        at(b"fmt ", {"size": (4, "<I"), "format": (8, "<H"), "channels": (10, "<H"), "rate": (12, "<I"),
                     "byte_rate": (16, "<I"), "block_align": (20, "<H"), "bits": (22, "<H")})
        at(b"data", {"size": (4, "<I")}, start=12)
    elif data[:4] == b"FORM":
        at(b"COMM", {"size": (4, ">I"), "channels": (8, ">H"), "frames": (10, ">I"), "bits": (14, ">H"),
                     "rate_exponent": (16, ">H"), "rate_mantissa": (18, ">I")})
        at(b"SSND", {"size": (4, ">I"), "offset": (8, ">I")})
    elif data[:4] == b"fLaC":
        found += [("STREAMINFO min_block", 8, ">H"), ("STREAMINFO max_block", 10, ">H"),
                  ("STREAMINFO rate_channels_bits", 18, ">I"), ("STREAMINFO total_samples", 22, ">I")]
    elif data[:4] == b"OggS":
        at(b"\x01vorbis", {"channels": (11, "<B"), "rate": (12, "<I"), "blocksizes": (28, "<B")})
        at(b"OpusHead", {"channels": (9, "<B"), "pre_skip": (10, "<H"), "rate": (12, "<I"), "mapping": (18, "<B")})
        last = data.rfind(b"OggS")
        found += [("last page granule", last + 6, "<Q"), ("first page granule", 6, "<Q")]
    elif data[4:8] == b"ftyp":
        at(b"mvhd", {"timescale": (16, ">I"), "duration": (20, ">I")})
        at(b"mdhd", {"timescale": (16, ">I"), "duration": (20, ">I")})
        at(b"stsd", {"entries": (8, ">I"), "channels": (32, ">H"), "bits": (34, ">H"), "rate": (40, ">I")})
        at(b"stts", {"entries": (8, ">I"), "count": (12, ">I"), "delta": (16, ">I")})
        at(b"stsz", {"sample_size": (8, ">I"), "entries": (12, ">I"), "first": (16, ">I")})
        at(b"stsc", {"entries": (8, ">I"), "samples_per_chunk": (16, ">I")})
        at(b"stco", {"entries": (8, ">I"), "first": (12, ">I")})
    elif data[:4] == b"wvpk":
        found += [("wvpk block size", 4, "<I"), ("wvpk total samples", 12, "<I"), ("wvpk block samples", 20, "<I"),
                  ("wvpk flags", 24, "<I")]
    elif data[:4] == b"\x30\x26\xb2\x75":  # ASF
        at(b"\xa1\xdc\xab\x8c\x47\xa9\xcf\x11\x8e\xe4\x00\xc0\x0c\x20\x53\x65",  # file properties
           {"packets": (56, "<Q"), "duration": (64, "<Q"), "max_packet": (96, "<I")})
        at(b"\x40\x9e\x69\xf8\x4d\x5b\xcf\x11\xa8\xfd\x00\x80\x5f\x5c\x44\x2b",  # audio media type
           {"channels": (78, "<H"), "rate": (80, "<I"), "block_align": (88, "<H")})
    elif data[:4] == b"\x1a\x45\xdf\xa3":  # Matroska/WebM: the EBML header's fields are variable, so flip near them
        found += [(f"EBML byte {i}", i, "<B") for i in range(4, 64)]
    mp3 = data.find(b"\xff\xfb") if data[:3] in (b"ID3", b"\xff\xfb") or data[:2] == b"\xff\xfb" else -1
    if mp3 >= 0:
        found += [("mp3 frame header", mp3 + 2, ">B")]
        for marker in (b"Xing", b"Info"):
            at(marker, {"flags": (4, ">I"), "frames": (8, ">I"), "bytes": (12, ">I")})
    if data[:3] == b"ID3":
        found += [("ID3 size", 6, ">I")]
    return found


def cases(seeds: dict[str, Path], count: int, seed: int) -> list[dict]:
    """`count` mutants' recipes, the same for the same seed: (seed file, mutation, its own random seed)."""
    rng = random.Random(seed)
    names, kinds = sorted(seeds), sorted(MUTATIONS)
    return [{"case": i, "seed_file": names[i % len(names)], "mutation": rng.choice(kinds), "rng": rng.getrandbits(32)}
            for i in range(count)]


def mutate(case: dict, seeds: dict[str, Path], folder: Path) -> tuple[Path, str]:
    data = seeds[case["seed_file"]].read_bytes()
    mutated, what = MUTATIONS[case["mutation"]](data, random.Random(case["rng"]))
    path = folder / f"case{case['case']:05d}{seeds[case['seed_file']].suffix}"
    path.write_bytes(mutated)
    return path, what


# ---- the entry points, each run in a forked child ----

class _Warnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def _decode(path: Path, context: dict) -> dict:
    from spectrogenre.audio_io import read_mono

    audio = read_mono(path, sample_rate=context["sample_rate"])
    return {"seconds": round(len(audio) / context["sample_rate"], 3), **_damage(audio, context)}


def _damage(audio: np.ndarray, context: dict) -> dict:
    """How far `audio` is from the seed's decode: length, and the share of 50 ms frames 6 dB apart."""
    reference = context.get("reference")
    if reference is None:
        return {"peak": float(np.abs(audio).max()) if len(audio) else 0.0}
    hop = context["sample_rate"] // 20
    n = min(len(audio), len(reference)) // hop * hop
    level = lambda x: 10 * np.log10(np.mean(x[:n].reshape(-1, hop) ** 2, axis=1) + 1e-8)
    changed = float(np.mean(np.abs(level(audio) - level(reference)) > 6)) if n else 1.0
    missing = 1 - min(len(audio), len(reference)) / len(reference)
    return {"peak": float(np.abs(audio).max()) if len(audio) else 0.0, "changed": round(changed, 3),
            "missing": round(missing, 3)}


def _predict(path: Path, context: dict) -> dict:
    from spectrogenre.audio_io import DecodeLimits
    from spectrogenre.errors import AudioError
    from spectrogenre.inference import ExportedModel
    from spectrogenre.prediction import predict_file

    row = predict_file(path, ExportedModel.load(context["predict_model"]), hop_seconds=None, threshold=None, top_k=3,
                       limits=DecodeLimits())
    if row["error"]:
        raise AudioError(path, row["error"])
    return {"genre": row["genre"], "confidence": row["confidence"]}


def _tags(path: Path, context: dict) -> dict:
    from spectrogenre.library.tags import read_tags

    tags = read_tags(path)
    return {"genres": list(tags.genres), "album": tags.album, "seconds": tags.seconds}


def _scan(path: Path, context: dict) -> dict:
    from spectrogenre.errors import AudioError
    from spectrogenre.library.sources import Catalog, _audio_or_ignored, _tags_or_none

    catalog = Catalog(root=path.parent, layout="folders")
    tags = _tags_or_none(path, catalog, path.name) if _audio_or_ignored(path, catalog, path.name) else None
    if catalog.left_out:
        raise AudioError(path, catalog.left_out[0][1])
    return {"seconds": None if tags is None else tags.seconds, "notes": [n for _, n in catalog.notes]}


def _server(path: Path, context: dict) -> dict:
    from fastapi.testclient import TestClient

    from spectrogenre.errors import AudioError
    from spectrogenre.server.app import create_app
    from spectrogenre.server.settings import ServerSettings

    settings = ServerSettings(export_dir=Path(context["server_model"]), workers=1)
    with TestClient(create_app(settings)) as client, open(path, "rb") as file:
        answer = client.post("/api/classify", files={"file": (path.name, file, "application/octet-stream")})
    body = answer.json()
    if answer.status_code in (413, 422):
        if path.name not in body.get("detail", ""):
            raise AssertionError(f"{answer.status_code} without the file's name: {body}")
        raise AudioError(path, body["detail"])
    if answer.status_code != 200:
        raise AssertionError(f"status {answer.status_code}: {body}")
    return {"genre": body["genre"], "confidence": body["confidence"], "warnings": body["warnings"]}


ENTRIES = {"decode": _decode, "predict": _predict, "tags": _tags, "scan": _scan, "server": _server}


def run_in_child(entry: str, path: Path, context: dict, *, timeout_s: float) -> dict:
    """`entry` on `path` in a forked child of its own, under the wall timeout and memory limit: its outcome."""
    reading, writing = os.pipe()
    before = _fingerprint(path)
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(reading)
        os.setpgid(0, 0)  # its own group: a timeout kills an ffmpeg it started too
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
        result = _outcome(entry, path, context)
        with os.fdopen(writing, "w") as out:
            out.write(json.dumps(result, default=str))
        os._exit(0)
    os.close(writing)
    chunks, deadline = [], started + timeout_s
    with os.fdopen(reading, "rb") as pipe:
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([pipe], [], [], left)
            if ready:
                if not (chunk := os.read(pipe.fileno(), 1 << 16)):
                    break
                chunks.append(chunk)
        timed_out = time.monotonic() >= deadline
    if timed_out:
        with_group = lambda: os.killpg(pid, signal.SIGKILL)
        try:
            with_group()
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    seconds = round(time.monotonic() - started, 2)
    if timed_out:
        result = {"outcome": "timeout", "detail": f"no answer in {timeout_s:g} s"}
    elif os.WIFSIGNALED(status):
        result = {"outcome": "signal", "detail": signal.Signals(os.WTERMSIG(status)).name}
    else:
        try:
            result = json.loads(b"".join(chunks))
        except ValueError:
            result = {"outcome": "signal", "detail": f"exit status {os.WEXITSTATUS(status)} with no answer"}
    if _fingerprint(path) != before:
        result["modified"] = True
    return {**result, "wall_s": seconds}


def _outcome(entry: str, path: Path, context: dict) -> dict:
    from spectrogenre.errors import AudioError

    handler = _Warnings()
    logging.getLogger("spectrogenre").addHandler(handler)
    logging.getLogger("spectrogenre").setLevel(logging.WARNING)
    try:
        value = ENTRIES[entry](path, context)
    except AudioError as err:
        named = str(path) in str(err) or path.name in str(err)
        return {"outcome": "error" if named else "unexpected", "detail": str(err).replace(str(path.parent), ""),
                **({} if named else {"why": "the error does not name the file"})}
    except MemoryError:
        return {"outcome": "memory", "detail": "MemoryError"}
    except BaseException as err:  # noqa: BLE001 - any other exception is the finding
        return {"outcome": "unexpected", "detail": f"{type(err).__name__}: {err}"[:500],
                "traceback": traceback.format_exc()[-3000:]}
    return {"outcome": "ok", "value": value, "warnings": [w.replace(str(path.parent), "") for w in handler.lines]}


def _fingerprint(path: Path) -> tuple:
    info = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mtime_ns, info.st_size


def flags(results: dict, seed_file: str) -> list[str]:
    """What an ok outcome passed over: a damaged file decoded without a word, a genre for silence."""
    found = []
    decode = results.get("decode", {})
    if decode.get("outcome") == "ok" and not decode.get("warnings"):
        value = decode["value"]
        missing = value.get("missing", 0) if seed_file not in NO_STATED_LENGTH else 0
        if max(value.get("changed", 0), missing) > SILENT_DAMAGE_FRACTION:
            found.append(f"silent damage: decoded without a warning, {value.get('missing', 0):.0%} missing, "
                         f"{value.get('changed', 0):.0%} of it changed")
        if value.get("peak", 1) < SILENT_PEAK:
            for entry in ("predict", "server"):
                answer = results.get(entry, {})
                if answer.get("outcome") == "ok" and answer["value"]["confidence"] is not None:
                    found.append(f"{entry}: genre {answer['value']['genre']} for a file that decodes to silence")
    for entry, answer in results.items():
        if answer.get("modified"):
            found.append(f"{entry}: the file changed by being read")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("fuzz_decode.json"))
    parser.add_argument("--work", type=Path, default=None, help="where seeds and mutants go (default: a temp folder)")
    parser.add_argument("--entries", default=",".join(ENTRY_POINTS))
    parser.add_argument("--timeout", type=float, default=WALL_TIMEOUT_S)
    parser.add_argument("--max-minutes", type=float, default=None, help="stop starting cases after this long")
    parser.add_argument("--predict-model", default="data/export")
    parser.add_argument("--server-model", default=None, help="default: --predict-model")
    parser.add_argument("--keep", action="store_true", help="keep every mutant, not only those with findings")
    parser.add_argument("--seed-seconds", type=float, default=SEED_SECONDS)
    parser.add_argument("--sample-rate", type=int, default=22_050, help="decode's rate without predict or server")
    parser.add_argument("--formats", default=None, help="seed formats, comma-separated (default: all of FORMATS)")
    args = parser.parse_args(argv)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    entries = [e for e in args.entries.split(",") if e]
    work = args.work or Path(tempfile.mkdtemp(prefix="fuzz_decode-"))
    seeds = make_seeds(work / "seeds", seconds=args.seed_seconds,
                       formats=args.formats.split(",") if args.formats else None)
    # imported before forking, so that each child starts with them loaded
    import spectrogenre.audio_io
    import spectrogenre.library.sources
    from spectrogenre.inference import ExportedModel
    if {"predict", "server"} & set(entries):
        import spectrogenre.prediction
        import spectrogenre.server.app
    # the rate the model's front end decodes to (concat's, params.yaml's frontend.sample_rate), where one is used
    sample_rate = ExportedModel.load(args.predict_model).frontend.sample_rate if {"predict", "server"} & set(entries) \
        else args.sample_rate
    references = {name: spectrogenre.audio_io.read_mono(path, sample_rate=sample_rate) for name, path in seeds.items()}
    context = {"sample_rate": sample_rate, "predict_model": args.predict_model,
               "server_model": args.server_model or args.predict_model}
    mutants = work / "mutants"
    mutants.mkdir(exist_ok=True)
    started, rows = time.monotonic(), []
    for case in cases(seeds, args.cases, args.seed):
        if args.max_minutes is not None and time.monotonic() - started > 60 * args.max_minutes:
            break
        path, what = mutate(case, seeds, mutants)
        results = {entry: run_in_child(entry, path, {**context, "reference": references[case["seed_file"]]},
                                       timeout_s=args.timeout) for entry in entries}
        row = {**case, "what": what, "file": path.name, "bytes": path.stat().st_size, "results": results,
               "flags": flags(results, case["seed_file"])}
        bad = row["flags"] or any(r["outcome"] not in ("ok", "error") for r in results.values())
        if not (bad or args.keep):
            path.unlink()
        rows.append(row)
        outcomes = " ".join(f"{e}={r['outcome']}" for e, r in results.items())
        print(f"case {case['case']} {case['seed_file']} {what}: {outcomes}{' FLAG' if row['flags'] else ''}",
              flush=True)
    summary = summarise(rows, entries)
    report = {"command": " ".join(sys.argv), "seed": args.seed, "cases_planned": args.cases, "cases_run": len(rows),
              "seconds": round(time.monotonic() - started, 1), "work": str(work),
              "seed_files": {name: hashlib.sha256(path.read_bytes()).hexdigest()[:16] for name, path in seeds.items()},
              "formats_not_made": sorted(set(FORMATS) - set(seeds)), **summary, "cases": rows}
    args.out.write_text(json.dumps(report, indent=1, default=str))
    print(json.dumps({k: report[k] for k in ("cases_run", "outcomes", "findings")}, indent=1))
    return 0


def summarise(rows: list[dict], entries: list[str]) -> dict:
    outcomes = {entry: {} for entry in entries}
    findings = []
    for row in rows:
        for entry, result in row["results"].items():
            outcomes[entry][result["outcome"]] = outcomes[entry].get(result["outcome"], 0) + 1
            if result["outcome"] not in ("ok", "error"):
                findings.append({"case": row["case"], "file": row["file"], "entry": entry, "what": row["what"],
                                 "outcome": result["outcome"], "detail": result.get("detail")})
        findings += [{"case": row["case"], "file": row["file"], "what": row["what"], "outcome": "flag", "detail": f}
                     for f in row["flags"]]
    return {"outcomes": outcomes, "findings": findings}


if __name__ == "__main__":
    sys.exit(main())
