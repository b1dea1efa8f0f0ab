"""`python -m app` and the PyInstaller bundle's entry point: the `latentlab` command line."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
