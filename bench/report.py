"""Benchmark: the full threat-assessment report (tables, charts, HTML, JSON, CSV) on generated cases.

Generates a CTDC-layout file (1,000,000 cases by default), ingests it into a fresh SQLite store, then
times ``build_assessment`` + ``write_report`` (HTML, JSON, CSV; PDF optional) and, in the same
process, bare DuckDB GROUP BYs of the same counts as a baseline. Prints the figures and the ratio.

    python bench/report.py [--rows 1000000] [--pdf] [--keep DIR]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from palermo.analyse.cases import read_cases
from palermo.demo.ctdc import write_ctdc_csv
from palermo.ingest.pipeline import ingest_file
from palermo.reports.assessment import build_assessment
from palermo.reports.write import write_report
from palermo.store.db import open_store
from palermo.store.orgs import add_organisation

BASELINE_QUERIES = [
    "SELECT cas_registration_year, count(*) FROM cases GROUP BY ALL",
    "SELECT org_name, cas_registration_year, count(*) FROM cases GROUP BY ALL",
    "SELECT cas_data_source, count(*) FROM cases GROUP BY ALL",
    "SELECT prs_citizenship, count(*) FROM cases GROUP BY ALL",
    "SELECT vic_country_of_exploitation, count(*) FROM cases GROUP BY ALL",
    "SELECT cas_registration_year, prs_gender, count(*) FROM cases GROUP BY ALL",
    "SELECT cas_registration_year, vic_majority_status, count(*) FROM cases GROUP BY ALL",
    "SELECT prs_citizenship, vic_country_of_exploitation, count(*) FROM cases GROUP BY ALL",
    "SELECT f, count(*) FROM (SELECT unnest(string_split(vic_type_of_exploitation, ';')) AS f FROM cases) GROUP BY ALL",
    "SELECT cas_registration_year, f, count(*) FROM (SELECT cas_registration_year, "
    "unnest(string_split(vic_type_of_exploitation, ';')) AS f FROM cases) GROUP BY ALL",
    "SELECT f, count(*) FROM (SELECT unnest(string_split(vic_forced_labour_industry, ';')) AS f FROM cases) "
    "GROUP BY ALL",
    "SELECT f, count(*) FROM (SELECT unnest(string_split(vic_methods_of_control, ';')) AS f FROM cases) GROUP BY ALL",
    "SELECT f, count(*) FROM (SELECT unnest(string_split(vic_recruiter_relationship, ';')) AS f FROM cases) "
    "GROUP BY ALL",
    "SELECT prs_gender, vic_age_band, count(*) FROM cases GROUP BY ALL",
]


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pdf", action="store_true", help="also write the PDF (not part of the target)")
    parser.add_argument("--keep", type=Path, default=None, help="write everything here and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="palermo-bench-report-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        csv = work / "cases.csv"
        t = time.perf_counter()
        write_ctdc_csv(csv, args.rows, seed=3)
        print(f"generate     {args.rows:>11,} cases  {time.perf_counter() - t:6.1f} s")
        store = open_store(f"sqlite:///{work / 'palermo.db'}")
        add_organisation(store, "Bench Registry", "CentralGovernmentOrganisation", "RO")
        t = time.perf_counter()
        report = ingest_file(store, csv, "Bench Registry")
        print(f"ingest       {report.accepted:>11,} stored  {time.perf_counter() - t:6.1f} s")

        t = time.perf_counter()
        assessment = build_assessment(store)
        built = time.perf_counter() - t
        t = time.perf_counter()
        formats = ("html", "json", "csv", "pdf") if args.pdf else ("html", "json", "csv")
        written = write_report(assessment, work / "report", formats)
        rendered = time.perf_counter() - t
        total = built + rendered
        tables = len(assessment.tables())
        charts = sum(len(s.charts) for s in assessment.sections)

        cases = read_cases(store)
        t = time.perf_counter()
        con = duckdb.connect()
        con.register("cases", cases.to_arrow())
        for query in BASELINE_QUERIES:
            con.execute(query).fetchall()
        baseline = time.perf_counter() - t
        con.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        verdict = "OK" if total <= 20 else "MISSED"
        print(f"report       {tables} tables, {charts} charts, {len(written)} files ({', '.join(formats)})")
        print(f"  analyse + protect  {built:6.1f} s")
        print(f"  render + write     {rendered:6.1f} s")
        print(f"  total              {total:6.1f} s  [target <= 20 s: {verdict}]  peak RSS {rss:.2f} GiB")
        print(f"bare DuckDB GROUP BYs of the same counts ({len(BASELINE_QUERIES)} queries)  {baseline:6.2f} s")
        print(f"ratio report / bare GROUP BYs  {total / baseline:6.1f}x")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
