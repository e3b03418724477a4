"""What the `spectrogenre` command and every stages/*.py script share: user errors as one line, not a traceback.

Kept apart from cli.py, whose commands import most of the package: a stage's script imports
this and the modules it uses, and dvc.yaml lists exactly those (tests/test_dvc_deps.py).
"""

from __future__ import annotations

import functools

import typer

from spectrogenre.errors import SpectrogenreError


def user_errors(func):
    """Print a SpectrogenreError as one 'error: ...' line and exit 1, instead of a traceback. A Ctrl-C that
    the command does not report itself (say while the model loads) exits 130, as shells expect of an
    interrupted command, not click's "Aborted!" and 1, which reads as a failure."""
    @functools.wraps(func)
    def guarded(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SpectrogenreError as err:
            typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
    return guarded


def run_stage(main) -> None:
    """Entry point of a stages/*.py script: its options from the command line, user errors as one line."""
    typer.run(user_errors(main))
