"""Running a strategy package's experiments: datasets, metrics, results."""
