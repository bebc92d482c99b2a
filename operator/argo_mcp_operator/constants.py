"""Names shared by the CRD, the renderer and the handlers, kept in one place so they cannot drift apart."""

from __future__ import annotations

from typing import Final

from argo_mcp.sealing import MIN_KEY_BYTES
from argo_mcp.targets import PROJECTED_TOKEN_ROOT
from argo_mcp_operator import __version__

GROUP: Final = "argo-mcp.io"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
KIND: Final = "ArgoMCPServer"
PLURAL: Final = "argomcpservers"
SINGULAR: Final = "argomcpserver"
SHORT_NAME: Final = "amcp"

# The one definition of the default server image: the tag follows the package version so an operator release
# deploys the server of the same release. It is resolved at render time (not stored as a CRD default) so that
# upgrading the operator also upgrades servers whose spec does not pin an image.
DEFAULT_IMAGE: Final = f"ghcr.io/argo-mcp/argo-mcp:{__version__}"

FIELD_MANAGER: Final = "argo-mcp-operator"

# tls.mode cert-manager renders a Certificate of this API version (cert-manager 1.0 and later).
CERTIFICATE_API_VERSION: Final = "cert-manager.io/v1"

# Recommended labels on every child object.
LABEL_NAME: Final = "app.kubernetes.io/name"
LABEL_INSTANCE: Final = "app.kubernetes.io/instance"
LABEL_MANAGED_BY: Final = "app.kubernetes.io/managed-by"
LABEL_COMPONENT: Final = "app.kubernetes.io/component"
APP_NAME: Final = "argo-mcp"
MANAGED_BY: Final = "argo-mcp-operator"
COMPONENT: Final = "server"

# Children that cannot carry an owner reference (Roles in other namespaces, cluster-scoped bindings) are found
# again through these two labels, both for pruning and for the delete handler.
LABEL_OWNER_NAME: Final = "argo-mcp.io/owner-name"
LABEL_OWNER_NAMESPACE: Final = "argo-mcp.io/owner-namespace"

# Pod template annotation carrying a digest of the serving certificate: a renewed certificate changes the pod
# template and so rolls the Deployment.
ANNOTATION_TLS_CHECKSUM: Final = "argo-mcp.io/tls-checksum"

# Paths inside the server container.
ARGO_TOKEN_DIR: Final = "/var/run/secrets/argo-mcp/argo"
ARGO_TOKEN_FILE: Final = f"{ARGO_TOKEN_DIR}/token"
KUBE_API_TOKEN_DIR: Final = "/var/run/secrets/kubernetes.io/serviceaccount"
TLS_DIR: Final = "/etc/argo-mcp/tls"
ARGO_CA_DIR: Final = "/etc/argo-mcp/argo-ca"
ARTIFACT_DIR: Final = "/tmp/artifacts"
# The key every replica shares to seal what the server hands to clients (confirmations, task ids): a Secret's
# key mounted as one file, whichever Secret and key hold it (ours: <name>-task-key, key task.key).
TASK_KEY_DIR: Final = "/etc/argo-mcp/task-key"
TASK_KEY_NAME: Final = "task.key"
TASK_KEY_FILE: Final = f"{TASK_KEY_DIR}/{TASK_KEY_NAME}"
TASK_KEY_MIN_BYTES: Final = MIN_KEY_BYTES  # the server refuses a shorter key at start
# Several Argo servers (spec.targets): the targets file is a ConfigMap mounted as a directory (never with subPath,
# so the kubelet updates it in place and the server re-reads it without a restart); each target's token (a
# projected token for its audience, or its bearer-file Secret) under the server's PROJECTED_TOKEN_ROOT/<name>,
# its CA under TARGET_CA_ROOT/<name>/ca.
TARGETS_FILE_DIR: Final = "/etc/argo-mcp/targets-file"
TARGETS_FILE_NAME: Final = "targets.yaml"
TARGETS_FILE: Final = f"{TARGETS_FILE_DIR}/{TARGETS_FILE_NAME}"
TARGET_TOKEN_ROOT: Final = str(PROJECTED_TOKEN_ROOT)
TARGET_CA_ROOT: Final = "/etc/argo-mcp/targets"
TARGET_TOKEN_ENV: Final = "ARGO_MCP_TARGET_{}_TOKEN"
"""bearer: the environment variable holding a target's token, named after it (upper case, '-' as '_')."""
# The virtual resource a caller needs verb `use` on to call a target (argo_mcp.calls.targets.use_permission),
# and the label naming the target on its ClusterRole.
TARGETS_RESOURCE: Final = "targets"
LABEL_TARGET: Final = "argo-mcp.io/target"

CONTAINER_NAME: Final = "argo-mcp"
PORT_NAME: Final = "mcp"
RUN_AS_USER: Final = 65532

AUTH_DELEGATOR_CLUSTER_ROLE: Final = "system:auth-delegator"
