"""Ingestion: a folder, a manifest or a URL in; the content-addressed raw store out, once per content."""

import functools
import hashlib
import http.server
import json
import threading
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.data_engineering import DataError, ingest
from {{ cookiecutter.package_name }}.data_engineering.ingest import list_source
from {{ cookiecutter.package_name }}.data_engineering.store import RawStore


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def http_folder(clean_folder):
    """`clean_folder` served over HTTP on a free loopback port; yields its base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(clean_folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_folder_is_stored_by_content_hash_with_the_folder_of_each_image_as_its_label(clean_folder, tmp_path):
    summary = ingest.ingest(str(clean_folder), tmp_path / "raw")
    store = RawStore(tmp_path / "raw")
    images = sorted(clean_folder.rglob("*.jpg"))
    assert (summary.listed, len(summary.added), summary.unchanged, summary.failed) == (48, 48, 0, {})
    for entry in store.current():
        source = Path(entry.source)
        assert entry.label == source.parent.name
        assert store.object_path(entry.sha256, entry.suffix).name == f"{sha256(source)}.jpg"
        assert store.object_path(entry.sha256, entry.suffix).read_bytes() == source.read_bytes()
    assert sorted(Path(e.source) for e in store.current()) == images


def test_ingesting_again_adds_nothing_and_the_same_files_always_write_the_same_index(clean_folder, tmp_path):
    ingest.ingest(str(clean_folder), tmp_path / "raw")
    index = (tmp_path / "raw" / "index.jsonl").read_bytes()
    again = ingest.ingest(str(clean_folder), tmp_path / "raw")
    assert (len(again.added), again.unchanged) == (0, 48)
    assert (tmp_path / "raw" / "index.jsonl").read_bytes() == index
    ingest.ingest(str(clean_folder), tmp_path / "elsewhere")
    assert (tmp_path / "elsewhere" / "index.jsonl").read_bytes() == index


def test_a_changed_file_is_a_new_version_and_its_old_content_stays_in_the_store(clean_folder, tmp_path, tools):
    ingest.ingest(str(clean_folder), tmp_path / "raw")
    changed = next((clean_folder / "circle").glob("*.jpg"))
    before = sha256(changed)
    changed.write_bytes(tools.jpeg(255 - tools.pixels(changed)))
    again = ingest.ingest(str(clean_folder), tmp_path / "raw")
    store = RawStore(tmp_path / "raw")
    [added] = again.added
    assert (added.source, added.sha256, added.label) == (changed.as_posix(), sha256(changed), "circle")
    versions = [e.sha256 for e in store.entries() if e.source == changed.as_posix()]
    assert versions == [before, sha256(changed)]
    assert store.object_path(before, ".jpg").is_file()
    assert [e.sha256 for e in store.current() if e.source == changed.as_posix()] == [sha256(changed)]


def test_a_file_touched_but_not_changed_is_read_again_and_adds_nothing(clean_folder, tmp_path):
    ingest.ingest(str(clean_folder), tmp_path / "raw")
    touched = next((clean_folder / "square").glob("*.jpg"))
    touched.write_bytes(touched.read_bytes())  # a new modification time, the same bytes
    again = ingest.ingest(str(clean_folder), tmp_path / "raw")
    assert (len(again.added), again.unchanged) == (0, 48)


def test_a_csv_manifest_reads_relative_paths_beside_it_and_urls_as_they_are(clean_folder, http_folder, tmp_path):
    local = sorted((clean_folder / "cross").glob("*.jpg"))[:3]
    remote = sorted(p.relative_to(clean_folder).as_posix() for p in (clean_folder / "square").glob("*.jpg"))[:2]
    manifest = clean_folder / "labels.csv"
    rows = [f"{p.relative_to(clean_folder).as_posix()},cross" for p in local] + [
        f"{http_folder}/{r},square" for r in remote
    ]
    manifest.write_text("path,label\n" + "\n".join(rows) + "\n")
    summary = ingest.ingest(str(manifest), tmp_path / "raw")
    assert (len(summary.added), summary.failed) == (5, {})
    stored = {e.source: (e.label, e.sha256) for e in RawStore(tmp_path / "raw").current()}
    for path in local:
        assert stored[path.as_posix()] == ("cross", sha256(path))
    for relative in remote:
        assert stored[f"{http_folder}/{relative}"] == ("square", sha256(clean_folder / relative))


def test_json_and_json_lines_manifests_are_read_like_csv(clean_folder, tmp_path):
    images = sorted((clean_folder / "triangle").glob("*.jpg"))[:2]
    rows = [{"url": p.name, "label": "triangle"} for p in images]
    (clean_folder / "triangle" / "m.json").write_text(json.dumps({"images": rows}))
    (clean_folder / "triangle" / "m.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    for name in ("m.json", "m.jsonl"):
        items = list_source(str(clean_folder / "triangle" / name))
        assert [(item.uri, item.label) for item in items] == [(p.as_posix(), "triangle") for p in images]


def test_an_fsspec_url_is_read_like_a_folder(clean_folder, tmp_path):
    import fsspec

    memory = fsspec.filesystem("memory")
    for path in sorted((clean_folder / "circle").glob("*.jpg"))[:3]:
        memory.pipe(f"/bucket/incoming/circle/{path.name}", path.read_bytes())
    summary = ingest.ingest("memory://bucket/incoming", tmp_path / "raw")
    assert (len(summary.added), summary.failed) == (3, {})
    assert {e.label for e in RawStore(tmp_path / "raw").current()} == {"circle"}
    assert all(e.source.startswith("memory://") for e in RawStore(tmp_path / "raw").current())
    again = ingest.ingest("memory://bucket/incoming", tmp_path / "raw")
    assert (len(again.added), again.unchanged) == (0, 3)


def test_a_run_stopped_half_way_resumes_and_fetches_only_what_it_had_not_indexed(clean_folder, tmp_path, monkeypatch):
    real, fetched = ingest._copy_hashing, []

    def crash_after_twenty(uri, target):
        if len(fetched) == 20:
            raise KeyboardInterrupt  # not an error of one file: the whole run stops, as on a kill
        fetched.append(uri)
        return real(uri, target)

    monkeypatch.setattr(ingest, "INDEX_BATCH", 8)
    monkeypatch.setattr(ingest, "_copy_hashing", crash_after_twenty)
    with pytest.raises(KeyboardInterrupt):
        ingest.ingest(str(clean_folder), tmp_path / "raw", workers=1)
    indexed = len(RawStore(tmp_path / "raw").entries())
    assert 0 < indexed <= 20
    monkeypatch.setattr(ingest, "_copy_hashing", real)
    resumed = ingest.ingest(str(clean_folder), tmp_path / "raw")
    assert (len(resumed.added), resumed.unchanged) == (48 - indexed, indexed)
    entries = RawStore(tmp_path / "raw").entries()
    assert len(entries) == len({e.source for e in entries}) == 48
    assert not any((tmp_path / "raw" / "tmp").glob("*"))


def test_a_torn_last_index_line_is_ignored_and_cut_off_by_the_next_run(clean_folder, tmp_path):
    ingest.ingest(str(clean_folder / "circle"), tmp_path / "raw")
    index = tmp_path / "raw" / "index.jsonl"
    whole = index.read_text()
    index.write_text(whole + '{"sha256": "ab12", "lab')  # a crash in the middle of a line
    assert len(RawStore(tmp_path / "raw").entries()) == 12
    ingest.ingest(str(clean_folder / "cross"), tmp_path / "raw")
    text = index.read_text()
    assert text.startswith(whole) and "ab12" not in text
    assert len(RawStore(tmp_path / "raw").entries()) == 24


def test_files_that_cannot_be_read_are_listed_and_the_command_exits_1(clean_folder, http_folder, tmp_path, capsys):
    good = next((clean_folder / "circle").glob("*.jpg"))
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"path,label\n{good},circle\n{tmp_path / 'gone.jpg'},circle\n{http_folder}/nope.jpg,circle\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", str(manifest), "--store", str(tmp_path / "raw")])
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "3 listed, 1 added, 0 unchanged, 2 failed" in out
    assert f"failed {tmp_path / 'gone.jpg'}: FileNotFoundError" in out
    assert f"failed {http_folder}/nope.jpg: HTTPError" in out
    assert [e.source for e in RawStore(tmp_path / "raw").current()] == [str(good)]


def test_a_file_listed_twice_with_two_labels_is_refused_before_anything_is_stored(clean_folder, tmp_path):
    image = next((clean_folder / "circle").glob("*.jpg"))
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"path,label\n{image},circle\n{image},square\n")
    with pytest.raises(DataError, match="listed twice, as 'circle' and as 'square'"):
        ingest.ingest(str(manifest), tmp_path / "raw")
    assert not (tmp_path / "raw").exists()


def test_a_missing_source_is_one_line_and_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", str(tmp_path / "nothing"), "--store", str(tmp_path / "raw")])
    assert exit_info.value.code == 2
    assert "no such folder, manifest" in capsys.readouterr().err
