import os

import pytest

from {{ cookiecutter.package_name }}.utils.atomic import atomic_write, remove_stale_temp_files


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


def test_stale_temp_files_of_our_own_naming_are_removed_and_nobody_elses(tmp_path):
    ours = [tmp_path / ".last.pt.a1b2c3d4.tmp", tmp_path / ".best.pt.zz_99xyz.tmp"]
    theirs = [
        tmp_path / ".last.pt.tmp",
        tmp_path / "last.pt.a1b2c3d4.tmp",
        tmp_path / ".other.pt.a1b2c3d4.tmp",
        tmp_path / ".last.pt.a1b2c3d4e5.tmp",
    ]
    for path in [*ours, *theirs, tmp_path / "last.pt"]:
        path.write_bytes(b"x")
    assert sorted(remove_stale_temp_files(tmp_path, ["last.pt", "best.pt"])) == sorted(ours)
    assert all(path.exists() for path in theirs) and (tmp_path / "last.pt").exists()
