"""Co-produced services: proposals backed by conditional pledges, consent decisions, services
with roles and sessions whose attendance earns time credits, follow-through, and the
co-production index (docs/coproduction.md)."""
