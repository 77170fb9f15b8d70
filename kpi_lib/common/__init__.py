"""Shared by every stage: errors that carry their fix, path constants, Vietnamese numbers."""
