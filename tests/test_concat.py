import pandas as pd
import pytest
import soundfile as sf

from spectrogenre.errors import LibraryError

from tests.synth import hiphop_library, scan_and_concat


def test_each_genre_becomes_one_track_with_exact_provenance(tiny_library, tmp_path):
    index = scan_and_concat(tiny_library, tmp_path / "concat", sample_rate=8000, jobs=2)
    # 3 albums x 2 tracks of 9 s (1.5 + 6 + 1.5) per genre, at 8 kHz: 72000 samples each
    assert len(index) == 18
    assert set(index["end"] - index["start"]) == {72000}
    drone = index[index["genre"] == "Drone"]
    assert drone["start"].tolist() == [i * 72000 for i in range(6)]
    assert drone["album"].tolist() == ["Album 0"] * 2 + ["Album 1"] * 2 + ["Album 2"] * 2
    assert drone["group"].tolist() == drone["album"].tolist() and set(drone["grouped_by"]) == {"album"}
    info = sf.info(tmp_path / "concat" / drone["genre_file"].iloc[0])
    assert (info.samplerate, info.channels, info.frames, info.format) == (8000, 1, 6 * 72000, "FLAC")
    assert pd.read_csv(tmp_path / "concat" / "skipped.csv").empty


def test_a_corrupt_track_is_skipped_and_reported_not_fatal(tiny_library, tmp_path):
    bad = tiny_library / "Noise" / "Album 1" / "03 Broken.mp3"
    bad.write_bytes(b"\xff\xfb" + b"\x00" * 100)
    (tiny_library / "Noise" / "Album 1" / "notes.txt").write_text("liner notes")
    index = scan_and_concat(tiny_library, tmp_path / "concat", sample_rate=8000)
    assert len(index) == 18
    skipped = pd.read_csv(tmp_path / "concat" / "skipped.csv")
    assert skipped["path"].tolist() == ["Noise/Album 1/03 Broken.mp3"]
    assert skipped["problem"].iloc[0].startswith("cannot be decoded")
    ignored = pd.read_csv(tmp_path / "concat" / "ignored.csv")
    assert ignored["reason"].tolist() == ["not an audio file"]


def test_a_track_whose_decoding_ends_its_process_is_skipped_and_every_other_track_kept(tiny_library, tmp_path,
                                                                                      monkeypatch):
    import os

    from spectrogenre import concat

    # a decoder's crash in native code, or the kernel's memory kill, ends the worker process as os._exit does,
    # and a local pool loses every task it held with it; the worker processes are forked, so they see this
    decode = concat.stream_mono
    monkeypatch.setattr(concat, "stream_mono", lambda path, **kw: os._exit(139) if path.parent.name == "Album 1"
                        and path.parent.parent.name == "Drone" and path.name.startswith("02") else decode(path, **kw))
    index = scan_and_concat(tiny_library, tmp_path / "concat", sample_rate=8000, jobs=2)
    assert len(index) == 17 and "Drone/Album 1/02 Track.flac" not in set(index["track"])
    assert index[index["genre"] == "Drone"]["start"].tolist() == [i * 72000 for i in range(5)]
    skipped = pd.read_csv(tmp_path / "concat" / "skipped.csv")
    assert skipped["path"].tolist() == ["Drone/Album 1/02 Track.flac"]
    assert skipped["problem"][0].startswith("cannot be decoded: decoding it ended the process that ran it")


def test_a_genre_with_no_usable_audio_stops_the_run_naming_it(tiny_library, tmp_path):
    for track in (tiny_library / "Clicks").rglob("*.*"):  # half the audio: the FLACs' headers are whole, and only
        track.write_bytes(track.read_bytes()[: len(track.read_bytes()) // 2])  # decoding finds it (the scan, the WAVs)
    with pytest.raises(LibraryError, match="genre 'Clicks' has no usable audio: all 3 tracks failed"):
        scan_and_concat(tiny_library, tmp_path / "concat", sample_rate=8000)


def test_every_format_a_library_may_hold_is_decoded_by_the_same_path(tmp_path):
    import shutil

    from tests.synth import write_tagged

    suffixes = ["mp3", "wav", "flac", "ogg", "aiff"] + (["opus", "m4a"] if shutil.which("ffmpeg") else [])
    for genre in ("tones", "hum"):
        for album in range(3):
            for suffix in suffixes:
                write_tagged(tmp_path / "lib" / genre / f"A{album}" / f"t.{suffix}", seconds=2.0,
                             freq=440.0 if genre == "tones" else 110.0)
    index = scan_and_concat(tmp_path / "lib", tmp_path / "concat", sample_rate=8000)
    assert pd.read_csv(tmp_path / "concat" / "skipped.csv").empty
    assert sorted(index["track"].str.rsplit(".", n=1).str[1].unique()) == sorted(suffixes)
    # 2 s at 8 kHz; lossy codecs add their encoder delay and padding (mp3, ogg, aac: up to ~0.1 s)
    lengths = (index["end"] - index["start"]).groupby(index["track"].str.rsplit(".", n=1).str[1]).first()
    for suffix in ("wav", "flac", "aiff"):
        assert lengths[suffix] == 16000
    for suffix in set(suffixes) - {"wav", "flac", "aiff"}:
        assert abs(lengths[suffix] - 16000) <= 1600, (suffix, lengths[suffix])


def test_genre_folders_named_alike_are_one_genre_file_and_one_label(tmp_path):
    from spectrogenre.split import split_clips

    index = scan_and_concat(hiphop_library(tmp_path / "lib"), tmp_path / "concat", sample_rate=8000)
    assert sorted(set(index["genre"])) == ["Hip-Hop", "Jazz"]
    hiphop = index[index["genre"] == "Hip-Hop"]
    assert hiphop["track"].tolist() == ["Hip-Hop/A1/A1-1.wav", "Hip-Hop/A1/A1-2.wav", "Hip-Hop/A2/A2-1.wav",
                                        "hip hop/B1/B1-1.wav"]
    assert set(hiphop["genre_file"]) == {"genre-000.flac"}
    assert sorted(path.name for path in (tmp_path / "concat").glob("*.flac")) == ["genre-000.flac", "genre-001.flac"]
    clips = split_clips(index.assign(clip_id=range(len(index))), ratios={"train": 0.6, "val": 0.2, "test": 0.2},
                        seed=0)
    assert sorted(set(zip(clips["genre"], clips["label"]))) == [("Hip-Hop", 0), ("Jazz", 1)]


@pytest.mark.skipif(__import__("shutil").which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_what_a_tracks_decode_warns_of_is_said_by_the_stage_once_by_its_library_name(tiny_library, tmp_path, capfd):
    # said by the stage, not the process that decoded it: on a cluster that is a worker, whose log no one reads
    import subprocess

    from tests.synth import sine

    wav = tmp_path / "tone.wav"
    sf.write(wav, sine(20.0, sr=16000), 16000)
    song = tiny_library / "Drone" / "Album 0" / "03 Cut.mp3"  # an MP3 without a frame count, cut part way
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "64k",
                    "-write_xing", "0", str(song)], check=True)
    song.write_bytes(song.read_bytes()[:80_001])
    index = scan_and_concat(tiny_library, tmp_path / "concat", sample_rate=8000, jobs=2)
    assert "Drone/Album 0/03 Cut.mp3" in set(index["track"])
    said = [line for line in capfd.readouterr().err.splitlines() if "03 Cut.mp3" in line]
    assert said == [("Drone/Album 0/03 Cut.mp3: the MP3 ends part way through a frame, so the file is cut short (a "
                     "copy or download that stopped): its first 10.0 s are there; its header states no length, so how "
                     "much is missing is not known")]
