"""The nightly batch: model registry, forecast runs, live accuracy.

    runs.py        reading stored runs (what the API serves): only complete runs are visible
    run_store.py   writing a run: a 'running' record, then rows + status flip in one transaction
    registry.py    versioned model artefacts under AEF_MODEL_DIR, written atomically, retained
    fallback.py    the per-trust fallback when the model cannot forecast a trust
    runner.py      the job itself: data -> model -> forecasts -> one run
    accuracy.py    live accuracy: served forecasts scored against the actuals that arrived

Modules are imported on use (this file imports nothing), so the API pays only for `runs`.
"""
