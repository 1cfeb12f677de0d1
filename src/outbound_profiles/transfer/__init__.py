"""Copying a tenant's resources in and out: from a Telnyx account (`import telnyx`), and to and from
a JSON file (`export`, `import json`) for backups and moves between databases."""
