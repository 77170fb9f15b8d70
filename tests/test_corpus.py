"""Every malformed file in tests/corpus/: rejected by the real `kpi ingest`, with a message
naming the file and what to do, no traceback, and the store byte-for-byte unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from kpi_lib.inputs.ingest import ingest_files
from kpi_lib.inputs.store import Store

from .conftest import run_kpi, tree_checksum

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))


def test_the_corpus_is_large_enough():
    assert len(EXPECTED) >= 40
    assert all((CORPUS / name).is_file() for name in EXPECTED)


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory, catalog=None):
    from kpi_lib.plan.catalog import load_catalog
    root = tmp_path_factory.mktemp("store") / "s"
    seed = root.parent / "seed.csv"
    seed.write_text("indicator_id,period,value,value_type,reported_at\n"
                    "T10,2025-01,100,month,2025-02-05\nT21,2025-01,50,ytd,2025-02-05\n")
    assert ingest_files([seed], load_catalog(), Store(root))[0].ok
    return root


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_file_is_rejected_cleanly(name, seeded_store, tmp_path):
    source = CORPUS / name
    copy = tmp_path / name  # the corpus itself must never change either
    shutil.copy(source, copy)
    before = tree_checksum(seeded_store)
    result = run_kpi("ingest", copy, "--data", seeded_store)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert name in result.stderr
    for word in EXPECTED[name]:
        assert word in result.stderr, result.stderr
    assert "->" in result.stderr  # every message says what to do
    assert tree_checksum(seeded_store) == before
    assert copy.read_bytes() == source.read_bytes()


def test_unusual_but_unambiguous_input_is_accepted_and_reported(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("indicator_id,period,value,value_type\n t10 ,2025-01,1.600,month\n"
                    "T16,2025-01,\"85,5%\",level\nt21,2025-01,1 600,month\n", encoding="utf-8")
    result = run_kpi("ingest", path, "--data", tmp_path / "s")
    assert result.returncode == 0, result.stderr
    assert "read as 'T10'" in result.stdout and "percent" in result.stdout
    values = Store(tmp_path / "s").read().set_index("indicator_id")["value"]
    assert values.to_dict() == {"T10": 1600.0, "T16": 85.5, "T21": 1600.0}


def test_a_huge_file_is_checked_whole_and_fast_enough(tmp_path):
    """200,000 rows with one bad value near the end: found, named, nothing written."""
    import time
    lines = ["indicator_id,unit_code,period,value,value_type"]
    for k in range(200_000):
        year, month = 2011 + (k // 12) % 15, 1 + k % 12
        lines.append(f"T10,BINHSON,{year}-{month:02d},{k % 97},month")
    lines[-5] = "T10,BINHSON,2024-07,abc,month"
    path = tmp_path / "huge.csv"
    path.write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    result = run_kpi("validate", path, "--data", tmp_path / "s")
    elapsed = time.perf_counter() - start
    assert result.returncode != 0 and "row 199997" in result.stderr and "not a number" in result.stderr
    assert elapsed < 120, elapsed
    assert not (tmp_path / "s").exists()


def test_symlinked_input_outside_the_inbox_is_refused(tmp_path):
    secret = tmp_path / "elsewhere.csv"
    secret.write_text("indicator_id,period,value\nT10,2025-01,5\n")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "link.csv").symlink_to(secret)
    result = run_kpi("ingest", inbox / "link.csv", "--data", tmp_path / "s")
    assert result.returncode != 0 and "symbolic link" in result.stderr
    assert not (tmp_path / "s" / "observations.csv").exists()
