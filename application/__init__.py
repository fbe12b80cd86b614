"""Use cases. Each depends on domain ports only and never knows whether Redis exists."""
