"""`wheelscan config show|set|unset`: the settings in force and where each came from."""

from __future__ import annotations

import math
from typing import Annotated, Any

import typer

from wheelscan.cli.json_output import echo_json
from wheelscan.cli.params import (
    MaxDeltaOption,
    MaxDteOption,
    MaxSpreadOption,
    MinDteOption,
    MinOiOption,
    MinReturnOption,
    RateOption,
    WeeksOption,
)

config_app = typer.Typer(
    name="config",
    help="Show or change settings (config.toml).",
    no_args_is_help=True,
)


def _shown(value: Any) -> str:
    if value is None:
        return "(source default)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return str(value)


def _json_value(value: Any) -> Any:
    return None if isinstance(value, float) and math.isinf(value) else value


@config_app.command("show")
def show(
    weeks: WeeksOption = None,
    min_dte: MinDteOption = None,
    max_dte: MaxDteOption = None,
    min_return: MinReturnOption = None,
    max_delta: MaxDeltaOption = None,
    min_oi: MinOiOption = None,
    max_spread: MaxSpreadOption = None,
    rate: RateOption = None,
    source: Annotated[str | None, typer.Option(help="yahoo, demo or snapshot:DIR.")] = None,
    force: Annotated[bool, typer.Option("--force", help="As if --force were given.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the effective settings: command line over config file over defaults.

    The scan options are accepted so you can see what a scan with them would use.
    """
    from wheelscan.cli.options import CriteriaOptions
    from wheelscan.config import effective_settings

    options = CriteriaOptions(
        weeks=weeks,
        min_dte=min_dte,
        max_dte=max_dte,
        min_return=min_return,
        max_delta=max_delta,
        min_oi=min_oi,
        max_spread=max_spread,
        rate=rate,
    )
    settings = effective_settings(options, source=source, allow_closed=force)
    rows = settings.rows()
    if as_json:
        document = {
            "path": str(settings.path),
            "exists": settings.path.exists(),
            "settings": {
                key: {"value": _json_value(value), "origin": origin} for key, value, origin in rows
            },
        }
        echo_json(document)
        return
    state = "" if settings.path.exists() else " (not created yet: defaults in use)"
    typer.echo(f"# {settings.path}{state}")
    width = max(len(key) for key, _, _ in rows)
    value_width = max(len(_shown(value)) for _, value, _ in rows)
    for key, value, origin in rows:
        typer.echo(f"{key:<{width}}  {_shown(value):<{value_width}}  {origin}")


@config_app.command("set", context_settings={"ignore_unknown_options": True})
def set_(
    key: Annotated[str, typer.Argument(help="A key `config show` lists (or weeks).")],
    value: Annotated[str, typer.Argument(help="Its new value.")],
) -> None:
    """Set KEY to VALUE in config.toml (validated; comments and order are kept)."""
    from wheelscan.config import config_path, set_value

    stored, removed = set_value(key, value)
    note = f" (removed {', '.join(removed)}: it sets the same thing)" if removed else ""
    typer.echo(f"{key} = {_shown(stored)} in {config_path()}{note}")


@config_app.command("unset")
def unset(key: Annotated[str, typer.Argument(help="The key to remove.")]) -> None:
    """Remove KEY from config.toml, so its default applies again."""
    from wheelscan.config import config_path, unset_value

    removed = unset_value(key)
    verb = "removed from" if removed else "was not set in"
    typer.echo(f"{key} {verb} {config_path()}")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app)
