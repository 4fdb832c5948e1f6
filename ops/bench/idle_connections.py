"""Holds N idle TCP connections to a server, then reports how many it closed within a wait.

    python3 ops/bench/idle_connections.py PORT N HOLD_SECONDS WAIT_SECONDS
Opens N connections (sending nothing), signals readiness by printing `open N` and sleeping
HOLD_SECONDS (while the caller measures latency), then waits up to WAIT_SECONDS for the server
to close them and prints `RESULT idle opened=N closed=M seconds=S`.
"""
import resource
import selectors
import socket
import sys
import time

port, count, hold, wait = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 100)), hard))
sockets = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    sockets.append(s)
print(f"open {len(sockets)}", flush=True)
start = time.time()
time.sleep(hold)
selector = selectors.DefaultSelector()
for s in sockets:
    selector.register(s, selectors.EVENT_READ)
closed = 0
while closed < len(sockets) and time.time() - start < hold + wait:
    for key, _ in selector.select(timeout=0.5):
        try:
            data = key.fileobj.recv(1)
        except ConnectionError:
            data = b""
        if not data:
            selector.unregister(key.fileobj)
            closed += 1
print(f"RESULT idle opened={len(sockets)} closed={closed} seconds={time.time() - start:.1f}", flush=True)
