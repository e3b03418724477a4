"""Whether an MP3 file ends part way through an MPEG audio frame: cut short.

An MP3 without a frame count (no Xing/Info/VBRI header: older encoders' CBR files, streams saved to disk)
states no length, nor does an MP2 file or a raw AAC one (ADTS frames, whose headers state their sizes too),
so a copy or download that stopped part way decodes, without a word from any decoder, to where it stopped.
What shows it is its last frame: every frame header states the frame's size, an encoder writes whole frames,
and a cut at a random byte lands inside one (it misses a frame's end by chance once in a few hundred cuts). So
the frames are followed header to header from the first; tags after the last frame (ID3v1, APEv2, Lyrics3, an
appended ID3v2) end the walk as whole.
"""

from __future__ import annotations

import mmap
import re
from dataclasses import dataclass
from pathlib import Path

# bits/s by (MPEG-1?, layer) and the header's bitrate index 1..14 (0: free format, whose frames state no size)
_BITRATES_KBPS = {
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
# sample rates by the header's version bits (3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5) and rate index
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_TRAILING_TAGS = (b"TAG", b"APETAGEX", b"LYRICSBEGIN", b"ID3")
_HEADER_BYTES = 6  # as many as an ADTS header needs for its frame's size (an MPEG audio header has 4)
_ADTS = -1  # the version a frame's kind gives ADTS frames, apart from MPEG audio's 0, 2 and 3
_MAX_FRAME_BYTES = 8192  # an ADTS frame's size field holds 13 bits; no MPEG audio frame is larger


def _frame(header: bytes) -> tuple[tuple[int, int, int], int] | None:
    """((version, layer, rate index), the frame's size in bytes) for a valid MPEG audio frame header, or
    ((_ADTS, profile, rate index), size) for an ADTS one; else None."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    if header[1] & 0xF6 == 0xF0:  # ADTS: a 12-bit sync, then the version bit, and a layer of 0
        if len(header) < _HEADER_BYTES or (rate_index := header[2] >> 2 & 0xF) > 12:
            return None
        size = (header[3] & 3) << 11 | header[4] << 3 | header[5] >> 5
        return ((_ADTS, header[2] >> 6, rate_index), size) if size >= 7 else None
    version, layer_bits = header[1] >> 3 & 3, header[1] >> 1 & 3
    bitrate_index, rate_index, padding = header[2] >> 4, header[2] >> 2 & 3, header[2] >> 1 & 1
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    layer = 4 - layer_bits
    bitrate = _BITRATES_KBPS[version == 3, layer][bitrate_index - 1] * 1000
    rate = _SAMPLE_RATES[version][rate_index]
    if layer == 1:
        size = (12 * bitrate // rate + padding) * 4
    else:
        size = (144 if layer == 2 or version == 3 else 72) * bitrate // rate + padding
    return (version, layer, rate_index), size


def synchsafe(data: bytes) -> int:
    """An ID3v2 size: 7 bits a byte, most significant first (no byte holds 0xFF, which could pass for a frame sync)."""
    size = 0
    for byte in data:
        size = size << 7 | byte & 0x7F
    return size


def _audio_start(data, start: int = 0) -> int:
    """Where the audio starts: past any ID3v2 tags at `start` (the file's start)."""
    while data[start:start + 3] == b"ID3" and len(data) >= start + 10:
        footer = 10 if data[start + 5] & 0x10 else 0  # a footer doubles the header
        start += 10 + synchsafe(data[start + 6:start + 10]) + footer
    return start


def _next_chain(data, start: int, kind: tuple[int, int, int] | None) -> int | None:
    """The first position from `start` where a frame header is followed by another of the same kind at the
    first one's end: a frame, not a chance 0xFF in other bytes. None where there is none."""
    position = data.find(b"\xff", start)
    while position != -1:
        first = _frame(data[position:position + _HEADER_BYTES])
        if first is not None and (kind is None or first[0] == kind):
            second = _frame(data[position + first[1]:position + first[1] + _HEADER_BYTES])
            if second is not None and second[0] == first[0]:
                return position
        position = data.find(b"\xff", position + 1)
    return None


# How far past its tags an MP3's first frames are looked for where a decoder finds none at its start
FRAME_SEARCH_BYTES = 1 << 20
_ZEROS = re.compile(rb"\0*")  # a run of zeros, counted where it starts without copying the bytes


@dataclass(frozen=True)
class FirstFrames:
    """Where an MP3's first chain of MPEG audio frames starts (`offset`), and how many bytes before it are neither
    ID3v2 tags nor the zeros that pad them (`unknown`: damage, or a format this reader does not know)."""

    offset: int
    unknown: int


def first_frames(path: Path) -> FirstFrames | None:
    """Where the MPEG audio frames of `path` start: past its ID3v2 tags (their footers counted), zeros padding
    them (a tagger's padding left outside its tag's size), further tags (a second tagger's, written before the
    first's), and bytes that are no frame (a damaged start). None where no chain of MPEG audio frames starts within
    FRAME_SEARCH_BYTES of the tags' end."""
    with open(path, "rb") as file:
        if file.seek(0, 2) == 0:
            return None
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            start = _audio_start(data)
            searched = data[start:start + FRAME_SEARCH_BYTES + _MAX_FRAME_BYTES + _HEADER_BYTES]
    known = 0  # past the zeros and tags that follow the first tags
    while True:
        past_zeros = _ZEROS.match(searched, known).end()
        if searched[past_zeros:past_zeros + 3] != b"ID3" or (past_tags := _audio_start(searched, past_zeros)) <= known:
            break
        known = past_tags
    padded = _ZEROS.match(searched, known).end()  # where the last tag's padding ends
    position = known
    while (position := _next_chain(searched, position, None)) is not None and position <= FRAME_SEARCH_BYTES:
        if _frame(searched[position:position + _HEADER_BYTES])[0][0] != _ADTS and _third_follows(searched, position):
            return FirstFrames(start + position, max(position - padded, 0))
        position += 1
    return None


def _third_follows(data, position: int) -> bool:
    """Whether the two frames at `position` (_next_chain) are followed by a third of their kind, or by the data's
    end: three in a row are no chance in bytes that are not audio."""
    kind, size = _frame(data[position:position + _HEADER_BYTES])
    third = position + size + _frame(data[position + size:position + size + _HEADER_BYTES])[1]
    return third >= len(data) or (_frame(data[third:third + _HEADER_BYTES]) or (None,))[0] == kind


def ends_inside_a_frame(path: Path) -> bool:
    """Whether the MPEG audio frames of `path` (an MP3) end with one cut off by the file's end. False for a
    file whose frames end whole (tags after them or not), and for one with no frames to follow."""
    with open(path, "rb") as file:
        if (length := file.seek(0, 2)) == 0:
            return False
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            position = _next_chain(data, _audio_start(data), None)
            if position is None:
                return False
            kind = _frame(data[position:position + _HEADER_BYTES])[0]
            while position < length:
                if length - position < _HEADER_BYTES and data[position] == 0xFF:
                    return True  # cut inside the next frame's header
                frame = _frame(data[position:position + _HEADER_BYTES])
                if frame is not None and frame[0] == kind:
                    if position + frame[1] > length:
                        return True
                    position += frame[1]
                    continue
                if any(data[position:position + len(tag)] == tag for tag in _TRAILING_TAGS):
                    return False
                # bytes that are no frame (damage part way, which the decoders skip): on from the next frames
                if (position := _next_chain(data, position + 1, kind)) is None:
                    return False
            return False
