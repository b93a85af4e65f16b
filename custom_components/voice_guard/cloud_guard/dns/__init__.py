"""Cloud guard: per-device DNS blocking through the user's filter (no Home Assistant imports)."""
