#!/usr/bin/env bash
# Offline secrets scan (detect-secrets): fails when a file holds a possible secret that
# security/secrets.baseline does not list as reviewed. Scans git's files in a repository, else the
# tree without the data, model, run and environment folders. Mark a deliberate test value with
# `# pragma: allowlist secret` on its line; after reviewing new findings, rewrite the baseline with
# `security/scan_secrets.sh --update` and commit it. `.cruft.json` is left out: the template
# commits it names are hex digests, not secrets.
set -euo pipefail
cd "$(dirname "$0")/.."
detect_secrets=${DETECT_SECRETS:-detect-secrets}
python=${PYTHON:-python3}
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files | grep -vx -e 'security/secrets.baseline' -e '.cruft.json')
else
    mapfile -t files < <(find . -type f -not -path './.git/*' -not -path './.venv/*' -not -path './data/*' \
        -not -path './models/*' -not -path './runs/*' -not -path './reports/*' -not -path '*/node_modules/*' \
        -not -path '*/__pycache__/*' -not -path '*/.pytest_cache/*' -not -path '*/.ruff_cache/*' -not -path './security/secrets.baseline' -not -path './.cruft.json' | sed 's#^\./##' | sort)
fi
found=$(mktemp)
trap 'rm -f "$found"' EXIT
"$detect_secrets" scan "${files[@]}" > "$found"
if [ "${1:-}" = "--update" ]; then
    cp "$found" security/secrets.baseline
    echo "security/secrets.baseline rewritten: review it before committing"
    exit 0
fi
# Compare by file and hashed secret (not line numbers, which move with every edit).
"$python" - security/secrets.baseline "$found" <<'PY'
import json, sys
reviewed = {(f, r["hashed_secret"]) for f, rs in json.load(open(sys.argv[1]))["results"].items() for r in rs}
found = json.load(open(sys.argv[2]))["results"]
new = [f"{f}:{r['line_number']}: {r['type']}" for f, rs in found.items() for r in rs if (f, r["hashed_secret"]) not in reviewed]
print("\n".join(new) if new else f"no new secrets in {sum(1 for _ in found)} flagged files (all reviewed)")
sys.exit(1 if new else 0)
PY
