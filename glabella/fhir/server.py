"""The FHIR API's reads and searches, the same for every registered resource type.

`read(actor, type, id)` and `search(actor, type, query)` return resources as dicts, having asked
the access door (`Model.objects.restrict`) and written the access log: one row per read, one
listing row per page of a search naming the patients it showed. Everything from the query string
is bounded: unknown parameters, malformed dates, counts out of range are refused with a
`FhirError` that the view answers as an OperationOutcome (400), never ignored.

Searches: `_id`, `_count` (1..100, default 20) and `_offset` (paging) on every type; `patient`
(`Patient/<id>` or the id), `date` and `_lastUpdated` (each with the prefixes eq, ge, gt, le, lt;
a day or an instant with its offset; may repeat to make a range) where the type names the field.
Ids are parsed per type (`id_parse`: a public id, or the access log's row number). A type with
`parts` is searched part after part, each in id order; `fetch` reads from the part holding the id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from glabella.clinic.clock import local_zone
from glabella.core import audit, bounds
from glabella.core.models import AccessLog
from glabella.fhir import codes, registry
from glabella.fhir.registry import ResourceType, SearchParam

DEFAULT_COUNT = 20
MOST_COUNT = 100
PREFIXES = ("eq", "ge", "gt", "le", "lt")
COMMON = {"_id", "_count", "_offset", "_format"}


class FhirError(Exception):
    """A request the server refuses: its HTTP status, the OperationOutcome's issue code, and a
    sentence for the person who wrote the client."""

    def __init__(self, status: int, code: str, message: str, *, parameter: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.parameter = status, code, message, parameter


def outcome(code: str, message: str, severity: str = "error", parameter: str | None = None):
    issue = {"severity": severity, "code": code, "diagnostics": message}
    if parameter:
        issue["expression"] = [parameter]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def resource_type(name: str) -> ResourceType:
    found = registry.get(name)
    if found is None:
        raise FhirError(
            404, "not-supported", f"This server has no resource type {name!r}.", parameter=name
        )
    return found


# -- Reading one -----------------------------------------------------------------------------


def read(actor, type_name: str, resource_id: str) -> dict:
    kind = resource_type(type_name)
    if kind.find is not None:
        found = kind.find(actor, resource_id)
        if found is None:
            raise _not_found(type_name, resource_id)
        _log_read(actor, kind, resource_id, None)
        return found
    part, row = fetch(actor, kind, resource_id)
    return finished(part, row)


def fetch(actor, kind: ResourceType, resource_id: str):
    """(the part of the type that holds it, the row) that this actor may read, the read logged;
    else not found. A type of one model is its own part."""
    for part in sources(kind):
        row = _row(actor, part, resource_id)
        if row is not None:
            _log_read(actor, part, resource_id, row)
            return part, row
    raise _not_found(kind.name, resource_id)


def sources(kind: ResourceType) -> tuple[ResourceType, ...]:
    """The models a type is served from, each as a ResourceType with its rows: its parts, or
    itself."""
    return kind.parts or (kind,)


def _row(actor, kind: ResourceType, resource_id: str):
    try:
        wanted = _by_id(kind, resource_id)
    except ValueError:
        return None
    return kind.rows(actor).filter(wanted).first()


def _by_id(kind: ResourceType, resource_id: str) -> models.Q:
    """The filter for one id: the type's own (`by_id`, an id that names several columns), or
    its id column's with the id parsed as the type holds it (`id_parse`). ValueError: not an id
    of this type."""
    if kind.by_id is not None:
        return kind.by_id(resource_id)
    return models.Q(**{kind.id_lookup: kind.id_parse(resource_id)})


def _not_found(type_name: str, resource_id: str) -> FhirError:
    # The same answer whether it does not exist or this actor may not read it.
    return FhirError(404, "not-found", f"There is no {type_name} with this id that you may read.")


def finished(kind: ResourceType, row) -> dict:
    """The resource with its meta: when it last changed and the profile it claims."""
    resource = kind.build(row)
    meta = dict(resource.get("meta") or {})
    if kind.updated:
        changed = _value(row, kind.updated)
        if changed is not None:
            meta["lastUpdated"] = instant(changed)
    if kind.profile:
        meta["profile"] = [kind.profile]
    if meta:
        resource["meta"] = meta
    return resource


def patient_public_id(kind: ResourceType, row):
    if kind.patient is None:
        return None
    patient = _value(row, kind.patient) if kind.patient else row
    return getattr(patient, "public_id", None)


def _value(row, lookup: str):
    for part in lookup.split("__"):
        if row is None:
            return None
        row = getattr(row, part)
    return row


def patients_named(kind: ResourceType, row) -> list:
    """The public ids of the patients a row shows (its own patient, or those it names)."""
    if kind.named is not None:
        return [p for p in kind.named(row) if p]
    found = patient_public_id(kind, row)
    return [found] if found else []


def _log_read(actor, kind: ResourceType, resource_id: str, row) -> None:
    named = patients_named(kind, row) if row is not None else []
    detail = {"fhir": f"{kind.name}/{resource_id}"}
    if kind.named is not None:
        detail["patients"] = [str(p) for p in named]
    audit.record(
        actor,
        AccessLog.Action.READ,
        kind.audit_kind,
        resource_id,
        patient_public_id=named[0] if len(named) == 1 else None,
        detail=detail,
    )


# -- Searching -------------------------------------------------------------------------------


@dataclass
class Page:
    resources: list[dict]
    total: int
    offset: int
    count: int


def search(actor, type_name: str, query) -> Page:
    """One page of the resources of a type that match `query` (a QueryDict or a dict of lists)."""
    kind = resource_type(type_name)
    params = _params(query)
    allowed = COMMON | set(kind.searches)
    if kind.patient is not None:
        allowed |= {"patient"}
    if kind.date:
        allowed |= {"date"}
    if kind.updated:
        allowed |= {"_lastUpdated"}
    for name in params:
        if name not in allowed:
            raise FhirError(
                400,
                "not-supported",
                f"{kind.name} does not take the search parameter {name[:40]!r}. It takes: "
                + ", ".join(sorted(allowed - {"_format"}))
                + ".",
                parameter=name,
            )
    if not kind.searchable:
        raise FhirError(
            405, "not-supported", f"{kind.name} is read by id only (from an attachment's url)."
        )
    count = _whole(params, "_count", DEFAULT_COUNT, 1, MOST_COUNT)
    offset = _whole(params, "_offset", 0, 0, bounds.LARGEST_COUNT)
    if kind.listing is not None:
        found = kind.listing(actor, params)
        shown = found[offset : offset + count]
        _log_search(actor, kind, params, [])
        return Page(shown, len(found), offset, count)
    # The parts one after the other, each in the order of its rows' ids: a page that reaches past
    # one part goes on in the next.
    total, skip, resources = 0, offset, []
    for part in sources(kind):
        rows = _matching(actor, kind, part, params).order_by("pk")
        found = rows.count()
        total += found
        if skip >= found:
            skip -= found
            continue
        page = list(rows[skip : skip + count - len(resources)]) if len(resources) < count else []
        skip = 0
        if page:
            named = [p for r in page for p in patients_named(part, r)]
            _log_search(actor, part, params, named)
            resources += [finished(part, r) for r in page]
    if not resources:
        _log_search(actor, kind, params, [])
    return Page(resources, total, offset, count)


def _matching(actor, kind: ResourceType, part: ResourceType, params: dict):
    """The rows of one part that this actor may read and that match the query."""
    rows = part.rows(actor)
    for value in params.get("_id", []):
        wanted = models.Q(pk__in=[])
        for one in value.split(","):
            wanted |= _id("_id", part, one.strip())
        rows = rows.filter(wanted)
    if part.patient is not None and "patient" not in part.searches:
        for value in params.get("patient", []):
            wanted = value.strip().removeprefix("Patient/")
            rows = rows.filter(**{part.patient_lookup("public_id"): _uuid("patient", wanted)})
    for value in params.get("date", []):
        rows = rows.filter(_when(part.name, rows.model, part.date, "date", value))
    for value in params.get("_lastUpdated", []):
        rows = rows.filter(_when(part.name, rows.model, part.updated, "_lastUpdated", value))
    for name, param in {**kind.searches, **part.searches}.items():
        for value in params.get(name, []):
            try:
                rows = param.apply(rows, value)
            except ValueError as exc:
                raise FhirError(400, "invalid", str(exc), parameter=name) from None
    return rows


def _id(name: str, part: ResourceType, value: str):
    """An id as this part's rows hold it; refused with what an id looks like."""
    try:
        return _by_id(part, value)
    except ValueError as exc:
        raise FhirError(400, "invalid", f"{name} {exc}.", parameter=name) from None


def _params(query) -> dict[str, list[str]]:
    pairs = query.lists() if hasattr(query, "lists") else query.items()
    params = {}
    for name, values in pairs:
        values = [values] if isinstance(values, str) else list(values)
        if any(len(v) > 500 for v in values) or len(values) > 10:
            raise FhirError(400, "too-long", f"The parameter {name[:40]!r} is too long.")
        params[name] = values
    return params


def _whole(params, name: str, default: int, least: int, most: int) -> int:
    values = params.get(name)
    if not values:
        return default
    try:
        number = int(values[-1])
    except ValueError:
        number = None
    if number is None or not least <= number <= most:
        raise FhirError(
            400, "invalid", f"{name} takes a whole number from {least} to {most}.", parameter=name
        )
    return number


def _uuid(name: str, value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise FhirError(
            400,
            "invalid",
            f"{name} takes a resource id such as {uuid.UUID(int=0)}.",
            parameter=name,
        ) from None


def _when(type_name: str, model, lookup: str, name: str, value: str) -> models.Q:
    """A date search (`ge2026-01-01`, `lt2026-02-01T09:00:00-07:00`) as a filter on `lookup`."""
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    text = value[2:] if value[:2] in PREFIXES else value
    message = (
        f"{name} takes a date (2026-01-31) or an instant with its offset "
        "(2026-01-31T09:00:00-07:00), after one of the prefixes eq, ge, gt, le, lt."
    )
    try:
        if "T" in text:
            start = bounds.parse_instant(text)
            if timezone.is_naive(start):
                raise ValueError(message)
            end = start + timedelta(seconds=1)
        else:
            day = bounds.parse_day(text)
            zone = local_zone()  # a day is the clinic's day, as on its pages
            start = datetime.combine(day, time.min, zone)
            end = datetime.combine(day + timedelta(days=1), time.min, zone)
    except ValueError as exc:
        said = str(exc) if str(exc) == bounds.DAY_MESSAGE else message
        raise FhirError(400, "invalid", said, parameter=name) from None
    found = _field(model, lookup)
    if isinstance(found, models.DateField) and not isinstance(found, models.DateTimeField):
        start = start.date()
        end = start + timedelta(days=1)
    conditions = {
        "eq": models.Q(**{f"{lookup}__gte": start, f"{lookup}__lt": end}),
        "ge": models.Q(**{f"{lookup}__gte": start}),
        "gt": models.Q(**{f"{lookup}__gte": end}),
        "le": models.Q(**{f"{lookup}__lt": end}),
        "lt": models.Q(**{f"{lookup}__lt": start}),
    }
    return conditions[prefix]


def _field(model, lookup: str):
    """The model field a lookup ends on; None for an annotation (a computed instant)."""
    for part in lookup.split("__"):
        try:
            found = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = found.related_model or model
    return found


def date_search(lookup: str, name: str, documentation: str) -> SearchParam:
    """A search on another date than `date` (QuestionnaireResponse's `authored`), with the same
    prefixes and bounds."""

    def apply(rows, value: str):
        return rows.filter(_when("", rows.model, lookup, name, value))

    return SearchParam("date", documentation, apply)


def _log_search(actor, kind: ResourceType, params: dict, patient_ids) -> None:
    audit.record_listing(
        actor,
        kind.audit_kind,
        [p for p in patient_ids if p],
        object_id=kind.name,
        detail={"fhir": kind.name, "query": urlencode(params, doseq=True)[:500]},
    )


# -- Shapes ----------------------------------------------------------------------------------


def instant(value) -> str:
    """An aware datetime as FHIR's instant (UTC, seconds); a date as a FHIR date."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(value)


def bundle(type_name: str, page: Page, query) -> dict:
    """A searchset Bundle of one page, with the links to itself and the pages beside it."""
    params = {k: v for k, v in _params(query).items() if k != "_offset"}
    base = f"{codes.base_url()}/{type_name}"

    def link(relation: str, offset: int) -> dict:
        return {
            "relation": relation,
            "url": f"{base}?{urlencode({**params, '_offset': [str(offset)]}, doseq=True)}",
        }

    links = [link("self", page.offset)]
    if page.offset + page.count < page.total:
        links.append(link("next", page.offset + page.count))
    if page.offset > 0:
        links.append(link("previous", max(page.offset - page.count, 0)))
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": page.total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{codes.base_url()}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in page.resources
        ],
    }
