import ipaddress

from cryptography import x509

from spectrogenre.server.tls import self_signed_certificate


def test_the_certificate_covers_localhost_and_loopback(tmp_path):
    cert_path, key_path = self_signed_certificate(tmp_path)
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert key_path.stat().st_mode & 0o777 == 0o600
    validity = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert 364 <= validity.days <= 366
