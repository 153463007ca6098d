"""API keys: made at random, stored as NAME:SHA256, matched against every entry, rotated by file."""

import io
import sys

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.security import SecurityError
from {{ cookiecutter.package_name }}.security.keys import KeyRing, entry_for, key_digest, new_key, parse_entry


def test_new_keys_are_long_random_and_distinct():
    keys = {new_key() for _ in range(50)}
    assert len(keys) == 50 and all(len(key) >= 43 for key in keys)


def test_an_entry_stores_the_name_and_the_hash_never_the_key():
    key = new_key()
    entry = entry_for(key, "ci")
    assert entry == f"ci:{key_digest(key)}" and key not in entry
    assert parse_entry(entry, "test").name == "ci"
    assert parse_entry(key_digest(key), "test").name == key_digest(key)[:8], "a bare hash is named by its start"


@pytest.mark.parametrize("bad", ["ci:1234", "not a hash", "ci:" + "g" * 64, "bad name:" + "0" * 64])
def test_malformed_entries_are_refused(bad):
    with pytest.raises(SecurityError, match="NAME:SHA256"):
        parse_entry(bad, "API_KEYS")


def test_a_key_matches_its_entry_only_and_every_entry_is_compared(monkeypatch):
    keys = [new_key() for _ in range(3)]
    ring = KeyRing(tuple(entry_for(key, f"k{i}") for i, key in enumerate(keys)))
    assert [ring.match(key) for key in keys] == ["k0", "k1", "k2"]
    assert ring.match(new_key()) is None and ring.match("") is None
    import hmac

    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    ring.match(keys[0])
    assert len(compared) == 3, "no early exit: the time does not say which entry matched"


def test_api_key_new_prints_a_key_and_its_entry(capsys):
    main(["api-key", "new", "--name", "mobile-app"])
    out = capsys.readouterr().out.splitlines()
    key, entry = out[0].split()[1], out[1].split()[1]
    assert entry == entry_for(key, "mobile-app")


def test_api_key_hash_reads_the_key_from_standard_input(capsys, monkeypatch):
    key = new_key()
    monkeypatch.setattr(sys, "stdin", io.StringIO(key + "\n"))
    main(["api-key", "hash", "--name", "ci"])
    assert capsys.readouterr().out.strip() == entry_for(key, "ci")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(SystemExit) as stopped:
        main(["api-key", "hash", "--name", "ci"])
    assert stopped.value.code == 2
