"""README.md and .env.example say what the code does: both are generated from the settings object."""

from __future__ import annotations

import re

from common.settings import ENV_PREFIX, Settings
from tools import docgen


def test_readme_settings_table_is_exactly_the_generated_one() -> None:
    readme = docgen.README.read_text()
    assert docgen.between(readme, docgen.SETTINGS_MARKERS) == docgen.settings_table(), (
        "README.md is out of date: run `python -m tools.docgen --write`"
    )


def test_the_table_has_one_row_per_setting_with_its_description() -> None:
    rows = [line for line in docgen.settings_table().splitlines()[2:]]
    fields = docgen.documented_fields()
    assert {name for name, _ in fields} == set(Settings.model_fields)
    for row, (name, field) in zip(rows, fields, strict=True):
        assert row.startswith(f"| `{ENV_PREFIX}{name.upper()}` |")
        assert field.description, f"{name} has no description"
        assert field.description.replace("|", "\\|") in row


def test_env_example_is_generated_and_names_every_setting() -> None:
    text = docgen.ENV_EXAMPLE.read_text()
    assert text == docgen.env_example(), ".env.example is out of date: run `python -m tools.docgen --write`"
    named = set(re.findall(rf"^#? ?({ENV_PREFIX}[A-Z_]+)=", text, flags=re.MULTILINE))
    assert named >= {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}


def test_env_example_defaults_load_as_settings() -> None:
    # Every commented default, uncommented, must be a valid value of its setting.
    values = {}
    for line in docgen.env_example().splitlines():
        match = re.match(rf"^# ({ENV_PREFIX}[A-Z_]+)=(.*)$", line)
        if match and match.group(2):
            values[match.group(1).removeprefix(ENV_PREFIX).lower()] = match.group(2)
    Settings.model_validate(values)  # these values alone: not merged with this process's HOP_* environment


def test_readme_keeps_the_two_setup_commands_and_the_lead_sections() -> None:
    readme = docgen.README.read_text()
    assert "make dev" in readme and "make test" in readme
    for heading in ("## Settings", "## Benchmarks", "## Status", "### Production checklist"):
        assert heading in readme


def test_check_mode_passes_on_the_committed_files() -> None:
    assert docgen.main(["--check"]) == 0
