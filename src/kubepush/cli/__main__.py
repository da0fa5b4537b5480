"""``python -m kubepush.cli`` (the CI wrappers call it so): the console script's entry."""

import sys

from kubepush.cli import main

sys.exit(main())
