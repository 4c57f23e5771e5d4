"""Run a real PostgreSQL server as a local process on 127.0.0.1, from the distribution's own binaries.

No Docker: Debian's `postgresql` package provides initdb, postgres and psql; the cluster lives in <dir>/data
and its log in <dir>/logs. As root, initdb and the server run as the `postgres` system user.
    python -m infra.postgres.local_postgres start  --dir var/postgres [--port 5432] [--database NAME ...] [--foreground]
    python -m infra.postgres.local_postgres stop   --dir var/postgres
    python -m infra.postgres.local_postgres status --dir var/postgres
"""
from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from infra.localnet import HOST, port_open

SUPERUSER = "aiguillage"
SERVER_USER = "postgres"  # created by Debian's package; the server refuses to run as root
SETTINGS_FILE = "aiguillage.conf"

# Rewritten at every start (and included from postgresql.conf) so that a new port takes effect.
# No unix socket: a pytest tmp path can exceed the 107-byte limit of a socket path, and the default
# directory, /var/run/postgresql, belongs to the system's own cluster. Clients use TCP.
SERVER_SETTINGS = """\
listen_addresses = '{host}'
port = {port}
unix_socket_directories = ''
timezone = 'UTC'
log_timezone = 'UTC'
"""

# Runs as psql input, not with -c, because only input gets :'name' quoted as a literal. A concurrent
# creator can win between the check and CREATE DATABASE: create_database then simply runs it again.
CREATE_DATABASE = """\
SELECT format('CREATE DATABASE %I', :'name') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name')
\\gexec
"""


def find_bin_dir(version: str | None = None) -> Path:
    """The newest /usr/lib/postgresql/<version>/bin (Debian's layout; `version` picks one), else pg_ctl's on PATH."""
    candidates = [path for path in Path("/usr/lib/postgresql").glob(f"{version or '*'}/bin")
                  if (path / "pg_ctl").exists()]
    if candidates:
        return max(candidates, key=lambda path: [int(n) for n in re.findall(r"\d+", path.parent.name)])
    if pg_ctl := shutil.which("pg_ctl"):  # Debian does not put pg_ctl on PATH; other systems do
        return Path(pg_ctl).resolve().parent
    raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl, no pg_ctl on PATH): "
                       "run `apt-get install postgresql`")


def server_account() -> pwd.struct_passwd | None:
    """Whom initdb and the server run as: None means the caller itself, which is fine for anyone but root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise RuntimeError(f"PostgreSQL refuses to run as root and there is no `{SERVER_USER}` user to run it as: "
                           "`apt-get install postgresql` creates one (or run as an unprivileged user)") from None


def is_server_process(pid: int, cluster_dir: Path) -> bool:
    """Whether pid is the postmaster of cluster_dir; the command line guards against a recycled pid."""
    try:
        if not Path("/proc/self").exists():  # no procfs (macOS): settle for "some process has this pid"
            return os.kill(pid, 0) is None
        # Backends retitle themselves ("postgres: checkpointer"); the postmaster keeps `postgres -D <dir>`.
        return str(cluster_dir).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()  # empty for a zombie
    except OSError:
        return False


def kill_group(pgid: int, child: subprocess.Popen | None = None, timeout: float = 10) -> None:
    """SIGKILL a process group and wait until none of it is left (killpg(0) fails once all are reaped)."""
    deadline = time.monotonic() + timeout
    try:
        os.killpg(pgid, signal.SIGKILL)
        if child is not None:  # our own child stays in the group as a zombie until we reap it
            child.wait()
        while time.monotonic() < deadline:
            os.killpg(pgid, 0)
            time.sleep(0.05)
    except ProcessLookupError:
        pass


class LocalPostgres:
    def __init__(self, data_dir: Path, port: int = 5432, *, bin_dir: Path | None = None) -> None:
        # Absolute paths: the detached server must not depend on the caller's working directory.
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.cluster_dir = self.data_dir / "data"
        self.logs_dir = self.data_dir / "logs"
        self.log_file = self.logs_dir / "postgresql.log"
        self.pidfile = self.cluster_dir / "postmaster.pid"  # written and removed by the server itself
        self._bin_dir = Path(bin_dir).resolve() if bin_dir else None
        self._proc: subprocess.Popen | None = None
        self._log_offset = 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{database}"

    @property
    def bin_dir(self) -> Path:
        if self._bin_dir is None:  # looked up only when needed, so stopping nothing works without PostgreSQL
            # An existing cluster only opens with the major version that created it.
            version = self._read(self.cluster_dir / "PG_VERSION").strip() or None
            try:
                self._bin_dir = find_bin_dir(version)
            except RuntimeError:
                self._bin_dir = find_bin_dir()
        return self._bin_dir

    @property
    def pid(self) -> int | None:
        if self._proc is not None:
            return self._proc.pid
        try:  # a server started by another process (the detached CLI) is known by the first line of its pidfile
            return int(self.pidfile.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def alive(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        return self.pid is not None and is_server_process(self.pid, self.cluster_dir)

    def is_running(self) -> bool:
        return self.alive() and port_open(self.port)

    def start(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        self._prepare_dirs()
        if not (self.cluster_dir / SETTINGS_FILE).exists():  # written only once initdb has succeeded
            self._initdb()
        self._write_settings()
        # The log grows across runs: only what this run writes after this offset counts.
        self._log_offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        # The postmaster is our direct child (setpriv execs it), not pg_ctl's: its pid is known at once, so an
        # interrupted start can always stop it, even before it has written postmaster.pid.
        with open(self.log_file, "ab") as log:
            self._proc = subprocess.Popen(self._server_command(self.bin_dir / "postgres", "-D", self.cluster_dir),
                                          cwd=self.cluster_dir, env=self._env(), stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready(deadline)
        except BaseException:  # including Ctrl-C: never leave a half-started server behind
            self.stop()
            raise

    def stop(self, timeout: float = 30) -> None:
        pid = self.pid
        if pid is not None and self.alive():
            # SIGINT is what `pg_ctl stop -m fast` sends: roll back open transactions and disconnect clients
            # rather than wait for them. Root may signal `postgres`, so no pg_ctl run as it is needed.
            os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + timeout
            while self.alive() and time.monotonic() < deadline:  # alive() also reaps our own child
                time.sleep(0.05)
            if self.alive():  # the server leads its own process group (start_new_session): it holds the backends
                kill_group(pid, self._proc)
                self.pidfile.unlink(missing_ok=True)  # a stale lock whose pid gets reused would block a start
        self._proc = None

    def wait(self) -> int:
        """Block until the server started by this object exits; return its exit code."""
        assert self._proc is not None, "wait() needs a server started by this object"
        return self._proc.wait()

    def create_database(self, name: str) -> None:
        """Create database `name` unless it exists; safe to call again or from several processes at once."""
        for _ in range(2):
            result = self._psql(CREATE_DATABASE, name=name)
            if result.returncode == 0:
                return
        raise RuntimeError(f"could not create database {name!r}: {result.stderr.strip()}")

    def _prepare_dirs(self) -> None:
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.cluster_dir.mkdir(mode=0o700, exist_ok=True)
        account = server_account()
        if account is None:
            return
        os.chown(self.cluster_dir, account.pw_uid, account.pw_gid)  # the log is written through our descriptor
        # The server chdirs into its data directory, so `postgres` must be able to cross every ancestor;
        # pytest's tmp dirs are 0700. Search permission (x) only: nobody may list them.
        for directory in (self.data_dir, *self.data_dir.parents):
            info = directory.stat()
            if info.st_uid != account.pw_uid and not info.st_mode & stat.S_IXOTH:
                os.chmod(directory, stat.S_IMODE(info.st_mode) | stat.S_IXOTH)

    def _initdb(self) -> None:
        # C.UTF-8 sorts like C but lets upper()/lower() handle accented letters; --no-locale where it is missing.
        for locale in ("--locale=C.UTF-8", "--no-locale"):
            try:
                result = self._as_server(self.bin_dir / "initdb", "-D", self.cluster_dir, "--auth=trust",
                                         f"--username={SUPERUSER}", "--encoding=UTF8", locale, "--no-instructions")
            except BaseException:  # cut short (Ctrl-C): _as_server has killed initdb, so empty the directory here
                for path in self.cluster_dir.iterdir():
                    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
                raise
            if result.returncode == 0:
                with open(self.cluster_dir / "postgresql.conf", "a") as conf:
                    conf.write(f"\ninclude = '{SETTINGS_FILE}'\n")
                # Only now: an initdb cut short (Ctrl-C) leaves no settings file, and the next initdb then
                # refuses the non-empty directory instead of start() running a half-made cluster.
                self._write_settings()
                return
            if "invalid locale" not in result.stderr:  # initdb empties the directory on failure: a retry is clean
                break
        raise RuntimeError(f"initdb failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")

    def _write_settings(self) -> None:
        settings = self.cluster_dir / SETTINGS_FILE
        settings.write_text(SERVER_SETTINGS.format(host=HOST, port=self.port))
        if account := server_account():
            os.chown(settings, account.pw_uid, account.pw_gid)

    @staticmethod
    def _server_command(*command: str | Path) -> list[str]:
        """A server-side program (initdb, postgres) run as the server's account."""
        command = [str(part) for part in command]
        if account := server_account():  # setpriv execs: no PAM session, and the pid stays the program's
            command = ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--init-groups",
                       "--", *command]
        return command

    def _as_server(self, *command: str | Path) -> subprocess.CompletedProcess:
        command = self._server_command(*command)
        # cwd: root's working directory may be unreadable to `postgres`, and sh/initdb complain about it.
        # Own session: if we are interrupted, killpg reaches the program and its helpers (initdb's bootstrap
        # backend), which a plain subprocess.run would leave writing into the directory.
        process = subprocess.Popen(command, cwd=self.cluster_dir, env=self._env(), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = process.communicate()
        except BaseException:
            kill_group(process.pid, process)
            raise
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    def _psql(self, sql: str, database: str = "postgres", **variables: str) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / "psql"), "-X", "-w", "-q", "-t", "-v", "ON_ERROR_STOP=1",
                   "-h", HOST, "-p", str(self.port), "-U", SUPERUSER, "-d", database]
        for key, value in variables.items():
            command += ["-v", f"{key}={value}"]
        return subprocess.run(command, input=sql, env={**self._env(), "PGCONNECT_TIMEOUT": "5"},
                              capture_output=True, text=True)

    @staticmethod
    def _env() -> dict[str, str]:
        # A PGDATA, PGPORT, PGHOST... meant for another server must not redirect ours.
        return {key: value for key, value in os.environ.items() if not key.startswith("PG")}

    def _wait_ready(self, deadline: float) -> None:
        while True:
            if not self.alive():
                raise RuntimeError(f"PostgreSQL exited (code {self._proc.returncode}) while starting\n{self._tail()}")
            # Ready means a query answers; asking for the data directory (rather than SELECT 1) makes sure
            # the answer comes from this server, not from another one that already holds the port.
            if port_open(self.port) and self._psql("SHOW data_directory").stdout.strip() == str(self.cluster_dir):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL not ready on {HOST}:{self.port} in time\n{self._tail()}")
            time.sleep(0.1)

    @staticmethod
    def _read(path: Path, offset: int = 0) -> str:
        try:
            with open(path, "rb") as file:
                file.seek(offset)
                return file.read().decode(errors="replace")
        except OSError:
            return ""

    def _tail(self, lines: int = 30) -> str:
        tail = self._read(self.log_file, self._log_offset).splitlines()[-lines:]
        return f"--- last {len(tail)} lines of {self.log_file} ---\n" + "\n".join(tail) if tail else "(no log output)"


def configured_port(data_dir: Path) -> int | None:
    """The port of the last start in data_dir, so that stop/status/restart need no --port."""
    try:
        text = (Path(data_dir) / "data" / SETTINGS_FILE).read_text()
    except OSError:
        return None
    match = re.search(r"^port = (\d+)", text, re.M)
    return int(match.group(1)) if match else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.postgres.local_postgres",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--dir", type=Path, default=Path("var/postgres"),
                        help="state directory (default: var/postgres)")
    parser.add_argument("--port", type=int, help="default: the port of the last start in --dir, else 5432")
    parser.add_argument("--database", action="extend", nargs="+", default=[], metavar="NAME",
                        help="start: create these databases if missing")
    parser.add_argument("--foreground", action="store_true", help="start: stay attached, stop on Ctrl-C/SIGTERM")
    parser.add_argument("--timeout", type=float, default=60, help="start: seconds to wait for readiness")
    args = parser.parse_args(argv)
    postgres = LocalPostgres(args.dir, args.port or configured_port(args.dir) or 5432)
    address = f"{HOST}:{postgres.port}"
    if args.command == "status":
        running = postgres.is_running()
        print(f"PostgreSQL {'running' if running else 'not running'} on {address}")
        return 0 if running else 1
    if args.command == "stop":
        postgres.stop()
        print("PostgreSQL stopped")
        return 0
    started = False
    if args.foreground:  # SIGTERM becomes SystemExit, so the `finally` below stops the server
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if postgres.is_running():
            print(f"PostgreSQL already running on {address}")
        elif postgres.alive():
            print(f"PostgreSQL pid {postgres.pid} is alive but {address} does not answer: run `stop` first",
                  file=sys.stderr)
            return 1
        else:
            postgres.start(args.timeout)
            started = True
            print(f"PostgreSQL ready on {address} (log: {args.dir / 'logs' / 'postgresql.log'})", flush=True)
        for name in args.database:  # also on an already running server: creation is idempotent
            postgres.create_database(name)
            print(f"database {postgres.url(name)}", flush=True)
        return postgres.wait() if args.foreground and started else 0
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # start() has already stopped a half-started server
        return 0 if started else 130
    finally:
        if args.foreground and started:  # only a server this command started: never one it found running
            postgres.stop()


if __name__ == "__main__":
    sys.exit(main())
