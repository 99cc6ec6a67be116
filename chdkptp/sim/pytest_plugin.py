"""pytest fixtures for the simulated camera (filled in by the simulator work)."""
