"""A partner's directory service: its offers (aanbod), their events, its HTTP API."""
