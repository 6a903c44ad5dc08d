"""Autopay: plans (enrol, change, pause, cancel), cycles (reminder, then one draft per due date)
and what a draft's outcome does to its plan (failures suspend it after two in a row)."""
