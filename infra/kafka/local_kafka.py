"""Run a real single-node Apache Kafka broker (KRaft mode) as a local Java process on 127.0.0.1.

No Docker: pom.xml fetches the broker jars from Maven Central and the JVM is started directly.
    python -m infra.kafka.local_kafka start  --dir var/kafka [--port 9092] [--foreground]
    python -m infra.kafka.local_kafka stop   --dir var/kafka
    python -m infra.kafka.local_kafka status --dir var/kafka
"""
from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from infra.localnet import HOST, port_open
from infra.tls import BROKER_CN, BrokerTls

POM = Path(__file__).resolve().with_name("pom.xml")
READY_LINE = b"Kafka Server started (kafka.server.KafkaRaftServer)"

# Every node is both broker and controller. Internal topics get one partition each: enough locally, and
# quick to create. Auto-creation is off so a misspelt topic name fails loudly instead of quietly
# creating a new topic. (Java .properties files have no inline comments: keep comments here.)
BROKER_SETTINGS = """\
process.roles=broker,controller
controller.listener.names=CONTROLLER
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=2097152
auto.create.topics.enable=false
unclean.leader.election.enable=false
num.partitions=3
"""


def replication_settings(replicas: int) -> str:
    """Internal and new topics on `replicas` nodes; an acks=all write needs all but one of them (at least one)."""
    min_isr = max(1, replicas - 1)
    return (f"offsets.topic.replication.factor={replicas}\n"
            f"transaction.state.log.replication.factor={replicas}\n"
            f"transaction.state.log.min.isr={min_isr}\n"
            f"share.coordinator.state.topic.replication.factor={replicas}\n"
            f"share.coordinator.state.topic.min.isr={min_isr}\n"
            f"default.replication.factor={replicas}\n"
            f"min.insync.replicas={min_isr}\n")

# The pattern must keep "(%c)": start() waits for "... (kafka.server.KafkaRaftServer)" in server.log.
LOG4J2 = """\
status = warn
appender.server.type = File
appender.server.name = server
appender.server.fileName = ${sys:kafka.logs.dir}/server.log
appender.server.layout.type = PatternLayout
appender.server.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.server.ref = server
"""


def ensure_libs(libs_dir: Path) -> Path:
    """Make sure the broker's and MirrorMaker 2's jars are in libs_dir, fetching them with Maven the first time."""
    if shutil.which("java") is None:
        raise RuntimeError("`java` is not on PATH: a Java 17+ runtime is needed to run Kafka")
    if all(any(libs_dir.glob(jar)) for jar in ("kafka_2.13-*.jar", "connect-mirror-[0-9]*.jar")):
        return libs_dir
    if shutil.which("mvn") is None:
        raise RuntimeError(f"`mvn` is not on PATH: Maven is needed to fetch the Kafka jars into {libs_dir}")
    print(f"Fetching the Kafka jars from Maven Central into {libs_dir} ...", flush=True)
    result = subprocess.run(["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
                             "-DincludeScope=runtime", f"-DoutputDirectory={libs_dir.resolve()}"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"mvn failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    return libs_dir


def new_cluster_id() -> str:
    """A random Kafka Uuid (22 base64url characters) as `StorageTool random-uuid` prints, without starting a
    JVM; never one with a leading '-', which `format --cluster-id` would read as an option."""
    while (cluster_id := base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()).startswith("-"):
        pass
    return cluster_id


def is_broker_process(pid: int) -> bool:
    """Whether pid is a live broker; checking the command line guards against a recycled pid."""
    try:
        if not Path("/proc/self").exists():  # no procfs (macOS): settle for "some process has this pid"
            return os.kill(pid, 0) is None
        return b"kafka.Kafka" in Path(f"/proc/{pid}/cmdline").read_bytes()  # empty for a zombie
    except OSError:
        return False


def stop_all(nodes: Iterable[LocalKafka], timeout: float = 15,
             signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGKILL)) -> None:
    """Send each signal to every live node at once, the next one only to those still alive `timeout` s later
    (SIGKILL gets 10 s). Signalling together matters for a cluster: nodes stopped one by one lose their
    quorum, and a node without quorum can hang in its controlled shutdown."""
    nodes = list(nodes)
    for sig in signals:
        running = [node for node in nodes if node.alive()]
        for node in running:
            try:  # a node leads its own process group (start_new_session), so killpg reaches all of it
                os.killpg(node.pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + (10 if sig == signal.SIGKILL else timeout)
        while any(node.alive() for node in running) and time.monotonic() < deadline:  # alive() reaps our children
            time.sleep(0.1)
    for node in nodes:
        node.pidfile.unlink(missing_ok=True)
        node._proc = None


class LocalKafka:
    """One node that is its own controller quorum. Subclasses (cluster.ClusterNode) change the quorum."""

    node_id = 1
    replicas = 1  # replication factor of internal and new topics

    def __init__(self, data_dir: Path, port: int = 9092, controller_port: int | None = None, *,
                 libs_dir: Path | None = None, heap: str = "512m") -> None:
        # Absolute paths: the detached broker must not depend on the caller's working directory.
        self.data_dir = Path(data_dir).resolve()
        self.port, self.controller_port = port, controller_port or port + 1
        self.libs_dir = Path(libs_dir).resolve() if libs_dir else self.data_dir / "libs"
        self.heap = heap
        self.logs_dir = self.data_dir / "logs"
        self.log_file = self.logs_dir / "server.log"
        self.pidfile = self.data_dir / "broker.pid"
        self.config_file = self.data_dir / "server.properties"
        self._proc: subprocess.Popen | None = None
        self._log_offset = 0

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        if self._proc is not None:
            return self._proc.pid
        try:  # a broker started by another process (the detached CLI) is known only by its pidfile
            return int(self.pidfile.read_text())
        except (OSError, ValueError):
            return None

    def alive(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        return self.pid is not None and is_broker_process(self.pid)

    def is_running(self) -> bool:
        return self.alive() and port_open(self.port)

    def start(self, timeout: float = 90) -> None:
        self.launch()
        try:
            self.wait_ready(timeout)
        except BaseException:  # including Ctrl-C: never leave a half-started broker behind
            self.stop()
            raise

    def prepare(self) -> None:
        """Write the config files; format the log dir the first time (a JVM run of its own, 2 s or more)."""
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self._write_configs()
        if not (self.data_dir / "data" / "meta.properties").exists():
            self._format()

    def launch(self) -> None:
        """Start the JVM without waiting for it: a cluster launches all its nodes before waiting for any."""
        ensure_libs(self.libs_dir)
        self.prepare()
        # server.log grows across runs: only what this run writes after this offset counts.
        self._log_offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        command = ["java", f"-Xms{self.heap}", f"-Xmx{self.heap}", "-Djava.awt.headless=true",
                   f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
                   f"-Dkafka.logs.dir={self.logs_dir}", "-cp", str(self.libs_dir / "*"),
                   "kafka.Kafka", str(self.config_file)]
        with open(self.logs_dir / "broker.out", "wb") as out:  # JVM crashes land here, not in server.log
            self._proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        self.pidfile.write_text(f"{self._proc.pid}\n")

    def stop(self, timeout: float = 15) -> None:
        stop_all([self], timeout)

    def kill(self) -> None:
        """SIGKILL the node, as a crash would: no controlled shutdown, nothing flushed."""
        stop_all([self], signals=(signal.SIGKILL,))

    def wait(self) -> int:
        """Block until the broker started by this object exits; return its exit code."""
        assert self._proc is not None, "wait() needs a broker started by this object"
        return self._proc.wait()

    def _write_configs(self) -> None:
        self.config_file.write_text(BROKER_SETTINGS + replication_settings(self.replicas) + self._quorum_settings() + (
            f"node.id={self.node_id}\n"
            f"log.dirs={(self.data_dir / 'data').as_posix()}\n") + self._listener_settings())
        (self.data_dir / "log4j2.properties").write_text(LOG4J2)

    def _listener_settings(self) -> str:
        return ("listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n"
                f"listeners=PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}\n"
                f"advertised.listeners=PLAINTEXT://{HOST}:{self.port}\n")

    def _quorum_settings(self) -> str:
        return f"controller.quorum.bootstrap.servers={HOST}:{self.controller_port}\n"

    def _format(self) -> None:
        """Format the log dir as a new cluster whose only controller is this node (--standalone)."""
        self._storage_tool("format", "--cluster-id", new_cluster_id(), "--config", str(self.config_file),
                           "--standalone", *self._format_options())

    def _format_options(self) -> list[str]:
        return []

    def _storage_tool(self, *args: str) -> str:
        result = subprocess.run(["java", "-cp", str(self.libs_dir / "*"), "kafka.tools.StorageTool", *args],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"StorageTool {args[0]} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def wait_ready(self, timeout: float) -> None:
        """Wait until this start's server.log says the server started and the broker port answers."""
        deadline, logged = time.monotonic() + timeout, False
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"Kafka exited with code {self._proc.returncode} while starting\n{self._tail()}")
            logged = logged or READY_LINE in self._read_log(self.log_file, self._log_offset)
            if logged and port_open(self.port):
                return
            time.sleep(0.2)
        raise RuntimeError(f"Kafka not ready on {self.bootstrap} after {timeout:g} s\n{self._tail()}")

    @staticmethod
    def _read_log(path: Path, offset: int = 0) -> bytes:
        try:
            with open(path, "rb") as log:
                log.seek(offset)
                return log.read()
        except FileNotFoundError:
            return b""

    def _tail(self, lines: int = 30) -> str:
        parts = []
        for path, offset in ((self.log_file, self._log_offset), (self.logs_dir / "broker.out", 0)):
            tail = self._read_log(path, offset).decode(errors="replace").splitlines()[-lines:]
            if tail:
                parts.append(f"--- last {len(tail)} lines of {path} ---\n" + "\n".join(tail))
        return "\n".join(parts) or "(no log output)"


class SecuredKafka(LocalKafka):
    """A node as production runs one: every client connects over TLS (the broker's certificate is signed by the
    installation's CA, infra/tls.py), authenticates (SASL/SCRAM-SHA-512 on the client listener, SASL_SSL) and is
    authorised by ACLs (StandardAuthorizer; no ACL, no access). `users` maps each SCRAM user to its password; they
    are created when the log dir is formatted. `admin` is the operator, a super user. The controller listener is
    TLS too, and asks for a client certificate the installation's CA signed: only the broker has one, and its
    principal `User:CN=<BROKER_CN>` is the other super user. No listener speaks plaintext.

    A third listener, on `partner_port` (by default the controller's port + 1), takes clients by certificate
    (mutual TLS) instead of SCRAM, for partners whose client cannot sign in with SCRAM to a Kafka 4 broker
    (librdkafka before 2.6.1); the certificate `CN=<factory-id>` (`BrokerTls.client_certificate`) is the
    principal `User:<factory-id>`, under the same ACLs."""

    def __init__(self, data_dir: Path, port: int = 9092, controller_port: int | None = None, *,
                 users: dict[str, str], tls: BrokerTls, admin: str = "admin", partner_port: int | None = None,
                 **options) -> None:
        super().__init__(data_dir, port, controller_port, **options)
        if admin not in users:
            raise ValueError(f"the operator {admin!r} needs a password among the users")
        self.users, self.admin, self.tls = dict(users), admin, tls
        self.partner_port = partner_port or self.controller_port + 1

    @property
    def partner_bootstrap(self) -> str:
        """The address of the listener that takes partners by certificate."""
        return f"{HOST}:{self.partner_port}"

    def _listener_settings(self) -> str:
        jaas = (f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{self.admin}" '
                f'password="{self.users[self.admin]}";')
        return ("listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL,PARTNERS:SSL\n"
                f"listeners=SASL_SSL://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port},"
                f"PARTNERS://{HOST}:{self.partner_port}\n"
                f"advertised.listeners=SASL_SSL://{HOST}:{self.port},PARTNERS://{HOST}:{self.partner_port}\n"
                "inter.broker.listener.name=SASL_SSL\n"
                "sasl.enabled.mechanisms=SCRAM-SHA-512\n"
                "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512\n"
                f"listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config={jaas}\n"
                "ssl.keystore.type=PEM\n"
                f"ssl.keystore.location={self.tls.keystore.as_posix()}\n"
                "ssl.truststore.type=PEM\n"
                f"ssl.truststore.location={self.tls.ca_file.as_posix()}\n"
                "listener.name.controller.ssl.client.auth=required\n"
                "listener.name.partners.ssl.client.auth=required\n"
                # CN=jaif is User:jaif; the broker's own certificate maps to a name no ACL grants anything.
                "listener.name.partners.ssl.principal.mapping.rules=RULE:^CN=([a-z0-9-]+)$/$1/,DEFAULT\n"
                "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n"
                "allow.everyone.if.no.acl.found=false\n"
                f"super.users=User:{self.admin};User:CN={BROKER_CN}\n")

    def _format_options(self) -> list[str]:
        return [option for user, password in self.users.items()
                for option in ("--add-scram", f"SCRAM-SHA-512=[name={user},password={password}]")]


def configured_port(data_dir: Path) -> int | None:
    """The port of the last start in data_dir, so that stop/status/restart need no --port."""
    try:
        match = re.search(r"^listeners=PLAINTEXT://[^:]+:(\d+)", (data_dir / "server.properties").read_text(), re.M)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.kafka.local_kafka", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--dir", type=Path, default=Path("var/kafka"), help="state directory (default: var/kafka)")
    parser.add_argument("--port", type=int, help="default: the port of the last start in --dir, else 9092")
    parser.add_argument("--libs", type=Path, help="broker jars (default: <dir>/libs)")
    parser.add_argument("--foreground", action="store_true", help="start: stay attached, stop on Ctrl-C/SIGTERM")
    parser.add_argument("--timeout", type=float, default=90, help="start: seconds to wait for readiness")
    args = parser.parse_args(argv)
    port = args.port or configured_port(args.dir) or 9092
    kafka = LocalKafka(args.dir, port, libs_dir=args.libs or args.dir / "libs")
    if args.command == "status":
        running = kafka.is_running()
        print(f"Kafka {'running' if running else 'not running'} on {kafka.bootstrap}")
        return 0 if running else 1
    if args.command == "stop":
        kafka.stop()
        print("Kafka stopped")
        return 0
    if kafka.is_running():
        print(f"Kafka already running on {kafka.bootstrap}")
        return 0
    if kafka.alive():
        print(f"Kafka pid {kafka.pid} is alive but {kafka.bootstrap} does not answer: run `stop` first",
              file=sys.stderr)
        return 1
    if args.foreground:  # SIGTERM becomes SystemExit, so the `finally` below stops the broker
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        kafka.start(args.timeout)
        print(f"Kafka ready on {kafka.bootstrap} (log: {args.dir / 'logs' / 'server.log'})", flush=True)
        return kafka.wait() if args.foreground else 0
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        if args.foreground:
            kafka.stop()


if __name__ == "__main__":
    sys.exit(main())
