"""Device URIs (CONTRACT.md, "Device URIs") parsed into one small value.

A technician types these on the setup page, so every mistake becomes a
`DeviceConfigError` with a French message that names the bad part, and an
unknown query parameter is refused rather than ignored (a typo such as
`baudrat=` would otherwise silently fall back to a default).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from .errors import DeviceConfigError

SERIAL_BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


@dataclass(frozen=True)
class DeviceUri:
    scheme: str                 # "serial", "usb", "tcp", "file", "sim", "wedge"
    target: str                 # port path, "vid:pid", host, file path, simulator name
    params: dict[str, str] = field(default_factory=dict)
    port: int | None = None     # tcp only

    def int_param(self, name: str, default: int, allowed: tuple[int, ...] | None = None,
                  low: int = 0, high: int = 1 << 30) -> int:
        raw = self.params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad(f"le paramètre {name}={raw!r} doit être un nombre entier.") from None
        if (allowed and value not in allowed) or not low <= value <= high:
            choices = ", ".join(map(str, allowed)) if allowed else f"{low} à {high}"
            raise bad(f"{name}={value} n'est pas permis (valeurs : {choices}).")
        return value


def bad(detail: str, code: str = "bad_device_uri") -> DeviceConfigError:
    return DeviceConfigError(f"Adresse de périphérique invalide : {detail}", code=code)


def parse_device_uri(uri: object, schemes: tuple[str, ...], params: tuple[str, ...]) -> DeviceUri:
    """Split `uri` and check its scheme and parameter names against what the caller accepts."""
    if not isinstance(uri, str) or not uri.strip():
        raise bad("adresse vide.")
    text = uri.strip()
    if ":" not in text and text.split("?")[0] in schemes:   # "wedge", "sim" without a colon
        text = text.replace("?", ":?", 1) if "?" in text else text + ":"
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise bad(f"{text!r} ne se lit pas ({exc}).") from None
    if scheme not in schemes:
        raise bad(f"{text!r} : type {scheme or '(aucun)'!r} inconnu, "
                  f"attendu l'un de : {', '.join(schemes)}.", code="unknown_device_scheme")
    values: dict[str, str] = {}
    for key, value in query:
        if key not in params:
            allowed = ", ".join(params) or "aucun"
            raise bad(f"paramètre {key!r} inconnu (permis : {allowed}).", code="unknown_device_parameter")
        values[key] = value
    port = None
    if parts.netloc:
        if scheme != "tcp":
            # file:///tmp/x has an empty netloc; anything else there is a mistake
            raise bad(f"{text!r} : partie {parts.netloc!r} inattendue.")
        try:
            port = parts.port
        except ValueError:
            raise bad(f"{text!r} : numéro de port invalide.") from None
        target = parts.hostname or ""
    else:
        target = parts.path
    return DeviceUri(scheme, target, values, port)
