# The security tier's make targets (the project Makefile includes every <folder>/*.mk).
.PHONY: security-scan sbom pin-base-images

security-scan:  ## bandit over src/ and the offline secrets scan, as CI runs them
	$(BIN)/bandit -q -c security/bandit.yaml --severity-level medium --confidence-level high -r src
	PYTHON=$(BIN)/python DETECT_SECRETS=$(BIN)/detect-secrets security/scan_secrets.sh

sbom:  ## CycloneDX SBOM of the installed environment -> reports/sbom.cdx.json
	mkdir -p reports
	$(BIN)/cyclonedx-py environment --pyproject pyproject.toml --of JSON -o reports/sbom.cdx.json $(BIN)/python

pin-base-images:  ## pin the Dockerfiles' base images by digest (needs a registry; CI runs it)
	security/pin_base_images.sh docker/Dockerfile.cpu docker/Dockerfile.cuda
