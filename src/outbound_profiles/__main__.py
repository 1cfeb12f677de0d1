import sys

from outbound_profiles.cli.main import main

sys.exit(main())
