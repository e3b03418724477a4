// The steady-noise rule of spectrogenre/steady.py, with spec.json's steady_noise values: a window
// whose sound does not change (hiss, hum, room tone, at any level) is noise, not music. The same
// arithmetic in float64: frames of a power of two of samples, periodic Hann, power summed over
// the bass band and wide bands above it, each band's dB level over the frames, its standard
// deviation; the median over the bands within span_db of the loudest. And the no-pitch rule: the share
// of tonal peaks in the same frames' spectra (steady.tonal_share).

import { roundHalfEven } from './round.js';
import { fft, tables } from './spectrogram.js';

// The rule's values where a spec.json predates the rule or one of its values (as ExportedModel.load does).
export const DEFAULT_RULE = {
  below_db: 0.75, floor_hz: 20, band_hz: 1000, low_hz: 1000, high_hz: 8000, frame_seconds: 0.128, span_db: 60,
  tonal_below: 0.003, tonal_low_hz: 100, tonal_high_hz: 5000, peak_db: 10, peak_span_hz: 240,
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

/** Whether the rule (on: below_db > 0; spec.json's values, DEFAULT_RULE's where it has none) calls this
 * window stationary noise. */
export function isSteadyNoise(clip, sampleRate, rule) {
  const full = { ...DEFAULT_RULE, ...rule };
  return full.below_db > 0 && steadinessDb(clip, sampleRate, full) < full.below_db;
}

/** Whether the window is stationary noise, or has no pitch (tonal_below > 0): noise either way (steady.is_noise).
 * Both measures read the same frames' spectra, computed once. */
export function isNoise(clip, sampleRate, rule) {
  const full = { ...DEFAULT_RULE, ...rule };
  if (full.below_db <= 0 && full.tonal_below <= 0) return false;
  const power = framePower(clip, frameSamples(full, sampleRate));
  return (full.below_db > 0 && steadinessOf(power, sampleRate, full) < full.below_db)
    || (full.tonal_below > 0 && tonalShareOf(power, sampleRate, full) < full.tonal_below);
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

function tonalShareOf(power, sampleRate, rule) {
  const n = frameSamples(rule, sampleRate);
  const half = roundHalfEven((rule.peak_span_hz / 2) * n / sampleRate);
  // the bins judged, each with `half` bins of the spectrum on either side
  const first = Math.max(Math.ceil((rule.tonal_low_hz * n) / sampleRate), half);
  const stop = Math.min(Math.ceil((rule.tonal_high_hz * n) / sampleRate), n / 2 + 1 - half);
  if (power.length < 1 || stop <= first) return Infinity;
  const around = new Float64Array(2 * half + 1);
  const factor = 10 ** (rule.peak_db / 10);
  let peaks = 0;
  for (const bins of power) {
    for (let k = first; k < stop; k++) {
      around.set(bins.subarray(k - half, k + half + 1));
      around.sort();
      if (bins[k] > around[half] * factor) peaks += 1;
    }
  }
  return peaks / (power.length * (stop - first));
}
