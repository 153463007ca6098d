#!/usr/bin/env bash
# Build the serving images from the project root, whichever folder this is called from.
#
#   deployment/build.sh                 # {{ cookiecutter.project_slug }}:cpu from docker/Dockerfile.cpu
#   deployment/build.sh cuda            # {{ cookiecutter.project_slug }}:cuda from docker/Dockerfile.cuda
#   deployment/build.sh all --no-cache  # both; arguments after the first go to `docker build`
#
# IMAGE sets the repository name (default {{ cookiecutter.project_slug }}); the tag is the flavour,
# the name docker-compose.yml runs.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
image=${IMAGE:-{{ cookiecutter.project_slug }}}
flavour=${1:-cpu}
shift $(($# > 0 ? 1 : 0))

command -v docker >/dev/null || {
    echo "build.sh: docker is not installed or not on PATH" >&2
    exit 1
}

build() {
    local flavour=$1
    shift
    echo "==> $image:$flavour from docker/Dockerfile.$flavour"
    docker build --file "$root/docker/Dockerfile.$flavour" --tag "$image:$flavour" "$@" "$root"
}

case $flavour in
    cpu | cuda) build "$flavour" "$@" ;;
    all)
        build cpu "$@"
        build cuda "$@"
        ;;
    *)
        echo "usage: $0 [cpu|cuda|all] [docker build options...]" >&2
        exit 2
        ;;
esac
