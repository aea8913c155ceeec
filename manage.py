#!/usr/bin/env python
"""Django's command-line utility for Prossimo (the `prossimo` console script does the same)."""

from prossimo.cli import main

if __name__ == "__main__":
    main()
