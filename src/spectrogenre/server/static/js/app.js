// The page: wires the buttons, the mode switch, the result view and the history to the
// classifiers (on the device by default, or the server's /api/classify).

import { DeviceClassifier } from './classifier.js';
import { decodeAudio } from './decode.js';
import { runtimeThreads } from './model.js';
import { clearHistory, historySaved, loadHistory, remember, setting, store } from './history.js';
import { decodePicked } from './picked-file.js';
import { record } from './recorder.js';
import { classifyOnServer } from './server.js';
import { NO_MUSIC, UNSURE } from './verdicts.js';
import { encodeWav } from './wav.js';

const $ = (id) => document.getElementById(id);
const MODEL_BASE = new URL('model/', document.baseURI);
const MODE_KEY = 'spectrogenre.mode';
// Rounded down, as predict's shown.percent: a verdict under the unsure threshold never shows at it, nor one short
// of certain as 100 %; 1e-6 of allowance keeps float32's 0.9 (0.89999998) at 90 %
const percent = (p) => {
  const digits = p < 0.1 ? 1 : 0;
  return `${(Math.floor(100 * p * 10 ** digits + 1e-4 * 10 ** digits) / 10 ** digits).toFixed(digits)}%`;
};
const duration = (seconds) => (seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`);

const SLOW_LOAD_S = 20; // a model still loading after this long is said to be so

let mode = setting(MODE_KEY) === 'server' ? 'server' : 'device';
let clipSeconds = 15; // replaced by spec.json's once it is read
let device = null; // Promise<DeviceClassifier>, started when first needed
let serverLimits = null; // {max_duration_s, max_upload_mb} where a spectrogenre server answers
let notSavedOffline = false; // the service worker failed to store the app (serviceWorkerInControl)

/**
 * Resolves once the service worker controls the page, so that what the page fetches next
 * (the runtime, the model) goes through it and is cached for offline use.
 */
async function serviceWorkerInControl() {
  if (!('serviceWorker' in navigator)) return; // not a secure page: no offline use
  let registration;
  try {
    registration = await navigator.serviceWorker.register('sw.js');
  } catch (error) {
    console.warn('no offline use: the service worker did not register', error);
    return;
  }
  if (navigator.serviceWorker.controller) return;
  await new Promise((resolve) => {
    navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true });
    // A worker that cannot store the whole app (storage full, a file that did not download) is dropped: the
    // app runs now, but not offline, which the person would find out only with no network
    const worker = registration?.installing ?? registration?.waiting; // none where registering is blocked
    worker?.addEventListener('statechange', () => {
      if (worker.state !== 'redundant' || navigator.serviceWorker.controller) return;
      notSavedOffline = true;
      if ($('status').textContent.startsWith('Ready')) prepare();
      resolve();
    });
    setTimeout(resolve, 5000); // never hold the app back for it
  });
}

// A new build's service worker takes over open pages at once (it skips waiting, so that its app and model
// arrive together), and its cache replaces the old one: a page of the old build would go on to load the new
// build's files into its own code. So a page that was already controlled reloads into the new build, unless a
// recording or classification is under way: its result is left on screen (the model it ran is the one this
// page loaded), and the page reloads when it is next hidden. A first install taking control is the page's own
// build: no reload.
let controlled = Boolean(navigator.serviceWorker?.controller);
let reloadWhenHidden = false;
let running = false; // a recording or classification is under way (run)
navigator.serviceWorker?.addEventListener('controllerchange', () => {
  if (!controlled) {
    controlled = true;
    return;
  }
  if (running) reloadWhenHidden = true;
  else location.reload();
});
document.addEventListener('visibilitychange', () => {
  if (reloadWhenHidden && !running && document.visibilityState === 'hidden') location.reload();
});

const spec = serviceWorkerInControl().then(async () => {
  const response = await fetch(new URL('spec.json', MODEL_BASE)).catch(() => {
    throw new Error('The server cannot be reached, and this device has no copy of the app yet.');
  });
  if (!response.ok) throw new Error(`no model on the server (spec.json: ${response.status})`);
  return response.json();
});

function deviceClassifier() {
  if (!device) {
    device = spec.then((s) => DeviceClassifier.load(s, MODEL_BASE));
    device.catch(() => { device = null; }); // a later attempt retries
  }
  return device;
}

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

function setBusy(value) {
  $('record').disabled = value;
  $('pick').disabled = value;
  $('file').disabled = value;
  $('server-mode').disabled = value;
}

/** Get the current mode's classifier ready and say so. */
async function prepare() {
  if (mode === 'server') {
    setStatus('Songs are sent to the server to be classified.');
    return;
  }
  setStatus('Loading the model…');
  // The first start fetches megabytes of runtime and model; a runtime whose worker never loads
  // would wait for ever: either way the person is told, and the load goes on.
  const slow = setTimeout(() => {
    if (mode === 'device') {
      setStatus(`Still loading the model after ${SLOW_LOAD_S} s: on a slow connection the first start can take a`
        + ' minute or more; if it never finishes, reload the page.');
    }
  }, SLOW_LOAD_S * 1000);
  try {
    const classifier = await deviceClassifier();
    if (mode === 'device' && notSavedOffline) {
      setStatus(`Ready: ${classifier.spec.labels.length} genres, but not saved for offline use: the browser could not`
        + ' store the app (storage full, or a file did not download). Free some space on the phone, then reload'
        + ' the page while online.', true);
    } else if (mode === 'device') setStatus(`Ready: ${classifier.spec.labels.length} genres, classified on this device.`);
  } catch (error) {
    if (mode !== 'device') return;
    const missing = /404|vendor|Failed to fetch|import/i.test(error.message);
    setStatus(missing ? `The app's model runtime is missing from this site (${error.message}): its files were not`
      + ' all published (run bash web/vendor.sh before building or serving the app).'
      : `The model cannot run on this device (${error.message}).`, true);
  } finally {
    clearTimeout(slow);
  }
}

/** What went wrong, said for a person rather than as the browser words it. */
function explain(error) {
  // getUserMedia's errors, each with what the person can do about it
  const orFile = ', then tap Record again (or choose a song file instead).';
  if (error.name === 'NotAllowedError' || error.name === 'SecurityError') {
    return 'The microphone is not allowed for this app: allow it in the browser\'s settings for this site'
      + ' (the icon beside the address; for an installed app, its site settings)' + orFile;
  }
  if (error.name === 'NotFoundError' || error.name === 'OverconstrainedError') {
    return 'No microphone was found on this device: connect one, or switch on the microphone in the phone\'s'
      + ' settings' + orFile;
  }
  if (error.name === 'NotReadableError') {
    return 'The microphone could not start: another app (a call, a recorder) may be using it. Close that app'
      + orFile;
  }
  if (error.name === 'EncodingError' || /decode audio data/i.test(error.message)) {
    return 'this browser cannot decode it: it is damaged, not audio, or in a format the browser does not read'
      + ' (mp3, m4a, ogg, flac and wav play in most)';
  }
  return error.message;
}

/** Run one classification task with the buttons locked; errors end up in the status line, led by the
 * file's name (`name`) where the task was a file's and the message does not name it already. */
async function run(task, name = null) {
  running = true;
  setBusy(true);
  try {
    await task();
  } catch (error) {
    // A cancel or an error ends this attempt: an earlier result left on screen would read as its answer
    // (the history still holds it).
    $('result').hidden = true;
    const message = explain(error);
    if (error.name === 'AbortError') setStatus('Recording cancelled.');
    else setStatus(name && !message.startsWith(`${name}: `) ? `${name}: ${message}` : message, true);
  } finally {
    running = false;
    setBusy(false);
    $('record').classList.remove('recording');
    $('countdown').textContent = '';
    $('level').style.width = '0';
  }
}

/** Verdict of the current mode, on the device from PCM (pcm()) or on the server from a file (upload()). */
async function classify({ pcm, upload, source, recorded = false }) {
  const started = performance.now();
  let verdict;
  if (mode === 'server') {
    const { blob, name } = await upload();
    if (serverLimits !== null && !withinUploadLimit(blob.size)) {
      // said before the upload, which the server would refuse (413) after a phone had sent up to its limit
      throw new Error(`${name}: upload larger than ${serverLimits.max_upload_mb} MB, this server's limit: switch off `
        + 'Server to classify it on this device');
    }
    setStatus(`Sending ${source} to the server…`);
    verdict = await classifyOnServer(blob, name);
  } else {
    setStatus(`Analysing ${source}…`);
    const classifier = await deviceClassifier();
    const { samples, rate, warnings = [] } = await pcm();
    verdict = await classifier.classify(samples, rate, (done) => setStatus(`Analysing ${source}… ${percent(done)}`));
    verdict = { ...verdict, warnings };
  }
  const entry = {
    status: verdict.status,
    genre: verdict.genre,
    confidence: verdict.confidence,
    probabilities: verdict.probabilities,
    windows: verdict.windows.length,
    warnings: verdict.warnings ?? [], // a file classified though its decoding found a problem (picked-file.js)
    source,
    recorded, // from the microphone: "no music heard" then says what to try
    mode,
    seconds: (performance.now() - started) / 1000,
    at: Date.now(),
  };
  showResult(entry);
  showHistory(remember(entry));
  keepOffline();
  setStatus('');
  $('result').scrollIntoView({ behavior: 'smooth', block: 'nearest' }); // on a phone it sits below the buttons
}

/**
 * Asks the browser, once the app has been used, to keep its offline copy and results when the phone runs low on
 * space (by default they may be evicted, and the app would need the network again). Asked once a visit; a
 * browser may grant it without asking the person (Chrome, for an app it sees used), ask them, or refuse.
 */
function keepOffline() {
  if (keepOffline.asked || !navigator.storage?.persist) return;
  keepOffline.asked = true;
  navigator.storage.persist().catch((error) => console.warn('the offline copy may be evicted', error));
}

let recording = null; // an AbortController while the microphone listens: a second tap cancels

function onRecord() {
  if (recording) {
    recording.abort();
    return;
  }
  run(async () => {
    recording = new AbortController();
    $('record').classList.add('recording');
    $('record').disabled = false; // tappable again, to cancel
    $('record-label').textContent = 'Listening (tap to cancel)';
    setStatus(`Recording ${clipSeconds} s: keep the phone near the music…`);
    const recorded = await record(clipSeconds, (elapsed, level) => {
      $('record').style.setProperty('--progress', Math.min(1, elapsed / clipSeconds));
      $('countdown').textContent = Math.max(0, Math.ceil(clipSeconds - elapsed));
      $('level').style.width = `${(100 * level).toFixed(0)}%`;
    }, recording.signal).finally(() => {
      recording = null;
      $('record').disabled = true; // until the classification ends
      $('record-label').textContent = `Record ${clipSeconds} s`;
      $('record').style.setProperty('--progress', 0);
    });
    window.spectrogenre.lastRecording = recorded;
    const name = `Recording ${new Intl.DateTimeFormat(undefined, { timeStyle: 'short' }).format(new Date())}`;
    await classify({
      source: name,
      recorded: true,
      pcm: async () => recorded,
      upload: async () => ({ blob: encodeWav(recorded.samples, recorded.rate), name: 'recording.wav' }),
    });
  });
}

/** Whether an upload of `bytes` is within the server's limit (serverLimits known). */
function withinUploadLimit(bytes) {
  return bytes <= serverLimits.max_upload_mb * 2 ** 20;
}

/** Whether the server would take a file the device refuses (seconds null: its length is not known). */
function serverTakes({ seconds, bytes }) {
  return serverLimits !== null && withinUploadLimit(bytes)
    && (seconds === null || seconds <= serverLimits.max_duration_s);
}

function onFile(file) {
  run(() => classify({
    source: file.name,
    pcm: () => decodePicked(file, serverTakes),
    upload: async () => ({ blob: file, name: file.name }),
  }), file.name);
}

/** The best and second genre of an entry, most likely first. */
function ranked(entry) {
  return Object.entries(entry.probabilities).sort((a, b) => b[1] - a[1]);
}

/** What the history and the result say: the genre, "not sure: maybe X", or "no music heard". */
function headline(entry) {
  if (entry.status === NO_MUSIC) return NO_MUSIC;
  return entry.status === UNSURE ? `not sure: maybe ${entry.genre}?` : entry.genre;
}

function showResult(entry) {
  const result = $('result');
  result.hidden = false;
  // Entries from before the verdict had a status were all shown as results.
  const status = entry.status ?? 'genre';
  result.classList.toggle('unsure', status === UNSURE);
  result.classList.toggle('no-music', status === NO_MUSIC);
  const order = ranked(entry);
  $('caption').textContent = { genre: 'Sounds like', [UNSURE]: 'Not sure. Maybe', [NO_MUSIC]: 'Heard' }[status];
  $('genre').textContent = status === NO_MUSIC ? NO_MUSIC : entry.genre;
  $('maybe').hidden = status !== UNSURE || order.length < 2;
  $('maybe').textContent = order.length > 1 ? `or ${order[1][0]}` : '';
  $('confidence').textContent = {
    genre: `${percent(entry.confidence)} confidence`,
    [UNSURE]: `only ${percent(entry.confidence)} sure: too close to call`,
    [NO_MUSIC]: 'only silence or steady noise: nothing to classify'
      + (entry.recorded ? '. If music was playing, hold the phone nearer to it and record again.' : ''),
  }[status];
  // A note, not an error: the verdict stands, but it is of what could be decoded (entries from before had none).
  const warnings = entry.warnings ?? [];
  $('warnings').hidden = warnings.length === 0;
  $('warnings').replaceChildren(...warnings.map((warning) => {
    const item = document.createElement('li');
    item.textContent = warning;
    return item;
  }));
  $('bars').replaceChildren(...order.map(([genre, p]) => {
    const item = document.createElement('li');
    item.classList.toggle('top', genre === entry.genre);
    item.dataset.genre = genre;
    item.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span><span class="value"></span>';
    item.querySelector('.name').textContent = genre;
    item.querySelector('.fill').style.width = `${(100 * p).toFixed(1)}%`;
    item.querySelector('.value').textContent = percent(p);
    return item;
  }));
  $('announce').textContent = [status === NO_MUSIC ? '' : $('caption').textContent, $('genre').textContent, $('maybe').hidden ? '' : $('maybe').textContent,
    `(${$('confidence').textContent})`].filter(Boolean).join(' ');
  const where = entry.mode === 'server' ? 'on the server' : 'on this device';
  const windows = entry.windows === 1 ? '1 window' : `${entry.windows} windows`;
  $('result-meta').textContent = `${entry.source} · ${windows} · ${where} in ${duration(entry.seconds)}`;
}

function showHistory(history) {
  $('history-empty').hidden = history.length > 0;
  $('history-unsaved').hidden = historySaved();
  $('clear-history').hidden = history.length === 0;
  const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });
  $('history').replaceChildren(...history.map((entry) => {
    const item = document.createElement('li');
    item.innerHTML = '<span><span class="genre"></span> <span class="p"></span></span><span class="when"><bdi></bdi></span>';
    item.classList.toggle('unsure', entry.status === UNSURE);
    item.classList.toggle('no-music', entry.status === NO_MUSIC);
    item.querySelector('.genre').textContent = headline(entry);
    item.querySelector('.p').textContent = entry.status === NO_MUSIC ? '' : percent(entry.confidence);
    item.querySelector('.when bdi').textContent = `${entry.source} · ${when.format(entry.at)}`;
    // a button to the keyboard and screen readers too, not to a pointer alone
    item.tabIndex = 0;
    item.setAttribute('role', 'button');
    item.addEventListener('click', () => showResult(entry));
    item.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      event.preventDefault();
      showResult(entry);
    });
    return item;
  }));
}

// For tests and debugging: the on-device path on an encoded file, and the last recording.
window.spectrogenre = {
  lastRecording: null,
  async analyse(bytes) {
    const classifier = await deviceClassifier();
    const start = performance.now();
    const { samples, rate } = await decodeAudio(bytes);
    const decodeMs = performance.now() - start;
    const verdict = await classifier.classify(samples, rate);
    return {
      ...verdict,
      spectrogram: verdict.spectrogram ? Array.from(verdict.spectrogram) : null,  // none when no music was heard
      rate,
      threads: await runtimeThreads(),
      isolated: self.crossOriginIsolated,
      timings: { decode: decodeMs, ...verdict.timings },
    };
  },
};

$('server-mode').checked = mode === 'server';
$('server-mode').addEventListener('change', (event) => {
  mode = event.target.checked ? 'server' : 'device';
  store(MODE_KEY, mode);
  prepare();
});
$('record').addEventListener('click', onRecord);
$('pick').addEventListener('click', () => $('file').click());
$('file').addEventListener('change', (event) => {
  const [file] = event.target.files;
  event.target.value = ''; // picking the same file again still fires "change"
  if (file && !running) onFile(file); // one at a time, as Record: the picker is off while one is classified
});
$('clear-history').addEventListener('click', () => showHistory(clearHistory()));
showHistory(loadHistory());

/**
 * "musicnn model abc123: 4 genres (Classical, …), right on 74 % of 40 held-out songs of its library": what the app
 * runs, and how well, said with what it was measured on (songs by artists it never heard may fare worse).
 */
function describeModel(s) {
  const test = s.evaluation?.track?.test;
  const genres = s.labels.join(', ');
  return `${s.kind ?? 'model'} model ${s.version ?? ''}: ${s.labels.length} genres (${genres})`
    + (test?.accuracy === undefined ? ''
      : `, right on ${Math.round(100 * test.accuracy)} % of ${test.tracks ?? 'its'} held-out songs of its library`);
}

// The server switch is offered only where a spectrogenre server answers. A static site says it has none
// (webapp.py marks its index.html), so it is not asked: a static host's 404 would be logged on each start.
const staticSite = document.querySelector('meta[name="spectrogenre-host"]')?.content === 'static';
const health = staticSite ? Promise.resolve(null) // the server's /api/health, or null where none answers
  : fetch(new URL('api/health', document.baseURI)).then((response) => (response.ok ? response.json() : null))
    .catch(() => null);
health.then((answer) => {
  const served = answer !== null;
  serverLimits = served && answer.max_duration_s ? answer : null; // an older server does not say its limits
  $('server-switch').hidden = !served;
  if (!served && mode === 'server') {
    mode = 'device';
    $('server-mode').checked = false;
    prepare();
  }
});

spec.then(
  (s) => {
    $('model-info').textContent = describeModel(s);
    clipSeconds = s.frontend.clip_seconds;
    $('record-label').textContent = `Record ${clipSeconds} s`;
    setBusy(false);
    prepare();
  },
  (error) => setStatus(error.message, true),
);
