"""The owner's webhook form: parses types only; `services` decides what is allowed."""

from django import forms

from glabella.webhooks import events
from glabella.webhooks.models import URL_MAX_LENGTH
from glabella.webhooks.services import NAME_MAX_LENGTH


class EndpointForm(forms.Form):
    name = forms.CharField(label="What receives the events", max_length=NAME_MAX_LENGTH)
    url = forms.CharField(
        label="Address (https://…)",
        max_length=URL_MAX_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/glabella-events"}),
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=list(events.EVENTS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,  # the service says "choose at least one", on this field
    )
