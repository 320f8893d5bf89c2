"""Offences the words crawl (tests/test_crawl_words.py) knows of and leaves to another lane of
issue 19, which is rewriting the template they come from. Each entry: a regex on the URL's path,
a regex on the offence, and why it is here. The lead removes an entry once the lane that owns the
page is merged and the crawl passes without it; an entry nothing matches any more fails the crawl
(`test_every_page_speaks_us_english_on_the_clinics_clock` lists it as stale), so the list only
shrinks.
"""

ALLOWED: list[tuple[str, str, str]] = [
    # lane visit (Deliver 5) rewrites the stock page's words: the hint says "US licence number"
    # and "authorised distributors", and lots' expiry shows as ISO (inventory/stock.html).
    (r"^/staff/stock/(\?.*)?$", r"^(British spelling|ISO date)", "lane visit: stock.html"),
    # lane visit owns the lot page (inventory/lot.html): "US licence number checked", ISO days.
    (r"^/staff/stock/lots/[^/]+/$", r"^(British spelling|ISO date)", "lane visit: lot.html"),
    # lane setup rewrites the clinic overview (clinic/overview.html): the location's phone.
    (r"^/staff/clinic/$", r"^phone not in national format", "lane setup: overview.html"),
]
