"""``python -m compact_memory``: the CLI, without the working directory on the import path.

``-m`` puts the current directory first on ``sys.path``, so a ``yaml.py`` or a
``*.dist-info`` lying there would be imported or listed as if installed. The
console script has no such entry; this makes ``python -m`` behave the same
(as ``python -P`` would).
"""

import os
import sys

if sys.path and not sys.flags.safe_path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from compact_memory.cli import main

raise SystemExit(main())
