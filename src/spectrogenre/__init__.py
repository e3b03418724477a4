"""spectrogenre: turn a music library sorted by genre into a 15-second genre recogniser."""

import os

__version__ = "0.1.0"

# Quiet by default (see spectrogenre.quiet): TensorFlow's C++ INFO and WARNING lines (oneDNN, absl) are
# filtered from the first import, before any module imports TensorFlow; SPECTROGENRE_VERBOSE=1 keeps them.
if os.environ.get("SPECTROGENRE_VERBOSE", "") in ("", "0"):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
