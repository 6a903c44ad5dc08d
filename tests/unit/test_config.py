"""Configuration: documented defaults, clear errors, and production refusing unsafe settings."""

from __future__ import annotations

import pytest

from service.config import ConfigError, load_settings

SAFE_PRODUCTION = {
    "AUTOFIN_ENV": "production",
    "DATABASE_URL": "postgres://autofin@db.internal:5432/autofin",
    "AUTOFIN_SECRET_KEY": "s" * 48,
    "AUTOFIN_FIELD_ENCRYPTION_KEY": "cHJvZC1maWVsZC1rZXktMzItYnl0ZXMtbG9uZy0hISE=",
    "AUTOFIN_BLIND_INDEX_KEY": "b" * 48,
    "AUTOFIN_SMTP_TLS": "starttls",
    "AUTOFIN_SMTP_HOST": "smtp.internal",
    # A real processor adapter's name (gateways/payments.py:gateway_named maps names to adapters).
    "AUTOFIN_PAYMENT_GATEWAY": "real-processor",
    "AUTOFIN_CREDIT_BUREAU": "real-bureau",  # likewise gateways/bureau.py:bureau_named
    "AUTOFIN_SMS_GATEWAY": "real-sms",  # likewise gateways/sms.py:sms_gateway_named
}


def test_development_defaults_work_out_of_the_box(tmp_path):
    settings = load_settings({"AUTOFIN_VAR_DIR": str(tmp_path)})
    assert settings.environment == "development"
    assert settings.database_url == f"sqlite://{tmp_path / 'autofin.sqlite3'}"
    assert settings.graphiql and settings.introspection and settings.embedded_worker and settings.mail_sink
    assert (settings.host, settings.port, settings.smtp_port) == ("127.0.0.1", 8000, 8025)
    assert not settings.cookie_secure


def test_production_refuses_defaults_and_names_every_variable():
    with pytest.raises(ConfigError) as error:
        load_settings({"AUTOFIN_ENV": "production"})
    message = str(error.value)
    for variable in ("AUTOFIN_SECRET_KEY", "AUTOFIN_FIELD_ENCRYPTION_KEY", "AUTOFIN_BLIND_INDEX_KEY",
                     "AUTOFIN_SMTP_TLS", "DATABASE_URL"):
        assert variable in message


def test_production_refuses_smtp_without_tls():
    with pytest.raises(ConfigError, match="AUTOFIN_SMTP_TLS"):
        load_settings({**SAFE_PRODUCTION, "AUTOFIN_SMTP_TLS": "none"})


def test_safe_production_settings_start_with_hardened_defaults():
    settings = load_settings(SAFE_PRODUCTION)
    assert settings.is_production and settings.cookie_secure
    assert not settings.graphiql and not settings.introspection and not settings.mail_sink
    assert not settings.embedded_worker


@pytest.mark.parametrize(
    ("variable", "value"),
    [("AUTOFIN_PORT", "eighty"), ("AUTOFIN_GRAPHIQL", "maybe"), ("AUTOFIN_ENV", "staging"), ("AUTOFIN_SMTP_TLS", "ssl")],
)
def test_malformed_values_name_the_variable(variable, value):
    with pytest.raises(ConfigError, match=variable):
        load_settings({variable: value})


def test_cors_origins_are_a_comma_list():
    assert load_settings({"AUTOFIN_CORS_ORIGINS": "https://a.example, https://b.example"}).cors_origins == (
        "https://a.example",
        "https://b.example",
    )


def test_smtp_password_is_not_in_repr():
    assert "hunter2" not in repr(load_settings({"AUTOFIN_SMTP_PASSWORD": "hunter2"}))


def test_serve_refuses_to_start_in_production_and_says_why(monkeypatch, capsys):
    from service import cli

    monkeypatch.setenv("AUTOFIN_ENV", "production")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["serve"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "refusing to start in production" in error and "AUTOFIN_SECRET_KEY" in error


def test_production_refuses_the_sandbox_credit_bureau():
    with pytest.raises(ConfigError, match="AUTOFIN_CREDIT_BUREAU"):
        load_settings({**SAFE_PRODUCTION, "AUTOFIN_CREDIT_BUREAU": "sandbox"})


def test_production_refuses_the_sandbox_sms_gateway():
    with pytest.raises(ConfigError, match="AUTOFIN_SMS_GATEWAY"):
        load_settings({**SAFE_PRODUCTION, "AUTOFIN_SMS_GATEWAY": "sandbox"})


def test_production_refuses_the_sandbox_payment_gateway():
    with pytest.raises(ConfigError, match="AUTOFIN_PAYMENT_GATEWAY"):
        load_settings({**SAFE_PRODUCTION, "AUTOFIN_PAYMENT_GATEWAY": "sandbox"})
