"""What every recipe shares: the album style, the song frame, stem mixing and song form.

A recipe is a function `render(style, *, seconds, sr, rng) -> (n, 2)` that returns
the music of one track (no leading/trailing silence, not yet normalised).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from spectrogenre.demo import synth
from spectrogenre.demo.sequencer import Note, Timing, humanise, pattern_beats, render_hits, render_notes

# Music is synthesised and mixed at MIX_SR and resampled to each file's rate at the end:
# the genre model listens at 22050 Hz, and it halves the synthesis time. Keys, guitars
# and voices are rendered at MID_SR; bass, pads, strings and the reverb at LOW_SR, as
# nothing they play is above ~5 kHz.
MIX_SR = 22050
MID_SR = 22050
LOW_SR = 11025
REVERB_SR = 11025


@dataclass(frozen=True)
class Style:
    """Everything that makes one album sound like itself.

    tempo: bpm; tonic: MIDI note of the key's root (octave chosen by each part);
    minor: mode flag for genres that use both; swing: off-beat position (0.5 = straight);
    brightness, drive, space, width: 0..1 timbre/mix knobs; tilt_db: master EQ tilt;
    variant: which of the genre's pattern variants the album plays; mix: per-stem dB offsets.
    """

    genre: str
    tempo: float
    tonic: int
    minor: bool
    swing: float
    brightness: float
    drive: float
    space: float
    width: float
    tilt_db: float
    variant: int
    mix: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class GenreSpec:
    """The ranges an album of a genre is drawn from, and the genre's renderer.

    tempo: centre bpm, spread: relative half-range of album tempos; tonic_low/high:
    MIDI range of album keys; swing: (low, high) off-beat position; minor_share: how
    many albums are in minor; stems: names whose level the albums vary.
    """

    name: str
    tempo: float
    spread: float
    tonic_low: int
    tonic_high: int
    swing: tuple[float, float]
    minor_share: float
    stems: tuple[str, ...]
    render: Callable[..., np.ndarray]
    variants: int = 3


def sample_style(spec: GenreSpec, rng: np.random.Generator) -> Style:
    """Draw one album's style from the genre's ranges."""
    return Style(
        genre=spec.name,
        tempo=float(spec.tempo * rng.uniform(1.0 - spec.spread, 1.0 + spec.spread)),
        tonic=int(rng.integers(spec.tonic_low, spec.tonic_high + 1)),
        minor=bool(rng.random() < spec.minor_share),
        swing=float(rng.uniform(*spec.swing)),
        brightness=float(rng.uniform(0.0, 1.0)),
        drive=float(rng.uniform(0.0, 1.0)),
        space=float(rng.uniform(0.0, 1.0)),
        width=float(rng.uniform(0.4, 1.0)),
        tilt_db=float(rng.uniform(-2.5, 2.5)),
        variant=int(rng.integers(0, spec.variants)),
        mix={stem: float(rng.normal(0.0, 1.5)) for stem in spec.stems},
    )


def track_style(style: Style, rng: np.random.Generator) -> Style:
    """One track's variation of its album's style: tempo within 2 %, sometimes another key."""
    shift = int(rng.choice([0, 0, 0, 2, -2, 5]))
    return replace(style, tempo=style.tempo * float(rng.uniform(0.98, 1.02)), tonic=style.tonic + shift)


@dataclass(frozen=True)
class Song:
    """The frame a recipe writes into: timing, rate, length in samples and bars."""

    timing: Timing
    sr: int
    n: int

    @classmethod
    def make(cls, timing: Timing, *, seconds: float, sr: int) -> Song:
        return cls(timing=timing, sr=sr, n=int(round(seconds * sr)))

    @property
    def n_bars(self) -> int:
        """Bars needed to cover the track (the last may be cut short)."""
        return int(np.ceil(self.n / self.sr / self.timing.bar_seconds)) + 1

    def t(self, beats: float | np.ndarray) -> np.ndarray:
        """Seconds of beat positions, swing included."""
        return self.timing.seconds(beats)

    def bar_start(self, bar: int) -> float:
        return bar * self.timing.bar_seconds


@dataclass(frozen=True)
class Stem:
    """One mixed part. audio: (n,) mono, panned by `pan`, or (n, 2) stereo; gain_db is the
    recipe's level (the album's offset for `name` is added); send: reverb send 0..1."""

    name: str
    audio: np.ndarray
    gain_db: float = 0.0
    pan: float = 0.0
    send: float = 0.0


def hits(song: Song, sample: np.ndarray, pattern: str, bars: Sequence[int], rng: np.random.Generator, *,
         gain: float = 1.0, jitter: float = 0.004, pattern_bars: int = 1) -> np.ndarray:
    """Drum part (n,) at the song rate: `sample` played on `pattern` in every listed bar.

    A pattern may span `pattern_bars` bars (its steps are then spread over them); it
    starts over on bars that are multiples of `pattern_bars`.
    """
    beats_per_bar = song.timing.beats_per_bar
    starts = sorted({b - b % pattern_bars for b in bars})
    beats, vels = pattern_beats(pattern, [s // pattern_bars for s in starts],
                                beats_per_bar=beats_per_bar * pattern_bars)
    keep = np.isin(np.floor(beats / beats_per_bar).astype(int), list(bars))
    times, vels = humanise(song.t(beats[keep]), vels[keep] * gain, rng, jitter=jitter)
    return render_hits(sample, times, vels, n=song.n, sr=song.sr)


def render_at(song: Song, notes: Sequence[Note], voice: Callable[[np.ndarray, int, int], np.ndarray], *,
              rate: int) -> np.ndarray:
    """Pitched part synthesised at `rate` Hz, covering the song: shape (length_at(n, sr, rate),).

    `voice(freqs_hz, length_samples, rate)` renders one note.
    """
    n = length_at(song.n, song.sr, rate)
    return render_notes(notes, lambda freqs, m: voice(freqs, m, rate), n=n, sr=rate)


def notes_at(song: Song, notes: Sequence[Note], voice: Callable[[np.ndarray, int, int], np.ndarray], *,
             rate: int, post: Callable[[np.ndarray, int], np.ndarray] | None = None) -> np.ndarray:
    """Pitched part (n,) at the song rate: synthesised at `rate` Hz (see render_at), then
    processed by `post(audio, rate)` (filters are cheaper at the low rate), then resampled."""
    audio = render_at(song, notes, voice, rate=rate)
    if post is not None:
        audio = post(audio, rate)
    return synth.resample(audio, rate, song.sr, n=song.n)


def length_at(n: int, sr: int, rate: int) -> int:
    """Samples needed at `rate` to cover n samples at `sr`."""
    return int(np.ceil(n * rate / sr))


def form(n_bars: int, *, intro: Sequence[tuple[str, int]], loop: Sequence[tuple[str, int]]) -> list[str]:
    """Section name of every bar: the intro once, then the loop repeated until n_bars."""
    names = [name for name, length in intro for _ in range(length)]
    while len(names) < n_bars:
        names += [name for name, length in loop for _ in range(length)]
    return names[:n_bars]


def bars_of(sections: Sequence[str], *names: str) -> list[int]:
    """Indices of the bars whose section is one of `names`."""
    return [i for i, s in enumerate(sections) if s in names]


def mixdown(stems: Sequence[Stem], *, style: Style, sr: int, rng: np.random.Generator,
            reverb_seconds: float = 1.5, damping: float = 3500.0) -> np.ndarray:
    """Sum stems to stereo (n, 2), with a shared reverb whose level is the album's `space`."""
    n = len(stems[0].audio)
    out = np.zeros((2, n))  # channel-first keeps each channel contiguous while summing
    send = np.zeros(n)
    for stem in stems:
        gain = float(synth.db_to_gain(stem.gain_db + style.mix.get(stem.name, 0.0)))
        if stem.audio.ndim == 2:
            out += gain * stem.audio.T
            mono = stem.audio.mean(axis=1)
        else:
            left, right = synth.pan_gains(stem.pan * style.width)
            out[0] += (gain * left) * stem.audio
            out[1] += (gain * right) * stem.audio
            mono = stem.audio
        if stem.send > 0:
            send += (stem.send * gain) * mono
    if send.any():
        # Reverb tails are dark anyway: convolve at a low rate to keep it cheap.
        low = synth.resample(send, sr, REVERB_SR, n=length_at(n, sr, REVERB_SR))
        wet = synth.reverb(low, REVERB_SR, rng, seconds=reverb_seconds, damping=damping)
        out += (0.15 + 0.5 * style.space) * synth.resample(wet, REVERB_SR, sr, n=n).T
    return out.T
