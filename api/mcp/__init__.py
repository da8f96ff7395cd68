"""The Model Context Protocol face: read-only tools for AI agents, over streamable HTTP (/mcp) and stdio."""
