"""What typed text may hold: no control characters beyond tab, newline and carriage return."""

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
