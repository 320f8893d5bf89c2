"""The check-in form: parses what the patient ticked and typed into the report's shape. Its
words are in the page's language; its values (symptom codes, yes and no) are the same in every
language, so the triage reads the same report."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from glabella.aftercare import photos, symptom_words
from glabella.aftercare.symptoms import SYMPTOMS, Urgency
from glabella.catalogue import urgent
from glabella.core import language

YES_NO = [("yes", _("Yes")), ("no", _("No")), ("", _("Not sure"))]
TO_BOOL = {"yes": True, "no": False, "": None}
GROUPS = [
    (_("Common after treatment"), Urgency.SELF_CARE),
    (_("A clinician should see this today"), Urgency.REVIEW),
    (None, Urgency.URGENT),  # the catalogue's words: `_group_label`
]


def _group_label(label, urgency: Urgency) -> str:
    if label is not None:
        return str(label)
    words = urgent.words(language.current())
    return gettext("Serious: %(get_help)s (%(call)s)") % {
        "get_help": words.GET_HELP,
        "call": words.CALL,
    }


class CheckInForm(forms.Form):
    severity = forms.ChoiceField(
        label=_("How bad is it?"),
        required=False,
        choices=[("mild", _("Mild")), ("moderate", _("Moderate")), ("severe", _("Severe"))],
        widget=forms.RadioSelect,
    )
    started_on = forms.CharField(
        label=_("When did it start?"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    getting_better = forms.ChoiceField(
        label=_("Is it getting better?"), required=False, choices=YES_NO, widget=forms.RadioSelect
    )
    photo = forms.FileField(
        label=_("A photo, if it helps (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    free_text = forms.CharField(
        label=_("Anything else? In your own words"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, day: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.day = day
        for label, urgency in GROUPS:
            self.fields[f"group_{urgency.value}"] = forms.MultipleChoiceField(
                label=_group_label(label, urgency),
                required=False,
                choices=[(s.code, symptom_words.name(s)) for s in SYMPTOMS if s.urgency == urgency],
                widget=forms.CheckboxSelectMultiple,
            )
        if day >= 14:
            self.fields["effect_shows"] = forms.ChoiceField(
                label=_("Can you see the effect?"),
                required=False,
                choices=YES_NO,
                widget=forms.RadioSelect,
            )
            self.fields["satisfied"] = forms.ChoiceField(
                label=_("Are you happy with the result?"),
                required=False,
                choices=YES_NO,
                widget=forms.RadioSelect,
            )

    def symptom_groups(self):
        return [self[f"group_{u.value}"] for _, u in GROUPS]

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if upload and upload.size > photos.MAX_BYTES:  # refused before it is read
            raise forms.ValidationError(photos.too_large())
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
