// Recent results, kept on the device (localStorage), newest first.

const KEY = 'spectrogenre.history';
const KEEP = 20;

export function loadHistory() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) ?? [];
  } catch {
    return []; // unreadable (edited by hand, or storage disabled): start afresh
  }
}

/** Add {genre, confidence, probabilities, source, mode, at}; returns the new list. */
export function remember(entry) {
  const history = [entry, ...loadHistory()].slice(0, KEEP);
  localStorage.setItem(KEY, JSON.stringify(history));
  return history;
}

export function clearHistory() {
  localStorage.removeItem(KEY);
  return [];
}
