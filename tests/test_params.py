from pathlib import Path

import pytest

from spectrogenre.config import load_params, parse_params
from spectrogenre.errors import ParamsError

ROOT = Path(__file__).resolve().parents[1]


def test_the_projects_params_load_with_the_seed_defaults():
    params = load_params(ROOT / "params.yaml")
    assert params.library == "data/demo_library"
    assert params.frontend.shape == (279, 271)
    assert params.trim.min_silence_s == 1.0
    assert params.split.ratios == {"train": 0.7, "val": 0.15, "test": 0.15}


def test_missing_sections_take_defaults_and_ints_become_floats():
    params = parse_params({"library": "lib", "trim": {"min_silence_s": 2}})
    assert params.trim.min_silence_s == 2.0 and isinstance(params.trim.min_silence_s, float)
    assert params.train.epochs == 40


def test_a_library_under_the_home_folder_is_found_as_a_shell_would(monkeypatch):
    monkeypatch.setenv("HOME", "/home/ann")
    assert parse_params({"library": "~/Music"}).library == "/home/ann/Music"
    assert parse_params({"library": "music/~old"}).library == "music/~old"  # a ~ inside a name is the name's


@pytest.mark.parametrize("raw, message", [
    ({"library": "x", "trim": {"min_silence": 1}}, r"unknown keys in 'trim': \['min_silence'\]"),
    ({"library": "x", "models": {}}, r"unknown top-level keys \['models'\]"),
    ({"trim": {}}, "missing 'library'"),
    ({"library": "x", "split": {"train": 0.9}}, "split ratios must be positive and sum to 1"),
    ({"library": "x", "train": {"epochs": 2.5}}, "train.epochs must be a whole number"),
    ({"library": "x", "trim": {"enabled": "yes"}}, "trim.enabled must be true or false"),
    ({"library": "x", "frontend": {"kind": "mfcc"}}, "frontend.kind must be one of"),
    ({"library": "x", "export": {"rich_noise_below": 1.0}}, r"export.rich_noise_below must be within \[0, 1\) \(0: off\)"),
    ({"library": "x", "export": {"rich_noise_below": -0.1}}, "export.rich_noise_below must be within"),
])
def test_bad_params_fail_early_naming_the_key(raw, message):
    with pytest.raises(ParamsError, match=message):
        parse_params(raw)


def test_the_noise_rules_knobs_are_the_rules_own_defaults():
    # an export from before a rule gets the rule's defaults (ExportedModel.load, js/steady.js): as a new one would
    from spectrogenre.steady import SteadyNoiseRule

    export, rule = load_params(ROOT / "params.yaml").export, SteadyNoiseRule()
    assert (export.steady_noise_below_db, export.tonal_noise_below, export.rich_noise_below) == (
        rule.below_db, rule.tonal_below, rule.rich_below)
    assert parse_params({"library": "x", "export": {"rich_noise_below": 0}}).export.rich_noise_below == 0.0  # off


def test_a_missing_params_file_says_where_to_run(tmp_path):
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "params.yaml")


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfb\x90\x00 an mp3's bytes", r"song.mp3: not a params file: it is not UTF-8 text"),
    (b"hello this is text\n", r"song.mp3: not a params file: YAML holding a str, not sections \(source:, model:, ...\)"),
    (b"- a\n- b\n", r"song.mp3: not a params file: YAML holding a list"),
])
def test_a_file_that_is_not_params_is_named_as_such(tmp_path, content, message):
    # `spectrogenre scan --params song.mp3` by mistake: one line naming the file, not a traceback or a list
    # of the text's letters as unknown keys
    (tmp_path / "song.mp3").write_bytes(content)
    with pytest.raises(ParamsError, match=message):
        load_params(tmp_path / "song.mp3")


def test_musicnn_model_brings_its_own_front_end_in_one_param():
    params = parse_params({"library": "lib", "model": {"kind": "musicnn"}, "frontend": {"clip_seconds": 10.0}})
    assert params.frontend.kind == "musicnn"
    assert (params.frontend.sample_rate, params.frontend.n_fft, params.frontend.hop_length) == (16000, 512, 256)
    assert params.frontend.shape == (96, 626)  # 1 + 160000 // 256 frames; clip length kept
    assert parse_params({"library": "lib"}).frontend.shape == (279, 271)


@pytest.mark.parametrize("raw, message", [
    ({"model": {"kind": "vgg"}}, "model.kind must be one of"),
    ({"crossval": {"folds": 1}}, "crossval.folds must be 0"),
    ({"crossval": {"group": "label"}}, "crossval.group must be one of"),
    ({"train": {"mixup_alpha": -1}}, "train.mixup_alpha must be >= 0"),
    ({"model": {"layers": "embedding+logits"}}, r"model.layers must be musicnn layers joined by '\+'"),
    ({"model": {"layers": "+"}}, "model.layers must be"),
    ({"model": {"pooling": "max"}}, "model.pooling must be one of mean, mean_std"),
    ({"model": {"head": "svm"}}, "model.head must be one of logistic, mlp"),
    ({"model": {"pool_over": "album"}}, "model.pool_over must be one of clip, track"),
    ({"model": {"balance": "artists"}}, "model.balance must be one of clips, groups"),
    ({"model": {"kind": "musicnn", "fine_tune": True, "pool_over": "track"}}, "model.pool_over clip"),
    ({"model": {"kind": "musicnn", "fine_tune": True, "head": "mlp"}}, "model.fine_tune trains musicnn.s embedding"),
])
def test_bad_model_crossval_and_augmentation_params_are_named(raw, message):
    with pytest.raises(ParamsError, match=message):
        parse_params({"library": "lib", **raw})


def test_musicnn_layers_are_joined_with_a_plus():
    model = parse_params({"library": "lib", "model": {"kind": "musicnn", "layers": "embedding + taggram"}}).model
    assert model.layer_names == ("embedding", "taggram")


def test_an_optional_number_is_null_or_a_number():
    assert parse_params({"library": "lib", "frontend": {"normalise_dbfs": None}}).frontend.normalise_dbfs is None
    assert parse_params({"library": "lib", "frontend": {"normalise_dbfs": -26}}).frontend.normalise_dbfs == -26.0
    with pytest.raises(ParamsError, match="frontend.normalise_dbfs must be a number"):
        parse_params({"library": "lib", "frontend": {"normalise_dbfs": "loud"}})
