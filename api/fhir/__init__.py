"""The FHIR R5 face, as one feature package; each module keeps to the layer its job belongs to.

    routes        (routes)   the /fhir interactions; every error an OperationOutcome
    queries       (queries)  what the face is mapped from, read through the /v1 queries
    codes         (render)   code systems and codings
    elements      (render)   ids, references, datatypes, extensions shared by the resources
    resources     (render)   Evidence, EvidenceVariable, Citation, ResearchStudy from the public models
    search_index  (render)   every resource of a dataset by type and id, with its search values
    responses     (render)   CapabilityStatement, search Bundles, OperationOutcome

tests/test_layers.py checks each module against the rules of its layer (FEATURE_LAYERS there).
"""
