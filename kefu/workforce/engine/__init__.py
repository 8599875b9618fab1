"""Pure staffing engine: Erlang B, C and A and required agents per interval (numpy/scipy, no Django)."""

from __future__ import annotations

from kefu.workforce.engine.erlang import (
    QueueMetrics,
    ServiceLevelDefinition,
    erlang_a_metrics,
    erlang_a_service_level,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
)
from kefu.workforce.engine.staffing import (
    GOAL_TOLERANCE,
    Model,
    StaffingGoals,
    meets_goals,
    offered_load,
    required_agents,
    scheduled_heads,
)

__all__ = [
    "GOAL_TOLERANCE",
    "Model",
    "QueueMetrics",
    "ServiceLevelDefinition",
    "StaffingGoals",
    "erlang_a_metrics",
    "erlang_a_service_level",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "meets_goals",
    "offered_load",
    "required_agents",
    "scheduled_heads",
]
