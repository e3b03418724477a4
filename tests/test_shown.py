"""shown.py: a file name a terminal table can print as one line, whatever bytes it holds, and percentages."""

import os

import numpy as np

from spectrogenre.shown import shown_path


def test_control_characters_and_bytes_that_are_not_utf8_are_escaped():
    assert shown_path("Rock/01 Song.mp3") == "Rock/01 Song.mp3"
    assert shown_path("Björk/Jóga.flac") == "Björk/Jóga.flac"  # UTF-8 letters are letters
    assert shown_path("red\x1b[31m.mp3") == "red\\x1b[31m.mp3"  # no escape sequence reaches the terminal
    assert shown_path("two\nlines\t.mp3") == "two\\nlines\\t.mp3"
    assert shown_path(os.fsdecode(b"caf\xe9.mp3")) == "caf\\xe9.mp3"  # Latin-1 bytes


def test_a_percentage_is_rounded_down_so_a_verdict_under_the_threshold_never_shows_at_it():
    from spectrogenre.shown import percent

    assert [percent(p) for p in (0.49996, 0.5, 0.996, 1.0, 0.0, 0.55, 0.29)] == [
        "49%", "50%", "99%", "100%", "0%", "55%", "29%"]  # 0.29 x 100 is 28.999999999999996 in floating point
    assert percent(float(np.float32(0.9))) == "90%"  # 0.8999999761581421


def test_an_unsure_verdict_just_under_the_threshold_is_not_shown_at_it():
    from spectrogenre.prediction import render

    row = {"path": "a.ogg", "genre": "unsure", "confidence": 0.49996, "top": [
        {"genre": "Rock", "probability": 0.49996}, {"genre": "Pop", "probability": 0.49}], "error": None,
        "warnings": []}
    assert render([row], output="table", timeline=False) == "a.ogg  unsure       49%  (Rock 49%, Pop 49%)\n"
