"""The clinic's screening policy: which clinic-policy rules are on (`policies_off`) and which
label precautions need review before a decision (`needs_review`: the label's defaults until the
medical director changes one). `set_policy` and `set_review` change them, each a new row with
its audit row, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.core.text import CONTROL
from glabella.screening import rules
from glabella.screening.actors import actor_label
from glabella.screening.models import (
    PolicyChange,
    ReviewSetting,
)

Action = audit.Action


def policies_off() -> frozenset[str]:
    """Clinic-policy rules the medical director has switched off (the latest change per rule)."""
    off = set()
    seen = set()
    for rule_id, enabled in PolicyChange.objects.order_by("-at", "-id").values_list(
        "rule_id", "enabled"
    ):
        if rule_id in seen:
            continue
        seen.add(rule_id)
        if not enabled:
            off.add(rule_id)
    return frozenset(off & rules.POLICY_RULES)


@dataclass(frozen=True)
class PolicyState:
    rule: rules.Rule
    enabled: bool
    last: PolicyChange | None


def policy_states() -> list[PolicyState]:
    latest: dict[str, PolicyChange] = {}
    for change in PolicyChange.objects.select_related("changed_by").order_by("-at", "-id"):
        latest.setdefault(change.rule_id, change)
    return [
        PolicyState(
            rule, latest[rule.id].enabled if rule.id in latest else True, latest.get(rule.id)
        )
        for rule in rules.RULES
        if rule.policy
    ]


def _change_reason(reason, errors: dict[str, list[str]]) -> str:
    """Why the medical director changed a setting, in a few plain words (kept in the record)."""
    reason = " ".join(reason.split()) if isinstance(reason, str) else ""
    if len(reason) < 5:
        errors["reason"] = ["Say why, in a few words: the change is kept in the record."]
    elif len(reason) > 300 or CONTROL.search(reason):
        errors["reason"] = ["Keep the reason to 300 plain characters."]
    return reason


def _write_change(actor: Actor, model, kind, rule_id: str, field: str, value: bool, reason, now):
    """One change of a setting: its row (what, who, when, why) and its audit entry, in one write."""
    with write_transaction():
        change = model.objects.create(
            rule_id=rule_id,
            reason=reason,
            changed_by=actor.saved_user,
            actor_label=actor_label(actor),
            at=now or timezone.now(),
            **{field: value},
        )
        audit.record(actor, Action.UPDATE, kind, rule_id, detail={field: value, "reason": reason})
    return change


def set_policy(actor: Actor, rule_id: str, enabled: bool, reason: str, *, now=None) -> PolicyChange:
    if not actor.can(Capability.SET_SCREENING_POLICY):
        raise Forbidden("Only the medical director switches clinic policies.")
    errors: dict[str, list[str]] = {}
    if rule_id not in rules.POLICY_RULES:
        errors["rule"] = ["Choose one of the clinic-policy rules; label rules cannot be switched."]
    reason = _change_reason(reason, errors)
    if errors:
        raise ValidationFailed(errors)
    return _write_change(
        actor, PolicyChange, audit.Kind.SCREENING_POLICY, rule_id, "enabled", enabled, reason, now
    )


def needs_review() -> frozenset[str]:
    """The label precautions that need review before a decision: the label's defaults, as the
    medical director last set each (the latest change per rule)."""
    out = set(rules.DEFAULT_REVIEW)
    seen = set()
    for rule_id, on in ReviewSetting.objects.order_by("-at", "-id").values_list(
        "rule_id", "needs_review"
    ):
        if rule_id in seen or rule_id not in rules.REVIEWABLE_RULES:
            continue
        seen.add(rule_id)
        (out.add if on else out.discard)(rule_id)
    return frozenset(out)


@dataclass(frozen=True)
class ReviewState:
    rule: rules.Rule
    needs_review: bool
    default: bool  # the label's default
    last: ReviewSetting | None


def review_states() -> list[ReviewState]:
    latest: dict[str, ReviewSetting] = {}
    for change in ReviewSetting.objects.order_by("-at", "-id"):
        latest.setdefault(change.rule_id, change)
    on = needs_review()
    return [
        ReviewState(rule, rule.id in on, rule.id in rules.DEFAULT_REVIEW, latest.get(rule.id))
        for rule in rules.RULES
        if rule.reviewable
    ]


def set_review(
    actor: Actor, rule_id: object, needs: object, reason: object, *, now=None
) -> ReviewSetting:
    """The medical director sets whether a label precaution needs review (True) or is shown as
    a warning only (False). Audited; the change is a new row."""
    if not actor.can(Capability.SET_SCREENING_POLICY):
        raise Forbidden("Only the medical director sets which precautions need review.")
    errors: dict[str, list[str]] = {}
    if not isinstance(rule_id, str) or rule_id not in rules.REVIEWABLE_RULES:
        errors["rule"] = [
            "Choose one of the label's precautions: "
            + ", ".join(sorted(rules.REVIEWABLE_RULES))
            + "."
        ]
    if not isinstance(needs, bool):
        errors["needs_review"] = ["Say whether it needs review: true or false."]
    reason = _change_reason(reason, errors)
    if errors:
        raise ValidationFailed(errors)
    kind = audit.Kind.SCREENING_REVIEW
    return _write_change(actor, ReviewSetting, kind, rule_id, "needs_review", needs, reason, now)
