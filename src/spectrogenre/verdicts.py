"""What a track's verdict can be besides a genre: the same words in predict, the server, `tag` and the app."""

import math

UNSURE = "unsure"  # the best genre's mean probability (a window's: its own) is below spec.json's verdict.unsure_below
NO_MUSIC = "no music heard"  # every window near-silent or mostly silence (the silence rule), or steady noise


def is_sure(confidence, unsure_below: float):
    """Whether a verdict of this `confidence` (its best genre's calibrated mean probability; an array of them too)
    names its genre: at or above spec.json's verdict.unsure_below. The one rule of predict, the server, `tag` and
    the evaluate stage's `unsure` share; the app's JavaScript (classifier.js) writes the same comparison."""
    return confidence >= unsure_below


def reported(probability) -> float:
    """A probability as predict's JSON and CSV and the server report it: to 4 decimals, rounded down, so that a
    verdict under unsure_below never reads as at it (0.49996 is 0.4999, not 0.5). 1e-6 of allowance keeps float32's
    0.9 (0.89999998) at 0.9."""
    return math.floor(float(probability) * 1e4 + 1e-2) / 1e4
