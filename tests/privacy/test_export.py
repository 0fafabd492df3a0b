"""Download everything about me: one ZIP, every table, and nothing of other people."""

import csv
import io
import json
import zipfile

from django.db import connection
from django.test.utils import CaptureQueriesContext

from coproduce.audit.models import AuditEvent
from coproduce.exchanges.services import message_send
from coproduce.people.services import profile_update
from coproduce.privacy.models import RightsRequest
from coproduce.privacy.services import data_collect, personal_data_export, table_descriptions
from tests.privacy.conftest import MO_BIO, MO_PHONE

NELL_BIO = "Keeps bees on the allotment."


def _open(archive: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(archive))


def test_the_archive_has_data_json_a_readme_and_a_csv_for_every_table(life, community, member):
    archive = _open(personal_data_export(community=community, subject=member, actor=member))
    names = set(archive.namelist())
    tables = table_descriptions()
    assert names == {"data.json", "README.txt"} | {f"{t}.csv" for t in tables}
    data = json.loads(archive.read("data.json"))
    assert set(data["tables"]) == set(tables)
    readme = archive.read("README.txt").decode()
    for table, text in tables.items():
        assert f"{table}.csv" in readme and text in readme


def test_the_archive_holds_what_the_person_gave_and_did(life, community, member):
    archive = _open(personal_data_export(community=community, subject=member, actor=member))
    tables = json.loads(archive.read("data.json"))["tables"]
    assert tables["people.profile"][0]["phone"] == MO_PHONE
    assert tables["people.profile"][0]["bio"] == MO_BIO
    assert tables["people.safeguarding_checks"][0]["reference"] == "DBS-MO-0001"
    assert {c["purpose"] for c in tables["people.consents"]} == {"directory", "health_data"}
    assert tables["exchanges.listings"][0]["title"] == "Shelves put up"
    assert tables["ledger.statement"][0]["amount_minutes"] == 90
    assert tables["insight.reports"][0]["contact_phone"] == MO_PHONE
    assert len(tables["insight.report_photos"]) == 2
    assert tables["insight.knowledge_notes"][0]["text"] == "The lift at the library is out"
    assert tables["coproduction.comments"][0]["body"] == "I can bring tools — Mo"
    assert tables["evidence.outcome_answers"][0]["answers"] == [7, 8, 6, 3]
    rows = list(csv.DictReader(io.StringIO(archive.read("ledger.statement.csv").decode())))
    assert rows[0]["amount_minutes"] == "90"


def test_messages_received_are_included_but_the_other_person_is_never_named(
    life, community, member, second_member
):
    profile_update(user=second_member, display_name="Nell Neighbour", bio=NELL_BIO)
    archive = _open(personal_data_export(community=community, subject=member, actor=member))
    tables = json.loads(archive.read("data.json"))["tables"]
    senders = {(m["sender"], m["body"]) for m in tables["exchanges.messages"]}
    assert senders == {
        ("me", "Yes, Tuesday at ten. — Mo"),
        ("other person", "Could you do two shelves? — Nell"),
    }
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert second_member.email not in everything
    assert NELL_BIO not in everything
    # Nell's own comment (a reply to Mo's) is hers, not something written to Mo.
    assert "Lovely!" not in everything


def test_export_is_logged_as_a_done_access_request_and_audited(life, community, member):
    personal_data_export(community=community, subject=member, actor=member)
    request = RightsRequest.objects.get(subject=member)
    assert (request.kind, request.status, request.handled_by) == ("access", "done", member)
    assert AuditEvent.objects.filter(action="privacy.export", subject=member).count() == 1


def test_a_coordinator_gets_only_what_their_community_holds(
    life, community, coordinator, member, other_community
):
    from coproduce.communities.models import Membership
    from coproduce.people.services import asset_add

    Membership.objects.create(community=other_community, user=member, state="active")
    asset_add(community=other_community, user=member, kind="thing", title="A canoe")
    mine = json.loads(
        _open(personal_data_export(community=community, subject=member, actor=member)).read(
            "data.json"
        )
    )["tables"]
    theirs = json.loads(
        _open(personal_data_export(community=community, subject=member, actor=coordinator)).read(
            "data.json"
        )
    )["tables"]
    assert {a["title"] for a in mine["people.assets"]} == {"A ladder", "A canoe"}
    assert {a["title"] for a in theirs["people.assets"]} == {"A ladder"}


def test_collecting_takes_the_same_number_of_queries_whatever_the_amount_of_data(
    life, community, member, second_member
):
    with CaptureQueriesContext(connection) as before:
        data_collect(subject=member)
    for n in range(15):
        message_send(conversation=life.conversation, author=member, body=f"Message {n}")
    with CaptureQueriesContext(connection) as after:
        data_collect(subject=member)
    assert len(after) == len(before) <= 40
