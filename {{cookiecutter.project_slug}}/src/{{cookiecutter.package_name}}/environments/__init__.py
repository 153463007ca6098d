"""Per-environment configs: `environments/<APP_ENV>/config.yaml` laid over the base config.

The overlays themselves, the `.env` examples and the local Compose stack live in the project's
`environments/` folder; this subpackage is the loader's half, plugged in through `extension.py`.
"""
