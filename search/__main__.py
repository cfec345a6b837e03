"""`python -m search` is the `search` command."""
from search.cli import main

main(prog_name="search")
