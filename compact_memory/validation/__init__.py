"""``compact-memory dev validate-strategy-package``: checks that report every problem in one run.

Cheapest first: reading and YAML (:mod:`.yaml_marks`), the JSON Schema
(:mod:`.schema_check`), files (:mod:`.files_check`), the strategy class by its
syntax tree (:mod:`.static_check`), experiment files (:mod:`.experiments_check`),
the environment (:mod:`.environment_check`) and, only when asked, a real import
in a subprocess (:mod:`.import_check`). :mod:`.package` runs them;
:mod:`.report` prints the findings. Every code is listed in :mod:`.codes`.
"""
