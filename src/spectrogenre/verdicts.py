"""What a track's verdict can be besides a genre: the same words in predict, the server, `tag` and the app."""

UNSURE = "unsure"  # the best genre's mean probability (a window's: its own) is below spec.json's verdict.unsure_below
NO_MUSIC = "no music heard"  # every window near-silent or mostly silence (the silence rule), or steady noise
