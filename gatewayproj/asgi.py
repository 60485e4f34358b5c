"""ASGI entry point: `gunicorn -k uvicorn_worker.UvicornWorker gatewayproj.asgi:application`.

/v1 goes to the gateway's own small ASGI app (gateway/asgi.py); everything else goes through the
full Django stack. Lifespan events start and flush the usage recorder.
"""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatewayproj.settings")

import django  # noqa: E402

django.setup(set_prefix=False)

from gatewayproj.dispatch import build_application  # noqa: E402

application = build_application()
