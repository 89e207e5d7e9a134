"""A "server" that never answers anything: reads stdin, ignores SIGTERM, keeps a child.

Writes "<pid> <child pid>" to the file named by ``DEMO_PID_FILE`` first.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(["sleep", "300"])
if os.environ.get("DEMO_PID_FILE"):
    Path(os.environ["DEMO_PID_FILE"]).write_text(f"{os.getpid()} {child.pid}\n")
for _line in sys.stdin:
    pass  # read and ignore every request; never write a byte
signal.pause()  # stdin closed: still do not exit
