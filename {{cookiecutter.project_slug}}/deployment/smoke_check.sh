#!/usr/bin/env bash
# Smoke-check a running API: GET /health, GET /ready, then POST one image to /v1/predict and check
# that the answer holds well-formed predictions. Exits 0 when all pass, 1 with the reason if not.
#
#   deployment/smoke_check.sh BASE_URL IMAGE
#   deployment/smoke_check.sh http://127.0.0.1:8000 data/demo/val/circle/0000.jpg
#
# WAIT_SECONDS (default 0) waits that long for /ready first, for a server that is still starting;
# TIMEOUT_SECONDS (default 30) limits each request. Needs curl, and python3 to read the JSON.
set -euo pipefail

fail() {
    echo "smoke check FAILED: $*" >&2
    exit 1
}

if [[ $# -ne 2 ]]; then
    echo "usage: $0 BASE_URL IMAGE   (e.g. $0 http://127.0.0.1:8000 photo.jpg)" >&2
    exit 2
fi
base_url=${1%/}
image=$2
wait_seconds=${WAIT_SECONDS:-0}
timeout_seconds=${TIMEOUT_SECONDS:-30}

[[ -f $image ]] || fail "image file not found: $image"
command -v curl >/dev/null || fail "curl is not installed"
python=$(command -v python3 || command -v python) || fail "python3 is not installed (it reads the JSON answers)"

# The API judges an upload by its bytes; sending the content type that the extension implies keeps
# the request what a browser would send, and refuses a file that is no image before any request.
case $(printf '%s' "$image" | tr '[:upper:]' '[:lower:]') in
    *.jpg | *.jpeg) content_type=image/jpeg ;;
    *.png) content_type=image/png ;;
    *.bmp) content_type=image/bmp ;;
    *.webp) content_type=image/webp ;;
    *.tif | *.tiff) content_type=image/tiff ;;
    *) fail "$image: not a .jpg, .jpeg, .png, .bmp, .webp, .tif or .tiff file" ;;
esac

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
body=$workdir/body

# request WHAT CURL_ARGS...: the answer goes to $body; anything but HTTP 2xx ends the check.
request() {
    local what=$1 status
    shift
    if ! status=$(curl --silent --show-error --max-time "$timeout_seconds" --output "$body" \
        --write-out '%{http_code}' "$@" 2>"$workdir/error"); then
        fail "$what: $(cat "$workdir/error") (is the API running at $base_url?)"
    fi
    [[ $status == 2?? ]] || fail "$what answered HTTP $status: $(head -c 300 "$body")"
}

# check WHAT PYTHON: run PYTHON with the parsed answer in `answer`; it prints a summary on success
# and calls sys.exit(reason) on failure.
check() {
    local what=$1 code=$2 summary
    if ! summary=$("$python" -c "import json, sys
text = open(sys.argv[1], encoding='utf-8', errors='replace').read()
try:
    answer = json.loads(text)
except ValueError:
    sys.exit('the answer is not JSON: ' + text[:200])
$code" "$body" 2>&1); then
        fail "$what: $summary"
    fi
    echo "ok  $what: $summary"
}

if ((wait_seconds > 0)); then
    deadline=$((SECONDS + wait_seconds))
    until curl --silent --fail --max-time 5 --output /dev/null "$base_url/ready"; do
        ((SECONDS < deadline)) || break
        sleep 1
    done
fi

request "GET $base_url/health" "$base_url/health"
check "GET /health" "
if not isinstance(answer, dict) or answer.get('status') != 'ok':
    sys.exit('expected status ok, got ' + text[:200])
print('ok')"

request "GET $base_url/ready" "$base_url/ready"
check "GET /ready" "
classes = answer.get('classes') if isinstance(answer, dict) else None
if not classes:
    sys.exit(f'no class names in the answer: {text[:200]}')
print(f'{len(classes)} classes on {answer.get(\"device\", \"an unknown device\")}')"

request "POST $base_url/v1/predict" --form "file=@\"$image\";type=$content_type" "$base_url/v1/predict?top_k=3"
check "POST /v1/predict" "
predictions = answer.get('predictions') if isinstance(answer, dict) else None
if not isinstance(predictions, list) or not predictions:
    sys.exit(f'no predictions in the answer: {text[:200]}')
for item in predictions:
    ok = isinstance(item, dict) and isinstance(item.get('label'), str)
    probability = item.get('probability') if ok else None
    if not (isinstance(probability, (int, float)) and 0 <= probability <= 1):
        sys.exit(f'malformed prediction {item!r}: expected a label and a probability in [0, 1]')
print(f'{predictions[0][\"label\"]} ({predictions[0][\"probability\"]:.3f})')"

echo "smoke check passed: $base_url"
