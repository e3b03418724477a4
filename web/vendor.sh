#!/usr/bin/env bash
# Vendor the browser runtime into the phone app: LiteRT.js (npm @litertjs/core, pinned by
# package-lock.json) runs the exported model.tflite in WebAssembly. The app serves these
# files itself (no CDN), so once its service worker has cached them it classifies offline.
# usage: bash web/vendor.sh   (needs node >= 18 and npm; writes src/spectrogenre/server/static/vendor/)
set -euo pipefail
web=$(cd "$(dirname "$0")" && pwd)
out="$web/../src/spectrogenre/server/static/vendor"
(cd "$web" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
modules="$web/node_modules/@litertjs"
rm -rf "$out"
mkdir -p "$out/litertjs-core/wasm" "$out/litertjs-wasm-utils"
cp "$modules/core/dist/index.js" "$out/litertjs-core/"
# The single-threaded builds (with and without relaxed SIMD) and the threaded one, which the app
# loads where the page is cross-origin isolated (serve sends the headers; a static site's service
# worker adds them). JSPI serves WebNN/WebGPU, which the app does not use.
cp "$modules"/core/wasm/litert_wasm{,_compat,_threaded}_internal.{js,wasm} "$out/litertjs-core/wasm/"
cp "$modules/wasm-utils/dist/index.js" "$out/litertjs-wasm-utils/"
# Swagger UI for the server's /docs page, served by the server itself (no CDN: /docs works offline).
mkdir -p "$out/swagger-ui"
cp "$web/node_modules/swagger-ui-dist/"{swagger-ui-bundle.js,swagger-ui.css,LICENSE} "$out/swagger-ui/"
version=$(node -p "require('$modules/core/package.json').version")
swagger=$(node -p "require('$web/node_modules/swagger-ui-dist/package.json').version")
cat > "$out/NOTICE" <<NOTICE
@litertjs/core and @litertjs/wasm-utils $version (LiteRT.js), Copyright Google LLC,
Apache License 2.0: https://github.com/google-ai-edge/LiteRT/tree/main/litert/js
swagger-ui-dist $swagger (Swagger UI, for the server's /docs), Apache License 2.0: swagger-ui/LICENSE
Copied from npm by web/vendor.sh; do not edit.
NOTICE
echo "vendored LiteRT.js $version into $out ($(du -sh "$out" | cut -f1))"
