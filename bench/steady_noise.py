"""The noise rules' margins: steadiness, share of tonal peaks and share of rich frames of every 15 s window of
real music, against noise and signal tones.

    python -m bench.steady_noise [LIBRARY ...]   (default: ../shared/realmusic/emotify-dev, data/demo_library)

Windows start every 7.5 s (predict's hop) in every audio file under each library, decoded at both
front ends' rates (22.05 kHz: the seed CNN, 16 kHz: musicnn); the noises are white, pink and brown
noise, mains hum, held 50 Hz and 440 Hz tones and a rumble (white noise low-passed at 200 Hz: the one the
rule misses) at -10 to -45 dBFS, and noise that changes: white and pink noise in bursts (4 a second, 20 dB
apart), a record's crackle over its hiss, clicks, and room tone with knocks. The signal tones (signal/: the
tone rule's, tests/synth.py) are beeps (sine and square, 300 Hz to 3 kHz, 1 to 8 a second, 25 to 70 % on,
-10 to -40 dBFS), an alarm clock, two-tone sirens (sine and square), a wailing siren, DTMF digits, the ring
and the busy signal, each also with white noise 30 dB under it; other/ are signals the rule was not tuned
on (SIT tones, a smoke alarm, Morse code, beeps at random pitches, a yelp siren, a doorbell...), and
sparse/ the sparse music of tests/test_steady.py (a music box of pure sines, a piano, a flute, a note with
drums, a plucked arpeggio, chords). Prints, per source, the lowest and the 1st percentile of the steadiness,
of the share of tonal peaks (the no-pitch rule) and of the share of rich frames (the tone rule), the highest
of both shares, and how many windows the rules (spec defaults) call noise; writes bench/steady_noise.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spectrogenre.audio_io import AUDIO_EXTENSIONS, read_mono
from spectrogenre.frontend import quantise_16bit
from spectrogenre.steady import (
    SteadyNoiseRule,
    is_noise,
    rich_share,
    steadiness_db,
    tonal_share,
)
from tests.synth import (
    alarm,
    band_limited,
    beeps,
    chord_progression,
    clicks,
    colored_noise,
    dtmf,
    flute,
    hum,
    music_box,
    note_with_drums,
    phone_tone,
    piano,
    plucked_arpeggio,
    sine,
    square_wave,
    two_tone_siren,
    wailing_siren,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LIBRARIES = [ROOT.parent / "shared/realmusic/emotify-dev", ROOT / "data/demo_library"]
RATES = (22050, 16000)


def windows(audio: np.ndarray, sr: int) -> list[np.ndarray]:
    size, hop = 15 * sr, int(7.5 * sr)
    return [audio[start: start + size] for start in range(0, len(audio) - size + 1, hop)]


def noises(sr: int) -> dict[str, list[np.ndarray]]:
    out = {}
    for level in (-10, -25, -45):
        for name, exponent in (("white", 0), ("pink", 1), ("brown", 2)):
            out.setdefault(f"noise/{name}", []).append(colored_noise(15.0, exponent=exponent, sr=sr, level_db=level))
        out.setdefault("noise/hum", []).append(hum(15.0, sr=sr, level_db=level))
        for hz in (50, 440):
            out.setdefault(f"tone/{hz} Hz", []).append(sine(15.0, freq=hz, sr=sr, amp=10 ** (level / 20) * np.sqrt(2)))
        rumble = band_limited(colored_noise(15.0, exponent=0, sr=sr, level_db=level), sr=sr, below_hz=200)
        out.setdefault("rumble/below 200 Hz", []).append(rumble * 10 ** (level / 20) / np.sqrt(np.mean(rumble**2)))
        gate = np.where((np.arange(15 * sr) // (sr // 8)) % 2 == 0, 1.0, 0.1)
        for name, exponent in (("white", 0), ("pink", 1)):
            out.setdefault(f"changing/{name} bursts", []).append(
                colored_noise(15.0, exponent=exponent, sr=sr, level_db=level) * gate)
        rng = np.random.default_rng(-level)
        crackle = colored_noise(15.0, exponent=1, sr=sr, level_db=level - 20)
        crackle[rng.integers(0, len(crackle), 450)] += rng.uniform(-1, 1, 450) * 10 ** ((level + 15) / 20)
        out.setdefault("changing/crackle over hiss", []).append(crackle)
        knocks = colored_noise(15.0, exponent=1, sr=sr, level_db=level - 10)
        for start in (1.0, 4.5, 9.0, 13.0):
            knock = colored_noise(0.2, exponent=2, sr=sr, level_db=level + 20) * np.exp(-np.arange(int(0.2 * sr)) / (0.03 * sr))
            knocks[int(start * sr): int(start * sr) + len(knock)] += knock
        out.setdefault("changing/room tone with knocks", []).append(knocks)
    out["changing/clicks"] = [clicks(15.0, sr=sr)]
    return out


def signals(sr: int) -> dict[str, list[np.ndarray]]:
    """The tone rule's signal tones, each plain and with white noise 30 dB under it."""
    out: dict[str, list[np.ndarray]] = {}
    for noise_db in (None, 30.0):
        for i, (freq, rate, duty) in enumerate([(300.0, 1.0, 0.5), (700.0, 2.0, 0.5), (1000.0, 4.0, 0.25),
                                                (2000.0, 8.0, 0.5), (3000.0, 3.0, 0.7)]):
            level = (-10.0, -20.0, -30.0, -40.0, -25.0)[i]
            for wave in ("sine", "square"):
                out.setdefault(f"signal/{wave} beeps", []).append(
                    beeps(sr=sr, freq=freq, rate_hz=rate, duty=duty, level_db=level, wave=wave, noise_db=noise_db))
        out.setdefault("signal/alarm clock", []).extend(
            [alarm(sr=sr, freq=2500.0, noise_db=noise_db), alarm(sr=sr, freq=3200.0, per_group=3, noise_db=noise_db)])
        out.setdefault("signal/two-tone siren", []).extend(
            [two_tone_siren(sr=sr, each_s=each, wave=wave, noise_db=noise_db)
             for each, wave in ((0.5, "sine"), (0.75, "square"), (1.0, "sine"))])
        out.setdefault("signal/wailing siren", []).extend(
            [wailing_siren(sr=sr, period_s=period, noise_db=noise_db) for period in (3.0, 4.0, 6.0)])
        out.setdefault("signal/DTMF digits", []).extend([dtmf(sr=sr, seed=seed, noise_db=noise_db) for seed in range(3)])
        out.setdefault("signal/ring", []).extend([phone_tone(sr=sr, start_s=start, noise_db=noise_db)
                                                  for start in (0.0, 1.0, 3.0)])
        out.setdefault("signal/busy", []).append(phone_tone(sr=sr, freqs=(480.0, 620.0), on_s=0.5, off_s=0.5,
                                                            noise_db=noise_db))
    return out


def _sequence(parts: list[tuple[tuple[float, ...], float, str]], sr: int, seconds: float = 15.0) -> np.ndarray:
    """(frequencies, seconds, "sine" or "square") in turn, over and over (no frequencies: a pause), at -20 dBFS RMS
    while sounding."""
    out, at = np.zeros(round(seconds * sr)), 0
    while at < len(out):
        for freqs, length, wave in parts:
            t = np.arange(round(length * sr)) / sr
            tone = sum(np.sin(2 * np.pi * f * t) if wave == "sine" else square_wave(2 * np.pi * f * t, f, sr)
                       for f in freqs) if freqs else np.zeros(len(t))
            out[at: at + len(t)] = tone[: max(0, len(out) - at)]
            at += len(t)
    return out / np.sqrt(np.mean(out[out != 0] ** 2)) * 0.1


def other_signals(sr: int) -> dict[str, list[np.ndarray]]:
    """Signals the tone rule was not tuned on."""
    rng = np.random.default_rng(7)
    t = np.arange(15 * sr) / sr
    three = [((3100.0,), 0.5, "sine"), ((), 0.5, "")] * 2 + [((3100.0,), 0.5, "sine"), ((), 1.5, "")]
    out = {"other/SIT tones": [_sequence([((913.8,), 0.276, "sine"), ((1370.6,), 0.276, "sine"),
                                          ((1776.7,), 0.38, "sine"), ((), 2.0, "")], sr)],
           "other/smoke alarm": [_sequence(three, sr)],
           "other/Morse code": [_sequence([p for _ in range(60) for p in (((600.0,), rng.choice([0.06, 0.18]), "sine"),
                                                                          ((), rng.choice([0.06, 0.18, 0.42]), ""))], sr)],
           "other/beeps at random pitches": [_sequence([p for _ in range(100) for p in (
               ((float(rng.uniform(400, 3000)),), 0.12, "sine"), ((), 0.08, ""))], sr)],
           "other/truck reversing": [_sequence([((1200.0,), 0.5, "square"), ((), 0.5, "")], sr)],
           "other/microwave": [_sequence([((2000.0,), 0.4, "sine"), ((), 0.2, "")] * 3 + [((), 3.0, "")], sr)],
           "other/heart monitor": [_sequence([((1000.0,), 0.08, "sine"), ((), 0.72, "")], sr)],
           "other/UK ring": [_sequence([((400.0, 450.0), 0.4, "sine"), ((), 0.2, ""), ((400.0, 450.0), 0.4, "sine"),
                                        ((), 2.0, "")], sr)],
           "other/European siren": [_sequence([((435.0,), 0.5, "square"), ((580.0,), 0.5, "square")], sr)],
           "other/car horn": [_sequence([((400.0, 500.0), 0.6, "square"), ((), 0.4, "")], sr)],
           "other/fax answer tone": [_sequence([((2100.0,), 3.3, "sine"), ((), 0.2, "")], sr)],
           "other/modem FSK": [_sequence([((float(rng.choice([980, 1180])),), 1 / 15, "sine") for _ in range(250)], sr)],
           "other/yelp siren": [0.1 * np.sin(2 * np.pi * np.cumsum(700 + 700 * (0.5 - 0.5 * np.cos(2 * np.pi * t / 0.3))) / sr)]}
    bell, ring_t = np.zeros(len(t)), np.arange(round(1.5 * sr)) / sr
    for start in np.arange(0.0, 15.0, 3.0):  # ding (E5) and dong (C5), dying away
        for delay, freq in ((0.0, 659.3), (0.6, 523.3)):
            at = round((start + delay) * sr)
            note = np.sin(2 * np.pi * freq * ring_t) * np.exp(-ring_t / 0.5)
            bell[at: at + len(note)] += note[: max(0, len(bell) - at)]
    out["other/doorbell ding-dong"] = [0.2 * bell]
    return out


def sparse_music(sr: int) -> dict[str, list[np.ndarray]]:
    """The sparse music of tests/test_steady.py, which the tone rule must leave to the model."""
    return {f"sparse/{make.__name__.replace('_', ' ')}": [make(sr=sr), make(sr=sr, seed=1)] if "seed" in
            make.__code__.co_varnames else [make(sr=sr)]
            for make in (music_box, piano, flute, note_with_drums, plucked_arpeggio, chord_progression)}


def measure(libraries: list[Path], rule: SteadyNoiseRule) -> dict:
    report = {}
    for sr in RATES:
        clips: dict[str, list[np.ndarray]] = {}
        for library in libraries:
            for path in sorted(p for p in library.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS):
                source = f"{library.name}/{path.relative_to(library).parts[0]}"
                clips.setdefault(source, []).extend(windows(quantise_16bit(read_mono(path, sample_rate=sr)), sr))
        for source, noise in (noises(sr) | signals(sr) | other_signals(sr) | sparse_music(sr)).items():
            clips[source] = [quantise_16bit(np.clip(clip, -1, 1)) for clip in noise]
        report[str(sr)] = {}
        for source, windows_of in clips.items():
            steady = [steadiness_db(clip, sr, rule) for clip in windows_of]
            tonal = [tonal_share(clip, sr, rule) for clip in windows_of]
            rich = [rich_share(clip, sr, rule) for clip in windows_of]
            report[str(sr)][source] = {
                "windows": len(windows_of), "min_db": round(min(steady), 3), "p01_db": round(float(np.percentile(steady, 1)), 3),
                "min_tonal": round(min(tonal), 5), "p01_tonal": round(float(np.percentile(tonal, 1)), 5),
                "max_tonal": round(max(tonal), 5),
                "min_rich": round(min(rich), 3), "p01_rich": round(float(np.percentile(rich, 1)), 3),
                "max_rich": round(max(rich), 3),
                "called_noise": sum(is_noise(clip, sr, rule) for clip in windows_of)}
    return report


def main(argv: list[str]) -> None:
    libraries = [Path(a) for a in argv] or [p for p in DEFAULT_LIBRARIES if p.is_dir()]
    rule = SteadyNoiseRule()
    report = {"rule": rule.__dict__, "libraries": [str(p) for p in libraries], "by_rate": measure(libraries, rule)}
    for sr, sources in report["by_rate"].items():
        print(f"{sr} Hz: source, windows, lowest and 1st percentile steadiness (dB), tonal share and rich share, "
              f"highest tonal and rich share, called noise (steadiness < {rule.below_db}, tonal share < "
              f"{rule.tonal_below} or rich share < {rule.rich_below})")
        for source, row in sources.items():
            print(f"  {source:32} {row['windows']:5} {row['min_db']:7.2f} {row['p01_db']:7.2f} {row['min_tonal']:8.4f} "
                  f"{row['p01_tonal']:8.4f} {row['min_rich']:6.3f} {row['p01_rich']:6.3f} {row['max_tonal']:8.4f} "
                  f"{row['max_rich']:6.3f} {row['called_noise']:5}")
        music = [row for source, row in sources.items() if "/" in source and source.split("/")[0] in
                 {p.name for p in libraries}]
        tones = [row for source, row in sources.items() if source.startswith("signal/")]
        if music:
            print(f"  rich share: real music lowest {min(r['min_rich'] for r in music):.3f} (1st percentile of a source "
                  f"at least {min(r['p01_rich'] for r in music):.3f}); signal tones highest "
                  f"{max(r['max_rich'] for r in tones):.3f}")
    (ROOT / "bench/steady_noise.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
