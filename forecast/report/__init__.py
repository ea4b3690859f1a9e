"""The backtest's HTML report: the page, its charts and its exceedance and hierarchy sections."""
