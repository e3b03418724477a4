"""A deterministic demo music library, synthesised locally so a fresh clone runs end to end.

`generate_demo_library(root)` writes nine genres of albums of short tracks as MP3, FLAC
and WAV files; see `library` for the layout and `genres` for the musical recipes.
"""

from spectrogenre.demo.library import GENRES, generate_demo_library

__all__ = ["GENRES", "generate_demo_library"]
