"""`python -m lora_land.bench`: see the package's docstring and `--help`."""

from lora_land.bench.cli import main

main()
