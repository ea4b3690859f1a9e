"""One module per migration, `NNNN_slug.py`, chained by `down_revision`."""
