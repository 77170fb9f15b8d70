"""The plan and the places: the target catalog, the unit registry, status labels."""
