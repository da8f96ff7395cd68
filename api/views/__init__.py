"""Server-rendered views: embeddable HTML pages and SVG charts."""
