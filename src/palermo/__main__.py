"""``python -m palermo`` runs the command line."""

from palermo.cli import main

if __name__ == "__main__":  # not when a worker process imports it as __mp_main__
    main()
