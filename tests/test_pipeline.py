"""The whole pipeline through `dvc repro` on a tiny library, in a throw-away copy of the project."""

import json
import shutil
import sys

import numpy as np
import pandas as pd
import pytest

from tests.tiny_project import TARGETS, restore, run, write_params


@pytest.fixture
def restore_after(tiny_project):
    """Put the shared project back to its committed run after a test that changes it."""
    yield
    restore(tiny_project)


def test_repro_writes_metrics_models_and_a_clean_leak_report(tiny_project):
    metrics = json.loads((tiny_project / "data/evaluate/metrics.json").read_text())
    assert set(metrics["clip"]) == {"train", "val", "test"}
    # sine vs clicks vs noise: easy, even for 12 epochs on 2-second clips
    assert metrics["clip"]["test"]["accuracy"] >= 0.8
    assert metrics["track"]["test"]["tracks"] == 6  # 1 test album x 2 tracks x 3 genres
    assert set(metrics["test_per_genre"]) == {"Clicks", "Drone", "Noise"}
    assert json.loads((tiny_project / "data/split/leak_report.json").read_text())["disjoint"] is True
    # its library is its own: the demo stage wrote only a note where the demo library goes
    assert [path.name for path in (tiny_project / "data/demo_library").iterdir()] == ["NOT-GENERATED.txt"]
    spec = json.loads((tiny_project / "data/export/spec.json").read_text())
    assert spec["labels"] == ["Clicks", "Drone", "Noise"]
    assert spec["frontend"]["shape"] == [129, 126] and "mel_filterbank" not in spec["frontend"]  # an STFT's dB
    assert (spec["input"]["index"], spec["output"]["index"]) == (0, 0)
    assert (spec["windows"], spec["kind"]) == (
        {"hop_seconds": 7.5, "short_tolerance_s": 1.0, "min_sound_fraction": 0.5}, "seed_cnn")
    # the tiny project turns the three noise rules off (its genres are noises)
    assert (spec["steady_noise"]["below_db"], spec["steady_noise"]["tonal_below"], spec["steady_noise"]["rich_below"]) \
        == (0.0, 0.0, 0.0)
    assert len(spec["version"]) == 12 and int(spec["version"], 16) >= 0
    assert (tiny_project / "data/evaluate/confusion.csv").read_text().startswith("actual,predicted")
    assert (tiny_project / "data/train/live/plots/metrics/eval/accuracy.tsv").exists()


def test_float_tflite_matches_keras_within_1e_5_on_test_clips(tiny_project):
    import keras

    from spectrogenre.chunks import iter_batches
    from spectrogenre.litert import TFLiteModel

    dataset = json.loads((tiny_project / "data/features/dataset.json").read_text())
    keras_model = keras.models.load_model(tiny_project / "data/train/model.keras")
    tflite = TFLiteModel(tiny_project / "data/export/model.tflite")
    paths = [tiny_project / "data/features" / name for name in dataset["chunks"]["test"]]
    for x, _, _ in iter_batches(paths, batch_size=32):
        np.testing.assert_allclose(tflite.predict(x), keras_model.predict_on_batch(x), atol=1e-5)
    report = json.loads((tiny_project / "data/export/report.json").read_text())
    assert report["model.tflite"]["max_abs_diff"] <= 1e-5


def test_changing_min_silence_reruns_trim_and_after_but_not_concat(tiny_project, restore_after):
    write_params(tiny_project, trim={"min_silence_s": 2.0})
    status = run(["dvc", "status", "--json", "--with-deps", *TARGETS], tiny_project).stdout
    changed = set(json.loads(status))
    assert "trim" in changed and "concat" not in changed
    out = run(["dvc", "repro", *TARGETS], tiny_project).stdout
    assert "Stage 'concat' didn't change, skipping" in out
    for stage in ("trim", "clip", "split", "features", "train", "evaluate", "export"):
        assert f"Running stage '{stage}'" in out


def test_dvc_exp_run_with_a_changed_param(tiny_project, restore_after):
    out = run(["dvc", "exp", "run", *TARGETS, "-S", "train.epochs=3", "-S", "train.start_from_epoch=0"],
              tiny_project).stdout
    assert "Stage 'concat' didn't change, skipping" in out
    assert "Running stage 'train'" in out
    shown = json.loads(run(["dvc", "exp", "show", "--json"], tiny_project).stdout)
    baseline = next(row for row in shown if row["rev"] != "workspace")
    experiment = baseline["experiments"][0]["revs"][0]["data"]
    assert experiment["params"]["params.yaml"]["data"]["train"]["epochs"] == 3
    assert experiment["metrics"]["data/train/summary.json"]["data"]["epochs_run"] == 3
    assert baseline["data"]["params"]["params.yaml"]["data"]["train"]["epochs"] == 12


def test_a_missing_library_fails_with_a_clear_message(tiny_project, tmp_path):
    result = run([sys.executable, "stages/scan.py", "--library", str(tmp_path / "nowhere"), "--out",
                  str(tmp_path / "out")], tiny_project, check=False)
    assert result.returncode == 1
    assert f"error: library path {tmp_path / 'nowhere'} does not exist" in result.stderr


def test_a_library_that_cannot_train_stops_in_the_scan_stage_with_every_problem(tiny_project, tmp_path):
    library = tmp_path / "library"
    shutil.copytree(tiny_project / "library", library)
    shutil.rmtree(library / "Drone" / "Album 2")  # 2 albums: below the split's 3
    shutil.rmtree(library / "Noise" / "Album 1")
    result = run(["dvc", "exp", "run", *TARGETS, "-S", f"library={library}"], tiny_project, check=False)
    assert result.returncode != 0
    assert "error: genre 'Drone' has 2 group(s)" in result.stderr
    assert "error: genre 'Noise' has 2 group(s)" in result.stderr
    assert "Running stage 'concat'" not in result.stdout  # nothing decoded


def clips_by_source(project, library_root: str) -> pd.DataFrame:
    """The clip stage's clips with track names relative to the library, to compare layouts."""
    clips = pd.read_csv(project / "data/clips/clips.csv")
    return clips.assign(track=clips["track"].str.removeprefix(library_root))


def test_a_manifest_flat_folders_and_tags_give_the_folder_layouts_clips_and_groups(tiny_project, tmp_path,
                                                                                  restore_after):
    import mutagen

    folders = clips_by_source(tiny_project, "")
    split = pd.read_csv(tiny_project / "data/split/clips.csv")
    library = tiny_project / "library"
    tracks = sorted(p.relative_to(library).as_posix() for p in library.rglob("*.*"))
    manifest = tmp_path / "tracks.tsv"  # absolute paths: anywhere on disk
    manifest.write_text("path\tgenre\talbum\n" + "".join(f"{library / t}\t{t.split('/')[0]}\t{t.split('/')[1]}\n"
                                                       for t in tracks))
    run(["dvc", "exp", "run", "split", "-S", "source.layout=manifest", "-S", f"library={manifest}"], tiny_project)
    pd.testing.assert_frame_equal(clips_by_source(tiny_project, f"{library}/"), folders)
    pd.testing.assert_frame_equal(pd.read_csv(tiny_project / "data/split/clips.csv")[["group", "split"]],
                                  split[["group", "split"]])
    flat = tmp_path / "flat"  # <genre>/<album>-<track>, the album only in the tags (and the genre, lower case)
    for t in tracks:
        genre, album, name = t.split("/")
        target = flat / genre / f"{album}-{name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(library / t, target)
        handle = mutagen.File(target)
        if handle.tags is None:
            handle.add_tags()
        if target.suffix == ".wav":
            from mutagen.id3 import TALB, TCON

            handle.tags.add(TALB(encoding=3, text=[album]))
            handle.tags.add(TCON(encoding=3, text=[genre.lower()]))
        else:
            handle.tags["album"] = [album]
            handle.tags["genre"] = [genre.lower()]
        handle.save()
    run(["dvc", "exp", "run", "split", "-S", "source.layout=flat", "-S", f"library={flat}"], tiny_project)
    renamed = folders.assign(track=folders["track"].str.replace(r"^([^/]+)/([^/]+)/", r"\1/\2-", regex=True))
    pd.testing.assert_frame_equal(clips_by_source(tiny_project, ""), renamed)
    leak = json.loads((tiny_project / "data/split/leak_report.json").read_text())
    assert leak["grouped_by"] == {g: {"album": 3} for g in ("Clicks", "Drone", "Noise")}
    assert leak["warnings"] == []
    # the same files by their genre tags, any tree: the map's names are the genres ('drone' counts as Drone)
    run(["dvc", "exp", "run", "split", "-S", "source.layout=tags", "-S", "++source.genres={Clicks: [], Drone: [], "
         "Noise: []}"], tiny_project)
    pd.testing.assert_frame_equal(clips_by_source(tiny_project, ""), renamed)


def test_a_library_path_with_quotes_dollars_and_backticks_reaches_the_stages_as_written(tiny_project, tmp_path,
                                                                                     restore_after):
    import yaml

    folders = clips_by_source(tiny_project, "")
    library = tmp_path / "Ann's \"best\" $HOME `id` music"  # the shell would read all three
    shutil.copytree(tiny_project / "library", library)
    removed = "Drone/Album 2/02 Track.flac"  # so that this library's clips are not the committed run's
    (library / removed).unlink()
    params = yaml.safe_load((tiny_project / "params.yaml").read_text())
    (tiny_project / "params.yaml").write_text(yaml.safe_dump({**params, "library": str(library)}))
    run(["dvc", "repro", "split"], tiny_project)
    clips = clips_by_source(tiny_project, "")
    assert removed in set(folders["track"]) and removed not in set(clips["track"])
    # the genres whose files are all there cut the same clips (numbered on from fewer Drone clips)
    same = lambda frame: frame[frame["genre"] != "Drone"].drop(columns="clip_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(same(clips), same(folders))


def exp_metrics(project, name: str) -> dict:
    """The metrics of the named experiment, as `dvc exp show --json` reports them."""
    shown = json.loads(run(["dvc", "exp", "show", "--json"], project).stdout)
    for row in shown:
        for experiment in row.get("experiments") or []:
            if experiment.get("name") == name:
                return experiment["revs"][0]["data"]["metrics"]
    raise AssertionError(f"no experiment {name} in dvc exp show")


def test_mfcc_baseline_with_grouped_cross_validation(tiny_project, restore_after):
    out = run(["dvc", "exp", "run", "-n", "mfcc-cv", *TARGETS, "-S", "model.kind=mfcc_logreg",
               "-S", "crossval.folds=3"], tiny_project).stdout
    assert "crossval: 3 folds by album" in out
    metrics = json.loads((tiny_project / "data/evaluate/metrics.json").read_text())
    crossval = metrics["crossval"]
    assert (crossval["folds"], crossval["group"], crossval["kind"]) == (3, "album", "mfcc_logreg")
    assert crossval["track"]["accuracy"]["mean"] >= 0.8  # drone vs clicks vs noise: MFCCs tell them apart
    assert set(crossval["clip"]["accuracy"]) == {"mean", "std", "min", "max"}
    per_fold = json.loads((tiny_project / "data/crossval/metrics.json").read_text())["per_fold"]
    assert [fold["track"]["tracks"] for fold in per_fold] == [6, 6, 6]  # one album per genre per fold
    folds = pd.read_csv(tiny_project / "data/crossval/folds.csv")
    assert folds.groupby(["genre", "group"])["fold"].nunique().eq(1).all()  # albums whole
    assert sorted(folds["fold"].unique()) == [0, 1, 2]
    assert exp_metrics(tiny_project, "mfcc-cv")["data/evaluate/metrics.json"]["data"]["crossval"]["folds"] == 3
    spec = json.loads((tiny_project / "data/export/spec.json").read_text())
    assert spec["evaluation"]["crossval"]["folds"] == 3


def test_augmented_seed_cnn_trains_in_the_train_and_crossval_stages(tiny_project, restore_after):
    out = run(["dvc", "exp", "run", *TARGETS, "-S", "train.epochs=2", "-S", "train.random_offsets=true",
               "-S", "train.gain_db=6", "-S", "train.time_masks=1", "-S", "train.freq_masks=1",
               "-S", "train.mixup_alpha=0.2", "-S", "crossval.folds=3"], tiny_project).stdout
    assert "Running stage 'train'" in out and "crossval: 3 folds by album" in out
    summary = json.loads((tiny_project / "data/train/summary.json").read_text())
    assert (summary["kind"], summary["epochs_run"], summary["train_clips_from"]) == ("seed_cnn", 2, "random offsets")
    per_fold = json.loads((tiny_project / "data/crossval/metrics.json").read_text())["per_fold"]
    assert [fold["track"]["tracks"] for fold in per_fold] == [6, 6, 6]


def test_musicnn_model_trains_evaluates_and_exports_in_one_param(tiny_project, restore_after):
    from spectrogenre.musicnn.checkpoint import (
        MusicnnWeightsError,
        installed_checkpoint,
    )

    try:
        installed_checkpoint()
    except MusicnnWeightsError as err:
        pytest.skip(str(err))
    # musicnn reads 3 s patches: 3 s clips of the tiny library's 6 s tracks
    out = run(["dvc", "exp", "run", *TARGETS, "-S", "model.kind=musicnn", "-S", "frontend.clip_seconds=3.0",
               "-S", "clip.hop_seconds=1.5"], tiny_project).stdout
    assert "Running stage 'concat'" in out  # 16 kHz now
    spec = json.loads((tiny_project / "data/export/spec.json").read_text())
    assert spec["frontend"]["kind"] == "musicnn" and spec["frontend"]["shape"] == [96, 188]
    assert spec["frontend"]["mel_filterbank"]["scale"] == "slaney"
    assert json.loads((tiny_project / "data/train/summary.json").read_text())["kind"] == "musicnn"
    report = json.loads((tiny_project / "data/export/report.json").read_text())
    assert report["model.tflite"]["max_abs_diff"] <= 1e-5
    assert report["bytes"]["model.tflite"] > 3_000_000  # the pretrained backbone travels with the head
