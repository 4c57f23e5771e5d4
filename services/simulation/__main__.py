"""python -m services.simulation FILE [--triage-policy P] [--routing-policy P] [--reference R] [--compare]"""

import sys

from services.simulation.command import main

sys.exit(main())
