"""The public pages' words: the shipped text of each page, and the small markup it is written in.

Pure: no database. A clinic replaces any page's text from the staff pages (`SiteText` rows, the
newest per page in force); until it does, these are shown. The facts come from
../shared/CLINICAL.md; the sentences are our own.

Markup, one rule per line: a blank line ends a paragraph, a line starting `## ` is a heading, a
line starting `- ` is an item of a list. Everything is escaped; there is no raw HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from glabella.catalogue import urgent


@dataclass(frozen=True)
class PageText:
    slug: str
    title: str
    description: str  # the search engines' summary (meta description), up to 300 characters
    body: str
    nav: str  # the short name in the site's menu


DEFAULTS: tuple[PageText, ...] = (
    PageText(
        "home",
        "Wrinkle-relaxing treatment with botulinum toxin",
        "A doctor-led clinic for BOTOX Cosmetic and other neuromodulators: a consultation "
        "first, treatment in minutes, results within days that last about three to six months.",
        """Lines that come and go with expression, such as the frown between the brows, the fan
of creases beside the eyes and the lines across the forehead, can be softened with a few small
injections of a neuromodulator such as BOTOX Cosmetic.

Every treatment here starts with a consultation: we ask about your health and medicines,
look at how your face moves, and tell you honestly whether the treatment suits you. If it
does, the appointment itself takes minutes and you can go back to your day straight away.

## Why patients choose us
- A licensed clinician examines you before any treatment.
- Every dose is charted and checked against the product's labeling.
- We ask how you are the day after and again at two weeks.
- We remind you when the effect is likely to be wearing off, not before.""",
        "Home",
    ),
    PageText(
        "how-it-works",
        "How wrinkle-relaxing injections work",
        "Botulinum toxin relaxes the small muscle under an expression line by quieting the "
        "nerve signal to it, so the skin above it creases less.",
        """Many lines on the upper face are made by movement. Each time you frown, squint or
raise your brows, small muscles pull the skin into folds; over the years those folds deepen.

A neuromodulator such as BOTOX Cosmetic is injected in tiny amounts into those muscles. It
blocks the chemical message that tells the muscle to contract, so the muscle relaxes and the
skin over it smooths out. The nerves and the muscle are not harmed: over a few months the
nerve endings recover, movement returns, and the lines gradually come back.

## Cosmetic and medical uses
BOTOX Cosmetic has been used for facial lines since 2002. The same kind of medicine treats
more than twenty medical conditions, which is why its effects are so well studied.

## Lines with movement, lines at rest
Neuromodulators work on dynamic lines, the ones that appear with expression. Creases that stay
when the face is still (static lines) usually respond better to a dermal filler; the two are
often combined. Your injector will tell you which kind you have.""",
        "How it works",
    ),
    PageText(
        "areas",
        "Areas we treat",
        "Frown lines, crow's feet and forehead lines are the areas named on the product labels; "
        "see the doses each product is approved for.",
        """The three most treated areas are the vertical frown lines between the eyebrows (the
glabellar lines), the crow's feet at the outer corners of the eyes (lateral canthal lines) and
the horizontal lines across the forehead. BOTOX Cosmetic is also approved for bands on the neck.

Each product's label names the areas it is approved for and the dose for each. Your injector
plans the dose for your face within those limits; other areas are treated only after a
discussion of what is and is not on the label.

Below are the label doses, in each product's own units. Units of different products are not
interchangeable.""",
        "Areas",
    ),
    PageText(
        "what-to-expect",
        "What to expect: the appointment, the results, how long they last",
        "Treatment takes minutes, the effect shows within days and is full at about two weeks, "
        "and it usually lasts three to six months before a repeat treatment.",
        """## On the day
Your injector reviews your health questions, marks the points to treat and makes a few quick
injections with a very fine needle. Most people describe a brief pinch. The injections
themselves take a few minutes; there is no downtime, and you can go back to work or your day.

## The first two weeks
The effect starts to show within a few days and is at its fullest at about two weeks, which is
when we ask you how it went and, if you like, review the result with you.

## How long it lasts
For most people the effect lasts about three to six months; with most products it is closer to
three or four months, and with DAXXIFY often around six. Movement comes back gradually, not
overnight.

## Treating again
When you notice the lines returning, you can be treated again. Treatments are spaced at least
three months apart. Over time, regular treatment may keep lines from setting in as deeply. We
keep track of how long your treatments last and invite you back when yours is likely to be
wearing off.""",
        "What to expect",
    ),
    PageText(
        "side-effects",
        "Side effects and aftercare",
        "Common effects are mild and settle on their own; a few signs need a clinician the same "
        "day, and some need medical help right away. What to do after your treatment.",
        """Most people have no more than a little tenderness where the needle went in. The
common effects are mild and pass on their own within days:
- soreness or tenderness at the injection points
- redness or slight swelling, including of the eyelids
- a small bruise
- a headache or feeling as if a cold is coming on

## Call us the same day if you notice
- a drooping eyelid or eyebrow, or an eye that will not close
- a lopsided smile, or one side of the face moving differently from the other
- dry or irritated eyes
- swelling that grows or comes with a fever
- severe pain or a severe headache

"""
        + urgent.as_a_section()
        + """

## Aftercare
- Do not touch, rub or massage the treated area for the rest of the day.
- There is no downtime: you can go back to work and your usual day.

After your treatment we send you your own aftercare instructions and ask how you are on the
first day and at two weeks. You can also tell us at any time from the patient portal.""",
        "Side effects",
    ),
    PageText(
        "candidates",
        "Who is a good candidate",
        "Healthy adults with lines that show when they move their face are usually good "
        "candidates; a short self-check tells you what to raise at your consultation.",
        """Good candidates are healthy adults whose lines appear with expression, who are not
allergic to the product or its ingredients, and who have realistic expectations.

The treatment may not be right for you, or may need a closer look first, if you:
- have had a reaction to a botulinum toxin product, or are allergic to an ingredient (some
  products contain human albumin, one contains cow's milk protein)
- have a muscle or nerve condition such as myasthenia gravis
- have trouble swallowing or breathing, or heart disease
- take certain antibiotics, muscle relaxants or blood thinners
- have had a botulinum toxin treatment in the last four months
- are pregnant or breastfeeding (we wait until afterwards)
- have an infection where the injections would go

None of this is decided online: your consultation decides, with a clinician who has your
whole history. The self-check below asks seven questions and tells you what to mention.""",
        "Candidates",
    ),
    PageText(
        "compared",
        "Neuromodulators compared with fillers and surgery",
        "How wrinkle-relaxing injections differ from dermal fillers and from a surgical lift: "
        "what each treats, how long it lasts, and the trade-offs.",
        """## Neuromodulators and dermal fillers
A neuromodulator relaxes the muscle that makes a line when you move. A dermal filler is a gel
placed under the skin to fill a crease or restore volume, so it suits lines that are there
even when your face is still. They work differently and are often used together: a
neuromodulator for the frown, a filler for the fold that remains at rest.

## Neuromodulators and surgery
A surgical lift tightens skin and tissue and lasts for years, but it means an operation,
anesthesia, scars and weeks of recovery. Neuromodulator treatment involves no incision and no
downtime. Its effect is temporary, which is also its strength: each treatment can be adjusted
to how your face has changed since the last one.

## Which is right for you
That depends on the kind of lines you have and what you want. We will talk it through at your
consultation.""",
        "Compared",
    ),
    PageText(
        "faq",
        "Questions patients ask",
        "Answers about pain, timing, how long results last, side effects, cost of a "
        "consultation, and what happens if you are pregnant or on medication.",
        """## Does it hurt?
Most people feel a quick pinch at each point. The needle is very fine and the whole
treatment takes minutes.

## When will I see a difference?
Within a few days, with the full effect at about two weeks.

## How long does it last?
Usually three to six months, depending on the product, the area and the person. We record
how long yours lasts so that we can invite you back at the right time for you.

## Will I look frozen?
The aim is softer lines, not no movement. Your injector chooses the dose with you, within the
product's label.

## Can I go back to work?
Yes. There is no downtime; just do not touch or rub the treated area for the rest of the day.

## I am pregnant or breastfeeding. Can I be treated?
We wait until you are no longer pregnant or breastfeeding.

## I had a treatment elsewhere recently.
Tell us when it was and what was used. Treatments are spaced at least three months apart.

## Do I need a consultation first?
Yes. Every new patient sees a clinician before being treated. You can book the consultation
online.""",
        "FAQ",
    ),
)

BY_SLUG: dict[str, PageText] = {page.slug: page for page in DEFAULTS}

# Limits a clinic's own text is checked against.
TITLE_MAX = 120
DESCRIPTION_MAX = 300
BODY_MAX = 20000


def render_body(text: str) -> SafeString:
    """The markup above as HTML, every character of the text escaped."""
    html: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def close_paragraph():
        if paragraph:
            html.append("<p>" + " ".join(paragraph) + "</p>")
            paragraph.clear()

    def close_list():
        if items:
            html.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
            items.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            close_paragraph()
            close_list()
        elif line.startswith("## "):
            close_paragraph()
            close_list()
            html.append(f"<h2>{escape(line[3:].strip())}</h2>")
        elif line.startswith("- "):
            close_paragraph()
            items.append(escape(line[2:].strip()))
        elif items and raw[:1].isspace():
            items[-1] += " " + escape(line)  # an item's continuation line
        else:
            close_list()
            paragraph.append(escape(line))
    close_paragraph()
    close_list()
    return mark_safe("\n".join(html))  # noqa: S308 - every piece above is escaped


def summary(text: str, limit: int = 160) -> str:
    """The first paragraph as plain text, cut at a word: for cards that link to a page."""
    first = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            if first:
                break
            continue
        if line.startswith(("## ", "- ")):
            if first:
                break
            continue
        first.append(line)
    words = " ".join(first)
    if len(words) <= limit:
        return words
    return words[:limit].rsplit(" ", 1)[0] + "…"
