#!/usr/bin/env bash
# Start the API with Docker Compose and wait until its health check passes.
#
#   deployment/run.sh                                   # CPU service on http://localhost:8000
#   deployment/run.sh --gpu                             # and the GPU service on http://localhost:8001
#   CHECKPOINT=models/demo/best.pt deployment/run.sh    # serve another checkpoint under models/
#
# Stop it with: docker compose -f deployment/docker-compose.yml --profile gpu down
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
export CHECKPOINT=${CHECKPOINT:-models/run/best.pt}

fail() {
    echo "run.sh: $*" >&2
    exit 1
}

case ${1:-} in
    "") ;;
    --gpu) export COMPOSE_PROFILES=gpu ;;
    *) fail "unknown option ${1}; usage: $0 [--gpu]" ;;
esac

command -v docker >/dev/null || fail "docker is not installed or not on PATH"
docker compose version >/dev/null 2>&1 || fail "Docker Compose v2 ('docker compose') is not available"
[[ $CHECKPOINT == models/* ]] || fail "CHECKPOINT=$CHECKPOINT must lie under models/, the folder the container mounts"
[[ -f $root/$CHECKPOINT ]] || fail "no checkpoint at $CHECKPOINT: train one first ('make train') or set CHECKPOINT"

# The container runs as uid 10001 and reads the bind-mounted models as "other" on Linux hosts.
if [[ -z $(find "$root/$CHECKPOINT" -perm -o=r) ]]; then
    echo "run.sh: warning: $CHECKPOINT is not world-readable, so the container may fail to load it;" \
        "fix with: chmod -R a+rX models" >&2
fi

docker compose --file "$here/docker-compose.yml" up --detach --build --wait
echo "API up at http://localhost:${API_PORT:-8000}; check it with:"
echo "  deployment/smoke_check.sh http://localhost:${API_PORT:-8000} path/to/image.jpg"
