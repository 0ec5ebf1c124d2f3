"""``python -m glutesense ...``: the same command line as the ``glutesense`` script."""

import sys

from glutesense.cli.main import main

sys.exit(main())
