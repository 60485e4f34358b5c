"""Django settings as plain attributes, for code that reads them on every request.

Each `django.conf.settings.X` goes through LazyObject.__getattribute__ (about 1 µs); the request
path reads some thirty of them, about 3% of a worker's time under load. Values read here are
kept in the instance dict, so later reads are ordinary attribute look-ups; Django's
`setting_changed` signal (override_settings, pytest-django's `settings`) forgets them all.
"""
from django.conf import settings as django_settings
from django.core.signals import setting_changed


class CachedSettings:
    def __getattr__(self, name: str):
        value = getattr(django_settings, name)
        self.__dict__[name] = value
        return value

    def forget(self, **_) -> None:
        self.__dict__.clear()


settings = CachedSettings()
setting_changed.connect(settings.forget, dispatch_uid="gateway-cached-settings")
