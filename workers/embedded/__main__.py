import sys

from workers.embedded.server import main

sys.exit(main())
