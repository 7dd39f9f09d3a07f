import os
import stat

import pytest

from quartier.config import (
    database_settings,
    ensure_data_dir,
    load_config,
    load_or_create_secret_key,
)
from quartier.errors import QuartierError


def test_defaults_to_sqlite_in_the_data_dir(tmp_path):
    config = load_config({"QUARTIER_DATA_DIR": str(tmp_path)})
    assert config.uses_sqlite and not config.debug
    assert database_settings(config.database_url)["NAME"] == str(tmp_path / "quartier.sqlite3")


def test_postgres_url_is_understood():
    db = database_settings("postgresql://postgres:geheim@db.example:5433/quartier")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == (
        "db.example",
        5433,
        "quartier",
        "postgres",
    )


@pytest.mark.parametrize(
    "url", ["mysql://root@localhost/q", "quatsch", "sqlite://", "postgresql://u:p@h:port/x"]
)
def test_bad_database_urls_get_a_clear_message(url):
    with pytest.raises(QuartierError) as err:
        database_settings(url)
    assert "QUARTIER_DATABASE_URL" in err.value.message
    assert "\n" not in err.value.message


def test_password_is_not_echoed():
    with pytest.raises(QuartierError) as err:
        database_settings("mysql://root:supersecret@localhost/q")
    assert "supersecret" not in err.value.message


def test_secret_key_is_created_once_with_private_permissions(tmp_path):
    config = load_config({"QUARTIER_DATA_DIR": str(tmp_path)})
    key = load_or_create_secret_key(config)
    assert len(key) > 40
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    assert load_or_create_secret_key(config) == key
    assert load_or_create_secret_key(load_config({"QUARTIER_SECRET_KEY": "abc"})) == "abc"


def test_data_dir_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(QuartierError) as err:
        ensure_data_dir(load_config({"QUARTIER_DATA_DIR": str(blocker / "sub")}))
    assert "QUARTIER_DATA_DIR" in err.value.message


def test_debug_flag():
    assert load_config({"QUARTIER_DEBUG": "1"}).debug
    assert not load_config({"QUARTIER_DEBUG": "0"}).debug


def test_limits_of_the_work_of_one_request():
    default = load_config({})
    assert (default.max_request_values, default.heavy_requests) == (1_000_000, 2)
    config = load_config({"QUARTIER_MAX_REQUEST_VALUES": "250000", "QUARTIER_HEAVY_REQUESTS": "4"})
    assert (config.max_request_values, config.heavy_requests) == (250_000, 4)
    for name, value in [("QUARTIER_HEAVY_REQUESTS", "0"), ("QUARTIER_MAX_REQUEST_VALUES", "x")]:
        with pytest.raises(QuartierError) as err:
            load_config({name: value})
        assert name in err.value.message and "\n" not in err.value.message
