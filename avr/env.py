"""Read settings from environment variables; a secret may come from `<NAME>_FILE` instead."""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class ImproperEnvironment(RuntimeError):
    pass


def env_str(name: str, default: str | None = None) -> str | None:
    """The variable's value, or the content of the file named by `<NAME>_FILE`, or `default`."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperEnvironment(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperEnvironment(f"{name} must be a whole number, not {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env_str(name, default) or "").split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Django DATABASES entry from postgres://user:pass@host:port/name (host may be a socket dir in ?host=)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ImproperEnvironment(f"DATABASE_URL must be a postgres:// URL, not {parts.scheme}://")
    query = parse_qs(parts.query)
    host = unquote(parts.hostname or "") or query.get("host", [""])[0]
    options = {k: v[0] for k, v in query.items() if k != "host"}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "avr",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "OPTIONS": options,
    }
