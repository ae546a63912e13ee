"""The shared front door: the city-wide read model, its projector, and the portal's API."""
