#!/usr/bin/env bash
# Rebuild .dvc/plots/offline.html: DVC's plots page with vega, vega-lite and vega-embed
# inlined (from the npm registry), so `dvc plots show` renders with no network.
# usage: bash tools/vendor_vega.sh   (needs npm; run from the project root)
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent vega@5.33.1 vega-lite@5.23.0 vega-embed@6.29.0 >/dev/null)
for tgz in "$work"/*.tgz; do tar xzf "$tgz" -C "$work" --transform "s,^package,$(basename "$tgz" .tgz),"; done
out=.dvc/plots/offline.html
mkdir -p "$(dirname "$out")"
{
  echo '<!DOCTYPE html>'
  echo '<html>'
  echo '<head>'
  echo '    {refresh_tag}'
  echo '    <meta charset="utf-8">'
  echo '    <title>spectrogenre plots</title>'
  for lib in vega-5.33.1/build/vega vega-lite-5.23.0/build/vega-lite vega-embed-6.29.0/build/vega-embed; do
    echo "    <!-- ${lib%%/*} (BSD-3-Clause, https://github.com/vega), vendored from npm -->"
    echo "    <script>"
    cat "$work/$lib.min.js"
    echo "    </script>"
  done
  echo '    <style>table { border-spacing: 15px; } body { font-family: sans-serif; }</style>'
  echo '</head>'
  echo '<body>'
  echo '    {plot_divs}'
  echo '</body>'
  echo '</html>'
} > "$out"
echo "wrote $out ($(wc -c < "$out") bytes)"
