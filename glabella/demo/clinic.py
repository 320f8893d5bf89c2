"""The demo clinic: one location in Thousand Oaks, CA, its rooms, services, staff and sign-ins.

`ensure_demo_clinic()` creates only what is missing, so running it twice changes nothing.
"""

from base64 import b32decode
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from glabella.clinic.areas import area_key
from glabella.clinic.models import Location, OpeningHours, Organisation, Room, Service, ServiceArea
from glabella.core.models import StaffMember
from glabella.core.roles import Credential, Role
from glabella.patients.models import Channel, Patient, Sex
from glabella.scheduling.models import WeeklyHours
from glabella.screening.consents import ensure_default_consents

DEMO_PASSWORD = "glabella-demo"  # noqa: S105 - printed for the demo; never a real account
DEMO_DOMAIN = "demo.glabella.test"
# The demo's patients with a portal account: Grace, and María José, who reads Spanish (issue 21:
# her portal, messages and documents are in Spanish).
PORTAL_PATIENTS = (
    (
        "patient",
        "Patient (portal)",
        {
            "given_name": "Grace",
            "family_name": "Holloway",
            "birth_date": date(1986, 4, 12),
            "phone": "+18055550142",
            "city": "Westlake Village",
            "postal_code": "91361",
        },
    ),
    (
        "paciente",
        "Patient (portal, in Spanish)",
        {
            "given_name": "María José",
            "family_name": "Núñez",
            "birth_date": date(1984, 9, 3),
            "phone": "+18055550177",
            "city": "Oxnard",
            "postal_code": "93030",
            "language": "es",
        },
    ),
)
# Every demo staff account signs in in two steps, the second with an authenticator app set up
# with this published key (demo only: anyone may read it), or `glabella demo-code`.
DEMO_TOTP_KEY = "GLABELLADEMOSTAFFSECONDFACTORKEY"
SERVED = [
    "Westlake Village",
    "Agoura Hills",
    "Calabasas",
    "Camarillo",
    "Ventura",
    "Oxnard",
    "Moorpark",
    "Simi Valley",
    "Newbury Park",
    "Oak Park",
    # and their ZIP codes, since the booking form asks for a home ZIP code
    "91320",
    "91360",
    "91361",
    "91377",
    "91301",
    "91302",
    "93010",
    "93012",
    "93021",
    "93063",
    "93065",
    "93001",
    "93003",
    "93030",
    "93033",
    "93035",
    "93036",
    "Port Hueneme",
    "93041",
    "93004",
]
ALL_CLINICIANS = [c.value for c in Credential]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    what: str


@dataclass(frozen=True)
class StaffSpec:
    key: str
    name: str
    role: str
    credential: str = ""
    licence: str = ""
    supervisor: str = ""


STAFF = [
    StaffSpec("owner", "Olivia Marsh", Role.OWNER),
    StaffSpec("director", "Dr. Daniel Reyes", Role.MEDICAL_DIRECTOR, Credential.MD, "A123456"),
    StaffSpec("injector", "Nina Patel", Role.INJECTOR, Credential.NP, "NP95012"),
    StaffSpec("nurse", "Rosa Alvarez", Role.INJECTOR, Credential.RN, "RN884210", "director"),
    StaffSpec("desk", "Frank Desmond", Role.FRONT_DESK),
]


def _user(email: str, *, admin: bool = False):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=email, defaults={"email": email})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.is_staff = user.is_superuser = admin  # Django admin: the owner only
        user.save()
    return user


def demo_totp_hex() -> str:
    return b32decode(DEMO_TOTP_KEY).hex()


def _demo_authenticator(user) -> None:
    """The demo staff member's authenticator app, unless they have one (or set up their own)."""
    if not TOTPDevice.objects.filter(user=user).exists():
        TOTPDevice.objects.create(
            user=user, name="Demo authenticator", key=demo_totp_hex(), confirmed=True
        )


def _working_week(member: StaffMember, location: Location, *, saturday: bool) -> None:
    """Monday to Friday 9:00-17:00 with a half-hour lunch break; some work Saturday mornings."""
    for weekday in range(5):
        WeeklyHours.objects.create(
            staff=member, location=location, weekday=weekday, starts=time(9), ends=time(17)
        )
        WeeklyHours.objects.create(
            staff=member,
            location=location,
            weekday=weekday,
            kind=WeeklyHours.Kind.BREAK,
            starts=time(12, 30),
            ends=time(13),
        )
    if saturday:
        WeeklyHours.objects.create(
            staff=member, location=location, weekday=5, starts=time(9), ends=time(13)
        )


# The demo services' names and descriptions on the Spanish pages.
SPANISH = {
    "consultation": (
        "Consulta",
        "Una conversación sobre lo que usted busca, su historial de salud y si el tratamiento "
        "es para usted; su precio se descuenta de un tratamiento reservado en los 30 días "
        "siguientes.",
    ),
    "neuromodulator": (
        "Tratamiento con neuromodulador",
        "BOTOX Cosmetic u otro neuromodulador para las líneas de expresión.",
    ),
    "dermal-filler": (
        "Relleno dérmico",
        "Relleno de ácido hialurónico para las líneas que se ven con la cara en reposo.",
    ),
    "two-week-review": (
        "Revisión a las dos semanas",
        "Revisamos el resultado dos semanas después del tratamiento.",
    ),
}


@transaction.atomic
def ensure_demo_clinic() -> tuple[Location, list[DemoLogin]]:
    org, _ = Organisation.objects.get_or_create(
        name="Conejo Aesthetic Medicine",
        defaults={
            "website": "https://example.com",
            "phone": "+18055550100",
            "sender_name": "Conejo Aesthetic Medicine",
            "sender_email": f"hello@{DEMO_DOMAIN}",
            "main_color": "#5b3a6b",
            "text_color": "#ffffff",
        },
    )
    location, created = Location.objects.get_or_create(
        slug="thousand-oaks",
        defaults=dict(
            organisation=org,
            name="Thousand Oaks",
            address_line1="2100 E Thousand Oaks Blvd",
            address_line2="Suite 200",
            city="Thousand Oaks",
            state="CA",
            postal_code="91362",
            phone="+18055550100",
            email=f"hello@{DEMO_DOMAIN}",
            directions="Free parking behind the building, entered from Hodencamp Road. The "
            "entrance faces the courtyard; take the lift or the stairs to the second floor.",
            directions_es="Estacionamiento gratis detrás del edificio, con entrada por Hodencamp "
            "Road. La puerta da al patio; suba al segundo piso por el elevador o las escaleras.",
            time_zone="America/Los_Angeles",
        ),
    )
    if created:
        for weekday in range(5):
            OpeningHours.objects.create(
                location=location, weekday=weekday, opens=time(9), closes=time(18)
            )
        OpeningHours.objects.create(location=location, weekday=5, opens=time(9), closes=time(14))
    # Every town and ZIP listed, added to a demo clinic made before the list grew.
    served = {(a.kind, a.key) for a in location.service_areas.all()}
    for label in SERVED:
        if area_key(label) not in served:
            ServiceArea.objects.create(location=location, label=label)
    rooms = {}
    for name in ("Consultation room", "Treatment room 1", "Treatment room 2"):
        rooms[name], _ = Room.objects.get_or_create(location=location, name=name)
    treatment_rooms = [rooms["Treatment room 1"], rooms["Treatment room 2"]]
    # slug, name, kind, minutes, price, online, rooms, description, then the booking rules:
    # (buffer before, buffer after, consultation needed within so many days); the name and
    # description in Spanish are in SPANISH below.
    for slug, name, kind, minutes, price, online, where, desc, rules in [
        (
            "consultation",
            "Consultation",
            Service.Kind.CONSULTATION,
            30,
            "75.00",  # credited toward a treatment booked within 30 days (the description says)
            True,
            [rooms["Consultation room"], *treatment_rooms],
            "A conversation about your goals, your health history and whether treatment suits "
            "you; its price is credited toward a treatment booked within 30 days.",
            (0, 5, None),
        ),
        (
            "neuromodulator",
            "Neuromodulator treatment",
            Service.Kind.NEUROMODULATOR,
            30,
            "350.00",
            False,
            treatment_rooms,
            "BOTOX Cosmetic or another neuromodulator for expression lines.",
            (5, 10, 365),
        ),
        (
            "dermal-filler",
            "Dermal filler",
            Service.Kind.FILLER,
            60,
            "750.00",
            False,
            treatment_rooms,
            "Hyaluronic acid filler for lines visible at rest.",
            (10, 15, 365),
        ),
        (
            "two-week-review",
            "Two-week review",
            Service.Kind.REVIEW,
            15,
            "0.00",
            False,
            [rooms["Consultation room"], *treatment_rooms],
            "A look at the result two weeks on.",
            (0, 5, None),
        ),
    ]:
        service, made = Service.objects.get_or_create(
            slug=slug,
            defaults=dict(
                organisation=org,
                name=name,
                kind=kind,
                duration_minutes=minutes,
                price=Decimal(price),
                bookable_online=online,
                description=desc,
                performer_credentials=ALL_CLINICIANS,
                buffer_before_minutes=rules[0],
                buffer_after_minutes=rules[1],
                consultation_within_days=rules[2],
                name_es=SPANISH[slug][0],
                description_es=SPANISH[slug][1],
            ),
        )
        if made:
            service.rooms.set(where)
        elif not service.name_es:  # a demo clinic made before services had Spanish names
            service.name_es, service.description_es = SPANISH[slug]
            service.save(update_fields=["name_es", "description_es"])

    logins = []
    members = {}
    for n, spec in enumerate(STAFF):
        email = f"{spec.key}@{DEMO_DOMAIN}"
        user = _user(email, admin=spec.role == Role.OWNER)
        member = StaffMember.objects.filter(user=user).first()
        if member is None:
            member = StaffMember.objects.create(
                organisation=org,
                user=user,
                full_name=spec.name,
                role=spec.role,
                credential=spec.credential,
                licence_number=spec.licence,
                licence_state="CA" if spec.licence else "",
                licence_expires=date(2028, 6, 30) if spec.licence else None,
                supervising_prescriber=members.get(spec.supervisor),
                mobile_phone=f"+1805555018{n}",
            )
            member.full_clean()
            location.staff.add(member)
            # The demo's injector is on call, so an urgent report reaches someone at once.
            if spec.key == "injector":
                location.on_call.add(member)
            if member.is_clinical:
                _working_week(member, location, saturday=spec.key == "injector")
        members[spec.key] = member
        _demo_authenticator(user)
        logins.append(
            DemoLogin(
                email,
                member.get_role_display() + (f", {member.credential}" if member.credential else ""),
            )
        )

    for local, label, fields in PORTAL_PATIENTS:
        email = f"{local}@{DEMO_DOMAIN}"
        user = _user(email)
        if not Patient.objects.filter(user=user).exists():
            patient = Patient(
                organisation=org,
                user=user,
                email=email,
                sex=Sex.FEMALE,
                state="CA",
                preferred_location=location,
                preferred_channel=Channel.EMAIL,
                email_consent=True,
                email_consent_at=timezone.now(),
                **fields,
            )
            patient.refresh_search_text()
            patient.save()
        logins.append(DemoLogin(email, label))
    # The shipped consent texts (a migration publishes them; a test database emptied between
    # tests needs them again).
    ensure_default_consents()
    return location, logins
