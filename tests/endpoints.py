"""Every endpoint of a service app, found from its URL map, so that a test that tries them all (who may
see or change what) also tries the endpoints added after it was written."""
PUBLIC = ("/health", "/ready", "/metrics", "/openapi.json", "/docs", "/static", "/.well-known/", "/public/")


def every_endpoint(app, values: dict[str, str], public: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(method, path) of each endpoint that is not public, its placeholders filled in from `values`."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PUBLIC + public):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<{name}>", values[name])
        found += [(method.lower(), path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(found)
