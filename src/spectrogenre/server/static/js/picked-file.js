// A picked file's audio for the device, checked before and after it is decoded. decodeAudioData
// decodes a file whole, at once: a 2-hour song needs GBs and kills a phone's tab, so a file longer
// than the device takes is refused before it is read. A decoder that stops at damage returns
// the audio before it, which would be classified (or called too short) as if it were the song.

import { decodeAudio, sniffFile } from './decode.js';
import { statedDuration } from './duration.js';

// 10 min at up to 48 kHz, the server's default limit (--max-duration 600). Decoded, that is 115 MB
// of float32 per channel at 48 kHz: 230 MB for stereo and 115 MB for the mono mix, 346 MB; the
// browser's own buffers while it decodes and the file itself come on top, and all of it stays
// under the 1 GB or so a phone's tab gets. An hour would be 2 GB, two hours 4 GB. A higher rate
// fills the same memory in fewer seconds, so the limit shrinks with it (96 kHz: 5 min).
const DEVICE_MAX_SECONDS = 600;
const DEVICE_MAX_RATE = 48000;
// A file whose length the browser cannot read (a WebM recording, a header it does not parse) is
// decoded only up to this size: 10 min of a 128 kbps MP3. Lower bitrates hold more minutes in it.
const UNMEASURED_MAX_BYTES = 10 * 2 ** 20;
// Decoded audio this much shorter than the file states is damage, as for the server
// (audio_io.MAX_LOST_FRACTION): a damaged frame the decoder skips costs a fraction of a second; a
// file cut short or broken part way loses more, and classifying the rest would pass a part off as the song.
const MAX_LOST_FRACTION = 0.1;

/** "3.2 s", "3 min 20 s", "2 h": a duration as messages say it. */
function spoken(seconds) {
  if (seconds < 59.95) return `${seconds.toFixed(1)} s`;
  if (seconds < 3599.5) {
    const whole = Math.round(seconds);
    return whole % 60 ? `${Math.floor(whole / 60)} min ${whole % 60} s` : `${whole / 60} min`;
  }
  const minutes = Math.round(seconds / 60);
  return minutes % 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes / 60} h`;
}

/**
 * {samples, rate} of a picked File (decode.js's decodeAudio), or an Error naming the file when it
 * is longer than this device classifies or damaged. serverTakes({seconds, bytes}) says whether
 * the server would take a file refused here (seconds null: not known); then the message offers it.
 */
export async function decodePicked(file, serverTakes = () => false) {
  const [seconds, format] = await Promise.all([statedDuration(file), sniffFile(file)]);
  const maxSeconds = DEVICE_MAX_SECONDS * Math.min(1, DEVICE_MAX_RATE / (format.rate || DEVICE_MAX_RATE));
  const atRate = maxSeconds < DEVICE_MAX_SECONDS ? ` at ${format.rate / 1000} kHz` : '';
  const orServer = serverTakes({ seconds, bytes: file.size }) ? ', or switch on Server to classify it there' : '';
  if (seconds !== null && seconds > maxSeconds) {
    throw new Error(`${file.name}: ${spoken(seconds)} of audio, more than the ${spoken(maxSeconds)} this device `
      + `classifies per file${atRate} (it decodes the whole file into memory): choose a shorter file${orServer}`);
  }
  if (seconds === null && file.size > UNMEASURED_MAX_BYTES) {
    throw new Error(`${file.name}: its length cannot be read without decoding it, and at `
      + `${(file.size / 2 ** 20).toFixed(1)} MB it may hold more than the ${spoken(maxSeconds)} of audio this `
      + `device classifies per file: choose a shorter file${orServer}`);
  }
  // A WAV cut short: the browser decodes the samples there and reports their length as the file's
  const wav = format.data;
  if (wav && file.size - wav.start < (1 - MAX_LOST_FRACTION) * wav.bytes) {
    throw new Error(`${file.name}: damaged: only ${spoken((file.size - wav.start) / wav.bytesPerSecond)} of its `
      + `${spoken(wav.bytes / wav.bytesPerSecond)} are in the file (cut short: a copy or download that stopped)`);
  }
  const audio = await decodeAudio(await file.arrayBuffer());
  const decoded = audio.samples.length / audio.rate;
  // An MP3 without a frame count states an estimate, which can be minutes off: no measure of damage.
  if (seconds !== null && !format.lengthEstimated && decoded < (1 - MAX_LOST_FRACTION) * seconds) {
    throw new Error(`${file.name}: damaged: only ${spoken(decoded)} of its ${spoken(seconds)} could be decoded`);
  }
  return audio;
}
