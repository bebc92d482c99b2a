"""Kubernetes operator: an ``ArgoMCPServer`` resource becomes a running, least-privilege argo-mcp endpoint.

The package is deliberately not called ``operator``: that name would shadow the standard library module.
"""

from importlib import metadata


def _package_version() -> str:
    """The installed distribution's version, so the default image tag follows releases without a code edit."""
    try:
        return metadata.version("argo-mcp")
    except metadata.PackageNotFoundError:  # running from a source checkout that was never installed
        return "0.1.0"


__version__ = _package_version()
