"""Forecasts for every level of the NHS hierarchy (site, trust, ICS, region, nation), coherent.

    hierarchy = Hierarchy.from_frame(read_hierarchy("hierarchy.csv"))
    model = HierarchicalForecaster(hierarchy)           # the catalog default as the engine
    model.fit(hierarchy_input(data, hierarchy))         # data: the bottom series
"""
