"""Human-looking, filesystem-safe album and track titles drawn from small word lists."""

from __future__ import annotations

import numpy as np

_ADJECTIVES = (
    "Smoky", "Silver", "Midnight", "Golden", "Quiet", "Broken", "Electric", "Velvet", "Distant", "Crimson",
    "Hollow", "Restless", "Amber", "Northern", "Paper", "Burning", "Frozen", "Lonely", "Wild", "Faded",
    "Secret", "Heavy", "Gentle", "Neon", "Rusty", "Endless", "Sunday", "Lucky", "Copper", "Blue",
)
_NOUNS = (
    "Room", "River", "Highway", "Garden", "Signal", "Harbor", "Engine", "Mirror", "Lantern", "Station",
    "Window", "Orchard", "Circuit", "Avenue", "Horizon", "Canyon", "Letter", "Parade", "Island", "Machine",
    "Shadow", "Winter", "Echo", "Thunder", "Market", "Kingdom", "Satellite", "Storm", "Bridge", "Meadow",
)


def _titles(rng: np.random.Generator, count: int) -> list[str]:
    """`count` distinct "Adjective Noun" titles."""
    pairs = rng.choice(len(_ADJECTIVES) * len(_NOUNS), size=count, replace=False)
    return [f"{_ADJECTIVES[p // len(_NOUNS)]} {_NOUNS[p % len(_NOUNS)]}" for p in pairs]


def album_folder(index: int, rng: np.random.Generator) -> str:
    """Folder name of album `index` (0-based), e.g. "Album 03 - Smoky Room"."""
    return f"Album {index + 1:02d} - {_titles(rng, 1)[0]}"


def track_titles(count: int, rng: np.random.Generator) -> list[str]:
    """File stems of an album's tracks, e.g. ["01 Quiet Harbor", "02 Neon Engine"]."""
    return [f"{i + 1:02d} {title}" for i, title in enumerate(_titles(rng, count))]
