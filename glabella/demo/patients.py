"""Synthetic patients for the demo and benchmarks: deterministic for a seed, plausible, fictional.

Patient i of seed s is always the same person, so loading again creates only the ones missing.
Phones use the 555 exchange and emails example.com, so no real person is ever contacted.
"""

import random
import uuid
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from faker import Faker

from glabella.clinic.models import Location
from glabella.patients.models import (
    Allergy,
    BreastfeedingStatus,
    Channel,
    Condition,
    Medication,
    Patient,
    PregnancyStatus,
    Sex,
)
from glabella.patients.search import search_key, sort_key

BATCH = 2000
AREA_CODES = ("805", "818", "747", "661")
CITIES = [
    ("Thousand Oaks", "91360"),
    ("Thousand Oaks", "91362"),
    ("Westlake Village", "91361"),
    ("Agoura Hills", "91301"),
    ("Calabasas", "91302"),
    ("Camarillo", "93010"),
    ("Ventura", "93003"),
    ("Oxnard", "93030"),
    ("Moorpark", "93021"),
    ("Simi Valley", "93065"),
]
ALLERGIES = [
    ("Penicillin", "Rash", Allergy.Severity.MODERATE),
    ("Latex", "Itching", Allergy.Severity.MILD),
    ("Sulfa drugs", "Hives", Allergy.Severity.MODERATE),
    ("Shellfish", "Swelling", Allergy.Severity.SEVERE),
    ("Cow's milk protein", "Hives", Allergy.Severity.MODERATE),
    ("Lidocaine", "Rash", Allergy.Severity.MILD),
    ("Human albumin", "", Allergy.Severity.UNKNOWN),
]
CONDITIONS = [
    "Migraine",
    "Hypothyroidism",
    "Hypertension",
    "Asthma",
    "Dry eye",
    "Rosacea",
    "Myasthenia gravis",
    "Atrial fibrillation",
]
MEDICATIONS = [
    ("Levothyroxine", "50 mcg daily"),
    ("Sertraline", "50 mg daily"),
    ("Lisinopril", "10 mg daily"),
    ("Aspirin", "81 mg daily"),
    ("Oral contraceptive", "daily"),
    ("Cyclobenzaprine", "10 mg as needed"),
    ("Apixaban", "5 mg twice daily"),
    ("Sumatriptan", "50 mg as needed"),
]
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def _birth_date(rng: random.Random, registered: date) -> date:
    # Most neuromodulator patients are 25 to 60 when they first come; a few younger and older.
    age = min(85, max(18, int(rng.gauss(42, 11))))
    return registered - timedelta(days=age * 366 + rng.randrange(365))


def build_patient(
    index: int, rng: random.Random, fake: Faker, today: date, location: Location | None
):
    public_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    female = rng.random() < 0.86
    given = fake.first_name_female() if female else fake.first_name_male()
    family = fake.last_name()
    phone = (
        f"+1{rng.choice(AREA_CODES)}555{rng.randrange(10000):04d}" if rng.random() < 0.95 else ""
    )
    email = f"{given}.{family}.{index}@example.com".lower().replace(" ", "").replace("'", "")
    city, postal = rng.choice(CITIES)
    sms = bool(phone) and rng.random() < 0.6
    created = EPOCH + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
    born = _birth_date(rng, created.date())
    patient = Patient(
        organisation_id=location.organisation_id,
        public_id=public_id,
        given_name=given,
        family_name=family,
        birth_date=born,
        sex=Sex.FEMALE if female else Sex.MALE,
        email=email,
        phone=phone,
        address_line1=fake.street_address(),
        city=city,
        state="CA",
        postal_code=postal,
        preferred_location=location,
        preferred_channel=Channel.SMS if sms and rng.random() < 0.5 else Channel.EMAIL,
        # About 3 in 10 read Spanish (Ventura County); drawn from the id, so that the names,
        # contacts and history drawn from `rng` stay what they were.
        language="es" if public_id.int % 10 < 3 else "en",
        email_consent=True,
        email_consent_at=created,
        sms_consent=sms,
        sms_consent_at=created if sms else None,
        marketing_consent=rng.random() < 0.35,
        created_at=created,
        updated_at=created,
    )
    if female and (today - born).days < 45 * 365 and rng.random() < 0.7:
        patient.pregnancy_status = rng.choices(
            [PregnancyStatus.NOT_PREGNANT, PregnancyStatus.PREGNANT, PregnancyStatus.TRYING],
            weights=[94, 3, 3],
        )[0]
        patient.pregnancy_recorded_on = created.date()
        patient.breastfeeding_status = rng.choices(
            [BreastfeedingStatus.NO, BreastfeedingStatus.YES], weights=[95, 5]
        )[0]
        patient.breastfeeding_recorded_on = created.date()
    patient.search_text = search_key(given, family, "", phone[2:], email)
    patient.family_sort, patient.given_sort = sort_key(family), sort_key(given)
    entries = []
    if rng.random() < 0.25:
        name, reaction, severity = rng.choice(ALLERGIES)
        entries.append(
            Allergy(
                patient=patient,
                name=name,
                reaction=reaction,
                severity=severity,
                recorded_at=created,
            )
        )
    if rng.random() < 0.2:
        entries.append(Condition(patient=patient, name=rng.choice(CONDITIONS), recorded_at=created))
    if rng.random() < 0.35:
        name, dose = rng.choice(MEDICATIONS)
        entries.append(Medication(patient=patient, name=name, dose=dose, recorded_at=created))
    return patient, entries


def load_patients(
    count: int, seed: int, today: date, location: Location | None, progress=None
) -> int:
    """Creates the first `count` synthetic patients of `seed` that are missing; returns how many."""
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    created = 0
    for start in range(0, count, BATCH):
        batch = [
            build_patient(i, rng, fake, today, location)
            for i in range(start, min(count, start + BATCH))
        ]
        ids = [p.public_id for p, _ in batch]
        existing = set(
            Patient.objects.filter(public_id__in=ids).values_list("public_id", flat=True)
        )
        fresh = [(p, e) for p, e in batch if p.public_id not in existing]
        if fresh:
            with transaction.atomic():
                Patient.objects.bulk_create([p for p, _ in fresh])
                saved = {
                    p.public_id: p.pk
                    for p in Patient.objects.filter(
                        public_id__in=[p.public_id for p, _ in fresh]
                    ).only("id", "public_id")
                }
                by_kind: dict[type, list] = {}
                for patient, entries in fresh:
                    for entry in entries:
                        entry.patient_id = saved[patient.public_id]
                        by_kind.setdefault(type(entry), []).append(entry)
                for model, rows in by_kind.items():
                    model.objects.bulk_create(rows)
            created += len(fresh)
        if progress:
            progress(min(count, start + BATCH), created)
    return created
