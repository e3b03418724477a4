"""musicnn (Pons and Serra, 2019) pretrained on the Million Song Dataset, frozen: its per-3 s-patch features
(model.layers: the 200-d embedding, mid-end, taggram, and the wheel's second network MSD_vgg) pooled over a
clip's patches (model.pooling), and a logistic-regression (or MLP: model.head) head fitted on clips or on
whole tracks (model.pool_over). With `model.fine_tune` its top layers (dense 200 and its batch norms) train
with the head. It brings its own front end (16 kHz, 96-band log-mel) and needs the `musicnn` package's
checkpoint files."""

from __future__ import annotations

import time

import numpy as np

from spectrogenre.frontend import Frontend
from spectrogenre.kinds.base import ModelKind
from spectrogenre.params import ModelParams, TrainParams

FINE_TUNE_RATE = 0.1  # fine-tuning pretrained layers: train.learning_rate x this


def frontend(params_frontend: Frontend) -> Frontend:
    """musicnn's own front end (its rate and log-mel, each clip normalised to -26 dBFS RMS), at params.yaml's clip
    length: its pretrained weights fix the rest."""
    return Frontend.musicnn(clip_seconds=params_frontend.clip_seconds)


def requirement() -> str | None:
    from spectrogenre.musicnn.weights import MusicnnWeightsError, installed_checkpoint

    try:
        installed_checkpoint()
    except MusicnnWeightsError as err:
        return f"model.kind musicnn: {err}"
    return None


def extractor(model: ModelParams, frontend: Frontend, input_shape: tuple[int, int]):
    """(log-mel -> clip features (model.layers pooled by model.pooling; (200,) by default), or each patch's
    pooled mid-end features to fine-tune on; the backbone)."""
    from spectrogenre.musicnn.checkpoint import load_musicnn
    from spectrogenre.musicnn.classifier import clip_embedder, pooled_patches
    from spectrogenre.musicnn.vgg import load_vgg

    backbone = load_musicnn()
    if model.fine_tune:
        return pooled_patches(input_shape, backbone), backbone
    vgg = load_vgg() if "vgg" in model.layer_names else None
    return clip_embedder(input_shape, backbone, names=model.layer_names, pooling=model.pooling, vgg=vgg), backbone


def fit(model: ModelParams, params: TrainParams, *, extractor, backbone, train, val, groups, n_genres, input_shape,
        live_dir, tracks=None):
    if not model.fine_tune:
        from spectrogenre.fitting import fit_frozen_head

        by_track = {}
        if model.pool_over == "track":
            if tracks is None:
                raise ValueError("model.pool_over track needs each clip's track")
            by_track = {"examples_of": _track_examples(np.concatenate(tracks), pooling=model.pooling),
                        "fitted_on": "train + val tracks, each pooled over all its patches"}
        return fit_frozen_head(model.kind, params, extractor=extractor, train=train, val=val, groups=groups,
                               n_genres=n_genres, live_dir=live_dir, head=model.head,
                               balance=model.balance == "groups", **by_track)
    return _fine_tune(params, pooling=model.pooling, balance=model.balance == "groups", backbone=backbone,
                      train=train, val=val, groups=groups, n_genres=n_genres, input_shape=input_shape,
                      live_dir=live_dir, started=time.perf_counter())


def _track_examples(tracks: np.ndarray, *, pooling: str):
    """fit_frozen_head's examples_of: the chosen clips' features pooled per track (one example per track), with
    each track's group."""
    import pandas as pd

    from spectrogenre.musicnn.classifier import track_statistics

    def examples_of(features, labels, groups, rows):
        pooled, track_labels = track_statistics(features[rows], labels[rows], tracks[rows], pooling=pooling)
        return pooled, track_labels, pd.Series(groups[rows]).groupby(tracks[rows], sort=True).first().to_numpy()

    return examples_of


def _trainer(backbone, start, *, n_patches: int, n_genres: int, params: TrainParams, pooling: str):
    """musicnn's top layers (a fresh copy of the backbone's) and a genre layer that starts as `start`, compiled."""
    import keras

    from spectrogenre.musicnn.classifier import top_layers

    top = top_layers(backbone, n_patches=n_patches, pooling=pooling)
    inputs = keras.Input(shape=(n_patches, top.input.shape[-1]), name="pooled_patches")
    x = keras.layers.Normalization(axis=-1, mean=start.mean, variance=np.square(start.scale),
                                   name="standardise_features")(top(inputs))
    genre = keras.layers.Dense(n_genres, activation="softmax", name="genre")
    trainer = keras.Model(inputs, genre(keras.layers.Dropout(0.5)(x)), name="musicnn_top_and_head")
    genre.set_weights([start.weights, start.bias])
    trainer.compile(optimizer=keras.optimizers.Adam(params.learning_rate * FINE_TUNE_RATE),
                    loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return trainer


def _fine_tune(params: TrainParams, *, pooling: str, balance: bool, backbone, train, val, groups, n_genres,
               input_shape, live_dir, started):
    """musicnn's top layers (pooled batch norm, dense 200, embedding batch norm) and a logistic head, trained
    together on the cached pooled patches of train + val; the head starts from the frozen embeddings' logistic
    regression (C by grouped cross-validation). The number of epochs is chosen by grouped cross-validation
    over the same clips (fitting.epochs_by_grouped_cv), then the training reruns on all of them for that many.
    With `balance`, every clip's loss weighs as heads.group_balance says, within the training rows."""
    import keras
    import tensorflow as tf

    from spectrogenre.fitting import (
        Fitted,
        KerasFold,
        epoch_folds,
        epochs_by_grouped_cv,
    )
    from spectrogenre.heads import (
        WEIGHED,
        LogisticHead,
        attach_head,
        choose_c,
        fit_logistic_head,
        group_balance,
    )
    from spectrogenre.musicnn.classifier import (
        clip_embedder,
        top_layers,
        write_top_weights,
    )

    n_patches = train[0].shape[1]
    features, labels = np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]])
    all_groups = np.concatenate(groups)
    embedded = top_layers(backbone, n_patches=n_patches, pooling=pooling).predict(features, verbose=0)
    choice = choose_c(embedded, labels, all_groups, n_genres=n_genres, seed=params.seed, balance=balance)
    weights_of = lambda rows: (group_balance(labels[rows], all_groups[rows]) if balance
                               else np.ones(int(rows.sum()))).astype(np.float32)

    def trainer_from(rows: np.ndarray):
        start = fit_logistic_head(embedded[rows], labels[rows], n_genres=n_genres, c=choice.c,
                                  weights=weights_of(rows) if balance else None)
        return _trainer(backbone, start, n_patches=n_patches, n_genres=n_genres, params=params, pooling=pooling), start

    def batches(rows: np.ndarray):  # (pooled patches, label, weight) of the rows, shuffled
        part = (features[rows], labels[rows], weights_of(rows))
        return tf.data.Dataset.from_tensor_slices(part).shuffle(len(part[1]), seed=params.seed).batch(params.batch_size)

    folds = []
    for held in epoch_folds(labels, all_groups, params=params):
        keras.utils.set_random_seed(params.seed)
        folds.append(KerasFold(trainer_from(~held)[0], batches(~held),
                               lambda model, held=held: (model.predict(features[held], verbose=0), labels[held])))
    summary, held_out = epochs_by_grouped_cv(folds, params=params, live_dir=live_dir)

    keras.utils.set_random_seed(params.seed)  # the same training on every clip, for the chosen epochs
    every = np.ones(len(labels), bool)
    trainer, start = trainer_from(every)
    trainer.fit(batches(every), epochs=summary["best_epoch"], shuffle=False, verbose=0)
    tuned = keras.models.clone_model(backbone)  # the shared backbone stays pretrained (crossval's next fold)
    tuned.set_weights(backbone.get_weights())
    write_top_weights(trainer.get_layer("musicnn_top"), tuned)
    weights, bias = trainer.get_layer("genre").get_weights()
    head = LogisticHead(mean=start.mean, scale=start.scale, weights=weights, bias=bias)
    model = attach_head(clip_embedder(input_shape, tuned, pooling=pooling), head, name="musicnn_fine_tuned")
    summary |= {"head_c": choice.c, "fitted_on": f"train + val clips, {summary['best_epoch']} epochs",
                "weighed": WEIGHED[balance]}
    return Fitted(model, summary | {"train_seconds": round(time.perf_counter() - started, 1)},
                  lambda features: trainer.predict(features, verbose=0), held_out=held_out)

KIND = ModelKind(name="musicnn", description="pretrained musicnn's clip embedding + a logistic head (frozen; its top "
                 "layers fine-tuned too with model.fine_tune)", fit=fit, extractor=extractor, frontend=frontend,
                 requirement=requirement)
