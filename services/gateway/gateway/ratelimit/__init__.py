"""Rate limits per API key, per user and per client address, shared by every gateway replica
through Redis (distributed mode) or kept in the process (embedded mode, or Redis down)."""
