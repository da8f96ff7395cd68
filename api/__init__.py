"""The T-ALL evidence service: HTTP API, start-up loader and command line.

Layers, and what each may import from this package (downwards only; `models` is open to all):

    main        -> anything: it wires the application together
    cli         -> main, loading, provenance, tools, database, settings, server
    routes      -> queries, render, deps, errors, settings
    middleware  -> render, errors, settings, lru, state
    render      -> errors, settings, state
    queries     -> database, errors, lru
    data_source -> loading, database, settings
    loading     -> provenance, database, errors, settings, garbage_collector
    tools       -> loading, queries
    deps        -> database, errors, settings, state
    state       -> database, lru
    errors, settings, database, lru, server, provenance, garbage_collector -> nothing of api
    models (top-level package) -> nothing of api

A feature package (api/fhir/) holds one face whole; each of its modules keeps to the rules of
the layer its job belongs to (routes, queries, or render for the rest). Nothing imports routes
except main, and nothing imports cli. Modules of one layer may import each other.
tests/test_layers.py walks every import and fails naming any that breaks a rule.
"""
