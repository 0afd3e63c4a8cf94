"""Small, dependency-free SVG charts shared by the clinical domains (see :mod:`.svg`)."""

from tailormed.charts.svg import Event, Line, Marker, Reference, time_chart

__all__ = ["Event", "Line", "Marker", "Reference", "time_chart"]
