from __future__ import annotations

from enum import StrEnum


class OperationsErrorCode(StrEnum):
    FORBIDDEN = "operations_forbidden"
    INVALID_INPUT = "operations_invalid_input"
    PLAN_NOT_FOUND = "emergency_plan_not_found"
    PLAN_INACTIVE = "emergency_plan_inactive"
    INCIDENT_NOT_FOUND = "incident_not_found"
    INCIDENT_CLOSED = "incident_closed"
    INCIDENT_OPEN = "incident_still_active"
    NOT_NOTIFIED = "incident_not_notified"
    STEP_NOT_FOUND = "incident_step_not_found"
    REVIEW_EXISTS = "incident_review_exists"
    MATERIAL_NOT_FOUND = "material_not_found"
    REQUISITION_NOT_FOUND = "requisition_not_found"
    REQUISITION_STATE = "requisition_wrong_state"
    STOCK_SHORT = "stock_short"
    SECOND_PERSON = "second_person_required"
    DEVICE_NOT_FOUND = "device_not_found"
    MAINTENANCE_NOT_FOUND = "maintenance_plan_not_found"
    FAULT_ROUTING = "fault_routing_missing"
    ALERT_NOT_FOUND = "ops_alert_not_found"
    BUDGET_LINE_NOT_FOUND = "budget_line_not_found"
    BUDGET_LINE_EXISTS = "budget_line_exists"
    BUDGET_OVERDRAWN = "budget_reallocation_overdraws"
    BUDGET_PROJECT_NOT_FOUND = "budget_project_not_found"
