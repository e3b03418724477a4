// Decoding a picked audio file to mono float32 at the file's own sample rate, with the
// sample values Python's decoder (libsndfile) gives.
// decodeAudioData resamples to its context's rate with the browser's own filter, which the
// model never saw; so the context is created at the rate the file's header states, and
// resample.js (the front end's filter) is the only resampler the samples go through.

// Opus always decodes at 48 kHz; it is also the best guess for containers not parsed here.
const FALLBACK_RATE = 48000;
const MP3_RATES = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

const tag = (view, at) => String.fromCharCode(...new Uint8Array(view.buffer, view.byteOffset + at, 4));

// WAV data sizes that state no length (audio_io._data_size_unstated): 0, from a recorder that never came back to
// fill the size in, and sizes near the format's 2 and 4 GB limits (a writer to a pipe, arecord stopped, streaming
// tools), more than a browser decodes. Such a file is read to its end.
const PLACEHOLDER_DATA_SIZE_FROM = 0x7fff0000;
const dataSizeUnstated = (size) => size === 0 || size >= PLACEHOLDER_DATA_SIZE_FROM;

/**
 * {rate, bits, lengthEstimated} from a WAV, FLAC, Ogg, MP4 or MP3 header: the sample rate (null
 * if not found); for integer PCM (WAV, FLAC), the bits per sample (else null); and whether the
 * duration a player reports for the file is only an estimate (an MP3 without a frame count).
 * A WAV's also has `data`: {start, bytes, bytesPerSecond} of its data chunk as its header states it
 * (null where it states no size), which a browser does not check against the bytes there.
 */
export function sniffFormat(view) {
  const format = { rate: null, bits: null, lengthEstimated: false };
  if (view.byteLength < 12) return format;
  const head = tag(view, 0);
  if (head === 'RIFF') {
    let wav = format;
    for (let at = 12; at + 8 <= view.byteLength;) {
      const size = view.getUint32(at + 4, true);
      if (tag(view, at) === 'fmt ' && at + 24 <= view.byteLength) {
        const code = view.getUint16(at + 8, true);
        const extensible = code === 0xfffe && at + 34 <= view.byteLength; // then the sub-format GUID says
        const integer = code === 1 || (extensible && view.getUint16(at + 32, true) === 1);
        const bits = integer ? view.getUint16(at + 22, true) : null;
        wav = { ...format, rate: view.getUint32(at + 12, true), bits, byteRate: view.getUint32(at + 16, true) };
      } else if (tag(view, at) === 'data') {
        const stated = !dataSizeUnstated(size) && wav.byteRate > 0;
        const { byteRate, ...found } = wav;
        return { ...found, data: stated ? { start: at + 8, bytes: size, bytesPerSecond: byteRate } : null };
      }
      at += 8 + size + (size % 2);
    }
    const { byteRate, ...found } = wav;
    return found;
  }
  if (head === 'fLaC' && view.byteLength >= 22) { // STREAMINFO: rate 20 bits, channels 3, bits 5
    const packed = view.getUint32(18);
    return { ...format, rate: packed >>> 12, bits: ((packed >>> 4) & 31) + 1 };
  }
  if (head === 'OggS') return { ...format, rate: oggRate(view) };
  if (view.getUint32(0) === 0x1a45dfa3) return format; // Matroska/WebM: not parsed
  if (tag(view, 4) === 'ftyp') return { ...format, rate: mp4Rate(view) };
  return { ...format, ...mp3Header(view) };
}

/**
 * sniffFormat of a file, reading only its start (and, past an ID3v2 tag of any size, an MP3's
 * first frame): a file can be checked before it is read whole.
 */
export async function sniffFile(blob) {
  const read = async (from) => new DataView(await blob.slice(from, from + HEADER_BYTES).arrayBuffer());
  const view = await read(0);
  const tagged = view.byteLength >= 10 && tag(view, 0).startsWith('ID3');
  return sniffFormat(tagged ? await read(id3Size(view)) : view);
}

// What sniffFormat needs of a file's start: WAV's fmt chunk, FLAC's STREAMINFO, Ogg's first page
// and an MP3's first frame come early; an MP4 whose index follows its audio is found only whole.
const HEADER_BYTES = 64 * 1024;

const id3Size = (view) => 10 + [6, 7, 8, 9].reduce((size, i) => (size << 7) | (view.getUint8(i) & 0x7f), 0);

function oggRate(view) {
  const packet = 27 + view.getUint8(26); // first page: 27-byte header, then the segment table
  if (packet + 16 > view.byteLength) return null;
  if (tag(view, packet) === 'Opus') return 48000;
  return tag(view, packet + 1) === 'vorb' ? view.getUint32(packet + 12, true) : null;
}

/** {rate, lengthEstimated} of an MP3's first frame (rate null when none is found). */
function mp3Header(view) {
  let at = tag(view, 0).startsWith('ID3') ? id3Size(view) : 0; // past the ID3v2 tag (size in 7-bit bytes)
  for (const end = Math.min(view.byteLength - 3, at + 4096); at < end; at++) {
    const b1 = view.getUint8(at + 1);
    if (view.getUint8(at) === 0xff && (b1 & 0xe0) === 0xe0 && (b1 & 0x06) !== 0) { // frame sync, a layer
      const rate = MP3_RATES[(b1 >> 3) & 3]?.[(view.getUint8(at + 2) >> 2) & 3];
      if (rate) return { rate, lengthEstimated: !hasFrameCount(view, at) };
    }
  }
  return { rate: null, lengthEstimated: false };
}

/**
 * Whether the MP3 frame at `at` holds the file's frame count: a Xing or Info header (LAME and most
 * encoders) 4 + 9 to 32 bytes in, or VBRI (Fraunhofer's) 36 bytes in. Without one, players
 * estimate the duration from the file's size and this frame's bitrate: right at a constant
 * bitrate, minutes off for a VBR file that starts quietly (few bits a frame).
 */
function hasFrameCount(view, at) {
  for (let i = at + 13; i <= Math.min(view.byteLength - 4, at + 36); i++) {
    if (['Xing', 'Info', 'VBRI'].includes(tag(view, i))) return true;
  }
  return false;
}

function mp4Rate(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  for (let at = 8; at + 32 <= bytes.length; at++) {
    // AudioSampleEntry 'mp4a': the rate is a 16.16 fixed-point number 24 bytes after the type.
    if (bytes[at] === 0x6d && tag(view, at) === 'mp4a') return view.getUint32(at + 28) >>> 16;
  }
  return null;
}

/**
 * Chrome scales positive 8- and 16-bit samples by 1 / (2^(bits-1) - 1), libsndfile (and so
 * the model's training data) by 1 / 2^(bits-1), negative ones alike. When the decoded values
 * show the former, rescale the positive samples in place.
 */
function matchLibsndfile(channel, bits) {
  const full = 2 ** (bits - 1);
  const offGrid = (v) => v > 0 && Math.abs(v * full - Math.round(v * full)) > 1e-3;
  if (bits > 16 || !channel.some(offGrid)) return;
  for (let i = 0; i < channel.length; i++) {
    if (channel[i] > 0) channel[i] = Math.round(channel[i] * (full - 1)) / full;
  }
}

/** Decode an encoded file: {samples: mono Float32Array, rate}. Channels are averaged in float32, as Python does. */
export async function decodeAudio(bytes) {
  const format = sniffFormat(new DataView(bytes));
  let rate = format.rate || FALLBACK_RATE;
  let context;
  try {
    context = new OfflineAudioContext(1, 1, rate);
  } catch { // a rate outside what this browser's contexts support
    rate = FALLBACK_RATE;
    context = new OfflineAudioContext(1, 1, rate);
  }
  const buffer = await context.decodeAudioData(bytes);
  const channels = Array.from({ length: buffer.numberOfChannels }, (_, c) => buffer.getChannelData(c));
  if (format.bits) channels.forEach((channel) => matchLibsndfile(channel, format.bits));
  if (channels.length === 1) return { samples: channels[0], rate };
  const samples = new Float32Array(buffer.length);
  for (let i = 0; i < samples.length; i++) {
    let sum = 0;
    for (const channel of channels) sum = Math.fround(sum + channel[i]);
    samples[i] = sum / channels.length;
  }
  return { samples, rate };
}
