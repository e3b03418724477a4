// The log spectrogram of spectrogenre.frontend.log_spectrogram, for its three kinds:
// - "stft": librosa.stft(clip, n_fft, hop_length, window="hann", center=True, pad_mode="constant"),
//   magnitude, then librosa.amplitude_to_db(ref=1, amin, top_db=None);
// - "mel": the power spectrum through librosa's Slaney mel filterbank (n_mels bands), then
//   librosa.power_to_db(ref=1, amin**2, top_db=None);
// - "musicnn": the same mel of the power spectrum (96 bands, 16 kHz, n_fft 512, hop 256),
//   then log10(10000 mel + 1) in float32.
// librosa frames the float32 clip, windows and transforms it in float64, and stores the
// spectrum as complex64; the power, the mel bands and the logs are then float32. The same
// roundings are applied here with Math.fround. A power-of-two n_fft (512, 2048) goes through a
// radix-2 FFT; any other (the default 556) through an exact DFT over precomputed twiddles.

export const KINDS = ['stft', 'mel', 'musicnn'];

const isPowerOfTwo = (n) => n >= 2 && (n & (n - 1)) === 0;

/** Cos/sin tables of 2 pi n / n_fft and the periodic Hann window (scipy's get_window("hann", n_fft)). */
export function tables(nFft) {
  const cos = new Float64Array(nFft);
  const sin = new Float64Array(nFft);
  const window = new Float64Array(nFft);
  for (let n = 0; n < nFft; n++) {
    cos[n] = Math.cos((2 * Math.PI * n) / nFft);
    sin[n] = Math.sin((2 * Math.PI * n) / nFft);
    window[n] = 0.5 - 0.5 * cos[n];
  }
  const reverse = new Uint32Array(nFft / 2); // bit-reversed indices of n_fft / 2, for the FFT
  if (isPowerOfTwo(nFft)) {
    for (let n = 0, bits = Math.log2(nFft / 2); n < nFft / 2; n++) {
      let r = 0;
      for (let b = 0, v = n; b < bits; b++, v >>= 1) r = (r << 1) | (v & 1);
      reverse[n] = r;
    }
  }
  // scratch for the FFT's complex signal of n_fft / 2
  return { cos, sin, window, reverse, zr: new Float64Array(nFft / 2), zi: new Float64Array(nFft / 2) };
}

/**
 * Bins 0..n_fft / 2 of the DFT of the real frame `x` (Float64Array of n_fft) into re, im:
 * sum_n x[n] e^(-2 pi i k n / n_fft), term by term.
 */
function dft(x, { cos, sin }, re, im) {
  const nFft = x.length;
  for (let k = 0; k <= nFft / 2; k++) {
    let r = 0;
    let i = 0;
    for (let n = 0, j = 0; n < nFft; n++) {
      r += x[n] * cos[j];
      i -= x[n] * sin[j];
      j += k;
      if (j >= nFft) j -= nFft;
    }
    re[k] = r;
    im[k] = i;
  }
}

/**
 * The same as dft() for a power-of-two n_fft: the even and odd samples as the real and
 * imaginary parts of one complex signal of n_fft / 2, an iterative radix-2 FFT of that, and
 * the real spectrum untangled from it. All in float64; `reverse` holds the bit-reversed
 * indices of n_fft / 2.
 */
export function fft(x, { cos, sin, reverse, zr, zi }, re, im) {
  const nFft = x.length;
  const size = nFft / 2;
  for (let n = 0; n < size; n++) {
    zr[reverse[n]] = x[2 * n];
    zi[reverse[n]] = x[2 * n + 1];
  }
  for (let span = 2; span <= size; span *= 2) {
    const half = span / 2;
    const step = nFft / span; // twiddle e^(-2 pi i j / span) is table entry j * step
    for (let start = 0; start < size; start += span) {
      for (let j = 0, t = 0; j < half; j++, t += step) {
        const a = start + j;
        const b = a + half;
        const wr = cos[t];
        const wi = -sin[t];
        const br = zr[b] * wr - zi[b] * wi;
        const bi = zr[b] * wi + zi[b] * wr;
        zr[b] = zr[a] - br;
        zi[b] = zi[a] - bi;
        zr[a] += br;
        zi[a] += bi;
      }
    }
  }
  // X[k] = E[k] + e^(-2 pi i k / n_fft) O[k], with E = (Z[k] + conj Z[-k]) / 2, O = (Z[k] - conj Z[-k]) / 2i.
  for (let k = 0; k <= size / 2; k++) {
    const m = (size - k) % size;
    const ar = zr[k];
    const ai = zi[k];
    const cr = zr[m];
    const ci = zi[m];
    const er = 0.5 * (ar + cr);
    const ei = 0.5 * (ai - ci);
    const or = 0.5 * (ai + ci);
    const oi = -0.5 * (ar - cr);
    // bin k: E + W^k O; bin size - k: conj(E) + W^(size - k) conj(O), with W^(size - k) = -conj(W^k)
    const wr = cos[k];
    const wi = -sin[k];
    const pr = wr * or - wi * oi;
    const pi = wr * oi + wi * or;
    re[k] = er + pr;
    im[k] = ei + pi;
    re[size - k] = er - pr;
    im[size - k] = -(ei - pi);
  }
}

/** librosa.hz_to_mel(f, htk=False): linear below 1 kHz, logarithmic above (Slaney). */
const F_SP = 200.0 / 3;
const MIN_LOG_HZ = 1000.0;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOGSTEP = Math.log(6.4) / 27.0;
const hzToMel = (f) => (f >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(f / MIN_LOG_HZ) / LOGSTEP : f / F_SP);
const melToHz = (m) => (m >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOGSTEP * (m - MIN_LOG_MEL)) : F_SP * m);

/**
 * librosa.filters.mel(sr, n_fft, n_mels) with its defaults (fmin 0, fmax sr / 2, htk False,
 * norm "slaney", float32): Float32Array in row-major [n_mels, n_fft / 2 + 1] order.
 * Each operation in librosa's order and precision (float64, stored as float32 before the
 * Slaney normalisation, which is computed in float64 and stored as float32 again).
 */
export function melFilterbank(sampleRate, nFft, nMels) {
  const bins = Math.floor(nFft / 2) + 1;
  const binHz = 1.0 / (nFft * (1.0 / sampleRate)); // numpy.fft.rfftfreq(n_fft, d=1 / sr)
  const fftFreqs = Float64Array.from({ length: bins }, (_, k) => k * binHz);
  // mel_frequencies(n_mels + 2, fmin=0, fmax=sr / 2): numpy.linspace in mels (0 to max), then Hz.
  const maxMel = hzToMel(sampleRate / 2);
  const step = maxMel / (nMels + 1);
  const melF = Float64Array.from({ length: nMels + 2 }, (_, i) => melToHz(i === nMels + 1 ? maxMel : i * step));
  const weights = new Float32Array(nMels * bins);
  for (let m = 0; m < nMels; m++) {
    const lowerWidth = melF[m + 1] - melF[m];
    const upperWidth = melF[m + 2] - melF[m + 1];
    const enorm = 2.0 / (melF[m + 2] - melF[m]);
    for (let k = 0; k < bins; k++) {
      const lower = -(melF[m] - fftFreqs[k]) / lowerWidth;
      const upper = (melF[m + 2] - fftFreqs[k]) / upperWidth;
      weights[m * bins + k] = Math.fround(Math.fround(Math.max(0, Math.min(lower, upper))) * enorm);
    }
  }
  return weights;
}

/** The filterbank as [first bin, weights] per band: each band covers a few consecutive bins. */
function sparseBands(weights, nMels, bins) {
  const bands = [];
  for (let m = 0; m < nMels; m++) {
    const row = weights.subarray(m * bins, (m + 1) * bins);
    let first = row.findIndex((w) => w !== 0);
    if (first < 0) first = 0;
    let last = bins - 1;
    while (last > first && row[last] === 0) last--;
    bands.push([first, row.slice(first, last + 1)]);
  }
  return bands;
}

let cached = { nFft: 0 };
let cachedMel = { key: '' };

function melBands(frontend) {
  const key = `${frontend.sample_rate}/${frontend.n_fft}/${frontend.n_mels}`;
  if (cachedMel.key !== key) {
    const bins = Math.floor(frontend.n_fft / 2) + 1;
    const weights = melFilterbank(frontend.sample_rate, frontend.n_fft, frontend.n_mels);
    cachedMel = { key, bands: sparseBands(weights, frontend.n_mels, bins) };
  }
  return cachedMel.bands;
}

/** Shape [bins, frames] of the spectrogram of `clipSamples` samples. */
export function spectrogramShape(frontend, clipSamples) {
  const bins = frontend.kind === 'stft' ? Math.floor(frontend.n_fft / 2) + 1 : frontend.n_mels;
  return [bins, 1 + Math.floor(clipSamples / frontend.hop_length)];
}

const MAX_GAIN_DB = 40; // frontend.MAX_GAIN_DB

/**
 * frontend.normalised: the clip, its mean taken out, scaled to `dbfs` RMS (float64 mean, RMS and
 * gain, the gain at most MAX_GAIN_DB, each (x - mean) x gain rounded once to float32). A DC offset
 * is not sound: counted in the RMS it would make the gain too small, and left in the signal it
 * would fill the lowest bands and the edge frames (see frontend.normalised).
 */
export function normalised(clip, dbfs) {
  let total = 0;
  for (let i = 0; i < clip.length; i++) total += clip[i];
  const mean = total / clip.length;
  let sum = 0;
  for (let i = 0; i < clip.length; i++) {
    const centred = clip[i] - mean;
    sum += centred * centred;
  }
  const rms = Math.sqrt(sum / clip.length);
  const gain = Math.min(10 ** (dbfs / 20) / Math.max(rms, 1e-300), 10 ** (MAX_GAIN_DB / 20));
  const out = new Float32Array(clip.length);
  for (let i = 0; i < clip.length; i++) out[i] = Math.fround((clip[i] - mean) * gain);
  return out;
}

/**
 * Log spectrogram of one clip (Float32Array), as a Float32Array in row-major [bins, frames]
 * order: the model's input layout. dB for kinds stft and mel, log10(10000 mel + 1) for musicnn.
 * With frontend.normalise_dbfs the clip's mean is first taken out and the clip scaled to that RMS
 * level (normalised).
 */
export function logSpectrogram(input, frontend) {
  if (!KINDS.includes(frontend.kind)) {
    throw new Error(`front end kind "${frontend.kind}" is not supported in the browser: use server mode`);
  }
  const level = frontend.normalise_dbfs ?? null; // absent from spec.json before this setting existed
  const clip = level === null ? input : normalised(input, level);
  const nFft = frontend.n_fft;
  const hop = frontend.hop_length;
  if (cached.nFft !== nFft) cached = { nFft, ...tables(nFft) };
  const transform = isPowerOfTwo(nFft) ? fft : dft;
  const fftBins = Math.floor(nFft / 2) + 1;
  const bands = frontend.kind === 'stft' ? null : melBands(frontend);
  const [bins, frames] = spectrogramShape(frontend, clip.length);
  const floor = Math.fround(frontend.amin * frontend.amin); // power floor (amin is an amplitude)
  const half = Math.floor(nFft / 2);
  const framed = new Float64Array(nFft);
  const re = new Float64Array(nFft);
  const im = new Float64Array(nFft);
  const power = new Float32Array(fftBins);
  const out = new Float32Array(bins * frames);
  for (let t = 0; t < frames; t++) {
    // center=True: the clip is zero-padded by n_fft / 2 on each side.
    const start = t * hop - half;
    for (let n = 0; n < nFft; n++) {
      const i = start + n;
      framed[n] = i >= 0 && i < clip.length ? cached.window[n] * clip[i] : 0;
    }
    transform(framed, cached, re, im);
    for (let k = 0; k < fftBins; k++) {
      // |complex64|: the float32 parts, their hypot in float64 rounded once to float32
      const r = Math.fround(re[k]);
      const i = Math.fround(im[k]);
      const magnitude = Math.fround(Math.sqrt(r * r + i * i));
      power[k] = Math.fround(magnitude * magnitude);
    }
    if (!bands) {
      for (let k = 0; k < bins; k++) {
        out[k * frames + t] = Math.fround(10 * Math.fround(Math.log10(Math.max(power[k], floor))));
      }
      continue;
    }
    for (let m = 0; m < bins; m++) {
      // The float32 matrix product of librosa's melspectrogram, summed in float64 and rounded once.
      const [first, weights] = bands[m];
      let sum = 0;
      for (let j = 0; j < weights.length; j++) sum += weights[j] * power[first + j];
      const mel = Math.fround(sum);
      out[m * frames + t] = frontend.kind === 'mel'
        ? Math.fround(10 * Math.fround(Math.log10(Math.max(mel, floor))))
        : Math.fround(Math.log10(Math.fround(Math.fround(10000 * mel) + 1)));
    }
  }
  return out;
}
