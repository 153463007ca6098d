"""Which files a batch job covers: local paths as `predict` lists them, or fsspec URLs.

Listing millions of files is itself work to spread: each input folder is split into its direct
files and its subfolders, and the subfolders are listed in parallel by whatever `map` the engine
passes (threads on one machine, Ray tasks on a cluster). The result is sorted and free of
duplicates, so two listings of the same inputs agree.
"""

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..data.dataset import list_images
from ..data.image import IMAGE_SUFFIXES, UNSUPPORTED_SUFFIXES

# One listing unit: ("local", path) or ("url", url); a unit is a file or a folder to search.
Unit = tuple[str, str]
Mapper = Callable[[Callable[[Unit], list[str]], Sequence[Unit]], Iterable[list[str]]]
LISTED_SUFFIXES = IMAGE_SUFFIXES | UNSUPPORTED_SUFFIXES


def is_url(text: str) -> bool:
    """`s3://bucket/x`, `gs://...`, `file:///...`, `memory://...`: anything fsspec names by protocol."""
    return "://" in str(text)


def filesystem(url: str):
    """The fsspec filesystem and the protocol-less path of `url`."""
    import fsspec

    return fsspec.core.url_to_fs(url)


def _list_unit(unit: Unit) -> list[str]:
    kind, name = unit
    if kind == "local":
        return [str(path) for path in list_images([name])]
    fs, path = filesystem(name)
    if fs.isfile(path):
        return [name]
    found = fs.find(path)
    return [fs.unstrip_protocol(item) for item in found if Path(item).suffix.lower() in LISTED_SUFFIXES]


def _split(item: str) -> list[Unit]:
    """A file stays one unit; a folder becomes its direct image files plus one unit per subfolder."""
    if not is_url(item):
        path = Path(item)
        if not path.is_dir():
            return [("local", item)]  # list_images reports a missing path
        children = sorted(path.iterdir())
        files = [("local", str(c)) for c in children if c.is_file() and c.suffix.lower() in LISTED_SUFFIXES]
        return files + [("local", str(c)) for c in children if c.is_dir()]
    fs, path = filesystem(item)
    if not fs.exists(path):
        raise FileNotFoundError(f"{item}: no such file or folder")
    if fs.isfile(path):
        return [("url", item)]
    units = []
    for child in fs.ls(path, detail=True):
        name = fs.unstrip_protocol(child["name"])
        if child["type"] == "directory" or Path(child["name"]).suffix.lower() in LISTED_SUFFIXES:
            units.append(("url", name))
    return units


def threads(function: Callable[[Unit], list[str]], units: Sequence[Unit]) -> Iterable[list[str]]:
    """The single-machine mapper: listing waits on the disk or the network, so threads suffice."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(function, units))


def list_inputs(inputs: Sequence[str | Path], mapper: Mapper = threads) -> list[str]:
    """Every image file under `inputs`, sorted, each once; a missing input is a FileNotFoundError."""
    units = [unit for item in inputs for unit in _split(str(item))]
    return sorted({path for listed in mapper(_list_unit, units) for path in listed})
