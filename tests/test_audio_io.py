import numpy as np
import pytest
import soundfile as sf

from spectrogenre.audio_io import mix_to_mono, read_mono
from spectrogenre.errors import AudioError
from tests.synth import sine


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


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac"])
def test_truncated_files_are_errors_naming_the_file(tmp_path, fmt):
    path = tmp_path / f"cut.{fmt}"
    sf.write(path, sine(4.0, sr=44100), 44100)
    _truncate(path)
    with pytest.raises(AudioError, match=rf"cut\.{fmt}: (truncated|decoding failed)"):
        read_mono(path, sample_rate=22050)


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


@pytest.mark.parametrize("channels", range(1, 10))
def test_mix_to_mono_is_the_channel_mean_bit_for_bit(channels):
    block = np.random.default_rng(channels).standard_normal((4096, channels)).astype(np.float32)
    block[::7] = -0.0
    block[::11, 0] = 1e-40
    expected = block.mean(axis=1) if channels > 1 else block[:, 0]
    np.testing.assert_array_equal(mix_to_mono(block).view(np.int32), expected.view(np.int32))
