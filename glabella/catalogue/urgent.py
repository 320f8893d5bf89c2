"""The signs after a botulinum toxin treatment that need medical help right away (the
Medication Guide's list), and the advice, in the patient's words: the one source every page,
message and aftercare text renders from. Pure data.

Each sign is said two ways from the same entry: short, to run in one sentence (a footer, a
hint on a form, a message), and in full, as an item of a list (the aftercare text, the portal's
page). A surface that names the signs names all of them.
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


def _either(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def in_a_sentence() -> str:
    """Every sign, short, as one run: "trouble swallowing, ..., fainting or chest pain"."""
    return _either([s.short for s in SIGNS if s.short])


def as_a_list() -> list[str]:
    """Every sign in full, one item each."""
    return [s.full for s in SIGNS]


def in_full() -> str:
    """Every sign in full, as one run: "trouble swallowing, ...; ...; or chest pain"."""
    items = as_a_list()
    return "; ".join(items[:-1]) + "; or " + items[-1]


def one_line() -> str:
    """The footer's line."""
    return f"After a treatment, {in_a_sentence()} need {HELP}: {CALL}."


def if_you_have(*, waiting: bool = False) -> str:
    """The hint on a page where a patient tells us how they are."""
    wait = ", and do not wait for an answer here" if waiting else ""
    return f"If you have {in_a_sentence()}, {GET_HELP}: {CALL} now{wait}. {DO_NOT_DRIVE}"


def if_you_get() -> str:
    """The last line of a same-day or self-care answer: when to call 911 instead."""
    return f"If you get {in_a_sentence()}, {CALL} at once."


def as_a_section() -> str:
    """The full list under its heading, in Markdown, with what to do."""
    items = "\n".join(f"- {sign}" for sign in as_a_list())
    return (
        f"## {GET_HELP.capitalize()} ({CALL}) if you have\n{items}\n\n{WHEN} Call 911 or go to "
        f"the nearest emergency department, {SAY_TOXIN}, then let us know. {DO_NOT_DRIVE}"
    )
