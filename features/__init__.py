"""Feature pipelines: turn attendance, calendar and temperature frames into model features."""
