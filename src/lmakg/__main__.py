"""``python -m lmakg``: the command line."""

from lmakg.cli import main

if __name__ == "__main__":
    main()
