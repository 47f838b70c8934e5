"""The clocks, pure Python (no Django): ``businesstime`` (when business time runs and
runs out) and ``deadlines`` (which clocks an ownership stint starts, e.g. the dealer's 48
hours). The owner's calendar is looked up by ``leads.services.calendars``."""
