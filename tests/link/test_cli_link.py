"""``palermo link`` end to end on the demo database, as a user runs it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from tests.support import run_palermo

from palermo.link.records import read_person_records
from palermo.store.db import open_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("link-cli")
    assert run_palermo("demo", "--cases", "2500", cwd=where).returncode == 0
    return where


def test_run_entities_explain(demo: Path) -> None:
    ran = run_palermo("link", "run", cwd=demo)
    assert ran.returncode == 0, ran.stderr
    assert "entities known to several organisations" in ran.stdout
    listed = run_palermo("link", "entities", "--out", "entities.csv", cwd=demo)
    assert listed.returncode == 0 and "known to more than one organisation" in listed.stdout
    entities = pl.read_csv(demo / "entities.csv")
    assert entities["records"].sum() == len(read_person_records(open_store(f"sqlite:///{demo / 'palermo.db'}")))
    explained = run_palermo("link", "explain", "1", "2", "--out", "pair.svg", cwd=demo)
    assert explained.returncode == 0 and "match probability" in explained.stdout
    assert (demo / "pair.svg").read_text(encoding="utf-8").lstrip().startswith("<svg")
    missing = run_palermo("link", "explain", "1", "999999", cwd=demo)
    assert missing.returncode == 2 and "999999" in missing.stderr and "Traceback" not in missing.stderr


def test_ask_inbox_decide(demo: Path) -> None:
    assert run_palermo("link", "run", cwd=demo).returncode == 0
    records = read_person_records(open_store(f"sqlite:///{demo / 'palermo.db'}"))
    holder = records.drop_nulls("phone").row(0, named=True)
    asker = next(o for o in records["source_dataset"].unique().sort().to_list() if o != holder["source_dataset"])
    asked = run_palermo("link", "ask", "--org", asker, "--purpose", "case 7", "--phone", holder["phone"],
                        "--region", holder["phone_region"], cwd=demo)
    assert asked.returncode == 0 and "HIT" in asked.stdout and holder["source_dataset"] in asked.stdout
    shown = run_palermo("link", "inbox", "--org", holder["source_dataset"], cwd=demo)
    assert shown.returncode == 0 and "case 7" in shown.stdout
    owner = holder["source_dataset"]
    decided = run_palermo("link", "decide", "1", "--org", owner, "--decline", "--note", "no", cwd=demo)
    assert decided.returncode == 0 and "declined" in decided.stdout
    again = run_palermo("link", "decide", "1", "--org", holder["source_dataset"], "--disclose", cwd=demo)
    assert again.returncode == 2 and "already declined" in again.stderr
    both = run_palermo("link", "ask", "--org", asker, "--purpose", "x", "--phone", "1", "--email", "a@b.c", cwd=demo)
    assert both.returncode == 2 and "exactly one" in both.stderr


def test_encode_match_share_ask_encoded(demo: Path) -> None:
    (demo / "secret.key").write_text("a secret the organisations share\n", encoding="utf-8")
    orgs = read_person_records(open_store(f"sqlite:///{demo / 'palermo.db'}"))["source_dataset"].unique().sort()
    first, second = orgs[0], orgs[1]
    for org, name in ((first, "a.parquet"), (second, "b.parquet")):
        done = run_palermo("link", "encode", "--org", org, "--secret-file", "secret.key", "--out", name, cwd=demo)
        assert done.returncode == 0, done.stderr
    matched = run_palermo("link", "match", "a.parquet", "b.parquet", "--out", "pairs.csv", cwd=demo)
    assert matched.returncode == 0, matched.stderr
    pairs = pl.read_csv(demo / "pairs.csv")
    assert pairs.columns == ["record_ref_l", "record_ref_r", "score"] and pairs.height > 0
    assert run_palermo("link", "share", "b.parquet", "--org", second, cwd=demo).returncode == 0
    # the first organisation asks about one of its records the second also holds
    one = pl.read_csv(demo / "pairs.csv").row(0, named=True)
    records = read_person_records(open_store(f"sqlite:///{demo / 'palermo.db'}"))
    query = records.filter(pl.col("unique_id") == str(one["record_ref_l"]))
    query.write_csv(demo / "query.csv")
    assert run_palermo("link", "encode", "query.csv", "--secret-file", "secret.key", "--out", "q.parquet",
                       cwd=demo).returncode == 0
    asked = run_palermo("link", "ask-encoded", "q.parquet", "--org", first, "--purpose", "case 9", cwd=demo)
    assert asked.returncode == 0 and "HIT" in asked.stdout and second in asked.stdout
    (demo / "short.key").write_text("short", encoding="utf-8")
    refused = run_palermo("link", "encode", "--secret-file", "short.key", "--out", "x.parquet", cwd=demo)
    assert refused.returncode == 2 and "16 bytes" in refused.stderr


def test_network_and_overlap(demo: Path) -> None:
    assert run_palermo("link", "run", cwd=demo).returncode == 0
    drawn = run_palermo("link", "network", "--out", "net", cwd=demo)
    assert drawn.returncode == 0, drawn.stderr
    assert "span several organisations" in drawn.stdout
    for name in ("network.graphml", "network.svg", "components.csv", "brokers.csv", "communities.csv"):
        assert (demo / "net" / name).stat().st_size > 0
    components = pl.read_csv(demo / "net" / "components.csv")
    assert components["spans_orgs"].any()
    assert run_palermo("link", "entities", "--out", "all_entities.csv", cwd=demo).returncode == 0
    entity = pl.read_csv(demo / "all_entities.csv")["entity_id"][0]
    around = run_palermo("link", "network", "--out", "net2", "--entity", entity, cwd=demo)
    assert around.returncode == 0 and entity in (demo / "net2" / "network.svg").read_text(encoding="utf-8")
    unknown = run_palermo("link", "network", "--out", "net3", "--entity", "E9999999", cwd=demo)
    assert unknown.returncode == 2 and "E9999999" in unknown.stderr
    overlap = run_palermo("link", "overlap", "--out", "ov", "--k", "11", cwd=demo)
    assert overlap.returncode == 0, overlap.stderr
    pairs = pl.read_csv(demo / "ov" / "pair_overlap.csv")
    shown = pairs.filter(~pl.col("entities_suppressed"))["entities"]
    assert ((shown == 0) | (shown >= 11)).all()
