"""The Spanish triage corpus: reports as Spanish-speaking patients in Southern California write
them, each with the urgency CLINICAL.md gives; the same groups as the English corpus
(tests/triage_corpus.py), held by the same test.

The red flags, the same-day signs and the expected effects are grouped by the symptom of
`glabella.aftercare.symptoms` they describe, so that the test can say every red flag of the
Medication Guide is read urgent in several phrasings, and for the right reason. Written with
and without accents, with the misspellings of a phone, in the words of Mexican and Central
American Spanish ("se me atora la comida", "batallo para respirar", "cuerpo cortado", "gripa").
"""

URGENT, SAME_DAY, SELF = "urgent", "review", "self_care"

# Every sign the Medication Guide says to get medical help right away for, by symptom.
RED_FLAGS_BY_SIGN = {
    "trouble_swallowing": [
        "me cuesta tragar",
        "no puedo tragar",
        "tengo dificultad para tragar",
        "se me atora la comida",
        "me atraganto cuando tomo agua",
        "me ahogo con la comida",
        "la comida se me va por otro lado",
        "toso cada vez que tomo agua",
        "no me pasa la comida",
        "me duele al tragar",
        "casi no puedo tragar las pastillas",
        "me sale el agua por la nariz cuando tomo",
        "batallo para tragar",
        "me cuesta trabajo pasar la comida",
        "se me dificulta tragar",
        "estoy babeando",
        "se me sale el agua de la boca al tomar",
    ],
    "trouble_speaking": [
        "me cuesta hablar",
        "se me traba la lengua",
        "hablo arrastrado",
        "arrastro las palabras",
        "no puedo hablar bien",
        "hablo como borracha",
        "tengo dificultad para hablar",
        "no me salen las palabras",
    ],
    "trouble_breathing": [
        "me cuesta respirar",
        "no puedo respirar",
        "me falta el aire",
        "me quedo sin aire",
        "siento que me ahogo",
        "tengo dificultad para respirar",
        "no respiro bien",
        "tengo la respiración muy agitada",
        "batallo para respirar",
        "me falta la respiración",
        "es como un ataque de asma",
    ],
    "general_weakness": [
        "debilidad en todo el cuerpo",
        "me siento débil",
        "me siento muy débil",
        "no tengo fuerzas",
        "no tengo fuerza en los brazos",
        "se me cae la cabeza",
        "no puedo sostener la cabeza",
        "me cuesta caminar",
        "las piernas no me responden",
        "no puedo levantar los brazos",
        "siento los brazos flojos",
        "me siento sin fuerzas",
        "perdí fuerza en las piernas",
    ],
    "double_vision": [
        "veo doble",
        "tengo visión doble",
        "veo todo doble",
        "estoy viendo doble",
        "veo dos de todo",
    ],
    "blurred_vision": [
        "veo borroso",
        "tengo la vista borrosa",
        "se me nubla la vista",
        "no veo bien",
        "veo todo nublado",
        "no puedo ver bien",
        "casi no veo",
        "me cuesta enfocar la vista",
        "veo como empañado",
    ],
    "hoarseness": [
        "tengo la voz ronca",
        "estoy ronca",
        "me quedé sin voz",
        "no me sale la voz",
        "se me fue la voz",
        "la voz me cambió",
        "tengo ronquera",
        "mi voz suena rara",
        "estoy afónica",
    ],
    "bladder_control": [
        "no puedo detener la orina",
        "se me sale la orina",
        "me orino sola",
        "no aguanto la orina",
        "perdí el control de la vejiga",
        "me hice pipí encima",
        "se me escapa el pipí",
        "no controlo la vejiga",
    ],
    "hives": [
        "me salieron ronchas",
        "tengo ronchas en los brazos",
        "ronchas por todo el cuerpo",
        "tengo urticaria",
        "me brotaron ronchas en la espalda",
    ],
    "rash_all_over": [
        "tengo sarpullido en todo el cuerpo",
        "me salió un salpullido en el pecho",
        "manchas rojas por todo el cuerpo",
        "tengo comezón en todo el cuerpo",
        "me pica todo el cuerpo",
        "granitos en los brazos y el pecho",
        "la piel roja en todo el cuerpo",
    ],
    "lip_tongue_throat_swelling": [
        "se me hincharon los labios",
        "tengo la lengua hinchada",
        "se me está hinchando la cara",
        "tengo la cara hinchada",
        "tengo la garganta hinchada",
        "siento la garganta cerrada",
        "se me cierra la garganta",
        "siento la lengua gruesa",
        "labios inflamados",
        "creo que me dio una reacción alérgica",
    ],
    "wheezing": [
        "tengo silbido en el pecho",
        "me silba el pecho al respirar",
        "siento un chiflido al respirar",
        "se me oye un silbido cuando respiro",
    ],
    "dizziness": [
        "estoy mareada",
        "tengo mareos",
        "me siento mareado",
        "todo me da vueltas",
        "la cabeza me da vueltas",
        "siento vértigo",
        "pierdo el equilibrio",
    ],
    "fainting": [
        "me desmayé",
        "casi me desmayo",
        "siento que me voy a desmayar",
        "perdí el conocimiento",
        "me dio un desmayo en el trabajo",
    ],
    "chest_pain": [
        "me duele el pecho",
        "dolor en el pecho",
        "siento opresión en el pecho",
        "siento presión en el pecho",
        "tengo el pecho apretado",
        "me aprieta el pecho",
    ],
}
# What a reason says of each red flag (any one of these words), in a clinician's English.
RED_FLAG_REASONS = {
    "trouble_swallowing": ("swallowing",),
    "trouble_speaking": ("speaking",),
    "trouble_breathing": ("breathing",),
    "general_weakness": ("weakness",),
    "double_vision": ("vision",),
    "blurred_vision": ("vision",),
    "hoarseness": ("voice",),
    "bladder_control": ("bladder",),
    "hives": ("hives",),
    "rash_all_over": ("beyond the injection sites", "all over the body"),
    "lip_tongue_throat_swelling": ("swelling of the", "allergic"),
    "wheezing": ("wheezing",),
    "dizziness": ("dizziness",),
    "fainting": ("fainting",),
    "chest_pain": ("chest",),
}
RED_FLAGS = [text for texts in RED_FLAGS_BY_SIGN.values() for text in texts]

# A clinician the same day, by symptom.
SAME_DAY_BY_SIGN = {
    "drooping_eyelid": [
        "se me cayó el párpado",
        "tengo el párpado caído",
        "el párpado izquierdo se me está cayendo",
        "siento el párpado pesado",
        "tengo un ojo medio cerrado",
    ],
    "drooping_brow": [
        "se me cayó la ceja",
        "tengo la ceja caída",
        "se me bajó la ceja",
        "siento la frente pesada",
    ],
    "eye_not_closing": [
        "no puedo cerrar el ojo",
        "el ojo no me cierra bien",
        "no cierro bien el ojo izquierdo",
    ],
    "lopsided_smile": [
        "tengo la sonrisa chueca",
        "se me ve la boca torcida",
        "la boca se me cae de un lado",
    ],
    "dry_eye": [
        "tengo el ojo seco",
        "siento los ojos resecos",
        "me arden los ojos",
        "tengo los ojos irritados",
        "me lloran mucho los ojos",
        "siento arena en los ojos",
    ],
    "asymmetry": [
        "una ceja me quedó más alta que la otra",
        "un lado se ve diferente",
        "la cara se me ve dispareja",
    ],
    "swelling_growing": [
        "la hinchazón está creciendo",
        "cada vez más hinchado",
        "tengo hinchazón y fiebre",
        "la hinchazón está más grande que ayer",
    ],
    "severe_pain": [
        "tengo un dolor insoportable",
        "el dolor es muy fuerte donde me inyectaron",
        "no aguanto el dolor",
    ],
    "severe_headache": [
        "tengo un dolor de cabeza muy fuerte",
        "el peor dolor de cabeza de mi vida",
        "una migraña terrible",
    ],
}
SAME_DAY_LIST = [text for texts in SAME_DAY_BY_SIGN.values() for text in texts]

# Expected and mild, in plain words: self-care.
MILD_BY_SIGN = {
    "pain": [
        "me duele un poco donde me inyectaron",
        "tengo la frente adolorida",
        "siento molestia en los piquetes",
        "me arde un poquito la frente",
        "la frente está sensible al tocarla",
    ],
    "redness": [
        "un poco rojo donde me inyectaron",
        "tengo la frente roja",
        "enrojecimiento en los piquetes",
    ],
    "swelling": [
        "un poco de hinchazón en la frente",
        "está un poquito hinchado donde me pusieron el botox",
    ],
    "bruising": [
        "tengo un moretón",
        "me salió un moretoncito en la frente",
        "un morado chiquito entre las cejas",
        "tengo moretones pequeños",
    ],
    "headache": [
        "me duele la cabeza",
        "tengo dolor de cabeza leve",
        "un dolorcito de cabeza",
        "dolor de cabeza desde ayer, ya va mejorando",
    ],
    "flu_like": [
        "me siento como con gripa",
        "tengo el cuerpo cortado",
        "un poco de escalofríos y cansancio",
        "me siento cansada",
    ],
    "eyelid_swelling": [
        "los párpados un poco hinchados",
        "tengo el párpado hinchadito",
    ],
    "itching and bumps at the sites": [
        "me da comezón en la frente",
        "me pica un poco donde me inyectaron",
        "bolitas donde me inyectaron",
        "unas bolitas que ya se están bajando",
    ],
    "nothing to report": [
        "todo bien, gracias",
        "estoy bien",
        "me siento bien",
        "sin problemas",
        "nada que reportar",
        "todo perfecto",
        "ya no puedo fruncir el ceño",
        "no puedo mover la frente",
        "tomé un Tylenol y se me quitó el dolor de cabeza",
        "respiro bien, nomás un moretón",
        "¡Todo bien! ¿Es normal un poco de comezón?",
        "no tengo nada malo, nomás me pica la frente",
    ],
}
MILD = [text for texts in MILD_BY_SIGN.values() for text in texts]

# Negation with scope: a clear denial is absent; it ends at "pero", "y", punctuation; a "no"
# that is part of what is said ("no puedo", "no me sale") denies nothing.
NEGATION = [
    ("no me cuesta respirar", SELF),
    ("no me cuesta tragar", SELF),
    ("no tengo problemas para respirar", SELF),
    ("no tengo dificultad para tragar ni para hablar", SELF),
    ("ya no tengo dolor de cabeza", SELF),
    ("sin moretones", SELF),
    ("nada de hinchazón", SELF),
    ("ni fiebre ni ronchas", SELF),
    ("no tengo ni fiebre ni ronchas", SELF),
    ("no veo doble", SELF),
    ("no estoy mareada", SELF),
    ("no me he desmayado", SELF),
    ("no tengo ronchas", SELF),
    ("no se me hincharon los labios", SELF),
    ("no tengo la lengua hinchada", SELF),
    ("no siento el pecho apretado", SELF),
    ("no me duele el pecho", SELF),
    ("ningún problema para respirar", SELF),
    ("nunca perdí el conocimiento", SELF),
    ("no tengo la vista borrosa", SELF),
    ("sin dificultad para hablar", SELF),
    ("no tengo debilidad", SELF),
    ("no se me cayó el párpado", SELF),
    ("no tengo comezón en el cuerpo", SELF),
    ("no tengo la voz ronca", SELF),
    ("no me falta el aire", SELF),
    ("tampoco tengo mareos", SELF),
    ("no tengo problemas para orinar", SELF),
    ("no tengo fiebre", SELF),
    ("sin dolor de cabeza, solo un moretón", SELF),
    ("no me duele para nada", SELF),
    ("nada de moretones ni hinchazón", SELF),
    ("ya no me siento mareada", SELF),
    ("No me cuesta respirar ni tragar, gracias", SELF),
    ("no tengo moretones pero me cuesta respirar", URGENT),
    ("sin hinchazón y veo doble", URGENT),
    ("no me duele, pero no puedo tragar", URGENT),
    ("no tengo fiebre, tengo ronchas en los brazos", URGENT),
    ("nada de dolor y se me traba la lengua", URGENT),
    ("No, me cuesta respirar", URGENT),
    ("no sé si veo borroso", URGENT),
    ("no estoy segura si tengo la voz ronca", URGENT),
    ("no tengo moretones mi voz está ronca", URGENT),
    ("nada que reportar, pero me falta el aire", URGENT),
    ("nunca me había sentido tan mareada", URGENT),
    ("sin poder tragar desde anoche", URGENT),
    ("sin hinchazón, sin fiebre, pero veo todo doble", URGENT),
    ("no tengo fiebre tengo ronchas", URGENT),
    ("no me siento bien tengo la vista borrosa", URGENT),
    ("no tengo moretones siento la lengua hinchada", URGENT),
    ("no estoy mareada estoy viendo doble", URGENT),
    ("no puedo tragar ni respirar", URGENT),
    ("no he tenido mareos ni desmayos", SELF),
    ("no siento que me falte el aire", SELF),
    ("no creo que tenga problemas para respirar", SAME_DAY),
    ("la hinchazón no baja", SAME_DAY),
    ("el moretón no se quita", SAME_DAY),
    ("no se me quita el dolor de cabeza", SAME_DAY),
    ("la hinchazón sigue igual", SAME_DAY),
    ("no me siento bien", SAME_DAY),
]

# Where it is: beyond the sites is a red flag, at the sites it is expected.
BODY_WIDE_VS_LOCAL = [
    ("comezón por todo el cuerpo", URGENT),
    ("hinchazón en toda la cara", URGENT),
    ("manchas rojas en el pecho y los brazos", URGENT),
    ("bolitas en los brazos", URGENT),
    ("un moretón en la frente y me siento débil", URGENT),
    ("el sarpullido se está extendiendo", URGENT),
    ("ronchas donde me inyectaron", SAME_DAY),
    ("tengo sarpullido", SAME_DAY),
    ("comezón en la frente", SELF),
    ("hinchazón en los piquetes", SELF),
    ("rojo en toda la frente", SELF),
    ("tengo la cara un poco hinchada alrededor de los ojos", SELF),
]

# Without accents, in capitals, misspelt as people type on a phone, or spelt as it sounds.
MISSPELLINGS = [
    ("tengo la vision borrosa", URGENT),
    ("vista borosa", URGENT),
    ("bision doble", URGENT),
    ("estoy mariada", URGENT),
    ("me desmalle", URGENT),
    ("me siento muy devil", URGENT),
    ("tengo inchazon en los labios", URGENT),
    ("me salieron ronchaz", URGENT),
    ("comeson en todo el cuerpo", URGENT),
    ("no puedo tragr", URGENT),
    ("me cuesta resirar", URGENT),
    ("me cuesta ablar", URGENT),
    ("no controlo la bejiga", URGENT),
    ("se me traba la lenga", URGENT),
    ("ME CUESTA RESPIRAR", URGENT),
    ("VEO DOBLE", URGENT),
    ("se me callo el parpado", SAME_DAY),
    ("tengo el parpado caido", SAME_DAY),
    ("dolor de cabesa", SELF),
    ("tengo un moreton", SELF),
    ("me duele la caveza", SELF),
    ("sin moreton", SELF),
]

# Several symptoms in one sentence: the worst decides.
SEVERAL = [
    ("me duele la frente, tengo un moretón y un poco de dolor de cabeza", SELF),
    ("tengo un moretón y se me cayó el párpado", SAME_DAY),
    ("dolor de cabeza y veo doble", URGENT),
    ("moretón, un poco rojo, y me cuesta tragar desde la comida", URGENT),
    ("cansada y con el cuerpo cortado, y tengo la voz ronca", URGENT),
    ("hinchado y con moretones donde me inyectaron, y los ojos secos", SAME_DAY),
    ("tengo la sonrisa chueca y me atraganto con el agua", URGENT),
    ("rojo, bolitas y comezón donde me inyectaron", SELF),
]

# Words the triage does not know: never lower, always at least a clinician with them quoted.
UNKNOWN = [
    ("siento hormigueo en la mejilla", SAME_DAY),
    ("tengo la cara entumida", SAME_DAY),
    ("me siento rara", SAME_DAY),
    ("tengo náuseas", SAME_DAY),
    ("me tiembla el ojo", SAME_DAY),
    ("no siento los labios", SAME_DAY),
    ("siento el corazón acelerado", SAME_DAY),
    ("ayuda", SAME_DAY),
    ("tengo un moretón y me siento rara", SAME_DAY),
    ("me siento mal", SAME_DAY),
    ("estoy mareada y con vómito", URGENT),
]

# English and Spanish in one note, as a patient writes on either page.
MIXED = [
    ("tengo trouble breathing", URGENT),
    ("I have ronchas on my arms", URGENT),
    ("no swelling, pero veo borroso", URGENT),
    ("my eyelid se me cayó", SAME_DAY),
    ("me duele la cabeza but just a little", SELF),
    ("a small moretón on my forehead", SELF),
    ("no fiebre, no hives", SELF),
]


def table() -> list[tuple[str, str, str]]:
    """Every phrasing as (group, text, expected urgency)."""
    rows = [("red flag", t, URGENT) for t in RED_FLAGS]
    rows += [("same day", t, SAME_DAY) for t in SAME_DAY_LIST]
    rows += [("mild", t, SELF) for t in MILD]
    for group, cases in (
        ("negation", NEGATION),
        ("body-wide vs local", BODY_WIDE_VS_LOCAL),
        ("misspelling", MISSPELLINGS),
        ("several", SEVERAL),
        ("unknown", UNKNOWN),
        ("mixed", MIXED),
    ):
        rows += [(group, text, urgency) for text, urgency in cases]
    return rows
