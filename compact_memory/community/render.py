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
Every entry is pinned: a git entry to one full commit, a pip entry to one
version (and optionally the sha256 of its files). The list ships inside
compact-memory, so search works offline:

```bash
compact-memory dev search digest          # id, name, description, tags and authors
compact-memory dev install-strategy-package section_digest
compact-memory dev search --json          # every entry, for scripts
```

`search` shows, for each entry, where it installs from, whether that strategy
is installed and active on your machine, which version, and whether the index
lists a newer one.

> **A strategy package is code that runs with your permissions.** The index
> pins what a package is; it does not vouch for it. Read a package's code
> before you install it.
"""

_INSTALLING = """\
## Installing

`compact-memory dev install-strategy-package SOURCE` takes an index id, a
directory, a git URL in pip's spelling
(`git+https://host/repo.git@REVISION#subdirectory=path`, `file://` too), a
wheel or sdist (a path or URL), or a requirement (`name==1.2`). Whatever the
source, before anything is copied or installed it:

1. fetches exactly what is pinned: a git entry is cloned with `git` and its
   commit checked out (a checkout whose HEAD is not the pinned commit is
   refused); a pip entry's one file is downloaded with
   `pip download --no-deps` (with `--require-hashes` when the entry lists
   hashes) and its sha256 checked again;
2. validates the package statically (no package code runs; warnings count as
   errors, except a dependency that pip will install);
3. prints the plan: the source, the commit or sha256, the files it will copy
   or the distributions pip will install, and the module that will run.

In a terminal it then asks `Install it? [y/N]`; `--yes` skips the question
and `--dry-run` stops after the plan. Directory and git packages are copied
into the user plugin directory (or `--to DIR`) through a temporary directory
and one rename, so an interrupted install leaves nothing half-installed. Pip
packages are installed into the running Python's environment with a
constraint that keeps the installed compact-memory; if the installed
distribution does not then expose the strategy with a valid manifest, or the
install is interrupted, what pip added is removed again. An installed package
is replaced only with `--upgrade` and a newer version:

```bash
compact-memory dev search digest                 # "update available: 0.2.0"
compact-memory dev install-strategy-package --upgrade section_digest
compact-memory dev uninstall-strategy-package section_digest
```

`uninstall-strategy-package ID` removes exactly the files that were copied
(refusing files changed since, unless `--force`), or, for a package installed
through pip by this command, that one distribution (refusing while another
installed distribution requires it).

## Indexes in effect

Ids are looked up, earlier first, in every `--index FILE_OR_URL` (in the
order given), then in the URLs of `COMPACT_MEMORY_INDEX_URL` (separated by
spaces), then in the index shipped with compact-memory; an id listed in
several comes from the earliest. An index URL is fetched over http(s) with a
size and time limit, checked against the schema, and kept in the user cache
directory with its ETag; it is fetched again after an hour, or at once with
`--refresh`. When it cannot be fetched, the cached copy is used, and without
one the shipped index, each with a one-line note saying which and how old.
Nothing in an index is ever run, and every value is shown escaped.
"""

_LISTING = f"""\
## Getting listed

1. Make the package pass the validator with warnings counted as errors:

   ```bash
   compact-memory dev validate-strategy-package path/to/package --strict
   ```

2. Publish it: push the package directory to a public git repository (tag
   the release), or upload a distribution to PyPI (the package template's
   `pyproject.toml` builds one).
3. Add one entry to `community/strategies.yaml`, copying `id` (the
   `strategy_id`), `display_name`, `version`, `authors` and `description` from
   your `strategy_package.yaml`, and pin the release:

   ```yaml
   - id: my_strategy
     display_name: "My strategy"
     description: "One or two sentences on what it does."
     authors: ["Ada Lovelace <ada@example.com>"]
     version: "0.1.0"
     tags: [extractive, code]
     install:
       git:
         url: https://github.com/OWNER/REPO
         commit: 0123456789abcdef0123456789abcdef01234567   # git rev-parse v0.1.0^{{commit}}
         tag: v0.1.0                                        # shown; the commit is what is checked out
         subdirectory: path/to/package
       # or, for a distribution on PyPI:
       # pip:
       #   requirement: "compact-memory-my-strategy==0.1.0"
       #   hashes: ["sha256:..."]   # pip hash dist/*.whl dist/*.tar.gz
   ```

   Try the entry before you send it:
   `compact-memory dev install-strategy-package --index community/strategies.yaml my_strategy --dry-run`.

4. Check the index and regenerate this page (the repository's pre-commit
   hooks do both):

   ```bash
   {CHECK}
   {REGENERATE}
   ```

5. Open a pull request. For a new release, update `version` and the pin;
   `search` then tells users with an older copy that an update exists.

Every key is described in the schema; a bad value is reported as
`community/strategies.yaml:LINE:COL: error CODE message (hint: ...)`. Index
format 1.0 (an unpinned `repository` and `ref`) is no longer read: write
`index_format_version: "2.0"` and replace each `install` with a `git` pin
(`git ls-remote URL TAG` prints the commit) or a `pip` pin.
"""


_JSON = """\
## Machine-readable output

`compact-memory dev search --json` prints one document on stdout
(`format_version` changes only when a field changes meaning or disappears):

```json
{
  "format_version": 1,
  "query": "digest",
  "indexes": [{"path": ".../community/strategies.yaml", "name": "community/strategies.yaml", "shipped": true,
               "entries": 1, "errors": 0}],
  "results": [{
    "id": "section_digest", "display_name": "Section digest", "description": "...",
    "authors": ["..."], "version": "0.1.0", "tags": ["extractive"],
    "install": {"git": {"url": "https://github.com/...", "commit": "a83ab064...", "subdirectory": "examples/..."}},
    "source": "git https://github.com/... at a83ab064... in examples/...",
    "install_commands": ["compact-memory dev install-strategy-package section_digest"],
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

`indexes` are in precedence order (the shipped one last). `state` is
`not_installed`, `active` or `inactive` (installed, but broken or disabled);
`installed` lists every copy found (built-in, entry point or local directory)
as `dev list-strategies` does. `findings` are index problems in the
validator's format (`code`, `severity`, `file`, `line`, `column`,
`json_path`, `message`, `hint`); any error makes the exit code 1.

`install-strategy-package --json` prints `{"format_version": 1, "result":
"installed" | "upgraded" | "unchanged" | "planned", "strategy_id", "version",
"source", "findings": [...], ...}`: for a copied package also `"path"`,
`"files"`, `"previous_version"` and `"origin"` (`git`, `commit`,
`subdirectory`, `revision`, `index_entry`), for a pip package
`"distribution"`, `"sha256"`, `"file"`, `"index_entry"` and `"changes"` (what
pip installs). When validation fails it prints `{"format_version": 1,
"result": "invalid", "findings": [...]}`. `uninstall-strategy-package --json`
prints `result` `"uninstalled"` with the files removed and `kept` (files
added after the install, left in place). Other failures print one `error:`
line on stderr.

A copied package holds `.compact-memory-install.json`: the files installed
with their SHA-256, the version, and where it came from (the source path, or
the git URL, commit and index entry). A pip install writes
`compact_memory_install.json` into the distribution's `.dist-info` directory
(source, sha256, index entry); uninstall removes only distributions that
carry it.
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
    lines.append(f"- Source: {_cell(e.source_text())}")
    lines += ["", "```bash", *e.install_commands(), "```", ""]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
