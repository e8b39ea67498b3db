"""A warm worker whose runs report what they see instead of training, for the isolation tests.

`python tests/worker_probe.py`: the worker forks `runforge_trainer.__main__.main` as it is at fork
time, so replacing it here makes every run print one JSON line describing its process, then exit
with `--exit N` (after `--wait-for FILE` appears, if given; `--raise` raises instead)."""
import json
import os
import random
import signal
import sys
import time

import runforge_trainer.__main__ as entry


def probe(argv):
    args = dict(zip(argv[::2], argv[1::2]))
    if "--wait-for" in args:
        while not os.path.exists(args["--wait-for"]):
            time.sleep(0.02)
    if "--raise" in args:
        raise RuntimeError(args["--raise"])
    import numpy

    report = {
        "pid": os.getpid(),
        "pgid": os.getpgid(0),
        "sid": os.getsid(0),
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "sys_path": sys.path,
        "argv": sys.argv[1:],
        "random": random.random(),
        "numpy": float(numpy.random.random()),
        "stdin": sys.stdin.read(),
        "sigterm_default": signal.getsignal(signal.SIGTERM) == signal.SIG_DFL,
        "sigchld_default": signal.getsignal(signal.SIGCHLD) == signal.SIG_DFL,
        "sigint_default": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
    }
    print(json.dumps(report))
    sys.stderr.write("a line on stderr\n")
    return int(args.get("--exit", 0))


entry.main = probe

if __name__ == "__main__":
    from runforge_trainer.worker import main

    sys.exit(main())
