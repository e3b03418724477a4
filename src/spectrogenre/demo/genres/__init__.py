"""Per-genre recipes: each module turns an album `Style` into the music of one track.

`SPECS` maps a genre name to its `GenreSpec` (style ranges and renderer).
"""

from __future__ import annotations

from spectrogenre.demo.genres import blues, classical, dubstep, house, jazz, metal, poppunk, rap, reggae
from spectrogenre.demo.genres.base import GenreSpec, Style, sample_style, track_style

SPECS: dict[str, GenreSpec] = {
    spec.name: spec
    for spec in (blues.SPEC, classical.SPEC, dubstep.SPEC, house.SPEC, jazz.SPEC, metal.SPEC, poppunk.SPEC, rap.SPEC,
                 reggae.SPEC)
}

__all__ = ["SPECS", "GenreSpec", "Style", "sample_style", "track_style"]
