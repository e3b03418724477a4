// What a verdict can be besides a genre: the words of spectrogenre/verdicts.py, shown as they are.

export const UNSURE = 'unsure';
export const NO_MUSIC = 'no music heard';
