"""Start and stop the whole system on one machine: Kafka, the SMTP mailbox and the four services.

    python -m infra.stack run    # foreground; Ctrl-C stops everything
    python -m infra.stack up     # background; returns when every service answers /healthz
    python -m infra.stack down   # stops what `up` started, leaves no process behind
    python -m infra.stack status

KAFKA_BOOTSTRAP_SERVERS set: that cluster is used and no local broker is started (missing topics are created
with TOPIC_REPLICATION_FACTOR replicas, default 1). KAFKA_AUTH=scram: the local broker authenticates every
client (SASL/SCRAM-SHA-512) over TLS only (SASL_SSL, with a local CA and certificate generated into
var/secrets/kafka-tls/) and enforces the ACLs of infra/acls.py, as production does; each service signs in as its
own user, with the passwords generated into var/secrets/kafka-users.json, and checks the broker's certificate
against the local CA (KAFKA_SSL_CAFILE); partners may also connect by client certificate on KAFKA_PORT + 2 (see
infra/tls.py). Without KAFKA_AUTH the broker listens in plaintext, on loopback only.
Ports: KAFKA_PORT (9092), SMTP_PORT (8025), INTAKE_PORT (8000), TRIAGE_PORT (8001), ROUTING_PORT (8002),
NOTIFY_PORT (8003).
<SERVICE>_DATABASE_URL (e.g. INTAKE_DATABASE_URL) gives that service a PostgreSQL database, and
<SERVICE>_KAFKA_USERNAME / <SERVICE>_KAFKA_PASSWORD its SASL/SCRAM user on a cluster with authentication.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from infra import acls, credentials, tls
from infra.kafka.local_kafka import LocalKafka, SecuredKafka
from infra.localnet import free_port
from infra.topics import provision

SERVICES = ("intake", "triage", "routing", "notify")
# Settings each service has its own value of, given as <SERVICE>_<SETTING>: its database, its Kafka user.
PER_SERVICE = ("DATABASE_URL", "KAFKA_USERNAME", "KAFKA_PASSWORD")
# The state of the local broker under var/, and of the one with authentication (KAFKA_AUTH=scram).
LOCAL_KAFKA_DIR, SCRAM_KAFKA_DIR = "kafka", "kafka-scram"
DEFAULT_PORTS = {"intake": 8000, "triage": 8001, "routing": 8002, "notify": 8003}
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Stack:
    var_dir: Path
    bootstrap: str
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    smtp_port: int = 8025
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def service_env(self, service: str) -> dict[str, str]:
        env = {**os.environ, **self.env, "PYTHONPATH": str(ROOT), "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
               "VAR_DIR": str(self.var_dir), "SMTP_PORT": str(self.smtp_port)}
        if service == "notify":  # its stop link points where it listens
            env.setdefault("STOP_LINK_BASE_URL", self.url("notify"))
        for setting in PER_SERVICE:  # e.g. INTAKE_DATABASE_URL becomes intake's DATABASE_URL
            env.pop(setting, None)
            if value := env.get(f"{service.upper()}_{setting}"):
                env[setting] = value
        return env

    def start(self, name: str, command: list[str], env: dict[str, str], detached: bool) -> None:
        """Start one process; its output goes to var/log/<name>.log."""
        (self.var_dir / "log").mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log = (self.var_dir / "log" / f"{name}.log").open("ab")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=detached)
        self.processes[name] = process
        (self.run_dir / f"{name}.pid").write_text(str(process.pid))

    def start_mailbox(self, detached: bool = False, *, refused_domains: tuple[str, ...] = ()) -> None:
        refusing = [option for domain in refused_domains for option in ("--refuse-domain", domain)]
        self.start("mailbox", [sys.executable, "-m", "infra.mailbox", "--dir", str(self.var_dir / "mail"),
                               "--port", str(self.smtp_port), *refusing], {**os.environ, "PYTHONPATH": str(ROOT)},
                   detached)

    def start_service(self, service: str, detached: bool = False, *, instance: str | None = None,
                      extra_env: dict[str, str] | None = None) -> str:
        """Start a service; `instance` names a further instance (e.g. 'triage-2') on a port of its own, in the
        same consumer groups and database. Returns the process name."""
        name = instance or service
        if name not in self.ports:
            self.ports[name] = free_port()
        command = [sys.executable, "-m", "uvicorn", f"services.{service}.main:app", "--host", "127.0.0.1",
                   "--port", str(self.ports[name]), "--no-access-log"]
        self.start(name, command, {**self.service_env(service), **(extra_env or {})}, detached)
        return name

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash would: no shutdown, no offset commit, no goodbye to the consumer group."""
        process = self.processes.pop(name)
        process.kill()
        process.wait()
        (self.run_dir / f"{name}.pid").unlink(missing_ok=True)

    def migrate(self) -> None:
        """Bring every service's database to its latest revision (Alembic), before the services start."""
        for service in SERVICES:
            subprocess.run([sys.executable, "-m", "services.runtime.migrations", "upgrade", service], cwd=ROOT,
                           env=self.service_env(service), check=True, stdout=subprocess.DEVNULL)

    def start_services(self, detached: bool = False, *, extra_env: dict[str, dict[str, str]] | None = None) -> None:
        """Start the four services; `extra_env` gives one of them settings of its own (e.g. triage's POLICY_FILE)."""
        credentials.ensure(self.var_dir)  # the key pairs: the services check messages with the public ones
        self.migrate()
        for service in SERVICES:
            self.start_service(service, detached, extra_env=(extra_env or {}).get(service))

    def wait_healthy(self, services: tuple[str, ...] = SERVICES, timeout: float = 60) -> None:
        """Return when every service answers /healthz with 200; else raise naming the ones that do not."""
        deadline = time.monotonic() + timeout
        waiting = list(services)
        while waiting and time.monotonic() < deadline:
            for service in list(waiting):
                process = self.processes.get(service)
                if process and process.poll() is not None:
                    raise RuntimeError(f"{service} exited with {process.returncode}; see "
                                       f"{self.var_dir / 'log' / (service + '.log')}")
                if _healthy(self.url(service) + "/healthz"):
                    waiting.remove(service)
            time.sleep(0.2)
        if waiting:
            raise RuntimeError(f"not healthy after {timeout:.0f} s: {', '.join(waiting)}; logs in {self.var_dir}/log")

    def stop(self, name: str, timeout: float = 15) -> None:
        """Stop one process started here or by an earlier `up` (found through its pidfile)."""
        pidfile = self.run_dir / f"{name}.pid"
        process = self.processes.pop(name, None)
        pid = process.pid if process else _read_pid(pidfile)
        if pid is not None and _alive(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _alive(pid) and time.monotonic() < deadline:
                if process:
                    process.poll()
                time.sleep(0.1)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
            if process:
                process.wait()
        pidfile.unlink(missing_ok=True)

    def stop_all(self) -> None:
        extra = [name for name in self.processes if name not in (*SERVICES, "mailbox")]
        for name in (*extra, *reversed(SERVICES), "mailbox"):
            self.stop(name)


def _read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a child that exited but was not reaped yet is not alive
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def scram_env(users: dict[str, str], ca_file: Path) -> dict[str, str]:
    """The settings that sign each service in to Kafka as its own SCRAM user, over TLS checked against `ca_file`."""
    return {"KAFKA_SSL_CAFILE": str(ca_file),
            **{f"{service.upper()}_{setting}": value for service in SERVICES
               for setting, value in (("KAFKA_USERNAME", service), ("KAFKA_PASSWORD", users[service]))}}


def from_environment() -> tuple[Stack, LocalKafka | None]:
    var_dir = Path(os.environ.get("VAR_DIR", ROOT / "var")).resolve()
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    kafka_port = int(os.environ.get("KAFKA_PORT", "9092"))
    env: dict[str, str] = {}
    kafka: LocalKafka | None = None
    if os.environ.get("KAFKA_AUTH") == "scram" and not external:
        users = credentials.ensure(var_dir).kafka_passwords()
        broker_tls = tls.ensure(var_dir / "secrets")
        kafka = SecuredKafka(var_dir / SCRAM_KAFKA_DIR, kafka_port, users=users, tls=broker_tls,
                             libs_dir=var_dir / LOCAL_KAFKA_DIR / "libs")
        env = scram_env(users, broker_tls.ca_file)
    elif not external:
        kafka = LocalKafka(var_dir / LOCAL_KAFKA_DIR, kafka_port)
    ports = {service: int(os.environ.get(f"{service.upper()}_PORT", port)) for service, port in DEFAULT_PORTS.items()}
    stack = Stack(var_dir, external or kafka.bootstrap, ports, int(os.environ.get("SMTP_PORT", "8025")), env)  # type: ignore[union-attr]
    return stack, kafka


def bring_up(stack: Stack, kafka: LocalKafka | None, detached: bool) -> None:
    secured = isinstance(kafka, SecuredKafka)
    if kafka and not kafka.is_running():
        print(f"starting Kafka (KRaft, one node{', TLS, SASL/SCRAM and ACLs' if secured else ''}) ...", flush=True)
        kafka.start()
    print(f"Kafka: {stack.bootstrap}", flush=True)
    operator = credentials.sasl(kafka.admin, kafka.users[kafka.admin], kafka.tls.ca_file) if secured else {}
    # On an existing cluster, the replication it can give (TOPIC_REPLICATION_FACTOR, 3 on a production cluster).
    created, changes = asyncio.run(provision(stack.bootstrap, int(os.environ.get("TOPIC_REPLICATION_FACTOR", "1")),
                                             **operator))
    for change in changes:
        print(f"topic config changed: {change}", flush=True)
    if secured:
        partners = credentials.Credentials(stack.var_dir / "secrets").partners()
        granted, revoked = asyncio.run(acls.apply(stack.bootstrap, operator, partners))
        for binding in revoked:
            print(f"ACL revoked: {binding}", flush=True)
        print(f"{granted} ACL bindings applied; partners sign in with var/secrets/kafka-users.json over TLS, "
              f"checking var/secrets/kafka-tls/ca.pem (or by certificate on {kafka.partner_bootstrap})", flush=True)
    stack.start_mailbox(detached)
    stack.start_services(detached)
    print("starting intake, triage, routing and notify ...", flush=True)
    stack.wait_healthy()
    print(f"""
Aiguillage is up.
  Submit an application: POST {stack.url('intake')}/v1/applications   (API docs: {stack.url('intake')}/docs)
  Apply (the form):      {stack.url('intake')}/apply
  Staff console:         {stack.url('intake')}/console
  First staff account:   make staff-account USERNAME=<you> NAME="<Your Name>" ROLE=admin   (asks for a password)
  Health:                {', '.join(stack.url(s) + '/healthz' for s in SERVICES)}
  Emails (SMTP 127.0.0.1:{stack.smtp_port}) are kept in {stack.var_dir / 'mail'}/
  Logs: {stack.var_dir / 'log'}/   Traces: {stack.var_dir / 'traces'}/""", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.stack", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "up", "down", "status"])
    command = parser.parse_args().command
    stack, kafka = from_environment()
    if command == "status":
        states = {s: _healthy(stack.url(s) + "/healthz") for s in SERVICES}
        for service, healthy in states.items():
            print(f"{service:8} {'healthy' if healthy else 'down'}  {stack.url(service)}")
        return 0 if all(states.values()) else 1
    if command == "down":
        stack.stop_all()
        if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):  # either local broker, whichever `up` started
            for broker_dir in (LOCAL_KAFKA_DIR, SCRAM_KAFKA_DIR):
                LocalKafka(stack.var_dir / broker_dir).stop()
        print("Aiguillage stopped.")
        return 0
    detached = command == "up"
    if detached and all(_healthy(stack.url(s) + "/healthz") for s in SERVICES):
        print("Aiguillage is already up (make down stops it).")
        return 0
    if detached:
        stack.stop_all()  # a half-started earlier `up` leaves nothing behind

    def _stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)  # also when started from a script that ignores SIGINT
    keep_running = False
    try:
        bring_up(stack, kafka, detached)
        if detached:
            keep_running = True
            print("Stop with: make down")
            return 0
        print("Press Ctrl-C to stop.", flush=True)
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(0.5)
        print("a process exited; stopping everything", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except Exception as error:  # noqa: BLE001 - whatever failed, nothing half-started stays behind
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        if not keep_running:
            # A second Ctrl-C must not cut the stopping short and leave a broker behind.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print("stopping ...", flush=True)
            stack.stop_all()
            if kafka:
                kafka.stop()


if __name__ == "__main__":
    sys.exit(main())
