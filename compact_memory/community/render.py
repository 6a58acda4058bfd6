"""``docs/community_strategies.md``, generated from the community index."""

from __future__ import annotations

from compact_memory.community.index import Entry, Index

REGENERATE = "python -m compact_memory.community --write docs/community_strategies.md"
CHECK = "python -m compact_memory.community --check community/strategies.yaml"

_HEADER = f"""\
<!-- Generated from community/strategies.yaml; do not edit by hand.
     Regenerate with: {REGENERATE} -->

# Community strategies

Strategy packages shared by their authors, listed in
[`community/strategies.yaml`](../community/strategies.yaml) (described by
[`schemas/community_index.schema.json`](../schemas/community_index.schema.json)).
The same list ships inside compact-memory, so you can search it offline:

```bash
compact-memory dev search digest          # id, name, description, tags and authors
compact-memory dev search --json          # every entry, for scripts
```

`search` shows, for each entry, whether that strategy is already installed and
active on your machine. It never goes on the network.

> **A strategy package is code that runs with your permissions.** The index
> says where a package lives; it does not vouch for it. Read a package's code
> before you install it.
"""

_INSTALLING = """\
## Installing a listed package

- **`pip` entries** are published distributions: run the `pip install` line.
  compact-memory finds them through their entry point.
- **`repository` entries** are directory packages in a git repository: clone
  it and install the package directory into your user plugin directory:

  ```bash
  git clone --depth 1 https://github.com/OWNER/REPO REPO
  compact-memory dev install-strategy-package REPO/path/to/package
  compact-memory dev list-strategies       # the strategy is now listed and active
  ```

  `install-strategy-package` validates the package first (static checks, no
  code is run; warnings count as errors) and installs nothing if it fails. It
  copies into a temporary directory and renames it into place, so an
  interrupted install leaves nothing half-installed. It refuses to replace an
  installed package unless you pass `--upgrade` and the new version is newer.
  `--to DIR` installs into another plugin directory (for example one on
  `COMPACT_MEMORY_PLUGINS_PATH`).

  A dependency the package declares but your environment lacks is reported
  as a warning with the `pip install` line to run; it does not block the
  install.

  `compact-memory dev uninstall-strategy-package ID` removes exactly the files
  that were installed. It refuses a directory it did not install or whose
  files were changed since, unless you pass `--force`.
"""

_LISTING = f"""\
## Getting listed

1. Make the package pass the validator with warnings counted as errors:

   ```bash
   compact-memory dev validate-strategy-package path/to/package --strict
   ```

2. Publish it: upload a distribution to PyPI (the package template's
   `pyproject.toml` builds one), or push the package directory to a public
   git repository.
3. Add one entry to `community/strategies.yaml`, copying `id` (the
   `strategy_id`), `display_name`, `version`, `authors` and `description` from
   your `strategy_package.yaml`:

   ```yaml
   - id: my_strategy
     display_name: "My strategy"
     description: "One or two sentences on what it does."
     authors: ["Ada Lovelace <ada@example.com>"]
     version: "0.1.0"
     tags: [extractive, code]
     install:
       pip: "compact-memory-my-strategy>=0.1"
       # or, for a directory package in a repository:
       # repository: https://github.com/OWNER/REPO
       # subdirectory: path/to/package
       # ref: v0.1.0
   ```

4. Check the index and regenerate this page (the repository's pre-commit
   hooks do both):

   ```bash
   {CHECK}
   {REGENERATE}
   ```

5. Open a pull request. Update `version` in your entry when you release a new
   one; `search` then tells users with an older copy that an update exists.

Every key is described in the schema; a bad value is reported as
`community/strategies.yaml:LINE:COL: error CODE message (hint: ...)`.
"""


_JSON = """\
## Machine-readable output

`compact-memory dev search --json` prints one document on stdout
(`format_version` changes only when a field changes meaning or disappears):

```json
{
  "format_version": 1,
  "query": "digest",
  "indexes": [{"path": ".../community/strategies.yaml", "shipped": true, "entries": 1, "errors": 0}],
  "results": [{
    "id": "section_digest", "display_name": "Section digest", "description": "...",
    "authors": ["..."], "version": "0.1.0", "tags": ["extractive"],
    "install": {"repository": "https://github.com/...", "subdirectory": "examples/..."},
    "install_commands": ["git clone ...", "compact-memory dev install-strategy-package ..."],
    "homepage": null, "license": null, "compact_memory_version": ">=0.1,<1",
    "index": "community/strategies.yaml", "line": 12,
    "state": "active",
    "active": {"source": "local", "origin": "/home/me/.local/share/compact_memory/plugins/section_digest",
               "version": "0.1.0", "status": "active", "reason": null, "error": null},
    "installed": [{"source": "local", "origin": "...", "version": "0.1.0", "status": "active",
                   "reason": null, "error": null}],
    "update_available": false
  }],
  "findings": []
}
```

`state` is `not_installed`, `active` or `inactive` (installed, but broken
or disabled); `installed` lists every copy found (built-in, entry
point or local directory) as `dev list-strategies` does. `findings` are index
problems in the validator's format (`code`, `severity`, `file`, `line`,
`column`, `json_path`, `message`, `hint`); any error makes the exit code 1.

`install-strategy-package --json` prints `{"format_version": 1, "result":
"installed" | "upgraded" | "unchanged", "action": ..., "strategy_id", "version",
"previous_version", "path", "files": [...], "kept": [], "findings": [...]}`, or
`{"format_version": 1, "result": "invalid", "findings": [...]}` when validation
fails. `uninstall-strategy-package --json` prints the same keys with `result`
`"uninstalled"`, `files` removed and `kept` (files added after the install,
left in place). Other failures print one `error:` line on stderr.

The install writes `.compact-memory-install.json` into the package directory:
the files it installed with their SHA-256, the version and the source path.
Uninstall and `--upgrade` use it to remove only those files and to notice
edits.
"""


def render_markdown(index: Index | list[Entry]) -> str:
    """The whole page for ``index`` (entries in id order)."""
    entries = sorted(index.entries if isinstance(index, Index) else index, key=lambda e: e.id)
    parts = [_HEADER, _table(entries), *(_section(e) for e in entries), _INSTALLING, _LISTING, _JSON]
    return "\n".join(parts)


def _table(entries: list[Entry]) -> str:
    if not entries:
        return "## Listed strategies\n\nNo strategies are listed yet.\n"
    lines = ["## Listed strategies", "", "| Id | Name | Version | Tags |", "|---|---|---|---|"]
    for e in entries:
        tags = ", ".join(e.tags) or "-"
        lines.append(f"| [`{e.id}`](#{e.id}) | {_cell(e.display_name)} | {e.version} | {tags} |")
    return "\n".join(lines) + "\n"


def _section(e: Entry) -> str:
    lines = [f'<a id="{e.id}"></a>', f"### {_cell(e.display_name)} (`{e.id}`)", "", e.description, ""]
    lines.append(f"- Version: {e.version}")
    lines.append(f"- Authors: {', '.join(e.authors)}")
    if e.tags:
        lines.append(f"- Tags: {', '.join(e.tags)}")
    if e.compact_memory_version:
        lines.append(f"- Works with compact-memory {e.compact_memory_version}")
    if e.license:
        lines.append(f"- License: {e.license}")
    if e.homepage:
        lines.append(f"- Homepage: <{e.homepage}>")
    lines += ["", "```bash", *e.install_commands(), "```", ""]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
