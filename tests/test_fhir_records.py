"""The FHIR records: the intake (Questionnaire, QuestionnaireResponse), signed consents with their
PDF (Consent, Binary), photos and PDFs by reference (DocumentReference) and the access log
(AuditEvent); each valid R4B, each seen only by whom the pages show it to, every read logged."""

import base64
import hashlib
import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from PIL import Image

from glabella.aftercare.models import ReportPhoto
from glabella.core.access import actor_for
from glabella.core.models import AccessLog
from glabella.outcomes import photos
from glabella.screening.consents import withdraw_consent
from glabella.screening.intake import submit_intake
from glabella.screening.links import forms_actor
from tests.conftest import clinic_today, intake_answers, issue_token, make_patient
from tests.fhir_support import bearer, fhir_get, patient_token, valid
from tests.test_permissions import _signed_photo_consent

pytestmark = pytest.mark.django_db


def sha1_base64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode()


def token_of(users, persona: str):
    return bearer(issue_token(users[persona], preset="read"))


def ids(bundle: dict) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def binary(client, url: str, **headers):
    return client.get(url.removeprefix("http://testserver"), headers=headers)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (190, 150, 130)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def files(patient, treated, actor_of):
    """Grace, treated today: her treatment consent (signed by `treated`), a photo consent, one
    clinical photo taken under it and a photo she sent with an aftercare report."""
    photo_consent = _signed_photo_consent(patient)
    photo = photos.take(
        actor_of("injector"),
        treated,
        view="frown",
        taken_on=clinic_today().isoformat(),
        raw=jpeg(),
    )
    report = treated.check_ins.order_by("day").first()
    from glabella.aftercare import reports

    sent = reports.submit(report, {"symptoms": [], "severity": ""})
    report_photo = ReportPhoto.objects.create(
        report=sent, patient=patient, data=jpeg(), width=640, height=480
    )
    treatment_consent = patient.consents.get(document__kind="neuromodulator")
    return {
        "consent": treatment_consent,
        "photo_consent": photo_consent,
        "photo": photo,
        "report_photo": report_photo,
    }


# ---------------------------------------------------------------- the intake


def test_an_intake_is_a_completed_response_with_each_answer_typed(users, patient, clinic):
    toxin_day = clinic_today() - timedelta(days=30)
    answers = intake_answers(
        recent_toxin=True,
        pregnant=None,
        toxins=[
            {
                "product": "Dysport",
                "date": toxin_day.isoformat(),
                "purpose": "cosmetic",
                "units": 50,
            }
        ],
        allergies=["penicillin (rash)"],
        concerns=[{"area": "forehead", "at_rest": True, "with_expression": False}],
        notes="Prefer afternoon visits",
    )
    response = submit_intake(
        actor_for(patient.user, channel="portal"), patient, answers, via="portal"
    )
    client = token_of(users, "injector")
    status, body = fhir_get(client, f"QuestionnaireResponse/{response.public_id}")
    assert status == 200, body
    valid(body)
    assert body["status"] == "completed"
    assert body["subject"] == {"reference": f"Patient/{patient.public_id}"}
    assert body["author"] == body["subject"]  # she answered herself
    assert body["questionnaire"].endswith("/fhir/R4/Questionnaire/intake|1")
    items = {}
    for item in body["item"]:
        items.setdefault(item["linkId"], []).append(item)
    assert items["pregnant"][0]["answer"] == [
        {
            "valueCoding": {
                "system": "http://terminology.hl7.org/CodeSystem/v2-0532",
                "code": "ASKU",
                "display": "Not sure",
            }
        }
    ]
    assert items["recent_toxin"][0]["answer"][0]["valueCoding"]["code"] == "Y"
    assert items["allergy_toxin"][0]["answer"][0]["valueCoding"]["code"] == "N"
    assert items["allergies"][0]["answer"] == [{"valueString": "penicillin (rash)"}]
    toxin = {i["linkId"]: i["answer"][0] for i in items["recent_toxin"][1]["item"]}
    assert toxin["recent_toxin.product"] == {"valueString": "Dysport"}
    assert toxin["recent_toxin.date"] == {"valueDate": toxin_day.isoformat()}
    assert toxin["recent_toxin.purpose"]["valueCoding"]["code"] == "cosmetic"
    assert toxin["recent_toxin.units"] == {"valueDecimal": 50}
    concern = {i["linkId"]: i["answer"][0] for i in items["concerns"][0]["item"]}
    assert concern["concerns.area"]["valueCoding"]["code"] == "forehead"
    assert concern["concerns.at_rest"] == {"valueBoolean": True}
    assert concern["concerns.with_expression"] == {"valueBoolean": False}
    assert items["notes"][0]["answer"] == [{"valueString": "Prefer afternoon visits"}]
    assert "medications" not in items  # nothing listed, nothing answered
    # Its questionnaire, by the version it points at, asks each question as it was answered.
    status, form = fhir_get(client, "Questionnaire/intake-1")
    valid(form)
    assert f"{form['url']}|{form['version']}" == body["questionnaire"]
    asked = {i["linkId"]: i["type"] for i in form["item"]}
    assert asked["pregnant"] == "choice" and asked["allergies"] == "string"
    assert asked["recent_toxin"] == "group" and asked["notes"] == "text"
    # The read is logged against her.
    row = AccessLog.objects.filter(object_type="intake").latest("id")
    assert row.patient_public_id == patient.public_id and row.action == "read"


def test_the_yes_no_questions_answered_yes_say_yes(users, patient, clinic):
    answers = intake_answers(
        recent_toxin=True,
        toxins=[{"product": "BOTOX", "date": (clinic_today() - timedelta(days=10)).isoformat()}],
    )
    response = submit_intake(actor_for(users["injector"]), patient, answers, via="staff")
    _, body = fhir_get(token_of(users, "injector"), f"QuestionnaireResponse/{response.public_id}")
    valid(body)
    recent = next(i for i in body["item"] if i["linkId"] == "recent_toxin" and "answer" in i)
    assert recent["answer"][0]["valueCoding"]["code"] == "Y"
    assert body["author"]["reference"].startswith("Practitioner/")  # entered by the injector
    toxin = next(i for i in body["item"] if i["linkId"] == "recent_toxin" and "item" in i)
    assert "recent_toxin.units" not in {i["linkId"] for i in toxin["item"]}


def test_intake_answers_are_clinical_the_front_desk_reads_none(users, patient, clinic):
    response = submit_intake(actor_for(users["injector"]), patient, intake_answers(), via="staff")
    desk = token_of(users, "front_desk")
    assert fhir_get(desk, f"QuestionnaireResponse/{response.public_id}")[0] == 404
    assert fhir_get(desk, "QuestionnaireResponse")[1]["total"] == 0
    # Her own token reads hers; another patient's reads nothing of hers.
    mine = bearer(patient_token(patient))
    status, body = fhir_get(mine, "QuestionnaireResponse", patient=str(patient.public_id))
    assert status == 200 and ids(body) == [str(response.public_id)]
    day = response.submitted_at.date().isoformat()
    clinician = token_of(users, "injector")
    for params, total in (
        ({"authored": f"ge{day}"}, 1),
        ({"authored": f"lt{day}"}, 0),
        ({"date": f"ge{day}"}, 1),
        ({"_lastUpdated": f"lt{day}"}, 0),
    ):
        _, found = fhir_get(
            clinician, "QuestionnaireResponse", patient=str(patient.public_id), **params
        )
        assert found["total"] == total, params
    status, refused = fhir_get(clinician, "QuestionnaireResponse", authored="soon")
    assert status == 400 and refused["issue"][0]["expression"] == ["authored"]


# ---------------------------------------------------------------- consents and their PDFs


def test_a_signed_consent_carries_its_pdf_by_url_with_the_right_size_and_hash(
    users, patient, files
):
    consent = files["consent"]
    desk = token_of(users, "front_desk")  # the desk sees what is signed, as on her page
    status, body = fhir_get(desk, f"Consent/{consent.public_id}")
    assert status == 200, body
    valid(body)
    assert body["status"] == "active"
    assert body["scope"]["coding"][0]["code"] == "treatment"
    assert body["category"][0]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "59284-0",
        "display": "Consent Document",
    }
    assert body["patient"] == {"reference": f"Patient/{patient.public_id}"}
    assert body["performer"] == [body["patient"]]
    assert "neuromodulator/en/" in body["policy"][0]["uri"]
    attachment = body["sourceAttachment"]
    assert attachment["contentType"] == "application/pdf"
    assert "data" not in attachment
    assert attachment["url"].endswith(f"/fhir/R4/Binary/{consent.public_id}")
    served = binary(desk, attachment["url"])
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    pdf = served.content
    assert pdf.startswith(b"%PDF") and pdf == bytes(consent.pdf)
    assert attachment["size"] == len(pdf)
    assert attachment["hash"] == sha1_base64(pdf)
    # Asked for FHIR JSON, the same file as a Binary resource.
    served = binary(desk, attachment["url"], Accept="application/fhir+json")
    resource = valid(served.json())
    assert resource["contentType"] == "application/pdf"
    assert base64.b64decode(resource["data"]) == pdf
    assert resource["securityContext"] == {"reference": f"Consent/{consent.public_id}"}
    # Both reads are logged against her, as a consent.
    rows = AccessLog.objects.filter(object_type="consent", action="read").order_by("id")
    assert [r.detail["fhir"] for r in rows][-2:] == [f"Binary/{consent.public_id}"] * 2
    assert {r.patient_public_id for r in rows} == {patient.public_id}


def test_a_withdrawn_consent_is_inactive_and_status_searches(users, patient, files):
    withdrawn = files["photo_consent"]
    withdraw_consent(forms_actor(patient, "link"), withdrawn, reason="", via="link")
    client = token_of(users, "front_desk")
    _, body = fhir_get(client, f"Consent/{withdrawn.public_id}")
    valid(body)
    assert body["status"] == "inactive"
    assert body["scope"]["coding"][0]["code"] == "patient-privacy"
    assert body["provision"]["period"]["end"] >= body["provision"]["period"]["start"]
    who = {"patient": str(patient.public_id)}
    _, active = fhir_get(client, "Consent", status="active", **who)
    _, inactive = fhir_get(client, "Consent", status="inactive", **who)
    assert ids(inactive) == [str(withdrawn.public_id)]
    assert str(files["consent"].public_id) in ids(active)
    assert str(withdrawn.public_id) not in ids(active)
    day = clinic_today().isoformat()
    _, changed = fhir_get(client, "Consent", _lastUpdated=f"ge{day}", **who)
    assert changed["total"] == 2
    status, refused = fhir_get(client, "Consent", status="revoked")
    assert status == 400 and refused["issue"][0]["expression"] == ["status"]


def test_a_consent_and_its_pdf_are_refused_to_another_patient(users, patient, files):
    consent = files["consent"]
    url = f"/fhir/R4/Binary/{consent.public_id}"
    outsider = bearer(patient_token(with_account(make_patient(email="other-fhir@example.com"))))
    assert outsider.get(url).status_code == 404
    assert fhir_get(outsider, f"Consent/{consent.public_id}")[0] == 404
    # Her own token fetches her PDF.
    mine = bearer(patient_token(patient))
    assert mine.get(url).content == bytes(consent.pdf)


def with_account(patient):
    """Another patient with a portal account of her own (as the portal's isolation tests)."""
    patient.user = get_user_model().objects.create_user(username=patient.email, password=None)
    patient.save()
    return patient


# ---------------------------------------------------------------- photos and documents


def test_photos_and_pdfs_are_documents_for_those_allowed_to_see_them(users, patient, files):
    photo, sent, consent = files["photo"], files["report_photo"], files["consent"]
    clinician = token_of(users, "injector")
    status, body = fhir_get(
        clinician, "DocumentReference", patient=str(patient.public_id), _count=100
    )
    assert status == 200
    valid(body)
    found = {e["resource"]["id"]: e["resource"] for e in body["entry"]}
    assert {str(photo.public_id), str(sent.public_id), str(consent.public_id)} <= set(found)
    picture = found[str(photo.public_id)]
    assert picture["type"]["coding"][0]["code"] == "72170-4"
    assert picture["category"][0]["coding"][0]["code"] == "clinical-photo"
    assert picture["author"] == [{"reference": f"Practitioner/{photo.taken_by.public_id}"}]
    assert picture["context"]["related"] == [
        {"reference": f"Procedure/{photo.treatment.public_id}"}
    ]
    attachment = picture["content"][0]["attachment"]
    served = binary(clinician, attachment["url"])
    assert served["Content-Type"] == "image/jpeg"
    assert served.content == bytes(photo.data)
    assert attachment["size"] == photo.size == len(served.content)
    assert attachment["hash"] == sha1_base64(served.content)
    assert found[str(sent.public_id)]["category"][0]["coding"][0]["code"] == "patient-photo"
    pdf = found[str(consent.public_id)]["content"][0]["attachment"]
    assert pdf["contentType"] == "application/pdf" and pdf["hash"] == sha1_base64(
        bytes(consent.pdf)
    )
    # The front desk: the signed consents, no photo (clinical), and no photo's file.
    desk = token_of(users, "front_desk")
    _, seen = fhir_get(desk, "DocumentReference", patient=str(patient.public_id), _count=100)
    assert str(consent.public_id) in ids(seen)
    assert not {str(photo.public_id), str(sent.public_id)} & set(ids(seen))
    assert binary(desk, attachment["url"]).status_code == 404
    assert fhir_get(desk, f"DocumentReference/{photo.public_id}")[0] == 404
    # Grace: her clinical photo (her portal shows it), not the report photo (no page shows it).
    mine = bearer(patient_token(patient))
    _, hers = fhir_get(mine, "DocumentReference", _count=100)
    assert str(photo.public_id) in ids(hers) and str(sent.public_id) not in ids(hers)
    assert binary(mine, f"/fhir/R4/Binary/{sent.public_id}").status_code == 404
    assert binary(mine, attachment["url"]).content == bytes(photo.data)


def test_documents_search_by_type_and_category_and_page_across_kinds(users, patient, files):
    clinician = token_of(users, "injector")
    who = {"patient": str(patient.public_id)}
    _, pictures = fhir_get(clinician, "DocumentReference", type="http://loinc.org|72170-4", **who)
    assert set(ids(pictures)) == {
        str(files["photo"].public_id),
        str(files["report_photo"].public_id),
    }
    _, theirs = fhir_get(clinician, "DocumentReference", category="clinical-photo", **who)
    assert ids(theirs) == [str(files["photo"].public_id)]
    _, consents = fhir_get(clinician, "DocumentReference", type="59284-0", **who)
    assert consents["total"] == 2  # the treatment consent and the photo consent
    # One at a time, every document exactly once, in one order.
    _, everything = fhir_get(clinician, "DocumentReference", _count=100, **who)
    paged = []
    for offset in range(everything["total"]):
        _, page = fhir_get(clinician, "DocumentReference", _count=1, _offset=offset, **who)
        paged += ids(page)
    assert paged == ids(everything) and len(paged) == 4
    status, refused = fhir_get(clinician, "DocumentReference", type="")
    assert status == 400 and refused["issue"][0]["expression"] == ["type"]


def test_binary_is_read_only_and_listed_so(users, clinic):
    status, body = fhir_get(token_of(users, "injector"), "Binary")
    assert status == 405
    valid(body)
    _, statement = fhir_get(bearer("unused"), "metadata")
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert served["Binary"]["interaction"] == [{"code": "read"}]
    for name in ("QuestionnaireResponse", "Consent", "DocumentReference", "AuditEvent"):
        assert name in served


# ---------------------------------------------------------------- the access log


def test_the_access_log_reads_as_audit_events_for_those_who_audit(users, patient, files):
    desk = token_of(users, "front_desk")
    fhir_get(desk, f"Consent/{files['consent'].public_id}")
    looked = AccessLog.objects.filter(detail__fhir=f"Consent/{files['consent'].public_id}").latest(
        "id"
    )
    auditor = token_of(users, "medical_director")
    status, body = fhir_get(auditor, f"AuditEvent/{looked.pk}")
    assert status == 200, body
    valid(body)
    assert body["id"] == str(looked.pk)
    assert body["type"]["code"] == "110110" and body["action"] == "R"
    assert body["subtype"][0]["code"] == "read"
    agent = body["agent"][0]
    assert agent["who"]["display"] == users["front_desk"].staff.full_name
    assert agent["who"]["reference"] == f"Practitioner/{users['front_desk'].staff.public_id}"
    assert agent["role"] == [{"text": "Front desk"}]
    assert agent["network"]["address"] == "127.0.0.1"
    entities = body["entity"]
    assert entities[0]["what"] == {"reference": f"Patient/{patient.public_id}"}
    assert entities[1]["what"] == {"reference": f"Consent/{files['consent'].public_id}"}
    assert body["outcome"] == "0"
    # Reading the log is logged, naming whose record the row was about.
    row = AccessLog.objects.latest("id")
    assert row.object_type == "access-log" and row.detail["fhir"] == f"AuditEvent/{looked.pk}"
    assert row.patient_public_id == patient.public_id
    # The front desk and the injector have no audit capability: nothing.
    for persona in ("front_desk", "injector"):
        client = token_of(users, persona)
        assert fhir_get(client, f"AuditEvent/{looked.pk}")[0] == 404
        assert fhir_get(client, "AuditEvent")[1]["total"] == 0


def test_a_patient_reads_who_looked_at_her_record_and_nothing_else(users, patient, files):
    other = make_patient(email="someone-else@example.com")
    desk = token_of(users, "front_desk")
    fhir_get(desk, f"Patient/{patient.public_id}")
    fhir_get(desk, f"Patient/{other.public_id}")
    fhir_get(desk, "Patient", _count=100)  # a listing that shows both
    mine = bearer(patient_token(patient))
    status, body = fhir_get(mine, "AuditEvent", _count=100)
    assert status == 200
    valid(body)
    text = str(body)
    assert str(other.public_id) not in text  # not even from the listing that showed both
    for entry in body["entry"]:  # no staff address, no query of a staff search
        assert "network" not in entry["resource"]["agent"][0]
        assert all("query" not in e for e in entry["resource"]["entity"])
    whom = {e["resource"]["entity"][0]["what"]["reference"] for e in body["entry"]}
    assert whom == {f"Patient/{patient.public_id}"}
    roles = {e["resource"]["agent"][0]["role"][0]["text"] for e in body["entry"]}
    assert "Patient" not in roles  # her own reads are not listed back to her
    about_other = AccessLog.objects.filter(patient_public_id=other.public_id).latest("id")
    assert fhir_get(mine, f"AuditEvent/{about_other.pk}")[0] == 404
    _, own = fhir_get(mine, "AuditEvent", patient=str(patient.public_id), _count=100)
    assert ids(own) == ids(body)
    # Nor whether another patient was in a list that showed her.
    _, theirs = fhir_get(mine, "AuditEvent", patient=str(other.public_id))
    assert theirs["total"] == 0


def test_audit_event_pages_do_not_shift_while_reading_them_logs_more(users, patient, files):
    auditor = token_of(users, "medical_director")
    who = {"patient": str(patient.public_id)}
    _, first = fhir_get(auditor, "AuditEvent", _count=3, **who)
    _, second = fhir_get(auditor, "AuditEvent", _count=3, _offset=3, **who)
    valid(second)
    seen = [int(i) for i in ids(first) + ids(second)]
    assert seen == sorted(seen) and len(set(seen)) == 6
    # The rows those two pages wrote are at the end, after the second page, never before it.
    logged = AccessLog.objects.filter(object_type="access-log").values_list("pk", flat=True)
    assert min(logged) > max(seen)
    _, again = fhir_get(auditor, "AuditEvent", _count=3, _offset=3, **who)
    assert ids(again) == ids(second)
    assert again["total"] > second["total"]
    _, dated = fhir_get(auditor, "AuditEvent", date=f"ge{clinic_today().isoformat()}", _count=1)
    assert dated["total"] > 0


@pytest.mark.parametrize(
    "path, status",
    [("AuditEvent/abc", 404), ("AuditEvent/0", 404), ("AuditEvent/99999999999999999999", 404)],
)
def test_an_audit_event_id_is_a_row_number(users, clinic, path, status):
    assert fhir_get(token_of(users, "medical_director"), path)[0] == status


def test_a_bad_audit_event_search_is_refused_with_the_parameter(users, clinic):
    auditor = token_of(users, "medical_director")
    for params, name in (({"_id": "abc"}, "_id"), ({"patient": "nobody"}, "patient")):
        status, body = fhir_get(auditor, "AuditEvent", **params)
        assert status == 400, body
        assert body["issue"][0]["expression"] == [name]


def test_a_page_of_documents_or_audit_events_takes_a_handful_of_queries(
    users, patient, files, django_assert_max_num_queries
):
    for _ in range(3):
        _signed_photo_consent(patient)  # more rows of one part: no query per row
    clinician = token_of(users, "injector")
    with django_assert_max_num_queries(14):
        status, body = fhir_get(clinician, "DocumentReference", _count=100)
    assert status == 200 and body["total"] == 7
    auditor = token_of(users, "medical_director")
    with django_assert_max_num_queries(9):  # one more than before: the clinic's own rows (0047)
        status, body = fhir_get(auditor, "AuditEvent", _count=100)
    assert status == 200 and len(body["entry"]) > 10
    with django_assert_max_num_queries(10):
        status, body = fhir_get(clinician, "QuestionnaireResponse", _count=100)
    assert status == 200 and body["total"] >= 1
