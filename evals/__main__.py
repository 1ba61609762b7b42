"""``python -m evals``: run the quality suites (see ``evals/README.md``)."""

from evals.runner import main

raise SystemExit(main())
