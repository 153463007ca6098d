#!/usr/bin/env bash
# Scheduled retraining, as .github/workflows/retrain.yml and kubernetes/retrain-cronjob.yaml run it,
# in a git checkout of the project with the project installed (the CPU image has it):
#   1. point DVC at the shared remote when DVC_REMOTE_URL is set (else the project's default remote);
#   2. fetch the data and the outputs of the last run (`dvc pull`; a first run has none);
#   3. `retrain`: drift check -> dvc repro -> register -> promote only if better (reports/retrain.json);
#   4. push the new data and outputs, so that the dvc.lock of this run can be checked out later.
# MLflow is reached through MLFLOW_TRACKING_URI; credentials come from the environment.
# Extra arguments go to `retrain` (e.g. --force). PYTHON picks the interpreter (default: python).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python}"
package="{{ cookiecutter.package_name }}"

if [[ "${DVC_REMOTE_URL:-}" == *CHANGE-ME* ]]; then
    echo "DVC_REMOTE_URL is still the example ($DVC_REMOTE_URL): set it to your bucket" >&2
    exit 2
fi
if [[ -n "${DVC_REMOTE_URL:-}" ]]; then
    "$python" -m dvc remote add --local --force --default shared "$DVC_REMOTE_URL"
fi
"$python" -m dvc pull --allow-missing
"$python" -m "$package" retrain "$@"
"$python" -m dvc push
