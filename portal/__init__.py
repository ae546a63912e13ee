"""The shared web portal: residents find aanbod and ask a question (server-rendered, a client of the HTTP APIs only)."""
