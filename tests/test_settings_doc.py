"""The configuration reference in docs/deploy.md is the settings models, rendered: the
test fails when a setting is added, changed or left undescribed without the document
following (``huddle settings`` prints the new table)."""

from __future__ import annotations

import re

from bot.cli import settings_groups
from bot.settings import PROJECT_ROOT
from bot.settings_doc import block_of, reference, undocumented

DEPLOY = PROJECT_ROOT / "docs" / "deploy.md"


def _known() -> set[str]:
    return {
        f"{str(model.model_config.get('env_prefix', '')).upper()}{name.upper()}"
        for _, model in settings_groups()
        for name in model.model_fields
    }


def test_every_setting_says_what_it_does() -> None:
    assert undocumented(settings_groups()) == []


def test_the_deploy_guide_lists_exactly_the_settings_there_are() -> None:
    shown = block_of(DEPLOY.read_text(encoding="utf-8"))
    assert shown, "docs/deploy.md has no settings block"
    assert shown == reference(settings_groups()), "run `huddle settings` and paste it in"


def test_the_deployment_files_name_only_real_settings() -> None:
    known = _known()
    for name in ("compose.yaml", "Dockerfile", "README.md", "docs/deploy.md"):
        text = (PROJECT_ROOT / name).read_text(encoding="utf-8")
        named = set(re.findall(r"\bHUDDLE_[A-Z_]+[A-Z]\b", text))
        unknown = named - known - {"HUDDLE_HOST_NAME", "HUDDLE_TEST_POSTGRES_URL"}
        unknown -= {"HUDDLE_REQUIRE_POSTGRES", "HUDDLE_REQUIRE_PLAYGROUND", "HUDDLE_REQUIRE_TMPFS"}
        assert not unknown, (name, sorted(unknown))
