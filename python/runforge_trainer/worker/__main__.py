"""`python -m runforge_trainer.worker [--preload-torch]`: see __init__.py."""
import sys

from runforge_trainer.worker import main

sys.exit(main())
