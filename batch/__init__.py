"""The nightly batch: what runs once a night against the store.

    runner.py        the night: lock, read, model, forecast, store one run (through store.run_log)
    inputs.py        what the batch reads for one as-of date, and its fingerprint
    modelling.py     choosing, training or loading the model; forecasting every trust
    registry.py      versioned model artefacts under AEF_MODEL_DIR, written atomically, retained
    hierarchy_run.py one reconciled run over every node of a stored hierarchy
    scenario.py      what-if forecasts (a temperature shift) from the served model

Modules are imported on use (this file imports nothing). Runs are read through `store.runs`,
written through `store.run_log`; live accuracy is kept by `store.accuracy`.
"""
