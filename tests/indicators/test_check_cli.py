"""``quartier geheimhaltung pruefen`` as a statistics office runs it: exit codes and messages."""

from __future__ import annotations

import pytest

from tests.clitools import assert_one_line_error, quartier, small_demo

pytestmark = pytest.mark.slow


def test_the_check_command_on_a_small_musterstadt(cli_env):
    assert small_demo(cli_env).returncode == 0
    done = quartier("geheimhaltung", "pruefen", "--period", "2024", env=cli_env)
    assert done.returncode == 0, done.stderr
    assert "Geprüft für die Öffentlichkeit" in done.stdout
    assert "Keiner ist zu eng eingrenzbar." in done.stdout
    assert "HiGHS" not in done.stdout  # the solver's banner does not reach the user
    done = quartier(
        "geheimhaltung",
        "pruefen",
        "--as-user",
        "analyse",
        "--indicator",
        "esu_uebergewicht",
        "--period",
        "2023-12-31,2024-12-31",
        env=cli_env,
    )
    assert done.returncode == 0, done.stderr
    assert "Geprüft für „analyse“" in done.stdout
    # The restricted Jugendamt count is unknown to the analyst, and says so like an unknown key.
    for args, text in [
        (["--as-user", "analyse", "--indicator", "hze_faelle"], "nicht sichtbarer Indikator"),
        (["--indicator", "gibtsnicht"], "nicht sichtbarer Indikator"),
        (["--as-user", "niemand"], "Kein Konto „niemand“"),
        (["--period", "gestern"], "kein Datum"),
    ]:
        done = quartier("geheimhaltung", "pruefen", *args, env=cli_env)
        assert text in assert_one_line_error(done)
