"""Serving certificates: names, lifetime, renewal, and that a real TLS client accepts them."""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from argo_mcp_operator.tls import ServingCert, issue, needs_renewal, rfc3339, service_dns_names

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_sans_cover_every_service_name() -> None:
    cert = issue("srv", "team-a", timedelta(hours=2160), now=NOW)
    assert cert.dns_names == [
        "srv",
        "srv.team-a",
        "srv.team-a.svc",
        "srv.team-a.svc.cluster.local",
        "localhost",
    ]
    assert service_dns_names("srv", "team-a") == cert.dns_names


def test_expiry_is_now_plus_duration_and_key_is_p256() -> None:
    cert = issue("srv", "ns", timedelta(hours=2160), now=NOW)
    assert cert.not_after == NOW + timedelta(hours=2160)
    leaf = cert.certificate
    assert leaf.not_valid_before_utc <= NOW
    public_key = leaf.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert rfc3339(cert.not_after) == "2026-04-01T00:00:00Z"


def test_renewal_decision() -> None:
    cert = issue("srv", "ns", timedelta(hours=100), now=NOW)
    renew_before = timedelta(hours=10)
    assert not needs_renewal(cert, "srv", "ns", renew_before, now=NOW)
    assert not needs_renewal(cert, "srv", "ns", renew_before, now=NOW + timedelta(hours=90))
    assert needs_renewal(cert, "srv", "ns", renew_before, now=NOW + timedelta(hours=90, seconds=1))
    assert needs_renewal(None, "srv", "ns", renew_before, now=NOW)
    # A certificate for other names (e.g. copied from another server) is replaced.
    assert needs_renewal(cert, "other", "ns", renew_before, now=NOW)


def test_secret_round_trip_and_checksum() -> None:
    cert = issue("srv", "ns", timedelta(hours=1))
    data = cert.secret_data()
    assert set(data) == {"tls.crt", "tls.key", "ca.crt"}
    assert ServingCert.from_secret_data(data) == cert
    assert ServingCert.from_secret_data({"tls.crt": "bm90IGEgY2VydA==", "tls.key": "eA=="}) is None
    assert ServingCert.from_secret_data({}) is None
    assert issue("srv", "ns", timedelta(hours=1)).checksum != cert.checksum


async def test_a_verifying_client_accepts_the_certificate(tmp_path: Path) -> None:
    """A TLS server with the issued pair, a client trusting only ca.crt and checking the Service's name."""
    cert = issue("srv", "ns", timedelta(hours=1))
    (tmp_path / "tls.crt").write_bytes(cert.cert_pem)
    (tmp_path / "tls.key").write_bytes(cert.key_pem)
    (tmp_path / "ca.crt").write_bytes(cert.ca_pem)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(tmp_path / "tls.crt", tmp_path / "tls.key")
    client_ctx = ssl.create_default_context(cafile=tmp_path / "ca.crt")
    client_ctx.verify_flags |= ssl.VERIFY_X509_STRICT

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    async with server:
        for hostname in service_dns_names("srv", "ns"):
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=client_ctx, server_hostname=hostname
            )
            writer.write(b"ping\n")
            assert await reader.readline() == b"ping\n"
            writer.close()
            await writer.wait_closed()
