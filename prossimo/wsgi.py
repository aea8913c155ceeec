"""WSGI entry point (waitress in the embedded mode, gunicorn in production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prossimo.settings")
application = get_wsgi_application()
