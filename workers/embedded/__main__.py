import sys

from workers.embedded.supervisor import main

sys.exit(main())
