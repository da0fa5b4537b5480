"""What every HTTP client of kubepush (forges, registries, the cluster) decides the same way:
whose origin a URL is before a credential goes to it (:mod:`.origin`), and how long to wait
before asking again (:mod:`.retry`)."""
