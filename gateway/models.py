"""The model registry and the routing policy, edited by operators in the admin.

The request path never reads these rows directly: `gateway/registry.py` turns them into an
immutable in-memory snapshot that is rebuilt when an operator changes something.
"""
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

PROVIDER_SLUGS = [("openai", "OpenAI"), ("anthropic", "Anthropic"), ("google", "Google")]
COMPLEXITY_LEVELS = [("simple", "Simple"), ("moderate", "Moderate"), ("complex", "Complex"), ("expert", "Expert")]


class Provider(models.Model):
    slug = models.CharField(max_length=20, unique=True, choices=PROVIDER_SLUGS)
    name = models.CharField(max_length=50)
    base_url = models.URLField(
        blank=True, help_text="Empty means the *_BASE_URL setting. http(s), no userinfo, no fragment."
    )
    enabled = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name

    @property
    def effective_base_url(self) -> str:
        return self.base_url or settings.PROVIDER_BASE_URLS[self.slug]

    def clean(self):
        if self.base_url:
            from gateway.urlpolicy import base_url_problem

            problem = base_url_problem(self.base_url)
            if problem:
                raise ValidationError({"base_url": problem})


class LLMModel(models.Model):
    """One model a provider serves. Prices are USD per million tokens; empty means unpriced."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="models")
    model_id = models.CharField(max_length=100, unique=True, help_text="The id clients send and the vendor knows.")
    display_name = models.CharField(max_length=100)
    input_price_per_mtok = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    output_price_per_mtok = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    cached_input_price_per_mtok = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    quality_score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(100)], help_text="0-100, higher is better."
    )
    speed_score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(100)], help_text="0-100, higher is faster."
    )
    context_window = models.PositiveIntegerField()
    max_output_tokens = models.PositiveIntegerField(default=8192)
    supports_tools = models.BooleanField(default=True)
    supports_vision = models.BooleanField(default=False)
    supports_json_mode = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    fallbacks = models.ManyToManyField(
        "self", symmetrical=False, through="ModelFallback", related_name="fallback_for", blank=True
    )

    class Meta:
        ordering = ["provider__slug", "model_id"]
        verbose_name = "LLM model"

    def __str__(self) -> str:
        return self.model_id

    @property
    def is_priced(self) -> bool:
        return self.input_price_per_mtok is not None and self.output_price_per_mtok is not None


class ModelFallback(models.Model):
    """The models tried, in `position` order, when `model` fails (a request naming `model`)."""

    model = models.ForeignKey(LLMModel, on_delete=models.CASCADE, related_name="fallback_links")
    fallback = models.ForeignKey(LLMModel, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["model", "fallback"], name="unique_model_fallback")]

    def clean(self):
        if self.model_id and self.model_id == self.fallback_id:
            raise ValidationError("A model cannot fall back to itself.")


class SingletonModel(models.Model):
    """A table holding one row (pk=1): a policy, not a collection."""

    class Meta:
        abstract = True

    @classmethod
    def load(cls):
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class RoutingWeights(SingletonModel):
    cost = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.400"))
    quality = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.350"))
    speed = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.250"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "routing weights"

    def __str__(self) -> str:
        return f"cost {self.cost} / quality {self.quality} / speed {self.speed}"

    def clean(self):
        for name in ("cost", "quality", "speed"):
            value = getattr(self, name)
            if value is None or value < 0:
                raise ValidationError({name: "Weights are between 0 and 1."})
        if abs((self.cost + self.quality + self.speed) - Decimal("1")) > Decimal("0.001"):
            raise ValidationError("The three weights must sum to 1.")


class ClassifierConfig(SingletonModel):
    """The classifier's thresholds and keyword sets (defaults live in gateway/classifier.py)."""

    thresholds = models.JSONField(default=dict, blank=True, help_text="Overrides of the default thresholds.")
    keywords = models.JSONField(default=dict, blank=True, help_text="Overrides of the default keyword sets.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "classifier settings"

    def __str__(self) -> str:
        return "classifier settings"


class ComplexityRule(models.Model):
    """The minimum quality a model needs to serve requests of one complexity level."""

    complexity = models.CharField(max_length=10, choices=COMPLEXITY_LEVELS, unique=True)
    min_quality = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])

    class Meta:
        ordering = ["min_quality"]

    def __str__(self) -> str:
        return f"{self.complexity} ≥ {self.min_quality}"


class RoutingPreference(models.Model):
    """A user's own routing constraints for `model: "auto"`; empty lists mean no constraint."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing_preference")
    allowed_providers = models.JSONField(default=list, blank=True)
    blocked_providers = models.JSONField(default=list, blank=True)
    allowed_models = models.JSONField(default=list, blank=True)
    blocked_models = models.JSONField(default=list, blank=True)
    cost_weight = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    quality_weight = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    speed_weight = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    max_price_per_mtok = models.DecimalField(
        max_digits=10, decimal_places=4, null=True, blank=True,
        help_text="Ceiling on a model's output price (USD per million tokens).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"routing preferences of {self.user}"
