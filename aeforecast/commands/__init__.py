"""One module per `aeforecast` sub-command; each exposes `register(subparsers)`."""
