"""Every model in the side-by-side benchmark, by name: ours first, then the peers.

`scope` says which trusts a model forecasts: "all", or "subset" for per-series tools whose
refits are too slow for every trust on this machine (the same documented subset for each).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from bench.peers.common import Peer


@dataclass(frozen=True)
class Entry:
    target: str  # "module:function"
    scope: str  # "all" | "subset"
    what: str

    def load(self) -> Peer:
        module, function = self.target.split(":")
        peer: Peer = getattr(importlib.import_module(module), function)
        return peer


OURS = "ensemble"
MODELS: dict[str, Entry] = {
    OURS: Entry("bench.peers.ours:run", "all",
                "ours: the default model, our backtest loop, refit every 4 origins"),
    "snaive": Entry("bench.peers.statsforecast_peers:run_snaive", "all",
                    "statsforecast SeasonalNaive(7), refit every 4 origins"),
    "mlforecast": Entry("bench.peers.mlforecast_peer:run", "all",
                        "mlforecast LightGBM, cross_validation refit=True, conformal intervals"),
    "autoets": Entry("bench.peers.statsforecast_peers:run_autoets", "subset",
                     "statsforecast AutoETS(season 7), refit every 4 origins"),
    "mstl": Entry("bench.peers.statsforecast_peers:run_mstl", "subset",
                  "statsforecast MSTL(7, 365), AutoETS trend, refit every 4 origins"),
    "prophet": Entry("bench.peers.prophet_peer:run", "subset",
                     "Prophet, UK bank holidays, temperature regressor, refit every origin"),
}
