// Windows over a song, as spectrogenre.inference.windows cuts them: silences longer than
// min_silence_s (frames whose RMS level is below threshold_db) are removed, then clips of
// clip_seconds are cut every hop seconds from what is left.

import { roundHalfEven } from './round.js';


/** RMS level in dBFS of consecutive frames (the last may be shorter), each frame's mean taken out
 * first (a constant offset is not sound), as trim.frame_levels_db. */
function frameLevelsDb(audio, frameLength) {
  const levels = new Float64Array(Math.ceil(audio.length / frameLength));
  for (let f = 0; f < levels.length; f++) {
    const start = f * frameLength;
    const end = Math.min(audio.length, start + frameLength);
    let sum = 0;
    for (let i = start; i < end; i++) sum += audio[i];
    const mean = sum / (end - start);
    let power = 0;
    for (let i = start; i < end; i++) power += (audio[i] - mean) ** 2;
    levels[f] = 10 * Math.log10(power / (end - start));
  }
  return levels;
}

/** [start, end) sample intervals left once silences longer than the limit are cut (trim.kept_intervals). */
function keptIntervals(audio, silence, sampleRate) {
  const frame = Math.max(1, roundHalfEven(silence.frame_seconds * sampleRate));
  const minSilence = roundHalfEven(silence.min_silence_s * sampleRate);
  const levels = frameLevelsDb(audio, frame);
  const kept = [];
  let keepFrom = 0;
  for (let f = 0; f < levels.length; f++) {
    if (!(levels[f] < silence.threshold_db)) continue;
    let g = f;
    while (g < levels.length && levels[g] < silence.threshold_db) g++;
    const start = f * frame;
    const stop = Math.min(g * frame, audio.length);
    if (stop - start > minSilence) {
      if (start > keepFrom) kept.push([keepFrom, start]);
      keepFrom = stop;
    }
    f = g;
  }
  if (audio.length > keepFrom) kept.push([keepFrom, audio.length]);
  return kept;
}

/** Share of a window that the silence rule keeps when applied to the window alone (trim.sound_fraction). */
function soundFraction(clip, silence, sampleRate) {
  if (!silence.enabled) return 1;
  return keptIntervals(clip, silence, sampleRate).reduce((sum, [s, e]) => sum + e - s, 0) / clip.length;
}

/**
 * Clips of a song (mono Float32Array at the front end's rate): [{start_s, end_s, clip, level_db,
 * sound_fraction}], clip a Float32Array of clip_samples, start_s/end_s where its first and last
 * sample are in the song (a window can span a cut silence), level_db its RMS level (the silence
 * rule's, one frame per window), sound_fraction the share of it the silence rule keeps.
 * Throws when the song is too short even with padding.
 */
export function cutWindows(audio, spec, hopSeconds) {
  const { sample_rate: sr, clip_seconds: clipSeconds } = spec.frontend;
  const clipSamples = roundHalfEven(clipSeconds * sr);
  let segments = spec.silence.enabled ? keptIntervals(audio, spec.silence, sr) : [[0, audio.length]];
  const keptSamples = segments.reduce((sum, [s, e]) => sum + e - s, 0);
  if (keptSamples < clipSamples) {
    // Too little non-silent audio for one window: use the song as it is, padded if just short.
    // spec.windows.short_tolerance_s: a recording this much shorter than a clip is padded, not refused
    if (audio.length < clipSamples - spec.windows.short_tolerance_s * sr) {
      throw new Error(`too short: ${(audio.length / sr).toFixed(1)} s of audio `
        + `(${(keptSamples / sr).toFixed(1)} s once silences are cut), needs at least `
        + `${Number((clipSeconds - spec.windows.short_tolerance_s).toFixed(3))} s`);
    }
    const padded = new Float32Array(Math.max(clipSamples, audio.length));
    padded.set(audio);
    audio = padded;
    segments = [[0, audio.length]];
  }
  const trimmed = segments.reduce((sum, [s, e]) => sum + e - s, 0);
  const hop = Math.max(1, roundHalfEven(hopSeconds * sr));
  const windows = [];
  for (let clipStart = 0; clipStart + clipSamples <= trimmed; clipStart += hop) {
    const window = gather(audio, segments, clipStart, clipSamples, sr);
    window.sound_fraction = soundFraction(window.clip, spec.silence, sr);
    windows.push(window);
  }
  return windows;
}

/** The `length` samples starting at trimmed position `from`, copied out of the kept segments. */
function gather(audio, segments, from, length, sr) {
  const clip = new Float32Array(length);
  let filled = 0;
  let position = 0; // trimmed position of the current segment's start
  let first = null;
  let end = null;
  for (const [s, e] of segments) {
    const skip = from + filled - position;
    if (filled < length && skip < e - s) {
      const take = Math.min(e - s - skip, length - filled);
      first ??= s + skip;
      end = s + skip + take;
      clip.set(audio.subarray(s + skip, end), filled);
      filled += take;
    }
    position += e - s;
  }
  return { start_s: first / sr, end_s: end / sr, clip, level_db: frameLevelsDb(clip, clip.length)[0] };
}

