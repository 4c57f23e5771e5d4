"""Loopback addresses for the local servers (Kafka, PostgreSQL, the services): free ports and port checks."""

from __future__ import annotations

import socket

HOST = "127.0.0.1"


def free_ports(count: int = 2) -> list[int]:
    """Distinct free ports: the sockets are held together so none repeats."""
    sockets = [socket.create_server((HOST, 0)) for _ in range(count)]
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def free_port() -> int:
    return free_ports(1)[0]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False
