"""The points rules row (PointsSettings, pk 1): read by the rules, the selectors and the pages."""

from __future__ import annotations

from kefu.points.models import PointsSettings


def points_settings() -> PointsSettings:
    """The rules; the defaults row is written on first use (3 / 5 / 10 points, threshold 10)."""
    found = PointsSettings.objects.filter(pk=1).first()
    if found is None:
        PointsSettings.objects.bulk_create([PointsSettings(pk=1)], ignore_conflicts=True)
        found = PointsSettings.objects.get(pk=1)
    return found
