"""Offences the words crawl (tests/test_crawl_words.py) knows of and leaves to another lane of
issue 19, which is rewriting the template they come from. Each entry: a regex on the URL's path,
a regex on the offence, and why it is here. The lead removes an entry once the lane that owns the
page is merged and the crawl passes without it; an entry nothing matches any more fails the crawl
(`test_every_page_speaks_us_english_on_the_clinics_clock` lists it as stale), so the list only
shrinks.
"""

ALLOWED: list[tuple[str, str, str]] = []
