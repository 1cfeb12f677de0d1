"""Liveness and readiness for process supervisors and load balancers."""
