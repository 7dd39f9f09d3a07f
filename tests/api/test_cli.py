"""A nightly script's view: a token made with ``quartier token``, used against a real server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.clitools import assert_one_line_error, free_port, quartier, running, small_demo

pytestmark = pytest.mark.slow


def fetch(url: str, secret: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url)
    if secret:
        request.add_header("Authorization", f"Bearer {secret}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_command_line_tokens_and_exports(cli_env, tmp_path):
    """One small Musterstadt (built once) serves both halves: tokens, then exports."""
    assert small_demo(cli_env).returncode == 0
    token_works_until_revoked(cli_env)
    export_with_a_users_rights(cli_env, tmp_path)


def token_works_until_revoked(cli_env):
    made = quartier("token", "create", "analyse", "Nachtlauf", env=cli_env)
    assert made.returncode == 0, made.stderr
    secret = next(line for line in made.stdout.splitlines() if line.startswith("qt_"))
    token_id = made.stdout.split()[1]
    listing = quartier("token", "list", "--user", "analyse", env=cli_env).stdout
    assert "Nachtlauf" in listing and "aktiv" in listing and secret not in listing
    port = free_port()
    with running(["serve", "--port", str(port)], cli_env) as (url, _output):
        assert fetch(url + "api/v1/me/", secret)[1]["username"] == "analyse"
        internal = url + "api/v1/indicators/quote_uebergewicht/"
        assert fetch(internal)[0] == 404
        assert fetch(internal, secret) == (200, fetch(internal, secret)[1])
        revoked = quartier("token", "revoke", token_id, env=cli_env)
        assert revoked.returncode == 0 and "widerrufen" in revoked.stdout
        assert fetch(internal, secret)[0] == 401
    assert (
        "kein aktives konto"
        in assert_one_line_error(quartier("token", "create", "niemand", "x", env=cli_env)).lower()
    )


def export_with_a_users_rights(cli_env, tmp_path):
    import openpyxl
    import pyogrio

    target = tmp_path / "musterstadt.gpkg"
    made = quartier(
        "export",
        "--indicator",
        "kinderarmut,ew_gesamt",
        "--level",
        "stadtteil,stadtbezirk",
        "--format",
        "gpkg",
        "--output",
        str(target),
        # The limit of one web request's work does not hold on the command line.
        env={**cli_env, "QUARTIER_MAX_REQUEST_VALUES": "1"},
    )
    assert made.returncode == 0, made.stderr
    layers = {name for name, _geometry in pyogrio.list_layers(target)}
    assert {"stadtteil", "stadtbezirk"} <= layers
    frame = pyogrio.read_dataframe(target, layer="stadtbezirk")
    assert "kinderarmut" in frame.columns and len(frame) > 0
    # Internal indicators need an account that may see them.
    refused = quartier(
        "export", "--indicator", "quote_uebergewicht", "--level", "stadtteil", env=cli_env
    )
    assert "quote_uebergewicht" in assert_one_line_error(refused)
    allowed = quartier(
        "export",
        "--indicator",
        "quote_uebergewicht",
        "--level",
        "stadtteil",
        "--user",
        "analyse",
        "--output",
        str(tmp_path),
        env=cli_env,
    )
    assert allowed.returncode == 0, allowed.stderr
    workbook = openpyxl.load_workbook(next(tmp_path.glob("*.xlsx")), read_only=True)
    assert "Metadaten" in workbook.sheetnames
