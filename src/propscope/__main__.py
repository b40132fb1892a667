"""`python -m propscope` runs the command line."""

from propscope.cli import main

main()
