"""Enrolling this terminal with the central server (setup page and `guichet enrol`)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlparse

from .store import TerminalStore

_FRENCH = {
    "unknown_code": "Code d'enrôlement inconnu : vérifiez-le auprès du centre.",
    "code_used": "Ce code d'enrôlement a déjà servi : demandez-en un nouveau.",
    "code_expired": "Ce code d'enrôlement a expiré : demandez-en un nouveau.",
    "bad_code": "Saisissez le code d'enrôlement.",
    "bad_url": "Adresse du serveur invalide (exemple : http://serveur:8700).",
    "unreachable": "Serveur central injoignable : vérifiez l'adresse et le réseau.",
    "already_enrolled": "Ce terminal est déjà enrôlé.",
    "bad_answer": "Réponse inattendue du serveur central.",
}


class EnrolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code

    @property
    def french(self) -> str:
        return _FRENCH.get(self.code, "Enrôlement refusé.")


def enrol(store: TerminalStore, server_url: str, code: str, timeout: float = 10) -> dict:
    if store.enrolled:
        raise EnrolError("already_enrolled",
                         f"this terminal is already enrolled as {store.get('terminal_id')}")
    url = (server_url or "").strip().rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise EnrolError("bad_url", f"not a server URL: {server_url!r} (e.g. http://host:8700)")
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if not code:
        raise EnrolError("bad_code", "the enrolment code is empty")
    body = json.dumps({"code": code}).encode()
    req = urllib.request.Request(f"{url}/api/enrol", data=body,
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            answer = json.load(resp)
    except urllib.error.HTTPError as exc:
        try:
            answer = json.load(exc)
        except ValueError:
            answer = {}
        raise EnrolError(answer.get("error", "refused"),
                         answer.get("message", f"server answered HTTP {exc.code}")) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise EnrolError("unreachable", f"cannot reach {url}: {exc}") from None
    if not isinstance(answer, dict) or not answer.get("terminal_id") or not answer.get("key"):
        raise EnrolError("bad_answer", "the server's answer has no terminal id or key")
    store.set(server_url=url, terminal_id=answer["terminal_id"], key=answer["key"],
              outlet=answer.get("outlet", ""))
    return {"terminal_id": answer["terminal_id"], "outlet": answer.get("outlet", "")}
