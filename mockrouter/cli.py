"""The ``mockrouter`` command. Every option is also an environment variable ``MOCKROUTER_<OPTION>``."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from mockrouter.errors import FixtureError
from mockrouter.http import server
from mockrouter.settings import PROFILES, Settings

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


def _split(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Repeatable options also accept comma-separated values (``MOCKROUTER_SCENARIOS=a,b``)."""
    if isinstance(value, tuple):
        return tuple(p for v in value for p in str(v).split(",") if p)
    return value


def opt(*decls: str, **kwargs: Any) -> Callable[[F], F]:
    """``click.option`` whose environment variable is ``MOCKROUTER_<DEST>`` (the same for every command)."""
    dest = next((d for d in decls if not d.startswith("-")), None) or max(decls, key=len).lstrip("-").split("/")[0]
    kwargs.setdefault("envvar", f"MOCKROUTER_{dest.replace('-', '_').upper()}")
    kwargs.setdefault("show_envvar", True)
    if kwargs.get("multiple"):
        kwargs.setdefault("callback", _split)
    return click.option(*decls, **kwargs)


def _settings(**options: Any) -> Settings:
    values = {k: v for k, v in options.items() if v is not None}
    for name in ("fixtures", "scenarios"):
        if name in values:
            values[name] = tuple(values[name])
    return Settings(**values)


class _Commands(click.Group):
    """The CLI's commands; ``contract`` (schemathesis' runner) is imported only when asked for: ``serve`` starts
    without it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "contract"})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "contract" and cmd_name not in self.commands:
            from mockrouter.contract.runner import command as contract_command

            self.add_command(contract_command)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_Commands, context_settings={"auto_envvar_prefix": "MOCKROUTER", "help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="mockrouter")
def main() -> None:
    """mockrouter: an offline, contract-faithful stand-in for the OpenRouter API."""


@main.command()
@opt("--host", default="127.0.0.1", show_default=True)
@opt("--port", default=8000, show_default=True, type=int)
@opt("--fixtures", "-f", multiple=True, type=click.Path(exists=True, dir_okay=False), help="extra fixture file")
@opt("--scenario", "scenarios", multiple=True, help="shipped scenario name or file (repeatable)")
@opt("--seed", default=0, show_default=True, type=int)
@opt("--time-scale", default=1.0, show_default=True, type=float, help="0 = no delays, 1 = real time")
@opt("--profile", default="current", show_default=True, type=click.Choice(PROFILES))
@opt("--strict-keys/--any-key", default=False, show_default=True, help="unknown keys get 401")
@opt("--clock", default=None, type=int, help="pin `created` and ids to this unix time")
@opt("--journal-size", default=1000, show_default=True, type=int)
@opt("--admin-token", default=None, help="require this token on /__mockrouter/")
@opt("--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning", "error"]))
@opt("--workers", default=1, show_default=True, type=int, help="processes; several share state in Redis")
@opt("--redis", default=None, help="shared store URL for --workers > 1 (default: a private redis-server)")
def serve(**options: Any) -> None:
    """Serve the mock (default world plus any scenarios and fixture files)."""
    try:
        settings = _settings(**options)
        logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
        click.echo(f"mockrouter on http://{settings.host}:{settings.port}/api/v1  {settings!r}", err=True)
        server.run(settings)
    except (FixtureError, FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@main.command("check-fixtures")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@opt("--scenario", "scenarios", multiple=True)
@opt("--no-default", is_flag=True, help="do not merge over the shipped default world")
def check_fixtures(files: tuple[str, ...], scenarios: tuple[str, ...], no_default: bool) -> None:
    """Validate fixture files; print each error with its file and JSON pointer."""
    from mockrouter.fixtures import load_for, read

    failed = 0
    for path in files:
        try:
            read(path)
            click.echo(f"ok    {path}")
        except FixtureError as exc:
            failed += 1
            click.echo(f"error {exc}")
    if not failed:
        try:
            world = load_for(Settings(fixtures=files, scenarios=scenarios, no_default=no_default))
            click.echo(f"world: {len(world.models)} models, {len(world.providers)} providers, {len(world.stubs)} stubs")
        except (FixtureError, FileNotFoundError) as exc:
            failed += 1
            click.echo(f"error {exc}")
    sys.exit(1 if failed else 0)


@main.command()
@opt("--indent", default=2, type=int)
@opt("--admin", is_flag=True, help="the admin API's document (/__mockrouter/openapi.json)")
def openapi(indent: int, admin: bool) -> None:
    """Print the OpenAPI document the mock serves at /api/v1/openapi.json (or the admin API's)."""
    from mockrouter.contract.openapi import document
    from mockrouter.contract.operations import Surface

    click.echo(json.dumps(document(Surface.ADMIN if admin else Surface.API), indent=indent))


@main.command()
@opt("--upstream", required=True, help="base URL of the real API, e.g. https://openrouter.ai/api/v1")
@opt("--out", default="recordings.yaml", show_default=True, type=click.Path(dir_okay=False))
@opt("--host", default="127.0.0.1", show_default=True)
@opt("--port", default=8000, show_default=True, type=int)
def record(upstream: str, out: str, host: str, port: int) -> None:
    """Proxy to UPSTREAM with the caller's key and record every exchange into a fixture file."""
    from mockrouter.http.recording import serve

    logging.basicConfig(level="INFO", format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    click.echo(f"recording {upstream} -> {out}; point clients at http://{host}:{port}/api/v1", err=True)
    serve(upstream, out, host, port)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@opt("--host", default="127.0.0.1", show_default=True)
@opt("--port", default=8000, show_default=True, type=int)
@opt("--time-scale", default=1.0, show_default=True, type=float)
def replay(files: tuple[str, ...], host: str, port: int, time_scale: float) -> None:
    """Serve recorded exchanges back offline, at the recorded pace scaled by --time-scale."""
    try:
        server.run(Settings(host=host, port=port, fixtures=files, time_scale=time_scale))
    except FixtureError as exc:
        raise click.ClickException(str(exc)) from None


if __name__ == "__main__":  # pragma: no cover
    main()
