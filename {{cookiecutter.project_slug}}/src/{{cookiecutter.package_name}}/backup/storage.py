"""Where archives live: a local folder or any fsspec URL, behind the five operations backups need."""

import shutil
from pathlib import Path


class Destination:
    """A folder of archives on the local disk or at an fsspec URL (s3://, gs://, memory://, ...)."""

    def __init__(self, location: str | Path):
        self.location = str(location).rstrip("/") or "/"
        if "://" in self.location:
            import fsspec

            self.fs, self.root = fsspec.core.url_to_fs(self.location)
        else:
            self.fs, self.root = None, self.location

    def _path(self, name: str) -> str:
        return str(Path(self.root) / name) if self.fs is None else f"{self.root}/{name}"

    def names(self) -> list[str]:
        if self.fs is None:
            folder = Path(self.root)
            return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
        if not self.fs.exists(self.root):
            return []
        return sorted(Path(p).name for p in self.fs.ls(self.root, detail=False))

    def upload(self, local: Path, name: str) -> str:
        """Copy `local` in as `name`: to a temp name first, so a reader never sees half an archive."""
        if self.fs is None:
            Path(self.root).mkdir(parents=True, exist_ok=True)
            partial = Path(self._path(f".{name}.partial"))
            shutil.copyfile(local, partial)
            partial.replace(self._path(name))
        else:
            self.fs.makedirs(self.root, exist_ok=True)
            self.fs.put_file(str(local), self._path(name))  # object stores publish an upload whole
        return self._path(name)

    def download(self, name: str, local: Path) -> Path:
        if name not in self.names():
            raise FileNotFoundError(f"{self._path(name)}: no such archive (list them with: backup list)")
        if self.fs is None:
            shutil.copyfile(self._path(name), local)
        else:
            self.fs.get_file(self._path(name), str(local))
        return local

    def delete(self, name: str) -> None:
        if self.fs is None:
            Path(self._path(name)).unlink(missing_ok=True)
        else:
            self.fs.rm_file(self._path(name))

    def describe(self, name: str) -> str:
        return self._path(name)
