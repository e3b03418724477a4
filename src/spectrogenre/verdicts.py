"""What a track's verdict can be besides a genre: the same words in predict, the server, `tag` and the app."""

UNSURE = "unsure"  # the best genre's mean probability (a window's: its own) is below spec.json's verdict.unsure_below
NO_MUSIC = "no music heard"  # every window near-silent or mostly silence (the silence rule), or steady noise


def is_sure(confidence, unsure_below: float):
    """Whether a verdict of this `confidence` (its best genre's calibrated mean probability; an array of them too)
    names its genre: at or above spec.json's verdict.unsure_below. The one rule of predict, the server, `tag` and
    the evaluate stage's `unsure` share; the app's JavaScript (classifier.js) writes the same comparison."""
    return confidence >= unsure_below
