# AVR Case Manager: one image for the web server, the Celery worker and Celery beat (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DJANGO_SETTINGS_MODULE=avr.settings

# WeasyPrint renders PDFs through Pango/HarfBuzz (loaded with dlopen) and needs at least one font.
# No gettext: the .po catalogues are compiled by `manage.py buildmessages` (pure Python).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 avr \
    && useradd --system --uid 10001 --gid avr --home-dir /home/avr --create-home --shell /usr/sbin/nologin avr

WORKDIR /app

# Dependencies first, so a code change does not reinstall them (the project itself installs no packages).
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Translations and static files are built into the image. Settings are only read here, nothing is connected:
# the secret key is a throwaway needed because DEBUG is off.
RUN DJANGO_SECRET_KEY=build-time-only-not-a-secret python manage.py buildmessages \
    && DJANGO_SECRET_KEY=build-time-only-not-a-secret python manage.py collectstatic --noinput \
    && mkdir -p /var/lib/avr/media \
    && chown -R avr:avr /var/lib/avr

ENV MEDIA_ROOT=/var/lib/avr/media \
    CELERY_BEAT_SCHEDULE_FILENAME=/var/lib/avr/celerybeat-schedule \
    WEB_CONCURRENCY=3

# The code and static files stay owned by root: the app can read them, not change them.
USER avr
EXPOSE 8000

# Gunicorn takes its number of workers from WEB_CONCURRENCY.
CMD ["gunicorn", "avr.wsgi", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", "--timeout", "60", \
     "--graceful-timeout", "10", "--access-logfile", "-"]
