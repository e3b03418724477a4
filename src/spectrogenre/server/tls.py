"""A self-signed certificate, so a phone on the same Wi-Fi gets the secure context the microphone needs."""

from __future__ import annotations

import datetime
import ipaddress
import socket
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def local_addresses() -> list[str]:
    """This machine's IPv4 addresses, from its host name (no network traffic)."""
    addresses = {"127.0.0.1"}
    try:
        for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None, family=socket.AF_INET):
            addresses.add(sockaddr[0])
    except socket.gaierror:
        pass
    return sorted(addresses)


def self_signed_certificate(folder: Path, *, hostnames: list[str] | None = None) -> tuple[Path, Path]:
    """Write cert.pem and key.pem (valid 1 year for localhost and this machine's addresses) into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), *(x509.DNSName(h) for h in hostnames or [])]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in local_addresses()]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "spectrogenre local server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path
