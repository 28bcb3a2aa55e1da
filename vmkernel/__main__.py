"""``python -m vmkernel``: parse the arguments, fork the vmx factory from the zygote, then boot."""

import sys

from vmkernel.bootargs import parse_args
from vmkernel.zygote import fork_factory

args = parse_args(sys.argv[1:])
forked_factory = fork_factory(args.root.resolve())

from vmkernel.main import main  # noqa: E402 - after the fork: the VMkernel's own modules stay its own

main(args, forked_factory)
