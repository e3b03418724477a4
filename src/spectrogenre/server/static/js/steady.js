// The steady-noise rule of spectrogenre/steady.py, with spec.json's steady_noise values: a window
// whose sound does not change (hiss, hum, room tone, at any level) is noise, not music. The same
// arithmetic in float64: frames of a power of two of samples, periodic Hann, power summed over
// the bass band and wide bands above it, each band's dB level over the frames, its standard
// deviation; the median over the bands within span_db of the loudest. And the no-pitch rule: the share
// of tonal peaks in the same frames' spectra (steady.tonal_share). And the tone rule: the share of the
// loud frames that are rich, more than one or two tones (steady.rich_share), from the same peaks.

import { roundHalfEven } from './round.js';
import { fft, tables } from './spectrogram.js';

// The rule's values where a spec.json predates the rule or one of its values (as ExportedModel.load does).
export const DEFAULT_RULE = {
  below_db: 0.75, floor_hz: 20, band_hz: 1000, low_hz: 1000, high_hz: 8000, frame_seconds: 0.128, span_db: 60,
  tonal_below: 0.003, tonal_low_hz: 100, tonal_high_hz: 5000, peak_db: 10, peak_span_hz: 240,
  rich_below: 0.15, loud_db: 15, line_db: 15, line_span_db: 50, tone_held: 0.8, tone_bins: 3, harmonic_span_db: 20,
  tone_low_hz: 250, tone_tolerance_hz: 25, tone_gate: 0.8,
};
const LEVEL_FLOOR = 1e-20;

let cached = {};

/** Samples per analysis frame: frame_seconds rounded up to a power of two. */
function frameSamples(rule, sampleRate) {
  return 2 ** Math.max(1, Math.ceil(Math.log2(rule.frame_seconds * sampleRate)));
}

/** Each band's FFT bins [first, stop): the bass band [floor_hz, low_hz), then band_hz wide from low_hz. */
function bandBins(rule, sampleRate, n) {
  const top = Math.min(rule.high_hz, sampleRate / 2);
  const count = Math.max(0, Math.floor((top - rule.low_hz) / rule.band_hz));
  const edges = [];
  const bassTop = Math.min(rule.low_hz, sampleRate / 2);
  if (rule.floor_hz < bassTop) edges.push([rule.floor_hz, bassTop]);
  for (let i = 0; i < count; i++) edges.push([rule.low_hz + i * rule.band_hz, rule.low_hz + (i + 1) * rule.band_hz]);
  return edges.map(([a, b]) => [Math.ceil((a * n) / sampleRate), Math.ceil((b * n) / sampleRate)]);
}

const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Power spectra of consecutive periodic-Hann frames of n samples: one Float64Array (n / 2 + 1 bins) per frame. */
function framePower(clip, n) {
  if (cached.n !== n) cached = { n, ...tables(n) };
  const framed = new Float64Array(n);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  return Array.from({ length: Math.floor(clip.length / n) }, (_, t) => {
    for (let i = 0; i < n; i++) framed[i] = clip[t * n + i] * cached.window[i];
    fft(framed, cached, re, im);
    const power = new Float64Array(n / 2 + 1);
    for (let k = 0; k <= n / 2; k++) power[k] = re[k] * re[k] + im[k] * im[k];
    return power;
  });
}

/** The window's steadiness in dB (Float32Array clip at sampleRate); 0 when the bands hold nothing within
 * span_db of the whole window's level; Infinity when it cannot be judged (under 2 frames, or no band). */
export function steadinessDb(clip, sampleRate, rule) {
  return steadinessOf(framePower(clip, frameSamples(rule, sampleRate)), sampleRate, rule);
}

/** Share of the window's bins from tonal_low_hz to tonal_high_hz standing peak_db above the median of the
 * bins within peak_span_hz around them (steady.tonal_share); Infinity when it cannot be judged. */
export function tonalShare(clip, sampleRate, rule) {
  return tonalShareOf(framePower(clip, frameSamples(rule, sampleRate)), sampleRate, rule);
}

/** Share of the window's loud frames that are rich: more than one or two tones, or anything besides tones
 * (steady.rich_share); Infinity when it cannot be judged. */
export function richShare(clip, sampleRate, rule) {
  return richShareOf(framePower(clip, frameSamples(rule, sampleRate)), sampleRate, rule);
}

/** Whether the rule (on: below_db > 0; spec.json's values, DEFAULT_RULE's where it has none) calls this
 * window stationary noise. */
export function isSteadyNoise(clip, sampleRate, rule) {
  const full = { ...DEFAULT_RULE, ...rule };
  return full.below_db > 0 && steadinessDb(clip, sampleRate, full) < full.below_db;
}

/** Whether the window is stationary noise, has no pitch (tonal_below > 0), or is signal tones (rich_below > 0):
 * noise either way (steady.is_noise). The measures read the same frames' spectra, computed once, and the last
 * two the same medians around each bin. */
export function isNoise(clip, sampleRate, rule) {
  const full = { ...DEFAULT_RULE, ...rule };
  if (full.below_db <= 0 && full.tonal_below <= 0 && full.rich_below <= 0) return false;
  const power = framePower(clip, frameSamples(full, sampleRate));
  if (full.below_db > 0 && steadinessOf(power, sampleRate, full) < full.below_db) return true;
  if (full.tonal_below <= 0 && full.rich_below <= 0) return false;
  const floor = peakFloorOf(power, sampleRate, full);
  return (full.tonal_below > 0 && tonalShareOf(power, sampleRate, full, floor) < full.tonal_below)
    || (full.rich_below > 0 && richShareOf(power, sampleRate, full, floor) < full.rich_below);
}

function steadinessOf(power, sampleRate, rule) {
  const frames = power.length;
  const bands = bandBins(rule, sampleRate, frameSamples(rule, sampleRate));
  if (frames < 2 || bands.length === 0) return Infinity;
  const levels = bands.map(() => new Float64Array(frames));
  let whole = 0; // the mean over frames of the whole spectrum's level
  power.forEach((bins, t) => {
    whole += 10 * Math.log10(Math.max(bins.reduce((sum, v) => sum + v, 0), LEVEL_FLOOR)) / frames;
    bands.forEach(([first, stop], b) => {
      let sum = 0;
      for (let k = first; k < stop; k++) sum += bins[k];
      levels[b][t] = 10 * Math.log10(Math.max(sum, LEVEL_FLOOR));
    });
  });
  const means = levels.map((band) => band.reduce((sum, v) => sum + v, 0) / frames);
  const loudest = Math.max(...means);
  if (loudest < whole - rule.span_db) return 0; // the sound is all outside the bands: nothing a person hears
  const spreads = levels.map((band, b) => Math.sqrt(band.reduce((sum, v) => sum + (v - means[b]) ** 2, 0) / frames));
  return median(spreads.filter((_, b) => means[b] >= loudest - rule.span_db));
}

/** The frames' bins from tonal_low_hz to tonal_high_hz (a Float64Array a frame), the median of the bins within
 * peak_span_hz around each, and the index of the first (steady._peak_floor); null when they cannot be judged. */
function peakFloorOf(power, sampleRate, rule) {
  const n = frameSamples(rule, sampleRate);
  const half = roundHalfEven((rule.peak_span_hz / 2) * n / sampleRate);
  // the bins judged, each with `half` bins of the spectrum on either side
  const first = Math.max(Math.ceil((rule.tonal_low_hz * n) / sampleRate), half);
  const stop = Math.min(Math.ceil((rule.tonal_high_hz * n) / sampleRate), n / 2 + 1 - half);
  if (power.length < 1 || stop <= first) return null;
  const around = new Float64Array(2 * half + 1);
  const medians = power.map((bins) => {
    const median = new Float64Array(stop - first);
    for (let k = first; k < stop; k++) {
      around.set(bins.subarray(k - half, k + half + 1));
      around.sort();
      median[k - first] = around[half];
    }
    return median;
  });
  return { core: power.map((bins) => bins.subarray(first, stop)), medians, first };
}

function tonalShareOf(power, sampleRate, rule, floor = peakFloorOf(power, sampleRate, rule)) {
  if (floor === null) return Infinity;
  const factor = 10 ** (rule.peak_db / 10);
  let peaks = 0;
  floor.core.forEach((bins, t) => {
    for (let k = 0; k < bins.length; k++) if (bins[k] > floor.medians[t][k] * factor) peaks += 1;
  });
  return peaks / (floor.core.length * floor.core[0].length);
}

/** Where the peak at bin k of `row` lies, in bins from k: the vertex of the parabola through the log powers of
 * bins k - 1, k, k + 1 (0 at either end of the row, or where they do not bend down) (steady._vertex). */
function vertex(row, k) {
  if (k <= 0 || k >= row.length - 1) return 0;
  const [low, mid, high] = [row[k - 1], row[k], row[k + 1]].map((v) => Math.log(Math.max(v, LEVEL_FLOOR)));
  const bend = low - 2 * mid + high;
  return bend < 0 ? (0.5 * (low - high)) / bend : 0;
}

/** Whether frequency f lies within `tolerance` of a harmonic (the 1st included) of f0 (steady._harmonic). */
function harmonic(f, f0, tolerance) {
  const m = Math.floor(f / f0 + 0.5);
  return m >= 1 && Math.abs(f - m * f0) <= tolerance;
}

/** The window's fixed tones, in bins (steady._fixed_tones): the strongest peak of the frames' summed spectrum
 * and the strongest that is not its harmonic, those above tone_low_hz, when their harmonics (within tone_bins)
 * hold tone_gate of the window's energy; none otherwise. */
function fixedTones(core, first, n, sampleRate, rule) {
  const total = new Float64Array(core[0].length);
  for (const bins of core) for (let k = 0; k < bins.length; k++) total[k] += bins[k];
  const tolerance = (rule.tone_tolerance_hz * n) / sampleRate;
  const order = Array.from(total.keys()).sort((a, b) => total[b] - total[a] || a - b);
  let tones = [];
  for (const k of order) {
    if (tones.length === 2 || total[k] <= 0) break;
    const f = first + k + vertex(total, k);
    if (!tones.some((f0) => harmonic(f, f0, tolerance))) tones.push(f);
  }
  tones = tones.filter((f0) => (f0 * sampleRate) / n >= rule.tone_low_hz);
  const near = new Uint8Array(total.length);
  for (const f0 of tones) {
    for (let m = 1; m <= Math.floor((first + total.length + rule.tone_bins) / f0); m++) {
      const c = Math.floor(m * f0 + 0.5) - first;
      for (let k = Math.max(0, c - rule.tone_bins); k < Math.min(total.length, c + rule.tone_bins + 1); k++) near[k] = 1;
    }
  }
  let inside = 0;
  let all = 0;
  for (let k = 0; k < total.length; k++) {
    all += total[k];
    if (near[k]) inside += total[k];
  }
  return tones.length && inside >= rule.tone_gate * all ? tones : [];
}

function richShareOf(power, sampleRate, rule, floor = peakFloorOf(power, sampleRate, rule)) {
  if (floor === null) return Infinity;
  const { first } = floor;
  const energies = floor.core.map((bins) => bins.reduce((sum, v) => sum + v, 0));
  const loudest = Math.max(...energies);
  if (!(loudest > 0)) return Infinity; // no sound from tonal_low_hz to tonal_high_hz
  const loud = energies.map((e) => e >= loudest * 10 ** (-rule.loud_db / 10));
  const core = floor.core.filter((_, t) => loud[t]);
  const medians = floor.medians.filter((_, t) => loud[t]);
  const energy = energies.filter((_, t) => loud[t]);
  const peakFactor = 10 ** (rule.peak_db / 10);
  const lineFactor = 10 ** (rule.line_db / 10);
  const n = frameSamples(rule, sampleRate);
  const tolerance = (rule.tone_tolerance_hz * n) / sampleRate;
  let tones = null; // the fixed tones, found when a frame first needs them
  let rich = 0;
  core.forEach((bins, t) => {
    // the frame's runs of tonal peaks: [start, stop), their top, whether one of them stands line_db over the median
    const runs = [];
    for (let k = 0; k < bins.length; k++) {
      if (!(bins[k] > medians[t][k] * peakFactor)) continue;
      const run = { start: k, top: k, strong: false };
      for (; k < bins.length && bins[k] > medians[t][k] * peakFactor; k++) {
        if (bins[k] > bins[run.top]) run.top = k;
        if (bins[k] > medians[t][k] * lineFactor) run.strong = true;
      }
      run.stop = k;
      runs.push(run);
    }
    const strongest = Math.max(0, ...runs.map((run) => bins[run.top]));
    const kept = runs.filter((run) => bins[run.top] >= strongest * 10 ** (-rule.line_span_db / 10));
    const near = new Uint8Array(bins.length);
    for (const run of kept) {
      for (let k = Math.max(0, run.start - rule.tone_bins); k < Math.min(bins.length, run.stop + rule.tone_bins); k++) {
        near[k] = 1;
      }
    }
    let held = 0;
    for (let k = 0; k < bins.length; k++) if (near[k]) held += bins[k];
    const lines = kept.filter((run) => run.strong);
    let tone = held >= rule.tone_held * energy[t] && lines.length <= 2;
    if (held >= rule.tone_held * energy[t] && lines.length > 2) {
      tones ??= fixedTones(core, first, n, sampleRate, rule);
      const loudestLine = Math.max(...lines.map((run) => bins[run.top]));
      tone = tones.length > 0 && lines
        .filter((run) => bins[run.top] >= loudestLine * 10 ** (-rule.harmonic_span_db / 10))
        .every((run) => tones.some((f0) => harmonic(first + run.top + vertex(bins, run.top), f0, tolerance)));
    }
    if (!tone) rich += 1;
  });
  return rich / core.length;
}
