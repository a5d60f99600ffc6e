"""Fixtures every test folder may use."""

import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files (attachments) go to a temporary folder, never into var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api_client() -> APIClient:
    """An anonymous client of the REST API."""
    return APIClient()
