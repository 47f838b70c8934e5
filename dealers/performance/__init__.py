"""Dealer performance for managers: scorecards, allocation weights and what-if pages."""
