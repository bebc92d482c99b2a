"""Who may call the MCP endpoint and what they may touch: inbound authentication and per-call authorization."""
