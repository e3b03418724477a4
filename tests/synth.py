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


# ---- tonal non-music: signals built of one or two tones (the tone rule, steady.rich_share) ----

DTMF_ROWS = (697.0, 770.0, 852.0, 941.0)
DTMF_COLUMNS = (1209.0, 1336.0, 1477.0)


def _seconds(seconds: float, sr: int) -> np.ndarray:
    return np.arange(round(seconds * sr)) / sr


def _with_noise(x: np.ndarray, level_db: float, noise_db: float | None, seed: int = 0) -> np.ndarray:
    """x, with white noise noise_db below level_db (dBFS RMS) under it when noise_db is given, as float32."""
    if noise_db is not None:
        x = x + np.random.default_rng(seed).normal(size=len(x)) * 10 ** ((level_db - noise_db) / 20)
    return x.astype(np.float32)


def square_wave(phase: np.ndarray, freq: float, sr: int) -> np.ndarray:
    """A band-limited square wave (odd harmonics k at 1/k up to Nyquist) of the given phase (radians)."""
    return 4 / np.pi * sum(np.sin(k * phase) / k for k in range(1, int(sr / 2 / freq) + 1, 2))


def beeps(seconds: float = 15.0, *, sr: int = 16000, freq: float = 1000.0, rate_hz: float = 2.0, duty: float = 0.5,
          level_db: float = -20.0, wave: str = "sine", noise_db: float | None = None) -> np.ndarray:
    """A tone switched on and off rate_hz times a second, on for `duty` of each period, at level_db dBFS RMS
    while on; wave "sine" or "square"; white noise noise_db below it when given."""
    t = _seconds(seconds, sr)
    tone = np.sin(2 * np.pi * freq * t) if wave == "sine" else square_wave(2 * np.pi * freq * t, freq, sr)
    tone = tone / np.sqrt(np.mean(tone**2)) * 10 ** (level_db / 20)
    return _with_noise(tone * ((t * rate_hz) % 1.0 < duty), level_db, noise_db)


def alarm(seconds: float = 15.0, *, sr: int = 16000, freq: float = 2500.0, per_group: int = 4, beep_s: float = 0.07,
          pause_s: float = 0.6, level_db: float = -20.0, noise_db: float | None = None) -> np.ndarray:
    """An alarm clock: groups of `per_group` beeps of beep_s (as long apart), then pause_s of silence."""
    t = _seconds(seconds, sr)
    at = t % (per_group * 2 * beep_s + pause_s)
    gate = (at < per_group * 2 * beep_s) & (at % (2 * beep_s) < beep_s)
    return _with_noise(np.sin(2 * np.pi * freq * t) * gate * 10 ** (level_db / 20) * np.sqrt(2), level_db, noise_db)


def two_tone_siren(seconds: float = 15.0, *, sr: int = 16000, low: float = 450.0, high: float = 600.0,
                   each_s: float = 0.75, level_db: float = -20.0, wave: str = "sine",
                   noise_db: float | None = None) -> np.ndarray:
    """Two pitches alternating every each_s, without a break (the phase runs on)."""
    t = _seconds(seconds, sr)
    freq = np.where((t // each_s) % 2 == 0, low, high)
    phase = 2 * np.pi * np.cumsum(freq) / sr
    tone = np.sin(phase) if wave == "sine" else square_wave(phase, high, sr)
    return _with_noise(tone / np.sqrt(np.mean(tone**2)) * 10 ** (level_db / 20), level_db, noise_db)


def wailing_siren(seconds: float = 15.0, *, sr: int = 16000, low: float = 600.0, high: float = 1400.0,
                  period_s: float = 4.0, level_db: float = -20.0, noise_db: float | None = None) -> np.ndarray:
    """A sine sweeping from low to high and back every period_s (its frequency a raised cosine of time)."""
    t = _seconds(seconds, sr)
    freq = low + (high - low) * (0.5 - 0.5 * np.cos(2 * np.pi * t / period_s))
    return _with_noise(np.sin(2 * np.pi * np.cumsum(freq) / sr) * 10 ** (level_db / 20) * np.sqrt(2), level_db,
                       noise_db)


def dtmf(seconds: float = 15.0, *, sr: int = 16000, tone_s: tuple[float, float] = (0.1, 0.3),
         gap_s: tuple[float, float] = (0.1, 0.3), level_db: float = -20.0, noise_db: float | None = None,
         seed: int = 0) -> np.ndarray:
    """Phone digits dialled: a row and a column tone together for tone_s, then a gap of gap_s (both uniform
    within the range), digits at random."""
    rng = np.random.default_rng(seed)
    out = np.zeros(round(seconds * sr))
    at = int(rng.uniform(0, 0.3) * sr)
    while at < len(out):
        t = _seconds(rng.uniform(*tone_s), sr)
        digit = np.sin(2 * np.pi * rng.choice(DTMF_ROWS) * t) + np.sin(2 * np.pi * rng.choice(DTMF_COLUMNS) * t)
        out[at: at + len(t)] = digit[: len(out) - at]
        at += len(t) + int(rng.uniform(*gap_s) * sr)
    return _with_noise(out * 10 ** (level_db / 20), level_db, noise_db)


def phone_tone(seconds: float = 15.0, *, sr: int = 16000, freqs: tuple[float, ...] = (440.0, 480.0),
               on_s: float = 2.0, off_s: float = 4.0, start_s: float = 0.0, level_db: float = -20.0,
               noise_db: float | None = None) -> np.ndarray:
    """A phone's call-progress tone: `freqs` together, on for on_s and off for off_s, from start_s into its
    cadence. The ring (ringback) is 440 + 480 Hz, 2 s on 4 s off; the busy signal 480 + 620 Hz, 0.5 s on 0.5 off."""
    t = _seconds(seconds, sr)
    gate = (t + start_s) % (on_s + off_s) < on_s
    return _with_noise(sum(np.sin(2 * np.pi * f * t) for f in freqs) * gate * 10 ** (level_db / 20), level_db,
                       noise_db)


# ---- sparse music: what the tone rule must leave to the model ----

SCALE = (0, 2, 4, 5, 7, 9, 11, 12)  # a major scale, in semitones


def _mix(events: list[tuple[float, np.ndarray]], seconds: float, sr: int, amp: float) -> np.ndarray:
    """Each (start s, samples) added in at its start; the whole scaled to peak at amp."""
    out = np.zeros(round(seconds * sr))
    for start, samples in events:
        at = round(start * sr)
        if at < len(out):
            out[at: at + len(samples)] += samples[: len(out) - at]
    return (amp * out / np.abs(out).max()).astype(np.float32)


def music_box(seconds: float = 15.0, *, sr: int = 16000, note_s: float = 0.3, decay_s: float = 0.6,
              base: float = 880.0, amp: float = 0.3, seed: int = 0) -> np.ndarray:
    """A music box: a melody of pure sines (notes of a major scale from `base`), a note every note_s, each
    struck and dying away (e-fold every decay_s) under the next ones."""
    rng = np.random.default_rng(seed)
    t = _seconds(5 * decay_s, sr)
    return _mix([(i * note_s, np.sin(2 * np.pi * base * 2 ** (rng.choice(SCALE) / 12) * t) * np.exp(-t / decay_s))
                 for i in range(int(seconds / note_s) + 1)], seconds, sr, amp)


def piano(seconds: float = 15.0, *, sr: int = 16000, note_s: float = 0.4, base: float = 261.6, amp: float = 0.3,
          seed: int = 0) -> np.ndarray:
    """A piano-like melody: harmonic tones (slightly stretched partials at 1/k, the higher dying faster) struck
    every note_s and decaying."""
    rng = np.random.default_rng(seed)
    t = _seconds(3.0, sr)
    events = []
    for i in range(int(seconds / note_s) + 1):
        f0 = base * 2 ** (rng.choice(SCALE) / 12)
        note = sum(np.sin(2 * np.pi * f0 * k * np.sqrt(1 + 0.0004 * k * k) * t) / k * np.exp(-t * (1.5 + 0.8 * k))
                   for k in range(1, int(5000 // f0) + 1))
        events.append((i * note_s, note * np.minimum(1, t / 0.003)))
    return _mix(events, seconds, sr, amp)


def flute(seconds: float = 15.0, *, sr: int = 16000, base: float = 587.3, vibrato: float = 0.006, amp: float = 0.3,
          seed: int = 0) -> np.ndarray:
    """A flute-like melody: notes of 0.3 to 0.9 s played legato (40 ms attack, 30 ms release), four harmonics
    (1, 0.3, 0.12, 0.05) and a 5.5 Hz vibrato of +-`vibrato` of the pitch."""
    rng = np.random.default_rng(seed)
    events, at = [], 0.0
    while at < seconds:
        length, f0 = rng.choice([0.3, 0.45, 0.6, 0.9]), base * 2 ** (rng.choice(SCALE) / 12)
        t = _seconds(length, sr)
        phase = 2 * np.pi * np.cumsum(f0 * (1 + vibrato * np.sin(2 * np.pi * 5.5 * t + 1.3 * len(events)))) / sr
        note = sum(a * np.sin(k * phase) for k, a in ((1, 1.0), (2, 0.3), (3, 0.12), (4, 0.05)) if k * f0 < sr / 2)
        events.append((at, note * np.minimum(1, t / 0.04) * np.minimum(1, (length - t) / 0.03)))
        at += length
    return _mix(events, seconds, sr, amp)


def note_with_drums(seconds: float = 15.0, *, sr: int = 16000, bpm: float = 100.0, note: float = 196.0,
                    amp: float = 0.3, seed: int = 0) -> np.ndarray:
    """One note (harmonic, decaying) on every beat over a rock beat: kick (a falling sine with a click) on 1 and
    3, snare (noise with a body) on 2 and 4, closed hi-hat (high noise) on every eighth."""
    rng = np.random.default_rng(seed)
    beat, t = 60 / bpm, _seconds(0.6, sr)
    kick = np.sin(2 * np.pi * np.cumsum(45 + 120 * np.exp(-t / 0.02)) / sr) * np.exp(-t / 0.15)
    kick[: int(0.003 * sr)] += rng.normal(size=int(0.003 * sr)) * 0.5
    snare = rng.normal(size=len(t)) * np.exp(-t / 0.12) + 0.6 * np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.05)
    hat = np.diff(np.diff(rng.normal(size=len(t) + 2))) * 0.15 * np.exp(-t / 0.03)
    nt = _seconds(beat, sr)
    tone = 0.4 * sum(np.sin(2 * np.pi * note * k * nt) / k for k in range(1, 12) if note * k < sr / 2) * np.exp(-nt / 0.4)
    events = []
    for i in range(int(seconds / beat) + 1):
        events += [(i * beat, kick if i % 2 == 0 else snare), (i * beat, tone), (i * beat, hat), ((i + 0.5) * beat, hat)]
    return _mix(events, seconds, sr, amp)


def plucked_arpeggio(seconds: float = 15.0, *, sr: int = 16000, note_s: float = 0.2, amp: float = 0.3) -> np.ndarray:
    """A plucked string picking the notes of C, Am, F and G in turn (8 notes a chord), each harmonic (plucked at
    a fifth of its length) and dying away, the higher partials faster."""
    chords, base, t = ([0, 4, 7, 12], [-3, 0, 4, 9], [-7, -3, 0, 5], [-5, -1, 2, 7]), 329.6, _seconds(2.0, sr)
    events = []
    for i in range(int(seconds / note_s) + 1):
        f0 = base * 2 ** (chords[(i // 8) % 4][(0, 1, 2, 3, 2, 1, 0, 1)[i % 8]] / 12)
        events.append((i * note_s, sum(np.sin(2 * np.pi * f0 * k * t) * np.sin(np.pi * k * 0.2) / k**1.5
                                       * np.exp(-t * (2 + 1.5 * k)) for k in range(1, int(5000 // f0) + 1))))
    return _mix(events, seconds, sr, amp)


def chord_progression(seconds: float = 15.0, *, sr: int = 16000, chord_s: float = 2.5, amp: float = 0.3) -> np.ndarray:
    """Sustained chords (an organ: three harmonic tones, partials at 1/k up to 5 kHz) of C, G, Am, F, chord_s
    each, with 80 ms attack and release."""
    chords, base, t = ([0, 4, 7], [7, 11, 14], [9, 12, 16], [5, 9, 12]), 261.6, _seconds(chord_s, sr)
    envelope = np.minimum(1, t / 0.08) * np.minimum(1, (chord_s - t) / 0.08)
    events = []
    for i in range(int(seconds / chord_s) + 1):
        tones = [base * 2 ** (n / 12) for n in chords[i % 4]]
        events.append((i * chord_s, envelope * sum(np.sin(2 * np.pi * f * k * t) / k for f in tones
                                                   for k in range(1, 9) if f * k < 5000)))
    return _mix(events, seconds, sr, amp)


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
