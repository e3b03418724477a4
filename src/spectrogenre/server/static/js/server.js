// Classification on the server: POST /api/classify, the same verdict from Python.

/**
 * Verdict for an audio file or blob, as the device classifier gives it: {status, genre (the best guess; null
 * when no music was heard), confidence, probabilities, top, windows, warnings}. The server's own `genre` is
 * predict's ("unsure" below the threshold); its best guess heads `top`. warnings: what decoding found wrong
 * with a file it still classified (a file cut short, damage decoded past), each naming the file, as predict
 * says it.
 */
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
  if (!response.ok) {
    // The server names the file in what it says of its audio; the limits in front of it (413 for a body
    // over the upload limit, 408, 503) answer before the upload is parsed, so without its name.
    const detail = body.detail ?? `the server answered ${response.status}`;
    throw new Error(detail.startsWith(`${filename}: `) ? detail : `${filename}: ${detail}`);
  }
  return { ...body, genre: body.top?.[0]?.genre ?? null };
}
