#!/usr/bin/env bash
# Pin every base image of the Dockerfiles to its digest, keeping the exact tag for humans:
#   FROM python:3.11.13-slim-bookworm AS builder  ->  FROM python:3.11.13-slim-bookworm@sha256:... AS builder
# Run as `make pin-base-images` where a registry is reachable (CI does, and shows the diff); commit
# the result. A digest already present is refreshed. DIGEST_OF names the command that prints an
# image's digest (default: docker buildx imagetools inspect).
set -euo pipefail
digest_of() {
    if [ -n "${DIGEST_OF:-}" ]; then
        "$DIGEST_OF" "$1"
    else
        docker buildx imagetools inspect "$1" | awk '/^Digest:/ {print $2; exit}'
    fi
}
[ $# -gt 0 ] || set -- docker/Dockerfile.*
for file in "$@"; do
    stages=$(sed -nE 's/^FROM[[:space:]]+.*[[:space:]]+AS[[:space:]]+([A-Za-z0-9_.-]+).*/\1/ip' "$file")
    while read -r image; do
        [ -n "$image" ] || continue
        base=${image%@*}
        if grep -qxF "$base" <<<"$stages"; then continue; fi  # an earlier stage, not an image
        digest=$(digest_of "$base")
        [[ $digest == sha256:* ]] || { echo "no digest for $base: $digest" >&2; exit 1; }
        sed -i -E "s#^(FROM[[:space:]]+)${image//./\\.}([[:space:]]|\$)#\\1${base}@${digest}\\2#" "$file"
        echo "$file: $base@$digest"
    done < <(sed -nE 's/^FROM[[:space:]]+(--platform=[^[:space:]]+[[:space:]]+)?([^[:space:]]+).*/\2/p' "$file")
done
