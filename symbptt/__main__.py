"""`python -m symbptt` runs the command-line interface."""

import sys

from symbptt.cli import main

sys.exit(main())
