"""Serving certificates for the MCP endpoint: issue, inspect and decide when to renew.

A self-signed leaf alone is a poor trust anchor (strict X.509 verification, as in Python 3.13's default
context, rejects a CA:FALSE self-signed certificate used as a CA), so the operator makes a small private CA
per server and a leaf signed by it, both ECDSA P-256. The Secret carries ``ca.crt`` next to ``tls.crt`` and
``tls.key`` so in-cluster clients can trust the endpoint by mounting that one key.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Tolerate clocks that lag the operator's by a few minutes.
BACKDATE = timedelta(minutes=5)


def service_dns_names(name: str, namespace: str) -> list[str]:
    """The names a client may use for the Service: inside the cluster, and ``localhost`` through
    ``kubectl port-forward`` (the chart's certificate has the same names, and 127.0.0.1)."""
    return [
        name,
        f"{name}.{namespace}",
        f"{name}.{namespace}.svc",
        f"{name}.{namespace}.svc.cluster.local",
        "localhost",
    ]


@dataclass(frozen=True)
class ServingCert:
    """PEM material served by the endpoint (``ca_pem`` is empty when the user's Secret has no ``ca.crt``)."""

    cert_pem: bytes
    key_pem: bytes
    ca_pem: bytes = b""

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)

    @property
    def not_after(self) -> datetime:
        return self.certificate.not_valid_after_utc

    @property
    def dns_names(self) -> list[str]:
        try:
            san = self.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            return []
        return san.value.get_values_for_type(x509.DNSName)

    @property
    def checksum(self) -> str:
        """Digest put on the pod template so that a new certificate rolls the Deployment."""
        return hashlib.sha256(self.cert_pem + self.key_pem).hexdigest()

    def secret_data(self) -> dict[str, str]:
        """The base64 ``data`` of a kubernetes.io/tls Secret."""
        data = {"tls.crt": self.cert_pem, "tls.key": self.key_pem}
        if self.ca_pem:
            data["ca.crt"] = self.ca_pem
        return {key: base64.b64encode(value).decode() for key, value in data.items()}

    @classmethod
    def from_secret_data(cls, data: Mapping[str, str] | None) -> ServingCert | None:
        """Read a Secret's ``data``; ``None`` when it is missing a key or holds no parsable certificate."""
        if not data or "tls.crt" not in data or "tls.key" not in data:
            return None
        try:
            cert = cls(
                cert_pem=base64.b64decode(data["tls.crt"]),
                key_pem=base64.b64decode(data["tls.key"]),
                ca_pem=base64.b64decode(data.get("ca.crt", "")),
            )
            cert.certificate  # noqa: B018 - parse now so a corrupt Secret is treated as absent
        except ValueError:
            return None
        return cert


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


# Every usage X.509's KeyUsage extension names (the arguments of x509.KeyUsage).
KEY_USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def _signed_by(
    issuer: x509.Name,
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    valid: tuple[datetime, datetime],
) -> x509.CertificateBuilder:
    """What the CA and the leaf have in common: names, key, a random serial and the validity window."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """Both keys sign (ECDSA: digital signature only); only the CA's signs certificates and CRLs. Every other
    usage X.509 names is denied."""
    granted = {"digital_signature", "key_cert_sign", "crl_sign"} if ca else {"digital_signature"}
    return x509.KeyUsage(**{usage: usage in granted for usage in KEY_USAGES})


def issue(name: str, namespace: str, duration: timedelta, now: datetime | None = None) -> ServingCert:
    """Make a private CA and a serving certificate for the Service's DNS names, valid for ``duration``."""
    now = now or datetime.now(UTC)
    valid = (now - BACKDATE, now + duration)
    names = service_dns_names(name, namespace)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, f"argo-mcp {namespace}/{name}"[:61] + " CA")]
    )
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        _signed_by(ca_name, ca_name, ca_key.public_key(), valid)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[2][:64])])
    leaf = (
        _signed_by(ca_name, leaf_name, key.public_key(), valid)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [*(x509.DNSName(n) for n in names), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ServingCert(
        cert_pem=leaf.public_bytes(serialization.Encoding.PEM),
        key_pem=_pem_key(key),
        ca_pem=ca_cert.public_bytes(serialization.Encoding.PEM),
    )


def needs_renewal(
    cert: ServingCert | None,
    name: str,
    namespace: str,
    renew_before: timedelta,
    now: datetime | None = None,
) -> bool:
    """True when there is no usable certificate, it does not cover the Service's names, or it is due.

    Due means ``now > NotAfter - renewBefore``.
    """
    if cert is None:
        return True
    now = now or datetime.now(UTC)
    if set(cert.dns_names) != set(service_dns_names(name, namespace)):
        return True
    return now > cert.not_after - renew_before


def rfc3339(moment: datetime) -> str:
    """Kubernetes' timestamp format (second precision, ``Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
