"""The steady-noise rule's margin: steadiness of every 15 s window of real music against stationary noise.

    python -m bench.steady_noise [LIBRARY ...]   (default: ../shared/realmusic/emotify-dev, data/demo_library)

Windows start every 7.5 s (predict's hop) in every audio file under each library, decoded at both
front ends' rates (22.05 kHz: the seed CNN, 16 kHz: musicnn); the noises are white, pink and brown
noise, mains hum, held 50 Hz and 440 Hz tones and a rumble (white noise low-passed at 200 Hz: the one the
rule misses) at -10 to -45 dBFS. Prints, per source, the lowest and the 1st percentile of the
steadiness and how many windows the rule (spec default) calls noise; writes bench/steady_noise.json.
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
from spectrogenre.steady import SteadyNoiseRule, steadiness_db
from tests.synth import band_limited, colored_noise, hum, sine

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
    return out


def measure(libraries: list[Path], rule: SteadyNoiseRule) -> dict:
    report = {}
    for sr in RATES:
        values: dict[str, list[float]] = {}
        for library in libraries:
            for path in sorted(p for p in library.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS):
                source = f"{library.name}/{path.relative_to(library).parts[0]}"
                for clip in windows(quantise_16bit(read_mono(path, sample_rate=sr)), sr):
                    values.setdefault(source, []).append(steadiness_db(clip, sr, rule))
        for source, clips in noises(sr).items():
            values[source] = [steadiness_db(quantise_16bit(clip), sr, rule) for clip in clips]
        report[str(sr)] = {source: {"windows": len(v), "min_db": round(min(v), 3),
                                    "p01_db": round(float(np.percentile(v, 1)), 3),
                                    "called_noise": sum(x < rule.below_db for x in v)} for source, v in values.items()}
    return report


def main(argv: list[str]) -> None:
    libraries = [Path(a) for a in argv] or [p for p in DEFAULT_LIBRARIES if p.is_dir()]
    rule = SteadyNoiseRule()
    report = {"rule": rule.__dict__, "libraries": [str(p) for p in libraries], "by_rate": measure(libraries, rule)}
    for sr, sources in report["by_rate"].items():
        print(f"{sr} Hz: source, windows, lowest and 1st percentile steadiness (dB), called noise (< {rule.below_db})")
        for source, row in sources.items():
            print(f"  {source:32} {row['windows']:5} {row['min_db']:7.2f} {row['p01_db']:7.2f} {row['called_noise']:5}")
    (ROOT / "bench/steady_noise.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
