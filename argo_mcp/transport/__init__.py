"""Serving the MCP server: streamable HTTP (default) or stdio."""
