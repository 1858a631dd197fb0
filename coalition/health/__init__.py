"""`GET /healthz`: each dependency's state, for load balancers and uptime checks.

On the top floor with the app factory: it reads the database, the outbox (`mail`) and the shared
cache (`core/render_cache.py`), and nothing imports it but the factory."""
