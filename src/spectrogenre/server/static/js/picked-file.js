// A picked file's audio for the device, checked before and after it is decoded. decodeAudioData
// decodes a file whole, at once: a 2-hour song needs GBs and kills a phone's tab, so a file longer
// than the device takes is refused before it is read. A decoder that stops at damage returns
// the audio before it, which would be classified (or called too short) as if it were the song.
// A file classified though its decoding found a problem gets the note predict and the server give it.

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
// Samples past this many times full scale, again and again (in this many half seconds), are a file too loud, said
// as predict says it (audio_io.FAR_OVER_FULL_SCALE, _OVER_SCALE_STRETCH_S, _OVER_SCALE_STRETCHES)
const FAR_OVER_FULL_SCALE = 2.0;
const OVER_SCALE_STRETCH_S = 0.5;
const OVER_SCALE_STRETCHES = 3;
// An Ogg page's end-of-stream flag, and the most bytes a page takes (audio_io.ogg_cut_short)
const OGG_END_OF_STREAM = 0x04;
const OGG_MAX_PAGE_BYTES = 27 + 255 + 255 * 255;

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
  if (file.size === 0) throw new Error(`${file.name}: is empty (0 bytes)`); // as predict says it
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
  const bytes = await file.arrayBuffer();
  const cutShort = oggCutShort(new Uint8Array(bytes)); // read before decodeAudioData takes the buffer over
  const audio = await decodeAudio(bytes);
  const decoded = audio.samples.length / audio.rate;
  // An MP3 without a frame count states an estimate, which can be minutes off: no measure of damage.
  if (seconds !== null && !format.lengthEstimated && decoded < (1 - MAX_LOST_FRACTION) * seconds) {
    throw new Error(`${file.name}: damaged: only ${spoken(decoded)} of its ${spoken(seconds)} could be decoded`);
  }
  const warnings = [overFullScale(audio), cutShort ? 'the Ogg stream stops without its end-of-stream mark, so the '
    + `file is cut short (a copy or download that stopped): only its first ${decoded.toFixed(1)} s are there` : null];
  return { ...audio, warnings: warnings.filter(Boolean).map((warning) => `${file.name}: ${warning}`) };
}

/**
 * Whether `data` (a whole file) is an Ogg stream whose last page lacks the end-of-stream flag encoders set on it,
 * or is not whole: no header states an Ogg file's length, and its pages decode up to a cut.
 */
export function oggCutShort(data) {
  const oggS = (at) => data[at] === 0x4f && data[at + 1] === 0x67 && data[at + 2] === 0x67 && data[at + 3] === 0x53;
  if (!oggS(0)) return false;
  let last = data.length - 4;
  const from = Math.max(data.length - OGG_MAX_PAGE_BYTES, 0);
  while (last >= from && !(oggS(last) && data[last + 4] === 0)) last--; // version 0: a header, not page data
  if (last < from) return false; // no page in a page's worth of bytes: something else follows the stream
  const segments = data[last + 26];
  if (segments === undefined || last + 27 + segments > data.length) return true; // cut inside the header
  let body = 0;
  for (let i = 0; i < segments; i++) body += data[last + 27 + i];
  return !(data[last + 5] & OGG_END_OF_STREAM) || last + 27 + segments + body > data.length;
}

/** predict's note on mono `samples` far over full scale again and again, or null. */
export function overFullScale({ samples, rate }) {
  const stretch = Math.max(Math.round(rate * OVER_SCALE_STRETCH_S), 1);
  const stretches = new Set();
  let first = -1;
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const level = Math.abs(samples[i]);
    if (level > FAR_OVER_FULL_SCALE) {
      if (first < 0) first = i;
      peak = Math.max(peak, level);
      stretches.add(Math.floor(i / stretch));
    }
  }
  if (stretches.size < OVER_SCALE_STRETCHES) return null;
  const db = Math.round(20 * Math.log10(peak));
  return `samples far over full scale from ${(first / rate).toFixed(1)} s (${peak.toFixed(1)} times it, `
    + `${db >= 0 ? '+' : ''}${db} dB); every path clips them at full scale, as a 16-bit copy would, which distorts: `
    + 'scale the file down';
}
