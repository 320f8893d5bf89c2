"""The calendar's appointment card, rendered in Python: a full day of thirty providers is
hundreds of cards, and the template language takes several times longer to draw the same HTML."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag(takes_context=True)
def appointment_card(context, item: dict, can_act: bool):
    actions = ""
    if can_act and item["actions"]:
        buttons = format_html_join(
            "",
            '<button type="submit" formaction="{}{}/" class="{}">{}</button>',
            (
                (item["action_base"], slug, "link" if slug == "cancel" else "", label)
                for slug, label in item["actions"]
            ),
        )
        actions = format_html(
            '<form method="post" class="actions">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">{}</form>',
            context["csrf_token"],
            buttons,
        )
    if can_act and item.get("treat_url"):  # a decision was signed during this consultation
        actions += format_html(
            '<p class="actions"><a class="button primary" href="{}">{}</a></p>',
            item["treat_url"],
            "Treat in this visit",
        )
    room = format_html(" · {}", item["room"]) if item["room"] else ""
    return format_html(
        '<article class="appt status-{}"><p><strong>{}</strong> {}</p>'
        '<p><a href="{}">{}</a>{}</p><p class="hint">{}</p>{}</article>',
        item["status"],
        item["time"],
        item["service"],
        item["patient_url"],
        item["patient"],
        room,
        item["status_label"],
        actions,
    )
