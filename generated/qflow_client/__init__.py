"""A client library for accessing QFlow Customers API"""

from .client import AuthenticatedClient, Client

__version__ = "2.0.1"

__all__ = (
    "AuthenticatedClient",
    "Client",
    "__version__",
)
