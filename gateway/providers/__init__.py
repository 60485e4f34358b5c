"""Provider adapters by slug: adding a provider is one module and one line in ADAPTERS.

See gateway/providers/base.py for the contract every adapter follows.
"""
from __future__ import annotations

from gateway.providers.anthropic import AnthropicAdapter
from gateway.providers.base import ProviderAdapter
from gateway.providers.google import GoogleAdapter
from gateway.providers.openai import OpenAIAdapter

ADAPTERS: dict[str, ProviderAdapter] = {
    "openai": OpenAIAdapter(),
    "anthropic": AnthropicAdapter(),
    "google": GoogleAdapter(),
}


def get_adapter(slug: str) -> ProviderAdapter:
    """The adapter for a provider slug; KeyError for an unknown slug (a registry bug, not user input)."""
    return ADAPTERS[slug]
