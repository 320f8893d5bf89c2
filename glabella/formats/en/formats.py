"""US English date and time styles: one style per context, used by `|date` and `|time`.

- a date: ``{{ d|date }}`` -> "Dec 1, 2026"
- an instant: ``{{ dt|date:"DATETIME_FORMAT" }}`` -> "Dec 1, 2026, 10:13 AM" (in the active zone)
- a time of day: ``{{ dt|time }}`` -> "10:13 AM"
- a day heading: ``{{ d|longdate }}`` (core_tags) -> "Tuesday, December 1, 2026"
- within a year: ``{{ d|date:"MONTH_DAY_FORMAT" }}`` -> "Dec 1"; a month: "December 2026"
- typed into a form: "12/01/2026"
"""

DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y, g:i A"
TIME_FORMAT = "g:i A"
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "m/d/Y"
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"
FIRST_DAY_OF_WEEK = 0  # Sunday
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
