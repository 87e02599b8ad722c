"""``python -m dedup`` is the ``dedup`` command."""

from .cli import main

if __name__ == "__main__":
    main()
