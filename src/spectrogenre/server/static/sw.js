// The service worker: makes the app work offline after one visit.
// Served by `spectrogenre serve`:
// - The app shell is cached at install.
// - vendor/ (the runtime) and the rest of the app: served from the cache, refreshed in the
//   background (stale-while-revalidate); the page waits for this worker before loading the
//   runtime, so the first visit already caches it.
// - model/ (spec.json and the model): from the network when it answers, so a new export is
//   picked up at once and spec and model never mismatch; from the cache when offline.
// - api/ is never cached.
// As a static site (`spectrogenre app OUT` rewrites the constants below): the cache is
// named after the build and holds the whole build, app, runtime and model, fetched at install
// and served from the cache only. A new build is a new sw.js, which the browser installs on the
// next online start: its cache replaces the old one whole, so an app never runs another
// build's model.

const CACHE = 'spectrogenre-v3';
const BUILT = false;
const MODEL_FILES = [];
// vendor/: every build of the runtime, the threaded one too, which a start that is not yet
// cross-origin isolated (the first) does not load, and which later starts need offline
const RUNTIME_FILES = [];
// the app's own files (every one but this worker and vendor/), written in by whoever serves this worker
const SHELL = [];
const ROOT = new URL('./', self.location).pathname;

self.addEventListener('install', (event) => {
  // cache 'reload': from the server, never the browser's HTTP cache, which may hold an older build's files
  const fresh = [...SHELL, ...RUNTIME_FILES, ...MODEL_FILES].map((url) => new Request(url, { cache: 'reload' }));
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(fresh))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const stale = (await caches.keys()).filter((key) => key !== CACHE);
    await Promise.all(stale.map((key) => caches.delete(key)));
    await self.clients.claim(); // control the page that registered us, without a reload
  })());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  const path = url.pathname.slice(ROOT.length);
  if (path.startsWith('api/')) return;
  const response = BUILT ? cacheFirst(event.request)
    : path.startsWith('model/') ? networkFirst(event.request) : staleWhileRevalidate(event);
  event.respondWith(response.then(isolated));
});

/**
 * The response with the headers that make the page cross-origin isolated, so the model can run on
 * several threads: a static host cannot be asked to send them, this worker adds them to everything
 * it serves (all of it from this origin). They take effect from the next start of the app.
 */
function isolated(response) {
  if (response.type === 'opaque' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    // asked of the server every time (HTTP cache 'no-cache': a 304 when unchanged), so spec.json and the
    // model come from the same export; each kept by the HTTP cache on its own could pair one export's model
    // with another's spec
    const response = await fetch(request, { cache: 'no-cache' });
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw error;
  }
}

async function staleWhileRevalidate(event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(event.request, { ignoreSearch: true });
  const fresh = fetch(event.request, { cache: 'no-cache' }).then(async (response) => {
    if (response.ok) await cache.put(event.request, response.clone());
    return response;
  });
  if (!cached) return fresh;
  event.waitUntil(fresh.catch(() => {})); // offline: the cached copy is all there is
  return cached;
}
