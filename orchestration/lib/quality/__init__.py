"""Data-quality rules of each layer: our SQL (rules.py) and Great Expectations (gx_suites.py).

GX reads these switches once, when it is first imported, so they are set here, before any
module of this package can import it: no usage analytics leave a machine that holds patient
data, and no progress bars reach the billing clerk's terminal.
"""

import os

os.environ["GX_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("TQDM_DISABLE", "1")
