"""uv run python -m tools.simulator --help"""

from tools.simulator.cli import main

main()
