"""What a client knows about the writes it sent, and what that allows the database to hold.

Every write of a profile's fields carries a marker, a number unique in the test, in every field it
sets (`marked`): the name, ports, tags, translation rule, daily spend limit and maximum rate. A
profile whose fields do not all carry one marker shows half of a write (`marker_of` fails).

Which marker may a profile show? The writes of one profile act on it as on a register: the state is
the last committed write. A write commits between the moment it was sent and the moment its answer
came (or the moment the server died, for a write that got no answer). So if an answered write W was
sent at `sent(W)`, the final state comes from a write X that committed after W, hence finished
(`done`) after `sent(W)`. The latest-sent answered write thus bounds every candidate from below,
and a write that finished earlier was overwritten by it (`Ledger.allowed`): an acknowledged write
may only be replaced by a write that was still running when it was sent, or came later.
"""

from __future__ import annotations

import itertools
import math
import threading
from dataclasses import dataclass, field
from typing import Any

MARKED_FIELDS = ("name", "ports", "tag_list", "translation_rule", "daily_spend_limit", "max_destination_rate")


def marked(marker: int) -> dict[str, Any]:
    """The fields one write sets, all carrying its marker (as the API shows them back)."""
    return {
        "name": f"m{marker}",
        "ports": marker,
        "tag_list": [f"m{marker}", f"tag {marker}"],
        "translation_rule": f"rule {marker}",
        "daily_spend_limit": f"{marker}.00",
        "max_destination_rate": marker + 0.5,
    }


def marker_of(profile: dict[str, Any]) -> int:
    """The marker of the one write whose fields the profile shows; fails if they come from several."""
    marker = int(profile["name"].removeprefix("m"))
    shown = {name: profile[name] for name in MARKED_FIELDS}
    assert shown == marked(marker), f"profile {profile['id']} shows parts of different writes: {shown}"
    return marker


@dataclass
class Write:
    marker: int
    sent: float
    done: float  # when the answer came; for a write without an answer, when the server was dead
    answered: bool


@dataclass
class Ledger:
    """The marked writes sent to each profile (thread-safe), by profile id.

    A create whose answer never came has no known id: it waits in `unanswered_creates`, by marker,
    until the profile it made (if any) is found after the restart (`adopt`).
    """

    writes: dict[str, list[Write]] = field(default_factory=dict)
    unanswered_creates: dict[int, Write] = field(default_factory=dict)
    _markers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_marker(self) -> int:
        with self._lock:
            return next(self._markers)

    def record(self, profile_id: str | None, write: Write) -> None:
        with self._lock:
            if profile_id is None:
                self.unanswered_creates[write.marker] = write
            else:
                self.writes.setdefault(profile_id, []).append(write)

    def crashed(self, at: float) -> None:
        """The server is dead: every write still without an answer committed (if at all) before `at`."""
        with self._lock:
            for write in [*itertools.chain.from_iterable(self.writes.values()), *self.unanswered_creates.values()]:
                if math.isinf(write.done):
                    write.done = at

    def answered(self) -> int:
        return sum(w.answered for writes in self.writes.values() for w in writes)

    def adopt(self, profile_id: str, marker: int) -> None:
        """A profile nobody got an answer for: it must come from a create that got none."""
        assert marker in self.unanswered_creates, f"profile {profile_id} (marker {marker}) was never created"
        self.writes[profile_id] = [self.unanswered_creates.pop(marker)]

    def allowed(self, profile_id: str) -> set[int]:
        """The markers the profile may show now (see the module's docstring)."""
        writes = self.writes[profile_id]
        floor = max((w.sent for w in writes if w.answered), default=-math.inf)
        return {w.marker for w in writes if w.done > floor}
