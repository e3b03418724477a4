"""params.yaml as frozen, typed dataclasses: one section per stage, unknown keys fail early."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from spectrogenre.errors import ParamsError
from spectrogenre.frontend import Frontend

LAYOUTS = ("folders", "flat", "tags", "manifest")


@dataclass(frozen=True)
class SourceParams:
    """How the library names each track's genre, and which genre values count as each genre to learn.

    layout: folders (<genre>/<album>/<track>), flat (<genre>/<track>, groups from tags),
    tags (any tree, genre from each file's genre tag) or manifest (`library` is a CSV/TSV).
    genres: genre -> the values (folder names, tag values, manifest cells) that count as it,
    matched ignoring case, spaces and punctuation; empty: every value is its own genre.
    """

    layout: str = "folders"
    genres: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ParamsError(f"source.layout must be one of {LAYOUTS}, got {self.layout!r}")
        for genre, values in self.genres.items():
            if not isinstance(values, list) or not all(isinstance(v, (str, int, float)) for v in values):
                raise ParamsError(f"source.genres.{genre} must be a list of genre values (tag values, folder "
                                  f"names), e.g. [Hip-Hop, Rap]; got {values!r}")


@dataclass(frozen=True)
class DemoParams:
    """The generated demo library: `size` multiplies the albums per genre."""

    size: float = 1.0
    seed: int = 0
    albums_per_genre: int = 5
    tracks_per_album: int = 3


@dataclass(frozen=True)
class TrimParams:
    """Silence removal: runs quieter than `threshold_db` (RMS dBFS) longer than `min_silence_s` go."""

    enabled: bool = True
    min_silence_s: float = 1.0
    threshold_db: float = -50.0
    frame_seconds: float = 0.02

    def __post_init__(self):
        if self.min_silence_s < 0 or self.frame_seconds <= 0:
            raise ParamsError("trim.min_silence_s must be >= 0 and trim.frame_seconds > 0")

    def frame_length(self, sample_rate: int) -> int:
        """Samples per level frame at `sample_rate` (at least 1)."""
        return max(1, int(round(self.frame_seconds * sample_rate)))

    def min_silence_samples(self, sample_rate: int) -> int:
        return int(round(self.min_silence_s * sample_rate))


@dataclass(frozen=True)
class ClipParams:
    """Clips of frontend.clip_seconds start every `hop_seconds` of trimmed audio, within an album."""

    hop_seconds: float = 15.0

    def __post_init__(self):
        if self.hop_seconds <= 0:
            raise ParamsError(f"clip.hop_seconds must be positive, got {self.hop_seconds}")


@dataclass(frozen=True)
class FeaturesParams:
    """Spectrograms are stored as float16 in chunk files of at most `chunk_mb` MiB (training streams them)."""

    chunk_mb: float = 16.0


@dataclass(frozen=True)
class SplitParams:
    """Album-disjoint split ratios and the seed of the assignment and of the clips' order."""

    train: float = 0.7
    val: float = 0.15
    test: float = 0.15
    seed: int = 0

    def __post_init__(self):
        ratios = (self.train, self.val, self.test)
        if min(ratios) <= 0 or abs(sum(ratios) - 1) > 1e-6:
            raise ParamsError(f"split ratios must be positive and sum to 1, got {ratios}")

    @property
    def ratios(self) -> dict[str, float]:
        return {"train": self.train, "val": self.val, "test": self.test}


MUSICNN_LAYERS = ("embedding", "midend", "taggram", "vgg")
POOLINGS = ("mean", "mean_std")
POOL_OVER = ("clip", "track")
HEADS = ("logistic", "mlp")
BALANCES = ("clips", "groups")


@dataclass(frozen=True)
class ModelParams:
    """Which model kind (spectrogenre.kinds: the seed CNN, the MFCC-statistics baseline, pretrained musicnn...).

    A kind may bring its own front end (musicnn's); `fine_tune` also trains musicnn's top layers.
    Frozen musicnn's clip features are `layers` (MUSICNN_LAYERS joined by '+': its 200-d embedding,
    the 1506 max- and mean-pooled mid-end features, the 50-tag taggram; vgg: the 128 features of the wheel's
    second network, MSD_vgg) per 3 s patch, pooled over
    the clip's patches by `pooling` (mean, or mean and standard deviation); `pool_over: track` fits the head
    on those statistics over every patch of a track (one example per track), applied to each clip as
    before. Kinds with a frozen
    extractor put `head` on it (logistic regression or a small MLP), its L2 strength chosen by
    grouped cross-validation; `balance: groups` weighs each split group (album, else artist) the same within
    its genre in the head's fit (and in musicnn's fine-tuning), `clips` each clip.
    """

    kind: str = "seed_cnn"
    fine_tune: bool = False
    layers: str = "embedding"
    pooling: str = "mean_std"
    pool_over: str = "clip"
    head: str = "logistic"
    balance: str = "groups"

    def __post_init__(self):
        if not self.kind:
            raise ParamsError("model.kind must name a model kind")
        unknown = [name for name in self.layer_names if name not in MUSICNN_LAYERS]
        if unknown or not self.layer_names:
            raise ParamsError(f"model.layers must be musicnn layers joined by '+' ({', '.join(MUSICNN_LAYERS)}), "
                              f"got {self.layers!r}")
        if self.pooling not in POOLINGS:
            raise ParamsError(f"model.pooling must be one of {', '.join(POOLINGS)}, got {self.pooling!r}")
        if self.pool_over not in POOL_OVER:
            raise ParamsError(f"model.pool_over must be one of {', '.join(POOL_OVER)}, got {self.pool_over!r}")
        if self.head not in HEADS:
            raise ParamsError(f"model.head must be one of {', '.join(HEADS)}, got {self.head!r}")
        if self.balance not in BALANCES:
            raise ParamsError(f"model.balance must be one of {', '.join(BALANCES)}, got {self.balance!r}")
        if self.fine_tune and (self.layer_names != ("embedding",) or self.head != "logistic"
                               or self.pool_over != "clip"):
            raise ParamsError("model.fine_tune trains musicnn's embedding under a logistic head on clips: it takes "
                              "model.layers embedding, model.head logistic and model.pool_over clip")

    @property
    def layer_names(self) -> tuple[str, ...]:
        return tuple(name.strip() for name in self.layers.split("+") if name.strip())


@dataclass(frozen=True)
class TrainParams:
    """Training (seed CNN, musicnn fine-tuning): the number of epochs chosen by grouped cross-validation over
    `epoch_folds` folds of train + val (whole groups), with early stopping on their mean held-out accuracy
    after a warm-up (`patience` epochs without a gain above `min_delta`); then one refit on all of train + val
    for that many epochs. Augmentation (seed CNN).

    Augmentation, each off at its default: `random_offsets` draws each epoch's clips at
    random offsets of the trimmed audio instead of the fixed cuts; `gain_db` adds a
    random gain in [-gain_db, gain_db] dB per clip; `time_masks` / `freq_masks` mask
    that many bands of up to `time_mask_frames` frames / `freq_mask_bins` bins per clip;
    `mixup_alpha` > 0 mixes pairs of clips and their labels with Beta(alpha, alpha) weights.
    """

    seed: int = 0
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 0.001
    patience: int = 3
    start_from_epoch: int = 5
    min_delta: float = 0.005
    epoch_folds: int = 2
    shuffle_chunks: int = 2
    random_offsets: bool = False
    gain_db: float = 0.0
    time_masks: int = 0
    time_mask_frames: int = 20
    freq_masks: int = 0
    freq_mask_bins: int = 20
    mixup_alpha: float = 0.0

    def __post_init__(self):
        if self.epoch_folds < 2:
            raise ParamsError(f"train.epoch_folds must be at least 2 (folds of train + val that choose the number "
                              f"of epochs), got {self.epoch_folds}")
        for name in ("gain_db", "time_masks", "time_mask_frames", "freq_masks", "freq_mask_bins", "mixup_alpha"):
            if getattr(self, name) < 0:
                raise ParamsError(f"train.{name} must be >= 0, got {getattr(self, name)}")

    @property
    def augments(self) -> bool:
        """Whether any augmentation of the spectrogram batches is on (random offsets aside)."""
        return bool(self.gain_db or self.time_masks or self.freq_masks or self.mixup_alpha)


CROSSVAL_GROUPS = ("auto", "album", "artist")


@dataclass(frozen=True)
class CrossvalParams:
    """Grouped k-fold cross-validation (0 folds: off). Folds never share an album, nor an artist
    with `group` artist (needs every track's artist tag); auto takes artists where every track has one."""

    folds: int = 0
    group: str = "auto"
    seed: int = 0

    def __post_init__(self):
        if self.folds == 1 or self.folds < 0:
            raise ParamsError(f"crossval.folds must be 0 (off) or at least 2, got {self.folds}")
        if self.group not in CROSSVAL_GROUPS:
            raise ParamsError(f"crossval.group must be one of {CROSSVAL_GROUPS}, got {self.group!r}")


@dataclass(frozen=True)
class ExportParams:
    """The float TFLite model must match Keras within `tolerance` on the test clips. The rest goes into
    spec.json, which predict, the server and the app all read: a track whose best genre's mean
    probability is below `unsure_below` is "unsure"; a song's windows start every `hop_seconds`; a
    recording up to `short_tolerance_s` shorter than a window is padded with silence, not refused; a
    window of which the silence rule (applied to the window alone) keeps less than `min_sound_fraction` is
    mostly silence, not classified (0: off); a window steadier than `steady_noise_below_db`, with a
    smaller share of tonal peaks than `tonal_noise_below`, or with a smaller share of rich frames (more than
    one or two tones) than `rich_noise_below`, is noise, not classified (steady.py; 0: off)."""

    tolerance: float = 1e-5
    unsure_below: float = 0.5
    hop_seconds: float = 7.5
    short_tolerance_s: float = 1.0
    min_sound_fraction: float = 0.5
    steady_noise_below_db: float = 0.75
    tonal_noise_below: float = 0.003
    rich_noise_below: float = 0.15

    def __post_init__(self):
        if not 0 <= self.unsure_below <= 1:
            raise ParamsError(f"export.unsure_below must be within [0, 1], got {self.unsure_below}")
        if self.hop_seconds <= 0 or self.short_tolerance_s < 0:
            raise ParamsError(f"export.hop_seconds must be > 0 and export.short_tolerance_s >= 0, got "
                              f"{self.hop_seconds} and {self.short_tolerance_s}")
        if not 0 <= self.min_sound_fraction <= 1:
            raise ParamsError(f"export.min_sound_fraction must be within [0, 1], got {self.min_sound_fraction}")
        if not 0 <= self.tonal_noise_below < 1:
            raise ParamsError(f"export.tonal_noise_below must be within [0, 1) (0: off), got {self.tonal_noise_below}")
        if not 0 <= self.rich_noise_below < 1:
            raise ParamsError(f"export.rich_noise_below must be within [0, 1) (0: off), got {self.rich_noise_below}")
        if self.steady_noise_below_db < 0:
            raise ParamsError(f"export.steady_noise_below_db must be >= 0 (0: off), got {self.steady_noise_below_db}")


@dataclass(frozen=True)
class Params:
    library: str
    source: SourceParams
    demo: DemoParams
    frontend: Frontend
    trim: TrimParams
    clip: ClipParams
    features: FeaturesParams
    split: SplitParams
    model: ModelParams
    train: TrainParams
    crossval: CrossvalParams
    export: ExportParams


def read_sections(path: Path = Path("params.yaml")) -> Params:
    """Read and validate params.yaml; raises ParamsError naming any bad or unknown key."""
    import yaml  # here: predict and serve use the dataclasses, never the file

    try:
        raw = yaml.safe_load(Path(path).read_text()) or {}
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found (run from the project root)") from None
    except UnicodeDecodeError:
        raise ParamsError(f"{path}: not a params file: it is not UTF-8 text") from None
    except yaml.YAMLError as err:
        raise ParamsError(f"{path}: not valid YAML ({err})") from None
    if not isinstance(raw, dict):
        # a text file given by mistake is valid YAML too: a str, whose letters would read as unknown keys
        raise ParamsError(f"{path}: not a params file: YAML holding a {type(raw).__name__}, not sections "
                          f"(source:, model:, ...)")
    return parse_sections(raw, source=str(path))


SECTIONS = {
    "source": SourceParams, "demo": DemoParams, "frontend": Frontend, "trim": TrimParams, "clip": ClipParams,
    "features": FeaturesParams, "split": SplitParams, "model": ModelParams, "train": TrainParams,
    "crossval": CrossvalParams, "export": ExportParams,
}


def parse_sections(raw: dict, *, source: str = "params") -> Params:
    unknown = set(raw) - set(SECTIONS) - {"library"}
    if unknown:
        raise ParamsError(f"{source}: unknown top-level keys {sorted(unknown)}; known: {sorted(SECTIONS) + ['library']}")
    if "library" not in raw:
        raise ParamsError(f"{source}: missing 'library' (path of the <genre>/<album>/<track> folders)")
    sections = {name: _section(cls, raw.get(name) or {}, name=name, source=source) for name, cls in SECTIONS.items()}
    # "~/Music" as a shell would read it: params.yaml reaches the stages through no shell
    return Params(library=os.path.expanduser(str(raw["library"])), **sections)


def _section(cls, values: dict, *, name: str, source: str):
    if not isinstance(values, dict):
        raise ParamsError(f"{source}: section '{name}' must be a mapping")
    declared = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(declared)
    if unknown:
        raise ParamsError(f"{source}: unknown keys in '{name}': {sorted(unknown)}; known: {sorted(declared)}")
    converted = {}
    for key, value in values.items():
        field_ = declared[key]
        default = field_.default if field_.default is not dataclasses.MISSING else field_.default_factory()
        converted[key] = _coerce(value, type(default), f"{name}.{key}", source)
    return cls(**converted)


def _coerce(value, kind: type, key: str, source: str):
    if kind is type(None):  # an optional number, off by default (frontend.normalise_dbfs)
        return None if value is None else _coerce(value, float, key, source)
    if kind is bool:
        if not isinstance(value, bool):
            raise ParamsError(f"{source}: {key} must be true or false, got {value!r}")
        return value
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamsError(f"{source}: {key} must be a number, got {value!r}")
        if kind is int and value != int(value):
            raise ParamsError(f"{source}: {key} must be a whole number, got {value!r}")
        return kind(value)
    if not isinstance(value, kind):
        raise ParamsError(f"{source}: {key} must be a {kind.__name__}, got {value!r}")
    return value
