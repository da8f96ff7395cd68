"""HTTP service, loader and command line of the T-ALL evidence service."""
