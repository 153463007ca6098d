"""`demo`: the whole lifecycle on synthetic data, end to end, in one command."""

import argparse
import json
import threading
from pathlib import Path

from .. import settings
from ..settings import LoaderSettings
from .train import config_options


def run_demo(args: argparse.Namespace) -> None:
    """Synthetic data -> train -> evaluate -> predict -> one real HTTP request to the API."""
    import uvicorn

    from ..api.app import create_app
    from ..client import predict_file, wait_until_ready
    from ..config import load_config
    from ..data.synthetic import make_demo_data
    from ..inference.evaluate import evaluate_checkpoint
    from ..inference.predict import Predictor, predict_files, write_predictions
    from ..training.train import train

    work = Path(args.workdir)
    data = make_demo_data(work / "data")
    cfg = load_config(args.config, [f"data.root={data}", f"train.output_dir={work / 'model'}", *args.set])
    result = train(cfg)
    best = work / "model" / "best.pt"
    loader = settings.load(LoaderSettings, {"workers": cfg.data.num_workers})
    metrics = evaluate_checkpoint(best, data / "val", work / "report", loader)
    predictor = Predictor.from_checkpoint(best)
    predictions = predict_files(predictor, [data / "val"], loader)
    write_predictions(predictions, work / "predictions.csv")

    server = uvicorn.Server(
        uvicorn.Config(create_app(predictor=predictor), host="127.0.0.1", port=args.port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
            if not thread.is_alive():
                raise RuntimeError(f"the demo API could not start on port {args.port}")
        port = server.servers[0].sockets[0].getsockname()[1]
        base_url = f"http://127.0.0.1:{port}"
        wait_until_ready(base_url)
        sample = next((data / "val").rglob("*.jpg"))
        answer = predict_file(base_url, sample)
    finally:
        server.should_exit = True
        thread.join(10)
    summary = {
        "best_val_accuracy": result.best_accuracy,
        "evaluate_accuracy": metrics["accuracy"],
        "predictions": len(predictions.results),
        "api_request": {"image": str(sample), "answer": answer},
        "outputs": str(work),
    }
    print(json.dumps(summary, indent=2))


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("demo", help="the whole lifecycle on synthetic data, end to end")
    config_options(p, default=Path("configs/demo.yaml"))
    p.add_argument("--workdir", type=Path, default=Path("runs/demo"), help="(default: %(default)s)")
    p.add_argument("--port", type=int, default=0, help="API port (0 picks a free one)")
    p.set_defaults(run=run_demo)
