"""Reading the database: filters, sorting, counts, facets, search, pages, study details, comparison.

Queries return rows and response models, never a Response: rendering is api.render's job.
"""
