// Intentionally empty: a module with no sources yet still builds.
