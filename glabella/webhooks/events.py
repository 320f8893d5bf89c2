"""The events an integration may subscribe to, and what each one's payload says (decision 0043).

A payload carries as little of the patient as it can: the event's id, type and instant, and the
public ids of what it is about with their FHIR references (`Patient/<id>`, `Appointment/<id>`),
never a name, a date of birth or a clinical detail. A receiver that needs more reads it from
`/fhir/R4/` with its own API token, so the read passes the access door and is in the access log.
"""

import uuid
from datetime import datetime

APPOINTMENT_BOOKED = "appointment.booked"
APPOINTMENT_MOVED = "appointment.moved"
APPOINTMENT_CANCELLED = "appointment.cancelled"
TREATMENT_SIGNED = "treatment.signed"
ADVERSE_EVENT_RECORDED = "adverse-event.recorded"
INVOICE_PAID = "invoice.paid"
TEST = "test"  # sent by the owner from the endpoint's page; never subscribed to

# The type -> the words the pages use, in the order they list them.
EVENTS = {
    APPOINTMENT_BOOKED: "Appointment booked",
    APPOINTMENT_MOVED: "Appointment moved",
    APPOINTMENT_CANCELLED: "Appointment canceled",
    TREATMENT_SIGNED: "Treatment signed",
    ADVERSE_EVENT_RECORDED: "Adverse event recorded",
    INVOICE_PAID: "Invoice paid",
}
WORDS = {**EVENTS, TEST: "Test event"}


def reference(resource_type: str, public_id) -> dict:
    """A thing by its public id and, where the FHIR API serves it, its FHIR reference."""
    return {"id": str(public_id), "reference": f"{resource_type}/{public_id}"}


def payload(event_type: str, occurred_at: datetime, data: dict) -> dict:
    """One event as its receivers read it; the id is the event's, the same for every endpoint."""
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": occurred_at.isoformat().replace("+00:00", "Z"),
        "data": data,
    }


# Each `*_data` is called with its signal's kwargs (and ignores the rest of them).


def _about(**things) -> dict:
    """name=(FHIR resource type, public id) -> {name: its reference}."""
    return {name: reference(kind, public_id) for name, (kind, public_id) in things.items()}


def appointment_data(appointment, **signal) -> dict:
    return _about(
        appointment=("Appointment", appointment.public_id),
        patient=("Patient", appointment.patient.public_id),
        location=("Location", appointment.location.public_id),
    )


def treatment_data(record, **signal) -> dict:
    """A signed treatment is a FHIR Procedure; an amendment names the record it amends."""
    data = _about(
        treatment=("Procedure", record.public_id), patient=("Patient", record.patient.public_id)
    )
    if record.amends_id:
        data["amends"] = reference("Procedure", record.amends.public_id)
    return data


def adverse_event_data(event, **signal) -> dict:
    return _about(
        adverse_event=("AdverseEvent", event.public_id),
        patient=("Patient", event.patient.public_id),
        treatment=("Procedure", event.treatment.public_id),
    )


def invoice_data(invoice, **signal) -> dict:
    """Invoices have no FHIR resource here: the id is the billing API's
    (`/api/v1/billing/invoices/<id>`)."""
    return {
        "invoice": {"id": str(invoice.public_id)},
        "patient": reference("Patient", invoice.patient.public_id),
    }
