"""Forms for providers' hours and time off: they parse types only; `scheduling.hours` decides."""

from django import forms

from glabella.clinic.models import OpeningHours
from glabella.core.forms import DateField

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PARTS = (("work", "Works from", "until"), ("break", "Break from", "until"))


class WeekForm(forms.Form):
    """A provider's week at one location: per weekday, working hours and a break."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day, label in OpeningHours.Weekday.choices:
            for kind, first, second in PARTS:
                self.fields[f"{day}_{kind}"] = forms.TimeField(
                    label=f"{label}: {first.lower()}", required=False, widget=TIME
                )
                self.fields[f"{day}_{kind}_ends"] = forms.TimeField(
                    label=f"{label}: {first.lower()} … {second}", required=False, widget=TIME
                )

    @staticmethod
    def initial_for(rows) -> dict:
        initial = {}
        for r in rows:
            initial.setdefault(f"{r.weekday}_{r.kind}", r.starts)
            initial.setdefault(f"{r.weekday}_{r.kind}_ends", r.ends)
        return initial

    def week(self) -> dict:
        d = self.cleaned_data
        return {
            day: tuple((d.get(f"{day}_{k}"), d.get(f"{day}_{k}_ends")) for k, _, _ in PARTS)
            for day, _ in OpeningHours.Weekday.choices
        }

    def rows(self):
        return [
            (label, [(self[f"{day}_{k}"], self[f"{day}_{k}_ends"]) for k, _, _ in PARTS])
            for day, label in OpeningHours.Weekday.choices
        ]


class TimeOffForm(forms.Form):
    first_day = DateField(label="First day off", widget=DATE)
    last_day = DateField(
        label="Last day off", required=False, widget=DATE, help_text="Empty for one day"
    )
    starts = forms.TimeField(
        label="From (part of a day)", required=False, widget=TIME, help_text="Empty for all day"
    )
    ends = forms.TimeField(label="Until", required=False, widget=TIME)
    location = forms.ChoiceField(label="Where", required=False)
    note = forms.CharField(label="Note (for staff)", max_length=200, required=False)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, locations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.locations = {str(loc.public_id): loc for loc in locations}
        self.fields["location"].choices = [
            ("", "Everywhere"),
            *((pid, loc.name) for pid, loc in self.locations.items()),
        ]

    def details(self) -> dict:
        d = dict(self.cleaned_data)
        d["location"] = self.locations.get(d.get("location") or "")
        d.pop("confirmed", None)
        return d
