#!/usr/bin/env bash
# Run a load scenario headless against a running API and summarise it:
#   performance/load_testing/run.sh SCENARIO URL [OUT_DIR]
#   performance/load_testing/run.sh spike http://127.0.0.1:8000
# Writes OUT_DIR/SCENARIO_stats.csv (and Locust's other CSVs) and OUT_DIR/SCENARIO.json with
# p50/p95/p99 and requests/s; `capacity --load-test OUT_DIR/SCENARIO.json` reads the latter.
# Exits non-zero when any request failed unexpectedly. The environment of locustfile.py applies.
set -euo pipefail
scenario=${1:?usage: run.sh SCENARIO URL [OUT_DIR]}
url=${2:?usage: run.sh SCENARIO URL [OUT_DIR]}
out=${3:-reports/load}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python}
mkdir -p "$out"
status=0
LOAD_SCENARIO="$scenario" "$python" -m locust -f "$here/locustfile.py" --headless --host "$url" \
    --csv "$out/$scenario" --only-summary --loglevel WARNING || status=$?
"$python" -m {{ cookiecutter.package_name }} load-report "$out/$scenario" --out "$out/$scenario.json"
exit "$status"
