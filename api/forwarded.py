"""The address a request really came from, behind proxies the operator trusts.

The failed-key throttle counts per address, so the address must be one a client cannot choose.
Each proxy appends the address it saw to `X-Forwarded-For`, so only the right-hand end of the
list is written by proxies; whatever a client sent stands to its left. The client is therefore
the right-most address that is not a trusted proxy. With `*` (any peer may be the proxy) only
the one hop the nearest proxy appended is believed: never a value a client wrote itself.
uvicorn's own handling takes the left-most address under `*`, which a client writes, so the
server runs without it and with this middleware instead.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from contract.errors import InputError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TrustedProxies:
    """`*`, or the addresses and networks (CIDR) of the proxies in front of the API."""

    everyone: bool
    networks: tuple[Network, ...]

    @classmethod
    def parse(cls, spec: str) -> TrustedProxies:
        items = [item.strip() for item in spec.split(",") if item.strip()]
        if "*" in items:
            return cls(True, ())
        networks = []
        for item in items:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise InputError(
                    f"forwarded-allow-ips: '{item}' is not an IP address or network (CIDR); "
                    "give the proxies' addresses comma-separated, e.g. 127.0.0.1,10.0.0.0/8, "
                    "or '*'") from None
        return cls(False, tuple(networks))

    def trusts(self, host: str) -> bool:
        if self.everyone:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def client(self, peer: str, forwarded_for: list[str]) -> str:
        """The client's address: the peer's own unless the peer is a trusted proxy."""
        hops = [_host(hop) for value in forwarded_for for hop in value.split(",") if hop.strip()]
        if not hops or not self.trusts(peer):
            return peer
        if self.everyone:
            return hops[-1]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0]  # every hop is one of our proxies: the first of them is the client


def _host(hop: str) -> str:
    """`1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443` or `2001:db8::1` -> the address."""
    hop = hop.strip()
    if hop.startswith("["):
        return hop[1:].partition("]")[0]
    if hop.count(":") == 1:
        return hop.partition(":")[0]
    return hop


class ForwardedMiddleware:
    """Sets the request's client address and scheme from a trusted proxy's headers."""

    def __init__(self, app: ASGIApp, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and client and self.trusted.trusts(client[0]):
            forwarded = [v.decode("latin-1") for k, v in scope["headers"]
                         if k == b"x-forwarded-for"]
            proto = [hop.strip() for k, v in scope["headers"] if k == b"x-forwarded-proto"
                     for hop in v.decode("latin-1").split(",")]
            host = self.trusted.client(client[0], forwarded)
            scope = dict(scope, client=(host, 0 if host != client[0] else client[1]))
            if proto and proto[-1] in ("http", "https"):
                scope["scheme"] = proto[-1]
        await self.app(scope, receive, send)
