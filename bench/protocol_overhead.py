"""What the connection limits (`http/server.py`) cost per request, beside uvicorn's own protocol.

Both protocols get the same keep-alive requests (a PUT with a 700-byte body, as `put_ratio.py`
sends) on a transport that discards what is written, for an ASGI app that answers at once, on one
event loop (uvloop, as served). Printed: CPU microseconds per request for each, in alternating rounds, and their
difference (medians). No server, socket or database: only the HTTP/1.1 layer is measured.

    .venv/bin/python bench/protocol_overhead.py [--requests 20000] [--rounds 5]

A busy machine moves those figures by several microseconds; instructions do not move. Per side:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        .venv/bin/python bench/protocol_overhead.py --only limits --requests 1000   # and 2000
(the difference of the two totals, over 1,000, is the instructions per request, start-up cancelled out)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from functools import partial
from typing import Any

import uvloop
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from outbound_profiles.config import Settings
from outbound_profiles.http.server import LimitedHttpProtocol

BODY = b'{"name": "office", "ports": 10, "traffic_type": 1, "service_plan": 4, "tag_list": ["a", "b"]}' + b" " * 600
REQUEST = (
    b"PUT /termination/endpoints/917275980173365248 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Authorization: Bearer KEY0123456789ABCDEF01234567_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\r\n"
    b"Content-Type: application/json\r\nContent-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)
ANSWER = b'{"id": "917275980173365248"}'


async def app(scope: Any, receive: Any, send: Any) -> None:
    while (await receive()).get("more_body"):
        pass
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(ANSWER)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": ANSWER})


class Sink(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.closing = False

    def write(self, data: Any) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8000) if name in ("sockname", "peername") else default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def run(protocol_class: Any, requests: int) -> float:
    """CPU seconds per request."""
    config = Config(app, http="httptools", ws="none", lifespan="off", log_level="warning")
    config.load()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    protocol.connection_made(Sink())
    started = time.process_time()
    for _ in range(requests):
        protocol.data_received(REQUEST)
        while protocol.cycle is None or not protocol.cycle.response_complete:
            await asyncio.sleep(0)
    spent = time.process_time() - started
    protocol.connection_lost(None)
    return spent / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=["uvicorn", "limits"], help="run one side once (for callgrind)")
    args = parser.parse_args()
    limited = partial(LimitedHttpProtocol, settings=Settings())
    if args.only:
        uvloop.run(run(HttpToolsProtocol if args.only == "uvicorn" else limited, args.requests))
        return
    plain: list[float] = []
    guarded: list[float] = []
    for _ in range(args.rounds):
        plain.append(uvloop.run(run(HttpToolsProtocol, args.requests)))
        guarded.append(uvloop.run(run(limited, args.requests)))
        print(f"  uvicorn {plain[-1] * 1e6:.2f} µs, with limits {guarded[-1] * 1e6:.2f} µs per request")
    a, b = statistics.median(plain), statistics.median(guarded)
    print(f"median: uvicorn {a * 1e6:.2f} µs, with limits {b * 1e6:.2f} µs; the limits cost {(b - a) * 1e6:.2f} µs")


if __name__ == "__main__":
    main()
