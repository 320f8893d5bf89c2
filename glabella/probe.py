"""Asks the web server in this container whether it is healthy: the image's HEALTHCHECK.

`python -m glabella.probe [PATH]` requests PATH (default /healthz) from the address `glabella
serve` listens on (GLABELLA_BIND), with a Host header the site accepts (the first of
ALLOWED_HOSTS) and, behind an HTTPS proxy (BEHIND_HTTPS_PROXY), the proxy's X-Forwarded-Proto,
so that neither the host check nor the HTTPS redirect answers in the page's place. Exit status
0 on a 200, 1 otherwise, with one line saying what came back. No Django: a probe every 30
seconds should cost a few milliseconds.
"""

import http.client
import os
import sys

DEFAULT_PATH = "/healthz"
TIMEOUT_SECONDS = 4.0


def target(bind: str) -> tuple[str, int]:
    """The loopback host and port to reach a server bound to `bind` (host:port)."""
    host, sep, port = bind.strip().rpartition(":")
    if not sep or not port.isdigit() or bind.startswith(("unix:", "fd://")):
        raise ValueError(f"GLABELLA_BIND must be host:port for the probe (got {bind!r}).")
    host = host.strip("[]")
    if host in {"", "0.0.0.0", "*"}:  # noqa: S104 (a wildcard bind: ask it on loopback)
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return host, int(port)


def host_header(allowed_hosts: str, fallback: str) -> str:
    """The first name in ALLOWED_HOSTS that is a plain host name, else `fallback`."""
    for name in allowed_hosts.split(","):
        name = name.strip().lstrip(".")
        if name and name != "*":
            return name
    return fallback


def probe(path: str = DEFAULT_PATH, environ=os.environ) -> tuple[bool, str]:
    host, port = target(environ.get("GLABELLA_BIND") or "127.0.0.1:8000")
    headers = {"Host": host_header(environ.get("ALLOWED_HOSTS", ""), "localhost")}
    if environ.get("BEHIND_HTTPS_PROXY", "").strip().lower() in {"1", "true", "yes", "on"}:
        headers["X-Forwarded-Proto"] = "https"
    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
    try:
        conn.request("GET", path, headers=headers)
        status = conn.getresponse().status
    except OSError as exc:
        return False, f"{path} on {host}:{port}: {exc}"
    finally:
        conn.close()
    return status == 200, f"{path} on {host}:{port} answered {status}"


def main() -> int:
    try:
        healthy, said = probe(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PATH)
    except ValueError as exc:
        healthy, said = False, str(exc)
    print(said)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
