"""The shared kernel: what every SAMEN030 service and worker stands on.

config (federation file), database, geography, auth, web (Flask app base), events (CloudEvents
envelope and schemas), outbox + relay (write side of the bus), consumer (read side), bus (NATS).
"""
