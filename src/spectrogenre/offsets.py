"""Training clips cut at random offsets of the trimmed audio, new ones every epoch.

Each split group (album) gives as many clips per epoch as the fixed cuts gave it, each
starting at a uniformly random position of the group's trimmed audio (so clips still never
cross a group, and the split stays group-disjoint), read from the concatenated genre files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from spectrogenre.clip import clip_at, group_segments
from spectrogenre.features import clip_audio
from spectrogenre.files import read_csv
from spectrogenre.frontend import Frontend, log_spectrogram


class RandomOffsetClips:
    """The training groups' trimmed audio, from which each epoch draws clips at random offsets.

    clips: the fixed training clips (columns clip_id, genre_file, group, label): which groups, how
    many clips each, and their genre numbers.
    """

    def __init__(self, concat_dir: Path, trim_dir: Path, clips: pd.DataFrame, frontend: Frontend):
        self.concat_dir, self.trim_dir, self.frontend, self.clips = Path(concat_dir), Path(trim_dir), frontend, clips
        segments = group_segments(read_csv(self.concat_dir / "index.csv", dtype={"group": str, "track": str}),
                                  read_csv(Path(trim_dir) / "kept.csv"))
        counts = clips.groupby(["genre_file", "group"], sort=True).agg(clips=("label", "size"), label=("label", "first"))
        self.groups = [(key, segments[key], int(row.clips), int(row.label)) for key, row in counts.iterrows()]
        self.n_clips = int(counts["clips"].sum())

    def subset(self, clip_ids) -> RandomOffsetClips:
        """The same for some of the clips (a fold of whole groups: each keeps its audio and clip count)."""
        return RandomOffsetClips(self.concat_dir, self.trim_dir, self.clips[self.clips["clip_id"].isin(clip_ids)],
                                 self.frontend)

    def draw(self, rng: np.random.Generator) -> list[tuple[str, np.ndarray, int]]:
        """One epoch's clips, shuffled: (genre_file, source intervals (m, 2), label)."""
        drawn = []
        samples = self.frontend.clip_samples
        for (genre_file, _), segments, count, label in self.groups:
            total = int((segments[:, 1] - segments[:, 0]).sum())
            for start in rng.integers(0, total - samples + 1, size=count):
                drawn.append((genre_file, clip_at(segments, int(start), clip_samples=samples), label))
        return [drawn[i] for i in rng.permutation(len(drawn))]

    def batches(self, rng: np.random.Generator, *, batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch as (log spectrograms float32 (b, *shape), labels int32 (b,)) batches."""
        drawn = self.draw(rng)
        handles: dict[str, sf.SoundFile] = {}
        try:
            for first in range(0, len(drawn), batch_size):
                batch = drawn[first: first + batch_size]
                for genre_file, _, _ in batch:
                    if genre_file not in handles:
                        handles[genre_file] = sf.SoundFile(str(self.concat_dir / genre_file))
                audio = np.stack([clip_audio(handles[g], parts) for g, parts, _ in batch])
                # rounded through float16 as the stored features are, so both inputs have the same steps
                x = log_spectrogram(audio, self.frontend).astype(np.float16).astype(np.float32)
                yield x, np.array([label for _, _, label in batch], dtype=np.int32)
        finally:
            for handle in handles.values():
                handle.close()


def offsets_for_training(concat_dir: Path, trim_dir: Path, clips_dir: Path,
                         frontend: Frontend) -> Callable[[pd.DataFrame], RandomOffsetClips]:
    """A function of a split's or a fold's training clips (clip_id, group, label) giving their RandomOffsetClips.

    Each clip's genre file (the audio its group lies in) comes from the clip stage's clips.csv.
    """
    genre_files = read_csv(Path(clips_dir) / "clips.csv")[["clip_id", "genre_file"]]

    def offsets_for(training: pd.DataFrame) -> RandomOffsetClips:
        return RandomOffsetClips(concat_dir, trim_dir, training.merge(genre_files, on="clip_id"), frontend)

    return offsets_for
