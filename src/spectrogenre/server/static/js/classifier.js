// Classification on the device: the export's spec.json and model, the front end ported to
// JavaScript (resample.js, windows.js, spectrogram.js), and the verdict the server gives:
// window probabilities averaged over the song.

import { loadModel } from './model.js';
import { resample } from './resample.js';
import { roundHalfEven } from './round.js';
import { KINDS, logSpectrogram, spectrogramShape } from './spectrogram.js';
import { isNoise } from './steady.js';
import { NO_MUSIC, UNSURE } from './verdicts.js';
import { cutWindows } from './windows.js';


/** Give the page a chance to paint between long computations. */
const nextFrame = () => new Promise((resolve) => setTimeout(resolve));

const argmax = (values) => values.reduce((best, v, i) => (v > values[best] ? i : best), 0);

/** softmax(log(p) / temperature), in float64: spectrogenre.calibration.apply_temperature. */
function withTemperature(probabilities, temperature) {
  const logits = Array.from(probabilities, (p) => Math.log(Math.max(p, 1e-30)) / temperature);
  const top = Math.max(...logits);
  const scaled = logits.map((z) => Math.exp(z - top));
  const total = scaled.reduce((sum, v) => sum + v, 0);
  return scaled.map((v) => v / total);
}

export class DeviceClassifier {
  constructor(spec, predict) {
    // Everything the front end, the windows and the verdict need comes from spec.json: an export
    // older than its windows rule is refused, as predict refuses it.
    for (const key of ['frontend', 'resampler', 'silence', 'windows', 'verdict']) {
      if (!spec[key]) throw new Error(`the model's spec.json has no "${key}": export it again (dvc repro export)`);
    }
    this.spec = spec;
    this.predict = predict;
  }

  /** The model of `spec` (spec.json), served under `base` next to it. */
  static async load(spec, base) {
    if (!KINDS.includes(spec.frontend.kind)) {
      throw new Error(`this model's front end ("${spec.frontend.kind}") runs only on the server: switch to server mode`);
    }
    // The model's input must be what spectrogram.js computes for a clip of spec.json's length and rate.
    const shape = spectrogramShape(spec.frontend, roundHalfEven(spec.frontend.clip_seconds * spec.frontend.sample_rate));
    if (spec.frontend.shape && String(spec.frontend.shape) !== String(shape)) {
      throw new Error(`spec.json's input shape ${spec.frontend.shape} is not its front end's (${shape})`);
    }
    const response = await fetch(new URL(spec.models.float, base));
    if (!response.ok) throw new Error(`the model file: ${response.status} ${response.statusText}`);
    return new DeviceClassifier(spec, await loadModel(new Uint8Array(await response.arrayBuffer())));
  }

  /**
   * Verdict for mono float32 audio at `rate`, as spectrogenre.inference.classify gives it:
   * {status ('genre', 'unsure' or 'no music heard'), genre (the best guess; null when no music),
   * confidence, probabilities {label: p}, windows [{start_s, end_s, genre, confidence}],
   * spectrogram (the first classified window's, [bins, frames] row-major), shape, timings (ms)}.
   * A window is not classified when it is below the silence rule's threshold, mostly silence (the
   * silence rule keeps less than spec.windows.min_sound_fraction of it) or what the noise rules
   * call noise (steady.js: steady, or with no pitch): inference.is_music.
   */
  async classify(samples, rate, onProgress = () => {}) {
    const { frontend, labels } = this.spec;
    let start = performance.now();
    const audio = resample(samples, rate, frontend.sample_rate, this.spec.resampler);
    const timings = { resample: performance.now() - start, spectrogram: 0, model: 0 };
    const windows = cutWindows(audio, this.spec, this.spec.windows.hop_seconds);
    // an export from before the rule: the rule's default, as inference.ExportedModel.load reads it
    const minSoundFraction = this.spec.windows.min_sound_fraction ?? 0.5;
    const shape = spectrogramShape(frontend, windows[0].clip.length);
    const sums = new Float64Array(labels.length);
    const timeline = [];
    let first;
    let heard = 0;
    for (const [i, part] of windows.entries()) {
      onProgress(i / windows.length);
      if (!(part.level_db >= this.spec.silence.threshold_db)
        || !(part.sound_fraction >= minSoundFraction)
        || isNoise(part.clip, frontend.sample_rate, this.spec.steady_noise)) {
        timeline.push({ start_s: part.start_s, end_s: part.end_s, genre: NO_MUSIC, confidence: null });
        continue;
      }
      heard += 1;
      await nextFrame();
      start = performance.now();
      const spectrogram = logSpectrogram(part.clip, frontend);
      timings.spectrogram += performance.now() - start;
      start = performance.now();
      const output = await this.predict(spectrogram, [1, ...shape]);
      if (output.length !== labels.length) { // a model from another export than spec.json's
        throw new Error(`the model gives ${output.length} genres, spec.json names ${labels.length}: reload the app`);
      }
      const probabilities = withTemperature(output, this.spec.verdict.temperature);
      timings.model += performance.now() - start;
      first ??= spectrogram;
      probabilities.forEach((p, g) => { sums[g] += p; });
      const best = argmax(probabilities);
      timeline.push({ start_s: part.start_s, end_s: part.end_s, genre: labels[best], confidence: probabilities[best] });
    }
    if (heard === 0) {
      return { status: NO_MUSIC, genre: null, confidence: 0, probabilities: {}, windows: timeline, shape, timings };
    }
    const mean = sums.map((sum) => sum / heard);
    const best = argmax(mean);
    return {
      status: mean[best] >= this.spec.verdict.unsure_below ? 'genre' : UNSURE,
      genre: labels[best],
      confidence: mean[best],
      probabilities: Object.fromEntries(labels.map((label, g) => [label, mean[g]])),
      windows: timeline,
      spectrogram: first,
      shape,
      timings,
    };
  }
}
