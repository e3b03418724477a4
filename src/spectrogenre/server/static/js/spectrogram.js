// The log spectrogram of spectrogenre.frontend.log_spectrogram (kind "stft"):
// librosa.stft(clip, n_fft, hop_length, window="hann", center=True, pad_mode="constant"),
// magnitude, then librosa.amplitude_to_db(ref=1, amin, top_db=None).
// librosa frames the float32 clip, windows and transforms it in float64, and stores the
// spectrum as complex64; the dB conversion then runs in float32. The same roundings are
// applied here with Math.fround. n_fft (556) is not a power of two, so the transform is an
// exact DFT over precomputed twiddles rather than a radix-2 FFT.

/** Cached cos/sin tables and periodic Hann window for one n_fft. */
function tables(nFft) {
  const cos = new Float64Array(nFft);
  const sin = new Float64Array(nFft);
  const window = new Float64Array(nFft);
  for (let n = 0; n < nFft; n++) {
    cos[n] = Math.cos((2 * Math.PI * n) / nFft);
    sin[n] = Math.sin((2 * Math.PI * n) / nFft);
    window[n] = 0.5 - 0.5 * cos[n]; // scipy.signal.get_window("hann", n_fft, fftbins=True)
  }
  return { cos, sin, window };
}

let cached = { nFft: 0 };

/** Shape [bins, frames] of the spectrogram of `clipSamples` samples. */
export function spectrogramShape(frontend, clipSamples) {
  return [Math.floor(frontend.n_fft / 2) + 1, 1 + Math.floor(clipSamples / frontend.hop_length)];
}

/**
 * Log spectrogram in dB of one clip (Float32Array), as a Float32Array in row-major
 * [bins, frames] order: the model's input layout.
 */
export function logSpectrogram(clip, frontend) {
  if (frontend.kind !== 'stft') {
    throw new Error(`front end kind "${frontend.kind}" is not supported in the browser: use server mode`);
  }
  const nFft = frontend.n_fft;
  const hop = frontend.hop_length;
  if (cached.nFft !== nFft) cached = { nFft, ...tables(nFft) };
  const { cos, sin, window } = cached;
  const [bins, frames] = spectrogramShape(frontend, clip.length);
  const floor = Math.fround(frontend.amin * frontend.amin); // power floor (amin is an amplitude)
  const half = Math.floor(nFft / 2);
  const framed = new Float64Array(nFft);
  const out = new Float32Array(bins * frames);
  for (let t = 0; t < frames; t++) {
    // center=True: the clip is zero-padded by n_fft / 2 on each side.
    const start = t * hop - half;
    for (let n = 0; n < nFft; n++) {
      const i = start + n;
      framed[n] = i >= 0 && i < clip.length ? window[n] * clip[i] : 0;
    }
    for (let k = 0; k < bins; k++) {
      let re = 0;
      let im = 0;
      for (let n = 0, j = 0; n < nFft; n++) {
        re += framed[n] * cos[j];
        im -= framed[n] * sin[j];
        j += k;
        if (j >= nFft) j -= nFft;
      }
      const magnitude = Math.fround(Math.hypot(Math.fround(re), Math.fround(im)));
      const power = Math.max(Math.fround(magnitude * magnitude), floor);
      out[k * frames + t] = Math.fround(10 * Math.fround(Math.log10(power)));
    }
  }
  return out;
}
