"""shown.py: a file name a terminal table can print as one line, whatever bytes it holds."""

import os

from spectrogenre.shown import shown_path


def test_control_characters_and_bytes_that_are_not_utf8_are_escaped():
    assert shown_path("Rock/01 Song.mp3") == "Rock/01 Song.mp3"
    assert shown_path("Björk/Jóga.flac") == "Björk/Jóga.flac"  # UTF-8 letters are letters
    assert shown_path("red\x1b[31m.mp3") == "red\\x1b[31m.mp3"  # no escape sequence reaches the terminal
    assert shown_path("two\nlines\t.mp3") == "two\\nlines\\t.mp3"
    assert shown_path(os.fsdecode(b"caf\xe9.mp3")) == "caf\\xe9.mp3"  # Latin-1 bytes
