import re
import shutil
import subprocess
from pathlib import Path

import mutagen.id3
import numpy as np
import pytest
import soundfile as sf

from spectrogenre.audio_io import mix_to_mono, read_mono
from spectrogenre.errors import AudioError
from tests.synth import noise, sine


def test_stereo_44100_decodes_to_mono_22050(tmp_path):
    left, right = sine(2.0, freq=440.0, sr=44100, amp=0.5), np.zeros(88200, dtype=np.float32)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 44100)
    mono = read_mono(path, sample_rate=22050)
    assert mono.dtype == np.float32 and len(mono) == 44100
    # mean of (sine, silence): half the amplitude
    assert abs(np.abs(mono[1000:-1000]).max() - 0.25) < 0.01


@pytest.mark.parametrize("fmt", ["mp3", "flac", "ogg"])
def test_compressed_formats_decode_to_the_right_length(tmp_path, fmt):
    path = tmp_path / f"tone.{fmt}"
    sf.write(path, sine(3.0, sr=44100), 44100)
    assert abs(len(read_mono(path, sample_rate=22050)) - 66150) <= 1200  # mp3 padding: < 1 frame


def test_long_files_stream_in_blocks_with_the_same_result(tmp_path):
    path = tmp_path / "long.wav"
    sf.write(path, sine(20.0, sr=48000), 48000)
    assert len(read_mono(path, sample_rate=22050)) == 441000


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.mark.parametrize("fmt", ["wav", "aiff", "mp3", "flac"])  # an AIFF cut short decoded to the cut, unsaid
def test_truncated_files_are_errors_naming_the_file(tmp_path, fmt):
    path = tmp_path / f"cut.{fmt}"
    sf.write(path, sine(4.0, sr=44100), 44100)
    _truncate(path)
    with pytest.raises(AudioError, match=rf"cut\.{fmt}: (truncated|decoding failed)"):
        read_mono(path, sample_rate=22050)


def test_a_damaged_chunk_libsndfile_seeks_past_is_an_error_row_without_a_traceback(tmp_path):
    """An AIFF whose SSND chunk is misnamed sends libsndfile to an offset the system refuses: the seek's OSError
    came out of cffi's callback as a traceback on stderr, beside the file's own error."""
    import sys

    path = tmp_path / "a.aiff"
    sf.write(path, sine(2.0, sr=8000), 8000, format="AIFF")
    data = bytearray(path.read_bytes())
    at = data.find(b"SSND")
    data[at + 2] = ord("O")  # SSOD
    path.write_bytes(data)
    script = ("from pathlib import Path; from spectrogenre.audio_io import read_mono; from spectrogenre.errors import "
              f"AudioError\ntry:\n    read_mono(Path({str(path)!r}), sample_rate=8000)\nexcept AudioError as err:\n"
              "    print(err.problem)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert run.stdout.startswith("cannot be decoded: corrupt or not a .aiff audio file"), run
    assert run.stderr == ""


def test_garbage_empty_and_zero_length_files_are_errors(tmp_path):
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(b"not audio at all " * 50)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    zero = tmp_path / "zero.wav"
    sf.write(zero, np.zeros(0, dtype=np.float32), 22050)
    with pytest.raises(AudioError, match=r"garbage\.mp3: cannot be decoded"):
        read_mono(garbage, sample_rate=22050)
    with pytest.raises(AudioError, match=r"empty\.wav: is empty \(0 bytes\)"):
        read_mono(empty, sample_rate=22050)
    with pytest.raises(AudioError, match=r"zero\.wav: contains no audio samples"):
        read_mono(zero, sample_rate=22050)


def test_non_finite_samples_are_an_error(tmp_path):
    path = tmp_path / "nan.wav"
    audio = sine(1.0, sr=22050)
    audio[100] = np.nan
    sf.write(path, audio, 22050, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN or infinite"):
        read_mono(path, sample_rate=22050)


def test_a_text_file_named_mp3_is_an_error_and_the_decoders_own_notes_stay_off_stderr(tmp_path, capfd):
    path = tmp_path / "notes.mp3"
    path.write_text("not audio at all\n" * 100)
    with pytest.raises(AudioError) as raised:
        read_mono(path, sample_rate=22050)
    assert str(raised.value) == f"{path}: cannot be decoded: corrupt or not a .mp3 audio file (Format not recognised.)"
    assert capfd.readouterr().err == ""  # libmpg123 writes "Note: Illegal Audio-MPEG-Header ..." to fd 2 itself


def test_an_mp3_frame_header_followed_by_garbage_is_not_said_to_be_a_missing_file_or_a_pipe(tmp_path):
    path = tmp_path / "cut.mp3"
    frame_header = b"\xff\xfb\x90\x04"  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
    path.write_bytes(frame_header + np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    with pytest.raises(AudioError) as raised:
        read_mono(path, sample_rate=22050)
    # libsndfile's words were "File does not exist or is not a regular file (possibly a pipe?)."
    assert str(raised.value) == (f"{path}: cannot be decoded: corrupt or not a .mp3 audio file (no audio header or "
                                 f"frame where it should start)")


def test_the_decoders_reason_is_kept_without_the_path_it_repeats(tmp_path):
    path = tmp_path / "noise.flac"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(AudioError) as raised:
        read_mono(path, sample_rate=22050)
    assert str(raised.value) == f"{path}: cannot be decoded: corrupt or not a .flac audio file (Format not recognised.)"


def damaged(tmp_path, fmt: str) -> tuple:
    """A 30 s tone as `fmt` with 5000 zero bytes halfway through its frames: (its path, the undamaged file's
    samples, the seconds of audio the damaged bytes held at the file's mean byte rate)."""
    path = tmp_path / f"damaged.{fmt}"
    noise = np.random.default_rng(0).uniform(-0.1, 0.1, 22050 * 30).astype(np.float32)
    sf.write(path, (sine(30.0, sr=22050) + noise) * np.linspace(0.2, 1.0, 22050 * 30, dtype=np.float32), 22050)
    whole = read_mono(path, sample_rate=22050)
    data = bytearray(path.read_bytes())
    data[len(data) // 2: len(data) // 2 + 5000] = bytes(5000)
    path.write_bytes(bytes(data))
    return path, whole, 5000 / (len(data) / 30.0)


needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


def _encoded(tmp_path: Path, name: str, *options: str, seconds: float = 3.0) -> Path:
    """A 440 Hz tone of `seconds` at 44.1 kHz, encoded by ffmpeg with `options` (codec, container) into `name`."""
    wav, path = tmp_path / "tone.wav", tmp_path / name
    sf.write(wav, sine(seconds, freq=440.0, sr=44100, amp=0.5), 44100)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), *options, str(path)], check=True)
    return path


@needs_ffmpeg
@pytest.mark.parametrize("name, options", [
    ("tone.oga", ("-c:a", "flac", "-f", "ogg")),  # FLAC in Ogg, named as it should be
    ("tone.mp3", ("-c:a", "wmav2", "-f", "asf")),  # a WMA file renamed
    ("tone.ogg", ("-c:a", "libopus", "-f", "webm")),  # WebM named .ogg
    ("tone.flac", ("-c:a", "alac", "-f", "ipod")),  # ALAC in MP4 named .flac
])
def test_a_file_libsndfile_cannot_open_holding_a_format_ffmpeg_reads_is_decoded(tmp_path, name, options):
    from spectrogenre.audio_io import held_for_ffmpeg, undecodable

    path = _encoded(tmp_path, name, *options)
    with pytest.raises(sf.LibsndfileError):  # what made it "corrupt" before
        sf.info(path)
    mono = read_mono(path, sample_rate=22050)
    # 3 s at 22.05 kHz, give or take the codecs' padding (Opus and WMA add a few tens of ms)
    assert abs(len(mono) - 66150) < 0.05 * 22050, len(mono)
    spectrum = np.abs(np.fft.rfft(mono[2205:-2205]))
    assert abs(np.argmax(spectrum) * 22050 / len(mono[2205:-2205]) - 440) < 2  # the tone, not noise
    assert undecodable(path) is None  # so the library scan takes it too
    assert held_for_ffmpeg(path) is not None


@needs_ffmpeg
@pytest.mark.parametrize("name, options", [
    ("tone.mp2", ("-c:a", "mp2")),  # MPEG-1 Layer II: broadcast archives, old rips
    ("tone.ac3", ("-c:a", "ac3")),  # Dolby Digital: a DVD's soundtrack
    ("tone.caf", ("-c:a", "pcm_s16le")),  # Apple's Core Audio Format
    ("tone.spx", ("-c:a", "libspeex", "-ar", "16000")),  # Speex in Ogg: speech, but a file people keep
    ("tone.tta", ("-c:a", "tta")),  # True Audio, lossless
    ("tone.ra", ("-c:a", "real_144", "-ar", "8000", "-ac", "1")),  # RealAudio, from the early web
    ("tone.3gp", ("-c:a", "aac", "-f", "3gp")),  # a phone's voice recorder
    ("tone.m4r", ("-c:a", "aac", "-f", "ipod")),  # an iPhone ringtone
])
def test_music_formats_only_ffmpeg_reads_are_decoded_by_their_name(tmp_path, name, options):
    from spectrogenre.audio_io import is_audio_file, unread_format

    path = _encoded(tmp_path, name, *options)
    assert is_audio_file(path) and unread_format(path) is None
    mono = read_mono(path, sample_rate=22050)
    # 3 s at 22.05 kHz, give or take a codec's frames of padding (AC-3: 1536 samples, RealAudio 144: 160 at 8 kHz)
    assert abs(len(mono) - 66150) < 0.1 * 22050, len(mono)
    spectrum = np.abs(np.fft.rfft(mono[2205:-2205]))
    assert abs(np.argmax(spectrum) * 22050 / len(mono[2205:-2205]) - 440) < 3  # the tone, not noise


@needs_ffmpeg
@pytest.mark.parametrize("default", [0, 1, None])
def test_of_several_audio_streams_the_default_is_read_and_the_others_said_to_be_left(tmp_path, caplog, default):
    # a silent stream first and the tone second: a player plays the one marked as the default, the first if none is
    tone = tmp_path / "tone.wav"
    sf.write(tone, sine(3.0, freq=440.0, sr=44100, amp=0.5), 44100)
    path = tmp_path / "two.mka"
    marks = ["-disposition:a:0", "default" if default == 0 else "0", "-disposition:a:1", "default" if default == 1 else "0"]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-i",
                    str(tone), "-t", "3", "-map", "0:a", "-map", "1:a", "-c:a", "flac", *marks, str(path)], check=True)
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        mono = read_mono(path, sample_rate=22050)
    read = 1 if default == 1 else 0
    which = "its default" if default is not None else "the first"
    assert [record.getMessage() for record in caplog.records] == [
        f"{path}: holds 2 audio streams: only stream {read} ({which}) is read"]
    assert (np.abs(mono).max() > 0.4) == (read == 1)  # the tone, or the silence


@needs_ffmpeg
def test_a_file_named_as_no_audio_format_is_audio_by_its_content_where_a_decoder_knows_it(tmp_path):
    from spectrogenre.audio_io import audio_by_content

    video = tmp_path / "clip.mkv"  # a video with a sound track
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-f",
                    "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "3", "-c:v", "mpeg4", "-c:a",
                    "flac", str(video)], check=True)
    silent_video = tmp_path / "silent.mkv"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-t", "1",
                    "-c:v", "mpeg4", str(silent_video)], check=True)
    bare = tmp_path / "track01"  # a download without a suffix
    sf.write(bare, sine(3.0, sr=44100), 44100, format="WAV")
    notes = tmp_path / "notes.txt"
    notes.write_text("RIFF is a word, not a header\n")
    assert [audio_by_content(path) for path in (video, bare, silent_video, notes)] == [True, True, False, False]
    assert abs(len(read_mono(video, sample_rate=22050)) - 3 * 22050) < 0.05 * 22050


@needs_ffmpeg
def test_an_mp3_inside_a_wav_is_decoded_whole_not_called_truncated(tmp_path):
    # libsndfile's frame count for MPEG audio in a WAV is libmpg123's estimate (0.3 % over here), not the header's
    path = _encoded(tmp_path, "broadcast.wav", "-c:a", "libmp3lame", "-f", "wav", seconds=30.0)
    assert sf.info(path).subtype == "MPEG_LAYER_III"
    mono = read_mono(path, sample_rate=22050)
    assert abs(len(mono) - 30 * 22050) < 0.1 * 22050, len(mono)  # the encoder's padding: 41 ms here


@needs_ffmpeg
def test_a_damaged_file_of_a_format_libsndfile_reads_is_not_handed_to_ffmpeg(tmp_path):
    """A file libsndfile cannot open that holds one of its own formats is damaged: it stays refused in its words, and
    neither random bytes nor a WAV whose format code is unknown become audio by another decoder's guess."""
    from spectrogenre.audio_io import held_for_ffmpeg

    garbage = tmp_path / "garbage.ogg"
    garbage.write_bytes(np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8).tobytes())
    wav = tmp_path / "odd.wav"
    sf.write(wav, sine(1.0, sr=44100), 44100, subtype="PCM_16")
    data = bytearray(wav.read_bytes())
    data[20:22] = (0x1234).to_bytes(2, "little")  # the fmt chunk's format code: one no WAV has
    wav.write_bytes(bytes(data))
    for path in (garbage, wav):
        assert held_for_ffmpeg(path) is None
        with pytest.raises(AudioError, match=rf"{path.name}: cannot be decoded: corrupt or not a \{path.suffix} audio"):
            read_mono(path, sample_rate=22050)


@needs_ffmpeg
@pytest.mark.parametrize("fmt", ["flac", "mp3"])
def test_a_file_damaged_in_the_middle_is_decoded_past_the_damage_and_named(tmp_path, fmt, caplog):
    path, whole, damaged_s = damaged(tmp_path, fmt)
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        mono = read_mono(path, sample_rate=22050)
    # the damage costs the audio its bytes held and the few frames around it the decoder skips to find its
    # footing again (FLAC's are 0.19 s here, MP3's 0.05 s): about a second of 30 s here, not the file
    lost_s = (len(whole) - len(mono)) / 22050
    assert 0 < lost_s < damaged_s + 0.6, (lost_s, damaged_s)
    # libsndfile decoded the first 2 ** 18 frames (11.9 s) before it met the damage; ffmpeg went on from there.
    # The tone fades in: the last second is where it ends, at its loudest, in either file
    np.testing.assert_allclose(mono[: 1 << 18], whole[: 1 << 18], atol=1e-6)
    np.testing.assert_allclose(np.abs(mono[-22050:]).max(), np.abs(whole[-22050:]).max(), atol=0.01)
    # The damage is in the block libsndfile could not decode, 11.9 s to 23.8 s; its bytes are the file's middle,
    # past 15 s as the tone fades in (louder audio takes more bytes a second): where ffmpeg's decode leaves a gap
    [message] = [record.getMessage() for record in caplog.records]
    found = re.fullmatch(rf"{re.escape(str(path))}: damaged at (\d+\.\d) s \(.+\); decoded on past the damage with "
                         rf"ffmpeg, {lost_s:.1f} s of 30\.0 s lost", message)
    assert found and 15.0 <= float(found[1]) < 23.8, message


@needs_ffmpeg
def test_an_mp3_whose_decoder_stops_at_the_damage_without_a_word_is_decoded_past_it(tmp_path, monkeypatch, caplog):
    from spectrogenre import audio_io

    path = tmp_path / "song.mp3"
    sf.write(path, sine(30.0, sr=22050) * np.linspace(0.2, 1.0, 22050 * 30, dtype=np.float32), 22050)
    whole = read_mono(path, sample_rate=22050)

    class StopsAtTheDamage(sf.SoundFile):  # what libmpg123 does with some damaged frames: it ends the stream
        def read(self, frames=-1, **kwargs):
            if self.tell() >= 1 << 18:
                return np.zeros((0, self.channels), np.float32)
            return super().read(frames, **kwargs)

    monkeypatch.setattr(audio_io.sf, "SoundFile", StopsAtTheDamage)
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        mono = read_mono(path, sample_rate=22050)
    assert abs(len(mono) - len(whole)) < 22050 * 0.1  # ffmpeg decoded the last 18 s the decoder gave up on
    np.testing.assert_allclose(mono[: 1 << 18], whole[: 1 << 18], atol=1e-6)
    [message] = [record.getMessage() for record in caplog.records]
    assert message.startswith(f"{path}: damaged at 11.9 s (the decoder stopped early); decoded on past the damage")


def test_without_ffmpeg_a_file_damaged_in_the_middle_says_where(tmp_path, monkeypatch):
    from spectrogenre import audio_io

    path, _, _ = damaged(tmp_path, "flac")
    monkeypatch.setattr(audio_io.shutil, "which", lambda name: None)
    # blocks of 2 ** 18 frames are decoded whole or not at all: the damage at 15 s fails the second, so
    # 262,144 frames (11.9 s) were decoded
    with pytest.raises(AudioError, match=r"damaged\.flac: decoding failed between 11\.9 s and 23\.8 s, where the file is "
                                         r"damaged"):
        read_mono(path, sample_rate=22050)


def damaged_in_the_middle(tmp_path, name: str, rate: int) -> tuple:
    """30 s of a tone in noise, steady, so that a byte's place in the file is its place in time, written as `name`
    says (Vorbis or Opus in .ogg, Opus as .opus, FLAC, MP3, AAC in .m4a), then a second's worth of its bytes (a
    thirtieth) overwritten with random ones from its middle: 15 s in. (The damaged file's path, the whole one's
    samples at `rate`.)"""
    path = tmp_path / name
    audio = sine(30.0, sr=rate, amp=0.3) + noise(30.0, sr=rate, amp=0.2)
    if path.suffix == ".m4a":
        wav = tmp_path / "steady.wav"
        sf.write(wav, audio, rate)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "aac", str(path)], check=True)
    else:
        subtype = {"vorbis.ogg": "VORBIS", "opus.ogg": "OPUS", "song.opus": "OPUS"}.get(name)
        sf.write(path, audio, rate, format="OGG" if subtype else None, subtype=subtype)
    whole = read_mono(path, sample_rate=rate)
    overwrite(path, start=1 / 2, size=1 / 30)
    return path, whole


def overwrite(path, *, start: float, size: float, zeros: bool = False) -> None:
    """`size` of `path`'s bytes (a fraction of them) from `start` (a fraction in) overwritten with random bytes,
    or zeros."""
    data = bytearray(path.read_bytes())
    first, count = int(len(data) * start), int(len(data) * size)
    data[first: first + count] = bytes(count) if zeros else np.random.default_rng(0).integers(
        0, 256, count, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


DAMAGED = re.compile(r"damaged at (\d+\.\d) s \(.+\); decoded on past the damage with ffmpeg, (\d+\.\d) s of 30\.0 s lost")


def decoded_with_its_damage_named(path, rate: int, caplog) -> tuple:
    """(the samples, where the damage is said to be and the seconds said lost): the one message decoding `path`
    logs must name it and be a DAMAGED line."""
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        mono = read_mono(path, sample_rate=rate)
    [message] = [record.getMessage() for record in caplog.records]
    found = DAMAGED.fullmatch(message.removeprefix(f"{path}: "))
    assert message.startswith(f"{path}: ") and found, message
    return mono, float(found[1]), float(found[2])


@needs_ffmpeg
@pytest.mark.parametrize("name, rate", [("vorbis.ogg", 22050), ("opus.ogg", 48000), ("song.opus", 48000)])
def test_an_ogg_file_damaged_in_the_middle_is_named_where_the_audio_is_lost_and_how_much(tmp_path, name, rate,
                                                                                       caplog):
    path, whole = damaged_in_the_middle(tmp_path, name, rate)
    mono, at_s, lost_s = decoded_with_its_damage_named(path, rate, caplog)
    # A page whose bytes are damaged fails its checksum and is skipped whole: the audio goes missing from the start
    # of the first damaged page (Vorbis's hold ~0.7 s here, Opus's 1 s) to the end of the last, 1 to 3 s from up
    # to a page before 15 s. The decode is the file's own audio up to there and from its end on, nothing repeated:
    # it departs from the whole file's where the report says, and its tail is the whole file's
    departs_s = np.argmax(np.abs(mono - whole[: len(mono)]) > 0.01) / rate
    short_s = (len(whole) - len(mono)) / rate
    assert 13.5 < departs_s < 15.0 and abs(at_s - departs_s) < 0.1, (at_s, departs_s)
    assert 1.0 < short_s < 3.0 and abs(lost_s - short_s) < 0.1, (lost_s, short_s)
    np.testing.assert_allclose(mono[-10 * rate:], whole[-10 * rate:], atol=0.01)


@needs_ffmpeg
def test_an_ogg_file_libsndfile_ran_short_on_past_its_damage_is_named_where_the_damage_is(tmp_path, caplog):
    path = tmp_path / "fading.ogg"
    sf.write(path, (sine(30.0, sr=22050) + noise(30.0, sr=22050, amp=0.1))
             * np.linspace(0.2, 1.0, 22050 * 30, dtype=np.float32), 22050, format="OGG", subtype="VORBIS")
    whole = read_mono(path, sample_rate=22050)
    overwrite(path, start=2 / 5, size=1 / 30)
    # libsndfile's count of frames reached the length the file states at 28.5 s, past the damage at 11.3 s: this
    # was named "damaged at 28.5 s (the decoder stopped early)", with ffmpeg's decode from there making up
    # "0.0 s" lost. The damage is where the decode departs from the whole file's, and costs what it falls short
    mono, at_s, lost_s = decoded_with_its_damage_named(path, 22050, caplog)
    departs_s = np.argmax(np.abs(mono - whole[: len(mono)]) > 0.01) / 22050
    short_s = (len(whole) - len(mono)) / 22050
    assert 10.0 < departs_s < 12.5 and abs(at_s - departs_s) < 0.1, (at_s, departs_s)
    assert 1.0 < short_s < 3.0 and abs(lost_s - short_s) < 0.1, (lost_s, short_s)
    np.testing.assert_allclose(mono[-10 * 22050:], whole[-10 * 22050:], atol=0.01)


@needs_ffmpeg
@pytest.mark.parametrize("name", ["song.flac", "song.mp3", "song.m4a"])
def test_the_same_damage_in_flac_mp3_and_m4a_is_named_where_it_is_with_what_it_cost(tmp_path, name, caplog):
    path, whole = damaged_in_the_middle(tmp_path, name, 22050)
    mono, at_s, lost_s = decoded_with_its_damage_named(path, 22050, caplog)
    # The damaged second's bytes start 15 s in. ffmpeg's FLAC parser drops a few good frames before the damaged
    # ones as it looks for its footing (0.7 s here); an MP3's and an AAC's frames go missing from the damage on.
    # (libsndfile decoded the first 2 ** 18 frames, 11.9 s; ffmpeg went on from there, or, in the .m4a, decoded it
    # all.) The loss is what the decode falls short, to a FLAC frame (0.19 s)
    short_s = (len(whole) - len(mono)) / 22050
    assert 14.0 <= at_s <= 15.2, at_s
    assert 0.9 < short_s < 2.0 and abs(lost_s - short_s) < 0.25, (lost_s, short_s)


@needs_ffmpeg
def test_a_flac_damaged_where_ffmpegs_seek_fails_is_decoded_past_the_damage_from_its_start(tmp_path, caplog):
    path = tmp_path / "song.flac"
    sf.write(path, np.stack([sine(30.0, sr=44100, amp=0.3) + noise(30.0, sr=44100, amp=0.2),
                             noise(30.0, sr=44100, amp=0.2, seed=1)], axis=1), 44100)
    whole = read_mono(path, sample_rate=44100)
    # A twentieth of its bytes (1.5 s) overwritten with random ones from 12.0 s in, just past where libsndfile's third
    # block of 2 ** 18 frames starts (11.9 s): that block fails, and ffmpeg, asked to seek to 11.9 s, searches the
    # file's bytes for the time, lands in the damage ("read_timestamp() failed in the middle") and decodes nothing.
    # The file was refused: "decoding failed between 11.9 s and 17.8 s, where the file is damaged"
    overwrite(path, start=12 / 30, size=1 / 20)
    mono, at_s, lost_s = decoded_with_its_damage_named(path, 44100, caplog)
    # libsndfile's 11.9 s, then ffmpeg's decode from the start with what came before 11.9 s dropped: the file's own
    # audio up to there and from the damage's end on, short by the 1.5 s of damaged bytes and a few frames about them.
    # ffmpeg's FLAC parser drops a few good frames before the damage (see above), from 11.7 s here, which libsndfile
    # decoded: the audio goes missing where libsndfile stopped (was "damaged at 11.7 s", 0.3 s too much lost)
    short_s = (len(whole) - len(mono)) / 44100
    np.testing.assert_array_equal(mono[: 2 << 18], whole[: 2 << 18])
    np.testing.assert_array_equal(mono[-10 * 44100:], whole[-10 * 44100:])
    assert at_s == 11.9 and 1.5 < short_s < 2.5 and abs(lost_s - short_s) < 0.15, (at_s, lost_s, short_s)


@needs_ffmpeg
@pytest.mark.parametrize("damage", ["random", "zeros"])
def test_an_mp3_without_a_frame_count_damaged_in_the_middle_is_named_where_but_its_loss_is_not_known(tmp_path,
                                                                                                     caplog, damage):
    wav, path = tmp_path / "steady.wav", tmp_path / "song.mp3"
    sf.write(wav, sine(30.0, sr=22050, amp=0.3) + noise(30.0, sr=22050, amp=0.2), 22050)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "64k",
                    "-write_xing", "0", str(path)], check=True)
    overwrite(path, start=1 / 2, size=1 / 30, zeros=damage == "zeros")
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        mono = read_mono(path, sample_rate=22050)
    # its length is known only from its size and first bitrate (libsndfile's and mutagen's estimate, which the
    # damaged bytes count in): ffmpeg decodes it to its end, and where the damage is, 15 s in, is named, and that
    # what it cost is not known, rather than a number that may be wrong
    [message] = [record.getMessage() for record in caplog.records]
    found = re.fullmatch(rf"{re.escape(str(path))}: damaged at (\d+\.\d) s \(\d+ decoding error\(s\), the first: .+\); "
                         rf"decoded on past the damage with ffmpeg to {len(mono) / 22050:.1f} s; how much was lost is "
                         rf"not known", message)
    assert found and 14.0 <= float(found[1]) <= 15.2, message


@needs_ffmpeg
def test_without_ffmpeg_an_ogg_file_damaged_in_the_middle_says_where(tmp_path, monkeypatch):
    from spectrogenre import audio_io

    path, _ = damaged_in_the_middle(tmp_path, "vorbis.ogg", 22050)
    monkeypatch.setattr(audio_io.shutil, "which", lambda name: None)
    # libsndfile decodes on past the damage, but not as the file's time runs (see iter_mono_blocks): refused, as a
    # FLAC or MP3 it cannot decode past is. The damage at 15 s is in its second block of 2 ** 18 frames
    with pytest.raises(AudioError, match=r"vorbis\.ogg: decoding failed between 11\.9 s and 23\.8 s, where the file is "
                                         r"damaged \(libsndfile: Ogg ?: Skipped \d+ bytes looking for the next page\)"):
        read_mono(path, sample_rate=22050)


def test_without_ffmpeg_an_mp3_whose_decoder_stops_early_is_refused_as_truncated(tmp_path, monkeypatch):
    from spectrogenre import audio_io

    path = tmp_path / "song.mp3"
    sf.write(path, sine(30.0, sr=22050), 22050)

    class StopsAtTheDamage(sf.SoundFile):
        def read(self, frames=-1, **kwargs):
            if self.tell() >= 1 << 18:
                return np.zeros((0, self.channels), np.float32)
            return super().read(frames, **kwargs)

    monkeypatch.setattr(audio_io.sf, "SoundFile", StopsAtTheDamage)
    monkeypatch.setattr(audio_io.shutil, "which", lambda name: None)
    with pytest.raises(AudioError, match=r"song\.mp3: truncated: header declares \d+ frames, only 262144 decoded"):
        read_mono(path, sample_rate=22050)

def cbr_mp3_without_frame_count(tmp_path, name, seconds=20.0):
    """A 128 kbps MP3 with no Xing/Info header (older encoders' CBR files): its length is only its size."""
    wav = tmp_path / f"{name}.wav"
    sf.write(wav, sine(seconds, sr=44100), 44100)
    path = tmp_path / f"{name}.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "128k",
                    "-write_xing", "0", "-id3v2_version", "0", str(path)], check=True)
    return path


@needs_ffmpeg
@pytest.mark.parametrize("ffmpeg_installed", [True, False])
def test_an_mp3_without_a_frame_count_and_a_large_cover_decodes_whole_and_quietly(tmp_path, monkeypatch, caplog,
                                                                                   ffmpeg_installed):
    from spectrogenre import audio_io

    plain = cbr_mp3_without_frame_count(tmp_path, "plain")
    covered = tmp_path / "covered.mp3"
    shutil.copyfile(plain, covered)
    tags = mutagen.id3.ID3()
    tags.add(mutagen.id3.APIC(encoding=3, mime="image/jpeg", type=3, desc="", data=bytes(200_000)))
    tags.save(covered)  # 200 KB of picture before 320 KB of audio: libsndfile takes it for 12 s more audio
    assert sf.info(covered).frames > 1.5 * sf.info(plain).frames
    if not ffmpeg_installed:
        monkeypatch.setattr(audio_io.shutil, "which", lambda name: None)
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        mono = read_mono(covered, sample_rate=22050)
    np.testing.assert_array_equal(mono, read_mono(plain, sample_rate=22050))
    assert abs(len(mono) - 20 * 22050) < 22050 * 0.1 and caplog.records == []


@needs_ffmpeg
@pytest.mark.parametrize("ffmpeg_installed", [True, False])
def test_an_mp3_without_a_frame_count_cut_short_is_named_with_the_seconds_that_are_there(tmp_path, monkeypatch,
                                                                                          caplog, ffmpeg_installed):
    from spectrogenre import audio_io

    whole = cbr_mp3_without_frame_count(tmp_path, "whole")  # 417- and 418-byte frames: a cut lands inside one
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: len(data) // 2 + 100])  # 160 KB of 320 KB: about 10 s of the 20 s
    if not ffmpeg_installed:
        monkeypatch.setattr(audio_io.shutil, "which", lambda name: None)
    assert_named_cut_inside_a_frame(whole, cut, caplog, kind="MP3", seconds=(9.5, 10.5))


def assert_named_cut_inside_a_frame(whole: Path, cut: Path, caplog, *, kind: str, seconds: tuple[float, float]):
    """Of `whole` (20 s) nothing is said; `cut` is named as a `kind` that ends part way through a frame, with the
    seconds decoded, which lie within `seconds`."""
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        assert abs(len(read_mono(whole, sample_rate=22050)) / 22050 - 20.0) < 0.1
        assert caplog.records == []  # whole: nothing to say
        mono = read_mono(cut, sample_rate=22050)
    [message] = [record.getMessage() for record in caplog.records]
    found = re.fullmatch(rf"{re.escape(str(cut))}: the {kind} ends part way through a frame, so the file is cut short "
                         rf"\(a copy or download that stopped\): its first (\d+\.\d) s are there; its header states no "
                         rf"length, so how much is missing is not known", message)
    low, high = seconds
    assert found and abs(float(found[1]) - len(mono) / 22050) <= 0.06 and low < len(mono) / 22050 < high, message


@needs_ffmpeg
@pytest.mark.parametrize("suffix, codec, kind", [(".aac", "aac", "AAC"), (".mp2", "mp2", "MP2")])
def test_a_raw_aac_or_mp2_cut_short_is_named_as_an_mp3_is(tmp_path, caplog, suffix, codec, kind):
    # their frames state their sizes and the file no length: a download that stopped decoded without a word
    whole = _encoded(tmp_path, f"whole{suffix}", "-c:a", codec, "-b:a", "128k", seconds=20.0)
    data = whole.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: len(data) // 2 + 3])  # about 10 s of the 20 s, 3 bytes into a frame
    assert_named_cut_inside_a_frame(whole, cut, caplog, kind=kind, seconds=(9, 11))


@needs_ffmpeg
@pytest.mark.parametrize("kind", ["mp3", "ogg"])
def test_a_file_whose_second_half_is_zero_bytes_is_named_cut_short(tmp_path, caplog, kind):
    """A download that stopped in a file made its full size first (torrent clients do): zeros where the rest was
    to be written. Neither the MP3's frames nor the Ogg pages end part way where zeros follow, so it went unnamed."""
    if kind == "mp3":
        whole = cbr_mp3_without_frame_count(tmp_path, "whole")
    else:
        whole = tmp_path / "whole.ogg"
        sf.write(whole, sine(30.0, sr=16000), 16000, format="OGG", subtype="VORBIS")
    data = whole.read_bytes()
    half = tmp_path / f"half.{kind}"
    half.write_bytes(data[: len(data) // 2] + bytes(len(data) - len(data) // 2))
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        read_mono(whole, sample_rate=16000)
        assert caplog.records == []
        seconds = len(read_mono(half, sample_rate=16000)) / 16000
    [message] = [record.getMessage() for record in caplog.records]
    zeros = (len(data) - len(data) // 2) / 1024
    assert message == (f"{half}: its last {zeros:,.0f} KB are zero bytes, where the stream stops: a copy or download "
                       f"that stopped part way (one that made the file its full size first), so the file is cut "
                       f"short: only its first {seconds:.1f} s are there"), message
    assert 0.3 < seconds / (20.0 if kind == "mp3" else 30.0) < 0.7


@pytest.mark.parametrize("name", ["whole.ogg", pytest.param("whole.opus", marks=needs_ffmpeg)])
def test_zero_bytes_after_a_whole_ogg_stream_are_not_called_a_cut(tmp_path, caplog, name):
    # the stream's last page is there, marked as its end: the zeros after it are padding, and nothing is missing
    path = tmp_path / name
    if name.endswith(".ogg"):
        sf.write(path, sine(30.0, sr=16000), 16000, format="OGG", subtype="VORBIS")
    else:
        path = _encoded(tmp_path, name, "-c:a", "libopus", seconds=30.0)
    whole = read_mono(path, sample_rate=16000)
    path.write_bytes(path.read_bytes() + bytes(8192))
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        padded = read_mono(path, sample_rate=16000)
    assert [record.getMessage() for record in caplog.records] == []
    np.testing.assert_array_equal(padded, whole)


@needs_ffmpeg
def test_an_mp3_cut_short_is_still_refused_where_its_frame_count_says_so(tmp_path):
    path = tmp_path / "song.mp3"
    sf.write(path, sine(30.0, sr=22050), 22050)  # libsndfile writes the Xing header: 30 s
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioError, match=r"song\.mp3: (truncated|decoding failed)"):
        read_mono(path, sample_rate=22050)


@pytest.mark.parametrize("channels", range(1, 10))
def test_mix_to_mono_is_the_channel_mean_bit_for_bit(channels):
    block = np.random.default_rng(channels).standard_normal((4096, channels)).astype(np.float32)
    block[::7] = -0.0
    block[::11, 0] = 1e-40
    expected = block.mean(axis=1) if channels > 1 else block[:, 0]
    np.testing.assert_array_equal(mix_to_mono(block).view(np.int32), expected.view(np.int32))


def _rate_lie(tmp_path, rate: int):
    import soundfile as sf

    path = tmp_path / f"lie{rate}.wav"
    sf.write(path, np.zeros(8000, np.float32), 8000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[24:28] = rate.to_bytes(4, "little")  # the fmt chunk's sample rate
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("rate", [1_000_000_000, 1, 3_999, 0])  # 0: libsndfile's own "SF_INFO struct incomplete"
def test_a_header_with_an_impossible_rate_is_refused_before_decoding(tmp_path, rate):
    with pytest.raises(AudioError, match=f"header claims a sample rate of {rate:,} Hz"):
        read_mono(_rate_lie(tmp_path, rate), sample_rate=22050)


def test_streamed_blocks_are_read_monos_samples_and_stop_at_the_limits(tmp_path):
    import soundfile as sf

    from spectrogenre.audio_io import DecodeLimits, stream_mono
    from spectrogenre.errors import AudioTooLong, WorkTimeout

    rng = np.random.default_rng(0)
    path = tmp_path / "stereo.flac"
    sf.write(path, rng.uniform(-0.5, 0.5, (44100 * 90, 2)).astype(np.float32), 44100, subtype="PCM_16")
    blocks = list(stream_mono(path, sample_rate=22050))
    assert len(blocks) > 2  # a block at a time, not the whole track
    np.testing.assert_array_equal(np.concatenate(blocks), read_mono(path, sample_rate=22050))
    with pytest.raises(AudioTooLong, match="longer than the 10 s of audio allowed"):
        list(stream_mono(path, sample_rate=22050, limits=DecodeLimits(max_seconds=10)))
    with pytest.raises(WorkTimeout, match="took longer than the 0 s allowed: stopped"):
        list(stream_mono(path, sample_rate=22050, limits=DecodeLimits(time_limit_s=0)))


def test_ffmpeg_streams_the_same_samples_as_libsndfile(tmp_path):
    import shutil
    import subprocess

    import soundfile as sf

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    wav, mka = tmp_path / "a.wav", tmp_path / "a.mka"
    sf.write(wav, np.random.default_rng(1).uniform(-0.5, 0.5, (48000 * 12, 2)).astype(np.float32), 48000,
             subtype="FLOAT")
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "pcm_f32le", str(mka)], check=True)
    np.testing.assert_array_equal(read_mono(mka, sample_rate=16000), read_mono(wav, sample_rate=16000))


def test_what_is_not_a_readable_file_is_named(tmp_path):
    import os

    from spectrogenre.audio_io import unreadable

    os.mkfifo(tmp_path / "pipe.mp3")
    (tmp_path / "link.mp3").symlink_to(tmp_path / "gone.mp3")
    (tmp_path / "folder.mp3").mkdir()
    (tmp_path / "ok.mp3").write_bytes(b"x")
    assert unreadable(tmp_path / "pipe.mp3") == "is a named pipe (FIFO), not a file: not read"
    assert unreadable(tmp_path / "link.mp3") == (f"broken symbolic link: it points to {tmp_path / 'gone.mp3'}, "
                                                 "which does not exist")
    assert unreadable(tmp_path / "folder.mp3") == "is a folder, not an audio file"
    assert unreadable(tmp_path / "missing.mp3") == "no such file"
    assert unreadable(tmp_path / "ok.mp3") is None
    if os.geteuid() != 0:  # root reads anything
        (tmp_path / "ok.mp3").chmod(0)
        assert unreadable(tmp_path / "ok.mp3") == "cannot be read: permission denied"


def test_a_float_file_far_over_full_scale_is_named_and_one_near_it_is_not(tmp_path, caplog):
    loud, mastered = tmp_path / "gain_up.wav", tmp_path / "mastered.wav"
    t = np.arange(16000 * 4) / 16000
    tone = np.sin(2 * np.pi * 220 * t).astype(np.float32)
    sf.write(loud, np.concatenate([0.5 * tone, 4.0 * tone]), 16000, subtype="FLOAT")  # 4x full scale from 4 s
    sf.write(mastered, 1.1 * tone, 16000, subtype="FLOAT")  # a loud master's decoded peaks
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        read_mono(mastered, sample_rate=16000)
        assert caplog.records == []
        read_mono(loud, sample_rate=16000)
    [message] = [record.getMessage() for record in caplog.records]
    assert message.startswith(f"{loud}: samples far over full scale from 4.0 s ")
    assert "(4.0 times it, +12 dB)" in message


@needs_ffmpeg
def test_a_glitch_decoded_from_an_mp3s_damage_is_not_taken_for_a_file_too_loud(tmp_path, caplog):
    path = tmp_path / "song.mp3"
    sf.write(path, sine(30.0, sr=22050, amp=0.3) + noise(30.0, sr=22050, amp=0.2), 22050)  # peaks near 0.75
    data = bytearray(path.read_bytes())
    data[len(data) // 2: len(data) // 2 + 5000] = bytes(5000)
    path.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        mono = read_mono(path, sample_rate=22050)
    # The frames decoded just past the damage, 15 s in, burst to 19 times full scale for 20 ms: that was "samples far
    # over full scale from 15.0 s (19.2 times it, +26 dB); ... scale the file down". Only the damage is named
    loud = np.flatnonzero(np.abs(mono) > 2.0) / 22050
    assert len(loud) and 15.0 <= loud[0] <= loud[-1] < 15.1, loud
    [message] = [record.getMessage() for record in caplog.records]
    assert message.startswith(f"{path}: damaged at 15.0 s "), message


@pytest.mark.parametrize("subtype, rate", [("VORBIS", 16000), ("OPUS", 48000)])
def test_an_ogg_file_cut_short_is_named_and_a_whole_one_is_not(tmp_path, caplog, subtype, rate):
    from spectrogenre.audio_io import ogg_cut_short

    whole, cut = tmp_path / "whole.ogg", tmp_path / "cut.ogg"
    sf.write(whole, sine(30.0, sr=rate), rate, format="OGG", subtype=subtype)
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # a download that stopped half way: its pages still decode
    assert (ogg_cut_short(whole), ogg_cut_short(cut)) == (False, True)
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        assert len(read_mono(whole, sample_rate=16000)) == 16000 * 30
        assert caplog.records == []
        seconds = len(read_mono(cut, sample_rate=16000)) / 16000
    assert 1.0 < seconds < 29.0
    [message] = [record.getMessage() for record in caplog.records]
    assert message.startswith(f"{cut}: the Ogg stream stops without its end-of-stream mark, so the file is cut short")
    assert message.endswith(f"only its first {seconds:.1f} s are there")


def test_an_ogg_file_cut_inside_its_last_page_is_cut_short_and_one_with_bytes_after_it_is_not(tmp_path):
    from spectrogenre.audio_io import ogg_cut_short

    whole = tmp_path / "whole.ogg"
    sf.write(whole, sine(20.0, sr=16000), 16000, format="OGG", subtype="VORBIS")
    data = whole.read_bytes()
    last = data.rfind(b"OggS")
    assert data[last + 5] & 0x04  # the end-of-stream page
    for cut_at in (last + 3, last + 20, last + 30, len(data) - 1):  # in its header, its lacing, its data
        (tmp_path / "cut.ogg").write_bytes(data[:cut_at])
        assert ogg_cut_short(tmp_path / "cut.ogg"), cut_at
    (tmp_path / "padded.ogg").write_bytes(data + bytes(70_000))  # a whole stream, then zeros past a page's size
    assert not ogg_cut_short(tmp_path / "padded.ogg")


def test_only_ogg_streams_are_checked_for_their_end_mark(tmp_path):
    from spectrogenre.audio_io import ogg_cut_short

    wav = tmp_path / "a.wav"
    sf.write(wav, sine(1.0, sr=8000), 8000)
    (tmp_path / "a.ogg").write_bytes(wav.read_bytes())  # a WAV named .ogg: not an Ogg stream
    assert (ogg_cut_short(wav), ogg_cut_short(tmp_path / "a.ogg"), ogg_cut_short(tmp_path / "none.ogg")) == (
        False, False, False)


def test_work_whose_limits_are_cancelled_stops_at_the_next_block(tmp_path):
    from spectrogenre.audio_io import DecodeLimits, stream_mono
    from spectrogenre.errors import WorkCancelled

    path = tmp_path / "song.flac"
    sf.write(path, sine(30.0, sr=22050), 22050)
    limits = DecodeLimits()
    blocks = stream_mono(path, sample_rate=22050, limits=limits)
    next(blocks)
    limits.cancelled.set()  # the client went away
    with pytest.raises(WorkCancelled, match=r"song\.flac: stopped: no one waits for the answer any more"):
        next(blocks)


def test_a_chained_ogg_file_decodes_its_first_stream_and_says_so(tmp_path, caplog):
    first, second = tmp_path / "a.ogg", tmp_path / "b.ogg"
    sf.write(first, sine(4.0, sr=22050), 22050, format="OGG", subtype="VORBIS")
    sf.write(second, sine(6.0, freq=330.0, sr=22050), 22050, format="OGG", subtype="VORBIS")
    chained = tmp_path / "chained.ogg"  # two streams one after the other: libsndfile cannot tell its length
    chained.write_bytes(first.read_bytes() + second.read_bytes())
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        mono = read_mono(chained, sample_rate=22050)
    assert len(mono) == len(read_mono(first, sample_rate=22050))
    [message] = [record.getMessage() for record in caplog.records]
    assert message == (f"{chained}: a chained Ogg file (streams one after another: joined files, a radio "
                       f"recording); the decoder reads the first only: 4.0 s")
    caplog.clear()
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        read_mono(second, sample_rate=22050)  # one stream, whole: nothing to say
    assert caplog.records == []


@needs_ffmpeg
def test_a_vbr_mp3_without_a_frame_count_is_decoded_to_its_end(tmp_path):
    wav = tmp_path / "song.wav"
    sf.write(wav, sine(30.0, sr=44100), 44100)
    path = tmp_path / "song.mp3"  # libsndfile estimates 7 s from its size and first bitrate, and stops there
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "libmp3lame", "-q:a", "2",
                    "-write_xing", "0", str(path)], check=True)
    assert abs(len(read_mono(path, sample_rate=22050)) / 22050 - 30.0) < 0.1


def long_folder(tmp_path):
    """A folder whose path passes 1100 bytes (Linux allows 4096; libsndfile's own open refuses 1024 or more)."""
    folder = tmp_path.joinpath(*[f"{i:02d}" + "a" * 97 for i in range(11)])
    folder.mkdir(parents=True)
    assert len(bytes(folder)) > 1100
    return folder


@pytest.mark.parametrize("fmt", ["mp3", "wav", "flac"])
def test_a_file_at_a_path_past_1024_bytes_decodes_and_a_flac_is_written_there(tmp_path, fmt):
    from spectrogenre.audio_io import atomic_flac_writer, undecodable

    folder = long_folder(tmp_path)
    path = folder / f"tone.{fmt}"
    with open(path, "wb") as file:  # libsndfile's own open is what cannot open it
        sf.write(file, sine(2.0, sr=22050), 22050, format=fmt.upper())
    assert undecodable(path) is None
    assert abs(len(read_mono(path, sample_rate=22050)) - 44100) <= 1200  # mp3 padding: < 1 frame
    with atomic_flac_writer(folder / "out.flac", sample_rate=22050) as out:
        out.write(sine(1.0, sr=22050))
    with open(folder / "out.flac", "rb") as file:
        assert sf.info(file).frames == 22050


def piped_flac(tmp_path, seconds=20.0):
    """(a FLAC written to a pipe, as `ffmpeg -f flac -` writes it: STREAMINFO's sample count 0, unknown; the
    file it was made from)."""
    good, piped = tmp_path / "good.flac", tmp_path / "piped.flac"
    sf.write(good, sine(seconds, sr=22050), 22050)
    with open(piped, "wb") as out:
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(good), "-f", "flac", "-"], stdout=out,
                       check=True)
    return piped, good


@needs_ffmpeg
def test_a_flac_written_to_a_pipe_decodes_to_its_end_quietly(tmp_path, caplog):
    from spectrogenre.audio_io import sndfile_header

    piped, good = piped_flac(tmp_path)
    assert sf.info(str(piped)).frames == 2 ** 63 - 1  # libsndfile's unknown; it fails at the end of such a file
    assert sndfile_header(piped).length_unstated and not sndfile_header(good).length_unstated
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        mono = read_mono(piped, sample_rate=22050)
    assert len(mono) == 20 * 22050 and caplog.records == []
    np.testing.assert_array_equal(mono, read_mono(good, sample_rate=22050))


@needs_ffmpeg
def test_without_ffmpeg_a_flac_written_to_a_pipe_says_what_it_needs(tmp_path, monkeypatch):
    from spectrogenre import audio_io

    piped, _ = piped_flac(tmp_path)
    monkeypatch.setattr(audio_io.shutil, "which", lambda name: None)
    with pytest.raises(AudioError, match=r"piped\.flac: its header states no length \(a FLAC written to a pipe\), "
                                         r"and libsndfile fails at its end; ffmpeg decodes it to its end, and is not "
                                         r"installed"):
        read_mono(piped, sample_rate=22050)


def wav_sized(tmp_path, data_size: int, riff_size: int | None = None):
    """(a 3 s WAV whose header's data size is `data_size`, its RIFF size `riff_size` (else data_size + 36, as
    the writer would have it), the samples it holds)."""
    audio = sine(3.0, sr=22050)
    path = tmp_path / f"size_{data_size:x}.wav"
    sf.write(path, audio, 22050, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    at = data.index(b"data")
    assert int.from_bytes(data[at + 4:at + 8], "little") == 2 * len(audio) == len(data) - at - 8
    data[at + 4:at + 8] = data_size.to_bytes(4, "little")
    data[4:8] = ((data_size + 36) & 0xFFFFFFFF if riff_size is None else riff_size).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path, np.round(audio * 32767) / 32768  # PCM_16


@pytest.mark.parametrize("data_size, riff_size", [
    (0xFFFFFFFF, 0xFFFFFFFF),  # ffmpeg or sox writing to a pipe
    (0x7FFFF000, None),  # arecord's placeholder
    (0x7FFFFFFF, 0x7FFFFFFF),  # streaming servers' and recorder apps' (the largest signed 32-bit size)
    (0xFFFFFF9B, None),  # one a hundred bytes short of the limit
    pytest.param(0, 0, marks=needs_ffmpeg),  # a recorder that stopped before it wrote either size
])
def test_a_wav_whose_data_size_is_a_placeholder_decodes_the_samples_present(tmp_path, data_size, riff_size, caplog):
    path, samples = wav_sized(tmp_path, data_size, riff_size)
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        mono = read_mono(path, sample_rate=22050)
    assert len(mono) == 3 * 22050 and caplog.records == []
    np.testing.assert_allclose(mono, samples, atol=1 / 32768)


@pytest.mark.parametrize("fmt, suffix, declared", [
    ("RF64", ".wav", "its ds64 chunk declares 66150 frames, only 44100 present"),  # 3 s stated, 2 s there
    ("W64", ".w64", "data chunk declares 264600 bytes, only 176400 present"),  # 2 channels x 2 bytes a frame
])
def test_a_wav_for_large_files_cut_short_is_truncated_as_a_wav_is(tmp_path, fmt, suffix, declared):
    # RF64 and W64 keep their length where libsndfile does not hold the bytes to it: it read the 2 s left as the file
    path = tmp_path / f"cut{suffix}"
    stereo = np.stack([sine(3.0, sr=22050)] * 2, axis=1)
    sf.write(path, stereo, 22050, format=fmt, subtype="PCM_16")
    assert len(read_mono(path, sample_rate=22050)) == 3 * 22050  # whole, it is read whole without a word
    path.write_bytes(path.read_bytes()[:-22050 * 4])  # its last second's frames gone
    with pytest.raises(AudioError, match=re.escape(f"truncated: {declared}")):
        read_mono(path, sample_rate=22050)


def test_a_wav_cut_short_is_still_truncated_and_without_ffmpeg_a_zero_data_size_says_so(tmp_path, monkeypatch):
    from spectrogenre import audio_io

    path, _ = wav_sized(tmp_path, 2 * 3 * 22050)  # the size it had
    path.write_bytes(path.read_bytes()[:-44100])  # 1 s of its 3 s gone
    with pytest.raises(AudioError, match=r"truncated: data chunk declares 132300 bytes, only 88200 present"):
        read_mono(path, sample_rate=22050)
    zero, _ = wav_sized(tmp_path, 0, 0)
    monkeypatch.setattr(audio_io.shutil, "which", lambda name: None)
    with pytest.raises(AudioError, match=r"size_0\.wav: its header's data size is 0 \(left so by a recording stopped "
                                         r"before it finished its header, or no audio at all\); ffmpeg decodes it"):
        read_mono(zero, sample_rate=22050)


def m4a(tmp_path, name, *, faststart=True):
    """A 40 s tone as AAC in an .m4a; faststart: its index (moov atom) first, as streaming sites write it."""
    wav = tmp_path / "base40.wav"
    sf.write(wav, sine(40.0, sr=22050), 22050)
    path = tmp_path / name
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "aac",
                    *(["-movflags", "+faststart"] if faststart else []), str(path)], check=True)
    return path


@needs_ffmpeg
def test_an_m4a_cut_short_is_refused_and_one_damaged_a_little_is_named(tmp_path, caplog):
    whole = m4a(tmp_path, "whole.m4a")
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        assert abs(len(read_mono(whole, sample_rate=22050)) / 22050 - 40.0) < 0.05
    assert caplog.records == []
    data = whole.read_bytes()
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(data[: int(len(data) * 0.6)])  # its index, first, still says 40 s; 60 % of its audio is there
    with pytest.raises(AudioError, match=r"cut\.m4a: truncated or damaged: its header states 40\.0 s, only 2[34]\.\d s "
                                         r"decoded"):
        read_mono(cut, sample_rate=22050)
    damaged = tmp_path / "damaged.m4a"
    at = int(len(data) * 0.4)
    damaged.write_bytes(data[:at] + np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes()
                        + data[at + 5000:])
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        mono = read_mono(damaged, sample_rate=22050)
    lost_s = 40.0 - len(mono) / 22050
    assert 0 < lost_s < 4.0  # the AAC frames the bad bytes held and the decoder's skip past them
    # its bytes 40 % in: 16 s in, the tone being steady, and where the AAC frames they held go missing
    [message] = [record.getMessage() for record in caplog.records]
    found = re.fullmatch(rf"{re.escape(str(damaged))}: damaged at (\d+\.\d) s \(\d+ decoding error\(s\), the first: "
                         rf".+\); decoded on past the damage with ffmpeg, {lost_s:.1f} s of 40\.0 s lost", message)
    assert found and abs(float(found[1]) - 16.0) < 1.0, message


@needs_ffmpeg
def test_an_m4a_cut_before_its_index_says_it_is_truncated_or_not_an_m4a(tmp_path):
    path = m4a(tmp_path, "half.m4a", faststart=False)  # the index at the end, where ffmpeg writes it by default
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(AudioError) as raised:
        read_mono(path, sample_rate=22050)
    assert str(raised.value) == (f"{path}: truncated or not a valid .m4a file: its index (moov atom) is missing, as "
                                 f"in a file cut short that was to end with it")


@needs_ffmpeg
def test_an_opus_cut_inside_its_header_says_it_is_truncated(tmp_path):
    path = tmp_path / "cut.opus"
    sf.write(path, sine(5.0, freq=440.0, sr=48000, amp=0.3), 48000, format="OGG", subtype="OPUS")
    path.write_bytes(path.read_bytes()[:1000])  # ffmpeg's own words for it: "End of file"
    with pytest.raises(AudioError) as raised:
        read_mono(path, sample_rate=22050)
    assert str(raised.value) == f"{path}: truncated: it ends before its header could be read (ffmpeg: End of file)"


def encoded(tmp_path, name: str, *, codec: str, seconds: float = 20.0, to_pipe: bool = False):
    """A tone of `seconds` encoded by ffmpeg with `codec` as `name`; to_pipe: written as a live recorder writes,
    with no way back to fill in its length."""
    wav = tmp_path / f"{name}.wav"
    sf.write(wav, sine(seconds, sr=22050, amp=0.3), 22050)
    path = tmp_path / name
    command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", codec]
    if to_pipe:
        with path.open("wb") as out:
            subprocess.run([*command, "-f", "webm", "pipe:1"], stdout=out, check=True)
    else:
        subprocess.run([*command, str(path)], check=True)
    return path


@needs_ffmpeg
@pytest.mark.parametrize("name, codec", [("song.wv", "wavpack"), ("song.wma", "wmav2"), ("song.webm", "libopus")])
def test_a_file_whose_header_states_its_length_is_refused_when_cut_short(tmp_path, name, codec, caplog):
    # WavPack and ASF headers state their length, as a WebM's does where its writer went back to fill it in; ffmpeg
    # estimates a WavPack's and a WMA's from the file's size, so a file cut in half was decoded to half its length
    # without a word
    path = encoded(tmp_path, name, codec=codec)
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        assert abs(len(read_mono(path, sample_rate=22050)) / 22050 - 20.0) < 0.1
    assert caplog.records == []
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(AudioError, match=rf"{re.escape(name)}: truncated or damaged: its header states 20\.0 s, "
                                         rf"only (9|10)\.\d s decoded"):
        read_mono(path, sample_rate=22050)


@needs_ffmpeg
def test_a_wavpack_at_a_rate_outside_its_table_decodes_to_the_length_it_states(tmp_path, caplog):
    # 11 kHz is not among WavPack's 15 standard rates: its header marks it custom, which mutagen's reader fails on
    # (IndexError), so its length is ffprobe's, from the same header
    wav = tmp_path / "odd.wav"
    sf.write(wav, sine(3.0, sr=11000, amp=0.3), 11000)
    path = tmp_path / "odd.wv"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "wavpack", str(path)], check=True)
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        assert len(read_mono(path, sample_rate=22050)) == 3 * 22050
    assert caplog.records == []


@needs_ffmpeg
def test_a_webm_written_live_states_no_length_and_decodes_to_where_it_stops(tmp_path):
    path = encoded(tmp_path, "live.webm", codec="libopus", to_pipe=True)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert 9.0 < len(read_mono(path, sample_rate=22050)) / 22050 < 11.0


def with_last_pages_damaged(path, pages: int) -> None:
    """A byte in each of the last `pages` Ogg pages of `path` changed, inside its data: each fails its checksum,
    its header whole."""
    data = bytearray(path.read_bytes())
    starts = [found.start() for found in re.finditer(b"OggS", bytes(data))]
    for start in starts[-pages:]:
        data[start + 1000] ^= 0x55
    path.write_bytes(bytes(data))


@needs_ffmpeg
def test_an_ogg_file_whose_last_pages_are_damaged_is_held_to_the_length_its_last_page_states(tmp_path, caplog):
    # libsndfile ends the stream at the last page it can read, and takes that page's length for the stream's: nothing
    # seemed lost, and 2.7 s of 20 s went missing without a word. Its pages hold 15,360 frames (0.70 s at 22.05 kHz):
    # the last one damaged ends the decode at 427,648 frames (19.4 s), the last four at 381,568 (17.3 s)
    path = tmp_path / "song.ogg"
    sf.write(path, sine(20.0, sr=22050, amp=0.3) + noise(20.0, sr=22050, amp=0.2), 22050, format="OGG",
             subtype="VORBIS")
    whole = path.read_bytes()
    with_last_pages_damaged(path, 1)
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        assert len(read_mono(path, sample_rate=22050)) == 427_648
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}: damaged at 19.4 s: the pages after it are damaged, 0.6 s of 20.0 s lost"]
    path.write_bytes(whole)
    with_last_pages_damaged(path, 4)
    with pytest.raises(AudioError) as raised:
        read_mono(path, sample_rate=22050)
    assert str(raised.value) == (f"{path}: truncated or damaged: its last page states 20.0 s, only 17.3 s decoded "
                                 f"(the pages after it are damaged)")


@needs_ffmpeg
def test_an_opus_file_whose_last_pages_are_damaged_is_held_to_the_length_its_last_page_states(tmp_path):
    # ffprobe, as libsndfile, states the length to the last page it can read: an Opus file missing its last 3 s of
    # 20 s was "damaged, 0.0 s of 17.0 s lost". Its pages hold 1 s (48,000 frames): the last four damaged end its
    # decode at 17.0 s
    path = tmp_path / "song.opus"
    sf.write(path, sine(20.0, sr=48000, amp=0.3) + noise(20.0, sr=48000, amp=0.2), 48000, format="OGG",
             subtype="OPUS")
    with_last_pages_damaged(path, 4)
    with pytest.raises(AudioError, match=r"song\.opus: truncated or damaged: its header states 20\.0 s, only 17\.0 s "
                                         r"decoded \(ffmpeg: CRC mismatch!\)"):
        read_mono(path, sample_rate=22050)


@needs_ffmpeg
def test_a_cover_picture_ffmpeg_cannot_decode_does_not_make_the_audio_damaged(tmp_path, caplog):
    # ffmpeg decodes an attached picture to probe it, and says so when it cannot: the whole audio was "damaged (1
    # decoding error(s), the first: No JPEG data found in image); ... 0.0 s of 20.0 s lost"
    import mutagen.mp4

    path = encoded(tmp_path, "song.m4a", codec="aac")
    tagged = mutagen.mp4.MP4(path)
    tagged["covr"] = [mutagen.mp4.MP4Cover(bytes(range(256)) * 12, imageformat=mutagen.mp4.MP4Cover.FORMAT_JPEG)]
    tagged.save()
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        assert abs(len(read_mono(path, sample_rate=22050)) / 22050 - 20.0) < 0.1
    assert caplog.records == []


@pytest.mark.parametrize("changes, said", [
    ({22: 1}, "its 1 channel(s) of 16-bit samples (PCM_16) make 2-byte frames, but its block align and byte rate say"),
    ({34: 8}, "its 2 channel(s) of 8-bit samples (PCM_U8) make 2-byte frames, but its block align and byte rate say"),
    ({20: 7}, "its 2 channel(s) of 8-bit samples (ULAW) make 2-byte frames, but its block align and byte rate say"),
    ({32: 0, 34: 8}, ("its 2 channel(s) of 8-bit samples (PCM_U8) make 2-byte frames, but its block align is 0, "
                      "and its byte rate says")),
], ids=["channels", "bits", "format code", "no block align"])
def test_a_wav_whose_channels_or_sample_width_contradict_its_frame_size_is_refused(tmp_path, changes, said):
    # libsndfile goes by the channel count, format and sample width alone: a stereo 16-bit file whose header says 1
    # channel was read as the song at half speed, one saying 8 bits or mu-law as noise, and each classified
    path = tmp_path / "song.wav"
    sf.write(path, np.stack([sine(1.0, sr=8000), sine(1.0, freq=660.0, sr=8000)], axis=1), 8000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"fmt " and data[32] == 4  # the canonical 44-byte header: a 4-byte block align at 32
    for offset, value in changes.items():
        data[offset] = value
    path.write_bytes(bytes(data))
    with pytest.raises(AudioError) as raised:
        read_mono(path, sample_rate=8000)
    assert str(raised.value) == (f"{path}: damaged header: {said} 4-byte frames: its samples cannot be told apart "
                                 f"(use a good copy)")


def test_a_mu_law_wav_decodes(tmp_path):
    path = tmp_path / "phone.wav"
    sf.write(path, sine(1.0, sr=8000), 8000, subtype="ULAW")
    assert np.allclose(read_mono(path, sample_rate=8000), sine(1.0, sr=8000), atol=0.02)


def test_a_wav_whose_block_align_alone_is_wrong_decodes_as_its_channels_and_sample_width_say(tmp_path):
    path = tmp_path / "song.wav"
    stereo = np.stack([sine(1.0, sr=8000), sine(1.0, freq=660.0, sr=8000)], axis=1)
    sf.write(path, stereo, 8000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[32] = 2  # block align 2, byte rate still 32,000: one field wrong, as some writers leave it
    path.write_bytes(bytes(data))
    assert np.allclose(read_mono(path, sample_rate=8000), stereo.mean(axis=1), atol=1e-4)


@needs_ffmpeg
def test_a_flac_whose_header_understates_its_length_is_decoded_to_its_end_and_named(tmp_path, caplog):
    # libsndfile stops at the sample count STREAMINFO states: one damaged to 1 s made 20 s of audio 1 s, silently.
    # 20 s of stereo noise at 22.05 kHz is 1.8 MB of FLAC frames, which 1 s of samples (88 KB raw) cannot fill
    path = tmp_path / "song.flac"
    sf.write(path, np.stack([noise(20.0, sr=22050), noise(20.0, sr=22050, seed=1)], axis=1), 22050, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    # STREAMINFO first: its 36-bit sample count in bytes 21 (the low 4 bits) to 25
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0
    data[21] &= 0xF0
    data[22:26] = (22050).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        assert len(read_mono(path, sample_rate=22050)) == 20 * 22050
    [message] = [r.getMessage() for r in caplog.records]
    found = re.fullmatch(rf"{re.escape(str(path))}: its header states 1\.0 s, far less than its (\d\.\d) MB of audio "
                         rf"frames hold \(a damaged header\); decoded to its end with ffmpeg", message)
    assert found and 1.5 <= float(found[1]) <= 1.9, message


@needs_ffmpeg
@pytest.mark.parametrize("rate", ["-b:a 128k", "-q:a 2"])  # LAME's Info header (CBR) and Xing header (VBR)
def test_an_mp3_whose_frame_count_is_damaged_low_is_decoded_to_its_end_and_named(tmp_path, caplog, rate):
    # libsndfile stops at the frame count the Xing/Info header states: one damaged to a twentieth made 16 s of
    # audio 0.74 s, silently. The header's byte count over that length is 1 to 2.6 Mbps, which no MP3 holds
    path = tmp_path / "song.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=16", "-ac", "2", "-ar", "44100",
                    "-c:a", "libmp3lame", *rate.split(), str(path)], check=True)
    data = bytearray(path.read_bytes())
    header = max(data.find(b"Xing"), data.find(b"Info"))
    assert header > 0 and data[header + 7] & 0x03 == 0x03  # it states both frames and bytes
    frames = int.from_bytes(data[header + 8:header + 12], "big")
    assert frames == 614  # 16 s of 1152-sample frames at 44.1 kHz, and the encoder's delay
    data[header + 8:header + 12] = (frames // 20).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        assert abs(len(read_mono(path, sample_rate=16000)) - 16 * 16000) < 0.1 * 16000
    [message] = [r.getMessage() for r in caplog.records]
    assert re.fullmatch(rf"{re.escape(str(path))}: its header states 0\.7 s, far less than its frames hold \(a "
                        rf"damaged frame count: [\d,]+ kbps, where an MP3 holds at most 320\); decoded to its end "
                        rf"with ffmpeg", message), message


@needs_ffmpeg
@pytest.mark.parametrize("rate", ["-b:a 128k", "-q:a 4"])  # LAME's CBR Info header; its VBR Xing header
def test_mp3_files_joined_end_to_end_are_decoded_to_the_end_and_named(tmp_path, caplog, rate):
    # `cat a.mp3 b.mp3` keeps a's frame count in the first header: libsndfile stopped there, decoding 20 s of
    # audio as 10 s without a word. The count's bitrate looks right; the bytes past it are what is wrong
    parts = []
    for name, freq in (("a", 440), ("b", 660)):
        part = tmp_path / f"{name}.mp3"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=f={freq}:d=10", "-ar", "44100",
                        "-c:a", "libmp3lame", *rate.split(), str(part)], check=True)
        parts.append(part.read_bytes())
    path = tmp_path / "joined.mp3"
    path.write_bytes(b"".join(parts))
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        assert abs(len(read_mono(path, sample_rate=16000)) - 20 * 16000) < 0.1 * 16000
    # ffmpeg then names the joint too (the second file's tags and header are no audio frames), and reads on
    message, *joint = [r.getMessage() for r in caplog.records]
    assert [line.startswith(f"{path}: damaged at 10.0 s") for line in joint] in ([], [True])
    assert re.fullmatch(rf"{re.escape(str(path))}: its header states 10\.0 s, but its frames hold 20\.[01] s \(a "
                        rf"damaged frame count, or MP3 files joined end to end, which keep the first one's\); decoded "
                        rf"to its end with ffmpeg", message), message


@needs_ffmpeg
def test_an_mp3_with_tags_at_both_ends_is_decoded_by_its_count_without_a_word(tmp_path, caplog):
    # a 200 KB ID3v2 cover before the audio and an APEv2 tag with 100 KB of binary after it: bytes the frame count
    # does not cover, that are no frames
    import mutagen.apev2
    from mutagen.id3 import APIC, ID3

    path = tmp_path / "song.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=10", "-ar", "44100",
                    "-c:a", "libmp3lame", "-b:a", "128k", str(path)], check=True)
    id3 = ID3()
    id3.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="cover", data=bytes(range(256)) * 800))
    id3.save(path)
    ape = mutagen.apev2.APEv2()
    ape["Cover Art (Front)"] = mutagen.apev2.APEValue(b"cover.jpg\x00" + bytes(100_000), mutagen.apev2.BINARY)
    ape.save(path)
    assert path.stat().st_size > 10 * 128_000 / 8 + 300_000
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        assert abs(len(read_mono(path, sample_rate=16000)) - 10 * 16000) < 0.05 * 16000
    assert caplog.records == []


@needs_ffmpeg
def test_an_ogg_file_whose_first_audio_page_is_damaged_counts_it_lost(tmp_path, caplog):
    # libsndfile counts an Ogg stream from the first page it can read: with the first audio page (14,464 frames,
    # 0.66 s) damaged it stated 19.3 s, and the damage was "0.0 s of 19.3 s lost"
    path = tmp_path / "song.ogg"
    sf.write(path, sine(20.0, sr=22050, amp=0.3) + noise(20.0, sr=22050, amp=0.2), 22050, format="OGG",
             subtype="VORBIS")
    data = bytearray(path.read_bytes())
    first_audio_page = [found.start() for found in re.finditer(b"OggS", bytes(data))][2]  # after the 2 header pages
    data[first_audio_page + 1000] ^= 0x55
    path.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        read_mono(path, sample_rate=22050)
    [message] = [r.getMessage() for r in caplog.records]
    assert message.startswith(f"{path}: damaged ") and message.endswith("0.7 s of 20.0 s lost"), message


@pytest.mark.parametrize("suffix, where, order", [(".wav", 40, "little"), (".aiff", 42, "big")])
def test_a_wav_or_aiff_whose_data_size_is_damaged_to_less_than_its_samples_is_refused(tmp_path, suffix, where, order):
    # libsndfile reads as many bytes as the data chunk states: one damaged to 256 bytes decoded 20 s as 64 frames
    # (3 ms), without a word, and what follows it is samples, not chunks
    path = tmp_path / f"song{suffix}"
    sf.write(path, np.stack([sine(20.0, sr=22050), sine(20.0, freq=660.0, sr=22050)], axis=1), 22050,
             subtype="PCM_16")
    data = bytearray(path.read_bytes())
    assert data[where - 4:where] in (b"data", b"SSND")  # libsndfile's own headers: the data chunk's size here
    data[where:where + 4] = (256).to_bytes(4, order)
    path.write_bytes(bytes(data))
    with pytest.raises(AudioError) as raised:
        read_mono(path, sample_rate=22050)
    assert str(raised.value) == (f"{path}: damaged header: its data chunk states 256 bytes (0.0 s), but 1.8 MB that "
                                 f"are not chunks follow it: where its audio ends cannot be told (use a good copy)")


@pytest.mark.parametrize("suffix, where, order, header", [(".wav", 40, "little", 0), (".aiff", 42, "big", 8)])
@pytest.mark.parametrize("stated, said", [
    # 60 % stated: 12 s read, and the 8 s after it were dropped without a word (a recorder stopped before it
    # brought its header up to date writes such a file)
    (1_058_400, ("705,600 bytes that are not chunks follow its data (12.0 s, as its header states, 8.0 s more if they "
                "are audio): not read (its data size damaged, or a recording stopped before its header was brought "
                "up to date: a good copy may hold all of it)")),
    (1_764_000 - 30_000, None)])  # 30 kB after it: a tag's or padding's worth, not said
def test_a_wav_or_aiff_whose_data_size_states_part_of_its_samples_is_read_as_stated_and_the_rest_said(
        tmp_path, caplog, suffix, where, order, header, stated, said):
    path = tmp_path / f"song{suffix}"
    sf.write(path, np.stack([sine(20.0, sr=22050), sine(20.0, freq=660.0, sr=22050)], axis=1), 22050,
             subtype="PCM_16")  # 1,764,000 bytes of samples
    data = bytearray(path.read_bytes())
    assert data[where - 4:where] in (b"data", b"SSND")
    data[where:where + 4] = (stated + header).to_bytes(4, order)  # an AIFF's SSND counts its offset and block size
    path.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        audio = read_mono(path, sample_rate=22050)
    assert len(audio) == stated // 4
    assert [r.getMessage() for r in caplog.records] == ([] if said is None else [f"{path}: {said}"])


def test_a_wav_whose_damaged_data_size_is_followed_by_a_quiet_start_is_refused_too(tmp_path):
    # samples after the stated data that start with zeros: libsndfile's log reads them as a chunk named 0 and says
    # nothing of bytes that are not chunks; 0.1 s of silence first, then 20 s of tone
    path = tmp_path / "song.wav"
    sf.write(path, np.concatenate([np.zeros(2205, np.float32), sine(20.0, sr=22050)]), 22050, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[40:44] = (256).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(AudioError) as raised:
        read_mono(path, sample_rate=22050)
    assert str(raised.value) == (f"{path}: damaged header: its data chunk states 256 bytes (0.0 s), but 0.9 MB that "
                                 f"are not chunks follow it: where its audio ends cannot be told (use a good copy)")


def test_whole_chunks_and_a_raw_id3_tag_after_a_wavs_data_are_no_damage(tmp_path, caplog):
    # a tagger's LIST chunk with a 100 kB comment, then an ID3v2 tag written as it is, without a chunk's header
    path = tmp_path / "song.wav"
    sf.write(path, sine(5.0, sr=22050), 22050, subtype="PCM_16")
    comment = b"x" * 100_001  # odd: the chunk is padded to an even length
    listed = b"LIST" + (4 + len(comment)).to_bytes(4, "little") + b"INFO" + comment + b"\0"
    id3 = b"ID3\x03\x00\x00" + bytes([0, 6, 13, 32]) + b"\0" * 100_000  # synchsafe 100,000
    data = path.read_bytes() + listed + id3
    riff = (len(data) - 8).to_bytes(4, "little")
    path.write_bytes(data[:4] + riff + data[8:])
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        assert len(read_mono(path, sample_rate=22050)) == 5 * 22050
    assert caplog.records == []


@needs_ffmpeg
def test_an_m4a_whose_index_understates_its_length_is_named(tmp_path, caplog):
    # Each sample's duration in the index (stts) damaged from 1024 to 7 ticks: the index states 0.1 s of its 20 s,
    # ffmpeg decodes what it can, and nothing was said
    path = encoded(tmp_path, "song.m4a", codec="aac")
    data = bytearray(path.read_bytes())
    stts = data.find(b"stts")
    assert int.from_bytes(data[stts + 16:stts + 20], "big") == 1024  # the first entry's sample duration
    data[stts + 16:stts + 20] = (7).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        read_mono(path, sample_rate=22050)
    [message] = [r.getMessage() for r in caplog.records]
    assert re.fullmatch(rf"{re.escape(str(path))}: its header states 0\.\d s, but \d+\.\d s decoded: the header is "
                        rf"damaged, and how much audio was lost is not known", message), message


@needs_ffmpeg
def test_names_ffmpeg_could_take_for_an_option_or_a_protocol_decode_as_files(tmp_path, monkeypatch):
    wav = tmp_path / "tone.wav"
    sf.write(wav, sine(3.0, sr=44100), 44100)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", str(tmp_path / "tone.m4a")], check=True)
    expected = read_mono(tmp_path / "tone.m4a", sample_rate=22050)
    monkeypatch.chdir(tmp_path)  # relative names, as `predict .` in the music folder gives them
    for name in ("-opening.m4a", "Act 1: Overture.m4a", "pipe:3.m4a"):
        shutil.copy("tone.m4a", name)
        np.testing.assert_array_equal(read_mono(Path(name), sample_rate=22050), expected)
    Path("Intro: Noise.m4a").write_bytes(b"\x00" * 4096)
    with pytest.raises(AudioError) as raised:
        read_mono(Path("Intro: Noise.m4a"), sample_rate=22050)
    assert str(raised.value).startswith("Intro: Noise.m4a: truncated or not a valid .m4a file: ")
    assert "file:/" not in str(raised.value) and str(tmp_path) not in str(raised.value)


def test_a_warnings_log_line_holds_no_newline_or_escape_code_of_a_name_a_client_chose(caplog):
    from spectrogenre.audio_io import DecodeLimits, DecodeWarnings

    limits = DecodeLimits(warnings=DecodeWarnings(name='x.ogg\nINFO: 10.6.6.6 - "POST /api/admin" 200\x1b[2J.ogg'))
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        limits.warn("/tmp/upload.ogg", "cut short")
    [line] = [record.getMessage() for record in caplog.records]
    assert line == '/tmp/upload.ogg (x.ogg\\nINFO: 10.6.6.6 - "POST /api/admin" 200\\x1b[2J.ogg): cut short'
    assert limits.warnings.problems == ["cut short"]


def _id3(title: str) -> bytes:
    """An ID3v2.3 tag holding a title (TIT2), its size stated as the spec says (synchsafe)."""
    text = b"\x03" + title.encode()
    frame = b"TIT2" + len(text).to_bytes(4, "big") + b"\0\0" + text
    size = len(frame)
    return b"ID3\x03\x00\x00" + bytes([size >> 21 & 127, size >> 14 & 127, size >> 7 & 127, size & 127]) + frame


@pytest.mark.parametrize("before", [
    pytest.param(_id3("first") + bytes(3000) + _id3("second"), id="a second tag after the first one's padding"),
    pytest.param(bytes(1000) + _id3("late"), id="zeros then a tag"),
])
def test_an_mp3_whose_frames_follow_padding_and_a_second_tag_decodes_as_players_play_it(tmp_path, before, caplog):
    # libsndfile looks for a tag or a frame at the start only: these were "corrupt or not a .mp3 audio file"
    bare = tmp_path / "bare.mp3"
    sf.write(bare, sine(3.0, sr=44100), 44100)
    tagged = tmp_path / "tagged.mp3"
    tagged.write_bytes(before + bare.read_bytes())
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        decoded = read_mono(tagged, sample_rate=22050)
    np.testing.assert_array_equal(decoded, read_mono(bare, sample_rate=22050))
    assert caplog.records == []  # tags and their padding are no damage


@pytest.mark.parametrize("tag", [b"", _id3("song")], ids=["no tag", "a tag"])
def test_bytes_that_are_neither_tag_nor_audio_before_an_mp3s_frames_are_skipped_and_said(tmp_path, caplog, tag):
    bare = tmp_path / "bare.mp3"
    sf.write(bare, sine(3.0, sr=44100), 44100)
    damaged = tmp_path / "damaged.mp3"
    damaged.write_bytes(tag + b"\x01" * 1000 + bare.read_bytes())
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        decoded = read_mono(damaged, sample_rate=22050)
    np.testing.assert_array_equal(decoded, read_mono(bare, sample_rate=22050))
    assert [record.getMessage() for record in caplog.records] == [
        (f"{damaged}: 1,000 bytes that are neither tag nor audio lie before its first audio frame: skipped (a "
         f"damaged start may have cost its first moments)")]


@needs_ffmpeg
def test_an_mp3_without_a_frame_count_decoded_by_ffmpeg_says_the_bytes_before_its_frames_too(tmp_path, caplog):
    bare = _encoded(tmp_path, "bare.mp3", "-c:a", "libmp3lame", "-write_xing", "0", "-id3v2_version", "0")
    damaged = tmp_path / "damaged.mp3"
    damaged.write_bytes(b"\x01" * 500 + bare.read_bytes())
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        decoded = read_mono(damaged, sample_rate=22050)
    assert abs(len(decoded) - len(read_mono(bare, sample_rate=22050))) <= 1152  # ffmpeg resyncs a frame at most late
    assert [record.getMessage() for record in caplog.records] == [
        (f"{damaged}: 500 bytes that are neither tag nor audio lie before its first audio frame: skipped (a "
         f"damaged start may have cost its first moments)")]
