"""`python -m dudl ...` is the `dudl` command."""

import sys

from dudl.cli import main

sys.exit(main())
