"""OCI registry access for the bump stage: tags, digests, credentials.

Only this package talks to registries; everything else gets tag lists and
digests from a :class:`RegistryClient` (one per run) and turns
:class:`RegistryError` into findings or exit code 2.
"""

from kubepush.registry.client import MANIFEST_MEDIA_TYPES, RegistryClient
from kubepush.registry.credentials import (
    Credentials,
    docker_config_path,
    load_docker_credentials,
)
from kubepush.registry.errors import RegistryError

__all__ = [
    "MANIFEST_MEDIA_TYPES",
    "Credentials",
    "RegistryClient",
    "RegistryError",
    "docker_config_path",
    "load_docker_credentials",
]
