"""The signs after a botulinum toxin treatment that need medical help right away (the
Medication Guide's list), and the advice, in the patient's words: the one source every page,
message and aftercare text renders from. Pure data.

Each sign is said two ways from the same entry: short, to run in one sentence (a footer, a
hint on a form, a message), and in full, as an item of a list (the aftercare text, the portal's
page). A surface that names the signs names all of them.

Said in English and in US-Latino Spanish (issue 21): every function takes `lang` ("en" or "es",
English for any other), and `words(lang)` gives the phrases (HELP, CALL, ...) in that language;
the module's own constants are the English ones. Whoever renders passes the page's or the
patient's language (glabella.core.language).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sign:
    short: str | None  # in a sentence ("If you have ..."); None: said by the sign before it
    full: str  # as an item of a list


SIGNS: tuple[Sign, ...] = (
    Sign(
        "trouble swallowing, speaking or breathing",
        "trouble swallowing, or choking on food or drink",
    ),
    Sign(None, "trouble speaking or breathing, shortness of breath or a tight chest"),
    Sign("weakness all over", "weakness all over the body, or a head that is hard to hold up"),
    Sign("double or blurred vision", "double or blurred vision"),
    Sign("a hoarse or changed voice", "a hoarse voice, or a change in or loss of your voice"),
    Sign("loss of bladder control", "loss of bladder control"),
    Sign("hives or welts", "hives or welts"),
    Sign("a rash or swelling beyond the injection sites", "a rash beyond the injection sites"),
    Sign(
        "swelling of the lips, tongue, face or throat",
        "swelling of the lips, tongue, face or throat",
    ),
    Sign("wheezing", "wheezing"),
    Sign("dizziness", "dizziness"),
    Sign("fainting", "fainting, or nearly fainting"),
    Sign("chest pain", "chest pain"),
)

SIGNS_ES: tuple[Sign, ...] = (
    Sign(
        "dificultad para tragar, hablar o respirar",
        "dificultad para tragar, o se atraganta con la comida o la bebida",
    ),
    Sign(None, "dificultad para hablar o respirar, falta de aire u opresión en el pecho"),
    Sign(
        "debilidad en todo el cuerpo",
        "debilidad en todo el cuerpo, o le cuesta sostener la cabeza",
    ),
    Sign("visión doble o borrosa", "visión doble o borrosa"),
    Sign("ronquera o cambio en la voz", "ronquera, o un cambio en la voz o pérdida de la voz"),
    Sign("pérdida del control de la vejiga", "pérdida del control de la vejiga (de la orina)"),
    Sign("ronchas o urticaria", "ronchas o urticaria"),
    Sign(
        "sarpullido o hinchazón más allá de donde le inyectaron",
        "sarpullido más allá de donde le inyectaron",
    ),
    Sign(
        "hinchazón de los labios, la lengua, la cara o la garganta",
        "hinchazón de los labios, la lengua, la cara o la garganta",
    ),
    Sign("silbido al respirar", "silbido al respirar"),
    Sign("mareo", "mareo"),
    Sign("desmayo", "desmayo, o sentir que se va a desmayar"),
    Sign("dolor en el pecho", "dolor en el pecho"),
)

HELP = "medical help right away"
GET_HELP = f"get {HELP}"
CALL = "call 911"
CALL_NOW = "Call 911 now"
# Said when someone calls: the emergency team needs to know what was injected.
SAY_TOXIN = "say that you had a botulinum toxin injection"
WHEN = "These can appear hours to weeks after an injection."
# For someone who needs help now: whatever the sign, someone else drives, or an ambulance comes.
DO_NOT_DRIVE_YOURSELF = "Do not drive yourself."
DO_NOT_DRIVE = (
    "While you feel weak or your vision has changed, do not drive or do anything that could be "
    "dangerous, such as climbing or using machines."
)


@dataclass(frozen=True)
class Words:
    """The urgent advice's phrases in one language."""

    signs: tuple[Sign, ...]
    HELP: str
    GET_HELP: str
    CALL: str
    CALL_NOW: str
    SAY_TOXIN: str
    WHEN: str
    DO_NOT_DRIVE_YOURSELF: str
    DO_NOT_DRIVE: str
    OR: str  # the last item's joint in a run: "a, b or c"
    ONE_LINE: str  # the footer: {signs}, {help}, {call}
    IF_YOU_HAVE: str  # {signs}, {get_help}, {call}, {wait}, {do_not_drive}
    WAIT: str
    IF_YOU_GET: str  # {signs}, {call}
    SECTION: str  # {heading}, {items}, {when}, {say_toxin}, {do_not_drive}


WORDS = {
    "en": Words(
        signs=SIGNS,
        HELP=HELP,
        GET_HELP=GET_HELP,
        CALL=CALL,
        CALL_NOW=CALL_NOW,
        SAY_TOXIN=SAY_TOXIN,
        WHEN=WHEN,
        DO_NOT_DRIVE_YOURSELF=DO_NOT_DRIVE_YOURSELF,
        DO_NOT_DRIVE=DO_NOT_DRIVE,
        OR="or",
        ONE_LINE="After a treatment, {signs} need {help}: {call}.",
        IF_YOU_HAVE="If you have {signs}, {get_help}: {call} now{wait}. {do_not_drive}",
        WAIT=", and do not wait for an answer here",
        IF_YOU_GET="If you get {signs}, {call} at once.",
        SECTION=(
            "## {heading} if you have\n{items}\n\n{when} Call 911 or go to the nearest "
            "emergency department, {say_toxin}, then let us know. {do_not_drive}"
        ),
    ),
    "es": Words(
        signs=SIGNS_ES,
        HELP="ayuda médica de inmediato",
        GET_HELP="busque ayuda médica de inmediato",
        CALL="llame al 911",
        CALL_NOW="Llame al 911 ahora",
        SAY_TOXIN="diga que le pusieron una inyección de toxina botulínica",
        WHEN="Estos síntomas pueden aparecer desde horas hasta semanas después de una inyección.",
        DO_NOT_DRIVE_YOURSELF="No maneje usted.",
        DO_NOT_DRIVE=(
            "Mientras se sienta débil o tenga cambios en la vista, no maneje ni haga nada que "
            "pueda ser peligroso, como subirse a una escalera o usar máquinas."
        ),
        OR="o",
        ONE_LINE="Después de un tratamiento, si tiene {signs}, necesita {help}: {call}.",
        IF_YOU_HAVE="Si tiene {signs}, {get_help}: {call} ahora{wait}. {do_not_drive}",
        WAIT=", y no espere una respuesta aquí",
        IF_YOU_GET="Si tiene {signs}, {call} de inmediato.",
        SECTION=(
            "## {heading} si tiene\n{items}\n\n{when} Llame al 911 o vaya a la sala de "
            "emergencias más cercana, {say_toxin}, y luego avísenos. {do_not_drive}"
        ),
    ),
}


def words(lang: str = "en") -> Words:
    """The phrases in `lang` (English for a language we do not speak)."""
    return WORDS.get(lang, WORDS["en"])


def _either(items: list[str], lang: str = "en") -> str:
    joint = words(lang).OR
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {joint} " + items[-1]


def in_a_sentence(lang: str = "en") -> str:
    """Every sign, short, as one run: "trouble swallowing, ..., fainting or chest pain"."""
    return _either([s.short for s in words(lang).signs if s.short], lang)


def as_a_list(lang: str = "en") -> list[str]:
    """Every sign in full, one item each."""
    return [s.full for s in words(lang).signs]


def in_full(lang: str = "en") -> str:
    """Every sign in full, as one run: "trouble swallowing, ...; ...; or chest pain"."""
    items = as_a_list(lang)
    return "; ".join(items[:-1]) + f"; {words(lang).OR} " + items[-1]


def one_line(lang: str = "en") -> str:
    """The footer's line."""
    w = words(lang)
    return w.ONE_LINE.format(signs=in_a_sentence(lang), help=w.HELP, call=w.CALL)


def if_you_have(*, waiting: bool = False, lang: str = "en") -> str:
    """The hint on a page where a patient tells us how they are."""
    w = words(lang)
    return w.IF_YOU_HAVE.format(
        signs=in_a_sentence(lang),
        get_help=w.GET_HELP,
        call=w.CALL,
        wait=w.WAIT if waiting else "",
        do_not_drive=w.DO_NOT_DRIVE,
    )


def if_you_get(lang: str = "en") -> str:
    """The last line of a same-day or self-care answer: when to call 911 instead."""
    w = words(lang)
    return w.IF_YOU_GET.format(signs=in_a_sentence(lang), call=w.CALL)


def as_a_section(lang: str = "en") -> str:
    """The full list under its heading, in Markdown, with what to do."""
    w = words(lang)
    items = "\n".join(f"- {sign}" for sign in as_a_list(lang))
    heading = f"{w.GET_HELP[0].upper()}{w.GET_HELP[1:]} ({w.CALL})"
    return w.SECTION.format(
        heading=heading,
        items=items,
        when=w.WHEN,
        say_toxin=w.SAY_TOXIN,
        do_not_drive=w.DO_NOT_DRIVE,
    )
