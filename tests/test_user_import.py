"""Enrolling participants from a CSV file: good rows become participants, bad ones are reported
by line with a reason, and the phone numbers are never repeated back."""

from __future__ import annotations

import pytest

COHORT = {"name": "Primavera 2027", "starts_on": "2027-03-01", "ends_on": "2027-06-30"}


def _csv(rows: list[str], header: str = "name,phone,language,cohort") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture
async def admin(make_user, auth_headers):
    return await auth_headers(await make_user("Ada", is_admin=True))


async def _import(client, headers, body: bytes, content_type: str = "text/csv"):
    return await client.post("/admin/users/import", content=body,
                             headers={**headers, "Content-Type": content_type})


async def test_fifty_rows_with_three_bad_import_47_and_report_the_3(client, admin, make_user):
    await make_user("Ya inscrita", phone="+34612000003")
    rows = [f"Participante {i},+34 612 {100000 + i},es," for i in range(50)]
    rows[9] = ",+34612999991,es,"                      # line 11: no name
    rows[24] = "Número roto,12,es,"                     # line 26: not a phone number
    rows[39] = "Ya inscrita otra vez,+34612000003,en,"  # line 41: enrolled already
    resp = await _import(client, admin, _csv(rows))
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["created"] == 47
    assert [(p["line"], p["reason"]) for p in report["problems"]] == [
        (11, "missing_name"), (26, "invalid_phone"), (41, "already_enrolled")]
    assert "+34612000003" not in resp.text and "612000003" not in resp.text
    listed = await client.get("/users", params={"search": "Participante", "limit": 200},
                              headers=admin)
    assert len(listed.json()["items"]) == 47
    audit = (await client.runtime.store.audit.list(limit=200)).items
    assert sum(a.action == "user.create" for a in audit) == 47
    [summary] = [a for a in audit if a.action == "user.import"]
    assert summary.details == {"created": 47, "refused": 3, "lines": 50}


async def test_spanish_headers_semicolons_languages_and_cohorts(client, admin):
    cohort = (await client.post("/admin/cohorts", json=COHORT, headers=admin)).json()
    body = _csv(["Lucía;+34612300001;English;primavera 2027",
                 "Mateo;+34612300002;;",
                 "Sin cohorte;+34612300003;es;Otoño 2031",
                 "Idioma raro;+34612300004;klingon;",
                 "Repetido;+34612300002;es;"],
                header="Nombre;Teléfono;Idioma;Cohorte")
    report = (await _import(client, admin, body)).json()
    assert report["created"] == 2
    assert [(p["line"], p["name"], p["reason"]) for p in report["problems"]] == [
        (4, "Sin cohorte", "unknown_cohort"), (5, "Idioma raro", "unknown_language"),
        (6, "Repetido", "duplicate_in_file")]
    users = {u["name"]: u for u in (await client.get("/users", headers=admin)).json()["items"]}
    assert users["Lucía"]["preferred_language"] == "en"
    assert users["Mateo"]["preferred_language"] == "es"
    members = await client.runtime.store.cohorts.member_ids(cohort["id"])
    assert members == [__import__("uuid").UUID(users["Lucía"]["id"])]


async def test_a_file_that_cannot_be_read_is_a_json_4xx(client, admin):
    no_phone = await _import(client, admin, _csv(["Ana"], header="name"))
    assert no_phone.status_code == 422
    assert no_phone.json()["error"]["code"] == "missing_columns"
    empty = await _import(client, admin, b"")
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "no_header"
    latin1 = await _import(client, admin, "name,phone\nMaría,+34612300009\n".encode("latin-1"))
    assert latin1.status_code == 422 and latin1.json()["error"]["code"] == "csv_unreadable"
    json_body = await _import(client, admin, b'{"name": "x"}', content_type="application/json")
    assert json_body.status_code == 415 and "error" in json_body.json()


async def test_only_admins_import(client, make_user, auth_headers):
    participant = await auth_headers(await make_user("Pablo"))
    resp = await _import(client, participant, _csv(["Ana,+34612300010,es,"]))
    assert resp.status_code == 403 and "error" in resp.json()
    assert (await client.post("/admin/users/import", content=b"name,phone\n")).status_code == 401
