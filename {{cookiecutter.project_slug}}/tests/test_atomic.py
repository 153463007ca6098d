import os

import pytest

from {{ cookiecutter.package_name }}.utils.atomic import atomic_write


def test_atomic_write_leaves_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def failing(handle):
        handle.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, failing)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_writes_get_the_usual_file_mode_not_owner_only(tmp_path):
    mask = os.umask(0o022)
    os.umask(mask)
    path = atomic_write(tmp_path / "model.bin", lambda handle: handle.write(b"x"))
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
