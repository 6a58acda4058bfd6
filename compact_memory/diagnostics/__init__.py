"""Findings: one problem at one place of one file, with a stable code and a hint.

Shared by the validator, the community index, experiments and installs:
:mod:`.codes` lists every code, :mod:`.findings` holds a finding and its
collector, :mod:`.yaml_marks` reads YAML safely while keeping where every
value was written, and :mod:`.render` prints findings for people, JSON
and GitHub.
"""
