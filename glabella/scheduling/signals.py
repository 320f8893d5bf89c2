"""What scheduling tells other apps about bookings, without knowing them (Django signals).

Every signal is sent with `Signal.send` (never `send_robust`), the Appointment model as sender,
so a receiver's exception propagates to the caller. Receivers connect in their own app's
`receivers.py`, imported by its AppConfig.ready, and run in INSTALLED_APPS order.
"""

from django.dispatch import Signal

booking_requested = Signal()
"""A patient is about to be booked (or moved) for a service at a time: the prerequisite check.

kwargs: `service` (clinic Service), `patient` (Patient, unsaved when an online booking registers
a new patient), `start` (aware datetime). Sent by `book` and `reschedule` before their
transaction opens, after scheduling's own checks. A receiver refuses by raising ValidationFailed;
nothing is then written and the caller sees the error (screening: a current candidacy decision).
"""

treatment_clearance_asked = Signal()
"""Was a decision signed for this visit that lets it go on as a treatment? (a question, no write)

kwargs: `appointment` (a consultation Appointment), `now`. Each receiver answers None when a
decision it knows of covers the visit, or a sentence saying why not; scheduling reads the answers
from `send`'s return value, and with no answer at all the visit is not cleared (screening: a
current candidacy decision signed on the consultation's day that allows a treatment).
"""

appointment_booked = Signal()
"""An appointment was booked.

kwargs: `appointment` (the new Appointment), `now`. Sent inside the booking's transaction, after
the row, its audit entry and the patient's notice are written; a receiver that raises rolls the
booking back (screening sends the forms link for a consultation).
"""

appointment_moved = Signal()
"""A booked appointment moved to another time (or provider or room).

kwargs: `appointment` (the moved Appointment), `previous` (its former start), `now`. Sent inside
the move's transaction, after the row, its audit entry and the patient's notice are written; a
receiver that raises rolls the move back.
"""

appointment_cancelled = Signal()
"""An appointment was cancelled, by the patient or by the clinic.

kwargs: `appointment` (the cancelled Appointment, its status saying by whom), `now`. Sent inside
the cancellation's transaction, after the row, its audit entry and the patient's notice are
written; a receiver that raises rolls the cancellation back.
"""

describe_visits = Signal()
"""The calendar is about to show these visits: what do the apps above know about each?

kwargs: `appointments` (a list of dicts with `public_id`, `patient_id` (the patient's row id),
`service_kind` and `starts_at`), `today` (the location's date), `zone` (its zone). Each
receiver returns a dict mapping an appointment's public_id to a dict of what it adds
(screening: `forms`, a list of (label, done) pairs for the health questions and the consents
the visit needs). Receivers read in a fixed number of queries whatever the number of visits;
the calendar merges their answers.
"""

forms_for_visit = Signal()
"""What the patient still has to fill in before a booked visit (the confirmation page's
"fill in your forms now" step), asked of whoever knows the forms.

kwargs: `appointment` (the Appointment), `now`. A receiver answers a dict: `url` (a path on
this site that opens the patient's forms, already signed for them) and `done` (True when
nothing is left to fill in), or None when it has nothing to say. It writes nothing.
"""

booking_policy = Signal()
"""What the clinic asks a patient to agree to when booking (its cancellation policy), asked by
the booking page, the confirmation page and the booking messages.

kwargs: `service` (the clinic Service, or None), `location` (the Location, or None). A receiver
answers a dict: `text` (the clinic's own words, may be empty), `fees` (sentences naming the
fees) and `cards` (sentences about a deposit or a saved card; empty while card payments are
off), or None when it has nothing to say. It writes nothing.
"""

payment_for_visit = Signal()
"""The confirmation page's card step (a deposit to pay or a card to save), asked of whoever
takes payments.

kwargs: `appointment`, `now`. A receiver answers a dict: `heading`, `text`, `done` (True when
nothing is left to do), `action` (a path on this site the page's button posts to) and
`button`, or None when it asks nothing (always None while card payments are off). It writes
nothing.
"""
