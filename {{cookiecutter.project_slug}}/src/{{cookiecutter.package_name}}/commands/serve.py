"""`serve`, `openapi` and `load-test`: the HTTP API, its schema, and a load against it."""

import argparse
import json
from pathlib import Path

from .. import extensions, settings
from ..settings import DecodeLimits, LoadTestSettings, ServeSettings


def serve_options(args: argparse.Namespace) -> dict:
    """The serve settings given as flags, the core's and the extensions' alike."""
    known = settings.names((ServeSettings, DecodeLimits, *extensions.settings_classes()))
    return {name: value for name, value in settings.options(args).items() if name in known}


def run_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from ..api.app import create_app
    from ..inference.predict import Predictor

    options = serve_options(args)
    serve = settings.load(ServeSettings, options)
    # Loaded before the server starts (and the serving strategy with it, by create_app), so that a
    # bad path, reference or setting ends with one line instead of a server that never gets ready.
    predictor = Predictor.from_checkpoint(serve.checkpoint, serve.device, backend=serve.backend)
    uvicorn.run(create_app(predictor=predictor, **options), host=serve.host, port=serve.port)


def run_openapi(args: argparse.Namespace) -> None:
    from ..api.app import create_app, openapi_json
    from ..utils.atomic import atomic_write_text

    atomic_write_text(args.out, openapi_json(create_app()))
    print(f"OpenAPI schema written to {args.out}")


def run_load_test(args: argparse.Namespace) -> None:
    from ..load_test import image_upload, load_test

    given = settings.load(LoadTestSettings, settings.options(args))
    image, content_type = image_upload(given.image)
    print(json.dumps(load_test(given.url, image, given.concurrency, given.requests, content_type), indent=2))


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("serve", help="serve the model over HTTP")
    settings.add_flags(p, ServeSettings)
    settings.add_flags(p, DecodeLimits)
    p.set_defaults(run=run_serve)

    p = commands.add_parser("openapi", help="write the API's OpenAPI schema as JSON (no model needed)")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(run=run_openapi)

    p = commands.add_parser("load-test", help="throughput and latency of a running API under concurrent requests")
    settings.add_flags(p, LoadTestSettings)
    p.set_defaults(run=run_load_test)
