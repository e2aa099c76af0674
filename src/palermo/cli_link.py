"""``palermo link``: entity resolution, explanations, hit/no-hit, networks and overlaps, encoded linkage."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .cli_audit import Purpose, log_operator
from .errors import InputError

if TYPE_CHECKING:
    from .link.hits import HitAnswer

link_app = typer.Typer(
    no_args_is_help=True, help="Link persons, phones and accounts across organisations; hit/no-hit queries."
)


def _answer_text(answer: HitAnswer) -> str:
    if answer.hit:
        return f"[bold]HIT[/] (query {answer.query_id}): contact {escape(', '.join(answer.organisations))}"
    return f"no hit (query {answer.query_id})"


@link_app.command("run")
def link_run(
    threshold: Annotated[
        float, typer.Option("--threshold", help="Match probability from which two records are one person.")
    ] = 0.9,
    retrain: Annotated[bool, typer.Option("--retrain", help="Train a new model instead of the last run's.")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the training samples.")] = 0,
    purpose: Purpose = "linkage run",
) -> None:
    """Link every stored person record into entities; entity ids of earlier runs are kept."""
    from .cli import console, store
    from .link.run import run_linkage

    if not 0 < threshold < 1:
        raise InputError("--threshold must be between 0 and 1", column="threshold")
    opened = store()
    with console.status("linking") as status:
        summary = run_linkage(
            opened, started_by=getpass.getuser(), threshold=threshold, retrain=retrain, seed=seed,
            progress=lambda stage: status.update(stage),
        )
    log_operator(
        opened, "linkage.run", purpose, records=[summary.run_id],
        details={"records": summary.records, "pairs": summary.pairs, "entities": summary.entities},
    )
    table = Table(title=f"linkage run {summary.run_id}", show_header=False)
    for label, value in (
        ("person records", f"{summary.records:,} ({summary.new_records:,} new)"),
        ("linked pairs", f"{summary.pairs:,}"),
        ("entities", f"{summary.entities:,} ({summary.new_entities:,} new)"),
        ("entities known to several organisations", f"{summary.cross_org_entities:,}"),
        ("entities merged", ", ".join(f"{a}←{b}" for a, b in summary.merged) or "none"),
        ("seconds", f"{summary.seconds:.1f}"),
    ):
        table.add_row(label, value)
    console.print(table)


@link_app.command("entities")
def link_entities(
    out: Annotated[Path | None, typer.Option("--out", help="Write every entity's records to this CSV.")] = None,
    top: Annotated[int, typer.Option("--top", help="Entities to list on screen.")] = 20,
    purpose: Purpose = "linkage review",
) -> None:
    """Entities known to several organisations (ids and holders only, never names)."""
    from .cli import console, store
    from .link.entities import entity_table

    opened = store()
    frame = entity_table(opened)
    log_operator(opened, "linkage.entities", purpose,
                 details={"entities": frame.height, "file": None if out is None else out.name})
    if out is not None:
        frame.write_csv(out)
    shared = frame.filter(frame["organisations"] > 1)
    table = Table(title=f"{shared.height:,} entities known to more than one organisation")
    for column in ("entity_id", "records", "organisations", "holders"):
        table.add_column(column)
    for row in shared.head(top).iter_rows(named=True):
        table.add_row(row["entity_id"], str(row["records"]), str(row["organisations"]), escape(row["holders"]))
    console.print(table)


@link_app.command("explain")
def link_explain(
    left: Annotated[int, typer.Argument(help="A person record id.")],
    right: Annotated[int, typer.Argument(help="Another person record id.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the waterfall chart to this SVG file.")] = None,
    hide_values: Annotated[bool, typer.Option("--hide-values", help="Show weights only, not the values.")] = False,
    purpose: Purpose = "linkage review",
) -> None:
    """Why two records are (or are not) the same person: each comparison's evidence, as a table and chart."""
    from .cli import console, store
    from .errors import NotFoundError
    from .link.explain import explain_pair
    from .link.history import latest_run
    from .link.records import stored_persons

    opened = store()
    run = latest_run(opened)
    if run is None:
        raise NotFoundError("no linkage run yet: run `palermo link run` first")
    done = explain_pair(stored_persons(opened), run["model"], str(left), str(right), hide_values=hide_values)
    log_operator(opened, "linkage.explain", purpose, records=[str(left), str(right)],
                 details={"values_shown": not hide_values})
    table = Table(title=f"records {left} and {right}: match probability {done.match_probability:.3f}")
    for column in ("comparison", "level", "left", "right", "match weight"):
        table.add_column(column)
    for row in done.evidence.iter_rows(named=True):
        table.add_row(
            escape(row["comparison"]), escape(row["level"]), escape(row["value_l"]), escape(row["value_r"]),
            f"{row['match_weight']:+.2f}",
        )
    console.print(table)
    if out is not None:
        out.write_text(done.chart_svg, encoding="utf-8")
        console.print(f"waterfall chart: {escape(str(out))}")


@link_app.command("ask")
def link_ask(
    org: Annotated[str, typer.Option("--org", help="Your organisation.")],
    purpose: Annotated[str, typer.Option("--purpose", help="Why you ask (recorded).")],
    phone: Annotated[str | None, typer.Option("--phone", help="A phone number.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Country a local phone number is from.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="An e-mail address.")] = None,
    document: Annotated[str | None, typer.Option("--document", help="A passport or identity number.")] = None,
    account: Annotated[str | None, typer.Option("--account", help="A bank account or IBAN.")] = None,
    given: Annotated[str | None, typer.Option("--given", help="A person's given name.")] = None,
    family: Annotated[str | None, typer.Option("--family", help="A person's family name.")] = None,
    birth_date: Annotated[str | None, typer.Option("--birth-date", help="Birth date, YYYY-MM-DD.")] = None,
    birth_year: Annotated[str | None, typer.Option("--birth-year", help="Birth year.")] = None,
) -> None:
    """Does another organisation know this person, phone, e-mail, document or account? Hit or no hit."""
    from .cli import console, store
    from .link.hits import ask

    identifiers = {"phone": phone, "email": email, "document": document, "bank_account": account}
    given_ids = {kind: value for kind, value in identifiers.items() if value}
    person = {"given_name": given, "family_name": family, "birth_date": birth_date, "birth_year": birth_year}
    person = {key: value for key, value in person.items() if value}
    if len(given_ids) + bool(person) != 1:
        raise InputError("ask about exactly one thing: a phone, e-mail, document, account, or a person's names")
    if given_ids:
        kind, value = next(iter(given_ids.items()))
        query = {"value": value, **({"region": region} if region else {})}
    else:
        kind, query = "person", {key: str(value) for key, value in person.items()}
    answer = ask(store(), org=org, asked_by=getpass.getuser(), purpose=purpose, kind=kind, query=query)
    console.print(_answer_text(answer))


@link_app.command("inbox")
def link_inbox(
    org: Annotated[str, typer.Option("--org", help="Your organisation.")],
    all_notices: Annotated[bool, typer.Option("--all", help="Decided notices too.")] = False,
) -> None:
    """Queries that matched records your organisation holds, waiting for you to disclose or decline."""
    from .cli import console, store
    from .link.hits import inbox

    notices = inbox(store(), org, pending_only=not all_notices)
    table = Table(title=f"{len(notices)} notices")
    for column in ("notice", "asked", "by", "purpose", "kind", "your record", "score", "status"):
        table.add_column(column)
    for n in notices:
        table.add_row(
            str(n.id), n.asked_at.strftime("%Y-%m-%d %H:%M"), escape(f"{n.asking_org} ({n.asked_by})"),
            escape(n.purpose), n.kind, n.record_ref, f"{n.score:.2f}", n.status,
        )
    console.print(table)


@link_app.command("decide")
def link_decide(
    notice: Annotated[int, typer.Argument(help="The notice number.")],
    org: Annotated[str, typer.Option("--org", help="Your organisation (the record's holder).")],
    disclose: Annotated[
        bool, typer.Option("--disclose/--decline", help="Disclose the record to the asker, or decline.")
    ],
    note: Annotated[str, typer.Option("--note", help="A note for the record.")] = "",
) -> None:
    """Disclose or decline a notice; the decision is recorded and final."""
    from .cli import console, store
    from .link.hits import decide

    done = decide(store(), notice, org=org, decided_by=getpass.getuser(), disclose=disclose, note=note)
    console.print(f"notice {done.id}: {done.status}")


def _secret(path: Path) -> bytes:
    try:
        secret = path.read_bytes().strip()
    except OSError as exc:
        raise InputError(f"cannot read the secret ({exc.strerror})", file=str(path)) from exc
    if len(secret) < 16:
        raise InputError("the shared secret must be at least 16 bytes", file=str(path))
    return secret


@link_app.command("encode")
def link_encode(
    out: Annotated[Path, typer.Option("--out", help="Parquet file of encodings to write.")],
    secret_file: Annotated[
        Path, typer.Option("--secret-file", help="The secret the organisations share (never the platform).")
    ],
    source: Annotated[
        Path | None, typer.Argument(help="A CSV of person records (columns as in the README); default: the store.")
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="Encode only this organisation's stored records.")] = None,
    purpose: Purpose = "encoded linkage",
) -> None:
    """Encode person records locally into keyed Bloom filters and digests: what you share instead of names."""
    import polars as pl

    from .cli import console, store
    from .link.persons import prepare_persons
    from .link.records import read_person_records
    from .link.sharing import encode_persons, write_encoded

    secret = _secret(secret_file)
    if source is not None:
        try:
            raw = pl.read_csv(source, infer_schema=False)
        except (OSError, pl.exceptions.ComputeError) as exc:
            raise InputError(f"cannot read the CSV ({exc})", file=str(source)) from exc
    else:
        opened = store()
        raw = read_person_records(opened)
        if org is not None:
            raw = raw.filter(pl.col("source_dataset") == org)
        log_operator(opened, "cases.encode", purpose, details={"records": raw.height, "org": org})
    encoded = encode_persons(prepare_persons(raw), secret)
    write_encoded(encoded, out)
    console.print(f"{len(encoded.refs):,} records encoded into {escape(str(out))} (no name or number in it)")


@link_app.command("match")
def link_match(
    left: Annotated[Path, typer.Argument(help="One organisation's encodings.")],
    right: Annotated[Path, typer.Argument(help="Another organisation's encodings.")],
    out: Annotated[Path, typer.Option("--out", help="CSV of matched record references to write.")],
    threshold: Annotated[float, typer.Option("--threshold", help="Smallest Dice similarity of a match.")] = 0.8,
) -> None:
    """Link two files of encodings one-to-one, without seeing a name (the linking party's job)."""
    from .cli import console
    from .link.sharing import match_files, read_encoded

    pairs = match_files(read_encoded(left), read_encoded(right), threshold=threshold)
    pairs.write_csv(out)
    console.print(f"{pairs.height:,} matched pairs written to {escape(str(out))}")


@link_app.command("share")
def link_share(
    encodings: Annotated[Path, typer.Argument(help="Your organisation's encodings (from `palermo link encode`).")],
    org: Annotated[str, typer.Option("--org", help="Your organisation.")],
    purpose: Purpose = "encoded hit/no-hit",
) -> None:
    """Share your encodings for encoded hit/no-hit queries (replaces what you shared before)."""
    from .cli import console, store
    from .link.sharing import read_encoded, share_encodings

    opened = store()
    kept = share_encodings(opened, org, read_encoded(encodings))
    log_operator(opened, "linkage.share", purpose, details={"records": kept, "org": org})
    console.print(f"{kept:,} encoded records shared for hit/no-hit")


@link_app.command("ask-encoded")
def link_ask_encoded(
    query: Annotated[Path, typer.Argument(help="One record, encoded with `palermo link encode`.")],
    org: Annotated[str, typer.Option("--org", help="Your organisation.")],
    purpose: Annotated[str, typer.Option("--purpose", help="Why you ask (recorded).")],
    kind: Annotated[str, typer.Option("--kind", help="person, phone, email, document or bank_account.")] = "person",
) -> None:
    """Hit/no-hit on encodings only: the platform never sees the name or number you ask about."""
    from .cli import console, store
    from .link.sharing import ask_encoded, read_encoded

    answer = ask_encoded(
        store(), org=org, asked_by=getpass.getuser(), purpose=purpose, kind=kind, query=read_encoded(query)
    )
    console.print(_answer_text(answer))


@link_app.command("network")
def link_network(
    out: Annotated[Path, typer.Option("--out", help="Folder for the GraphML file, the picture and the tables.")],
    entity: Annotated[str | None, typer.Option("--entity", help="Draw the network around this entity.")] = None,
    top: Annotated[int, typer.Option("--top", help="Brokers and components to list.")] = 10,
    purpose: Purpose = "network analysis",
) -> None:
    """The network of persons, phones, accounts, documents, addresses and cases the links make."""
    from .cli import console, store
    from .link.entities import network_records
    from .link.network_files import write_network

    with console.status("building the network"):
        opened = store()
        records = network_records(opened)
        log_operator(opened, "linkage.network", purpose, details={"records": records.height, "entity": entity})
        done = write_network(records, out, entity=entity, top=top)
    console.print(
        f"{done.nodes:,} nodes, {done.edges:,} links; {done.spanning_orgs:,} connected "
        f"networks span several organisations; files in {escape(str(out))}"
    )
    table = Table(title="brokers (betweenness)")
    for column in ("node", "kind", "betweenness", "degree", "orgs"):
        table.add_column(column)
    for row in done.brokers.head(top).iter_rows(named=True):
        table.add_row(escape(row["node"]), row["kind"], f"{row['betweenness']:.4f}", str(row["degree"]),
                      escape(row["orgs"] or ""))
    console.print(table)


@link_app.command("overlap")
def link_overlap(
    out: Annotated[Path, typer.Option("--out", help="Folder for the overlap tables (CSV).")],
    k: Annotated[int, typer.Option("--k", help="Smallest count published; smaller ones are suppressed.")] = 11,
    purpose: Purpose = "overlap estimate",
) -> None:
    """How many entities each pair and each set of organisations share, suppressed for publication."""
    from .cli import console, store
    from .link.entities import linked_records
    from .link.overlap import published_overlap

    if k < 2:
        raise InputError("--k must be at least 2", column="k")
    opened = store()
    done = published_overlap(linked_records(opened), k)
    log_operator(opened, "cases.aggregate", purpose, details={"report": "overlap", "k": k})
    out.mkdir(parents=True, exist_ok=True)
    done.capture.frame.write_csv(out / "capture_histories.csv")
    done.pairs.frame.write_csv(out / "pair_overlap.csv")
    total = f"{done.total:,}" if done.total is not None else "suppressed"
    console.print(f"linked entities: {total}; tables with counts below {k} suppressed in {escape(str(out))}")
    table = Table(title="entities shared by each pair of organisations")
    for column in ("organisation", "organisation ", "entities"):
        table.add_column(column)
    for row in done.pairs.frame.iter_rows(named=True):
        shown = "suppressed" if row["entities_suppressed"] else f"{row['entities']:,}"
        table.add_row(escape(row["org_a"]), escape(row["org_b"]), shown)
    console.print(table)
