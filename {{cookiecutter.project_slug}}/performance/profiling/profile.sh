#!/usr/bin/env bash
# Profile predict and a few training steps with torch.profiler, and take a py-spy flame graph of
# predict: everything lands in OUT_DIR (default reports/profiling).
#   performance/profiling/profile.sh CHECKPOINT IMAGES [CONFIG]
#   performance/profiling/profile.sh models/run/best.pt data/demo/val configs/default.yaml
# Open the *.trace.json files in https://ui.perfetto.dev (or chrome://tracing), the *.ops.txt
# tables in any editor, and the *.flame.svg in a browser.
set -euo pipefail
checkpoint=${1:?usage: profile.sh CHECKPOINT IMAGES [CONFIG]}
images=${2:?usage: profile.sh CHECKPOINT IMAGES [CONFIG]}
config=${3:-configs/default.yaml}
out=${OUT_DIR:-reports/profiling}
python=${PYTHON:-python}
here=$(cd "$(dirname "$0")" && pwd)
"$python" -m {{ cookiecutter.package_name }} profiler predict "$images" --checkpoint "$checkpoint" --out "$out"
"$python" -m {{ cookiecutter.package_name }} profiler train --config "$config" --steps "${STEPS:-5}" --out "$out"
OUT_DIR="$out" "$here/flamegraph.sh" predict -- "$python" -m {{ cookiecutter.package_name }} predict "$images" \
    --checkpoint "$checkpoint" --out "$out/predictions.csv"
