import shutil
import subprocess
import sys

import pytest
import soundfile as sf
from mutagen.apev2 import APEv2

from spectrogenre.library.tags import TagError, TrackTags, genre_key, read_tags, split_genres
from tests.synth import sine, write_tagged

FORMATS = ["mp3", "flac", "ogg", "opus", "m4a", "wav"]


def needs_ffmpeg(suffix: str):
    if suffix == "m4a" and shutil.which("ffmpeg") is None:
        pytest.skip("writing an m4a test file needs ffmpeg")


def test_genre_values_match_ignoring_case_spaces_and_punctuation():
    assert genre_key("Hip-Hop") == genre_key("hip hop") == genre_key("HipHop") == "hiphop"
    assert genre_key("R&B") == "rb"
    assert genre_key("Électro Rock") == "electrorock"  # accents fold too
    assert genre_key(" -- ") == ""


def test_one_value_can_hold_several_genres_and_repeats_go():
    assert split_genres(["Rock; Pop", "Rock", "  ", "Jazz|Blues", "Hip-Hop/Rap"]) == (
        "Rock", "Pop", "Jazz", "Blues", "Hip-Hop/Rap")


@pytest.mark.parametrize("suffix", FORMATS)
def test_genre_album_artist_and_length_from_every_container(tmp_path, suffix):
    needs_ffmpeg(suffix)
    path = write_tagged(tmp_path / f"t.{suffix}", seconds=2.0, genre=["Jazz", "Blues"], album="Kind of Blue",
                        artist="Miles Davis")
    tags = read_tags(path)
    assert (tags.genres, tags.album, tags.artist) == (("Jazz", "Blues"), "Kind of Blue", "Miles Davis")
    assert tags.seconds == pytest.approx(2.0, abs=0.05)



def test_an_mp3_tagged_only_in_apev2_and_a_wav_only_in_riff_info_are_read(tmp_path):
    import numpy as np
    import soundfile as sf
    from mutagen.apev2 import APEv2

    mp3 = write_tagged(tmp_path / "ape.mp3", seconds=2.0)  # no ID3 genre, album or artist
    ape = APEv2()
    ape.update({"Genre": "Reggae", "Album": "Exodus", "Artist": "Bob Marley", "Album Artist": "The Wailers"})
    ape.save(mp3)
    assert read_tags(mp3) == TrackTags(genres=("Reggae",), album="Exodus", artist="Bob Marley",
                                       album_artist="The Wailers", seconds=read_tags(mp3).seconds)
    wav = tmp_path / "info.wav"
    with sf.SoundFile(wav, "w", 16000, 1, subtype="PCM_16") as handle:  # a LIST INFO chunk: IGNR, IPRD, IART
        handle.genre, handle.album, handle.artist = "Blues; Jazz", "Kind of Blue", "Miles Davis"
        handle.write(np.zeros(16000, np.float32))
    assert read_tags(wav) == TrackTags(genres=("Blues", "Jazz"), album="Kind of Blue", artist="Miles Davis",
                                       seconds=1.0)


def test_the_main_tag_block_wins_over_the_second(tmp_path):
    from mutagen.apev2 import APEv2

    mp3 = write_tagged(tmp_path / "both.mp3", seconds=2.0, genre="Rock", artist="Queen")
    ape = APEv2()
    ape.update({"Genre": "Pop", "Artist": "Someone else", "Album": "A Night at the Opera"})
    ape.save(mp3)
    tags = read_tags(mp3)
    assert (tags.genres, tags.artist, tags.album) == (("Rock",), "Queen", "A Night at the Opera")

@pytest.mark.parametrize("suffix", ["mp3", "wav", "flac", "ogg", "m4a"])
def test_id3v1_numeric_genre_codes_become_names(tmp_path, suffix):
    # ID3v1 code 17 is Rock and 4 is Disco (the ID3 specification's table)
    path = write_tagged(tmp_path / f"t.{suffix}", genre=["(17)", "4"])
    assert read_tags(path).genres == ("Rock", "Disco")
    # as converters copy ID3's text: a code and its name; a code past the table (192 names: 0 to 191) as it is
    # (mutagen's ID3 frame reads it as "Unknown")
    path = write_tagged(tmp_path / f"u.{suffix}", genre=["(13)Pop", "(999)", "Hip-Hop", "2 Tone"])
    past = "Unknown" if suffix in ("mp3", "wav") else "(999)"
    assert read_tags(path).genres == ("Pop", past, "Hip-Hop", "2 Tone")


def test_mp4s_numeric_genre_atom_is_read():
    from spectrogenre.library.tags import _mp4

    # mutagen reads the old 'gnre' atom but cannot write one: the atoms as mutagen hands them over
    tags = {"gnre": [18], "\xa9alb": ["Album"]}  # ID3v1 code + 1: 17 is Rock
    assert _mp4(tags) == {"genres": ("Rock",), "album": "Album", "artist": "", "album_artist": ""}


def test_untagged_and_unknown_files_have_no_tags(tmp_path):
    import soundfile as sf

    from tests.synth import sine

    sf.write(tmp_path / "plain.flac", sine(1.0, sr=8000), 8000)
    assert read_tags(tmp_path / "plain.flac") == TrackTags(seconds=1.0)
    (tmp_path / "notes.xyz").write_text("not audio")
    assert read_tags(tmp_path / "notes.xyz") == TrackTags()


def test_a_damaged_tag_block_is_a_clear_error_naming_the_file(tmp_path):
    bad = tmp_path / "bad.flac"
    bad.write_bytes(b"fLaC" + b"\x00\x00\x00\x22" + b"\xff" * 10)
    with pytest.raises(TagError, match=r"bad\.flac: tags cannot be read"):
        read_tags(bad)


def test_a_damaged_id3_header_says_which_tag_format_is_damaged(tmp_path):
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7fgarbage")  # an ID3 header claiming 256 MB of tag
    with pytest.raises(TagError, match=r"bad\.mp3: tags cannot be read \(damaged ID3 data\)"):
        read_tags(bad)


def test_a_wavs_riff_info_is_read_at_a_path_past_1024_bytes(tmp_path):
    import numpy as np
    import soundfile as sf

    folder = tmp_path.joinpath(*[f"{i:02d}" + "a" * 97 for i in range(11)])  # over 1100 bytes
    folder.mkdir(parents=True)
    wav = folder / "info.wav"
    with open(wav, "wb") as file, sf.SoundFile(file, "w", 16000, 1, format="WAV", subtype="PCM_16") as handle:
        handle.genre, handle.album, handle.artist = "Blues", "Kind of Blue", "Miles Davis"
        handle.write(np.zeros(16000, np.float32))
    assert read_tags(wav) == TrackTags(genres=("Blues",), album="Kind of Blue", artist="Miles Davis", seconds=1.0)


@pytest.mark.parametrize("data_size", [0xFFFFFFFF, 0x7FFFF000, 0])
def test_a_wav_or_flac_whose_header_states_no_length_is_of_unknown_length(tmp_path, data_size):
    import subprocess

    from tests.test_audio_io import wav_sized

    # mutagen takes the data size at its word: hours of audio, or none; the RIFF size is left whole, as mutagen
    # refuses a RIFF size of 0 ("tags cannot be read")
    path, _ = wav_sized(tmp_path, data_size, riff_size=(2 * 3 * 22050 + 36))
    assert read_tags(path).seconds is None
    good = write_tagged(tmp_path / "good.flac", seconds=2.0)
    assert read_tags(good).seconds == pytest.approx(2.0, abs=0.05)
    if shutil.which("ffmpeg"):
        piped = tmp_path / "piped.flac"
        with open(piped, "wb") as out:
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(good), "-f", "flac", "-"], stdout=out,
                           check=True)
        assert read_tags(piped).seconds is None


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="writing a WavPack test file needs ffmpeg")
def test_a_wavpacks_tags_are_read_where_its_rate_is_outside_the_standard_table(tmp_path):
    # 11 kHz is not among WavPack's 15 standard rates: mutagen fails on its header (IndexError), and the file's
    # tags went unread, "list index out of range" (a track of a `tags` library left out)
    wav, path = tmp_path / "odd.wav", tmp_path / "odd.wv"
    sf.write(wav, sine(1.0, sr=11000), 11000)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "wavpack", str(path)], check=True)
    tags = APEv2()
    tags.update({"Genre": "Jazz; Blues", "Album": "Kind of Blue", "Artist": "Miles Davis"})
    tags.save(path)
    assert read_tags(path) == TrackTags(genres=("Jazz", "Blues"), album="Kind of Blue", artist="Miles Davis")


def test_a_chunk_claiming_gigabytes_is_read_as_far_as_the_file_goes(tmp_path):
    # mutagen asks for as many bytes as a chunk's header states, and Python sizes its buffer to the request first:
    # a WAV whose fmt chunk claims 4 GB was a MemoryError (a traceback from `scan`) wherever 4 GB cannot be lent.
    # Read here with 1.5 GB of address space to lend
    path = tmp_path / "song.wav"
    sf.write(path, sine(1.0), 8000)
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"fmt "
    data[16:20] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    read = ("import resource, sys\nfrom spectrogenre.library.tags import read_tags\n"
            "resource.setrlimit(resource.RLIMIT_AS, (3 << 29, 3 << 29))\nprint(read_tags(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", read, str(path)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(TrackTags())  # its tag block unreadable, as the scan's header check says
