"""The Spanish phrasings of symptoms, as Spanish-speaking patients in Southern California write
them: the Spanish words of each word set of `phrasings` (which reads both languages with the
union of the two, so that a note may mix them) and, for each of its rules, the Spanish phrase
patterns: "me cuesta respirar", "se me atora la comida", "se me cayó el párpado", "veo doble",
"se me traba la lengua", "no puedo detener la orina", "me salieron ronchas".

Words are written here with their accents and read without them (`fold`): "moretón" and
"moreton" are one word. A few words are joined by `note_reading` before a note is read, and
appear here joined: "nopuedo" ("no puedo", "no me deja", "sin poder"), "noaguanto", "sinaire"
("sin aire", "sin aliento"), "sincontrol", "masgrande", "cadavezmas", "portodaspartes".
`ENGLISH` gives the English of the Spanish words a reason quotes, as reasons are read by
clinicians in English; `PLAIN` holds the Spanish words that carry no symptom. Pure data.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """The text without its accents (and "ñ" as "n"): how a note is read."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def words(text: str) -> frozenset[str]:
    return frozenset(fold(text).split())


def P(*parts: str) -> tuple[frozenset[str], ...]:  # a pattern, as in `phrasings`
    return tuple(words(p) for p in parts)


# ---------------------------------------------------------------- the word sets, in Spanish

DIFF = words(
    "cuesta cuestan costaba costó dificultad dificultades dificulta difícil batallo batallando "
    "batallar "
    "problema problemas apenas nopuedo duele duelen duela dolor"
)
PAIN_WORDS = words("duele duelen duela dolor")  # pain there is not inability: "me duele al caminar"
SWALLOW = words("tragar trago traga tragando tragué tragaba tragarme tragarlo tragarla deglutir")
SPEAK = words("hablar hablo habla hablando hablaba pronunciar pronuncio palabras palabra")
BREATHE = words("respirar respiro respira respirando respiré respiraba respiración")
EYE = words("ojo ojos párpado párpados")
BROW = words("ceja cejas frente entrecejo ceño")
MOUTH = words("sonrisa boca labio labios")
FACE = words("cara rostro")
CHEEK = words("mejilla mejillas cachete cachetes")
FACE_LOCAL = EYE | BROW | MOUTH | FACE | CHEEK | words("quijada mandíbula barbilla mentón")
SIDE = words("lado")
NECK_HEAD = words("cuello cabeza")
DROOP = words(
    "caído caída caídos caídas cayó cayeron cae caen cayendo caerse colgado colgada colgando "
    "pesado pesada pesados pesadas"
)
SWELL = words(
    "hinchazón hinchado hinchada hinchados hinchadas hinchó hincharon hinchar hinchando "
    "hinchándose "
    "hinchadito hinchadita inflamado inflamada inflamados inflamadas inflamación inflamó "
    "inflamaron"
)
ALLERGIC_PARTS = words("labios labio lengua garganta boca cuello")
LOCAL = words(
    "donde inyección inyecciones inyectaron inyectó inyectada inyectado inyectar piquete "
    "piquetes piquetito piquetitos pinchazo pinchazos aguja agujas sitio sitios punto puntos "
    "frente ceja cejas entrecejo ceño líneas arrugas patas gallo sien sienes párpado párpados "
    "ojo ojos pusieron"
)
SPREADING = words("extendiendo extiende extendió regando esparciendo")
BODY_WIDE = SPREADING | words(
    "cuerpo brazos brazo piernas pierna pecho estómago panza barriga espalda manos portodaspartes"
)
# "(por) todo el cuerpo", "toda la cara": the words after "todo" that make it all over.
ALL_OVER_AFTER = words("cuerpo cara piel cabeza lados partes")
SEVERE = words(
    "insoportable insoportables terrible terribles horrible horribles espantoso espantosa "
    "intenso intensa intensos severo severa severos fuertísimo fortísimo muchísimo muchísima "
    "tremendo tremenda horroroso horrorosa atroz insufrible noaguanto fuerte fuertes"
)
WORSE = SPREADING | words(
    "peor empeora empeorando empeoró crece creciendo creció aumenta aumentando aumentó "
    "masgrande cadavezmas"
)
FEVER = words("fiebre calentura temperatura febril")
NOT_BETTER = words(
    "mejora mejoran mejorado mejorando mejoró mejorar quita quitado quitando quitan baja bajado "
    "bajando bajan desinflama desinflamado desinflaman desaparece desaparecido desaparecen"
)
VERY = words("muy bien super re bastante demasiado")  # "bien hinchado", "me duele bien feo"
BAD = words("mal feo fea")
# Red or sore skin around the eyes is at the sites; the eye itself dry or watering is not.
AROUND = words("alrededor debajo cerca esquina esquinas rabillo abajo orilla")
EYE_ITSELF = words(
    "seco secos seca secas reseco resecos resequedad irritado irritados irritada irritadas "
    "irritación lloroso llorosos llorosa lagrimeo lagrimea lagrimean lagrimeando lloran arena "
    "arenosos "
    "arden"
)
# "no puedo ver ninguna diferencia" is about the treatment's result, not the patient's eyes.
NOT_EYESIGHT = words(
    "diferencia cambio cambios resultado resultados efecto mejoría ningún ninguna ningunos"
)
FROWN_PLACES = words("fruncir frunzo frente ceño entrecejo arrugas líneas")
# Said in English in a reason: "swelling of the lips", "breathing as fine".
ENGLISH = {
    fold(es): en
    for es, en in {
        "labios": "lips", "labio": "lip", "lengua": "tongue", "garganta": "throat",
        "boca": "mouth", "cuello": "neck", "vista": "vision", "visión": "vision",
        "veo": "vision", "respiro": "breathing", "respiración": "breathing",
        "respirar": "breathing", "trago": "swallowing", "tragar": "swallowing",
        "hablo": "speaking", "hablar": "speaking", "voz": "voice", "camino": "walking",
        "caminar": "walking", "comer": "eating", "bebo": "drinking", "beber": "drinking",
        "siento": "feeling", "sentir": "feeling",
    }.items()
}  # fmt: skip

# ---------------------------------------------------------------- the patterns, by rule

FOOD = (
    "comida comer comiendo agua tomar tomando tomo beber bebiendo bebo bebida bebidas líquidos "
    "pastilla"
)
SWALLOWING = (
    P("DIFF", "SWALLOW"),
    P("SWALLOW", "DIFF"),
    P("no", "pasa pasan baja", "comida agua bebida pastilla pastillas bocado"),
    P("comida agua bebida pastilla pastillas", "no", "pasa pasan baja"),
    P("DIFF", "pasar", "comida agua bocado pastilla pastillas saliva"),
)
CHOKING = (
    P("atraganto atraganté atraganta atragantando atragantó atragantarme atragantada atragantado"),
    P("atora atoro atoró atoran atorando atorada atorado atoras atoré"),
    P("ahogo ahogué ahogando ahoga ahogó", FOOD),
    P("tos toso tosiendo toser", FOOD),
    P("otro", "lado camino", FOOD),
    P(FOOD, "otro", "lado camino"),
    P("va fue van fueron", "por", "otro", "lado camino"),
    P("agua líquido líquidos bebida", "nariz"),
    P("sale salió salen escurre escurren", "agua líquido bebida comida", "boca"),
    P("babeo babeando babea"),
)
SPEAKING = (
    P("DIFF", "SPEAK"),
    P(
        "SPEAK",
        "DIFF raro rara extraño extraña arrastrado arrastrada arrastrando arrastradas lento "
        "lenta trabado trabada enredado enredada gangoso gangosa borracho borracha chistoso "
        "chistosa",
    ),
    P("arrastro arrastrando arrastrado arrastradas", "palabras"),
    P("traba trabada trabado trababa trabo", "lengua palabras"),
    P("lengua", "trabada torpe"),
    P("no", "salen sale", "palabras"),
    P("tartamudeo tartamudeando balbuceo balbuceando"),
)
VOICE = (
    P("sin perdí perdida pérdida perdiendo", "voz"),
    P("no", "sale", "voz"),
    P(
        "voz",
        "cambiada cambió cambio rara raro diferente extraña débil gangosa baja ida apagada "
        "quebrada ronca",
    ),
    P("cambió cambiado fue", "voz"),
    P("sueno", "raro rara diferente gangoso gangosa nasal ronca ronco"),
    P("ronca ronco roncas roncos ronquera afónica afónico afonía disfonía"),
)
BREATHING = (
    P("DIFF", "BREATHE"),
    P("BREATHE", "DIFF corta cortada rápida agitada entrecortada pesada dificultosa rara"),
    P("falta faltaba faltó", "aire aliento respiración"),
    P("DIFF", "jalar agarrar tomar meter", "aire"),
    P("ataque", "asma"),
    P("sinaire ahogo ahogando ahogada ahogado asfixia asfixio asfixiando sofoco jadeo asma"),
)
WHEEZE = "silbido silbidos silba silban silbando chiflido chiflidos chifla chiflando"
WHEEZING = (P(WHEEZE, "respirar respiro respiración"), P(WHEEZE, "pecho"), P("pecho", WHEEZE))
CHEST_WORDS = (
    "dolor dolores duele duelen dolía apretado apretada apretazón opresión presión pesado "
    "pesadez aprieta ardor arde punzada punzadas quema cerrado"
)
CHEST = (
    P("pecho", CHEST_WORDS),
    P(CHEST_WORDS, "pecho corazón"),
    P("infarto"),
    P("ataque", "corazón"),
)
THROAT = (
    P("garganta lengua", "cerrada cerrado cierra cerrando apretada cerrándose rara extraña"),
    P("cierra cerrando aprieta apretada", "garganta"),
    P("anafilaxia anafiláctica anafiláctico"),
    P("reacción", "alérgica alérgico"),
    P("alergia alérgica alérgico alergias"),
)
WEAKNESS = (
    P("débil débiles debilidad debilitado debilitada"),
    P("no sin perdí pérdida perdiendo falta pierdo", "fuerza fuerzas"),
    P("flojo floja flojos flojas", "brazos brazo piernas pierna cuerpo cuello"),
    P("brazos piernas cuerpo cuello", "flojo floja flojos flojas"),
)
WALKING = (
    P(
        "DIFF_ACT",
        "caminar camino andar ando pararme levantarme subir escaleras agarrar sostenerme",
    ),
    P("inestable tambaleo tambaleando tambaleándome"),
    P("DIFF_ACT", "sostener sostengo mantener", "cabeza"),
    P("DIFF_ACT", "mover muevo levantar", "brazos brazo piernas pierna cuerpo manos mano"),
    P("cabeza", "cae cayendo cuelga colgando"),
    P("cae cayendo cuelga colgando", "cabeza"),
    P("piernas pierna brazos cuerpo", "no", "responden sostienen responde sostiene"),
    P("no", "responden sostienen responde sostiene", "piernas pierna brazos cuerpo"),
)
VISION = (
    P("vista visión", "doble borrosa nublada empañada opaca turbia rara cambiada mal peor"),
    P("veo ver viendo", "doble dos borroso nublado empañado turbio"),
    P("no", "veo", "nada claro nítido"),
    P("perdí pérdida perdiendo", "vista visión"),
    P("DIFF_ACT", "enfocar enfoco", "vista ojos"),
    P("nubla nubló", "vista visión"),
    P("DIFF_ACT", "enfocar enfoco leer"),
    P("borroso borrosa borrosos borrosas borrosidad nublada nublado nubla nubló"),
)
SEEING = (P("DIFF_ACT", "ver veo"),)
BLADDER_WORDS = "orina orinar orino orinó orinando orinarme orines pipí pis vejiga"
BLADDER = (
    P(
        "DIFF_ACT noaguanto detener controlar contener retener aguantar sincontrol perdí "
        "pérdida perdiendo",
        BLADDER_WORDS,
    ),
    P("no", "controlo detengo retengo contengo aguanto", BLADDER_WORDS),
    P("perdí pérdida perdiendo", "control", BLADDER_WORDS),
    P(BLADDER_WORDS, "sincontrol"),
    P("sale salió escapa escapó salen", BLADDER_WORDS),
    P("orino oriné orinó", "encima sola solo ropa cama"),
    P("hice hizo", "pipí pis"),
    P("mojé", "encima ropa cama pantalón"),
    P("incontinencia"),
)
DIZZINESS = (
    P("mareo mareos mareada mareado mareadas mareados vértigo aturdida aturdido"),
    P("cabeza todo cuarto", "vueltas gira girando"),
    P("vueltas gira girando", "cabeza todo cuarto"),
    P("pierdo perdí perdiendo falta sin", "equilibrio balance"),
)
FAINTING = (
    P(
        "desmayo desmayos desmayé desmayarme desmayar desmaya desmayada desmayado "
        "desvanecimiento desvanecí desvanezco desvanecerme"
    ),
    P("perdí pierdo perder", "conocimiento sentido"),
)
THICK = (P("lengua labios labio garganta", "gruesa grueso gruesos gordos gorda gordo pesada"),)
HIVES = (P("ronchas roncha ronchitas habones habón urticaria"),)
RASH = (P("sarpullido salpullido erupción"), P("manchas", "rojas rojizas"))
EYE_CLOSING = (P("DIFF_ACT no", "cerrar cierra cierro cierran cerrarlo"),)
EYE_OPENING = (P("DIFF_ACT", "abrir abro abre"),)
DROOPING = (
    P("ojo párpado", "medio", "cerrado cerrada"),
    P("ceja cejas párpado párpados", "baja bajada bajado"),
)
# "se me bajó la ceja", "la ceja se me bajó" (read with no word between, and never of a
# swelling: "se me bajó la hinchazón del párpado" is good news).
DROPPED = (
    P("sebajo", "la el las los mi mis", "ceja cejas párpado párpados ojo"),
    P("ceja cejas párpado párpados ojo", "sebajo"),
)
UNEVEN = (
    P(
        "chueca chueco chuecos chuecas torcida torcido desigual dispareja disparejo disparejas "
        "asimétrica asimétrico asimetría desnivelada desnivelado"
    ),
    P("ceja cejas ojo párpado sonrisa", "más", "alta alto arriba abajo baja bajo chico chica "
      "chiquito cerrado cerrada"),
    P("lado", "diferente distinto distinta"),
)  # fmt: skip
DRY_EYE = (
    P(
        "seco secos reseco resecos resequedad irritado irritados irritación ardor arden arde "
        "pican pica comezón lloroso llorosos lagrimeo lagrimea lagrimean lloran rojo rojos "
        "enrojecidos "
        "arena arenosos",
        "ojo ojos",
    ),
    P(
        "ojo ojos",
        "seco secos resecos irritado irritados rojos rojo llorosos arden pican lloran "
        "lagrimea lagrimean arena ardor comezón enrojecidos",
    ),
)
FROWN = (P("DIFF_ACT", "fruncir frunzo mover muevo arrugar"),)
FINE = (
    P(
        "vista visión veo respiro respiración respirar trago tragar hablo hablar voz camino "
        "caminar comer bebo beber",
        "bien normal normalmente perfecto perfectamente",
    ),
)
FEELING_FINE = (P("siento sentir", "bien"),)
ITCH = (P("comezón picazón pica pican picando picor"),)
REDNESS = (
    P(
        "rojo roja rojos rojas rojito rojita enrojecido enrojecida enrojecimiento rojez rojizo "
        "rojiza colorado colorada"
    ),
)
BUMPS = (
    P("bolita bolitas bulto bultos bultito bultitos chichón chipote granito granitos grano granos"),
)
BRUISE = (
    P(
        "moretón moretones moretoncito moretito morado morada morados moradas cardenal "
        "cardenales hematoma hematomas"
    ),
)
HEADACHE = (
    P("jaqueca migraña migrañas cefalea"),
    P("dolor dolores dolorcito duele duelen duela dolía", "cabeza"),
    P("cabeza", "duele dolor punzante palpita"),
)
PAIN = (
    P(
        "dolor dolores dolorcito duele duelen duela dolía dolió adolorido adolorida dolorido "
        "dolorida molestia molestias sensible sensibles ardor arde ardía punzada punzadas "
        "punzante quemazón"
    ),
)
FLU = (
    P(
        "gripa gripe gripal resfriado resfrío catarro escalofríos escalofrío cansancio cansada "
        "cansado fatiga fatigada fatigado agotada agotado agotamiento somnolencia calentura "
        "fiebre febril temperatura"
    ),
    P("cuerpo", "cortado cortada"),
)


def _held(value: object) -> set[str]:
    if isinstance(value, frozenset):
        return set(value)
    if isinstance(value, tuple):
        return set().union(*(_held(v) for v in value))
    return set()


# Every Spanish word held above (the names of `phrasings`' word sets, in capitals, aside): the
# words a misspelling is read as when it sounds like one, and a mild one only when very close.
WORDS = frozenset(w for value in list(globals().values()) for w in _held(value) if w.islower())

# Spanish words that carry no symptom (function words, times, places on the body, medicines),
# with the words `note_reading` joins that carry none ("nomás", "dudo", "paranada"): a note made
# of these and of words read into a finding is fully read.
PLAIN = words(
    "a al el la lo los las un una unos unas uno de del en con por para que qué y e o u pero "
    "como cómo cuando cuándo donde dónde desde hasta entre sobre bajo debajo arriba abajo "
    "encima alrededor cerca dentro fuera hacia mientras porque pues si sí ya aún todavía "
    "también además muy mucho mucha muchos muchas poco poca pocos pocas poquito poquita "
    "algo algún alguna algunos algunas más menos tan tanto tanta bastante demasiado medio casi "
    "solo sólo solamente nomás apenas bien así mismo misma igual otro otra otros otras cada "
    "todo toda todos todas ambos ambas yo me mi mis tú tu te se le les nos usted ustedes él "
    "ella ellos ellas esto esta este estos estas eso esa ese esos esas aquí ahí allí acá allá "
    "es son era eran fue fueron ser sido estoy está estás están estaba estaban estado estar "
    "estuve estuvo tengo tiene tienes tienen tenía tuve tuvo tener tenido hay había he ha han "
    "has hemos hice hizo hace hacer hecho siento sientes siente sienten sentía sentí sentir "
    "sentido noto nota notado notando notar veo ve ven ver vi visto viendo parece parecen "
    "parecía puedo puede pueden podía pude pudo poder quiero quería necesito sé sabe saber "
    "creo pienso dice dijo dijeron pusieron puso poner puse aplicaron aplicó tomé tomo toma "
    "tomar tomando come comer comí va voy vas van ir iba vino viene vengo empezó empezaron "
    "comenzó comenzaron empecé sigue siguen seguir sigo queda quedó quedé quedan pasa pasó "
    "pasar pasado salió sale dio da dan duró dura lleva llevo mejor mejora mejoran mejorando "
    "mejorado bajando bajó baja quitando quitó desinflamando desinflamó desapareciendo "
    "desapareció sebajo ayudó ayudan usé uso ponerme desperté levanté hoy ayer mañana "
    "anoche noche noches tarde tardes día días semana semanas hora horas minuto minutos "
    "momento rato ratito ratos vez veces antes después luego ahora ahorita primero primera "
    "primer segundo segunda desde tiempo siempre repente botox tratamiento tratamientos "
    "inyección inyecciones inyectaron inyectó cita citas doctor doctora enfermera enfermero "
    "clínica gracias hola buenas buenos buen saludos favor pregunta preguntas duda dudas "
    "normal normales esperado esperada común mensaje consulta dosis reportar dudo sinparar "
    "paranada cara rostro frente ceja cejas entrecejo ceño ojo ojos párpado párpados labio "
    "labios lengua garganta boca pecho brazo brazos pierna piernas cuerpo espalda cuello "
    "cabeza mano manos pies dedos estómago panza barriga mejilla mejillas cachete cachetes "
    "mentón barbilla quijada mandíbula nariz sien sienes piel músculo músculos lado lados "
    "izquierdo izquierda derecho derecha parte partes sitio sitios zona zonas área punto "
    "puntos piquete piquetes piquetito pinchazo pinchazos aguja agujas patas gallo arrugas "
    "líneas pequeño pequeña pequeños pequeñas chico chica chiquito chiquita grande grandes "
    "leve leves ligero ligera ligeramente bueno buena perfecto perfecta nuevo nueva tranquila "
    "tranquilo contenta contento tylenol paracetamol acetaminofén ibuprofeno advil motrin "
    "aspirina pastilla pastillas medicina hielo compresa compresas fría frío árnica crema ok "
    "okay claro oiga disculpe perdón cosa cosas comida agua bebida bebidas beber dos tres "
    "unidades resultado resultados diferencia cambio cambios efecto suena suenan salieron "
    "brotaron brotó oye oigo escucho tocar tocarla tocarme toco trabajo vida sonrisa tenga "
    "tengas sea esté haya preguntar acuesto acostarme gente presento presenta pone ando"
)
