"""spectrogenre: turn a music library sorted by genre into a 15-second genre recogniser."""

__version__ = "0.1.0"
