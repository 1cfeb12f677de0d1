"""`serve --workers N` (N > 1): uvicorn's supervisor, which also stops listening when told to stop.

uvicorn's parent process binds the socket and hands it to its workers. On SIGTERM each worker
closes its copy and drains, but the parent keeps its own open until every worker has exited, so the
kernel goes on queueing new connections that nobody will accept (they are reset at the end). This
supervisor closes the parent's copy first: once the workers have closed theirs, a new connection
is refused at once, as with one worker, and a load balancer moves on.
"""

from __future__ import annotations

from uvicorn.supervisors import Multiprocess


class Workers(Multiprocess):
    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()
