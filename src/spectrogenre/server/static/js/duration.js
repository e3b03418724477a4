// A file's duration as a player reads it (its header; for an MP3 without a frame count, an estimate
// from its size), without decoding its audio.

// A local file's header is read in milliseconds; one the browser is still on after this is taken as
// unreadable rather than holding the app back.
const METADATA_WAIT_MS = 3000;

/**
 * The duration `blob` states, in seconds, or null where the browser cannot tell it within
 * METADATA_WAIT_MS: a format its media player does not read, or a stream that states none
 * (WebM written as it was recorded reports Infinity).
 */
export function statedDuration(blob, waitMs = METADATA_WAIT_MS) {
  const audio = new Audio();
  const url = URL.createObjectURL(blob);
  return new Promise((resolve) => {
    let timer;
    const settle = (seconds) => {
      if (!timer) return; // settled already
      clearTimeout(timer);
      timer = null;
      audio.removeAttribute('src'); // the player lets go of the file
      audio.load();
      URL.revokeObjectURL(url);
      resolve(Number.isFinite(seconds) && seconds > 0 ? seconds : null);
    };
    timer = setTimeout(() => settle(null), waitMs);
    audio.addEventListener('loadedmetadata', () => settle(audio.duration), { once: true });
    audio.addEventListener('error', () => settle(null), { once: true });
    audio.preload = 'metadata';
    audio.src = url;
  });
}
