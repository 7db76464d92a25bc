"""Yunying's shared infrastructure and contracts. Never imports a service."""
