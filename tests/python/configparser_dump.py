#!/usr/bin/env python3
"""Dump what Python's configparser reads from an INI file, as JSON.

Usage:
    python3 configparser_dump.py FILE

FILE is read the way ``RawConfigParser.read`` opens files (UTF-8, universal
newlines), a leading UTF-8 BOM is dropped, and the text goes through
``configparser.RawConfigParser()`` with its defaults, which is what pbr uses.

Prints one JSON object:
    {"ok": true,
     "sections": [[section, [[key, value], ...]], ...],
     "defaults": [[key, value], ...]}
with sections and keys in file order. ``sections`` holds each section's own
options only; options of a ``[DEFAULT]`` section are listed in ``defaults``
instead of being merged into every section. If configparser raises, prints
    {"ok": false, "error": "<exception class name>"}
Exit status 0 in both cases, 2 on usage errors. Uses only the stdlib.
"""

import configparser
import json
import sys


def dump(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=path)
    except configparser.Error as error:
        return {"ok": False, "error": type(error).__name__}
    sections = []
    for name in parser.sections():
        # _sections holds the section's own options, without the DEFAULT ones
        # that items() would merge in.
        own = parser._sections[name]  # noqa: SLF001
        sections.append([name, [[key, value] for key, value in own.items()]])
    defaults = [[key, value] for key, value in parser.defaults().items()]
    return {"ok": True, "sections": sections, "defaults": defaults}


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    json.dump(dump(argv[1]), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
