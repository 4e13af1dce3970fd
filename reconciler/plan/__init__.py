"""Planning: diff desired against observed, the plan as data, safety checks, renderings."""
