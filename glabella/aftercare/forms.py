"""The check-in form: parses what the patient ticked and typed into the report's shape."""

from django import forms

from glabella.aftercare import photos
from glabella.aftercare.symptoms import SYMPTOMS, Urgency
from glabella.catalogue import urgent

YES_NO = [("yes", "Yes"), ("no", "No"), ("", "Not sure")]
TO_BOOL = {"yes": True, "no": False, "": None}
GROUPS = [
    ("Common after treatment", Urgency.SELF_CARE),
    ("A clinician should see this today", Urgency.REVIEW),
    (f"Serious: {urgent.GET_HELP} ({urgent.CALL})", Urgency.URGENT),
]


class CheckInForm(forms.Form):
    severity = forms.ChoiceField(
        label="How bad is it?",
        required=False,
        choices=[("mild", "Mild"), ("moderate", "Moderate"), ("severe", "Severe")],
        widget=forms.RadioSelect,
    )
    started_on = forms.CharField(
        label="When did it start?", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    getting_better = forms.ChoiceField(
        label="Is it getting better?", required=False, choices=YES_NO, widget=forms.RadioSelect
    )
    photo = forms.FileField(
        label="A photo, if it helps (optional)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    free_text = forms.CharField(
        label="Anything else? In your own words",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, day: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.day = day
        for label, urgency in GROUPS:
            self.fields[f"group_{urgency.value}"] = forms.MultipleChoiceField(
                label=label,
                required=False,
                choices=[(s.code, s.label) for s in SYMPTOMS if s.urgency == urgency],
                widget=forms.CheckboxSelectMultiple,
            )
        if day >= 14:
            self.fields["effect_shows"] = forms.ChoiceField(
                label="Can you see the effect?",
                required=False,
                choices=YES_NO,
                widget=forms.RadioSelect,
            )
            self.fields["satisfied"] = forms.ChoiceField(
                label="Are you happy with the result?",
                required=False,
                choices=YES_NO,
                widget=forms.RadioSelect,
            )

    def symptom_groups(self):
        return [self[f"group_{u.value}"] for _, u in GROUPS]

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if upload and upload.size > photos.MAX_BYTES:  # refused before it is read
            raise forms.ValidationError(photos.TOO_LARGE)
        return upload

    def photo_bytes(self) -> bytes | None:
        """The uploaded photo's bytes; the service checks that they are a photo."""
        upload = self.cleaned_data.get("photo")
        return upload.read() if upload else None

    def to_raw(self) -> dict:
        data = self.cleaned_data
        symptoms = [c for _, u in GROUPS for c in data.get(f"group_{u.value}", [])]
        raw = {
            "symptoms": symptoms,
            "severity": data.get("severity") or "",
            "started_on": data.get("started_on") or None,
            "getting_better": TO_BOOL.get(data.get("getting_better") or ""),
            "free_text": data.get("free_text", ""),
        }
        if self.day >= 14:
            raw["effect_shows"] = TO_BOOL.get(data.get("effect_shows") or "")
            raw["satisfied"] = TO_BOOL.get(data.get("satisfied") or "")
        return raw
