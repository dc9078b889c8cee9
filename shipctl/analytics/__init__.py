"""Shipping analytics: spend, carriers, transit times and exceptions, aggregated in SQL."""
