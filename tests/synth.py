"""Tiny synthetic audio for tests: sines, clicks, noise and silence with hand-checkable answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def sine(seconds: float, *, freq: float = 440.0, sr: int = 8000, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float, *, sr: int = 8000) -> np.ndarray:
    return np.zeros(int(round(seconds * sr)), dtype=np.float32)


def clicks(seconds: float, *, rate_hz: float = 4.0, sr: int = 8000, amp: float = 0.8) -> np.ndarray:
    """A click (a 5 ms decaying noise burst) every 1/rate_hz seconds."""
    out = silence(seconds, sr=sr)
    burst = np.random.default_rng(0).uniform(-amp, amp, int(0.005 * sr)) * np.linspace(1, 0, int(0.005 * sr))
    for start in range(0, len(out) - len(burst), int(sr / rate_hz)):
        out[start: start + len(burst)] = burst
    return out


def noise(seconds: float, *, sr: int = 8000, amp: float = 0.3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-amp, amp, int(round(seconds * sr))).astype(np.float32)


def colored_noise(seconds: float, *, exponent: float, sr: int = 16000, level_db: float = -20.0,
                  seed: int = 0) -> np.ndarray:
    """Gaussian noise whose power falls as 1 / f**exponent (0 white, 1 pink, 2 brown) at `level_db` dBFS RMS."""
    n = int(round(seconds * sr))
    spectrum = np.fft.rfft(np.random.default_rng(seed).normal(size=n))
    freqs = np.fft.rfftfreq(n, 1 / sr)
    freqs[0] = freqs[1]
    x = np.fft.irfft(spectrum / freqs ** (exponent / 2), n)
    return (x / np.sqrt(np.mean(x**2)) * 10 ** (level_db / 20)).astype(np.float32)


def band_limited(audio: np.ndarray, *, sr: int, below_hz: float | None = None,
                 above_hz: float | None = None) -> np.ndarray:
    """`audio` with every frequency above `below_hz` and below `above_hz` removed (a brick wall, by FFT)."""
    spectrum = np.fft.rfft(audio)
    freqs = np.fft.rfftfreq(len(audio), 1 / sr)
    if below_hz is not None:
        spectrum[freqs > below_hz] = 0
    if above_hz is not None:
        spectrum[freqs < above_hz] = 0
    return np.fft.irfft(spectrum, len(audio))


def hum(seconds: float, *, sr: int = 16000, level_db: float = -20.0, mains_hz: float = 50.0) -> np.ndarray:
    """Mains hum: mains_hz and its harmonics up to the 7th (amplitudes 1/k), with pink noise 26 dB below."""
    t = np.arange(int(round(seconds * sr))) / sr
    tone = sum(np.sin(2 * np.pi * mains_hz * k * t) / k for k in range(1, 8))
    tone = tone / np.sqrt(np.mean(tone**2)) * 10 ** (level_db / 20)
    return (tone + colored_noise(seconds, exponent=1, sr=sr, level_db=level_db - 26)).astype(np.float32)


def melody(seconds: float, *, sr: int = 16000, note_seconds: float = 0.25, amp: float = 0.3, seed: int = 0) -> np.ndarray:
    """Music in miniature: random notes of a scale (harmonics to 5 kHz), each note_seconds long and decaying."""
    rng = np.random.default_rng(seed)
    per_note = int(round(note_seconds * sr))
    t = np.arange(per_note) / sr
    notes = []
    for _ in range(int(np.ceil(seconds / note_seconds))):
        f0 = 220.0 * 2 ** (rng.choice([0, 2, 4, 5, 7, 9, 11, 12]) / 12)
        tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, int(5000 // f0) + 1))
        notes.append(tone * np.exp(-t / (note_seconds / 3)))
    out = np.concatenate(notes)[: int(round(seconds * sr))]
    return (amp * out / np.abs(out).max()).astype(np.float32)


GENRE_SOUNDS = {
    "Drone": lambda s, sr, k: sine(s, freq=220.0 * (1 + 0.05 * k), sr=sr),
    "Clicks": lambda s, sr, k: clicks(s, rate_hz=4.0 + k, sr=sr),
    "Noise": lambda s, sr, k: noise(s, sr=sr, seed=k),
}


def write_tiny_library(root: Path, *, albums: int = 3, tracks: int = 2, seconds: float = 6.0,
                       gap_seconds: float = 1.5, sr: int = 16000) -> list[Path]:
    """<root>/<genre>/<album k>/<track j>.wav|flac for 3 easy genres; each track is
    `gap_seconds` of silence, `seconds` of sound, `gap_seconds` of silence."""
    paths = []
    for genre, make in GENRE_SOUNDS.items():
        for k in range(albums):
            for j in range(tracks):
                audio = np.concatenate([silence(gap_seconds, sr=sr), make(seconds, sr, k + j), silence(gap_seconds, sr=sr)])
                ext = "flac" if j % 2 else "wav"
                path = root / genre / f"Album {k}" / f"{j + 1:02d} Track.{ext}"
                path.parent.mkdir(parents=True, exist_ok=True)
                sf.write(path, audio, sr)
                paths.append(path)
    return paths


def scan_and_concat(library: Path, out_dir: Path, *, sample_rate: int, jobs: int = 1, layout: str = "folders",
                    genres: dict | None = None):
    """The scan and concat stages on `library`: scan's list in <out_dir>/../scan, concat's output in out_dir."""
    from spectrogenre.concat import concat_library
    from spectrogenre.library.checks import Report
    from spectrogenre.library.scan import write_scan
    from spectrogenre.library.sources import GenreMap, load_catalog

    scan_dir = Path(out_dir).parent / "scan"
    write_scan(load_catalog(library, layout=layout, genre_map=GenreMap(genres)), Report(), scan_dir)
    return concat_library(library, scan_dir, out_dir, sample_rate=sample_rate, jobs=jobs)


NFC, NFD = "\u00c9lectronique", "E\u0301lectronique"  # one word, as Linux and macOS write it


def hiphop_library(root, *, layout="folders"):
    """Hip-Hop/ (albums A1 of 2 tracks, A2), hip hop/ (album B1), Jazz/ (J1, J2, J3); flat: albums by tag."""
    for genre, album, track in [("Hip-Hop", "A1", 1), ("Hip-Hop", "A1", 2), ("Hip-Hop", "A2", 1), ("hip hop", "B1", 1),
                                ("Jazz", "J1", 1), ("Jazz", "J2", 1), ("Jazz", "J3", 1)]:
        folder = root / genre / album if layout == "folders" else root / genre
        write_tagged(folder / f"{album}-{track}.wav", album=album)
    return root


def write_tagged(path: Path, *, seconds: float = 2.0, freq: float = 440.0, genre=None, album: str = "",
                 artist: str = "", title: str = "", album_artist: str = "") -> Path:
    """A short tone in the format `path`'s suffix names (mp3, flac, ogg, opus, m4a, wav), with these tags.

    genre: a string or a list (several values); mp3 writes ID3v2.4 TCON as given, so "(17)" stays an
    ID3v1 code. m4a needs the ffmpeg binary.
    """
    import shutil
    import subprocess
    import tempfile

    import mutagen
    from mutagen.id3 import ID3, TALB, TCON, TIT2, TPE1, TPE2

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    sr = 48000 if suffix == ".opus" else 44100
    audio = sine(seconds, freq=freq, sr=sr, amp=0.3)
    if suffix == ".m4a":
        with tempfile.TemporaryDirectory() as folder:
            wav = Path(folder) / "tone.wav"
            sf.write(wav, audio, sr)
            subprocess.run([shutil.which("ffmpeg"), "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac",
                            "-b:a", "96k", str(path)], check=True)
    elif suffix == ".opus":
        sf.write(path, audio, sr, format="OGG", subtype="OPUS")
    else:
        sf.write(path, audio, sr)
    genres = [genre] if isinstance(genre, str) else list(genre or [])
    fields = {"genre": genres, "album": [album] if album else [], "artist": [artist] if artist else [],
              "title": [title] if title else [], "albumartist": [album_artist] if album_artist else []}
    if suffix in (".mp3", ".wav"):
        tags = ID3()
        for frame, values in ((TCON, fields["genre"]), (TALB, fields["album"]), (TPE1, fields["artist"]),
                              (TIT2, fields["title"]), (TPE2, fields["albumartist"])):
            if values:
                tags.add(frame(encoding=3, text=values))
        if suffix == ".mp3":
            tags.save(path, v2_version=4)
        else:
            wave = mutagen.File(path)
            wave.add_tags()
            wave.tags.update(tags)
            wave.save()
        return path
    handle = mutagen.File(path)
    if handle.tags is None:
        handle.add_tags()
    keys = ({"genre": "\xa9gen", "album": "\xa9alb", "artist": "\xa9ART", "title": "\xa9nam", "albumartist": "aART"}
            if suffix == ".m4a" else {})
    for name, values in fields.items():
        if values:
            handle.tags[keys.get(name, name)] = values
    handle.save()
    return path
