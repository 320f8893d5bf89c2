"""What billing announces to its own modules (and any app above it).

- `invoice_settled(invoice, now, actor)`: an invoice was just paid in full (or finalized at
  nothing owed), inside the transaction that did it; packages sold on it become usable.
- `invoice_voided(invoice, number, now, actor)`: an open invoice was just voided, inside the
  transaction that did it; an unpaid package sold on it goes, and a month's fee takes back its
  unspent credit.
"""

from django.dispatch import Signal

invoice_settled = Signal()
invoice_voided = Signal()
