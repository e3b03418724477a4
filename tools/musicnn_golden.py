"""Record the original musicnn's outputs on synthetic audio, for the Keras ports' tests.

- tests/golden/musicnn_msd.npz: MSD_musicnn's taggram and penultimate embedding;
- tests/golden/musicnn_msd_vgg.npz: MSD_vgg's taggram and its last two pooling layers.

The original is TF1 graph code and stays out of the product; run this once, in a
test-only venv (the product's venv has no tf-keras):

    python3 -m venv /tmp/musicnn-venv
    /tmp/musicnn-venv/bin/pip install --no-deps musicnn "tf-keras==2.21.*"
    /tmp/musicnn-venv/bin/pip install "tensorflow-cpu==2.21.*" librosa==0.11.* soundfile
    TF_USE_LEGACY_KERAS=1 /tmp/musicnn-venv/bin/python tools/musicnn_golden.py [MSD_musicnn] [MSD_vgg]

With no argument it records both.

Two changes to the original, both outside its network:
- it casts the mel power to float16 before the log, which loses precision (and
  overflows on loud music); the port computes in float32, so the cast is float32 here;
- its extractor runs one patch per session call and, from the second call on, appends
  the first call's features again (0.1.0's bug, jordipons/musicnn issues 2 and 20: every
  'penultimate' row equals the first; the taggram is right); one call with all patches
  returns the true features.
tests/musicnn/test_port.py compares the port with the result.
"""

from __future__ import annotations

import sys
import tempfile
import types
from importlib.metadata import version
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.musicnn.chirp: the same input the test regenerates

from tests.musicnn.chirp import chirp_and_noise  # noqa: E402

GOLDEN_DIR = ROOT / "tests" / "golden"
SECONDS, SEED, SR = 10.0, 0, 16000
PROBE_STEP = 1000  # every 1000th sample is stored, to check that the test regenerates the same audio


def original_outputs(model: str) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], list[str]]:
    """The original extractor's (audio, taggram, features) on the chirp, and the versions that computed them."""
    import librosa
    import tensorflow as tf
    from musicnn import configuration, extractor  # TF1 graph code: imported here only (it disables eager mode)

    extractor.np = types.SimpleNamespace(**{**vars(np), "float16": np.float32})  # see the docstring
    configuration.BATCH_SIZE = 1024  # all patches in one call: see the docstring
    audio = chirp_and_noise(SECONDS, sr=SR, seed=SEED)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "chirp.wav"
        sf.write(wav, audio, SR, subtype="FLOAT")  # read back bit-exact, at 16 kHz: no resampling
        taggram, _, features = extractor.extractor(str(wav), model=model, extract_features=True)
    recorded_with = [f"musicnn {version('musicnn')}", f"tensorflow {tf.__version__}", f"librosa {librosa.__version__}"]
    return audio, taggram, features, recorded_with


def save(name: str, audio: np.ndarray, recorded_with: list[str], **outputs: np.ndarray) -> None:
    """Store the outputs as float32 with what the test needs to regenerate the input."""
    path = GOLDEN_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path, seconds=SECONDS, seed=SEED, sample_rate=SR, probe_step=PROBE_STEP, audio_probe=audio[::PROBE_STEP],
        **{key: value.astype(np.float32) for key, value in outputs.items()}, recorded_with=np.array(recorded_with))
    print(f"{path}: {len(outputs['taggram'])} patches, {path.stat().st_size} bytes")


def record_msd_musicnn() -> None:
    """MSD_musicnn: the taggram and the penultimate layer, the embedding the product uses."""
    # A failed restore inside the extractor is silent (random weights): the test would then fail, not pass.
    audio, taggram, features, recorded_with = original_outputs("MSD_musicnn")
    save("musicnn_msd.npz", audio, recorded_with, embedding=features["penultimate"], taggram=taggram)


def record_msd_vgg() -> None:
    """MSD_vgg: the taggram and pool4, pool5 (np.squeeze'd by the extractor); pool1-3 are larger, and feed pool4."""
    # Here a failed restore raises ("MSD_vgg model is still training").
    audio, taggram, features, recorded_with = original_outputs("MSD_vgg")
    save("musicnn_msd_vgg.npz", audio, recorded_with, taggram=taggram, pool4=features["pool4"], pool5=features["pool5"])


RECORDERS = {"MSD_musicnn": record_msd_musicnn, "MSD_vgg": record_msd_vgg}


def main(models: list[str]) -> None:
    unknown = sorted(set(models) - set(RECORDERS))
    if unknown:
        raise SystemExit(f"unknown model(s) {unknown}: choose from {sorted(RECORDERS)}")
    for model in models or RECORDERS:
        RECORDERS[model]()


if __name__ == "__main__":
    main(sys.argv[1:])
