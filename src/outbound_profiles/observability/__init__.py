"""Operations: Prometheus metrics (`metrics`, `router`), JSON logs with a request id (`logs`), and the
one ASGI middleware that records both for every request (`middleware`). See README, "Operations"."""
