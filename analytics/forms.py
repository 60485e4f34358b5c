"""Forms of the keys page; the writes go through keys/services.py."""
from django import forms

from keys.models import ProviderKey


class GatewayKeyForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"placeholder": "e.g. production"}))
    rate_limit_rpm = forms.IntegerField(
        required=False, min_value=1, max_value=1_000_000, label="Requests per minute",
        widget=forms.NumberInput(attrs={"placeholder": "default"}),
    )


class ProviderKeyForm(forms.Form):
    provider = forms.ChoiceField(choices=ProviderKey.Provider.choices)
    key = forms.CharField(max_length=512, strip=True, widget=forms.PasswordInput(attrs={"autocomplete": "off"}))
    label = forms.CharField(max_length=100, required=False, widget=forms.TextInput(attrs={"placeholder": "optional"}))
