"""What a model kind declares: the interface the train, crossval, export and scan stages and params use.

A kind's module builds one ModelKind; kinds/__init__.py registers it. Declarations are light:
a kind imports TensorFlow inside its functions, so params and scan load the registry in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from spectrogenre.frontend import Frontend


def same_frontend(frontend: Frontend) -> Frontend:
    return frontend


def nothing_missing() -> str | None:
    return None


def tflite(model, *, quantise: bool) -> bytes:
    """The Keras model as a TFLite flatbuffer (float, or with int8 weights): what every kind here exports."""
    from spectrogenre.export import to_tflite

    return to_tflite(model, quantise=quantise)


@dataclass(frozen=True)
class ModelKind:
    """One model kind.

    fit: with an `extractor`, fit(model_params, train_params, *, extractor, backbone, train, val, groups,
    n_genres, input_shape, live_dir) on the extractor's cached features of the train and val
    clips ((features, labels) each; groups: each clip's split group); without one, fit(model_params,
    train_params, *, train_paths, val_paths, groups, input_shape, n_genres, live_dir, offsets) on the
    feature chunks. Either returns a Fitted whose model maps a log spectrogram to genre probabilities.
    extractor(model_params, frontend, input_shape) -> (frozen feature model, backbone or None): the part
    run once per clip (crossval reuses it for every fold).
    frontend: the front end the kind reads, given params.yaml's (a pretrained kind fixes its own).
    requirement: what this machine lacks for the kind, with the fix, or None (the scan stage checks it).
    export: the fitted Keras model as the file every inference path runs.
    """

    name: str
    description: str
    fit: Callable
    extractor: Callable | None = None
    frontend: Callable[[Frontend], Frontend] = same_frontend
    requirement: Callable[[], str | None] = nothing_missing
    export: Callable[..., bytes] = tflite
