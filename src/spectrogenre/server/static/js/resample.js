// The front end's resampler, sample for sample: the polyphase FIR that
// scipy.signal.resample_poly(x, up, down, window=("kaiser", beta)) designs, summed in float64
// and rounded once to float32 as spectrogenre.resampler does (float64 sums agree far below
// float32's step, so neither side's order of additions shows), then the rounding to 16-bit
// steps that inference.decode applies (frontend.quantise_16bit).

import { roundHalfEven } from './round.js';

const gcd = (a, b) => (b ? gcd(b, a % b) : a);

/** Modified Bessel function of the first kind, order 0 (power series; |x| is small here). */
function besselI0(x) {
  let term = 1;
  let sum = 1;
  for (let k = 1; term > sum * 1e-17; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/** scipy.signal.firwin(taps, cutoff, window=("kaiser", beta)): low-pass, unit gain at DC, float64. */
function firwinKaiser(taps, cutoff, beta) {
  const alpha = (taps - 1) / 2;
  const i0Beta = besselI0(beta);
  const h = new Float64Array(taps);
  let sum = 0;
  for (let n = 0; n < taps; n++) {
    const y = Math.PI * (cutoff * (n - alpha) || 1e-20); // numpy.sinc's guard against 0/0
    const r = (n - alpha) / alpha;
    h[n] = cutoff * (Math.sin(y) / y) * (besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta);
    sum += h[n];
  }
  return h.map((v) => v / sum);
}

/**
 * Mono float32 audio at `fromRate` as the model hears it at `toRate`: Float32Array of
 * ceil(n * to / from). `resampler` is spec.json's {"window": ["kaiser", beta],
 * "half_length_per_rate": 10, "then": "quantise_16bit"}.
 */
export function resample(x, fromRate, toRate, resampler) {
  const y = fromRate === toRate ? Float32Array.from(x) : polyphase(x, fromRate, toRate, resampler);
  if (resampler.then === undefined) return y;
  if (resampler.then !== 'quantise_16bit') throw new Error(`unknown resampler step ${resampler.then}`);
  return quantise16bit(y);
}

/** Round to 16-bit steps, as writing PCM_16 and reading it back does (training reads 16-bit FLAC). */
function quantise16bit(audio) {
  return audio.map((v) => Math.min(32767, roundHalfEven(Math.min(1, Math.max(-1, v)) * 32768)) / 32768);
}

function polyphase(x, fromRate, toRate, resampler) {
  const [kind, beta] = resampler.window;
  if (kind !== 'kaiser') throw new Error(`resampler window ${kind} is not supported in the browser`);
  const divisor = gcd(fromRate, toRate);
  const up = toRate / divisor;
  const down = fromRate / divisor;
  const halfLen = resampler.half_length_per_rate * Math.max(up, down);
  const h = firwinKaiser(2 * halfLen + 1, 1 / Math.max(up, down), beta).map((v) => v * up);
  // scipy pads the filter in front with `prePad` zeros and drops the first `preRemove`
  // outputs so that output m is centred on input m * down / up.
  const prePad = down - (halfLen % down);
  const preRemove = Math.floor((halfLen + prePad) / down);
  const nOut = Math.ceil((x.length * up) / down);
  const out = new Float32Array(nOut);
  for (let m = 0; m < nOut; m++) {
    const k = (m + preRemove) * down; // position in the zero-stuffed (upsampled) signal
    const last = Math.floor(k / up);
    const offset = last * up - k + prePad; // filter tap of input i is (last - i) * up - offset
    // Only the inputs whose tap falls inside the (unpadded) filter contribute.
    const first = Math.max(0, last - Math.floor((h.length - 1 + offset) / up));
    const end = Math.min(x.length - 1, last - Math.ceil(offset / up));
    let acc = 0;
    for (let i = first; i <= end; i++) acc += x[i] * h[(last - i) * up - offset];
    out[m] = acc; // Float32Array: rounded once
  }
  return out;
}
