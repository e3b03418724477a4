// Recent results, kept on the device (localStorage), newest first. Where the browser refuses the app its
// storage (site data blocked, or storage full), they are kept for this visit only, and historySaved() says so.

const KEY = 'spectrogenre.history';
const KEEP = 20;

let unsaved = null; // the list, while storage refuses it

export function loadHistory() {
  if (unsaved) return unsaved;
  try {
    return JSON.parse(localStorage.getItem(KEY)) ?? [];
  } catch {
    return []; // unreadable (edited by hand, or storage disabled): start afresh
  }
}

/** Add {genre, confidence, probabilities, source, mode, at}; returns the new list. */
export function remember(entry) {
  const history = [entry, ...loadHistory()].slice(0, KEEP);
  try {
    localStorage.setItem(KEY, JSON.stringify(history));
    unsaved = null;
  } catch (error) { // a result is not lost for want of a place to keep it
    console.warn('results are kept for this visit only: storage refused them', error);
    unsaved = history;
  }
  return history;
}

/** Whether the results shown are kept on the device (false: for this visit only). */
export const historySaved = () => unsaved === null;

export function clearHistory() {
  unsaved = null;
  try {
    localStorage.removeItem(KEY);
  } catch {
    // storage refused: nothing was kept there
  }
  return [];
}

/** A setting kept on the device, or null (storage blocked); store() keeps one where storage allows. */
export function setting(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function store(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // storage refused: the setting lasts this visit
  }
}
