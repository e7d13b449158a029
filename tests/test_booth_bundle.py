"""The committed booth bundle is built from the committed sources (`make booth`), and asks only for known strings."""

import hashlib
import re
from pathlib import Path

from sync.booth_strings import STRINGS

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
BUILT = [ROOT / "static" / "booth" / name for name in ("booth.js", "booth-sw.js", "booth.css")]


def sources_digest() -> str:
    """As build.mjs computes it: "path\\0content\\0" of build.mjs, package.json, package-lock.json and src/**."""
    paths = ["build.mjs", "package.json", "package-lock.json",
             *(p.relative_to(FRONTEND).as_posix() for p in (FRONTEND / "src").rglob("*") if p.is_file())]
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.encode() + b"\0" + (FRONTEND / path).read_bytes() + b"\0")
    return digest.hexdigest()


def test_each_built_file_starts_with_the_digest_of_the_current_sources_so_a_stale_bundle_fails():
    expected = f"/* avr-booth sources sha256:{sources_digest()} */"
    for path in BUILT:
        first_line = path.read_text().split("\n", 1)[0]
        assert first_line == expected, f"{path.name} is stale: run `make booth` and commit static/booth/"


def test_the_lock_file_is_committed_and_pins_every_library_the_booth_uses():
    lock = (FRONTEND / "package-lock.json").read_text()
    for name in ("dexie", "uuid", "workbox-precaching", "workbox-routing", "workbox-strategies", "esbuild"):
        assert f'"node_modules/{name}"' in lock


def test_every_string_the_booth_shows_is_in_the_translated_catalogue():
    asked = set()
    for path in (FRONTEND / "src").glob("*.js"):
        asked |= set(re.findall(r"\bt\(\s*\"([^\"]+)\"", path.read_text()))
    fields = re.findall(r'name: "([a-z_]+)"', (FRONTEND / "src" / "forms.js").read_text()
                        + (FRONTEND / "src" / "booth.js").read_text())
    asked |= {f"field.{name}" for name in fields}
    asked |= {f"kind.{kind}" for kind in ("register", "member_add", "member_edit", "case_edit", "consent_withdraw",
                                          "counselling")}
    assert sorted(asked - set(STRINGS)) == []


def test_the_bundles_load_nothing_from_another_host():
    for path in BUILT:
        text = path.read_text()
        assert not re.search(r"importScripts\(\s*[\"'`]https?:", text)
        assert "cdn." not in text.lower()
