"""Backups: what goes in, a wipe-and-restore round trip with identical predictions (registry
included), corrupted or truncated archives refused without a file written, no silent overwrite,
a model check that can fail, retention, and destinations named by fsspec URL."""

import io
import json
import shutil
import tarfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import torch

from {{ cookiecutter.package_name }}.backup import BackupError
from {{ cookiecutter.package_name }}.backup.archive import sha256_of
from {{ cookiecutter.package_name }}.backup.restore import check_models, verify
from {{ cookiecutter.package_name }}.backup.retention import UTC, archive_name, archives_to_delete, select_kept
from {{ cookiecutter.package_name }}.cli import main


def create_backup(destination: Path | str, *extra: str) -> str:
    main(["backup", "create", "--destination", str(destination), *extra])
    return next(name for name in _names(destination) if name.endswith(".tar.gz"))


def _names(destination) -> list[str]:
    from {{ cookiecutter.package_name }}.backup.storage import Destination

    return Destination(destination).names()


def predictions(images: Path, checkpoint: str, out: Path) -> dict:
    main(["predict", str(images), "--checkpoint", checkpoint, "--out", str(out), "--workers", "0"])
    return json.loads(out.read_text())


def refused(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_an_archive_holds_the_registry_models_configs_and_data_metadata_but_no_secrets(registry_project, tmp_path):
    name = create_backup(tmp_path / "backups")
    manifest = verify(tmp_path / "backups" / name, tmp_path / "backups" / f"{name}.sha256")
    kinds = {entry["path"]: entry["kind"] for entry in manifest["files"]}
    assert kinds["mlruns.db"] == "registry" and kinds["models/run/best.pt"] == "models"
    assert kinds["configs/default.yaml"] == "configs"
    assert kinds["dvc.yaml"] == kinds[".dvc/config"] == "dvc" and kinds["data/raw/index.jsonl"] == "manifests"
    assert any(path.endswith("/model/best.pt") and kind == "registry" for path, kind in kinds.items())
    assert ".env" not in kinds
    assert len(manifest["verification"]["images"]) == 8
    assert sorted(manifest["verification"]["predictions"]) == sorted(p for p in kinds if p.endswith(".pt"))


def test_backup_wipe_restore_round_trip_predicts_identically_from_files_and_the_registry(
    registry_project, demo_data, tmp_path, monkeypatch
):
    images = demo_data / "val"
    before = {
        ref: predictions(images, ref, tmp_path / f"before-{i}.json")
        for i, ref in enumerate(["models/run/best.pt", "models:/shapes@production"])
    }
    name = create_backup(tmp_path / "backups")
    monkeypatch.chdir(tmp_path)
    shutil.rmtree(registry_project)  # the disk is lost

    main(["backup", "restore", name, "--destination", str(tmp_path / "backups"), "--into", str(tmp_path / "restored")])
    monkeypatch.chdir(tmp_path / "restored")
    for i, (ref, answer) in enumerate(before.items()):
        assert predictions(images, ref, tmp_path / f"after-{i}.json") == answer, ref


def test_a_truncated_archive_is_refused_and_nothing_is_restored(project, tmp_path, capsys):
    name = create_backup(tmp_path / "backups")
    archive = tmp_path / "backups" / name
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    error = refused(capsys, "backup", "restore", str(archive), "--into", str(tmp_path / "restored"))
    assert "checksum mismatch" in error and "truncated or corrupted" in error
    assert not (tmp_path / "restored").exists()


def test_a_corrupted_archive_is_refused_even_when_its_checksum_file_was_rewritten(project, tmp_path, capsys):
    name = create_backup(tmp_path / "backups")
    archive, checksum = tmp_path / "backups" / name, tmp_path / "backups" / f"{name}.sha256"
    with tarfile.open(archive) as tar:  # rebuild it with one file's bytes changed, listed checksums kept
        members = [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()]
    with tarfile.open(archive, "w:gz") as tar:
        for member, data in members:
            if member.name == "files/configs/default.yaml":
                data = data.replace(b"epochs", b"EPOCHS")
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    checksum.write_text(f"{sha256_of(archive)}  {name}\n")
    error = refused(capsys, "backup", "restore", str(archive), "--into", str(tmp_path / "restored"))
    assert "files/configs/default.yaml is corrupted" in error
    assert not (tmp_path / "restored").exists()
    checksum.unlink()
    assert "checksum file" in refused(capsys, "backup", "verify", str(archive))


def test_restoring_over_existing_files_needs_force_and_then_replaces_them(project, tmp_path, capsys):
    name = create_backup(tmp_path / "backups")
    archive = tmp_path / "backups" / name
    original = (project / "models" / "run" / "best.pt").read_bytes()
    (project / "models" / "run" / "best.pt").write_bytes(b"a newer model")
    error = refused(capsys, "backup", "restore", str(archive), "--into", str(project))
    assert "already holds 6 of the archive's files" in error and "nothing was restored" in error and "--force" in error
    assert (project / "models" / "run" / "best.pt").read_bytes() == b"a newer model"
    main(["backup", "restore", str(archive), "--into", str(project), "--force"])
    assert (project / "models" / "run" / "best.pt").read_bytes() == original
    assert "models checked: models/run/best.pt" in capsys.readouterr().out


def test_a_restored_model_that_answers_differently_is_reported(project, tmp_path):
    name = create_backup(tmp_path / "backups")
    archive = tmp_path / "backups" / name
    manifest = verify(archive, tmp_path / "backups" / f"{name}.sha256")
    target = tmp_path / "restored"
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(target)
    restored = target / "files"
    state = torch.load(restored / "models/run/best.pt", weights_only=True)
    state["model"] = {key: value + 0.5 if value.is_floating_point() else value for key, value in state["model"].items()}
    torch.save(state, restored / "models/run/best.pt")
    with pytest.raises(BackupError, match="answers .* differently than when it was backed up"):
        check_models(manifest, restored, target / "verification")


def test_retention_keeps_the_newest_of_each_of_the_last_days_and_weeks():
    start = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)  # a Thursday
    times = [start + timedelta(days=d, hours=h) for d in range(40) for h in (0, 12)]
    kept = select_kept(times, daily=3, weekly=3)
    newest = start + timedelta(days=39, hours=12)  # Monday 9 February, 15:00: the newest of its ISO week
    assert sorted(kept, reverse=True) == [
        newest,
        newest - timedelta(days=1),  # Sunday 8 February: also the newest of the week before
        newest - timedelta(days=2),
        newest - timedelta(days=8),  # Sunday 1 February: the newest of the third week
    ]


def test_prune_removes_old_archives_with_their_checksums_and_nothing_else(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    start = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
    names = [archive_name("p", start + timedelta(days=d)) for d in range(10)]
    for name in names:
        (folder / name).write_bytes(b"x")
        (folder / f"{name}.sha256").write_text("x")
    (folder / "notes.txt").write_text("mine")
    assert archives_to_delete(sorted(p.name for p in folder.iterdir()), 2, 1) == [
        file for name in names[:8] for file in (name, f"{name}.sha256")
    ]
    main(["backup", "prune", "--destination", str(folder), "--keep-daily", "2", "--keep-weekly", "2"])
    # the two newest days (11th, 10th: week 11), and the newest of week 10 (Sunday the 8th)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["notes.txt", *(f for name in (names[6], names[8], names[9]) for f in (name, f"{name}.sha256"))]
    )


def test_archives_go_to_and_come_back_from_an_fsspec_url(project, tmp_path, capsys):
    name = create_backup("memory://backups/project", "--no-prune")
    main(["backup", "list", "--destination", "memory://backups/project"])
    assert name in capsys.readouterr().out
    main(["backup", "verify", name, "--destination", "memory://backups/project", "--models"])
    assert "models give their recorded answers: models/run/best.pt" in capsys.readouterr().out
    main(["backup", "restore", name, "--destination", "memory://backups/project", "--into", str(tmp_path / "r")])
    assert (tmp_path / "r" / "models" / "run" / "best.pt").read_bytes() == (project / "models/run/best.pt").read_bytes()
    assert not (tmp_path / "r" / ".env").exists()
