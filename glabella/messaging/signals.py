"""What messaging tells the apps above it, without knowing them (Django signals).

Sent with `Signal.send` (never `send_robust`), the InboundText model as sender, so a receiver's
exception propagates and rolls the text back (the gateway then delivers it again). Receivers
connect in their own app's `receivers.py`, imported by its AppConfig.ready.
"""

from django.dispatch import Signal

text_received = Signal()
"""A patient texted the clinic's number: what does an app above make of it?

kwargs: `text` (the new InboundText, `text.patient` the one patient whose phone it came from;
never sent for a text matched to nobody or for STOP, START and HELP, which messaging answers
itself), `words` (its body folded: trimmed, spaces squeezed, casefolded), `actor` (the patient
as the text's sender), `now`. Sent inside the text's transaction, after its row and audit entry
are written, with `send_robust`: the gateway never sends a text again, so a receiver's failure
must not lose it. Each receiver writes inside its own savepoint (`transaction.atomic()`, never
`write_transaction`), so a receiver that raises leaves nothing half-written; the failure is
logged and the text stays unread for the desk.

Each receiver answers None when the text is not for it, or a sentence in the desk's words of what
it did ("Confirmed her visit on ..."), kept on the text; the first receiver that takes the text
says so and the others see `text.handled_as` set and answer None (scheduling: "C" confirms her
next visit awaiting confirmation; aftercare: a reply while a check-in is open is its answer).
"""
