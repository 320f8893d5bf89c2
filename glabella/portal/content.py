"""The public pages' words: the shipped text of each page in English and in Spanish, and the
small markup it is written in.

Pure: no database. A clinic replaces any page's text, language by language, from the staff pages
(`SiteText` rows, the newest per page and language in force); until it does, these are shown.
The facts come from ../shared/CLINICAL.md; the sentences are our own, in each language (the
Spanish is written for patients here, not translated line by line).

Markup, one rule per line: a blank line ends a paragraph, a line starting `## ` is a heading, a
line starting `- ` is an item of a list. Everything is escaped; there is no raw HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
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


def _spanish() -> tuple[PageText, ...]:
    """The shipped text in Spanish (the list of urgent signs in the catalogue's Spanish, so it is
    built when asked for, with Spanish active)."""
    with translation.override("es"):
        urgent_section = urgent.as_a_section("es")
    return (
        PageText(
            "home",
            "Tratamiento con toxina botulínica para relajar las arrugas",
            "Una clínica dirigida por médicos para BOTOX Cosmetic y otros neuromoduladores: "
            "primero una consulta, un tratamiento de minutos y resultados en pocos días que duran "
            "de tres a seis meses más o menos.",
            """Las líneas que aparecen y desaparecen con los gestos, como el ceño entre las cejas,
las patas de gallo junto a los ojos y las líneas de la frente, se pueden suavizar con unas pocas
inyecciones pequeñas de un neuromodulador como BOTOX Cosmetic.

Todo tratamiento aquí empieza con una consulta: le preguntamos por su salud y sus medicinas,
vemos cómo se mueve su cara y le decimos con honestidad si el tratamiento le conviene. Si le
conviene, la cita misma dura unos minutos y puede volver a sus actividades enseguida.

## Por qué nos eligen nuestros pacientes
- Un profesional con licencia revisa su caso antes de cualquier tratamiento.
- Anotamos cada dosis y la comparamos con lo que indica la etiqueta del producto.
- Le preguntamos cómo se siente al día siguiente y otra vez a las dos semanas.
- Le avisamos cuando es probable que el efecto se esté pasando, no antes.""",
            "Inicio",
        ),
        PageText(
            "how-it-works",
            "Cómo funcionan las inyecciones que relajan las arrugas",
            "La toxina botulínica relaja el pequeño músculo que está debajo de una línea de "
            "expresión al calmar la señal del nervio, y así la piel de encima se arruga menos.",
            """Muchas líneas de la parte de arriba de la cara se forman con el movimiento. Cada vez
que frunce el ceño, entrecierra los ojos o levanta las cejas, unos músculos pequeños jalan la piel
y la doblan; con los años, esos pliegues se hacen más profundos.

Un neuromodulador como BOTOX Cosmetic se inyecta en cantidades muy pequeñas en esos músculos.
Bloquea el mensaje químico que le dice al músculo que se contraiga: el músculo se relaja y la
piel de encima se alisa. Ni los nervios ni el músculo sufren daño: en unos meses las terminaciones
de los nervios se recuperan, el movimiento vuelve y las líneas regresan poco a poco.

## Usos cosméticos y médicos
BOTOX Cosmetic se usa para las líneas de la cara desde 2002. El mismo tipo de medicina trata más
de veinte problemas de salud; por eso sus efectos están tan bien estudiados.

## Líneas con movimiento, líneas en reposo
Los neuromoduladores actúan sobre las líneas dinámicas, las que aparecen con los gestos. Las
arrugas que se quedan cuando la cara está quieta (líneas estáticas) suelen responder mejor a un
relleno dérmico; muchas veces se combinan los dos. Quien le trate le dirá qué tipo de líneas
tiene.""",
            "Cómo funciona",
        ),
        PageText(
            "areas",
            "Áreas que tratamos",
            "Las líneas del entrecejo, las patas de gallo y las líneas de la frente son las áreas "
            "que nombran las etiquetas de los productos; vea la dosis aprobada de cada producto.",
            """Las tres áreas que más se tratan son las líneas verticales entre las cejas (el
entrecejo o líneas glabelares), las patas de gallo en la esquina de los ojos (líneas cantales
laterales) y las líneas horizontales de la frente. BOTOX Cosmetic también está aprobado para las
bandas del cuello.

La etiqueta de cada producto nombra las áreas para las que está aprobado y la dosis de cada una.
Quien le trate planea la dosis para su cara dentro de esos límites; otras áreas se tratan solo
después de hablar con usted de lo que la etiqueta incluye y lo que no.

Abajo están las dosis de la etiqueta, en las unidades propias de cada producto. Las unidades de
productos distintos no se pueden cambiar unas por otras.""",
            "Áreas",
        ),
        PageText(
            "what-to-expect",
            "Qué esperar: la cita, los resultados y cuánto duran",
            "El tratamiento dura minutos, el efecto se nota en unos días y está completo a las dos "
            "semanas más o menos; suele durar de tres a seis meses antes de repetirlo.",
            """## El día de la cita
Quien le trate repasa sus respuestas sobre su salud, marca los puntos a tratar y pone unas
inyecciones rápidas con una aguja muy fina. La mayoría de las personas siente un pellizco breve.
Las inyecciones duran unos minutos; no hay tiempo de recuperación y puede volver al trabajo o a
sus actividades.

## Las primeras dos semanas
El efecto empieza a notarse en pocos días y llega a su punto máximo a las dos semanas más o
menos. Es entonces cuando le preguntamos cómo le fue y, si usted quiere, revisamos juntos el
resultado.

## Cuánto dura
Para la mayoría de las personas el efecto dura de tres a seis meses; con casi todos los productos
se acerca más a tres o cuatro meses, y con DAXXIFY muchas veces a unos seis. El movimiento vuelve
poco a poco, no de un día para otro.

## Volver a tratarse
Cuando note que las líneas regresan, puede tratarse otra vez. Entre un tratamiento y otro pasan
por lo menos tres meses. Con el tiempo, el tratamiento regular puede evitar que las líneas se
marquen tanto. Anotamos cuánto le dura el efecto y le invitamos a volver cuando es probable que
se esté pasando.""",
            "Qué esperar",
        ),
        PageText(
            "side-effects",
            "Efectos secundarios y cuidados después del tratamiento",
            "Los efectos comunes son leves y se quitan solos; algunas señales necesitan a un "
            "profesional el mismo día, y otras, ayuda médica de inmediato. Qué hacer después de su "
            "tratamiento.",
            """La mayoría de las personas no siente más que un poco de molestia donde entró la
aguja. Los efectos comunes son leves y se quitan solos en unos días:
- dolor o sensibilidad en los puntos de inyección
- enrojecimiento o un poco de hinchazón, también de los párpados
- un moretón pequeño
- dolor de cabeza, o sentirse como cuando viene un resfriado

## Llámenos el mismo día si nota
- un párpado caído o una ceja caída, o un ojo que no se cierra
- una sonrisa torcida, o un lado de la cara que se mueve distinto del otro
- ojos secos o irritados
- hinchazón que crece o que viene con fiebre
- dolor fuerte o un dolor de cabeza fuerte

"""
            + urgent_section
            + """

## Cuidados después del tratamiento
- No se toque, no se frote y no se dé masaje en el área tratada por el resto del día.
- No hay tiempo de recuperación: puede volver al trabajo y a sus actividades de siempre.

Después de su tratamiento le enviamos sus propias instrucciones de cuidado y le preguntamos cómo
se siente al día siguiente y a las dos semanas. También puede avisarnos en cualquier momento desde
el portal del paciente.""",
            "Efectos secundarios",
        ),
        PageText(
            "candidates",
            "Quién es buen candidato",
            "Los adultos sanos con líneas que aparecen al mover la cara suelen ser buenos "
            "candidatos; una autoevaluación corta le dice qué mencionar en su consulta.",
            """Son buenos candidatos los adultos sanos con líneas que aparecen con los gestos, que
no tienen alergia al producto ni a sus ingredientes y que esperan resultados realistas.

Puede que el tratamiento no sea para usted, o que haya que revisarlo con más cuidado primero, si
usted:
- ha tenido una reacción a un producto de toxina botulínica, o tiene alergia a alguno de sus
  ingredientes (algunos productos contienen albúmina humana y uno contiene proteína de leche de
  vaca)
- tiene una enfermedad de los músculos o de los nervios, como la miastenia gravis
- tiene dificultad para tragar o para respirar, o una enfermedad del corazón
- toma ciertos antibióticos, relajantes musculares o medicinas para hacer la sangre más ligera
  (anticoagulantes)
- recibió un tratamiento con toxina botulínica en los últimos cuatro meses
- está embarazada o dando pecho (esperamos hasta después)
- tiene una infección donde irían las inyecciones

Nada de esto se decide en línea: lo decide su consulta, con un profesional que conoce toda su
historia. La autoevaluación de abajo hace siete preguntas y le dice qué mencionar.""",
            "Candidatos",
        ),
        PageText(
            "compared",
            "Neuromoduladores comparados con rellenos y cirugía",
            "En qué se diferencian las inyecciones que relajan las arrugas de los rellenos "
            "dérmicos y de un estiramiento con cirugía: qué trata cada uno, cuánto dura y qué se "
            "gana y se pierde con cada uno.",
            """## Neuromoduladores y rellenos dérmicos
Un neuromodulador relaja el músculo que forma una línea cuando usted mueve la cara. Un relleno
dérmico es un gel que se pone debajo de la piel para llenar un pliegue o devolver volumen; por eso
sirve para las líneas que siguen ahí aunque la cara esté quieta. Funcionan de forma distinta y
muchas veces se usan juntos: un neuromodulador para el ceño y un relleno para el pliegue que queda
en reposo.

## Neuromoduladores y cirugía
Un estiramiento con cirugía tensa la piel y los tejidos y dura años, pero significa una
operación, anestesia, cicatrices y semanas de recuperación. El tratamiento con un neuromodulador
no lleva cortes ni tiempo de recuperación. Su efecto es temporal, y eso también es una ventaja:
cada tratamiento se puede ajustar a cómo ha cambiado su cara desde el anterior.

## Cuál le conviene
Depende del tipo de líneas que tenga y de lo que usted busque. Lo hablamos en su consulta.""",
            "Comparación",
        ),
        PageText(
            "faq",
            "Preguntas de los pacientes",
            "Respuestas sobre el dolor, cuándo se notan y cuánto duran los resultados, los efectos "
            "secundarios, el costo de la consulta y qué pasa si está embarazada o toma medicinas.",
            """## ¿Duele?
La mayoría de las personas siente un pellizco rápido en cada punto. La aguja es muy fina y todo el
tratamiento dura unos minutos.

## ¿Cuándo voy a notar la diferencia?
En pocos días, y el efecto completo a las dos semanas más o menos.

## ¿Cuánto dura?
Por lo general de tres a seis meses, según el producto, el área y la persona. Anotamos cuánto le
dura a usted para invitarle a volver en el momento que le conviene.

## ¿Mi cara se va a ver congelada?
Lo que buscamos son líneas más suaves, no quitar todo el movimiento. Quien le trate elige la dosis
con usted, dentro de lo que indica la etiqueta del producto.

## ¿Puedo volver al trabajo?
Sí. No hay tiempo de recuperación; solo no se toque ni se frote el área tratada por el resto del
día.

## Estoy embarazada o dando pecho. ¿Me pueden tratar?
Esperamos hasta que ya no esté embarazada ni dando pecho.

## Hace poco me trataron en otro lugar.
Díganos cuándo fue y qué producto le pusieron. Entre un tratamiento y otro pasan por lo menos tres
meses.

## ¿Necesito una consulta primero?
Sí. Todo paciente nuevo ve a un profesional antes de recibir un tratamiento. Puede hacer su cita
para la consulta en línea.""",
            "Preguntas",
        ),
    )


def defaults(language: str = settings.LANGUAGE_CODE) -> dict[str, PageText]:
    """Our own text of each page, by slug, in `language` (English for a language we have not
    written)."""
    if language == "es":
        return {page.slug: page for page in _spanish()}
    return BY_SLUG


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
