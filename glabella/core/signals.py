"""Signals core sends; listeners connect in their own receivers.py."""

from django.dispatch import Signal

# An account was locked after repeated failed sign-ins (sent once per lock, inside the write of
# its access-log row): `user`, `lock_id` (that row's id), `minutes` (how long the lock lasts).
account_locked = Signal()

# Who the clinic is (its name, phone and email sender) for what core draws or sends: pages,
# PDFs and emails. The clinic app answers with a `core.brand.Brand`; with no answer, the defaults.
brand_requested = Signal()
