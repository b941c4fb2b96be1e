import sys

from hazrisk.cli import main

sys.exit(main())
