"""What the patients app asks of the apps above it, without knowing them (Django signals).

The patient record is the desk's hub: visits, forms, decisions, treatments, photos and messages
live in apps above this one, so the record page asks them for its sections instead of importing
them. Receivers connect in their own app's `receivers.py`, imported by its AppConfig.ready.
"""

from django.dispatch import Signal

record_sections = Signal()
"""The record page is being drawn for a staff member: which sections do you add?

kwargs: `actor` (the Actor looking), `patient` (the Patient, already opened and its read logged
by the record view), `now` (aware datetime). A receiver returns a `patients.sections.Section`, a
list of them, or None (nothing for this actor). It checks the actor's capabilities itself and
reads a bounded number of rows in a fixed number of queries, whatever the patient's history.
Sent with `Signal.send`: a receiver that raises makes the page fail, as any bug would.
"""
