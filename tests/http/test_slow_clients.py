"""A load test, bounded in time: 2,000 idle or slow connections do not hold up anybody else.

Half of the connections send nothing; the other half send a request head a byte at a time. While
they are held open, a normal client's requests must all succeed, with a p99 under 50 ms.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import httpx

from tests.live import live_server

SLOW_CONNECTIONS = 2_000
NORMAL_REQUESTS = 400
P99_LIMIT_S = 0.050


def test_two_thousand_slow_connections_leave_a_normal_client_unhurt(tmp_path: Path) -> None:
    with live_server(f"sqlite:///{tmp_path / 'x.db'}", tmp_path) as server:
        credentials = server.new_user("load@example.com")
        host, port = server.base_url.removeprefix("http://").split(":")
        headers = {"Authorization": f"Bearer {credentials['token']}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as client:
            profile = client.post("/termination/endpoints", json={"connection_ids": []}).json()
            path = f"/termination/endpoints/{profile['id']}"

            held = [socket.create_connection((host, int(port)), timeout=10) for _ in range(SLOW_CONNECTIONS)]
            slow = held[::2]
            stop = threading.Event()

            def trickle() -> None:
                head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
                for byte in head:
                    for sock in slow:
                        with contextlib.suppress(OSError):  # closed by the server: its time was up
                            sock.send(bytes([byte]))
                    if stop.wait(0.25):
                        return

            trickler = threading.Thread(target=trickle, daemon=True)
            trickler.start()
            try:
                time.sleep(0.5)
                latencies, statuses = [], []
                for _ in range(NORMAL_REQUESTS):
                    started = time.perf_counter()
                    statuses.append(client.get(path).status_code)
                    latencies.append(time.perf_counter() - started)
                    time.sleep(0.005)
            finally:
                stop.set()
                trickler.join(timeout=10)
                for sock in held:
                    sock.close()

    assert statuses == [200] * NORMAL_REQUESTS
    p99 = sorted(latencies)[int(len(latencies) * 0.99) - 1]
    print(f"p99 {p99 * 1000:.1f} ms over {NORMAL_REQUESTS} requests beside {SLOW_CONNECTIONS} slow connections")
    assert p99 < P99_LIMIT_S
