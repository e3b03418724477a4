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


def test_the_certificate_is_kept_and_reused_until_it_nears_its_end(tmp_path):
    import datetime

    from spectrogenre.server.tls import RENEW_DAYS, VALID_DAYS, certificate_for

    cert, key, made = certificate_for(tmp_path)
    assert made and key.stat().st_mode & 0o777 == 0o600
    first = cert.read_bytes()
    assert certificate_for(tmp_path) == (cert, key, False) and cert.read_bytes() == first  # a restart: the same one
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=VALID_DAYS - RENEW_DAYS + 1)
    assert certificate_for(tmp_path, today=later)[2] and cert.read_bytes() != first  # near its end: renewed
    (tmp_path / "cert.pem").write_text("not a certificate")
    assert certificate_for(tmp_path)[2]  # unreadable: replaced


def test_lan_addresses_leave_out_loopback():
    from spectrogenre.server.tls import lan_addresses

    assert all(not a.startswith("127.") for a in lan_addresses())
