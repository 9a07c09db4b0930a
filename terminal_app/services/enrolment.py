"""Enrolling this terminal with the central server (setup page and `guichet enrol`).

The server's answer carries the terminal's signing key, so the request must not
cross the network in clear: a non-loopback server is reached over HTTPS and its
certificate is checked against the CA the technician supplies (kept in the
configuration as `server_ca_pem`, and used again by the sync client on every
connection). Plain HTTP stays allowed on loopback (demo, tests) and elsewhere
only when explicitly asked for (`insecure_http`).
"""
from __future__ import annotations

import ipaddress
import json
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlparse

from betting.errors import OperatorRefusal

from ..adapters.store import TerminalStore, TerminalStoreError
from ..adapters.tls import BadCA, client_ssl_context


_FRENCH = {
    "unknown_code": "Code d'enrôlement inconnu : vérifiez-le auprès du centre.",
    "code_used": "Ce code d'enrôlement a déjà servi : demandez-en un nouveau.",
    "code_expired": "Ce code d'enrôlement a expiré : demandez-en un nouveau.",
    "bad_code": "Saisissez le code d'enrôlement.",
    "bad_url": "Adresse du serveur invalide (exemple : https://serveur:8700).",
    "unreachable": "Serveur central injoignable : vérifiez l'adresse et le réseau.",
    "already_enrolled": "Ce terminal est déjà enrôlé.",
    "terminal_running": "Arrêtez d'abord le terminal : sa clé ne se renouvelle pas pendant "
                        "qu'il vend.",
    "outbox_not_empty": "Des paris attendent encore d'être transmis : relancez le terminal "
                        "jusqu'à ce que sa file d'attente soit vide, puis recommencez.",
    "wrong_terminal": "Ce code n'est pas destiné à ce terminal : vérifiez le reçu.",
    "bad_answer": "Réponse inattendue du serveur central.",
    "insecure_http": "Adresse en http:// refusée : la clé du terminal circulerait en clair "
                     "sur le réseau. Saisissez une adresse en https:// et le certificat "
                     "de l'autorité (CA) fourni par le centre.",
    "ca_needs_https": "Un certificat d'autorité (CA) n'a de sens qu'avec une adresse en "
                      "https:// : corrigez l'adresse du serveur.",
    "bad_ca": "Certificat de l'autorité (CA) illisible : collez le fichier PEM complet, "
              "de -----BEGIN CERTIFICATE----- à -----END CERTIFICATE-----.",
    "tls_untrusted": "Le certificat du serveur central n'est pas signé par l'autorité (CA) "
                     "fournie : vérifiez le certificat et l'adresse. Rien n'a été envoyé.",
    "tls_hostname": "Le certificat du serveur central ne correspond pas à cette adresse : "
                    "vérifiez l'adresse saisie. Rien n'a été envoyé.",
    "tls_failed": "Connexion sécurisée impossible avec le serveur central : vérifiez "
                  "l'adresse (https:// et port).",
}


class EnrolError(OperatorRefusal):
    """An enrolment refused; `code` names the reason, the message is English for the
    CLI, `french` says it to the technician in the setup page."""

    @property
    def french(self) -> str:
        return _FRENCH.get(self.code, "Enrôlement refusé.")


def is_loopback(host: str | None) -> bool:
    """True for names and addresses that never leave this machine."""
    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tls_refusal(reason: BaseException, url: str) -> EnrolError | None:
    """The EnrolError for a failed TLS handshake, or None if it was not one."""
    if isinstance(reason, ssl.SSLCertVerificationError):
        detail = reason.verify_message or str(reason)
        if "hostname" in detail.lower() or "ip address mismatch" in detail.lower():
            return EnrolError("tls_hostname",
                              f"the certificate of {url} is not valid for this host name: {detail}")
        return EnrolError("tls_untrusted",
                          f"the certificate of {url} is not trusted by the given CA: {detail}")
    if isinstance(reason, ssl.SSLError):
        return EnrolError("tls_failed", f"TLS handshake with {url} failed: {reason}")
    return None


def enrol(store: TerminalStore, server_url: str, code: str, timeout: float = 10,
          ca_pem: str | None = None, insecure_http: bool = False) -> dict:
    """Trade a one-time code for this terminal's id and key, and save them.

    Nothing is saved unless the whole exchange succeeded; the CA, if given, is
    saved with the configuration so the sync client verifies the same server.

    An enrolled terminal renews its key this way (a code the back office bound
    to it): only while the terminal is stopped and every bet of its outbox has
    been answered, since the provisional tickets it printed carry codes made
    with the old key. It says its id, so a code for another terminal is refused
    before it is used."""
    settings = store.settings
    renewing = settings.get("terminal_id") if settings.enrolled else None
    if renewing:
        try:
            store.lock_exclusive()
        except TerminalStoreError:
            raise EnrolError("terminal_running",
                             f"stop the terminal first: it runs with the data folder "
                             f"{store.data_dir}") from None
        if store.outbox.queue_depth():
            raise EnrolError("outbox_not_empty",
                             "bets are still waiting to be sent: start the terminal until its "
                             "outbox is empty, then renew its key")
        if ca_pem is None:
            ca_pem = settings.get("server_ca_pem")
    url = (server_url or "").strip().rstrip("/")
    parsed = urlparse(url)
    try:
        host = parsed.hostname
        parsed.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        host = None
    if parsed.scheme not in ("http", "https") or not parsed.netloc or not host:
        raise EnrolError("bad_url", f"not a server URL: {server_url!r} (e.g. https://host:8700)")
    ca_pem = None if ca_pem is None else ca_pem.strip()  # given but empty: refused below
    if parsed.scheme == "http":
        if ca_pem is not None:
            raise EnrolError("ca_needs_https", "a CA was given but the server URL is http://")
        if not is_loopback(host) and not insecure_http:
            raise EnrolError("insecure_http",
                             f"refusing to enrol over plain HTTP with {host}: the terminal key "
                             "would cross the network in clear (use https:// and --ca-file, "
                             "or --insecure-http)")
    try:
        context = client_ssl_context(ca_pem) if parsed.scheme == "https" else None
    except BadCA as exc:
        raise EnrolError(exc.code, exc.message) from None
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if not code:
        raise EnrolError("bad_code", "the enrolment code is empty")
    body = json.dumps({"code": code, **({"terminal_id": renewing} if renewing else {})}).encode()
    req = urllib.request.Request(f"{url}/api/enrol", data=body,
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            answer = json.load(resp)
    except urllib.error.HTTPError as exc:
        try:
            answer = json.load(exc)
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        raise EnrolError(answer.get("error", "refused"),
                         answer.get("message", f"server answered HTTP {exc.code}")) from None
    except urllib.error.URLError as exc:
        raise _tls_refusal(exc.reason, url) or \
            EnrolError("unreachable", f"cannot reach {url}: {exc.reason}") from None
    except ssl.SSLError as exc:
        raise _tls_refusal(exc, url) from None
    except (OSError, ValueError) as exc:
        raise EnrolError("unreachable", f"cannot reach {url}: {exc}") from None
    if not isinstance(answer, dict) or not answer.get("terminal_id") or not answer.get("key"):
        raise EnrolError("bad_answer", "the server's answer has no terminal id or key")
    if renewing and answer["terminal_id"] != renewing:
        raise EnrolError("bad_answer", f"the server answered for {answer['terminal_id']!r}, "
                                       f"not {renewing}")
    next_seq = answer.get("next_seq", 1)  # a server before key renewal does not say: 1
    if isinstance(next_seq, bool) or not isinstance(next_seq, int) or not 0 < next_seq < 10**9:
        raise EnrolError("bad_answer", "the server's next_seq is not a sequence number")
    settings.set(server_url=url, terminal_id=answer["terminal_id"], key=answer["key"],
                 outlet=answer.get("outlet", ""), server_ca_pem=ca_pem, next_seq=str(next_seq))
    return {"terminal_id": answer["terminal_id"], "outlet": answer.get("outlet", ""),
            "next_seq": next_seq, "renewed": bool(answer.get("rekeyed"))}
