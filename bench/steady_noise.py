"""The noise rules' margins: steadiness and share of tonal peaks of every 15 s window of real music, against noise.

    python -m bench.steady_noise [LIBRARY ...]   (default: ../shared/realmusic/emotify-dev, data/demo_library)

Windows start every 7.5 s (predict's hop) in every audio file under each library, decoded at both
front ends' rates (22.05 kHz: the seed CNN, 16 kHz: musicnn); the noises are white, pink and brown
noise, mains hum, held 50 Hz and 440 Hz tones and a rumble (white noise low-passed at 200 Hz: the one the
rule misses) at -10 to -45 dBFS, and noise that changes: white and pink noise in bursts (4 a second, 20 dB
apart), a record's crackle over its hiss, clicks, and room tone with knocks. Prints, per source, the lowest
and the 1st percentile of the steadiness and of the share of tonal peaks (the no-pitch rule), the highest
share, and how many windows the rules (spec defaults) call noise; writes bench/steady_noise.json.
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
from spectrogenre.steady import SteadyNoiseRule, is_noise, steadiness_db, tonal_share
from tests.synth import band_limited, clicks, colored_noise, hum, sine

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


def measure(libraries: list[Path], rule: SteadyNoiseRule) -> dict:
    report = {}
    for sr in RATES:
        clips: dict[str, list[np.ndarray]] = {}
        for library in libraries:
            for path in sorted(p for p in library.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS):
                source = f"{library.name}/{path.relative_to(library).parts[0]}"
                clips.setdefault(source, []).extend(windows(quantise_16bit(read_mono(path, sample_rate=sr)), sr))
        for source, noise in noises(sr).items():
            clips[source] = [quantise_16bit(np.clip(clip, -1, 1)) for clip in noise]
        report[str(sr)] = {}
        for source, windows_of in clips.items():
            steady = [steadiness_db(clip, sr, rule) for clip in windows_of]
            tonal = [tonal_share(clip, sr, rule) for clip in windows_of]
            report[str(sr)][source] = {
                "windows": len(windows_of), "min_db": round(min(steady), 3), "p01_db": round(float(np.percentile(steady, 1)), 3),
                "min_tonal": round(min(tonal), 5), "p01_tonal": round(float(np.percentile(tonal, 1)), 5),
                "max_tonal": round(max(tonal), 5),
                "called_noise": sum(is_noise(clip, sr, rule) for clip in windows_of)}
    return report


def main(argv: list[str]) -> None:
    libraries = [Path(a) for a in argv] or [p for p in DEFAULT_LIBRARIES if p.is_dir()]
    rule = SteadyNoiseRule()
    report = {"rule": rule.__dict__, "libraries": [str(p) for p in libraries], "by_rate": measure(libraries, rule)}
    for sr, sources in report["by_rate"].items():
        print(f"{sr} Hz: source, windows, lowest and 1st percentile steadiness (dB) and tonal share, highest tonal "
              f"share, called noise (steadiness < {rule.below_db} or tonal share < {rule.tonal_below})")
        for source, row in sources.items():
            print(f"  {source:32} {row['windows']:5} {row['min_db']:7.2f} {row['p01_db']:7.2f} {row['min_tonal']:8.4f} "
                  f"{row['p01_tonal']:8.4f} {row['max_tonal']:8.4f} {row['called_noise']:5}")
    (ROOT / "bench/steady_noise.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
