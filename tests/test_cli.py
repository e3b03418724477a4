from typer.testing import CliRunner

from spectrogenre.cli import app

runner = CliRunner()


def test_scan_lists_genres_albums_and_tracks(tiny_library):
    result = runner.invoke(app, ["scan", str(tiny_library)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["genre", "albums", "tracks"]
    assert [line.split() for line in lines[1:]] == [["Clicks", "3", "6"], ["Drone", "3", "6"], ["Noise", "3", "6"]]


def test_scan_decode_reports_an_unusable_track_and_fails(tiny_library):
    bad = tiny_library / "Drone" / "Album 2" / "03 Bad.wav"
    bad.write_bytes(b"RIFF....WAVEfmt garbage")
    result = runner.invoke(app, ["scan", "--decode", str(tiny_library)])
    assert result.exit_code == 1
    assert f"unusable: {bad}: cannot be decoded" in result.stderr
    assert "1 unusable track(s)" in result.stderr


def test_scan_of_a_missing_folder_is_one_clear_line(tmp_path):
    result = runner.invoke(app, ["scan", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: library path {tmp_path / 'nope'} does not exist or is not a folder"


def test_demo_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["demo", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not empty" in result.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"
