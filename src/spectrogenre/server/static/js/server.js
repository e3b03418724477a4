// Classification on the server: POST /api/classify, the same verdict from Python.

/** Verdict for an audio file or blob: {status, verdict, genre, confidence, probabilities, top, windows}. */
export async function classifyOnServer(blob, filename) {
  const form = new FormData();
  form.append('file', blob, filename);
  let response;
  try {
    response = await fetch(new URL('api/classify', document.baseURI), { method: 'POST', body: form });
  } catch {
    throw new Error('the server cannot be reached: switch to on-device mode to classify offline');
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail ?? `the server answered ${response.status}`);
  return body;
}
