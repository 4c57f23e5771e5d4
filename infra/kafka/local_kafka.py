"""Run a real single-node Apache Kafka broker (KRaft mode) as a local Java process on 127.0.0.1.

No Docker: pom.xml fetches the broker jars from Maven Central and the JVM is started directly.
    python -m infra.kafka.local_kafka start  --dir var/kafka [--port 9092] [--foreground]
    python -m infra.kafka.local_kafka stop   --dir var/kafka
    python -m infra.kafka.local_kafka status --dir var/kafka
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"
POM = Path(__file__).resolve().with_name("pom.xml")
READY_LINE = b"Kafka Server started (kafka.server.KafkaRaftServer)"

# One node: every internal topic must live with replication factor 1. Auto-creation is off so a
# misspelt topic name fails loudly instead of quietly creating a new topic.
BROKER_SETTINGS = """\
process.roles=broker,controller
node.id=1
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=2097152
auto.create.topics.enable=false
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
"""

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


def free_ports(count: int = 2) -> list[int]:
    """Distinct free ports (e.g. broker + controller): the sockets are held together so none repeats."""
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


def ensure_libs(libs_dir: Path) -> Path:
    """Make sure the broker jars are in libs_dir, fetching them with Maven the first time."""
    if shutil.which("java") is None:
        raise RuntimeError("`java` is not on PATH: a Java 17+ runtime is needed to run Kafka")
    if any(libs_dir.glob("kafka_2.13-*.jar")):
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


def is_broker_process(pid: int) -> bool:
    """Whether pid is a live broker; checking the command line guards against a recycled pid."""
    try:
        if not Path("/proc/self").exists():  # no procfs (macOS): settle for "some process has this pid"
            return os.kill(pid, 0) is None
        return b"kafka.Kafka" in Path(f"/proc/{pid}/cmdline").read_bytes()  # empty for a zombie
    except OSError:
        return False


class LocalKafka:
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
        ensure_libs(self.libs_dir)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self._write_configs()
        if not (self.data_dir / "data" / "meta.properties").exists():
            self._storage_tool("format", "--cluster-id", self._cluster_id(),
                               "--config", str(self.data_dir / "server.properties"), "--standalone")
        # server.log grows across runs: only what this run writes after this offset counts.
        self._log_offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        command = ["java", f"-Xms{self.heap}", f"-Xmx{self.heap}", "-Djava.awt.headless=true",
                   f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
                   f"-Dkafka.logs.dir={self.logs_dir}", "-cp", str(self.libs_dir / "*"),
                   "kafka.Kafka", str(self.data_dir / "server.properties")]
        with open(self.logs_dir / "broker.out", "wb") as out:  # JVM crashes land here, not in server.log
            self._proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        self.pidfile.write_text(f"{self._proc.pid}\n")
        try:
            self._wait_ready(timeout)
        except BaseException:  # including Ctrl-C: never leave a half-started broker behind
            self.stop()
            raise

    def stop(self, timeout: float = 15) -> None:
        pid = self.pid
        if pid is not None and self.alive():
            # The broker leads its own process group (start_new_session), so killpg reaches all of it.
            for sig, grace in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
                try:
                    os.killpg(pid, sig)
                except ProcessLookupError:
                    break
                deadline = time.monotonic() + grace
                while self.alive() and time.monotonic() < deadline:  # alive() also reaps our own child
                    time.sleep(0.1)
                if not self.alive():
                    break
        self.pidfile.unlink(missing_ok=True)
        self._proc = None

    def wait(self) -> int:
        """Block until the broker started by this object exits; return its exit code."""
        assert self._proc is not None, "wait() needs a broker started by this object"
        return self._proc.wait()

    def _write_configs(self) -> None:
        (self.data_dir / "server.properties").write_text(BROKER_SETTINGS + (
            f"listeners=PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}\n"
            f"advertised.listeners=PLAINTEXT://{HOST}:{self.port}\n"
            f"controller.quorum.bootstrap.servers={HOST}:{self.controller_port}\n"
            f"log.dirs={(self.data_dir / 'data').as_posix()}\n"))
        (self.data_dir / "log4j2.properties").write_text(LOG4J2)

    def _storage_tool(self, *args: str) -> str:
        result = subprocess.run(["java", "-cp", str(self.libs_dir / "*"), "kafka.tools.StorageTool", *args],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"StorageTool {args[0]} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def _cluster_id(self) -> str:
        # A leading '-' would be read as an option by `format --cluster-id`.
        while (cluster_id := self._storage_tool("random-uuid").split()[-1]).startswith("-"):
            pass
        return cluster_id

    def _wait_ready(self, timeout: float) -> None:
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
