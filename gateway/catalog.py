"""The default model catalog that `manage.py load_catalog` writes into the registry.

Prices are public list prices in USD per million tokens (standard tier, short prompts, no batch
or priority discounts), taken on 2026-11-27 from the vendors' own pages:
- OpenAI: https://developers.openai.com/api/docs/pricing and the model pages
  https://developers.openai.com/api/docs/models/<model id> (gpt-6.2-astra, gpt-6.2-sol,
  gpt-6.1-terra, gpt-6-luna).
- Anthropic: https://platform.claude.com/docs/en/about-claude/pricing and
  https://platform.claude.com/docs/en/about-claude/models/overview.
- Google: https://ai.google.dev/gemini-api/docs/pricing and
  https://ai.google.dev/gemini-api/docs/models. The Gemini 4 models (Carbon GA 2026-11-10,
  Neon 2026-11-18, Hydrogen) were newer than the copy of Google's pricing page at hand; their
  prices are Google's list prices as quoted in the launch notes of gateways that bill at them.

Where a vendor runs a time-limited introductory price, the catalog holds the standard price the
vendor publishes beside it (a router tuned to a promotion would be wrong weeks later):
gemini-4-carbon is $2/$10 until 2026-11-30, then $4/$20 (held here); gemini-3.8-flash is
$0.75/$3.75 until 2026-12-31, then $1.50/$7.50 (held here). Long-prompt surcharges are not
modelled (OpenAI: prompts over 272K tokens; Anthropic Haiku 5.5: prompts over 100K tokens cost
$0.50/$2.50; Gemini Pro-class tiers over 200K). `cached_input` is the cache-read price; None
where the vendor publishes none for the standard price (cached tokens then cost full input).
gemini-4-carbon's cache read ($0.20) is Google's Gemini 4 rate of 5% of input applied to the
standard price.

Quality and speed are 0-100 and drive routing (minimum quality per complexity: simple 0,
moderate 65, complex 80, expert 90). Quality: small models 55-70, mid 70-82, strong general
82-90, top and reasoning models 90-97. Speed: small models 80-95, top models 30-60. They are
editorial judgements from each vendor's own positioning of the model, not benchmark scores.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

PRICES_TAKEN_ON = "2026-11-27"

PROVIDER_NAMES = {"openai": "OpenAI", "anthropic": "Anthropic", "google": "Google"}


@dataclass(frozen=True)
class CatalogModel:
    provider: str
    model_id: str
    display_name: str
    input_price: D
    output_price: D
    cached_input_price: D | None
    quality: int
    speed: int
    context_window: int
    max_output_tokens: int
    fallbacks: tuple[str, ...]
    supports_tools: bool = True
    supports_vision: bool = True
    supports_json_mode: bool = True


OPENAI_CONTEXT = 1_050_000
CLAUDE_CONTEXT = 1_000_000
GEMINI_CONTEXT = 1_048_576

MODELS: tuple[CatalogModel, ...] = (
    # OpenAI: Astra (flagship reasoning), Sol (everyday), Terra (fast, efficient), Luna (high volume).
    CatalogModel("openai", "gpt-6.2-astra", "GPT-6.2 Astra", D("8"), D("40"), D("0.40"), 96, 35,
                 OPENAI_CONTEXT, 128_000, ("claude-opus-5-5", "gemini-4-carbon")),
    CatalogModel("openai", "gpt-6.2-sol", "GPT-6.2 Sol", D("2"), D("10"), D("0.10"), 89, 55,
                 OPENAI_CONTEXT, 128_000, ("claude-sonnet-5-5", "gemini-4-neon")),
    CatalogModel("openai", "gpt-6.1-terra", "GPT-6.1 Terra", D("1"), D("5"), D("0.05"), 80, 78,
                 OPENAI_CONTEXT, 128_000, ("gemini-4-hydrogen", "claude-sonnet-5-5")),
    CatalogModel("openai", "gpt-6-luna", "GPT-6 Luna", D("0.10"), D("0.50"), D("0.01"), 70, 90,
                 OPENAI_CONTEXT, 128_000, ("claude-haiku-5-5", "gemini-3.5-flash-lite")),
    # Anthropic: Fable (most capable), Opus, Sonnet, Haiku.
    CatalogModel("anthropic", "claude-fable-5-1", "Claude Fable 5.1", D("10"), D("50"), D("0.25"), 97, 30,
                 CLAUDE_CONTEXT, 128_000, ("gpt-6.2-astra", "gemini-4-carbon")),
    CatalogModel("anthropic", "claude-opus-5-5", "Claude Opus 5.5", D("4"), D("20"), D("0.20"), 95, 45,
                 CLAUDE_CONTEXT, 128_000, ("gpt-6.2-astra", "gemini-4-carbon")),
    CatalogModel("anthropic", "claude-sonnet-5-5", "Claude Sonnet 5.5", D("2"), D("10"), D("0.10"), 88, 65,
                 CLAUDE_CONTEXT, 128_000, ("gpt-6.2-sol", "gemini-4-neon")),
    CatalogModel("anthropic", "claude-haiku-5-5", "Claude Haiku 5.5", D("0.10"), D("0.50"), D("0.01"), 74, 92,
                 CLAUDE_CONTEXT, 128_000, ("gpt-6-luna", "gemini-3.5-flash-lite")),
    # Google: Gemini 4 Carbon (strongest reasoning), Neon, Hydrogen; Gemini 3.x Flash and Flash-Lite.
    CatalogModel("google", "gemini-4-carbon", "Gemini 4 Carbon", D("4"), D("20"), D("0.20"), 95, 40,
                 GEMINI_CONTEXT, 65_536, ("claude-opus-5-5", "gpt-6.2-astra")),
    CatalogModel("google", "gemini-4-neon", "Gemini 4 Neon", D("3"), D("15"), D("0.15"), 88, 60,
                 GEMINI_CONTEXT, 65_536, ("claude-sonnet-5-5", "gpt-6.2-sol")),
    CatalogModel("google", "gemini-4-hydrogen", "Gemini 4 Hydrogen", D("1.50"), D("7.50"), D("0.075"), 84, 70,
                 GEMINI_CONTEXT, 65_536, ("gpt-6.1-terra", "claude-sonnet-5-5")),
    CatalogModel("google", "gemini-3.8-flash", "Gemini 3.8 Flash", D("1.50"), D("7.50"), None, 78, 85,
                 GEMINI_CONTEXT, 65_536, ("gpt-6.1-terra", "claude-haiku-5-5")),
    CatalogModel("google", "gemini-3.5-flash-lite", "Gemini 3.5 Flash-Lite", D("0.30"), D("2.50"), None, 64, 95,
                 GEMINI_CONTEXT, 65_536, ("gpt-6-luna", "claude-haiku-5-5")),
)
