"""The data-engineering tier: raw files in, a versioned, validated and split dataset out.

    ingest     files from a folder, a manifest or an fsspec URL -> the content-addressed raw store
    validate   the checks that stop a bad dataset before it trains (a JSON report, exit 1 on failure)
    split      train / val / test by hash of each file's bytes: a file never moves when data is added
    retrain    drift alarm -> `dvc repro` -> register -> promote only if better on the held-out split

The core never imports this package: `extension.py` adds its commands through the seam. The DVC
pipeline that chains them is `dvc.yaml` at the project root; `data_engineering/README.md` walks
through the data lifecycle.
"""

from ..errors import ProjectError


class DataError(ProjectError, ValueError):
    """A source, a store, a parameter file or a dataset is not what the command needs; the message says why."""
