#!/usr/bin/env bash
# The seed's open questions as a DVC experiment sweep. Each variant changes one thing from
# params.yaml; the committed run (HEAD) is the baseline every row of `dvc exp show` compares to.
#
#   tools/sweep_seed_questions.sh              # queue and run every variant, then compare
#   tools/sweep_seed_questions.sh mel clip-10s # only these variants
#
# One experiment runs at a time: concat and features already use every core. A variant
# name can only be queued once; `dvc exp remove NAME` before running it again.
set -euo pipefail
cd "$(dirname "$0")/.."

# name|-S overrides (space-separated). The defaults are trim on, min_silence_s 1.0,
# STFT n_fft 556 / hop 1221 (279 x 271) and 15 s clips every 15 s. Shorter clips move their
# hop along (no overlap, no gap, like the default), else a third of the audio would go unused.
VARIANTS=(
  "no-trim|trim.enabled=false"
  "silence-0.5s|trim.min_silence_s=0.5"
  "silence-2s|trim.min_silence_s=2.0"
  "stft-558x543|frontend.n_fft=1114 frontend.hop_length=610"
  "mel|frontend.kind=mel frontend.n_fft=2048"
  "clip-10s|frontend.clip_seconds=10.0 clip.hop_seconds=10.0"
)
# evaluate and export are the pipeline's ends; naming them leaves out `demo` when
# params.yaml points `library` at a real library.
TARGETS=(evaluate export)

names=("$@")
queued=()
for variant in "${VARIANTS[@]}"; do
  name="${variant%%|*}"
  if [[ ${#names[@]} -gt 0 && " ${names[*]} " != *" $name "* ]]; then
    continue
  fi
  set_args=()
  for override in ${variant#*|}; do
    set_args+=(-S "$override")
  done
  dvc exp run --queue -n "$name" "${set_args[@]}" "${TARGETS[@]}"
  queued+=("$name")
done
if [[ ${#queued[@]} -eq 0 ]]; then
  echo "no variant named: $* (known: $(printf '%s ' "${VARIANTS[@]%%|*}"))" >&2
  exit 2
fi

dvc queue start --jobs 1
# The worker runs in the background and stops once the queue is empty: poll until then.
# (Status goes to a variable: `grep -q` closing the pipe early would fail the pipeline.)
while status="$(dvc queue status)"; grep -qE '\b(Queued|Running)\b' <<<"$status"; do
  sleep 30
done
echo "$status"

# `library` is kept because dropping it crashes `dvc exp show` when the library folder is
# itself named `library` (the param and the dependency then share one column name).
metrics='clip\.test\.(accuracy|macro_f1)|track\.test\.(accuracy|macro_f1)|epochs_run|bytes\..*'
params='library|model\.kind|clip\.hop_seconds|trim\.(enabled|min_silence_s)|frontend\.(kind|n_fft|hop_length|clip_seconds)'
dvc exp show --no-pager --md --precision 4 --drop '.*' --keep "^(Experiment|$metrics|$params)\$"
# Only this sweep's failures count: the queue also lists earlier tasks.
failed="$(awk -v names=" ${queued[*]} " 'BEGIN {ORS = " "} index(names, " " $2 " ") && $NF == "Failed" {print $2}' \
  <<<"$status")"
if [[ -n $failed ]]; then
  echo "failed: ${failed}(\`dvc queue logs NAME\` shows why)" >&2
  exit 1
fi
