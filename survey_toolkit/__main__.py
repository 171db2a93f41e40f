"""``python -m survey_toolkit`` runs the command line."""

from .cli import main

main()
