"""What billing announces to its own modules (and any app above it).

- `invoice_settled(invoice, now, actor)`: an invoice was just paid in full (or finalized at
  nothing owed), inside the transaction that did it; packages sold on it become usable.
"""

from django.dispatch import Signal

invoice_settled = Signal()
