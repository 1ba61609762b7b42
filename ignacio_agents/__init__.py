"""Ignacio: the channel-agnostic core (domain, agents, engine, persistence, storage)."""
