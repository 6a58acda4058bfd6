"""Plugin discovery, precedence and loading (see docs/plugins.md)."""
