"""Static files as production serves them: collected into a manifest by WhiteNoise."""

from django.core.management import call_command
from django.test import override_settings


def test_collectstatic_builds_the_production_manifest(tmp_path):
    # A vendored file naming a source map that is not there failed this step, and with
    # it every page in production.
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", "--no-input", verbosity=0)

    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("vendor/leaflet-1.9.4/leaflet.*.js"))
