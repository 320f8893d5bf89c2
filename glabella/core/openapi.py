"""The API's spec says every status code and header it answers with (decision 0026).

django-ninja declares what each operation returns on success. Every error comes from the one
set of handlers in `core/api.py` in one shape, so they are declared here once for all
operations, after ninja has drawn the spec:

- 400 and 413 where a body is read (a body that is not JSON; one over the upload limit);
- 401 on operations that need a token or a session;
- 403 everywhere (a role without the capability; a service's refusal, e.g. a link's holder
  reporting on another's treatment);
- 404 everywhere (an object outside what the caller may see, an unknown id in the body);
- 409 on writes (a slot just taken, an Idempotency-Key still being answered);
- 422 everywhere (a field that breaks a rule, field by field);
- 429 everywhere, with Retry-After (the public API's rate limit, a throttled form).
"""

ERROR_SCHEMA_NAME = "Error"
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "e.g. validation_error, not_found"},
                "message": {"type": "string", "description": "What a person can act on"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Messages per field, for a validation error",
                },
            },
            # Some errors carry more to act on, e.g. the alternative times of a taken slot.
            "additionalProperties": True,
        }
    },
}
RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
DESCRIPTIONS = {
    400: "The body is not JSON",
    401: "No valid token or session",
    403: "The caller may not do this",
    404: "Not found, or not the caller's to see",
    409: "A conflict with the current state; nothing was written",
    413: "The body is too large",
    422: "A field breaks a rule; nothing was written",
    429: "Too many calls from this address, or too many tries; wait and try again",
}
WRITES = {"post", "put", "patch", "delete"}


def _error_response(status: int) -> dict:
    response = {
        "description": DESCRIPTIONS[status],
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}
        },
    }
    if status == 429:
        response["headers"] = {"Retry-After": RETRY_AFTER}
    return response


def statuses_for(method: str, operation: dict, has_security: bool) -> list[int]:
    statuses = [403, 404, 422, 429]
    if has_security:
        statuses.append(401)
    if "requestBody" in operation:
        statuses += [400, 413]
    if method in WRITES:
        statuses.append(409)
    return sorted(statuses)


def declare_errors(schema: dict) -> dict:
    """Adds the error responses (and their schema) to every operation of a drawn spec."""
    schema.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    default_security = bool(schema.get("security"))
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            secured = bool(operation.get("security", default_security))
            responses = operation.setdefault("responses", {})
            for status in statuses_for(method, operation, secured):
                if status not in responses and str(status) not in responses:
                    responses[status] = _error_response(status)
    return schema
