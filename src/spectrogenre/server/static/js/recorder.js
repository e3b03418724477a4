// Recording from the microphone as raw PCM at the audio context's own rate: no codec, no
// decoding, and no resampling but the front end's own (done later by resample.js).

const LEVEL_FLOOR_DB = -60;

/** Level of a block of samples in [0, 1], from LEVEL_FLOOR_DB to 0 dBFS (RMS). */
function level(block) {
  const power = block.reduce((sum, v) => sum + v * v, 0) / block.length;
  return Math.min(1, Math.max(0, 1 - (10 * Math.log10(power + 1e-12)) / LEVEL_FLOOR_DB));
}

/** The error a cancelled recording ends with (its name: 'AbortError'). */
export class RecordingCancelled extends Error {
  constructor() {
    super('Recording cancelled.');
    this.name = 'AbortError';
  }
}

/**
 * Record `seconds` of audio: {samples: mono Float32Array, rate}. onBlock(elapsed seconds,
 * level in [0, 1]) is called a few dozen times a second for the countdown and the meter.
 * `signal` (an AbortSignal) cancels it: the microphone is released and RecordingCancelled thrown.
 */
export async function record(seconds, onBlock, signal) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error('recording needs a secure page: open the app over HTTPS (spectrogenre serve --https) or on localhost');
  }
  // Created before any await, while the tap still counts as a user gesture (iOS needs that).
  const context = new AudioContext();
  try {
    // Processing meant for speech would reshape music: ask for the plain signal.
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    try {
      return await capture(context, stream, seconds, onBlock, signal);
    } finally {
      stream.getTracks().forEach((track) => track.stop());
    }
  } finally {
    await context.close();
  }
}

async function capture(context, stream, seconds, onBlock, signal) {
  await context.audioWorklet.addModule(new URL('capture-worklet.js', import.meta.url));
  const node = new AudioWorkletNode(context, 'capture');
  const samples = new Float32Array(Math.ceil(seconds * context.sampleRate));
  let filled = 0;
  await new Promise((resolve, reject) => {
    if (signal?.aborted) reject(new RecordingCancelled());
    signal?.addEventListener('abort', () => reject(new RecordingCancelled()), { once: true });
    // A microphone unplugged (or taken by the system) ends its track; the context would go on recording
    // silence, and the clip be judged as if nothing played.
    stream.getAudioTracks().forEach((track) => track.addEventListener('ended', () => reject(new Error(
      `The microphone stopped after ${(filled / context.sampleRate).toFixed(0)} s (unplugged, or taken by another`
      + ' app): connect it again and tap Record again.')), { once: true }));
    // A phone pauses a page's audio when it goes to the background or a call comes in (iOS: 'interrupted'):
    // the countdown would stop where it is, and a clip resumed later would join two moments.
    context.addEventListener('statechange', () => {
      if (context.state === 'suspended' || context.state === 'interrupted') {
        reject(new Error('The recording stopped: the phone paused the app\'s sound (it went to the background, or a'
          + ' call came in). Keep the app on screen for the 15 s and tap Record again.'));
      }
    });
    node.port.onmessage = ({ data }) => {
      const block = data.subarray(0, samples.length - filled);
      samples.set(block, filled);
      filled += block.length;
      onBlock(filled / context.sampleRate, level(block));
      if (filled === samples.length) resolve();
    };
    context.createMediaStreamSource(stream).connect(node);
    node.connect(context.destination); // the worklet outputs silence; the connection keeps it pulled
  });
  return { samples, rate: context.sampleRate };
}
