"""Wrinkle grades: results computed from them (pure), recorded for a treatment through the API,
never changed, and bad grades refused field by field with nothing written."""

import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from glabella.core.models import AccessLog
from glabella.outcomes import scores, services
from glabella.outcomes.models import Score
from glabella.outcomes.scores import Grade, Rater, State

C, R = State.CONTRACTION, State.REST
INJ, PAT = Rater.INJECTOR, Rater.PATIENT


def test_a_result_is_judged_at_maximum_contraction_from_baseline_to_the_first_follow_up():
    grades = [
        Grade("glabellar", C, INJ, 3, -2),
        Grade("glabellar", C, INJ, 3, 0),
        Grade("glabellar", C, PAT, 3, 0),
        Grade("glabellar", R, INJ, 1, 0),
        Grade("glabellar", R, INJ, 0, 14),  # at rest: not what is judged
        Grade("glabellar", C, INJ, 2, 7),  # too early to judge
        Grade("glabellar", C, INJ, 1, 14),
        Grade("glabellar", C, PAT, 1, 21),
        Grade("glabellar", C, INJ, 3, 30),  # a later follow-up: the first one counts
    ]
    result = scores.result("glabellar", grades)
    assert result.baseline == {INJ: 3, PAT: 3} and result.follow_up == {INJ: 1, PAT: 1}
    assert result.follow_up_day == 14 and result.improved and result.trial_responder


@pytest.mark.parametrize(
    ("before", "after", "improved", "responder"),
    [
        ({INJ: 2, PAT: 2}, {INJ: 1, PAT: 1}, True, False),  # one grade: meaningful, not a trial
        ({INJ: 3, PAT: 3}, {INJ: 1, PAT: 2}, True, False),  # two by one rater only
        ({INJ: 2, PAT: 3}, {INJ: 2, PAT: 0}, False, False),  # the injector saw no change
        ({PAT: 3}, {PAT: 2}, True, None),  # the patient alone: improved, responder unknown
        ({INJ: 3}, {}, None, None),  # no follow-up yet
    ],
)
def test_improvement_and_trial_response_are_computed(before, after, improved, responder):
    grades = [Grade("forehead", C, r, g, 0) for r, g in before.items()]
    grades += [Grade("forehead", C, r, g, 20) for r, g in after.items()]
    result = scores.result("forehead", grades)
    assert (result.improved, result.trial_responder) == (improved, responder)


def url(treatment):
    return f"/api/v1/outcomes/treatments/{treatment.public_id}/grades"


def post(client, treatment, body):
    return client.post(url(treatment), json.dumps(body), content_type="application/json")


def test_grades_recorded_through_the_api_give_the_result(client_for, treated, actor_of):
    client = client_for("injector")
    day0 = services.treated_on(treated)
    baseline = {
        "scored_on": day0.isoformat(),
        "grades": [
            {"area": "glabellar", "state": "contraction", "rater": "injector", "grade": 3},
            {"area": "glabellar", "state": "contraction", "rater": "patient", "grade": 3},
            {"area": "glabellar", "state": "rest", "rater": "injector", "grade": 1},
        ],
    }
    answer = post(client, treated, baseline)
    assert answer.status_code == 201, answer.content
    assert answer.json()["results"][0]["improved"] is None
    later = day0 + timezone.timedelta(days=14)
    follow = {
        "scored_on": later.isoformat(),
        "grades": [
            {"area": "glabellar", "state": "contraction", "rater": "injector", "grade": 1},
            {"area": "glabellar", "state": "contraction", "rater": "patient", "grade": 0},
        ],
    }
    fortnight = timezone.now() + timezone.timedelta(days=15)
    services.record(actor_of("injector"), treated, follow, now=fortnight)
    read = client_for("medical_director").get(url(treated)).json()
    assert len(read["grades"]) == 5
    result = read["results"][0]
    assert result["area"] == "glabellar" and result["follow_up_day"] == 14
    assert result["improved"] is True and result["trial_responder"] is True
    assert {e.action for e in AccessLog.objects.filter(object_type="wrinkle-grades")} == {
        "create",
        "read",
    }
    first = Score.objects.first()
    with pytest.raises(ValueError):
        first.save()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE outcomes_score SET grade = 0 WHERE id = %s", [first.pk])


def good(**changes):
    item = {"area": "glabellar", "state": "contraction", "rater": "injector", "grade": 2}
    item.update(changes)
    return item


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"grades": [good(grade=4)]}, "grades.0.grade"),
        ({"grades": [good(grade=-1)]}, "grades.0.grade"),
        ({"grades": [good(grade="2")]}, "grades.0.grade"),
        ({"grades": [good(grade=True)]}, "grades.0.grade"),
        ({"grades": [good(grade=2.5)]}, "grades.0.grade"),
        ({"grades": [good(area="neck")]}, "grades.0.area"),
        ({"grades": [good(state="asleep")]}, "grades.0.state"),
        ({"grades": [good(rater="friend")]}, "grades.0.rater"),
        ({"grades": [good(colour="red")]}, "grades.0.colour"),
        ({"grades": [good(), good()]}, "grades"),
        ({"grades": []}, "grades"),
        ({"grades": [good()] * 25}, "grades"),
        ({"grades": ["3"]}, "grades.0"),
        ({"grades": [good()], "scored_on": "2999-01-01"}, "scored_on"),
        ({"grades": [good()], "scored_on": "2001-01-01"}, "scored_on"),
        ({"grades": [good()], "scored_on": "soon"}, "scored_on"),
        ({"grades": [good()], "mood": "happy"}, "mood"),
    ],
)
def test_a_bad_grade_is_refused_by_field_and_nothing_is_written(client_for, treated, body, field):
    body = {"scored_on": services.treated_on(treated).isoformat(), **body}
    before = AccessLog.objects.count()
    answer = post(client_for("injector"), treated, body)
    assert answer.status_code == 422, answer.content
    assert field in answer.json()["error"]["fields"], answer.json()
    assert not Score.objects.exists() and AccessLog.objects.count() == before


def test_grades_are_a_clinicians_to_record_and_read(client_for, treated):
    body = {"scored_on": services.treated_on(treated).isoformat(), "grades": [good()]}
    assert post(client_for("front_desk"), treated, body).status_code == 403
    assert client_for("front_desk").get(url(treated)).status_code == 403
    assert post(client_for("patient"), treated, body).status_code == 403
    assert not Score.objects.exists()
