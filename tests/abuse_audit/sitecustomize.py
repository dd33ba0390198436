"""Not part of LoRA Land: an observer that tests/test_abuse.py puts on the app's PYTHONPATH.

Python imports `sitecustomize` at start-up; this one adds an audit hook (PEP 578) that
writes to $ABUSE_AUDIT_LOG every file the app opens or lists whose path contains
$ABUSE_WATCH, every opening of a catalog (`adapters.yaml`, which shows the hook is live),
and every name lookup or connection the app makes. It changes nothing the app does.
"""

import os
import sys

_out = os.environ.get("ABUSE_AUDIT_LOG")
_watch = os.environ.get("ABUSE_WATCH")
_FILES = {"open", "os.listdir", "os.scandir", "os.stat", "shutil.copytree", "os.rename"}
_NETWORK = {"socket.getaddrinfo", "socket.connect", "socket.gethostbyname", "urllib.Request"}


def _hook(event, args, _log=open(_out, "a", buffering=1) if _out and _watch else None):  # noqa: SIM115
    if event in _FILES and args and not isinstance(args[0], int):
        try:
            path = os.fsdecode(args[0])
        except Exception:  # a path-like that is not one: nothing to record
            return
        if _watch in path or path.endswith("adapters.yaml"):
            _log.write(f"{event} {path}\n")
    elif event in _NETWORK:
        target = args[1] if event == "socket.connect" else args[0]
        _log.write(f"{event} {target!r}\n")


if _out and _watch:
    sys.addaudithook(_hook)
