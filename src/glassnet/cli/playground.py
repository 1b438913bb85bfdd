"""``glassnet playground``: serve the playground, a local web page to build a small network,
train it step by step and follow one example forward and backward (examples counted from 0, as
--example counts them in glassnet explain).

It listens on loopback (127.0.0.1) by default, answers only its own address, and refuses requests
from other web sites. Another host needs ``--allow-remote``, and even then a warning is printed:
the playground has no accounts and no passwords, and anyone who can reach it can use it.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import re
import socket
import sys
import threading
import webbrowser

from glassnet._validation import shown

LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and "localhost".

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``glassnet playground``."""
    parser = commands.add_parser(
        "playground",
        help="a local web page to build, train and step through a network",
        description=__doc__,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=_port, default=8000, help="port to listen on")
    parser.add_argument("--open", action="store_true", help="open the page in a web browser")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other than loopback (anyone who reaches it can use it)",
    )
    parser.set_defaults(run=run)


def load_server() -> tuple:
    """(the playground's ``server`` module, create_app), or ImportError naming the extra."""
    try:
        import starlette  # noqa: F401  (the extra's two packages, checked first by name)
        import uvicorn  # noqa: F401

        from glassnet.playground import server
        from glassnet.playground.app import create_app
    except ImportError as error:
        raise ImportError(
            f"glassnet playground needs Starlette and uvicorn ({error.name} is missing): "
            f"pip install 'glassnet[playground]'"
        ) from error
    return server, create_app


def run(args: argparse.Namespace) -> int:
    """Serve the playground; every failure raises ValueError (or ImportError for the missing
    extra), which ``glassnet.cli.main`` prints as ``glassnet playground: error: ...``, exit 2."""
    check_host(args.host)
    if not is_loopback(args.host):
        if not args.allow_remote:
            raise ValueError(
                f"--host {args.host} is not a loopback address. The playground has no "
                f"passwords; to serve it to other machines anyway, add --allow-remote."
            )
        print(
            f"WARNING: serving on {args.host}: anyone who can reach this address can use the "
            f"playground and its CPU time.",
            file=sys.stderr,
        )
    server, create_app = load_server()
    try:  # take the port before announcing it; uvicorn gets this very socket
        sock = server.bind(args.host, args.port)
    except OSError as error:
        busy = error.errno == errno.EADDRINUSE
        reason = "is already in use" if busy else f"cannot be used ({error.strerror or error})"
        raise ValueError(
            f"port {args.port} on {args.host} {reason}. Stop what holds it, or choose another "
            f"port, e.g. --port {args.port + 1 if args.port < 65535 else 8000}."
        ) from None
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{args.port}/"
    print(f"glassnet playground on {url} (Ctrl+C to stop)", flush=True)
    if args.open:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    with sock:  # it answers only the address it serves on (see glassnet.playground.guard)
        server.serve(create_app(port=args.port, host=args.host), sock)
    return 0


#: a host name as DNS spells it: labels of letters, digits and hyphens, joined by dots
HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


def check_host(host: str) -> None:
    """Refuse a ``--host`` that is neither an IP address nor a host name this machine resolves,
    before anything is printed or bound.

    >>> check_host("127.0.0.1"), check_host("::1"), check_host("localhost")
    (None, None, None)
    >>> check_host("<b>x")
    Traceback (most recent call last):
    ...
    ValueError: --host '<b>x' is not an IP address or a host name (letters, digits, hyphens and \
dots). Give an address to listen on, such as 127.0.0.1 (this machine only) or 0.0.0.0 (every \
interface, with --allow-remote).
    """
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        pass
    advice = (
        "Give an address to listen on, such as 127.0.0.1 (this machine only) or 0.0.0.0 (every "
        "interface, with --allow-remote)."
    )
    if len(host) > 253 or not HOST_NAME.fullmatch(host):
        raise ValueError(
            f"--host {shown(host, 80)} is not an IP address or a host name (letters, digits, "
            f"hyphens and dots). {advice}"
        )
    try:
        socket.getaddrinfo(host, None)
    except (OSError, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ValueError(
            f"--host {host}: no address found for this name ({reason}). {advice}"
        ) from None


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {text}")
    return value
