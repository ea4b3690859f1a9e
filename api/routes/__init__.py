"""One router per resource: health (and metrics), trusts, forecast, actuals."""
