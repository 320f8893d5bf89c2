"""What the portal shows a signed-in patient of their own care, read only through the access door
(`restrict(actor)`: a patient's own rows and nothing else): appointments, treatment history,
photos, the next expected treatment; and "download my data" as JSON and PDF.

Each read that shows health data writes its access-log row here, so the views stay thin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from glabella.aftercare.models import CheckIn, Report
from glabella.billing.models import Invoice, Membership, PatientPackage
from glabella.catalogue.areas import PLAIN_AREA_NAMES, any_area_name
from glabella.catalogue.products import PRODUCT_NAMES
from glabella.core import audit, phones, styles
from glabella.core.access import Actor
from glabella.core.pdf import Pages
from glabella.outcomes.models import Forecast, Photo, Score
from glabella.outcomes.services import session_units, treated_on
from glabella.patients.models import Allergy, Channel, Condition, Medication, Patient
from glabella.scheduling import notices
from glabella.scheduling.models import Appointment, Status
from glabella.screening.models import ConsentWithdrawal, IntakeResponse, SignedConsent
from glabella.treatments.models import TreatmentRecord


@dataclass(frozen=True)
class Visit:
    appointment: Appointment
    manage_url: str


def upcoming(actor: Actor, now: datetime) -> list[Visit]:
    """The patient's booked appointments from now on, each with its manage link (move or
    cancel within the location's policy)."""
    rows = (
        Appointment.objects.restrict(actor)
        .filter(status=Status.BOOKED, starts_at__gte=now)
        .select_related("service", "location", "provider")
        .order_by("starts_at")[:20]
    )
    return [Visit(a, notices.manage_url(a)) for a in rows]


@dataclass(frozen=True)
class Session:
    record: TreatmentRecord
    day: date
    product: str
    lot: str
    areas: list[tuple[str, Decimal]]  # (area's name, units), amendments included

    @property
    def total(self) -> Decimal:
        return sum((units for _, units in self.areas), Decimal(0))


def history(actor: Actor, patient: Patient) -> list[Session]:
    """The patient's signed treatments, newest first: day, product, lot, units per area."""
    sessions = _sessions(actor, limit=200)
    audit.record_patient(
        actor, audit.Action.READ, patient, object_type=audit.Kind.TREATMENT_HISTORY
    )
    return sessions


def _sessions(actor: Actor, limit: int | None = None) -> list[Session]:
    """Signed treatments, newest first; the page shows the last `limit`, the export all."""
    originals = list(
        TreatmentRecord.objects.restrict(actor)
        .filter(locked_at__isnull=False, amends__isnull=True)
        .select_related("appointment", "patient__preferred_location", "vial__lot")
        .order_by("-appointment__starts_at")[:limit]
    )
    units = session_units(originals)
    return [
        Session(
            record,
            treated_on(record),
            PRODUCT_NAMES.get(record.product, record.product),
            record.vial.lot.lot_number if record.vial_id else "",
            [
                (PLAIN_AREA_NAMES.get(area, area), amount)
                for area, amount in sorted(units.get(record.pk, {}).items())
            ],
        )
        for record in originals
    ]


def photos(actor: Actor, patient: Patient) -> list[Photo]:
    rows = list(
        Photo.objects.restrict(actor).defer("data", "thumbnail").order_by("-taken_on", "view")
    )
    if rows:
        audit.record_patient(
            actor, audit.Action.READ, patient, object_type=audit.Kind.CLINICAL_PHOTO
        )
    return rows


def next_treatment(actor: Actor) -> Forecast | None:
    """The current forecast of the patient's newest treatment: when its effect is likely to
    wear off, with the interval."""
    return (
        Forecast.objects.restrict(actor)
        .filter(current=True)
        .select_related("location", "treatment__appointment__service", "patient")
        .order_by("-treated_on")
        .first()
    )


# ---------------------------------------------------------------- download my data


def _day(value) -> str | None:
    return value.isoformat() if value else None


def _units(value: Decimal) -> str:
    """Units as people write them: 20, 2.5 (not 20.00)."""
    return format(value.normalize(), "f")


ADVICE = {
    "self_care": gettext_lazy("care at home"),
    "review": gettext_lazy("a clinician to call the same day"),
    "urgent": gettext_lazy("urgent care"),
}


def my_data(actor: Actor, patient: Patient, now: datetime | None = None) -> dict:
    """Everything the clinic holds about the patient that the patient may see, as plain data.
    Photos are listed (view, day); their images are in the portal."""
    now = now or timezone.now()
    own = {
        "allergies": Allergy,
        "conditions": Condition,
        "medications": Medication,
    }
    data: dict = {
        "exported_at": now.isoformat(),
        "patient": {
            "id": str(patient.public_id),
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "preferred_name": patient.preferred_name,
            "birth_date": _day(patient.birth_date),
            "sex": patient.sex,
            "email": patient.email,
            "phone": patient.phone,
            "address": {
                "line1": patient.address_line1,
                "line2": patient.address_line2,
                "city": patient.city,
                "state": patient.state,
                "postal_code": patient.postal_code,
            },
            "pregnancy_status": patient.pregnancy_status,
            "breastfeeding_status": patient.breastfeeding_status,
        },
        "communication": {
            "preferred_channel": patient.preferred_channel,
            "email_allowed": patient.email_consent,
            "texts_allowed": patient.sms_consent,
            "marketing_allowed": patient.marketing_consent,
        },
    }
    for name, model in own.items():
        data[name] = [
            {"name": row.name, "active": row.active, "source": row.source}
            for row in model.objects.restrict(actor).order_by("name")
        ]
    data["appointments"] = [
        {
            "id": str(a.public_id),
            "service": a.service.name,
            "location": a.location.name,
            "starts_at": a.starts_at.isoformat(),
            "status": a.status,
        }
        for a in Appointment.objects.restrict(actor)
        .select_related("service", "location")
        .order_by("starts_at")
    ]
    data["intake_answers"] = [
        {"submitted_at": r.submitted_at.isoformat(), "via": r.via, "answers": r.answers}
        for r in IntakeResponse.objects.restrict(actor).order_by("submitted_at")
    ]
    withdrawn = {
        w.consent_id: w.at for w in ConsentWithdrawal.objects.restrict(actor).only("consent", "at")
    }
    data["consents"] = [
        {
            "kind": c.document.kind,
            "document": c.document.title,
            "version": c.document.version,
            "signed_at": c.signed_at.isoformat(),
            "withdrawn_at": withdrawn[c.pk].isoformat() if c.pk in withdrawn else None,
        }
        for c in SignedConsent.objects.restrict(actor)
        .select_related("document")
        .defer("pdf", "strokes")
        .order_by("signed_at")
    ]
    data["treatments"] = [
        {
            "id": str(s.record.public_id),
            "day": s.day.isoformat(),
            "product": s.product,
            "lot": s.lot,
            "areas": [{"area": area, "units": _units(units)} for area, units in s.areas],
            "total_units": _units(s.total),
        }
        for s in _sessions(actor)  # logged once, as the export below
    ]
    data["check_ins"] = [
        {"day": c.day, "due_at": c.due_at.isoformat(), "status": c.status}
        for c in CheckIn.objects.restrict(actor).order_by("due_at")
    ]
    data["reports"] = [
        {
            "submitted_at": r.submitted_at.isoformat(),
            "symptoms": r.symptoms,
            "severity": r.severity,
            "effect_shows": r.effect_shows,
            "satisfied": r.satisfied,
            "advice": r.urgency,
            "your_words": r.free_text,
        }
        for r in Report.objects.restrict(actor).order_by("submitted_at")
    ]
    data["wrinkle_grades"] = [
        {
            "area": s.area,
            "state": s.state,
            "rater": s.rater,
            "grade": s.grade,
            "scale": f"{s.scale} {s.scale_version}",
            "day_after_treatment": s.day,
            "scored_on": s.scored_on.isoformat(),
        }
        for s in Score.objects.restrict(actor).order_by("scored_on", "area")
    ]
    data["photos"] = [
        {"view": p.view, "taken_on": p.taken_on.isoformat(), "day_after_treatment": p.day}
        for p in Photo.objects.restrict(actor).defer("data", "thumbnail").order_by("taken_on")
    ]
    data.update(_money(actor))
    found = next_treatment(actor)
    data["next_treatment"] = (
        {
            "likely_from": found.low_on.isoformat(),
            "expected_on": found.wear_off_on.isoformat(),
            "likely_until": found.high_on.isoformat(),
        }
        if found
        else None
    )
    audit.record_patient(actor, audit.Action.EXPORT, patient, object_type=audit.Kind.MY_DATA)
    return data


def _money(actor: Actor) -> dict:
    """Her invoices (with their lines and payments; a card's last four, never more), her
    packages and her memberships, as the export carries them."""
    invoices = list(
        Invoice.objects.restrict(actor)
        .exclude(status=Invoice.Status.OPEN)
        .select_related("location")
        .prefetch_related("lines", "payments")
        .order_by("created_at", "id")
    )
    return {
        "invoices": [
            {
                "number": i.number,
                "status": i.status,
                "location": i.location.name,
                "finalized_at": i.finalized_at.isoformat() if i.finalized_at else None,
                "currency": i.currency,
                "total": str(i.total),
                "lines": [
                    {"description": line.description, "amount": str(line.amount)}
                    for line in i.lines.all()
                ],
                "payments": [
                    {
                        "method": p.get_method_display(),
                        "amount": str(p.amount),
                        "card_last4": p.card_last4,
                        "taken_at": p.taken_at.isoformat(),
                    }
                    for p in i.payments.all()
                ],
            }
            for i in invoices
        ],
        "packages": [
            {
                "name": p.plan.name,
                "bought": _units(p.units),
                "left": _units(p.balance),
                "status": p.status,
                "expires_on": p.expires_on.isoformat() if p.expires_on else None,
            }
            for p in PatientPackage.objects.restrict(actor).select_related("plan").order_by("id")
        ],
        "memberships": [
            {
                "name": m.plan.name,
                "status": m.status,
                "started_on": m.started_on.isoformat(),
                "credit_left": _units(m.credit_balance),
            }
            for m in Membership.objects.restrict(actor).select_related("plan").order_by("id")
        ],
    }


def _label(choices, value: str) -> str:
    """A stored choice in words (lower case, as it runs in a sentence); an unknown one as is."""
    try:
        return str(choices(value).label).lower()
    except ValueError:
        return value


def my_data_pdf(data: dict, zone) -> bytes:
    """The same data laid out for reading and printing, times on the clinic's clock, in the
    language active (the view builds it in the patient's)."""

    def local(instant: str) -> str:
        return styles.instant(datetime.fromisoformat(instant), zone)

    def on(value: str | None) -> str:
        """An ISO day or instant of the export, as the day it was on the clinic's clock."""
        if not value:
            return "-"
        if len(value) == 10:
            return styles.day(date.fromisoformat(value))
        return styles.day(datetime.fromisoformat(value), zone)

    person = data["patient"]
    name = f"{person['given_name']} {person['family_name']}"
    exported = on(data["exported_at"])
    pages = Pages(
        _("%(name)s: records") % {"name": name},
        _("%(name)s, exported %(day)s") % {"name": name, "day": exported},
        created=datetime.fromisoformat(data["exported_at"]),
    )
    pages.text(_("Your records: %(name)s") % {"name": name}, font="F2", size=16, gap=6)
    pages.text(
        _("Born %(day)s. Email %(email)s.")
        % {"day": on(person["birth_date"]), "email": person["email"] or "-"},
        gap=4,
    )
    pages.text(_("Phone %(phone)s.") % {"phone": phones.display(person["phone"]) or "-"}, gap=8)

    def section(title: str, lines: list[str]) -> None:
        pages.text(title, font="F2", size=12.5, gap=2)
        for line in lines or [_("None.")]:
            pages.text(line, gap=1)
        pages.y -= 8

    prefs = data["communication"]
    channel = _label(Channel, prefs["preferred_channel"])
    allowed, refused = _("allowed"), _("not allowed")
    section(
        _("How we contact you"),
        [
            _(
                "Preferred: %(channel)s; email %(email)s; texts %(texts)s; news and offers "
                "%(offers)s."
            )
            % {
                "channel": channel,
                "email": allowed if prefs["email_allowed"] else refused,
                "texts": allowed if prefs["texts_allowed"] else refused,
                "offers": _("yes") if prefs["marketing_allowed"] else _("no"),
            }
        ],
    )
    for key, title in (
        ("allergies", _("Allergies")),
        ("conditions", _("Conditions")),
        ("medications", _("Medications")),
    ):
        section(
            title,
            [
                row["name"] if row["active"] else _("%(name)s (no longer)") % {"name": row["name"]}
                for row in data[key]
            ],
        )
    section(
        _("Appointments"),
        [
            _("%(when)s - %(service)s at %(location)s (%(status)s)")
            % {
                "when": local(a["starts_at"]),
                "service": a["service"],
                "location": a["location"],
                "status": _label(Status, a["status"]),
            }
            for a in data["appointments"]
        ],
    )
    section(
        _("Treatments"),
        [
            _("%(day)s: %(product)s, lot %(lot)s; %(areas)s (total %(total)s U)")
            % {
                "day": on(t["day"]),
                "product": t["product"],
                "lot": t["lot"] or "-",
                "areas": "; ".join(
                    f"{any_area_name(a['area'])} {a['units']} U" for a in t["areas"]
                ),
                "total": t["total_units"],
            }
            for t in data["treatments"]
        ],
    )
    section(
        _("Consents"),
        [
            (
                _("%(document)s (version %(version)s), signed %(signed)s, withdrawn %(withdrawn)s")
                if c["withdrawn_at"]
                else _("%(document)s (version %(version)s), signed %(signed)s")
            )
            % {
                "document": c["document"],
                "version": c["version"],
                "signed": on(c["signed_at"]),
                "withdrawn": on(c["withdrawn_at"]),
            }
            for c in data["consents"]
        ],
    )
    section(
        _("Your reports after treatment"),
        [
            _("%(day)s: %(symptoms)s; advice given: %(advice)s")
            % {
                "day": on(r["submitted_at"]),
                "symptoms": ", ".join(r["symptoms"]) or _("no symptoms"),
                "advice": ADVICE.get(r["advice"], r["advice"]),
            }
            for r in data["reports"]
        ],
    )
    section(
        _("Wrinkle grades"),
        [
            _("%(day)s %(area)s (%(state)s, by the %(rater)s): grade %(grade)s")
            % {
                "day": on(g["scored_on"]),
                "area": any_area_name(g["area"]),
                "state": g["state"],
                "rater": g["rater"],
                "grade": g["grade"],
            }
            for g in data["wrinkle_grades"]
        ],
    )
    section(
        _("Intake questionnaires"),
        [
            _("Answered %(day)s (%(via)s)") % {"day": on(r["submitted_at"]), "via": r["via"]}
            for r in data["intake_answers"]
        ],
    )
    section(
        _("Photos"),
        [
            _("%(day)s: %(view)s view") % {"day": on(p["taken_on"]), "view": p["view"]}
            for p in data["photos"]
        ],
    )
    section(
        _("Invoices"),
        [
            _("Invoice %(number)s (%(status)s), %(day)s at %(location)s: %(total)s")
            % {
                "number": i["number"],
                "status": _label(Invoice.Status, i["status"]),
                "day": on(i["finalized_at"]),
                "location": i["location"],
                "total": f"${Decimal(i['total']):,.2f}",
            }
            for i in data["invoices"]
        ],
    )
    section(
        _("Packages and membership"),
        [
            _("%(name)s: %(left)s of %(bought)s left (%(status)s)")
            % {
                "name": p["name"],
                "left": p["left"],
                "bought": p["bought"],
                "status": _label(PatientPackage.Status, p["status"]),
            }
            for p in data["packages"]
        ]
        + [
            _("%(name)s membership since %(day)s (%(status)s): %(left)s units of credit left")
            % {
                "name": m["name"],
                "day": on(m["started_on"]),
                "status": _label(Membership.Status, m["status"]),
                "left": m["credit_left"],
            }
            for m in data["memberships"]
        ],
    )
    nxt = data["next_treatment"]
    section(
        _("Next treatment"),
        [_("Likely due around %(day)s.") % {"day": on(nxt["expected_on"])}] if nxt else [],
    )
    return pages.bytes()
