"""The consent documents glabella ships with: a starting point each clinic's medical director
reads, adapts and publishes as its own version. Written for glabella, in plain words.

The documents are the clinic's texts, published per language (a Spanish version is a document of
its own); only the off-label paragraph, which glabella adds to a text, is translated here (its
catalogue), into the language of the text it is added to."""

from django.utils.translation import gettext_noop

NEUROMODULATOR = (
    "Consent to neuromodulator treatment",
    """\
What the treatment is
A neuromodulator (botulinum toxin type A, such as BOTOX Cosmetic, Dysport, Xeomin, Jeuveau, \
DAXXIFY or Letybo) is injected in small amounts into chosen facial muscles. It weakens them for \
a time so that the lines their movement makes soften. The product and the dose are chosen at \
my visit and written in my record.

What to expect
The effect usually begins within a few days and is fullest after about two weeks. It wears off \
gradually, usually after three to four months (about six months for DAXXIFY). Keeping the \
result means repeat treatments, at least three months apart.

Common effects
Soreness, redness, swelling or a small bruise where the needle went in, a headache or a \
flu-like feeling. These are usually mild and pass within days.

Less common effects
A drooping eyelid or brow, an eye that will not close, an uneven look or a lopsided smile, or \
dry or irritated eyes. These are temporary but may last weeks. I will tell the clinic the same \
day if any of them happens.

Rare but serious effects
The effect can spread beyond the treated area, hours to weeks after treatment, and cause \
trouble swallowing, speaking or breathing, muscle weakness all over the body, double or blurred \
vision, a hoarse or changed voice, or loss of bladder control. An allergic reaction (hives or a \
rash beyond the injection sites, swelling of the lips, tongue, face or throat, wheezing, \
dizziness or fainting) is also possible. If any of these happens, or I have chest pain, I will \
get medical help right away (call 911) and then tell the clinic. While I feel weak or my vision \
has changed I will not drive or do anything that could be dangerous.

What I have told the clinic
I have answered the health questions truthfully and completely, including my medicines, \
allergies, pregnancy or breastfeeding, and any toxin treatment in the last four months. I will \
tell the clinic about any change before treatment.

Alternatives
I may choose no treatment, or another treatment such as a dermal filler, skin care or surgery. \
My injector has explained what suits my concerns.

Results
Results differ from person to person and are not guaranteed. The clinic may photograph the \
treated area for my record only if I give separate consent to photographs.

My agreement
I have read this document, I have been able to ask questions and have had them answered, and I \
agree to be treated. I may withdraw my consent at any time before treatment.
""",
)

FILLER = (
    "Consent to dermal filler treatment",
    """\
What the treatment is
A hyaluronic acid gel is injected under the skin to fill lines and folds that show at rest, or \
to restore volume. The product, the amount and the areas are chosen at my visit and written in \
my record.

What to expect
The result shows at once and settles over two weeks. It lasts months, depending on the product \
and the area, and the body slowly absorbs the gel.

Common effects
Swelling, redness, tenderness, bruising or small lumps at the injection sites, usually passing \
within one to two weeks.

Rare but serious effects
Filler can block a blood vessel. Signs are pain, blanching or a dusky color of the skin, or a \
change in vision, during or soon after treatment. These need urgent treatment: I will tell my \
injector at once, or call the clinic or emergency services after I leave. Infection and \
allergic reactions are also possible.

What I have told the clinic
I have answered the health questions truthfully, including medicines, allergies, blood \
thinners, cold sores and pregnancy or breastfeeding.

My agreement
I have read this document, I have been able to ask questions and have had them answered, and I \
agree to be treated. I may withdraw my consent at any time before treatment.
""",
)

PHOTO = (
    "Consent to clinical photographs",
    """\
What I agree to
The clinic may take photographs of the areas it treats, before and after treatment, to plan my \
treatment and to see how well it worked.

How they are kept
The photographs are part of my clinical record. They are kept private like the rest of it, seen \
only by the clinic's staff who care for me, and never shown publicly or used in advertising \
without a further, separate consent.

My choice
This consent is optional: saying no does not change the care I receive. I may withdraw it at \
any time; photographs already taken stay in my record, as the law requires, but no new ones \
will be taken.
""",
)

DEFAULTS = {"neuromodulator": NEUROMODULATOR, "filler": FILLER, "photo": PHOTO}

# Added as its own paragraph to the treatment consent when the patient's candidacy decision
# allows an area off the product's label; {areas} names them. Kept apart from the documents'
# texts, which the medical director may publish anew.
OFF_LABEL = (
    gettext_noop("Use outside the label"),
    gettext_noop(
        """\
The FDA has approved these products for certain facial areas only. My prescriber has decided, \
after examining me, that I may also be treated in: {areas}. This is called off-label use: it is \
legal and common, but the product's maker has not studied it for these areas and the FDA has \
not reviewed it there, so less is known about the right dose and how often side effects happen. \
My prescriber has explained why it suits me, what else I could choose, and that the same \
serious effects described above can happen. I agree to off-label treatment in these areas."""
    ),
)
