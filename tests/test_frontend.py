import numpy as np
import pytest

from spectrogenre.errors import ParamsError
from spectrogenre.frontend import Frontend, log_spectrogram
from tests.synth import silence, sine


def test_default_is_the_seeds_279_by_271_spectrogram():
    frontend = Frontend()
    assert frontend.clip_samples == 330750
    assert frontend.shape == (279, 271)
    clip = sine(15.0, freq=1000.0, sr=22050)
    assert log_spectrogram(clip, frontend).shape == (279, 271)


def test_seeds_other_resolution_is_558_by_543():
    assert Frontend(n_fft=1114, hop_length=610).shape == (558, 543)


def test_mel_kind_has_one_row_per_band():
    frontend = Frontend(kind="mel", n_fft=2048, hop_length=1221, n_mels=96)
    assert log_spectrogram(sine(15.0, sr=22050), frontend).shape == (96, 271)


def test_sine_peaks_in_its_bin_at_the_expected_level():
    frontend = Frontend()
    spec = log_spectrogram(sine(15.0, freq=1000.0, sr=22050, amp=0.5), frontend)
    middle = spec[:, 135]
    # 1000 Hz with bins of 22050/556 = 39.66 Hz -> bin 25.2, so bin 25.
    assert int(np.argmax(middle)) == 25
    # A Hann-windowed sine of amplitude A peaks near A * n_fft / 4 (here 69.5, 36.8 dB);
    # being 0.2 bin off centre costs under 1 dB.
    assert 35.5 < middle.max() < 37.0


def test_silence_sits_at_the_amin_floor():
    spec = log_spectrogram(silence(15.0, sr=22050), Frontend())
    assert np.allclose(spec, -100.0)


def test_a_batch_gives_the_same_rows_as_single_clips():
    frontend = Frontend()
    clips = np.stack([sine(15.0, freq=f, sr=22050) for f in (220.0, 880.0)])
    batch = log_spectrogram(clips, frontend)
    assert batch.shape == (2, 279, 271)
    np.testing.assert_allclose(batch[1], log_spectrogram(clips[1], frontend), atol=1e-4)


def test_wrong_clip_length_is_refused():
    with pytest.raises(ValueError, match="expected clips of 330750 samples"):
        log_spectrogram(np.zeros(1000), Frontend())


@pytest.mark.parametrize("values, message", [
    ({"kind": "cqt"}, "frontend.kind must be one of"),
    ({"n_fft": 0}, "frontend.n_fft must be positive"),
    ({"clip_seconds": 0.01}, "shorter than one FFT window"),
])
def test_bad_frontend_values_fail_early(values, message):
    with pytest.raises(ParamsError, match=message):
        Frontend(**values)


def test_round_trips_through_a_dict():
    frontend = Frontend(kind="mel", n_mels=64)
    assert Frontend.from_dict(frontend.to_dict()) == frontend
    with pytest.raises(ParamsError, match="unknown front-end keys"):
        Frontend.from_dict({"sample_rate": 22050, "window": "hann"})


def test_spec_json_front_end_carries_what_apps_cannot_derive_and_reads_back_to_the_same_settings():
    import json

    musicnn = Frontend.musicnn()
    spec = json.loads(json.dumps(musicnn.spec_dict()))  # as written to and read from spec.json
    assert spec["shape"] == [96, 938]  # 96 bands; 1 + 240000 // 256 frames
    assert spec["mel_filterbank"]["scale"] == "slaney"
    assert Frontend.from_spec(spec) == musicnn
    stft = Frontend()
    assert stft.spec_dict()["shape"] == [279, 271] and "mel_filterbank" not in stft.spec_dict()
    assert Frontend.from_spec(stft.spec_dict()) == stft
    with pytest.raises(ParamsError, match="unknown front-end keys"):
        Frontend.from_spec(stft.spec_dict() | {"window": "hann"})


def test_quantise_16bit_matches_a_pcm16_round_trip(tmp_path):
    import soundfile as sf

    from spectrogenre.frontend import quantise_16bit

    audio = np.random.default_rng(0).uniform(-1.2, 1.2, 10000).astype(np.float32)
    audio[:4] = [0.4 / 32768, 0.6 / 32768, -1.0, 1.0]
    sf.write(tmp_path / "q.flac", np.clip(audio, -1, 1), 8000, subtype="PCM_16")
    stored = sf.read(tmp_path / "q.flac", dtype="float32")[0]
    np.testing.assert_array_equal(quantise_16bit(audio), stored)
    assert quantise_16bit(audio[:4]).tolist() == [0.0, 1 / 32768, -1.0, 32767 / 32768]


@pytest.mark.parametrize("values", [{}, {"n_fft": 1114, "hop_length": 610}, {"kind": "mel", "n_fft": 2048}])
def test_spectrogram_is_librosas_bit_for_bit(values):
    import librosa

    frontend = Frontend(**values)
    clips = np.random.default_rng(0).uniform(-1, 1, (4, frontend.clip_samples)).astype(np.float32)
    clips[1] = sine(15.0, freq=440.0, sr=22050)
    clips[2, : frontend.clip_samples // 2] = 0.0
    clips[3] = clips[3] * 0.3 + 0.5  # without normalise_dbfs a DC offset stays in, as recorded
    magnitude = np.abs(librosa.stft(clips, n_fft=frontend.n_fft, hop_length=frontend.hop_length, window="hann",
                                    center=True))
    if frontend.kind == "stft":
        expected = librosa.amplitude_to_db(magnitude, ref=1.0, amin=frontend.amin, top_db=None)
    else:
        mel = librosa.feature.melspectrogram(S=magnitude**2, sr=frontend.sample_rate, n_fft=frontend.n_fft,
                                             n_mels=frontend.n_mels)
        expected = librosa.power_to_db(mel, ref=1.0, amin=frontend.amin**2, top_db=None)
    np.testing.assert_array_equal(log_spectrogram(clips, frontend), expected.astype(np.float32))


def test_musicnn_kind_is_musicnns_own_log_mel_of_96_bands():
    from spectrogenre.musicnn.frontend import log_mel

    frontend = Frontend.musicnn()
    assert frontend.shape == (96, 938)  # 1 + 240000 // 256 frames
    audio = sine(15.0, freq=440.0, sr=16000, amp=0.5)
    spec = log_spectrogram(audio, frontend)
    # of the clip scaled to -26 dBFS RMS: the sine's amplitude becomes sqrt(2) x 10 ** (-26 / 20)
    scaled = sine(15.0, freq=440.0, sr=16000, amp=float(np.sqrt(2) * 10 ** (-26 / 20)))
    np.testing.assert_allclose(spec, log_mel(scaled).T, atol=1e-5)
    assert spec.min() >= 0.0  # log10(10000 x + 1) of a power is never negative


def test_musicnn_kind_refuses_other_settings():
    with pytest.raises(ParamsError, match="musicnn needs"):
        Frontend(kind="musicnn", sample_rate=22050, n_fft=512, hop_length=256, n_mels=96)


def test_normalise_scales_each_clip_to_its_rms_level_by_hand():
    from spectrogenre.frontend import normalised

    # a sine of amplitude 0.1 has RMS 0.1 / sqrt(2) (-23 dBFS); -26 dBFS is RMS 10 ** (-26 / 20) = 0.0501
    clips = np.stack([sine(1.0, freq=440.0, sr=16000, amp=0.1), sine(1.0, freq=440.0, sr=16000, amp=0.5)])
    out = normalised(clips, -26.0)
    np.testing.assert_allclose(np.sqrt(np.mean(np.square(out, dtype=np.float64), axis=1)), 10 ** (-26 / 20), rtol=1e-6)
    np.testing.assert_allclose(out[0], out[1], atol=1e-6)  # the same sine, 14 dB apart before


def test_normalise_lifts_at_most_40_db_and_leaves_silence_silent():
    from spectrogenre.frontend import normalised

    faint = sine(1.0, freq=440.0, sr=16000, amp=1e-5)  # about -103 dBFS
    # +40 dB, not +83; atol: the float32 sine's mean (1e-22) is taken out too, which shows at its zero crossings
    np.testing.assert_allclose(normalised(faint[np.newaxis], -20.0)[0], faint * 100.0, rtol=1e-6, atol=1e-15)
    assert not normalised(np.zeros((1, 100), np.float32), -20.0).any()
    # a constant offset is not sound: alone it stays silent, under a faint sine it is not part of its level
    assert not normalised(np.full((1, 100), 0.25, np.float32), -20.0).any()
    on_offset = (faint + np.float32(0.25))[np.newaxis]
    np.testing.assert_allclose(normalised(on_offset, -20.0)[0], faint * 100.0, atol=1e-4)  # float32 ulp at 0.25: 3e-8


def test_a_dc_offset_leaves_a_normalising_front_end_unchanged():
    """Music on a constant offset has the features of the music alone: the offset counted in the RMS made
    the gain too small (30 dB at +0.6 here), and left in the signal it filled the lowest bands and the edge
    frames (changes of 4 in log10(10000 mel + 1) at +0.1). The tolerance, 1e-4, is ten times the float32
    rounding of music sitting on the offset (ulp 6e-8 at 0.6, 120 dB under this music): measured 9e-6."""
    from tests.synth import melody

    frontend = Frontend.musicnn(clip_seconds=3.0)
    music = (melody(3.0, sr=16000) * 0.3).astype(np.float32)  # -34 dBFS RMS
    features = log_spectrogram(music, frontend)
    for offset in (0.1, 0.6, -0.3):
        np.testing.assert_allclose(log_spectrogram(music + np.float32(offset), frontend), features, atol=1e-4,
                                   err_msg=f"offset {offset}")


def test_a_normalising_front_end_sees_a_quiet_clip_as_a_loud_one():
    frontend = Frontend.musicnn(clip_seconds=3.0)  # normalised to -26 dBFS, its default
    rng = np.random.default_rng(0)
    loud = (rng.normal(0, 0.1, frontend.clip_samples) * np.repeat(rng.uniform(0.2, 1, 30), 1600)).astype(np.float32)
    quiet = (loud * 10 ** (-18 / 20)).astype(np.float32)
    np.testing.assert_allclose(log_spectrogram(quiet, frontend), log_spectrogram(loud, frontend), atol=1e-5)
    as_recorded = Frontend.musicnn(clip_seconds=3.0, normalise_dbfs=None)
    assert np.abs(log_spectrogram(quiet, as_recorded) - log_spectrogram(loud, as_recorded)).max() > 0.1
    with pytest.raises(ParamsError, match="normalise_dbfs must be null or in"):
        Frontend(normalise_dbfs=3.0)


def test_musicnns_mel_bands_are_the_ones_spec_json_describes():
    import librosa

    from spectrogenre.frontend import MEL_FILTERBANK, stft_magnitude

    # spec.json's frontend.mel_filterbank is all a native app gets: build the bands from it alone, every
    # setting explicit, and the product's musicnn spectrogram must be those bands of the power spectrum
    frontend = Frontend(kind="musicnn", sample_rate=16000, n_fft=512, hop_length=256, n_mels=96, clip_seconds=3.0)
    assert (MEL_FILTERBANK["scale"], MEL_FILTERBANK["fmin_hz"], MEL_FILTERBANK["fmax_hz"]) == (
        "slaney", 0.0, "sample_rate / 2")
    bands = librosa.filters.mel(sr=16000, n_fft=512, n_mels=96, fmin=0.0, fmax=8000.0, htk=False, norm="slaney")
    clip = (0.3 * np.sin(2 * np.pi * 440 * np.arange(48000) / 16000)).astype(np.float32)
    expected = np.log10(10000 * (bands @ stft_magnitude(clip, frontend) ** 2) + 1)
    np.testing.assert_allclose(log_spectrogram(clip, frontend), expected, rtol=1e-5, atol=1e-6)
    # "each band of unit area": a triangle's area over Hz is 1
    hz = librosa.fft_frequencies(sr=16000, n_fft=512)
    assert np.trapezoid(bands[80], hz) == pytest.approx(1.0, rel=0.01)  # a wide band: the bins sample it finely
