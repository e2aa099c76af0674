"""``python -m palermo`` runs the command line."""

from palermo.cli import main

main()
