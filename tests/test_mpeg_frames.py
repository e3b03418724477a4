import numpy as np
import pytest

from spectrogenre.mpeg_frames import FirstFrames, ends_inside_a_frame, first_frames

# MPEG-1 Layer III, 128 kbps, 44.1 kHz: 144 x 128000 / 44100 = 417.96, so 417 bytes a frame, 418 with padding
FRAME_128K = bytes([0xFF, 0xFB, 0x90, 0x00])
PADDED_128K = bytes([0xFF, 0xFB, 0x92, 0x00])
# MPEG-2 Layer III, 64 kbps, 22.05 kHz: 72 x 64000 / 22050 = 208.98, so 208 bytes
FRAME_MPEG2 = bytes([0xFF, 0xF3, 0x80, 0x00])
# MPEG-1 Layer I, 384 kbps, 48 kHz: (12 x 384000 / 48000) x 4 = 384 bytes
FRAME_LAYER1 = bytes([0xFF, 0xFF, 0xC4, 0x00])


def frames(header: bytes, size: int, count: int) -> bytes:
    return (header + bytes(size - 4)) * count


@pytest.mark.parametrize(("header", "size"), [(FRAME_128K, 417), (PADDED_128K, 418), (FRAME_MPEG2, 208),
                                              (FRAME_LAYER1, 384)])
def test_frames_that_end_whole_are_whole_and_a_cut_inside_one_is_cut(tmp_path, header, size):
    path = tmp_path / "song.mp3"
    audio = frames(header, size, 10)
    for cut, inside in [(10 * size, False), (10 * size - 1, True), (9 * size + 4, True), (9 * size + 1, True),
                        (5 * size, False)]:
        path.write_bytes(audio[:cut])
        assert ends_inside_a_frame(path) is inside, (cut, inside)


def test_tags_after_the_last_frame_end_it_whole_and_a_tag_before_the_first_is_passed_over(tmp_path):
    path = tmp_path / "song.mp3"
    audio = frames(FRAME_128K, 417, 6) + frames(PADDED_128K, 418, 4)  # a bitrate's frames, padded and not
    for tail in [b"TAG" + bytes(125), b"APETAGEX" + bytes(200), b"LYRICSBEGIN" + bytes(50), b"ID3\x04" + bytes(60)]:
        path.write_bytes(audio + tail)
        assert ends_inside_a_frame(path) is False, tail[:8]
    # an ID3v2 tag of 300 bytes (synchsafe size 0x02 0x2C) full of 0xFF, as a cover picture's bytes may be
    id3 = b"ID3\x04\x00\x00" + bytes([0, 0, 0x02, 0x2C]) + b"\xff" * 300
    path.write_bytes(id3 + audio)
    assert ends_inside_a_frame(path) is False
    path.write_bytes(id3 + audio[:-100])
    assert ends_inside_a_frame(path) is True


def test_damage_part_way_is_walked_past_to_the_frames_after_it(tmp_path):
    path = tmp_path / "song.mp3"
    audio = bytearray(frames(FRAME_128K, 417, 10))
    audio[3 * 417:5 * 417 + 10] = b"\xff\x00" * ((2 * 417 + 10) // 2)  # two frames and a header gone, sync bytes left
    path.write_bytes(audio)
    assert ends_inside_a_frame(path) is False
    path.write_bytes(audio[:-3])
    assert ends_inside_a_frame(path) is True


@pytest.mark.parametrize("content", [b"", b"not audio at all, " * 50, b"\xff" * 3, FRAME_128K + bytes(100)])
def test_a_file_with_no_frames_to_follow_is_not_called_cut(tmp_path, content):
    path = tmp_path / "song.mp3"
    path.write_bytes(content)  # one header alone is no chain: a chance pair of bytes, as far as anyone can tell
    assert ends_inside_a_frame(path) is False


def _tag(body: bytes, *, footer: bool = False) -> bytes:
    """An ID3v2.4 tag header stating `body`'s size (synchsafe), the body, and with `footer` its footer."""
    size = bytes([len(body) >> 21 & 127, len(body) >> 14 & 127, len(body) >> 7 & 127, len(body) & 127])
    return b"ID3\x04\x00" + (b"\x10" if footer else b"\x00") + size + body + (b"3DI\x04\x00\x10" + size if footer else b"")


@pytest.mark.parametrize(("before", "offset", "unknown"), [
    (b"", 0, 0),
    (_tag(b"T" * 20), 30, 0),
    (_tag(b"T" * 20, footer=True), 40, 0),  # the footer: 10 more bytes than the header states
    (_tag(b"T" * 20) + bytes(100), 130, 0),  # padding past the tag's stated size
    (_tag(b"T" * 20) + bytes(100) + _tag(b"U" * 5), 145, 0),  # a second tag
    (bytes(7) + b"\x01\x02\x03", 10, 3),  # zeros, then 3 bytes of neither
    (_tag(b"T" * 20) + b"\xff\xfb\x90\x00" + b"\x05" * 50, 84, 54),  # a lone frame header is no frame
])
def test_first_frames_are_found_past_tags_padding_and_bytes_that_are_neither(tmp_path, before, offset, unknown):
    path = tmp_path / "song.mp3"
    path.write_bytes(before + frames(FRAME_128K, 417, 5))
    assert first_frames(path) == FirstFrames(offset=offset, unknown=unknown)


def test_bytes_without_three_frames_in_a_row_have_no_first_frames(tmp_path):
    path = tmp_path / "song.mp3"
    path.write_bytes(frames(FRAME_128K, 417, 2) + b"\x07" * 417)  # two frames, then not a third
    assert first_frames(path) is None
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 200_000, dtype=np.uint8).tobytes())
    assert first_frames(path) is None
    path.write_bytes(b"")
    assert first_frames(path) is None
