"""US-Latino Spanish date and time styles, the same contexts as the English ones (formats/en).

- a date: "1 de diciembre de 2026"; an instant: "1 de diciembre de 2026, 10:13 a.m."; a time:
  "10:13 a.m." (Spanish has no settled short month, so the month is written out)
- a day heading (core_tags `longdate`): "martes, 1 de diciembre de 2026" (glabella.core.language)
- typed into a form: the same as in English (month first), so that a date means one day whatever
  the page's language; the date fields say the order they expect.
Numbers keep the US decimal point ("$12.50"), as Spanish speakers in the US read prices.
"""

DATE_FORMAT = r"j \d\e F \d\e Y"
DATETIME_FORMAT = r"j \d\e F \d\e Y, g:i a"
TIME_FORMAT = "g:i a"
MONTH_DAY_FORMAT = r"j \d\e F"
YEAR_MONTH_FORMAT = r"F \d\e Y"
SHORT_DATE_FORMAT = "m/d/Y"
SHORT_DATETIME_FORMAT = "m/d/Y g:i a"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%Y"]
FIRST_DAY_OF_WEEK = 0  # Sunday, as on a US calendar
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
