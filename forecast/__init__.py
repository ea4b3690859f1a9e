"""Models, backtesting and evaluation."""
