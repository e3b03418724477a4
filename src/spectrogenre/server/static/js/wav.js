// A WAV file of mono 32-bit float samples: how a recording travels to the server unchanged
// (already at the front end's rate, so the server's resampler leaves it as it is).

export function encodeWav(samples, rate) {
  const view = new DataView(new ArrayBuffer(44 + samples.length * 4));
  const text = (at, s) => [...s].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 4, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 3, true); // WAVE_FORMAT_IEEE_FLOAT
  view.setUint16(22, 1, true); // channels
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 4, true); // bytes per second
  view.setUint16(32, 4, true); // bytes per frame
  view.setUint16(34, 32, true); // bits per sample
  text(36, 'data');
  view.setUint32(40, samples.length * 4, true);
  new Float32Array(view.buffer, 44).set(samples);
  return new Blob([view.buffer], { type: 'audio/wav' });
}
