"""Local infrastructure helpers (real components run as plain processes, no Docker)."""
