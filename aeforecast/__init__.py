"""ae-forecast: A&E demand forecasting for NHS trusts.

The four stages live in their own top-level packages (`synthetic_data`, `features`,
`forecast`, `api`); this package holds what they share (errors, settings, the data
contract, the store) and the `aeforecast` command line.
"""

__version__ = "0.1.0"
