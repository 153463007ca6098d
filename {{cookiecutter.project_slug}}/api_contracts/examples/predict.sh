#!/usr/bin/env bash
# Classify one image with curl and print the API's JSON answer.
#
#   api_contracts/examples/predict.sh IMAGE [BASE_URL]
#   api_contracts/examples/predict.sh data/demo/val/circle/0000.jpg http://127.0.0.1:8000
#
# BASE_URL defaults to $API_URL, then http://127.0.0.1:8000. curl picks the upload's content type
# from the file extension (.jpg, .jpeg, .png). The response headers (X-Request-ID, X-Model-Variant)
# go to stderr; on a 4xx or 5xx the error body ({"code", "message"}) is printed and curl exits 22.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 IMAGE [BASE_URL]" >&2
    exit 2
fi
image=$1
base_url=${2:-${API_URL:-http://127.0.0.1:8000}}

curl --silent --show-error --fail-with-body \
    --dump-header /dev/stderr \
    --header "X-Request-ID: curl-example-$$" \
    --form "file=@\"$image\"" \
    "${base_url%/}/v1/predict?top_k=3"
echo
