"""Settings: looker.ini + LOOKERSDK_* precedence and clear configuration errors."""

from __future__ import annotations

from pathlib import Path

import looker_ci
import pytest
from looker_ci import errors
from looker_ci.testing import FakeLooker

ENV_NAMES = [
    "LOOKERSDK_BASE_URL",
    "LOOKERSDK_CLIENT_ID",
    "LOOKERSDK_CLIENT_SECRET",
    "LOOKERSDK_VERIFY_SSL",
    "LOOKERSDK_TIMEOUT",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_from_env_uses_the_environment(fake: FakeLooker, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    with looker_ci.LookerClient.from_env() as client:
        assert client.me()["id"] == "1"
        assert client.base_url == fake.base_url


def test_env_overrides_ini_first_section(
    fake: FakeLooker, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "looker.ini").write_text(
        "[Looker]\n"
        "base_url=http://127.0.0.1:9\n"
        f"client_id={fake.client_id}\n"
        f"client_secret={fake.client_secret}\n"
        "timeout=5\n"
        "[Other]\nbase_url=http://127.0.0.1:8\n"
    )
    # The ini's base_url points nowhere; the environment overrides it.
    monkeypatch.setenv("LOOKERSDK_BASE_URL", fake.base_url)
    with looker_ci.LookerClient.from_env() as client:
        assert client.base_url == fake.base_url
        assert client.me()["id"] == "1"


def test_named_section_of_an_explicit_file(fake: FakeLooker, tmp_path: Path) -> None:
    ini = tmp_path / "custom.ini"
    ini.write_text(
        "[First]\nbase_url=http://127.0.0.1:9\n"
        f"[CI]\nbase_url={fake.base_url}\nclient_id={fake.client_id}\n"
        f"client_secret={fake.client_secret}\n"
    )
    with looker_ci.LookerClient.from_env(config_file=ini, section="CI") as client:
        assert client.me()["id"] == "1"


def test_explicit_arguments_override_environment(
    fake: FakeLooker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOOKERSDK_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LOOKERSDK_CLIENT_ID", fake.client_id)
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", fake.client_secret)
    with looker_ci.LookerClient(base_url=fake.base_url, read_env=True) as client:
        assert client.me()["id"] == "1"


@pytest.mark.parametrize(
    ("name", "value", "setting"),
    [
        ("LOOKERSDK_TIMEOUT", "ten", "timeout"),
        ("LOOKERSDK_BASE_URL", "not a url", "base_url"),
        ("LOOKERSDK_VERIFY_SSL", "perhaps", "verify_ssl"),
    ],
)
def test_bad_settings_name_the_setting_and_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, setting: str
) -> None:
    monkeypatch.setenv("LOOKERSDK_BASE_URL", "https://example.cloud.looker.com")
    monkeypatch.setenv(name, value)
    with pytest.raises(errors.ConfigError) as info:
        looker_ci.LookerClient.from_env()
    assert info.value.setting == setting
    assert info.value.origin == f"environment variable {name}"
    assert name in str(info.value)


def test_missing_settings_say_what_to_set() -> None:
    with pytest.raises(errors.ConfigError, match="LOOKERSDK_BASE_URL"):
        looker_ci.LookerClient.from_env()
    with pytest.raises(errors.ConfigError) as info:
        looker_ci.LookerClient(base_url="https://example.cloud.looker.com", client_id="id")
    assert info.value.setting == "client_secret"


def test_bad_ini_file_names_file_and_line(tmp_path: Path) -> None:
    ini = tmp_path / "looker.ini"
    ini.write_text("[Looker]\nthis line has no equals sign\n")
    with pytest.raises(errors.ConfigError, match="line 2"):
        looker_ci.LookerClient.from_env()
    with pytest.raises(errors.ConfigError, match="does not exist"):
        looker_ci.LookerClient.from_env(config_file=tmp_path / "missing.ini")


def _two_sections(fake: FakeLooker, tmp_path: Path) -> None:
    (tmp_path / "looker.ini").write_text(
        "[First]\nbase_url=http://127.0.0.1:9\n"
        f"[CI]\nbase_url={fake.base_url}\nclient_id={fake.client_id}\n"
        f"client_secret={fake.client_secret}\n"
    )


def test_named_section_of_the_default_looker_ini(fake: FakeLooker, tmp_path: Path) -> None:
    _two_sections(fake, tmp_path)
    with looker_ci.LookerClient.from_env(section="CI") as client:
        assert client.base_url == fake.base_url
        assert client.me()["id"] == "1"
    with looker_ci.LookerClient(read_env=True, section="CI") as client:
        assert client.base_url == fake.base_url


def test_a_missing_section_names_the_file_and_its_sections(
    fake: FakeLooker, tmp_path: Path
) -> None:
    _two_sections(fake, tmp_path)
    for make in (
        lambda: looker_ci.LookerClient.from_env(section="Nope"),
        lambda: looker_ci.LookerClient(read_env=True, section="Nope"),
    ):
        with pytest.raises(errors.ConfigError) as info:
            make()
        assert info.value.setting == "ini_section"
        assert "looker.ini" in str(info.value)
        assert "[First], [CI]" in str(info.value)
    with pytest.raises(errors.ConfigError, match="read_env"):
        looker_ci.LookerClient(base_url=fake.base_url, section="CI")


def test_env_overlay_refuses_unknown_names_of_ours_and_allows_the_rest(fake: FakeLooker) -> None:
    with pytest.raises(errors.InvalidArgumentError) as info:
        looker_ci.LookerClient.from_env(env={**fake.env(), "LOOKERSDK_BASEURL": fake.base_url})
    assert info.value.argument == "env"
    assert "did you mean LOOKERSDK_BASE_URL?" in str(info.value)
    with pytest.raises(errors.InvalidArgumentError, match="LOOKER_CI_OKTA_CLIENT_ID"):
        looker_ci.LookerClient(read_env=True, env={"LOOKER_CI_OKTA_CLIENTID": "x"})
    # Names outside our namespaces are read by the chain (AWS_*, CI_*) or ignored: allowed.
    env = {**fake.env(), "AWS_REGION": "eu-west-1", "CI_JOB_ID": "7", "SOMETHING_ELSE": "1"}
    with looker_ci.LookerClient.from_env(env=env) as client:
        assert client.me()["id"] == "1"


def test_timeout_zero_is_refused_with_the_exact_range(fake: FakeLooker) -> None:
    with pytest.raises(errors.ConfigError) as info:
        looker_ci.LookerClient(base_url=fake.base_url, timeout=0)
    assert "greater than 0 and at most 86400" in str(info.value)
