import shutil

import pytest
from typer.testing import CliRunner

from spectrogenre.cli import app

runner = CliRunner()


def test_scan_lists_genres_groups_and_hours(tiny_library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no params.yaml: the defaults
    result = runner.invoke(app, ["scan", str(tiny_library)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{tiny_library} (layout folders)"
    assert lines[1].split() == ["genre", "tracks", "groups", "albums", "artists", "hours", "grouped", "by"]
    # 6 tracks of 9 s each = 0.015 h per genre
    assert [line.split() for line in lines[2:]] == [[g, "6", "3", "3", "0", "0.01", "album", "6"]
                                                    for g in ("Clicks", "Drone", "Noise")]
    assert result.stderr.strip() == "ready: the pipeline can train on this library"


def test_scan_lists_every_kind_of_problem_at_once_without_decoding(tiny_library, tmp_path):
    bad = tiny_library / "Drone" / "Album 2" / "03 Bad.flac"
    bad.write_bytes(b"fLaC" + b"\x00\x00\x00\x22" + b"\xff" * 10)  # unreadable: listed, the rest goes on
    (tiny_library / "Drone" / "Album 2" / "cover.jpg").write_bytes(b"jpeg")
    for album in ("Album 1", "Album 2"):  # Clicks keeps 1 album: below the split's 3
        shutil.rmtree(tiny_library / "Clicks" / album)
    (tiny_library / "Folk" / "Live").mkdir(parents=True)
    (tiny_library / "Folk" / "Live" / "song.m4a").write_bytes(b"x")
    params = tmp_path / "params.yaml"
    params.write_text("library: x\nmodel:\n  kind: musicnn\ncrossval:\n  folds: 4\n")
    result = runner.invoke(app, ["scan", str(tiny_library), "--params", str(params)],
                           env={"PATH": "/nonexistent"})  # no ffmpeg on this PATH
    assert result.exit_code == 1
    err = result.stderr
    assert "left out: 1 file(s): .m4a needs ffmpeg, which is not installed" in err
    assert "ignored: 1 file(s) or folder(s) that are not music" in err
    assert "error: genre 'Clicks' has 1 group(s)" in err
    assert "error: genre 'Drone' has 3 independent group(s) by album; 4-fold cross-validation needs 4" in err
    assert "error: genre folder 'Folk' has no usable audio: all 1 of its audio file(s) are left out" in err
    assert err.splitlines()[-1] == "5 problem(s) the pipeline would stop on"


def test_scan_leaves_out_an_album_copied_into_a_second_genre(tiny_library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(tiny_library / "Drone" / "Album 0", tiny_library / "Noise" / "Album 9")
    result = runner.invoke(app, ["scan", str(tiny_library)])
    assert result.exit_code == 1
    assert ("left out: 4 file(s): the same file is filed under the genres Drone and Noise: one recording cannot "
            "teach two genres, so no copy is learned (keep it under the genre it belongs to): Drone/Album 0/01 "
            "Track.wav, Drone/Album 0/02 Track.flac, Noise/Album 9/01 Track.wav, and 1 more") in result.stderr
    assert "error: genre 'Drone' has 2 group(s)" in result.stderr  # what leaving the copies out costs it


def test_scan_leaves_out_what_is_not_audio_or_cut_short_by_its_header_and_decode_finds_the_same(tiny_library,
                                                                                                tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tiny_library / "Drone" / "Album 2" / "03 Bad.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    cut = tiny_library / "Drone" / "Album 2" / "04 Cut.wav"
    shutil.copyfile(tiny_library / "Drone" / "Album 2" / "01 Track.wav", cut)
    cut.write_bytes(cut.read_bytes()[:-20000])  # its tags are whole; its data chunk states 20000 bytes more
    result = runner.invoke(app, ["scan", str(tiny_library)])
    assert result.exit_code == 0, result.output  # the pipeline skips them and goes on
    assert "left out: 1 file(s): cannot be decoded: corrupt or not a .wav audio file" in result.stderr
    assert "Drone/Album 2/03 Bad.wav" in result.stderr
    assert ("left out: 1 file(s): truncated: data chunk declares 288000 bytes, only 268000 present: Drone/Album 2/04 "
            "Cut.wav") in result.stderr
    result = runner.invoke(app, ["scan", "--decode", str(tiny_library)])
    assert result.exit_code == 0, result.output
    assert "left out: 1 file(s): truncated: data chunk declares" in result.stderr
    assert "Drone/Album 2/04 Cut.wav" in result.stderr
    assert [line.split()[:2] for line in result.stdout.splitlines()[2:]] == [["Clicks", "6"], ["Drone", "6"],
                                                                           ["Noise", "6"]]


def test_scan_decode_leaves_out_a_track_whose_decoding_ends_its_process_and_keeps_the_rest(tiny_library,
                                                                                           monkeypatch):
    import os

    from spectrogenre import audio_io

    # a decoder's crash in native code ends the process as os._exit does; the pool's processes are forked
    import numpy as np
    import soundfile as sf

    sf.write(tiny_library / "Drone" / "Album 2" / "03 Crash.wav", np.full(16000, 0.1), 16000)
    decode = audio_io.read_mono
    monkeypatch.setattr(audio_io, "read_mono", lambda path, **kw: os._exit(139) if path.name == "03 Crash.wav"
                        else decode(path, **kw))
    result = runner.invoke(app, ["scan", "--decode", str(tiny_library)])
    assert result.exit_code == 0, result.output
    assert ("left out: 1 file(s): cannot be decoded: decoding it ended the process that ran it, a crash in the "
            "decoder or the system's memory limit (a damaged file: try playing it; or one longer than the memory "
            "allows: a Dask worker's --memory-limit): Drone/Album 2/03 Crash.wav") in result.stderr
    assert [line.split()[:2] for line in result.stdout.splitlines()[2:]] == [["Clicks", "6"], ["Drone", "6"],
                                                                           ["Noise", "6"]]


def test_scan_says_which_hours_leave_out_tracks_of_unknown_length_and_decode_keeps_them(tiny_library, tmp_path,
                                                                                      monkeypatch):
    import subprocess

    if shutil.which("ffmpeg") is None:
        pytest.skip("writing a FLAC to a pipe needs ffmpeg")
    monkeypatch.chdir(tmp_path)
    def piped(track):  # as `ffmpeg -f flac -` writes it: STREAMINFO's sample count 0
        audio = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(track), "-f", "flac", "-"],
                               capture_output=True, check=True).stdout
        track.unlink()
        track.with_suffix(".flac").write_bytes(audio)

    for album in ("Album 1", "Album 2"):  # two Drone tracks
        piped(tiny_library / "Drone" / album / "01 Track.wav")
    for track in sorted((tiny_library / "Noise").rglob("*.*")):  # a genre whose every track is of unknown length
        piped(track)
    result = runner.invoke(app, ["scan", str(tiny_library)])
    assert result.exit_code == 0, result.output
    # 6 tracks of 9 s each = 0.015 h; Drone's 4 known tracks 0.01 h and 2 unknown; Noise's 6 all unknown
    assert [line.split()[:6] for line in result.stdout.splitlines()[2:]] == [
        ["Clicks", "6", "3", "3", "0", "0.01"], ["Drone", "6", "3", "3", "0", "0.01+"], ["Noise", "6", "3", "3", "0", "?"]]
    assert result.stderr.startswith("note: 8 track(s) of unknown length (their headers state none, or are read only "
                                    "by decoding: a FLAC written to a pipe, a WAV whose recorder never filled in its "
                                    "size, a CAF or RealAudio file): the hours leave them")
    result = runner.invoke(app, ["scan", "--decode", str(tiny_library)])
    assert result.exit_code == 0, result.output
    # decoded, every length is known: the hours count them all, and no note sends the user to --decode
    assert [line.split()[:6] for line in result.stdout.splitlines()[2:]] == [
        ["Clicks", "6", "3", "3", "0", "0.01"], ["Drone", "6", "3", "3", "0", "0.01"], ["Noise", "6", "3", "3", "0", "0.01"]]
    assert "left out" not in result.stderr and "unknown length" not in result.stderr


@pytest.mark.parametrize("name", ["list.csv", "list.txt"])  # .txt: Excel's "Unicode text"
def test_scan_takes_a_manifest_path_as_a_manifest(tiny_library, tmp_path, name):
    manifest = tiny_library / name
    manifest.write_text("path,genre\n" + "".join(f"{g}/Album {a}/01 Track.wav,{g}\n"
                                                  for g in ("Clicks", "Noise") for a in range(3)))
    params = tmp_path / "params.yaml"
    params.write_text("library: x\nfrontend:\n  clip_seconds: 2.0\n")  # the tiny tracks are 9 s long
    result = runner.invoke(app, ["scan", str(manifest), "--params", str(params)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"{manifest} (layout manifest)"
    # no album column and no tags: each track is its own group
    assert [line.split()[:3] for line in result.stdout.splitlines()[2:]] == [["Clicks", "3", "3"], ["Noise", "3", "3"]]


def test_scan_of_a_missing_folder_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["scan", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: library path {tmp_path / 'nope'} does not exist"


def test_scan_without_a_library_or_with_a_missing_params_file_says_so(tiny_library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a folder without params.yaml: nothing names a library
    result = runner.invoke(app, ["scan"])
    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: no library given, and no params.yaml here to name one: "
                                     "spectrogenre scan <library folder or manifest>")
    result = runner.invoke(app, ["scan", str(tiny_library), "--params", "absent.yaml"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: absent.yaml: no such params file"


def test_demo_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["demo", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not empty" in result.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"
    # a file where the folder should be: one error naming it, not NotADirectoryError's traceback
    result = runner.invoke(app, ["demo", str(tmp_path / "keep.txt")])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'keep.txt'} is a file, not a folder; choose a new folder"
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_scan_stops_on_a_genre_folder_of_unusable_audio_warns_of_an_empty_one_and_lists_ignored_files(tiny_library,
                                                                                                   tmp_path,
                                                                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tiny_library / "Folk").mkdir()  # a genre the user meant to add, still empty
    (tiny_library / "Jazz" / "A").mkdir(parents=True)
    (tiny_library / "Jazz" / "A" / "1.mp3").write_bytes(b"not audio at all")
    (tiny_library / "Drone" / "Album 0" / "cover.jpg").write_bytes(b"jpeg")
    result = runner.invoke(app, ["scan", str(tiny_library)])
    assert result.exit_code == 1, result.output  # the pipeline would stop
    assert "warning: genre folder 'Folk' holds no audio: it is not learned" in result.stderr
    assert ("error: genre folder 'Jazz' has no usable audio: all 1 of its audio file(s) are left out (listed "
            "above); mend them, or move the folder out of the library") in result.stderr
    assert ("ignored: 1 file(s) or folder(s) that are not music (covers, playlists, system and hidden folders): "
            "`spectrogenre scan --verbose` lists them") in result.stderr
    shutil.rmtree(tiny_library / "Jazz")
    verbose = runner.invoke(app, ["scan", str(tiny_library), "--verbose"])
    assert verbose.exit_code == 0, verbose.output
    assert "ignored: 1 file(s) or folder(s): not an audio file: Drone/Album 0/cover.jpg" in verbose.stderr


def test_scan_leaves_out_junk_in_any_container_and_stops_on_a_genre_emptied_by_decoding(tiny_library, tmp_path,
                                                                                       monkeypatch):
    import os

    monkeypatch.chdir(tmp_path)
    for suffix in (".ogg", ".oga", ".w64"):  # containers the tag reader does not claim: the header says
        (tiny_library / "Drone" / "Album 0" / f"junk{suffix}").write_bytes(os.urandom(2000))
    latin = tiny_library / os.fsdecode(b"caf\xe9")
    (latin / "A").mkdir(parents=True)
    (latin / "A" / "1.mp3").write_bytes(b"not audio")
    result = runner.invoke(app, ["scan", str(tiny_library)])
    assert "left out: 3 file(s): cannot be decoded: corrupt or not a" not in result.stderr  # each says its suffix
    for suffix in (".ogg", ".oga", ".w64"):
        assert f"Drone/Album 0/junk{suffix}" in result.stderr
    assert [line.split()[:2] for line in result.stdout.splitlines()[2:]][1] == ["Drone", "6"]
    assert "error: genre folder 'caf\\xe9' has no usable audio: all 1 of its audio file(s)" in result.stderr
    for track in (tiny_library / "Noise").rglob("*.*"):  # cut data: the WAVs' headers say so, the FLACs' decoding
        track.write_bytes(track.read_bytes()[: len(track.read_bytes()) // 2])
    decoded = runner.invoke(app, ["scan", "--decode", str(tiny_library)])
    assert "error: genre folder 'Noise' has no usable audio: all 6 of its audio file(s)" in decoded.stderr


def test_an_endless_or_undefined_number_is_refused_by_name(tmp_path):
    song = tmp_path / "song.wav"
    song.write_bytes(b"")  # never read: the options are checked first
    for command, option, value in [("predict", "--hop", "inf"), ("tag", "--hop", "inf"), ("demo", "--size", "nan")]:
        args = [command, *([str(tmp_path / "out")] if command == "demo" else [str(song)]), option, value]
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert f"Invalid value for '{option}'" in result.output


def test_serve_refuses_limits_that_would_refuse_every_upload(tmp_path):
    (tmp_path / "spec.json").write_text("{}")  # checked for before the limits; never read: the server never starts
    for option, value, problem in [("--max-upload-mb", "-5", "input should be greater than 0, got -5.0"),
                                   ("--time-limit", "0", "input should be greater than 0, got 0.0"),
                                   ("--max-duration", "nan", "input should be a finite number, got nan")]:
        result = runner.invoke(app, ["serve", "--model", str(tmp_path), option, value])
        assert result.exit_code == 1
        assert result.stderr.strip() == f"error: {option}: {problem}"


def test_serve_names_a_certificate_or_key_it_cannot_load(tmp_path):
    # checked before the server starts: uvicorn would fail inside its startup with a traceback
    from spectrogenre.server.tls import self_signed_certificate

    (tmp_path / "spec.json").write_text("{}")  # checked for first; never read: the server never starts
    cert, key = self_signed_certificate(tmp_path / "tls")
    (tmp_path / "notes.txt").write_text("not a certificate")
    for pair in [(tmp_path / "notes.txt", key), (cert, tmp_path / "notes.txt"), (cert, tmp_path / "absent.pem")]:
        result = runner.invoke(app, ["serve", "--model", str(tmp_path), "--cert", str(pair[0]), "--key", str(pair[1])])
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith(f"error: cannot use --cert {pair[0]} with --key {pair[1]}: "), result.stderr
        assert "Traceback" not in result.output


def test_serve_refuses_a_port_no_socket_can_bind(tmp_path):
    # checked by the option: bind() raised OverflowError from inside uvicorn, a traceback
    (tmp_path / "spec.json").write_text("{}")
    for port in ("99999", "-1"):
        result = runner.invoke(app, ["serve", "--model", str(tmp_path), "--port", port])
        assert result.exit_code == 2, result.output
        assert "Invalid value for '--port'" in result.output


def test_serve_on_a_port_another_server_holds_says_so_before_it_says_where_to_open_it(tmp_path, monkeypatch):
    import socket

    from spectrogenre.inference import ExportedModel

    (tmp_path / "spec.json").write_text("{}")  # checked for; never read: the model's load is skipped
    monkeypatch.setattr(ExportedModel, "load", classmethod(lambda cls, model, copies: None))
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = runner.invoke(app, ["serve", "--model", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (f"error: cannot listen on 127.0.0.1:{port}: Address already in use (another "
                                     f"server is there: choose another --port)")
    assert "open http" not in result.output


def test_serve_names_the_environment_variable_that_set_a_bad_limit(tmp_path, monkeypatch):
    # a bad SPECTROGENRE_WORKERS was blamed on --workers, which was not given
    (tmp_path / "spec.json").write_text("{}")  # checked for before the limits; never read: the server never starts
    monkeypatch.setenv("SPECTROGENRE_WORKERS", "abc")
    result = runner.invoke(app, ["serve", "--model", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: SPECTROGENRE_WORKERS: input should be a valid integer"), result.stderr
    monkeypatch.setenv("SPECTROGENRE_WORKERS", "2")
    result = runner.invoke(app, ["serve", "--model", str(tmp_path), "--workers", "1", "--queue", "-1"])
    assert result.exit_code == 2 and "Invalid value for '--queue'" in result.output  # an option's own check


def test_serve_names_a_damaged_export_before_it_starts(tmp_path):
    # loaded in the server's startup, a damaged spec.json was a 30-line traceback and "Application startup failed"
    (tmp_path / "spec.json").write_text('{"labels": ["a"]}')
    result = runner.invoke(app, ["serve", "--model", str(tmp_path), "--port", "1"])  # never bound: it stops first
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {tmp_path / 'spec.json'} cannot be read"), result.stderr
    assert "Traceback" not in result.output


def test_app_names_a_damaged_export(tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export/spec.json").write_text('{"labels": ["a"]}')
    result = runner.invoke(app, ["app", str(tmp_path / "site"), "--model", str(tmp_path / "export")])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {tmp_path / 'export/spec.json'} cannot be read"), result.stderr
    assert not (tmp_path / "site").exists()


def test_scan_reads_a_relative_library_in_a_params_file_from_that_files_folder(tiny_library, tmp_path, monkeypatch):
    params = tmp_path / "params.yaml"  # beside the library, as a project's is
    params.write_text("library: library\nfrontend:\n  clip_seconds: 2.0\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(app, ["scan", "--params", str(params)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"{tiny_library} (layout folders)"
    # a relative library that is not there says where it was looked for
    params.write_text("library: gone\n")
    result = runner.invoke(app, ["scan", "--params", "../params.yaml"])
    assert result.stderr.strip() == "error: library path ../gone does not exist in " + str(elsewhere)


def test_a_name_the_outputs_encoding_cannot_hold_is_written_escaped_not_a_traceback(tiny_library, tmp_path):
    import os
    import subprocess
    import sys

    (tiny_library / "Drone").rename(tiny_library / "\U0001f3b5 Drone")  # an emoji, where the output is Latin-1
    result = subprocess.run([sys.executable, "-c", "from spectrogenre.cli import app; app()", "scan",
                             str(tiny_library), "--layout", "folders"], capture_output=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONIOENCODING": "latin-1"}, timeout=300, check=False)
    assert result.returncode == 0, result.stderr.decode("latin-1")
    rows = result.stdout.decode("latin-1").splitlines()
    assert [row.split()[:2] for row in rows[2:]] == [["Clicks", "6"], ["Noise", "6"], ["\\U0001f3b5", "Drone"]]
    assert b"Traceback" not in result.stderr


def test_a_genre_folder_whose_name_holds_a_line_break_keeps_the_table_one_row_a_genre(tiny_library, tmp_path,
                                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tiny_library / "Drone").rename(tiny_library / "Dro\nne")
    result = runner.invoke(app, ["scan", str(tiny_library), "--layout", "folders"])
    assert result.exit_code == 0, result.output
    assert [row.split()[:2] for row in result.stdout.splitlines()[2:]] == [["Clicks", "6"], ["Dro\\nne", "6"],
                                                                          ["Noise", "6"]]
