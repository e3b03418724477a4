"""Record tests/golden/musicnn_msd.npz: the original musicnn's MSD_musicnn outputs on synthetic audio.

The original is TF1 graph code and stays out of the product; run this once, in a
test-only venv (the product's venv has no tf-keras):

    python3 -m venv /tmp/musicnn-venv
    /tmp/musicnn-venv/bin/pip install --no-deps musicnn "tf-keras==2.21.*"
    /tmp/musicnn-venv/bin/pip install "tensorflow-cpu==2.21.*" librosa==0.11.* soundfile
    TF_USE_LEGACY_KERAS=1 /tmp/musicnn-venv/bin/python tools/musicnn_golden.py

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

GOLDEN = ROOT / "tests" / "golden" / "musicnn_msd.npz"
SECONDS, SEED, SR = 10.0, 0, 16000
PROBE_STEP = 1000  # every 1000th sample is stored, to check that the test regenerates the same audio


def main() -> None:
    import librosa
    import tensorflow as tf
    from musicnn import configuration, extractor  # TF1 graph code: imported here only (it disables eager mode)

    extractor.np = types.SimpleNamespace(**{**vars(np), "float16": np.float32})  # see the docstring
    configuration.BATCH_SIZE = 1024  # all patches in one call: see the docstring
    audio = chirp_and_noise(SECONDS, sr=SR, seed=SEED)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "chirp.wav"
        sf.write(wav, audio, SR, subtype="FLOAT")  # read back bit-exact, at 16 kHz: no resampling
        # A failed restore inside the extractor is silent (random weights): the test would then fail, not pass.
        taggram, _, features = extractor.extractor(str(wav), model="MSD_musicnn", extract_features=True)
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        GOLDEN, seconds=SECONDS, seed=SEED, sample_rate=SR, probe_step=PROBE_STEP,
        audio_probe=audio[::PROBE_STEP], embedding=features["penultimate"].astype(np.float32),
        taggram=taggram.astype(np.float32),
        recorded_with=np.array([f"musicnn {version('musicnn')}", f"tensorflow {tf.__version__}",
                                f"librosa {librosa.__version__}"]))
    print(f"{GOLDEN}: {len(taggram)} patches, {GOLDEN.stat().st_size} bytes")


if __name__ == "__main__":
    main()
