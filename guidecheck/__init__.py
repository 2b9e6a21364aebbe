"""guidecheck: every code block of the MeshHook deployment guide is a test (Sybil + pytest)."""
