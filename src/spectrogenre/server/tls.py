"""A self-signed certificate, so a phone on the same Wi-Fi gets the secure context the microphone needs.

It is kept in the user's config folder and reused on every start, so a phone accepts it (or
installs it) once: it is renewed only when it nears its end or no longer names this
machine's addresses.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

import psutil
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from platformdirs import user_config_path

VALID_DAYS = 365
RENEW_DAYS = 30  # a certificate with less left than this is replaced


def check_pair(cert: Path, key: Path) -> None:
    """Load --cert and --key as the server will, so that a wrong file is one error naming both, before the
    server starts (uvicorn would fail inside its startup, with a traceback)."""
    import ssl

    from spectrogenre.errors import SpectrogenreError

    for path in (cert, key):
        if not path.is_file():  # ssl's own error names neither file
            raise SpectrogenreError(f"cannot use --cert {cert} with --key {key}: {path} is not a file")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except ssl.SSLError as err:
        why = ("the key is not the certificate's" if err.reason == "KEY_VALUES_MISMATCH"
               else "they are not a PEM certificate and its private key")
        raise SpectrogenreError(f"cannot use --cert {cert} with --key {key}: {why}") from None
    except OSError as err:
        raise SpectrogenreError(f"cannot use --cert {cert} with --key {key}: {err.strerror or err}") from None


def default_folder() -> Path:
    return user_config_path("spectrogenre") / "tls"


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses on its network interfaces, loopback and link-local left out (no traffic)."""
    found = set()
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family.name == "AF_INET":
                ip = ipaddress.ip_address(address.address)
                if not (ip.is_loopback or ip.is_link_local):
                    found.add(address.address)
    return sorted(found, key=ipaddress.ip_address)


def local_addresses() -> list[str]:
    return ["127.0.0.1", *lan_addresses()]


def certificate_for(folder: Path | None = None, *, today: datetime.datetime | None = None) -> tuple[Path, Path, bool]:
    """(cert.pem, key.pem, whether they were just made): the kept pair when it is valid for RENEW_DAYS more
    and names every current address, else a new one."""
    folder = folder or default_folder()
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    now = today or datetime.datetime.now(datetime.timezone.utc)
    if cert_path.exists() and key_path.exists():
        try:
            certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
            names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            covered = {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
            if certificate.not_valid_after_utc - now > datetime.timedelta(days=RENEW_DAYS) and \
                    set(local_addresses()) <= covered:
                return cert_path, key_path, False
        except (ValueError, x509.ExtensionNotFound):
            pass  # unreadable: replaced below
    self_signed_certificate(folder, now=now)
    return cert_path, key_path, True


def self_signed_certificate(folder: Path, *, hostnames: list[str] | None = None,
                            now: datetime.datetime | None = None) -> tuple[Path, Path]:
    """Write cert.pem and key.pem (valid VALID_DAYS for localhost and this machine's addresses) into folder.

    The key is created readable by its owner only (0600) before a byte is written, and both
    files appear whole (written beside, then renamed).
    """
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), *(x509.DNSName(h) for h in hostnames or [])]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in local_addresses()]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "spectrogenre local server")])
    now = now or datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    _write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    _write_private(cert_path, certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return cert_path, key_path


def _write_private(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
