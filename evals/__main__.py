"""``python -m evals``: the same as ``ignacio eval``."""

from evals.runner import main

raise SystemExit(main())
