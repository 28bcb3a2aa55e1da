#!/bin/sh
# The interpreter `make` builds the venv with: CPython 3.12 where the machine has one (its immortal
# objects keep the pages every host process shares really shared: see pyesx/shared_pages.py), else
# python3 (3.11 or later; the host runs the same, with more memory per VM).
for candidate in python3.12 "$(pyenv root 2>/dev/null)"/versions/3.12*/bin/python3.12 \
    /usr/local/bin/python3.12 /usr/bin/python3.12; do
  if "$candidate" -c 'import sys, venv; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then
    echo "$candidate"
    exit 0
  fi
done
echo python3
