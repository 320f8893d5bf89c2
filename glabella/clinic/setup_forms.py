"""The owner's set-up forms: they parse types only; `clinic.setup` decides what is allowed."""

import zoneinfo

from django import forms

from glabella.clinic.models import US_ZONES, Location, OpeningHours, Room, Service
from glabella.core.forms import DateField
from glabella.core.roles import Credential

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class IdentityForm(forms.Form):
    name = forms.CharField(label="Clinic name", max_length=150)
    phone = forms.CharField(
        label="Phone", max_length=30, required=False, help_text="On every message and PDF"
    )
    sender_name = forms.CharField(label="Emails come from (name)", max_length=100, required=False)
    sender_email = forms.EmailField(
        label="Emails come from (address)", max_length=254, required=False
    )
    main_color = forms.CharField(
        label="Main color",
        max_length=7,
        help_text="The top bar, buttons and links, e.g. #2f5d62",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    text_color = forms.CharField(
        label="Text on the main color",
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    logo = forms.FileField(
        label="Logo",
        required=False,
        help_text="PNG, JPEG or WebP, at most 512 KB",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)

    def details(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("logo", "remove_logo")}


ZONE_CHOICES = [
    ("United States", list(US_ZONES.items())),
    (
        "Everywhere",
        [
            (z, z.replace("_", " ").replace("/", ": ", 1))
            for z in sorted(zoneinfo.available_timezones())
            if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/"))
        ],
    ),
]


class LocationForm(forms.Form):
    name = forms.CharField(label="Name", max_length=150)
    address_line1 = forms.CharField(
        label="Address", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    address_line2 = forms.CharField(label="Suite, floor", max_length=200, required=False)
    city = forms.CharField(label="Town or city", max_length=100)
    state = forms.CharField(label="State", max_length=2, help_text="Two letters, e.g. CA")
    postal_code = forms.CharField(label="ZIP code", max_length=10)
    phone = forms.CharField(label="Phone", max_length=30)
    email = forms.EmailField(label="Email", max_length=254, required=False)
    time_zone = forms.ChoiceField(label="Time zone", choices=())
    directions = forms.CharField(
        label="How to find the door",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    directions_es = forms.CharField(
        label="How to find the door, in Spanish (optional)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    cancellation_window_hours = forms.IntegerField(
        label="Patients may cancel online up to (hours before)", initial=24, min_value=0
    )
    active = forms.BooleanField(label="Open (shown and bookable)", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = ZONE_CHOICES

    FIELDS = [
        "name",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "postal_code",
        "phone",
        "email",
        "time_zone",
        "directions",
        "directions_es",
        "cancellation_window_hours",
        "active",
    ]

    @classmethod
    def initial_for(cls, location) -> dict:
        return {name: getattr(location, name) for name in cls.FIELDS}


INTERVALS = 2  # per weekday: e.g. a morning and an afternoon


class HoursForm(forms.Form):
    """A week's opening hours as a table: a row per weekday, two intervals each."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day, label in OpeningHours.Weekday.choices:
            for n in range(1, INTERVALS + 1):
                for edge in ("opens", "closes"):
                    self.fields[f"{day}_{edge}_{n}"] = forms.TimeField(
                        label=f"{label} {'opens' if edge == 'opens' else 'closes'}"
                        + (" (second time)" if n > 1 else ""),
                        required=False,
                        widget=TIME,
                    )

    @staticmethod
    def initial_for(location) -> dict:
        initial, count = {}, {}
        for h in location.opening_hours.all():
            n = count[h.weekday] = count.get(h.weekday, 0) + 1
            if n <= INTERVALS:
                initial[f"{h.weekday}_opens_{n}"] = h.opens
                initial[f"{h.weekday}_closes_{n}"] = h.closes
        return initial

    def week(self) -> dict:
        data = self.cleaned_data
        return {
            day: [
                (data.get(f"{day}_opens_{n}"), data.get(f"{day}_closes_{n}"))
                for n in range(1, INTERVALS + 1)
            ]
            for day, _ in OpeningHours.Weekday.choices
        }

    def rows(self):
        """The table's rows for the template: (weekday label, [(opens, closes), ...])."""
        return [
            (
                label,
                [(self[f"{day}_opens_{n}"], self[f"{day}_closes_{n}"]) for n in range(1, 3)],
            )
            for day, label in OpeningHours.Weekday.choices
        ]


class AreasForm(forms.Form):
    areas = forms.CharField(
        label="Towns and ZIP codes served",
        required=False,
        max_length=5000,
        help_text="One per line, or separated by commas. Its own town and ZIP code are always "
        "served.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class ClosedDayForm(forms.Form):
    day = DateField(label="Closed on", widget=DATE)
    reason = forms.CharField(
        label="Why (shown to staff)", max_length=100, required=False, help_text="e.g. Thanksgiving"
    )


class RoomForm(forms.Form):
    room = forms.UUIDField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label="Room name", max_length=100)
    active = forms.BooleanField(label="In use", required=False, initial=True)


class ServiceForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    kind = forms.ChoiceField(label="Kind", choices=Service.Kind.choices)
    description = forms.CharField(
        label="Description (public)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    name_es = forms.CharField(
        label="Name in Spanish",
        max_length=100,
        required=False,
        help_text="Shown on the Spanish booking pages; empty: the name above.",
    )
    description_es = forms.CharField(
        label="Description in Spanish (public)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Empty: the description above.",
    )
    duration_minutes = forms.IntegerField(label="Length (minutes)", min_value=5, max_value=480)
    price = forms.DecimalField(
        label="Price ($)", min_value=0, max_digits=8, decimal_places=2, initial=0
    )
    buffer_before_minutes = forms.IntegerField(
        label="Preparation before (minutes)", min_value=0, max_value=120, initial=0
    )
    buffer_after_minutes = forms.IntegerField(
        label="Clean-up after (minutes)", min_value=0, max_value=120, initial=0
    )
    performer_credentials = forms.MultipleChoiceField(
        label="Who may perform it",
        choices=Credential.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    rooms = forms.MultipleChoiceField(
        label="Rooms (none: no room needed)",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    bookable_online = forms.BooleanField(label="Patients may book it online", required=False)
    lead_time_minutes = forms.IntegerField(
        label="Online bookings need notice of (minutes)", min_value=0, initial=120
    )
    horizon_days = forms.IntegerField(label="Bookable up to (days ahead)", min_value=1, initial=90)
    consultation_within_days = forms.IntegerField(
        label="Needs a consultation within (days before)",
        min_value=1,
        required=False,
        help_text="Leave empty if none is needed",
    )
    deposit_required = forms.BooleanField(label="A deposit is required", required=False)
    active = forms.BooleanField(label="Offered", required=False, initial=True)

    FIELDS = [
        "name",
        "kind",
        "description",
        "name_es",
        "description_es",
        "duration_minutes",
        "price",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "performer_credentials",
        "bookable_online",
        "lead_time_minutes",
        "horizon_days",
        "consultation_within_days",
        "deposit_required",
        "active",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Rooms reach their clinic through their location: the clinic-scoped Location manager
        # keeps the choices (and below, what a POST may name) to the clinic acting.
        rooms = Room.objects.filter(
            active=True, location__active=True, location__in=Location.objects.all()
        ).select_related("location")
        self.fields["rooms"].choices = [(str(r.public_id), str(r)) for r in rooms]

    @classmethod
    def initial_for(cls, service) -> dict:
        initial = {name: getattr(service, name) for name in cls.FIELDS}
        initial["rooms"] = [str(r.public_id) for r in service.rooms.all()]
        return initial

    def details(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "rooms"}

    def chosen_rooms(self) -> list[Room]:
        return list(
            Room.objects.filter(
                public_id__in=self.cleaned_data.get("rooms") or [],
                location__in=Location.objects.all(),
            )
        )


class PoliciesForm(forms.Form):
    """Every booking rule on one page: each location's cancellation window, each service's
    notice, horizon and consultation-within."""

    def __init__(self, *args, locations=(), services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.locations, self.services = list(locations), list(services)
        for loc in self.locations:
            self.fields[f"window_{loc.public_id}"] = forms.IntegerField(
                label=f"{loc.name}: patients may cancel or move online up to (hours before)",
                min_value=0,
                initial=loc.cancellation_window_hours,
            )
        for svc in self.services:
            self.fields[f"lead_{svc.public_id}"] = forms.IntegerField(
                label=f"{svc.name}: online notice (minutes)",
                min_value=0,
                initial=svc.lead_time_minutes,
            )
            self.fields[f"horizon_{svc.public_id}"] = forms.IntegerField(
                label=f"{svc.name}: bookable up to (days ahead)",
                min_value=1,
                initial=svc.horizon_days,
            )
            self.fields[f"within_{svc.public_id}"] = forms.IntegerField(
                label=f"{svc.name}: needs a consultation within (days; empty for none)",
                min_value=1,
                required=False,
                initial=svc.consultation_within_days,
            )

    def windows(self) -> dict:
        return {loc: self.cleaned_data[f"window_{loc.public_id}"] for loc in self.locations}

    def rules(self) -> dict:
        d = self.cleaned_data
        return {
            s: (d[f"lead_{s.public_id}"], d[f"horizon_{s.public_id}"], d[f"within_{s.public_id}"])
            for s in self.services
        }
