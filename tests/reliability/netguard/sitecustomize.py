"""Loaded by any Python child started with this folder on PYTHONPATH: records (and refuses) every attempt
to reach a non-loopback address, and writes the attempts to $CQA_NETGUARD_LOG at exit (privacy tests)."""

import atexit
import ipaddress
import os
import socket

_LOG = os.environ.get("CQA_NETGUARD_LOG")
_ATTEMPTS: list[str] = []


def _loopback(host: object) -> bool:
    if host is None:
        return True
    h = host.decode() if isinstance(host, bytes) else str(host)
    if h.lower() in ("localhost", "", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(h.split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _check(sock: socket.socket, address: object) -> None:
    if sock.family == socket.AF_UNIX:
        return
    host = address[0] if isinstance(address, tuple) else address
    if not _loopback(host):
        _ATTEMPTS.append(f"connect {address!r}")
        raise OSError(101, f"network blocked by test: {address!r}")


def _connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _real_connect(self, address)


def _connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _real_connect_ex(self, address)


def _getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
    if not _loopback(host):
        _ATTEMPTS.append(f"getaddrinfo {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, f"name resolution blocked by test: {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def _dump() -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            for a in _ATTEMPTS:
                fh.write(a + "\n")


if _LOG:
    socket.socket.connect = _connect
    socket.socket.connect_ex = _connect_ex
    socket.getaddrinfo = _getaddrinfo
    atexit.register(_dump)
