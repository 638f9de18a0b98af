"""A real, throw-away PostgreSQL server for the tests (pytest plugin, see ``conftest.py``).

``postgres_server`` (session scope) runs ``initdb`` in a temporary directory and starts the server
with ``pg_ctl`` on 127.0.0.1 and a free ephemeral port (not 5432, so a cluster Debian's package may
have started is left alone), with password (SCRAM) authentication only. ``postgres_database_url``
(module scope) gives each test module a fresh database of its own.

Only missing server binaries skip (an error under CI: ``ci_honesty``); any other failure
(``initdb`` error, start time-out, ...) fails with the server's log in the message. PostgreSQL
refuses to run as root, so under root the server runs as the ``postgres`` user (``nobody`` when
there is none) through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "workbook"
DATABASE = "workbook"
HOST = "127.0.0.1"
SKIP_REASON = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found; "
    "install Debian's postgresql package (.ci/run does)"
)
START_TIMEOUT = 60  # seconds, for pg_ctl start -w
STOP_TIMEOUT = 30  # seconds, for pg_ctl stop -w
SOCKET_PATH_MAX = 100  # a Unix socket path (dir + "/.s.PGSQL.NNNNN") must stay under 108 bytes
_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class PostgresServer:
    """Where the throw-away server listens and how to log in (user ``workbook``, password)."""

    host: str
    port: int
    user: str
    password: str
    database: str
    url: str

    def url_for(self, database: str) -> str:
        """The SQLAlchemy URL (psycopg 3 driver) of ``database`` on this server."""
        return (
            f"postgresql+psycopg://{self.user}:{self.password}@{self.host}:{self.port}/{database}"
        )

    @property
    def url_without_password(self) -> str:
        """``url`` without the password, e.g. to check that a password is masked."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{self.database}"

    def connect(self, database: str | None = None, **kwargs):
        """A psycopg connection to ``database`` (default: ``self.database``)."""
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database or self.database,
            connect_timeout=10,
            **kwargs,
        )

    def create_database(self, name: str) -> str:
        """Create the empty database ``name`` (lower-case letters, digits, ``_``); its URL."""
        from psycopg import sql

        if not _DATABASE_NAME.fullmatch(name):
            raise ValueError(f"not a plain database name: {name!r}")
        with self.connect("postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)


@dataclass(frozen=True)
class _Binaries:
    initdb: str
    pg_ctl: str


def _version_key(bindir: str) -> tuple[int, ...]:
    version = Path(bindir).parent.name  # /usr/lib/postgresql/<version>/bin
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def find_binaries() -> _Binaries | None:
    """``initdb`` and ``pg_ctl``: Debian's highest version first, else on PATH; else ``None``."""
    bindirs = sorted(
        (os.path.dirname(path) for path in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=_version_key,
        reverse=True,
    )
    for bindir in bindirs:
        initdb, pg_ctl, postgres = (
            os.path.join(bindir, n) for n in ("initdb", "pg_ctl", "postgres")
        )
        if all(os.access(path, os.X_OK) for path in (initdb, pg_ctl, postgres)):
            return _Binaries(initdb, pg_ctl)
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return _Binaries(initdb, pg_ctl)
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_is_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((HOST, port)) == 0


def _server_user() -> pwd.struct_passwd | None:
    """The user that runs the server when we are root (``postgres``, else ``nobody``)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, and neither user 'postgres' nor 'nobody' exists")


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError as err:
        return f"(no log: {err})"


class _Cluster:
    """One data directory and its server process, driven through initdb and pg_ctl."""

    def __init__(self, binaries: _Binaries, base: Path, user: pwd.struct_passwd | None):
        self.binaries = binaries
        self.base = base
        self.user = user
        self.data = base / "data"
        self.log = base / "server.log"
        self.sockets = base / "sockets"
        self.port: int | None = None
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}

    def _chown(self, path: Path) -> None:
        if self.user is not None:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def run(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.user is not None:
            command = ["runuser", "-u", self.user.pw_name, "--", *command]
        return subprocess.run(
            command,
            cwd=self.base,
            env=self._env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def init(self, password: str) -> None:
        self._chown(self.base)
        pwfile = self.base / "pwfile"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        self._chown(pwfile)
        self.sockets.mkdir(mode=0o700)
        self._chown(self.sockets)
        if len(str(self.sockets)) > SOCKET_PATH_MAX:
            raise AssertionError(f"socket directory path too long for Unix sockets: {self.sockets}")
        try:
            result = self.run(
                self.binaries.initdb,
                f"--pgdata={self.data}",
                f"--username={USER}",
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
                timeout=120,
            )
        finally:
            pwfile.unlink()
        if result.returncode != 0:
            raise AssertionError(
                f"initdb failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# throw-away test server: speed over durability\n"
                "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n"
            )

    def start(self) -> int:
        """Start on a free port (a few tries if another process takes it meanwhile)."""
        for _attempt in range(3):
            port = free_port()
            options = f"-h {HOST} -p {port} -k {shlex.quote(str(self.sockets))}"
            result = self.run(
                self.binaries.pg_ctl,
                "start",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                str(START_TIMEOUT),
                "-o",
                options,
                timeout=START_TIMEOUT + 30,
            )
            if result.returncode == 0:
                self.port = port
                return port
            log = _read(self.log)
            self.stop()  # a server that did start but was not ready in time
            if "could not bind" not in log and "already in use" not in log:
                break
        raise AssertionError(
            f"pg_ctl start failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}\n"
            f"--- server log {self.log} ---\n{log}"
        )

    def stop(self) -> None:
        """Stop the server: fast shutdown, immediate when that does not finish in time."""
        if not (self.data / "postmaster.pid").exists():
            return
        for mode in ("fast", "immediate"):
            result = self.run(
                self.binaries.pg_ctl,
                "stop",
                "-D",
                str(self.data),
                "-m",
                mode,
                "-w",
                "-t",
                str(STOP_TIMEOUT),
                timeout=STOP_TIMEOUT + 30,
            )
            if result.returncode == 0:
                return
        raise AssertionError(
            f"pg_ctl stop failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}\n"
            f"--- server log {self.log} ---\n{_read(self.log)}"
        )


def _make_base(tmp_path_factory: pytest.TempPathFactory, user: pwd.struct_passwd | None) -> Path:
    if user is None:
        return tmp_path_factory.mktemp("postgres")
    # Root: pytest's /tmp/pytest-of-root is 0700, which the server's user cannot traverse.
    base = Path(tempfile.mkdtemp(prefix="workbook-postgres-", dir="/tmp"))
    base.chmod(0o755)
    os.chown(base, user.pw_uid, user.pw_gid)
    return base


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A PostgreSQL server of its own for the test session, with an empty database ``workbook``.

    Skips only when the server binaries are not installed (an error under CI); fails on any
    other problem.
    """
    binaries = find_binaries()
    if binaries is None:
        pytest.skip(SKIP_REASON)
    user = _server_user()
    base = _make_base(tmp_path_factory, user)
    cluster = _Cluster(binaries, base, user)
    password = secrets.token_urlsafe(24)
    try:
        started = time.monotonic()
        cluster.init(password)
        port = cluster.start()
        server = PostgresServer(
            host=HOST,
            port=port,
            user=USER,
            password=password,
            database=DATABASE,
            url=f"postgresql+psycopg://{USER}:{password}@{HOST}:{port}/{DATABASE}",
        )
        try:
            server.create_database(DATABASE)
        except Exception as err:
            raise AssertionError(
                f"could not create database {DATABASE!r}: {err}\n"
                f"--- server log {cluster.log} ---\n{_read(cluster.log)}"
            ) from err
        elapsed = time.monotonic() - started
        print(f"\nPostgreSQL server on {HOST}:{port} ready in {elapsed:.1f}s ({binaries.initdb})")
        yield server
    finally:
        try:
            cluster.stop()
            if cluster.port is not None:
                assert not port_is_open(cluster.port), (
                    f"port {cluster.port} still open after pg_ctl stop\n"
                    f"--- server log {cluster.log} ---\n{_read(cluster.log)}"
                )
        finally:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_database_url(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """The URL of a fresh, empty database for the current test module (no shared state)."""
    module = re.sub(r"[^a-z0-9_]", "_", request.module.__name__.rsplit(".", 1)[-1].lower())
    name = f"{module[:40]}_{secrets.token_hex(4)}"
    return postgres_server.create_database(name)
