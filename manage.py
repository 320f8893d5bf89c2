#!/usr/bin/env python
"""Django's manage.py; the installed `glabella` command does the same."""

from glabella.__main__ import main

if __name__ == "__main__":
    main()
