"""The demo clinic's consent texts in Spanish: the same content as the shipped English texts
(screening/consent_texts.py), written for the clinic's Spanish-speaking patients in plain
US-Latino Spanish, and published as version 1 of each kind in Spanish. A clinic writes (or has
translated) its own: these stand for what its medical director would publish.
"""

from glabella.screening.consents import ensure_default_consents

NEUROMODULATOR = (
    "Consentimiento para el tratamiento con neuromodulador",
    """\
En qué consiste el tratamiento
Un neuromodulador (toxina botulínica tipo A, como BOTOX Cosmetic, Dysport, Xeomin, Jeuveau, \
DAXXIFY o Letybo) se inyecta en pequeñas cantidades en ciertos músculos de la cara. Los debilita \
por un tiempo, y así se suavizan las líneas que se forman al moverlos. El producto y la dosis se \
eligen en mi cita y quedan anotados en mi expediente.

Qué esperar
El efecto suele empezar en pocos días y se ve completo a las dos semanas, más o menos. Se va \
perdiendo poco a poco, por lo general a los tres o cuatro meses (unos seis meses con DAXXIFY). \
Para mantener el resultado hay que repetir el tratamiento, con al menos tres meses entre una \
vez y otra.

Efectos comunes
Dolor, enrojecimiento, hinchazón o un pequeño moretón donde entró la aguja, dolor de cabeza o \
una sensación como de gripe. Por lo general son leves y se quitan en unos días.

Efectos menos comunes
Párpado caído o ceja caída, un ojo que no cierra bien, la cara o la sonrisa dispareja, o los \
ojos secos o irritados. Son temporales, pero pueden durar semanas. Si me pasa cualquiera de \
estos, avisaré a la clínica el mismo día.

Efectos raros pero graves
El efecto puede extenderse más allá de la zona tratada, desde horas hasta semanas después del \
tratamiento, y causar dificultad para tragar, hablar o respirar, debilidad muscular en todo el \
cuerpo, visión doble o borrosa, ronquera o cambio en la voz, o pérdida del control de la orina. \
También puede haber una reacción alérgica (ronchas o sarpullido fuera de los lugares de la \
inyección, hinchazón de los labios, la lengua, la cara o la garganta, silbido al respirar, \
mareo o desmayo). Si me pasa cualquiera de estas cosas, o si tengo dolor en el pecho, buscaré \
ayuda médica de inmediato (llamaré al 911) y después avisaré a la clínica. Mientras me sienta \
débil o tenga la vista cambiada, no manejaré ni haré nada que pueda ser peligroso.

Lo que le he dicho a la clínica
He contestado las preguntas de salud con la verdad y de forma completa, incluyendo mis \
medicinas, alergias, embarazo o lactancia, y cualquier tratamiento con toxina en los últimos \
cuatro meses. Avisaré a la clínica de cualquier cambio antes del tratamiento.

Otras opciones
Puedo elegir no tratarme, u otro tratamiento como un relleno dérmico, el cuidado de la piel o \
una cirugía. Mi inyector me ha explicado qué conviene para lo que me preocupa.

Resultados
Los resultados cambian de una persona a otra y no están garantizados. La clínica puede tomar \
fotos de la zona tratada para mi expediente solo si doy un consentimiento aparte para las fotos.

Mi aceptación
He leído este documento, he podido hacer preguntas y me las han contestado, y acepto el \
tratamiento. Puedo retirar mi consentimiento en cualquier momento antes del tratamiento.
""",
)

FILLER = (
    "Consentimiento para el tratamiento con relleno dérmico",
    """\
En qué consiste el tratamiento
Se inyecta bajo la piel un gel de ácido hialurónico para rellenar líneas y pliegues que se ven \
con la cara en reposo, o para devolver volumen. El producto, la cantidad y las zonas se eligen \
en mi cita y quedan anotados en mi expediente.

Qué esperar
El resultado se ve de inmediato y se asienta en dos semanas. Dura meses, según el producto y la \
zona, y el cuerpo va absorbiendo el gel poco a poco.

Efectos comunes
Hinchazón, enrojecimiento, sensibilidad, moretones o bolitas en los lugares de la inyección, \
que por lo general se quitan en una o dos semanas.

Efectos raros pero graves
El relleno puede tapar un vaso sanguíneo. Las señales son dolor, piel que se pone pálida o de \
color oscuro o morado, o un cambio en la vista, durante el tratamiento o poco después. Esto \
necesita tratamiento urgente: le avisaré a mi inyector en ese momento, o llamaré a la clínica \
o a emergencias si ya me fui. También son posibles una infección y reacciones alérgicas.

Lo que le he dicho a la clínica
He contestado las preguntas de salud con la verdad, incluyendo medicinas, alergias, \
anticoagulantes (medicinas que hacen la sangre más líquida), fuegos o herpes en los labios, y \
embarazo o lactancia.

Mi aceptación
He leído este documento, he podido hacer preguntas y me las han contestado, y acepto el \
tratamiento. Puedo retirar mi consentimiento en cualquier momento antes del tratamiento.
""",
)

PHOTO = (
    "Consentimiento para fotos clínicas",
    """\
Lo que acepto
La clínica puede tomar fotos de las zonas que trata, antes y después del tratamiento, para \
planear mi tratamiento y ver qué tan bien funcionó.

Cómo se guardan
Las fotos son parte de mi expediente clínico. Se guardan en privado como el resto del \
expediente, solo las ve el personal de la clínica que me atiende, y nunca se muestran en \
público ni se usan en publicidad sin otro consentimiento aparte.

Mi decisión
Este consentimiento es opcional: decir que no, no cambia la atención que recibo. Puedo \
retirarlo en cualquier momento; las fotos ya tomadas se quedan en mi expediente, como lo pide \
la ley, pero no se tomarán fotos nuevas.
""",
)

SPANISH = {"neuromodulator": NEUROMODULATOR, "filler": FILLER, "photo": PHOTO}


def publish_spanish_consents() -> None:
    """Version 1 of each consent in Spanish, for the kinds that have none yet in Spanish."""
    ensure_default_consents(texts=SPANISH, language="es", label="Demo clinic (Spanish text)")
