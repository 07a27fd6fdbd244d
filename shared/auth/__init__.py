"""Department credentials: tokens the registry signs, verified in every service from its JWKS."""

from shared.auth.dependencies import authenticated, install_authenticator, require_roles
from shared.auth.principal import Principal, Role

__all__ = ["Principal", "Role", "authenticated", "install_authenticator", "require_roles"]
