"""`python -m qflow_contracts.mock serve ...`."""

import sys

from qflow_contracts.mock.cli import main

sys.exit(main())
