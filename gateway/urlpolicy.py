"""Which operator-supplied provider base URLs are acceptable."""
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be a provider base URL, or None when it can."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "The base URL must start with http:// or https://."
    if not parts.hostname:
        return "The base URL needs a host."
    if parts.username or parts.password or "@" in parts.netloc:
        return "The base URL must not carry a user name or password."
    if parts.fragment or url.endswith("#"):
        return "The base URL must not have a fragment."
    if not settings.ALLOW_PRIVATE_PROVIDER_URLS and _is_private_host(parts.hostname):
        return "The base URL points at a private, loopback or link-local address; set ALLOW_PRIVATE_PROVIDER_URLS to allow it."
    return None


def _is_private_host(host: str) -> bool:
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            return True
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError:
            return False
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    return any(a.is_private or a.is_loopback or a.is_link_local or a.is_reserved or a.is_multicast for a in addresses)
