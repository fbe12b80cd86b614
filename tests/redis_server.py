"""A real redis-server owned by a test: started on a free port, killable, hangable
(SIGSTOP), restartable on the same port (empty, as a server without persistence); with a
password and TLS when asked (certificates made here with openssl)."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import attrs
import redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@attrs.frozen
class Certificates:
    """A private CA and a server certificate for 127.0.0.1 it signed (PEM files)."""

    ca: str
    cert: str
    key: str

    @classmethod
    def make(cls, directory: str) -> "Certificates":
        d = Path(directory)

        def openssl(*args: str) -> None:
            subprocess.run(["openssl", *args], check=True, capture_output=True)

        ca, ca_key = d / "ca.pem", d / "ca.key"
        cert, key, csr = d / "server.pem", d / "server.key", d / "server.csr"
        openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(ca_key), "-out", str(ca), "-subj", "/CN=Ballast test CA",
        )  # fmt: skip
        openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
            "-subj", "/CN=127.0.0.1",
        )  # fmt: skip
        ext = d / "san.ext"
        ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
            "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext),
        )  # fmt: skip
        return cls(str(ca), str(cert), str(key))


class RedisServer:
    def __init__(
        self,
        port: int | None = None,
        password: str | None = None,
        tls: bool = False,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="ballast-redis-")
        self.password = password
        self.certificates = Certificates.make(self.dir) if tls else None
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        scheme = "rediss" if self.certificates else "redis"
        auth = f"default:{self.password}@" if self.password else ""
        return f"{scheme}://{auth}127.0.0.1:{self.port}/0"

    def args(self) -> list[str]:
        """The server's options; the TLS server listens on TLS only."""
        args = ["--port", str(self.port)]
        if self.certificates is not None:
            c = self.certificates
            args = ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", c.cert]
            args += ["--tls-key-file", c.key, "--tls-ca-cert-file", c.ca]
            args += ["--tls-auth-clients", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        return [*args, *self.extra]

    def client(self) -> "redis.Redis[str]":
        """A plain synchronous client for the test's own checks."""
        c = self.certificates
        return redis.Redis(
            "127.0.0.1",
            self.port,
            password=self.password,
            ssl=c is not None,
            ssl_ca_certs=c.ca if c else None,
            decode_responses=True,
            socket_timeout=1,
        )

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (make test installs it)")
        self.process = subprocess.Popen(
            [
                binary,
                *self.args(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
                "--protected-mode",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.answers():
                return self
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def answers(self) -> bool:
        if self.password is None and self.certificates is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False
        try:
            with self.client() as c:
                return bool(c.ping())
        except (redis.RedisError, OSError):
            return False

    def kill(self) -> None:
        """SIGKILL: connections reset, data gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def hang(self) -> None:
        """SIGSTOP: connections stay open, nothing answers."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def restart(self) -> None:
        """Same port, empty data."""
        if self.process is not None:
            self.resume()
            self.kill()
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.resume()
            self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
