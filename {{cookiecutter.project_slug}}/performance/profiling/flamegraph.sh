#!/usr/bin/env bash
# A py-spy flame graph (SVG, open it in a browser) of any command of this project:
#   performance/profiling/flamegraph.sh NAME -- COMMAND ARGS...
#   performance/profiling/flamegraph.sh predict -- python -m {{ cookiecutter.package_name }} predict data/demo/val --checkpoint models/run/best.pt
#   performance/profiling/flamegraph.sh train -- python -m {{ cookiecutter.package_name }} train --set train.epochs=1
# Writes OUT_DIR/NAME.flame.svg (OUT_DIR defaults to reports/profiling). DataLoader workers are
# sampled too (--subprocesses); --native adds C/C++ frames (OpenCV, ONNX Runtime) where py-spy can.
# py-spy reads the child's memory through ptrace: in a container, run it with --cap-add SYS_PTRACE.
set -euo pipefail
name=${1:?usage: flamegraph.sh NAME -- COMMAND ARGS...}
shift
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: flamegraph.sh NAME -- COMMAND ARGS..." >&2; exit 2; }
out=${OUT_DIR:-reports/profiling}
mkdir -p "$out"
py_spy=${PY_SPY:-py-spy}
"$py_spy" record --rate "${RATE:-200}" --subprocesses ${NATIVE:+--native} --format flamegraph \
    --output "$out/$name.flame.svg" -- "$@"
echo "flame graph written to $out/$name.flame.svg"
