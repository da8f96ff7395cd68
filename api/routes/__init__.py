"""One router module per resource: parse the request, call a query, render the answer."""
